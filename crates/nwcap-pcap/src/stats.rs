//! File statistics gathered during the index pass (what `nwcap info` shows).

use crate::pcapng::NO_TIMESTAMP;
use crate::record::{LinkType, Record, TimestampNs};

/// Counters over the records of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Records read.
    pub packets: u64,
    /// Sum of captured lengths.
    pub captured_bytes: u64,
    /// Sum of original (wire) lengths.
    pub original_bytes: u64,
    /// Records whose captured length is below the original length.
    pub truncated: u64,
    /// Records without a timestamp (pcapng simple packet blocks).
    pub no_timestamp: u64,
    /// NetMon's own information/event frames (not network frames).
    pub non_network: u64,
    /// Earliest timestamp.
    pub first_ts: Option<TimestampNs>,
    /// Latest timestamp.
    pub last_ts: Option<TimestampNs>,
    /// True while every timestamp is >= the one before it.
    pub in_order: bool,
    /// Timestamp of the previous record, for the order check.
    prev_ts: Option<TimestampNs>,
    /// Largest captured length.
    pub max_caplen: u32,
    /// Packets per interface (global interface index).
    pub per_interface: Vec<u64>,
}

impl Stats {
    /// Empty statistics (in order until proven otherwise).
    pub fn new() -> Stats {
        Stats {
            in_order: true,
            ..Stats::default()
        }
    }

    /// Count one record.
    #[inline]
    pub fn add(&mut self, r: &Record<'_>) {
        self.packets += 1;
        let caplen = r.caplen();
        self.captured_bytes += u64::from(caplen);
        self.original_bytes += u64::from(r.origlen);
        self.truncated += u64::from(caplen < r.origlen);
        self.max_caplen = self.max_caplen.max(caplen);
        if r.linktype == LinkType::NETMON_INFO {
            self.non_network += 1;
        }
        let i = r.interface as usize;
        if i < self.per_interface.len() {
            self.per_interface[i] += 1;
        } else if i < 1 << 20 {
            self.per_interface.resize(i + 1, 0);
            self.per_interface[i] += 1;
        }
        if r.ts == NO_TIMESTAMP {
            self.no_timestamp += 1;
            return;
        }
        if self.prev_ts.is_some_and(|p| r.ts < p) {
            self.in_order = false;
        }
        self.prev_ts = Some(r.ts);
        self.first_ts = Some(self.first_ts.map_or(r.ts, |f| f.min(r.ts)));
        self.last_ts = Some(self.last_ts.map_or(r.ts, |l| l.max(r.ts)));
    }

    /// Duration between first and last timestamp, in ns.
    pub fn duration_ns(&self) -> i64 {
        match (self.first_ts, self.last_ts) {
            (Some(f), Some(l)) => l.saturating_sub(f),
            _ => 0,
        }
    }
}
