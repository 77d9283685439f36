//! Which filters `nwcap analyze` applies, and where they came from.
//!
//! A capture's own `properties.filters` are re-applied by default, so the
//! flow table shows what the capture was meant to capture even when the
//! file holds more (a file uploaded by hand, a capture whose filters were
//! edited). A URL has no capture resource, so no filters unless given.
//! Filters on the command line replace the capture's (the same flags as
//! `nwcap flows`), and `--no-capture-filters` analyses every packet.
//!
//! The chosen set is the engine's filter, as for `nwcap flows`: both
//! commands filter by one code path.

use anyhow::Context;
use nwcap_arm::types::CaptureFilter;
use nwcap_filter::FilterSet;

use crate::cmd::input::FilterFlagArgs;

/// Filter flags of `nwcap analyze` (as `nwcap flows`'s, and a switch to
/// ignore the capture's own).
#[derive(Debug, Clone, clap::Args)]
pub struct FilterArgs {
    #[command(flatten, next_help_heading = "Filters (replace the capture's)")]
    pub flags: FilterFlagArgs,
    /// Analyse every packet: do not re-apply the capture's own filters.
    #[arg(
        long,
        help_heading = "Filters (replace the capture's)",
        conflicts_with_all = ["protocol", "local_ip", "local_port", "remote_ip", "remote_port", "filter", "filters_from"]
    )]
    pub no_capture_filters: bool,
}

/// Where the applied filters came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The capture resource's `properties.filters`.
    Capture(String),
    /// The command line.
    Flags,
    /// None: a capture without filters, a URL, or `--no-capture-filters`.
    None(NoFilters),
}

/// Why no filter is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoFilters {
    /// The capture has no filters: it captured every packet.
    CaptureHasNone,
    /// A URL source: there is no capture resource to read filters from.
    Url,
    /// `--no-capture-filters`.
    Disabled,
}

/// The filters to apply.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Where they came from.
    pub origin: Origin,
    /// The set (empty when `origin` is `None`).
    pub set: FilterSet,
}

impl FilterArgs {
    /// The command line's filters (checked before any download, so a typo
    /// does not wait for a capture to stop first).
    pub fn explicit(&self) -> anyhow::Result<Option<FilterSet>> {
        if !self.flags.given() {
            return Ok(None);
        }
        self.flags.filter_set().map(Some)
    }
}

/// Chooses the filters: the command line's (`explicit`), else the
/// capture's, else none.
pub fn choose(
    args: &FilterArgs,
    explicit: Option<FilterSet>,
    capture: Option<(&str, &[CaptureFilter])>,
) -> anyhow::Result<Plan> {
    if let Some(set) = explicit {
        return Ok(Plan {
            origin: Origin::Flags,
            set,
        });
    }
    let none = |why| Plan {
        origin: Origin::None(why),
        set: FilterSet::new(Vec::new(), None),
    };
    let Some((name, filters)) = capture else {
        return Ok(none(NoFilters::Url));
    };
    if args.no_capture_filters {
        return Ok(none(NoFilters::Disabled));
    }
    if filters.is_empty() {
        return Ok(none(NoFilters::CaptureHasNone));
    }
    let mut parsed = Vec::with_capacity(filters.len());
    for (i, f) in filters.iter().enumerate() {
        parsed.push(f.to_packet_filter().with_context(|| {
            format!(
                "filter {} of capture '{name}'\nhint: give filters with --filter, or --no-capture-filters",
                i + 1
            )
        })?);
    }
    Ok(Plan {
        origin: Origin::Capture(name.to_owned()),
        set: FilterSet::new(parsed, None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use nwcap_filter::from_filter_json;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        f: FilterArgs,
    }

    fn args(a: &[&str]) -> FilterArgs {
        let mut v = vec!["x"];
        v.extend_from_slice(a);
        Cli::try_parse_from(v).expect("parse").f
    }

    fn tcp443() -> CaptureFilter {
        CaptureFilter {
            protocol: Some(nwcap_arm::types::Protocol::Tcp),
            local_port: Some("443".into()),
            ..Default::default()
        }
    }

    #[test]
    fn capture_filters_are_reapplied_unless_replaced() {
        let none = args(&[]);
        let caps = [tcp443()];
        let p = choose(&none, none.explicit().expect("ok"), Some(("c1", &caps))).expect("plan");
        assert_eq!(p.origin, Origin::Capture("c1".into()));
        assert_eq!(p.set.filters().len(), 1);
        let json = serde_json::to_string(&p.set.filters()).expect("json");
        let back = from_filter_json(&json).expect("json");
        assert_eq!(back, p.set.filters());

        let flags = args(&["--protocol", "UDP", "--remote-port", "53"]);
        let p = choose(&flags, flags.explicit().expect("ok"), Some(("c1", &caps))).expect("plan");
        assert_eq!(p.origin, Origin::Flags);
        assert_eq!(p.set.filters().len(), 1);
        assert_eq!(
            p.set.filters()[0].to_string(),
            r#"{"protocol":"UDP","remotePort":"53"}"#
        );

        let off = args(&["--no-capture-filters"]);
        let p = choose(&off, None, Some(("c1", &caps))).expect("plan");
        assert_eq!(p.origin, Origin::None(NoFilters::Disabled));
        assert!(p.set.is_match_all());

        let p = choose(&none, None, None).expect("plan");
        assert_eq!(p.origin, Origin::None(NoFilters::Url));
        let p = choose(&none, None, Some(("c1", &[]))).expect("plan");
        assert_eq!(p.origin, Origin::None(NoFilters::CaptureHasNone));
    }

    #[test]
    fn bad_capture_filter_names_the_capture() {
        let none = args(&[]);
        let bad = [CaptureFilter {
            local_port: Some("http".into()),
            ..Default::default()
        }];
        let e = choose(&none, None, Some(("c9", &bad))).expect_err("bad port");
        let msg = format!("{e:#}");
        assert!(msg.contains("filter 1 of capture 'c9'"), "{msg}");
        assert!(args(&["--filter", "{"]).explicit().is_err());
        assert!(Cli::try_parse_from(["x", "--no-capture-filters", "--protocol", "TCP"]).is_err());
    }
}
