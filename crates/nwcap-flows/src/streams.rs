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
        // The oldest stream leaves; entries of `order` whose stream left
        // already (taken, or kept again later) are passed over.
        while self.map.len() >= CAPACITY
            && let Some((old, t)) = self.order.pop_front()
        {
            if self.map.get(&old).is_some_and(|e| e.1 == t) {
                self.map.remove(&old);
            }
        }
        self.map.insert(key, (analysis, at));
        self.order.push_back((key, at));
        // Streams taken back leave their entries behind: dropped when they
        // outnumber the streams (`order` stays bounded too).
        if self.order.len() > 2 * CAPACITY {
            let map = &self.map;
            self.order
                .retain(|(k, t)| map.get(k).is_some_and(|e| e.1 == *t));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u128) -> PackedKey {
        PackedKey {
            a: i,
            b: i + 1,
            proto: 6,
            ..PackedKey::default()
        }
    }

    /// At most [`CAPACITY`] streams are held, also when the oldest entries
    /// of the order are of streams taken or kept again since (they used
    /// to let the map grow past its bound: each new stream passed over one
    /// of them and removed nothing).
    #[test]
    fn holds_at_most_its_capacity() {
        let mut e = EndedStreams::default();
        let n = CAPACITY as u128;
        // Streams taken back (a new flow of the 5-tuple came) and streams
        // kept twice leave stale entries at the front of the order.
        for i in 0..n / 2 {
            e.keep(key(i), TcpAnalysis::default(), 1);
            assert!(e.take(&key(i), 2, 10).is_some());
        }
        for i in n / 2..n {
            e.keep(key(i), TcpAnalysis::default(), 1);
            e.keep(key(i), TcpAnalysis::default(), 2);
        }
        for i in n..4 * n {
            e.keep(key(i), TcpAnalysis::default(), 3);
            assert!(e.map.len() <= CAPACITY, "{} streams held", e.map.len());
        }
        // A stream kept and taken back over and over (a 5-tuple reused
        // within the TCP timeout) leaves the order bounded too.
        for t in 0..10 * CAPACITY as i64 {
            e.keep(key(0), TcpAnalysis::default(), 4 + t);
            assert!(e.take(&key(0), 4 + t, 10).is_some());
            assert!(e.order.len() <= 2 * CAPACITY, "{} entries", e.order.len());
        }
        // The newest are those held, the oldest left first.
        assert!(e.take(&key(4 * n - 1), 10, 10).is_some());
        assert!(e.take(&key(n), 3, 10).is_none());
    }
}
