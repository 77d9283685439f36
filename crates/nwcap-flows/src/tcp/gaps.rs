//! Content gaps: the part of Zeek's TCP reassembler that decides the `g`/`G`
//! history letters and `missed_bytes`.
//!
//! No bytes are kept: only which ranges of one endpoint's relative sequence
//! space were seen. Data is "delivered" in order from `last_reassem`; an
//! acknowledgement beyond what was delivered is a gap (Zeek's
//! `Undelivered`): the acked bytes never seen were missed. As in Zeek,
//! buffering gives up (no more gaps are reported) when more than
//! [`ABOVE_HOLE_LIMIT`] bytes wait above a hole before anything was acked,
//! or more than [`EXCESSIVE_DATA`] bytes wait for an acknowledgement.

/// Zeek's `tcp_max_above_hole_without_any_acks`.
const ABOVE_HOLE_LIMIT: u64 = 16_384;
/// Zeek's `tcp_excessive_data_without_further_acks`.
const EXCESSIVE_DATA: u64 = 10 * 1024 * 1024;
/// Most out-of-order ranges remembered per endpoint (the furthest one is
/// dropped beyond that; Zeek keeps them all).
const MAX_RANGES: usize = 32;

/// One endpoint's sequence ranges (relative, 1 = first data byte).
#[derive(Debug, Clone, Default)]
pub(crate) struct Gaps {
    /// Delivered in order up to here.
    last_reassem: u64,
    /// Acknowledged up to here.
    trim_seq: u64,
    /// Ranges seen above `last_reassem`, sorted, not touching.
    above: Vec<(u64, u64)>,
    /// Buffering gave up.
    skip: bool,
}

/// A gap found when an acknowledgement passed unseen data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gap {
    pub len: u64,
}

impl Gaps {
    pub fn new() -> Gaps {
        Gaps {
            last_reassem: 1,
            trim_seq: 1,
            above: Vec::new(),
            skip: false,
        }
    }

    fn undelivered_bytes(&self) -> u64 {
        self.above.iter().map(|(s, u)| u - s).sum()
    }

    /// Data `[seq, seq + len)` sent by this endpoint; `acked` is how far the
    /// peer has acknowledged it, `no_data_acked` Zeek's `NoDataAcked`.
    pub fn data(&mut self, mut seq: u64, len: u64, acked: u64, no_data_acked: bool) {
        if self.skip || len == 0 {
            return;
        }
        let upper = seq + len;
        if seq < acked {
            if upper <= acked {
                return;
            }
            seq = acked;
        }
        if upper <= self.trim_seq {
            return;
        }
        seq = seq.max(self.trim_seq);
        if seq <= self.last_reassem {
            if upper > self.last_reassem {
                self.last_reassem = upper;
                self.deliver_contiguous();
            }
        } else {
            self.insert(seq, upper);
        }
        let waiting = self.undelivered_bytes();
        let unacked = self.last_reassem.saturating_sub(self.trim_seq) + waiting;
        if (no_data_acked && waiting > ABOVE_HOLE_LIMIT) || unacked > EXCESSIVE_DATA {
            self.give_up();
        }
    }

    fn give_up(&mut self) {
        self.above.clear();
        self.skip = true;
    }

    fn insert(&mut self, seq: u64, upper: u64) {
        let (mut s, mut u) = (seq, upper);
        let mut kept = Vec::with_capacity(self.above.len() + 1);
        for &(a, b) in &self.above {
            if b < s || a > u {
                kept.push((a, b));
            } else {
                s = s.min(a);
                u = u.max(b);
            }
        }
        let at = kept.partition_point(|&(a, _)| a < s);
        kept.insert(at, (s, u));
        kept.truncate(MAX_RANGES);
        self.above = kept;
    }

    /// Moves `last_reassem` over the ranges that now follow it.
    fn deliver_contiguous(&mut self) {
        while let Some(&(a, b)) = self.above.first() {
            if a > self.last_reassem {
                break;
            }
            self.last_reassem = self.last_reassem.max(b);
            self.above.remove(0);
        }
    }

    /// The peer acknowledged up to `seq`. Returns the gaps found (bytes
    /// acknowledged but never seen), in order. `partial` is Zeek's
    /// `IsPartial` (the first packets were not a handshake).
    pub fn ack(&mut self, seq: u64, partial: bool) -> Vec<Gap> {
        let mut gaps = Vec::new();
        if seq <= self.trim_seq {
            return gaps;
        }
        if seq > self.last_reassem {
            self.undelivered(seq, partial, &mut gaps);
        }
        self.trim_seq = seq;
        self.deliver_contiguous();
        gaps
    }

    fn undelivered(&mut self, up_to: u64, partial: bool, gaps: &mut Vec<Gap>) {
        if up_to <= 2 && partial {
            // The first ack of a partial connection (or of a keep-alive):
            // the faked initial sequence numbers, not missing data.
            return;
        }
        if !self.skip {
            while let Some(&(a, b)) = self.above.first() {
                if a >= up_to {
                    break;
                }
                gaps.push(Gap {
                    len: a - self.last_reassem,
                });
                self.last_reassem = b;
                self.above.remove(0);
                self.deliver_contiguous();
            }
            if up_to > self.last_reassem {
                gaps.push(Gap {
                    len: up_to - self.last_reassem,
                });
            }
        }
        self.last_reassem = self.last_reassem.max(up_to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_data_then_acks_has_no_gap() {
        let mut g = Gaps::new();
        g.data(1, 100, 1, true);
        g.data(101, 100, 1, true);
        assert!(g.ack(201, false).is_empty());
    }

    #[test]
    fn acked_data_never_seen_is_a_gap() {
        let mut g = Gaps::new();
        g.data(1, 100, 1, true);
        g.data(301, 100, 1, true);
        let gaps = g.ack(401, false);
        assert_eq!(gaps, vec![Gap { len: 200 }]);
        // Filling the hole later changes nothing.
        g.data(101, 200, 401, false);
        assert!(g.ack(401, false).is_empty());
        // Acked beyond everything seen: the tail is missing.
        assert_eq!(g.ack(501, false), vec![Gap { len: 100 }]);
    }

    #[test]
    fn first_ack_of_a_partial_connection_is_not_a_gap() {
        let mut g = Gaps::new();
        assert!(g.ack(2, true).is_empty());
        assert_eq!(g.ack(3, false), vec![Gap { len: 2 }]);
    }

    #[test]
    fn too_much_above_a_hole_gives_up() {
        let mut g = Gaps::new();
        g.data(1000, 20_000, 1, true);
        assert!(g.ack(30_000, false).is_empty());
    }
}
