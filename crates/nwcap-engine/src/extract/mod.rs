//! The forensic extract of `nwcap filter`: decode and match every record
//! of indexed inputs in parallel over chunks, then merge the inputs by
//! time.
//!
//! Each worker walks one chunk and keeps the matching records as borrowed
//! views (timestamp, offset, bytes) into the mapped file; nothing is copied
//! and nothing is written here, so the output stays one sequential pass.
//! Results come back in chunk order: concatenated, they are in file order.
//! Packets match as the flow engine matches them ([`five_tuple`]), and
//! `--flow` ids are found by running the engine itself ([`find_flows`]).

mod flows;
mod merge;

pub use flows::{FlowSelection, find_flows};
pub use merge::by_time;

use nwcap_filter::FilterSet;
use nwcap_flows::PacketSummary;
use nwcap_pcap::{Index, Record, decode};

use crate::five_tuple as tuple;

/// A time window: `from <= ts < to`, ns since the epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Start (inclusive).
    pub from: Option<i64>,
    /// End (exclusive).
    pub to: Option<i64>,
}

impl Window {
    /// Whether `ts` is in the window.
    #[inline]
    pub fn contains(&self, ts: i64) -> bool {
        self.from.is_none_or(|f| ts >= f) && self.to.is_none_or(|t| ts < t)
    }

    /// True when the window holds all time.
    pub fn is_all(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }
}

/// What decides whether a packet is kept: filters AND time window AND flows.
pub struct Matcher<'s> {
    /// The filters (OR-ed).
    pub filters: &'s FilterSet,
    /// The time window.
    pub window: Window,
    /// The flows asked for, if any.
    pub flows: Option<&'s FlowSelection>,
    /// Told, as each chunk is done, the bytes of the capture (as decoded,
    /// `Capture::data`) it stands for: its share of the file by records.
    pub progress: Option<&'s dyn crate::Progress>,
}

/// The kept records of one input and the counts behind them.
#[derive(Debug, Default)]
pub struct Selection<'a> {
    /// Kept records, in file order.
    pub kept: Vec<Record<'a>>,
    /// Records read.
    pub read: u64,
    /// Records outside the time window.
    pub outside_window: u64,
    /// Per filter: kept packets it matched.
    pub per_filter: Vec<u64>,
    /// Records that are not IP (or not decodable to IP), dropped because
    /// filters or flows were given.
    pub not_ip: u64,
}

/// The bytes of `idx`'s capture that `records` of its records stand for
/// (all of it for all of them; chunks hold whole records, so shares add up
/// to the size but for rounding).
fn share(idx: &Index<'_>, records: u64) -> u64 {
    let size = idx.capture().data().len() as u64;
    match idx.stats.packets {
        0 => 0,
        n => (u128::from(size) * u128::from(records.min(n)) / u128::from(n)) as u64,
    }
}

impl Matcher<'_> {
    /// Select the records of one input.
    pub fn select<'a>(&self, idx: &Index<'a>) -> Selection<'a> {
        let n = self.filters.filters().len();
        let keep_all = self.filters.is_match_all() && self.flows.is_none();
        let parts: Vec<Selection<'a>> = idx.map_chunks(|_, records| {
            let mut part = Selection {
                per_filter: vec![0; n],
                ..Selection::default()
            };
            for rec in records {
                part.read += 1;
                if !self.window.contains(rec.ts) {
                    part.outside_window += 1;
                    continue;
                }
                if keep_all {
                    part.kept.push(rec);
                    continue;
                }
                let pkt = decode::decode(rec.linktype, rec.data);
                let Some(t) = tuple(&pkt) else {
                    part.not_ip += 1;
                    continue;
                };
                if !self.filters.matches(&t) {
                    continue;
                }
                if let Some(flows) = self.flows {
                    match PacketSummary::new(0, 0, &rec, &pkt) {
                        Ok(s) if flows.contains(&s) => {}
                        _ => continue,
                    }
                }
                for i in self.filters.matching(&t) {
                    part.per_filter[i] += 1;
                }
                part.kept.push(rec);
            }
            if let Some(p) = self.progress {
                p.advance(share(idx, part.read));
            }
            part
        });
        let mut all = Selection {
            per_filter: vec![0; n],
            ..Selection::default()
        };
        all.kept.reserve(parts.iter().map(|p| p.kept.len()).sum());
        for p in parts {
            all.read += p.read;
            all.outside_window += p.outside_window;
            all.not_ip += p.not_ip;
            for (a, b) in all.per_filter.iter_mut().zip(&p.per_filter) {
                *a += b;
            }
            all.kept.extend(p.kept);
        }
        all
    }
}
