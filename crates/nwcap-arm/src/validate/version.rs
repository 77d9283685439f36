//! api-versions of Microsoft.Network and what each one's packet-capture
//! schema has.
//!
//! Read from the public REST API specs (`Azure/azure-rest-api-specs`,
//! `specification/network/resource-manager/Microsoft.Network/stable/*/networkWatcher.json`,
//! definition `PacketCaptureParameters`): `targetType` and `scope` (scale
//! set captures) first appear in the stable version 2022-05-01 (2022-01-01
//! has neither and says "only VM is currently supported"); `continuousCapture`,
//! `captureSettings` and `storageLocation.localPath` first appear in
//! 2024-05-01 (2023-11-01, 2024-01-01 and 2024-03-01 have none of them).
//! ARM ignores properties an api-version does not define, so a request that
//! used them with an older version would be accepted and silently lose
//! them: nwcap refuses it instead.

use std::fmt;

use super::{ValidationError, bad};

/// The api-version nwcap sends by default: the newest stable version whose
/// packet-capture schema the tests cover (its examples are in
/// `tests/examples/`).
pub const DEFAULT_API_VERSION: &str = "2025-07-01";

/// A feature of the packet-capture schema that not every api-version has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    /// `targetType` and `scope`: scale set captures.
    ScaleSets,
    /// `continuousCapture`, `captureSettings`, `storageLocation.localPath`.
    ContinuousCapture,
}

impl Feature {
    /// The first stable api-version with the feature.
    pub fn since(self) -> &'static str {
        match self {
            Feature::ScaleSets => "2022-05-01",
            Feature::ContinuousCapture => "2024-05-01",
        }
    }

    /// The request fields of the feature, as the spec names them.
    pub fn fields(self) -> &'static str {
        match self {
            Feature::ScaleSets => "targetType, scope",
            Feature::ContinuousCapture => {
                "continuousCapture, captureSettings, storageLocation.localPath"
            }
        }
    }
}

/// An api-version: `YYYY-MM-DD`, optionally followed by `-preview` (or any
/// other `-suffix`), compared by date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersion {
    text: String,
    date: (u16, u8, u8),
}

impl ApiVersion {
    /// Parses an api-version; the error names `--api-version`.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let err = || {
            bad(
                "--api-version",
                format!("{text:?} is not an api-version (YYYY-MM-DD, e.g. {DEFAULT_API_VERSION})"),
            )
        };
        let date = text.get(..10).ok_or_else(err)?;
        let rest = &text[10..];
        if !(rest.is_empty() || (rest.starts_with('-') && rest.len() > 1)) {
            return Err(err());
        }
        let mut parts = date.split('-');
        let mut num = |len: usize| {
            parts
                .next()
                .filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u16>().ok())
        };
        let (Some(y), Some(m), Some(d)) = (num(4), num(2), num(2)) else {
            return Err(err());
        };
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return Err(err());
        }
        Ok(Self {
            text: text.to_owned(),
            date: (y, m as u8, d as u8),
        })
    }

    /// The version as sent.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether this version's schema has `feature`.
    pub fn supports(&self, feature: Feature) -> bool {
        match ApiVersion::parse(feature.since()) {
            Ok(since) => self.date >= since.date,
            Err(_) => false,
        }
    }

    /// An error when this version lacks `feature`, naming `flag`.
    pub fn require(&self, feature: Feature, flag: &'static str) -> Result<(), ValidationError> {
        if self.supports(feature) {
            return Ok(());
        }
        Err(bad(
            flag,
            format!(
                "api-version {} has no {} (the packet-capture schema has them since {}; \
                 ARM would drop them silently): use --api-version {} or later",
                self.text,
                feature.fields(),
                feature.since(),
                feature.since()
            ),
        ))
    }
}

impl Default for ApiVersion {
    fn default() -> Self {
        Self {
            text: DEFAULT_API_VERSION.to_owned(),
            date: (2025, 7, 1),
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_compare_by_date() {
        let v = ApiVersion::parse("2024-05-01").expect("valid");
        assert!(v.supports(Feature::ContinuousCapture));
        assert!(v.supports(Feature::ScaleSets));
        let old = ApiVersion::parse("2024-03-01").expect("valid");
        assert!(!old.supports(Feature::ContinuousCapture));
        assert!(old.supports(Feature::ScaleSets));
        let older = ApiVersion::parse("2022-01-01").expect("valid");
        assert!(!older.supports(Feature::ScaleSets));
        assert!(ApiVersion::parse("2025-07-01-preview").is_ok());
        for bad in [
            "2025-7-1",
            "latest",
            "2025-13-01",
            "2025-07-01x",
            "2025-07-01-",
            "",
        ] {
            assert!(ApiVersion::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            ApiVersion::default(),
            ApiVersion::parse(DEFAULT_API_VERSION).expect("ok")
        );
        let e = older
            .require(Feature::ScaleSets, "--vmss")
            .expect_err("old");
        assert_eq!(e.flag, "--vmss");
        assert!(e.message.contains("since 2022-05-01"), "{e}");
    }
}
