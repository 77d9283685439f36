//! TCP analysis events as Wireshark's TCP dissector classifies them
//! (`tcp_analyze_sequence_number` in `epan/dissectors/packet-tcp.c`, the
//! `tcp.analysis.*` fields): retransmission, fast and spurious
//! retransmission, out-of-order, duplicate ACK, keep-alive, zero window,
//! previous segment not captured. Written anew for nwcap's flows: each
//! direction keeps the few numbers Wireshark compares (next expected
//! sequence number and when it was reached, last ACK and when, window,
//! duplicate ACK count, the previous segment's events); the list of unacked
//! segments, which Wireshark keeps for RTO and bytes in flight, is not
//! needed for these counts.

use nwcap_pcap::TimestampNs;
use nwcap_pcap::packet::tcpflags::{FIN, RST, SYN};

/// Out-of-order threshold when the handshake RTT is unknown (Wireshark's
/// 3 ms).
const OOO_DEFAULT_NS: i64 = 3_000_000;
/// A retransmission within this time of the second duplicate ACK is a fast
/// retransmission (Wireshark's 20 ms).
const FAST_RETRANSMIT_NS: i64 = 20_000_000;

/// Events of one segment (Wireshark's `TCP_A_*` flags).
pub mod event {
    /// `tcp.analysis.retransmission`.
    pub const RETRANSMISSION: u16 = 0x0001;
    /// `tcp.analysis.lost_segment` (previous segment not captured).
    pub const LOST_SEGMENT: u16 = 0x0002;
    /// `tcp.analysis.keep_alive`.
    pub const KEEP_ALIVE: u16 = 0x0004;
    /// `tcp.analysis.duplicate_ack`.
    pub const DUPLICATE_ACK: u16 = 0x0008;
    /// `tcp.analysis.zero_window`.
    pub const ZERO_WINDOW: u16 = 0x0010;
    /// `tcp.analysis.zero_window_probe`.
    pub const ZERO_WINDOW_PROBE: u16 = 0x0020;
    /// `tcp.analysis.out_of_order`.
    pub const OUT_OF_ORDER: u16 = 0x0040;
    /// `tcp.analysis.fast_retransmission`.
    pub const FAST_RETRANSMISSION: u16 = 0x0080;
    /// `tcp.analysis.spurious_retransmission`.
    pub const SPURIOUS_RETRANSMISSION: u16 = 0x0100;
    /// `tcp.analysis.keep_alive_ack`.
    pub const KEEP_ALIVE_ACK: u16 = 0x0200;
    /// `tcp.analysis.zero_window_probe_ack`.
    pub const ZERO_WINDOW_PROBE_ACK: u16 = 0x0400;
    /// `tcp.analysis.window_update`.
    pub const WINDOW_UPDATE: u16 = 0x0800;
}

use event::*;

fn lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

fn gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

fn le(a: u32, b: u32) -> bool {
    !gt(a, b)
}

/// One direction's state.
#[derive(Debug, Clone, Copy, Default)]
struct Dir {
    /// Next expected sequence number (None until a segment was seen).
    nextseq: Option<u32>,
    nextseq_ts: TimestampNs,
    /// Last acknowledgement number sent in this direction (None before).
    lastack: Option<u32>,
    lastack_ts: TimestampNs,
    window: u32,
    dupacks: u32,
    /// Events of this direction's previous segment.
    last_events: u16,
    /// Sequence number of this direction's last SYN.
    syn_seq: Option<u32>,
}

/// Both directions of one TCP flow (index: the sender is the flow key's
/// `a` side or not).
#[derive(Debug, Clone, Default)]
pub struct TcpAnalysis {
    dirs: [Dir; 2],
}

/// One segment as the analysis reads it.
#[derive(Debug, Clone, Copy)]
pub struct Seg {
    /// TCP flags.
    pub flags: u8,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Payload length.
    pub len: u32,
    /// Window field (unscaled).
    pub window: u16,
    /// Capture time.
    pub ts: TimestampNs,
}

impl TcpAnalysis {
    /// True when a segment from side `from_a` starts a new TCP stream for
    /// Wireshark: a SYN without ACK whose sequence number is not the last
    /// SYN's of that side (the ports were reused).
    pub fn new_stream(&self, from_a: bool, flags: u8, seq: u32) -> bool {
        let d = &self.dirs[usize::from(!from_a)];
        flags & (SYN | nwcap_pcap::packet::tcpflags::ACK) == SYN && d.syn_seq != Some(seq)
    }

    /// Classifies one segment sent from side `from_a`; `rtt` is the
    /// handshake RTT once known (the out-of-order threshold). Returns its
    /// events.
    pub fn segment(&mut self, from_a: bool, s: Seg, rtt: Option<i64>) -> u16 {
        let (fi, ri) = if from_a { (0, 1) } else { (1, 0) };
        let fwd = self.dirs[fi];
        let rev = self.dirs[ri];
        let Seg {
            flags,
            seq,
            ack,
            len,
            window,
            ts,
        } = s;
        let window = u32::from(window);
        let ctl = flags & (SYN | FIN | RST) != 0;
        let mut ev = 0u16;
        let nextseq = fwd.nextseq;
        if len == 1 && Some(seq) == nextseq && rev.window == 0 && rev.lastack.is_some() {
            ev |= ZERO_WINDOW_PROBE;
        } else {
            if window == 0 && !ctl {
                ev |= ZERO_WINDOW;
            }
            if let Some(n) = nextseq
                && gt(seq, n)
                && flags & RST == 0
            {
                ev |= LOST_SEGMENT;
            }
            if len <= 1 && nextseq.is_some_and(|n| seq == n.wrapping_sub(1)) && !ctl {
                ev |= KEEP_ALIVE;
            }
            let same = len == 0 && Some(seq) == nextseq && Some(ack) == fwd.lastack && !ctl;
            if same && window != 0 && window != fwd.window {
                ev |= WINDOW_UPDATE;
            }
            if same && window != 0 && window == fwd.window && rev.last_events & KEEP_ALIVE != 0 {
                ev |= KEEP_ALIVE_ACK;
            } else if same
                && window == 0
                && window == fwd.window
                && rev.last_events & ZERO_WINDOW_PROBE != 0
            {
                ev |= ZERO_WINDOW_PROBE_ACK;
            } else if same && window != 0 && window == fwd.window {
                self.dirs[fi].dupacks += 1;
                ev |= DUPLICATE_ACK;
            }
        }
        if Some(ack) != fwd.lastack {
            self.dirs[fi].dupacks = 0;
        }

        if (len > 0 || flags & (SYN | FIN) != 0) && ev & KEEP_ALIVE == 0 {
            let mut not_advanced = nextseq.is_some_and(|n| lt(seq, n));
            // More than a byte starting one byte back is new data (after a
            // zero window probe).
            if len > 1 && nextseq.is_some_and(|n| n.wrapping_sub(1) == seq) {
                not_advanced = false;
            }
            let syn_fin = u32::from(flags & (SYN | FIN) != 0);
            if len > 0 && rev.lastack.is_some_and(|a| le(seq.wrapping_add(len), a)) {
                ev |= SPURIOUS_RETRANSMISSION;
            } else if not_advanced
                && rev.dupacks >= 2
                && rev.lastack == Some(seq)
                && ts.saturating_sub(rev.lastack_ts) < FAST_RETRANSMIT_NS
            {
                ev |= FAST_RETRANSMISSION;
            } else if not_advanced
                && ts.saturating_sub(fwd.nextseq_ts)
                    < rtt.filter(|r| *r > 0).unwrap_or(OOO_DEFAULT_NS)
                && nextseq != Some(seq.wrapping_add(len).wrapping_add(syn_fin))
            {
                ev |= OUT_OF_ORDER;
            } else if not_advanced {
                ev |= RETRANSMISSION;
            }
        }

        let mut next = seq.wrapping_add(len);
        if flags & (SYN | FIN) != 0 {
            next = next.wrapping_add(1);
        }
        let d = &mut self.dirs[fi];
        if (nextseq.is_none_or(|n| gt(next, n))) && ev & ZERO_WINDOW_PROBE == 0 {
            d.nextseq = Some(next);
            d.nextseq_ts = ts;
        }
        if flags & SYN != 0 {
            d.syn_seq = Some(seq);
        }
        d.window = window;
        d.lastack = Some(ack);
        d.lastack_ts = ts;
        d.last_events = ev;
        ev
    }
}

/// Counts of events over a flow (the `tcp.analysis.*` columns).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Retransmissions of any kind (fast and spurious included), as
    /// `tcp.analysis.retransmission` marks them.
    pub retransmissions: u64,
    /// Fast retransmissions.
    pub fast_retransmissions: u64,
    /// Spurious retransmissions.
    pub spurious_retransmissions: u64,
    /// Out-of-order segments.
    pub out_of_order: u64,
    /// Duplicate ACKs.
    pub duplicate_acks: u64,
    /// Keep-alives.
    pub keep_alives: u64,
    /// Zero window advertisements.
    pub zero_windows: u64,
    /// Segments after a sequence gap (previous segment not captured).
    pub lost_segments: u64,
}

impl Counts {
    /// Adds one segment's events.
    pub fn add(&mut self, ev: u16) {
        let n = |bits: u16| u64::from(ev & bits != 0);
        // tshark's `tcp.analysis.retransmission` marks fast and spurious
        // retransmissions too.
        self.retransmissions += n(RETRANSMISSION | FAST_RETRANSMISSION | SPURIOUS_RETRANSMISSION);
        self.fast_retransmissions += n(FAST_RETRANSMISSION);
        self.spurious_retransmissions += n(SPURIOUS_RETRANSMISSION);
        self.out_of_order += n(OUT_OF_ORDER);
        self.duplicate_acks += n(DUPLICATE_ACK);
        self.keep_alives += n(KEEP_ALIVE);
        self.zero_windows += n(ZERO_WINDOW);
        self.lost_segments += n(LOST_SEGMENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nwcap_pcap::packet::tcpflags::ACK;

    const MS: i64 = 1_000_000;

    fn seg(flags: u8, seq: u32, ack: u32, len: u32, ms: i64) -> Seg {
        Seg {
            flags,
            seq,
            ack,
            len,
            window: 1000,
            ts: ms * MS,
        }
    }

    #[test]
    fn an_exact_repeat_is_a_retransmission_even_soon_after() {
        // SPAN duplicates: the same segment twice, 20 us apart.
        let mut a = TcpAnalysis::default();
        a.segment(true, seg(SYN, 100, 0, 0, 0), None);
        a.segment(false, seg(SYN | ACK, 500, 101, 0, 1), None);
        a.segment(true, seg(ACK, 101, 501, 0, 2), None);
        assert_eq!(a.segment(true, seg(ACK, 101, 501, 10, 3), None), 0);
        let ev = a.segment(
            true,
            Seg {
                ts: 3 * MS + 20_000,
                ..seg(ACK, 101, 501, 10, 0)
            },
            None,
        );
        assert_eq!(ev, RETRANSMISSION);
    }

    #[test]
    fn a_late_filler_soon_after_is_out_of_order() {
        let mut a = TcpAnalysis::default();
        a.segment(true, seg(ACK, 1, 1, 10, 0), None);
        assert_eq!(a.segment(true, seg(ACK, 21, 1, 10, 1), None), LOST_SEGMENT);
        assert_eq!(a.segment(true, seg(ACK, 11, 1, 10, 2), None), OUT_OF_ORDER);
    }

    #[test]
    fn duplicate_acks_then_fast_and_spurious_retransmissions() {
        let mut a = TcpAnalysis::default();
        a.segment(true, seg(ACK, 1, 1, 100, 0), None);
        a.segment(true, seg(ACK, 101, 1, 100, 1), None);
        a.segment(false, seg(ACK, 1, 101, 0, 2), None);
        assert_eq!(
            a.segment(false, seg(ACK, 1, 101, 0, 3), None),
            DUPLICATE_ACK
        );
        assert_eq!(
            a.segment(false, seg(ACK, 1, 101, 0, 4), None),
            DUPLICATE_ACK
        );
        let ev = a.segment(true, seg(ACK, 101, 1, 100, 10), None);
        assert_eq!(ev, FAST_RETRANSMISSION);
        // Data the peer already acknowledged.
        assert_eq!(
            a.segment(true, seg(ACK, 1, 1, 100, 500), None),
            SPURIOUS_RETRANSMISSION
        );
    }

    #[test]
    fn keep_alive_and_zero_window() {
        let mut a = TcpAnalysis::default();
        a.segment(true, seg(ACK, 1, 1, 100, 0), None);
        assert_eq!(a.segment(true, seg(ACK, 100, 1, 1, 1000), None), KEEP_ALIVE);
        let zero = Seg {
            window: 0,
            ..seg(ACK, 1, 101, 0, 1001)
        };
        assert_eq!(a.segment(false, zero, None), ZERO_WINDOW);
    }
}
