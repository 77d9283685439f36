//! How many packets the filters keep and drop, for the stderr report.
//!
//! The flow engine drops filtered packets without counting them (its hot
//! path stays free of shared counters), so this is a separate pass over the
//! downloaded files: each file mapped and indexed, its chunks decoded and
//! matched in parallel with the same five-tuple and the same [`FilterSet`]
//! the engine uses (via `nwcap flows`'s filter flags), so the counts are
//! the engine's. It runs only when some filter is applied; files that
//! cannot be opened are left to the flow engine to report.

use std::io::{self, Write};
use std::path::PathBuf;

use nwcap_filter::FilterSet;
use nwcap_pcap::{Capture, decode};

use super::filters::{NoFilters, Origin, Plan};
use crate::cmd::flowopts::tuple;

/// Packet counts over all files.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Records read.
    pub read: u64,
    /// Records kept (matched by some filter).
    pub kept: u64,
    /// Records dropped because they are not IP (no five-tuple to match).
    pub not_ip: u64,
    /// Per filter: packets it matched (a packet can match several).
    pub per_filter: Vec<u64>,
    /// Files counted.
    pub files: usize,
}

impl Counts {
    /// Records dropped by the filters (not IP included).
    pub fn dropped(&self) -> u64 {
        self.read - self.kept
    }

    fn add(&mut self, o: &Counts) {
        self.read += o.read;
        self.kept += o.kept;
        self.not_ip += o.not_ip;
        for (a, b) in self.per_filter.iter_mut().zip(&o.per_filter) {
            *a += b;
        }
    }
}

/// Counts what `set` keeps of `files` (parallel over chunks).
pub fn count(files: &[PathBuf], set: &FilterSet) -> Counts {
    let n = set.filters().len();
    let mut all = Counts {
        per_filter: vec![0; n],
        ..Counts::default()
    };
    for path in files {
        let Ok(cap) = Capture::open(path) else {
            continue;
        };
        let idx = cap.index();
        let parts = idx.map_chunks(|_, records| {
            let mut c = Counts {
                per_filter: vec![0; n],
                ..Counts::default()
            };
            for rec in records {
                c.read += 1;
                let pkt = decode::decode(rec.linktype, rec.data);
                let Some(t) = tuple(&pkt) else {
                    c.not_ip += 1;
                    continue;
                };
                let mut hit = false;
                for i in set.matching(&t) {
                    hit = true;
                    c.per_filter[i] += 1;
                }
                c.kept += u64::from(hit);
            }
            c
        });
        for p in &parts {
            all.add(p);
        }
        all.files += 1;
    }
    all
}

/// Says on `err` which filters were applied and what they dropped.
pub fn report(err: &mut impl Write, plan: &Plan, counts: Option<&Counts>) -> io::Result<()> {
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
                c.files,
                plural(c.files),
                c.kept,
                c.dropped()
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
            not_ip: 1,
            per_filter: vec![4],
            files: 1,
        };
        let mut out = Vec::new();
        report(&mut out, &plan, Some(&counts)).expect("write");
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
