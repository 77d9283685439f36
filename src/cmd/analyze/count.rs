//! The stderr report of `nwcap analyze`: which filters were applied, where
//! they came from, and what they kept and dropped: the engine's own counts
//! (one pass: the packets are counted where the engine filters them).

use std::io::{self, Write};

use nwcap_engine::Counts;

use super::filters::{NoFilters, Origin, Plan};

/// Says on `err` which filters were applied and what they dropped.
pub fn report(
    err: &mut impl Write,
    plan: &Plan,
    counts: Option<&Counts>,
    files: usize,
) -> io::Result<()> {
    let n = plan.set.filters().len();
    match &plan.origin {
        Origin::Capture(name) => writeln!(
            err,
            "nwcap analyze: re-applied the {n} filter{} of capture '{name}' (OR-ed)",
            plural(n)
        )?,
        Origin::Flags => writeln!(
            err,
            "nwcap analyze: applied {n} filter{} from the command line (OR-ed; the capture's own are not used)",
            plural(n)
        )?,
        Origin::None(why) => {
            let text = match why {
                NoFilters::CaptureHasNone => "the capture has no filters",
                NoFilters::Url => {
                    "a url has no capture resource (give --filter or --filters-from to apply some)"
                }
                NoFilters::Disabled => "--no-capture-filters",
            };
            return writeln!(
                err,
                "nwcap analyze: no filters applied: {text}; every packet is analysed"
            );
        }
    }
    for (i, f) in plan.set.filters().iter().enumerate() {
        match counts {
            Some(c) => writeln!(err, "  filter {} {f}: {} packets", i + 1, c.per_filter[i])?,
            None => writeln!(err, "  filter {} {f}", i + 1)?,
        }
    }
    if let Some(ips) = plan.set.local_ips() {
        writeln!(err, "  local end: {ips}")?;
    }
    match counts {
        Some(c) if plan.set.is_match_all() => writeln!(
            err,
            "  {} packets read: the filters match every packet, none dropped",
            c.read
        ),
        Some(c) => {
            let not_ip = if c.not_ip > 0 {
                format!(" ({} without IP)", c.not_ip)
            } else {
                String::new()
            };
            writeln!(
                err,
                "  {} packets read from {} file{}: {} kept, {} dropped by the filters{not_ip}",
                c.read,
                files,
                plural(files),
                c.kept,
                c.dropped
            )
        }
        None => Ok(()),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_names_origin_and_counts() {
        let f = nwcap_filter::filter_from_json(r#"{"protocol":"UDP","remotePort":"53"}"#)
            .expect("filter");
        let args = <super::super::filters::FilterArgs as clap::FromArgMatches>::from_arg_matches(
            &<super::super::filters::FilterArgs as clap::Args>::augment_args(clap::Command::new(
                "x",
            ))
            .get_matches_from(["x"]),
        )
        .expect("args");
        let caps = [nwcap_arm::types::CaptureFilter::from(&f)];
        let plan = super::super::filters::choose(&args, None, Some(("c1", &caps))).expect("plan");
        let counts = Counts {
            read: 10,
            kept: 4,
            dropped: 6,
            not_ip: 1,
            per_filter: vec![4],
            ..Counts::default()
        };
        let mut out = Vec::new();
        report(&mut out, &plan, Some(&counts), 1).expect("write");
        let s = String::from_utf8(out).expect("utf8");
        assert!(s.contains("re-applied the 1 filter of capture 'c1'"), "{s}");
        assert!(
            s.contains(r#"filter 1 {"protocol":"UDP","remotePort":"53"}: 4 packets"#),
            "{s}"
        );
        assert!(
            s.contains(
                "10 packets read from 1 file: 4 kept, 6 dropped by the filters (1 without IP)"
            ),
            "{s}"
        );
    }
}
