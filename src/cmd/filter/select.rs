//! Decode and match every record, in parallel over chunks.
//!
//! Each worker walks one chunk and keeps the matching records as borrowed
//! views (timestamp, offset, bytes) into the mapped file; nothing is copied
//! and nothing is written here, so the output stays one sequential pass.
//! Results come back in chunk order: concatenated, they are in file order.

use nwcap_filter::FilterSet;
use nwcap_flows::PacketSummary;
use nwcap_pcap::{Index, Record, decode};

use super::flows::FlowSelection;
use super::settings::Window;

pub(super) use nwcap_engine::five_tuple as tuple;

/// What decides whether a packet is kept: filters AND time window AND flows.
pub(super) struct Matcher<'s> {
    pub filters: &'s FilterSet,
    pub window: Window,
    pub flows: Option<&'s FlowSelection>,
}

/// The kept records of one input and the counts behind them.
#[derive(Debug, Default)]
pub(super) struct Selection<'a> {
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
