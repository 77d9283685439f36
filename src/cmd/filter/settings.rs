//! The flags resolved once into the objects the command runs with.

use nwcap_engine::extract::Window;
use nwcap_filter::{FilterFlags, FilterSet};

use crate::cmd::input::filter_set;

use super::Args;
use super::output::Target;

pub(super) struct Settings {
    pub filters: FilterSet,
    pub window: Window,
    /// `--flow` ids, when given.
    pub flows: Option<Vec<String>>,
    pub community_id_seed: u16,
    pub output: Target,
}

impl Settings {
    pub fn resolve(args: &Args) -> anyhow::Result<Settings> {
        let flags = FilterFlags {
            protocol: args.protocol.as_deref(),
            local_ip: args.local_ip.as_deref(),
            local_port: args.local_port.as_deref(),
            remote_ip: args.remote_ip.as_deref(),
            remote_port: args.remote_port.as_deref(),
        };
        let filters = filter_set(flags, &args.filter, args.filters_from.as_deref())?;
        let window = Window {
            from: args
                .from
                .as_deref()
                .map(|t| parse_time("--from", t))
                .transpose()?,
            to: args
                .to
                .as_deref()
                .map(|t| parse_time("--to", t))
                .transpose()?,
        };
        if let (Some(f), Some(t)) = (window.from, window.to)
            && f >= t
        {
            anyhow::bail!("--from must be before --to");
        }
        let flows = if args.flow.is_empty() {
            None
        } else {
            let ids: Vec<String> = args
                .flow
                .iter()
                .flat_map(|s| s.split(','))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            for id in &ids {
                if !(id.starts_with('C') || id.starts_with("1:")) {
                    anyhow::bail!(
                        "--flow: {id:?} is not a flow uid (C...) or a community id (1:...)"
                    );
                }
            }
            Some(ids)
        };
        Ok(Settings {
            filters,
            window,
            flows,
            community_id_seed: args.community_id_seed,
            output: Target::new(&args.output),
        })
    }
}

/// Parse `--from`/`--to`: RFC 3339 (`2024-05-01T10:00:00Z`,
/// `2024-05-01T12:00:00.5+02:00`) or epoch seconds with up to nine
/// decimals (`1714557600.25`). Exact to the nanosecond.
pub(super) fn parse_time(flag: &str, text: &str) -> anyhow::Result<i64> {
    let t = text.trim();
    if let Some(ns) = epoch_ns(t) {
        return Ok(ns);
    }
    let dt = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            anyhow::anyhow!(
                "{flag}: {text:?} is not a time\nhint: use RFC 3339 (2024-05-01T10:00:00Z) or epoch seconds (1714557600.5)"
            )
        })?;
    i64::try_from(dt.unix_timestamp_nanos())
        .map_err(|_| anyhow::anyhow!("{flag}: {text:?} is out of range"))
}

fn epoch_ns(t: &str) -> Option<i64> {
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (secs, frac) = body.split_once('.').unwrap_or((body, ""));
    if secs.is_empty()
        || !secs.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 9
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    let ns = secs.checked_mul(1_000_000_000)?.checked_add(frac)?;
    Some(if neg { -ns } else { ns })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_exactly() {
        let p = |t| parse_time("--from", t).expect("time");
        assert_eq!(p("1368908504.837063"), 1_368_908_504_837_063_000);
        assert_eq!(p("0"), 0);
        assert_eq!(p("2013-05-18T20:21:44.837063Z"), 1_368_908_504_837_063_000);
        assert_eq!(
            p("2013-05-18T22:21:44.837063+02:00"),
            1_368_908_504_837_063_000
        );
        assert!(parse_time("--to", "yesterday").is_err());
        assert!(parse_time("--to", "1.0000000001").is_err());
    }

    #[test]
    fn window_is_half_open() {
        let w = Window {
            from: Some(10),
            to: Some(20),
        };
        assert!(w.contains(10) && w.contains(19));
        assert!(!w.contains(20) && !w.contains(9));
        assert!(Window::default().is_all());
    }
}
