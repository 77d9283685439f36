//! Shared Access Signatures signed locally from an account key.
//!
//! The official `azure_storage_blob` 1.x crate authenticates with Entra ID
//! tokens or a SAS already in the URL; it has no shared-key signing. Rather
//! than sign every request with the account key (and keep the key in memory
//! for the whole run), nwcap turns a key into a short-lived, read-only SAS
//! once, up front: the key never leaves this module, and the rest of the
//! fetcher only ever sees "a URL with a SAS". The string-to-sign layouts are
//! the documented ones for `sv=2022-11-02`; the unit tests pin them against
//! signatures produced by Microsoft's Python SDK.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The SAS version nwcap signs (understood by Azure and Azurite).
pub const SAS_VERSION: &str = "2022-11-02";

/// A storage account key (base64). `Debug` never shows it.
#[derive(Clone)]
pub struct AccountKey(Vec<u8>);

impl AccountKey {
    /// Decode a base64 account key.
    pub fn from_base64(s: &str) -> Result<Self, SasError> {
        B64.decode(s.trim())
            .map(Self)
            .map_err(|_| SasError::KeyNotBase64)
    }
}

impl fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccountKey(REDACTED)")
    }
}

/// Errors while signing.
#[derive(Debug, thiserror::Error)]
pub enum SasError {
    /// The account key is not valid base64.
    #[error("account key is not valid base64")]
    KeyNotBase64,
    /// A time could not be formatted.
    #[error("cannot format sas time")]
    Time,
}

/// What a SAS is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SasScope {
    /// A service SAS for one container (`sr=c`).
    Container {
        /// Container name.
        container: String,
    },
    /// A service SAS for one blob (`sr=b`).
    Blob {
        /// Container name.
        container: String,
        /// Blob name (not percent-encoded).
        blob: String,
    },
    /// An account SAS for the blob service (`ss=b`, resource types `srt`).
    Account {
        /// Resource types, e.g. `sco`.
        resource_types: String,
    },
}

/// A SAS to sign: scope, permissions and validity window.
#[derive(Debug, Clone)]
pub struct SasRequest {
    /// Storage account name.
    pub account: String,
    /// What the SAS covers.
    pub scope: SasScope,
    /// Permissions in canonical order, e.g. `rl` (read, list).
    pub permissions: String,
    /// Start of validity (None: valid immediately).
    pub start: Option<OffsetDateTime>,
    /// End of validity.
    pub expiry: OffsetDateTime,
    /// Allowed protocol (`https` or `https,http`); None leaves it out.
    pub protocol: Option<String>,
}

impl SasRequest {
    /// A read + list container SAS valid from 5 minutes ago for `ttl`
    /// (the clock-skew margin Microsoft recommends).
    pub fn read_container(account: &str, container: &str, ttl: time::Duration) -> Self {
        let now = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Self {
            account: account.to_owned(),
            scope: SasScope::Container {
                container: container.to_owned(),
            },
            permissions: "rl".to_owned(),
            start: Some(now - time::Duration::minutes(5)),
            expiry: now + ttl,
            protocol: None,
        }
    }

    /// The string that is signed (exposed for tests and debugging; holds no secret).
    pub fn string_to_sign(&self) -> Result<String, SasError> {
        let st = self.start.map(fmt_time).transpose()?.unwrap_or_default();
        let se = fmt_time(self.expiry)?;
        let spr = self.protocol.clone().unwrap_or_default();
        Ok(match &self.scope {
            SasScope::Account { resource_types } => format!(
                "{}\n{}\nb\n{}\n{}\n{}\n\n{}\n{}\n\n",
                self.account, self.permissions, resource_types, st, se, spr, SAS_VERSION
            ),
            SasScope::Container { container } | SasScope::Blob { container, .. } => {
                let (resource, sr) = match &self.scope {
                    SasScope::Blob { blob, .. } => (
                        format!("/blob/{}/{}/{}", self.account, container, blob),
                        "b",
                    ),
                    _ => (format!("/blob/{}/{}", self.account, container), "c"),
                };
                // sp st se resource si sip spr sv sr snapshot ses rscc rscd rsce rscl rsct
                format!(
                    "{}\n{}\n{}\n{}\n\n\n{}\n{}\n{}\n\n\n\n\n\n\n",
                    self.permissions, st, se, resource, spr, SAS_VERSION, sr
                )
            }
        })
    }

    /// Sign with the account key; returns the query string (no leading `?`).
    pub fn sign(&self, key: &AccountKey) -> Result<String, SasError> {
        let to_sign = self.string_to_sign()?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&key.0).map_err(|_| SasError::KeyNotBase64)?;
        mac.update(to_sign.as_bytes());
        let sig = B64.encode(mac.finalize().into_bytes());
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("sv", SAS_VERSION);
        match &self.scope {
            SasScope::Account { resource_types } => {
                q.append_pair("ss", "b");
                q.append_pair("srt", resource_types);
            }
            SasScope::Container { .. } => {
                q.append_pair("sr", "c");
            }
            SasScope::Blob { .. } => {
                q.append_pair("sr", "b");
            }
        }
        q.append_pair("sp", &self.permissions);
        if let Some(st) = self.start {
            q.append_pair("st", &fmt_time(st)?);
        }
        q.append_pair("se", &fmt_time(self.expiry)?);
        if let Some(p) = &self.protocol {
            q.append_pair("spr", p);
        }
        q.append_pair("sig", &sig);
        Ok(q.finish())
    }
}

fn fmt_time(t: OffsetDateTime) -> Result<String, SasError> {
    t.to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .map_err(|_| SasError::Time)?
        .format(&Rfc3339)
        .map_err(|_| SasError::Time)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The published Azurite development key.
    const DEV_KEY: &str =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    fn at(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &Rfc3339).unwrap()
    }

    #[test]
    fn debug_hides_key() {
        let k = AccountKey::from_base64(DEV_KEY).unwrap();
        assert_eq!(format!("{k:?}"), "AccountKey(REDACTED)");
        assert!(AccountKey::from_base64("not base64!").is_err());
    }

    // Vectors: azure-storage-blob (Python) generate_container_sas /
    // generate_blob_sas / generate_account_sas with the same inputs and
    // version 2022-11-02 (script: tools/sas_vectors.py).
    #[test]
    fn container_sas_matches_python_sdk() {
        let req = SasRequest {
            account: "devstoreaccount1".into(),
            scope: SasScope::Container {
                container: "network-watcher-logs".into(),
            },
            permissions: "rl".into(),
            start: Some(at("2025-01-31T16:00:00Z")),
            expiry: at("2025-01-31T18:00:00Z"),
            protocol: None,
        };
        let q = req
            .sign(&AccountKey::from_base64(DEV_KEY).unwrap())
            .unwrap();
        assert_eq!(pairs(&q), pairs(VECTOR_CONTAINER));
    }

    #[test]
    fn blob_sas_matches_python_sdk() {
        let req = SasRequest {
            account: "devstoreaccount1".into(),
            scope: SasScope::Blob {
                container: "c1".into(),
                blob: "a/b/packetcapture_16_39_41_077.cap".into(),
            },
            permissions: "r".into(),
            start: None,
            expiry: at("2030-01-01T00:00:00Z"),
            protocol: Some("https,http".into()),
        };
        let q = req
            .sign(&AccountKey::from_base64(DEV_KEY).unwrap())
            .unwrap();
        assert_eq!(pairs(&q), pairs(VECTOR_BLOB));
    }

    #[test]
    fn account_sas_matches_python_sdk() {
        let req = SasRequest {
            account: "devstoreaccount1".into(),
            scope: SasScope::Account {
                resource_types: "sco".into(),
            },
            permissions: "rwdlac".into(),
            start: None,
            expiry: at("2030-01-01T00:00:00Z"),
            protocol: None,
        };
        let q = req
            .sign(&AccountKey::from_base64(DEV_KEY).unwrap())
            .unwrap();
        assert_eq!(pairs(&q), pairs(VECTOR_ACCOUNT));
    }

    const VECTOR_CONTAINER: &str = "st=2025-01-31T16%3A00%3A00Z&se=2025-01-31T18%3A00%3A00Z&sp=rl&sv=2022-11-02&sr=c&sig=FYH3711PkWTx%2BfBB%2BWFOGXasrEP7tzaMtbYn8faSxVM%3D";
    const VECTOR_BLOB: &str = "se=2030-01-01T00%3A00%3A00Z&sp=r&spr=https%2Chttp&sv=2022-11-02&sr=b&sig=UqxUmbp%2B8BTohLurXAX2SmPTJbsJaQCbIOOSdDvVWT0%3D";
    const VECTOR_ACCOUNT: &str = "se=2030-01-01T00%3A00%3A00Z&sp=rwdlac&sv=2022-11-02&ss=b&srt=sco&sig=Odc8KnqWmJ2f4JQ26XeS04pu9wyo9XZdLsmYIOsopSM%3D";

    /// Query strings compared as decoded, sorted pairs (the Python SDK
    /// orders and escapes differently; the values are what is signed).
    fn pairs(q: &str) -> Vec<(String, String)> {
        let mut v: Vec<_> = url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect();
        v.sort();
        v
    }
}
