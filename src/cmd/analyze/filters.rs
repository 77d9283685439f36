//! Which filters `nwcap analyze` applies, and where they came from.
//!
//! A capture's own `properties.filters` are re-applied by default, so the
//! flow table shows what the capture was meant to capture even when the
//! file holds more (a file uploaded by hand, a capture whose filters were
//! edited). A URL has no capture resource, so no filters unless given.
//! Filters on the command line replace the capture's (the same flags as
//! `nwcap flows`), and `--no-capture-filters` analyses every packet.
//!
//! The chosen set is handed to the flow engine through `nwcap flows`'s own
//! input flags (capture filters as their ARM JSON, which is exactly what
//! `--filter` reads), so both commands filter by one code path.

use std::path::PathBuf;

use anyhow::Context;
use nwcap_arm::types::CaptureFilter;
use nwcap_filter::{FilterFlags, FilterSet, PacketFilter, from_capture_json, from_filter_json};

use crate::cmd::flowopts::InputArgs;

/// Filter flags of `nwcap analyze` (as `nwcap flows`'s).
#[derive(Debug, Clone, clap::Args)]
pub struct FilterArgs {
    /// Transport protocol: TCP, UDP or Any.
    #[arg(
        long,
        value_name = "PROTO",
        help_heading = "Filters (replace the capture's)"
    )]
    pub protocol: Option<String>,
    /// Addresses of the capture target (`10.0.0.4`, `10.0.0.0/24`,
    /// `10.0.0.1-10.0.0.9`, `;`-separated).
    #[arg(
        long,
        value_name = "ADDRS",
        help_heading = "Filters (replace the capture's)"
    )]
    pub local_ip: Option<String>,
    /// Ports of the capture target end (`80;443`, `1024-65535`).
    #[arg(
        long,
        value_name = "PORTS",
        help_heading = "Filters (replace the capture's)"
    )]
    pub local_port: Option<String>,
    /// Addresses of the other end.
    #[arg(
        long,
        value_name = "ADDRS",
        help_heading = "Filters (replace the capture's)"
    )]
    pub remote_ip: Option<String>,
    /// Ports of the other end.
    #[arg(
        long,
        value_name = "PORTS",
        help_heading = "Filters (replace the capture's)"
    )]
    pub remote_port: Option<String>,
    /// Network Watcher filters as JSON: one filter object or an array
    /// (repeatable). All filters are OR-ed.
    #[arg(
        long,
        value_name = "JSON",
        help_heading = "Filters (replace the capture's)"
    )]
    pub filter: Vec<String>,
    /// Read filters from a file: a packet capture resource (REST API or
    /// `nwcap capture show --output json`), or a filters array.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Filters (replace the capture's)"
    )]
    pub filters_from: Option<PathBuf>,
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
    /// How to pass them to the flow engine.
    flows: FlowsFilter,
}

#[derive(Debug, Clone)]
enum FlowsFilter {
    None,
    Flags(FilterArgs),
    Json(String),
}

impl FilterArgs {
    fn flags(&self) -> FilterFlags<'_> {
        FilterFlags {
            protocol: self.protocol.as_deref(),
            local_ip: self.local_ip.as_deref(),
            local_port: self.local_port.as_deref(),
            remote_ip: self.remote_ip.as_deref(),
            remote_port: self.remote_port.as_deref(),
        }
    }

    /// Whether any filter was given on the command line.
    pub fn given(&self) -> bool {
        !self.flags().is_empty() || !self.filter.is_empty() || self.filters_from.is_some()
    }

    /// The command line's filters (checked before any download, so a typo
    /// does not wait for a capture to stop first).
    pub fn explicit(&self) -> anyhow::Result<Option<FilterSet>> {
        if !self.given() {
            return Ok(None);
        }
        let flags = self.flags();
        let mut filters: Vec<PacketFilter> = flags.filter()?.into_iter().collect();
        for text in &self.filter {
            filters.extend(from_filter_json(text).context("--filter")?);
        }
        if let Some(path) = &self.filters_from {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--filters-from {}", path.display()))?;
            filters.extend(
                from_capture_json(&text)
                    .with_context(|| format!("--filters-from {}", path.display()))?,
            );
        }
        Ok(Some(FilterSet::new(filters, flags.local_ips()?)))
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
            flows: FlowsFilter::Flags(args.clone()),
        });
    }
    let none = |why| Plan {
        origin: Origin::None(why),
        set: FilterSet::new(Vec::new(), None),
        flows: FlowsFilter::None,
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
    let json = serde_json::to_string(&parsed).context("encoding the capture's filters")?;
    Ok(Plan {
        origin: Origin::Capture(name.to_owned()),
        set: FilterSet::new(parsed, None),
        flows: FlowsFilter::Json(json),
    })
}

impl Plan {
    /// `nwcap flows`'s input flags for `files` with these filters.
    pub fn input_args(&self, files: Vec<PathBuf>, timeouts: &super::Timeouts) -> InputArgs {
        let mut input = InputArgs {
            files,
            protocol: None,
            local_ip: None,
            local_port: None,
            remote_ip: None,
            remote_port: None,
            filter: Vec::new(),
            filters_from: None,
            tcp_timeout: timeouts.tcp_timeout,
            udp_timeout: timeouts.udp_timeout,
            icmp_timeout: timeouts.icmp_timeout,
        };
        match &self.flows {
            FlowsFilter::None => {}
            FlowsFilter::Json(json) => input.filter.push(json.clone()),
            FlowsFilter::Flags(a) => {
                input.protocol = a.protocol.clone();
                input.local_ip = a.local_ip.clone();
                input.local_port = a.local_port.clone();
                input.remote_ip = a.remote_ip.clone();
                input.remote_port = a.remote_port.clone();
                input.filter = a.filter.clone();
                input.filters_from = a.filters_from.clone();
            }
        }
        input
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

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
        let t = Timeouts::default();
        let input = p.input_args(vec![], &t);
        let back = from_filter_json(&input.filter[0]).expect("json");
        assert_eq!(back, p.set.filters());

        let flags = args(&["--protocol", "UDP", "--remote-port", "53"]);
        let p = choose(&flags, flags.explicit().expect("ok"), Some(("c1", &caps))).expect("plan");
        assert_eq!(p.origin, Origin::Flags);
        let input = p.input_args(vec![], &t);
        assert_eq!(input.protocol.as_deref(), Some("UDP"));
        assert!(input.filter.is_empty());

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

    use super::super::Timeouts;
}
