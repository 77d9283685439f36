//! What the page needs of the packets themselves (the throughput timeline,
//! what the packets were, each file's statistics), gathered in the
//! engine's one pass: [`PacketObserver`] is a `nwcap_engine::Observer`,
//! each chunk of records tallied on its worker and merged in order.

use std::sync::Mutex;

use nwcap_engine::{FileReport, GroupInfo, Observer, Tally};
use nwcap_pcap::pcapng::NO_TIMESTAMP;
use nwcap_pcap::{LinkType, Packet, Record, Severity};
use rustc_hash::FxHashMap;

use crate::builder::{NOT_IP_CLASS, ReportBuilder, protocol_class};
use crate::data::{CaptureSummary, DamageNote, FileSummary, PacketCounts};
use crate::timeline::Timeline;

/// One file's statistics, as `nwcap info` has them.
#[derive(Debug, Clone, Default)]
struct FileStats {
    packets: u64,
    captured: u64,
    original: u64,
    truncated: u64,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    link_types: Vec<LinkType>,
}

impl FileStats {
    fn add(&mut self, r: &Record<'_>) {
        self.packets += 1;
        self.captured += u64::from(r.caplen());
        self.original += u64::from(r.origlen);
        self.truncated += u64::from(r.truncated());
        if r.ts != NO_TIMESTAMP {
            self.first_ts = Some(self.first_ts.map_or(r.ts, |t| t.min(r.ts)));
            self.last_ts = Some(self.last_ts.map_or(r.ts, |t| t.max(r.ts)));
        }
        if !self.link_types.contains(&r.linktype) {
            self.link_types.push(r.linktype);
        }
    }

    fn merge(&mut self, o: &FileStats) {
        self.packets += o.packets;
        self.captured += o.captured;
        self.original += o.original;
        self.truncated += o.truncated;
        self.first_ts = min_opt(self.first_ts, o.first_ts);
        self.last_ts = self.last_ts.max(o.last_ts);
        for l in &o.link_types {
            if !self.link_types.contains(l) {
                self.link_types.push(*l);
            }
        }
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// The packets' share of the report.
#[derive(Debug)]
struct Packets {
    group: usize,
    timeline: Timeline,
    counts: PacketCounts,
    non_ip: FxHashMap<u16, u64>,
    dropped: u64,
    /// Per (group, file index).
    files: FxHashMap<(usize, u32), FileStats>,
}

impl Packets {
    fn new(group: usize) -> Packets {
        Packets {
            group,
            timeline: ReportBuilder::packet_timeline(),
            counts: PacketCounts::default(),
            non_ip: FxHashMap::default(),
            dropped: 0,
            files: FxHashMap::default(),
        }
    }
}

impl Tally for Packets {
    fn record(&mut self, file: u32, r: &Record<'_>, pkt: &Packet<'_>, kept: bool) {
        self.files.entry((self.group, file)).or_default().add(r);
        let c = &mut self.counts;
        c.records += 1;
        c.wire_bytes += u64::from(r.origlen);
        let untimed = r.ts == NO_TIMESTAMP;
        c.untimed += u64::from(untimed);
        if !untimed {
            c.first_ts = min_opt(c.first_ts, Some(r.ts));
            c.last_ts = c.last_ts.max(Some(r.ts));
        }
        let class = if !nwcap_pcap::decode::supported(r.linktype) {
            c.undecoded += 1;
            NOT_IP_CLASS
        } else if pkt.ip.is_some() {
            c.ip += 1;
            protocol_class(pkt)
        } else {
            c.non_ip += 1;
            *self.non_ip.entry(pkt.non_ip.unwrap_or(0)).or_default() += 1;
            NOT_IP_CLASS
        };
        if !kept {
            self.dropped += 1;
            return;
        }
        if !untimed {
            self.timeline.add(r.ts, u64::from(r.origlen), class);
        }
    }

    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

/// Gathers the packets' share of a report during the engine's run.
#[derive(Debug)]
pub struct PacketObserver {
    all: Mutex<Packets>,
    filtered: bool,
}

impl PacketObserver {
    /// An empty observer; `filtered`: the run has filters (the page says
    /// how many packets they dropped).
    pub fn new(filtered: bool) -> PacketObserver {
        PacketObserver {
            all: Mutex::new(Packets::new(0)),
            filtered,
        }
    }

    /// The capture summary and the throughput timeline, once the run is
    /// over: `files` are the engine's reports of the inputs, `groups` the
    /// groups the sink saw (their file names index the tallies).
    pub fn finish(self, files: &[FileReport], groups: &[GroupInfo]) -> (CaptureSummary, Timeline) {
        let all = self
            .all
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut summary = CaptureSummary {
            files: Vec::with_capacity(files.len()),
            packets: all.counts,
        };
        for f in files {
            let index = groups
                .iter()
                .find(|g| g.index == f.group)
                .and_then(|g| g.files.iter().position(|n| *n == f.name));
            let stats = index
                .and_then(|i| {
                    all.files
                        .get(&(f.group, u32::try_from(i).unwrap_or(u32::MAX)))
                })
                .cloned()
                .unwrap_or_default();
            summary.files.push(FileSummary {
                name: f.name.clone(),
                format: f.format.map(|x| x.name().to_owned()),
                compressed: f.compressed,
                link_types: stats.link_types.iter().map(|l| l.name()).collect(),
                packets: stats.packets,
                captured_bytes: stats.captured,
                original_bytes: stats.original,
                truncated: stats.truncated,
                first_ts: stats.first_ts,
                last_ts: stats.last_ts,
                damage: f
                    .damage
                    .iter()
                    .map(|d| DamageNote {
                        severity: match d.severity {
                            Severity::Error => "error",
                            Severity::Warning => "warning",
                        }
                        .to_owned(),
                        offset: d.offset,
                        message: d.message.clone(),
                    })
                    .collect(),
                error: f.error.clone(),
            });
        }
        if self.filtered {
            summary.packets.filtered_out = Some(all.dropped);
        }
        let mut types: Vec<(u16, u64)> = all.non_ip.into_iter().collect();
        types.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        summary.packets.non_ip_types = types;
        (summary, all.timeline)
    }
}

impl Observer for PacketObserver {
    fn tally(&self, group: usize) -> Box<dyn Tally> {
        Box::new(Packets::new(group))
    }

    fn merge(&self, tally: Box<dyn Tally>) {
        let Ok(t) = tally.into_any().downcast::<Packets>() else {
            return;
        };
        let Ok(mut all) = self.all.lock() else {
            return;
        };
        all.timeline.merge(&t.timeline);
        let (a, b) = (&mut all.counts, &t.counts);
        a.records += b.records;
        a.wire_bytes += b.wire_bytes;
        a.ip += b.ip;
        a.non_ip += b.non_ip;
        a.undecoded += b.undecoded;
        a.untimed += b.untimed;
        a.first_ts = min_opt(a.first_ts, b.first_ts);
        a.last_ts = a.last_ts.max(b.last_ts);
        all.dropped += t.dropped;
        for (k, v) in &t.non_ip {
            *all.non_ip.entry(*k).or_default() += v;
        }
        for (k, v) in &t.files {
            all.files.entry(*k).or_default().merge(v);
        }
    }
}
