//! Wireshark's TCP analysis state of TCP flows that ended (by Zeek's rules)
//! while their 5-tuple may still carry packets: Wireshark keeps one TCP
//! stream across those ends, so a later packet of the same 5-tuple
//! continues its analysis (a retransmitted FIN 20 s after the close is
//! still a retransmission), up to the TCP timeout after the flow's last
//! packet. Whether a flow ended by its next packet or by a sweep, the same
//! rule applies (so the result does not depend on when a table swept).
//! Bounded: entries older than the TCP timeout leave, and the oldest
//! leaves first when full.

use std::collections::VecDeque;

use nwcap_pcap::TimestampNs;
use rustc_hash::FxHashMap;

use crate::analysis::TcpAnalysis;
use crate::packed::PackedKey;

/// Most ended streams remembered per table.
const CAPACITY: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct EndedStreams {
    map: FxHashMap<PackedKey, (TcpAnalysis, TimestampNs)>,
    order: VecDeque<(PackedKey, TimestampNs)>,
}

impl EndedStreams {
    /// Remembers the analysis of a flow of `key` that ended at `at`.
    pub fn keep(&mut self, key: PackedKey, analysis: TcpAnalysis, at: TimestampNs) {
        if self.map.len() >= CAPACITY
            && let Some((old, t)) = self.order.pop_front()
            && self.map.get(&old).is_some_and(|e| e.1 == t)
        {
            self.map.remove(&old);
        }
        self.map.insert(key, (analysis, at));
        self.order.push_back((key, at));
    }

    /// The analysis of a flow of `key` that ended at most `ttl` before
    /// `ts`, taken out.
    pub fn take(&mut self, key: &PackedKey, ts: TimestampNs, ttl: i64) -> Option<TcpAnalysis> {
        let (a, at) = self.map.remove(key)?;
        (ts.saturating_sub(at) <= ttl).then_some(a)
    }

    /// Forgets streams that ended more than `ttl` before `now`.
    pub fn expire(&mut self, now: TimestampNs, ttl: i64) {
        while let Some(&(k, t)) = self.order.front() {
            if now.saturating_sub(t) <= ttl {
                break;
            }
            self.order.pop_front();
            if self.map.get(&k).is_some_and(|e| e.1 == t) {
                self.map.remove(&k);
            }
        }
    }
}
