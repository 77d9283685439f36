//! Zeek's TCP connection model: endpoint states, history letters, sizes in
//! sequence space, content gaps, closing and the timers that end a
//! connection, so that `conn_state`, `history`, `duration`, the payload
//! sizes and `missed_bytes` have Zeek's meaning and connections split
//! where Zeek splits them.
//!
//! This follows the behaviour of Zeek's `TCPSessionAdapter::Process` (the
//! order of its steps matters: history, window, last time, ACK handling,
//! last sequence, state machine, acknowledgement, data) and of
//! `TCP_Endpoint`, written anew for nwcap's per-flow records: no payload is
//! buffered (gaps are found from sequence ranges, [`gaps`]), and Zeek's
//! timers are kept as the times at which they would end the connection,
//! checked when the connection's next packet arrives (or by the table's
//! sweep). Left out: checksums (nwcap, like tshark, does not verify them),
//! window scaling and the weirds. The state machine itself is in [`state`].

mod gaps;
mod state;

use compact_str::CompactString;
use nwcap_pcap::TimestampNs;
use nwcap_pcap::packet::tcpflags::{ACK, FIN, RST, SYN};

use self::gaps::Gaps;
pub(crate) use self::state::EpState;

const TOO_LARGE_SEQ_DELTA: i32 = 1_048_576;

// History bits (Zeek's HIST_*) in the connection's seen-mask; the
// responder's are shifted left by 16.
const H_SYN: u32 = 0x1;
const H_FIN: u32 = 0x2;
const H_RST: u32 = 0x4;
const H_FIN_RST: u32 = 0x8;
const H_DATA: u32 = 0x10;
const H_ACK: u32 = 0x20;
const H_MULTI: u32 = 0x40;

/// Zeek's TCP delays (`tcp_attempt_delay`, `tcp_close_delay`) and
/// inactivity timeouts, ns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TcpTimers {
    /// An unanswered SYN ends the connection this long after it.
    pub attempt_delay: i64,
    /// A closed or reset connection ends this long after its last packet.
    pub close_delay: i64,
    /// Inactivity timeout before the handshake is over (Zeek uses its UDP
    /// timeout for TCP connections until then).
    pub handshake_timeout: i64,
    /// Inactivity timeout once established.
    pub timeout: i64,
    /// Inactivity timeout of interactive services (Zeek's
    /// `port_inactivity_timeouts`: ports 21, 22, 23, 513).
    pub interactive_timeout: i64,
}

/// Counter that records a history letter at the 1st, 10th, 100th...
/// event (Zeek's `ScaledHistoryEntry`).
#[derive(Debug, Clone, Copy, Default)]
struct Scaled {
    count: u32,
    threshold: u32,
}

impl Scaled {
    /// Counts one event; true when its letter must be added.
    fn bump(&mut self) -> bool {
        if self.threshold == 0 {
            self.threshold = 1;
        }
        self.count = self.count.saturating_add(1);
        if self.count == self.threshold {
            self.threshold = self.threshold.saturating_mul(10);
            return true;
        }
        false
    }
}

/// One side of a TCP connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct Endpoint {
    pub state: EpState,
    prev_state: EpState,
    start_seq: i64,
    last_seq: u32,
    ack_seq: u32,
    seq_wraps: u32,
    ack_wraps: u32,
    did_close: bool,
    fin_cnt: u32,
    fin_seq: u64,
    hist_last_syn: u64,
    hist_last_fin: u64,
    hist_last_rst: u64,
    rxmt: Scaled,
    win0: Scaled,
    gap: Scaled,
    gaps: Gaps,
    /// Bytes acknowledged but never seen (Zeek's content gaps).
    missed: u64,
}

fn seq_delta(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

impl Endpoint {
    fn new() -> Endpoint {
        Endpoint {
            gaps: Gaps::new(),
            ..Endpoint::default()
        }
    }

    fn start(&self) -> u32 {
        self.start_seq as u32
    }

    fn init_seqs(&mut self, start: u32, ack: u32, last: u32) {
        self.start_seq = i64::from(start);
        self.ack_seq = ack;
        self.last_seq = last;
    }

    fn update_last_seq(&mut self, seq: u32) {
        if seq < self.last_seq {
            self.seq_wraps += 1;
        }
        self.last_seq = seq;
    }

    fn update_ack_seq(&mut self, seq: u32) {
        if seq < self.ack_seq {
            self.ack_wraps += 1;
        }
        self.ack_seq = seq;
    }

    fn full(seq: u32, wraps: u32) -> u64 {
        (u64::from(wraps) << 32) + u64::from(seq)
    }

    /// Zeek's `NoDataAcked`: at most the SYN octet was acknowledged.
    fn no_data_acked(&self) -> bool {
        let ack = Self::full(self.ack_seq, self.ack_wraps) as i64;
        ack == self.start_seq || ack == self.start_seq + 1
    }

    /// How far the peer acknowledged this endpoint's data, relative.
    fn rel_ack(&self) -> u64 {
        (Self::full(self.ack_seq, self.ack_wraps) as i64 - self.start_seq) as u64
    }

    /// Zeek's `get_relative_seq`.
    fn relative(&self, cur: u32, last: u32, mut wraps: u32, underflow: &mut bool) -> u64 {
        let delta = seq_delta(cur, last);
        if delta < 0 {
            if wraps > 0 && cur > last {
                wraps -= 1;
            }
        } else if delta > 0 && cur < last {
            wraps += 1;
        }
        if wraps == 0 {
            let d = seq_delta(cur, self.start());
            if d < 0 {
                *underflow = true;
            }
            return i64::from(d) as u64;
        }
        (Self::full(cur, wraps) as i64 - self.start_seq) as u64
    }

    /// Zeek's `TCP_Endpoint::Size`: payload in sequence space.
    fn size(&self, peer: &Endpoint) -> u64 {
        if self.prev_state == EpState::SynSent
            && self.state == EpState::Reset
            && peer.state == EpState::Inactive
            && !self.no_data_acked()
        {
            return 0;
        }
        let last = Self::full(self.last_seq, self.seq_wraps);
        let ack = Self::full(self.ack_seq, self.ack_wraps);
        let mut size = (last.max(ack) as i64).wrapping_sub(self.start_seq) as u64;
        // Neither the SYN octet nor the FIN octet is payload.
        size = size.saturating_sub(1);
        if self.fin_cnt > 0 {
            size = size.saturating_sub(1);
        }
        size
    }
}

/// The TCP header fields the model reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    pub flags: u8,
    pub seq: u32,
    pub ack: u32,
    /// Payload length as the headers state.
    pub len: u32,
    pub window: u16,
    /// The payload was captured in full (Zeek reassembles only such).
    pub captured: bool,
    pub ts: TimestampNs,
}

/// What one packet did, for the flow's counters.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TcpEvent {
    /// Payload at or below the highest sequence seen (Zeek's `DidRxmit`).
    pub rxmit: bool,
    /// A zero window advertisement Zeek counts.
    pub zero_window: bool,
    /// The connection's roles were swapped by this packet.
    pub flipped: bool,
}

/// One TCP connection as Zeek models it.
#[derive(Debug, Clone)]
pub(crate) struct TcpConn {
    /// Originator and responder.
    ep: [Endpoint; 2],
    /// Zeek's `Connection::hist_seen`.
    hist_seen: u32,
    is_partial: bool,
    first_packet_seen: u8,
    is_active: bool,
    /// Zeek's connection `last_time`: no longer moves once both sides
    /// have closed.
    pub last_time: TimestampNs,
    attempt_at: Option<TimestampNs>,
    delete_at: Option<TimestampNs>,
    timeout: i64,
    /// Originator and responder ports.
    ports: (u16, u16),
    /// Wireshark's view of the same segments (by key side, not role).
    pub analysis: crate::analysis::TcpAnalysis,
    /// The flow's TCP counts.
    pub tally: crate::flow::TcpTally,
}

const ORIG: u8 = 1;
const RESP: u8 = 2;

impl TcpConn {
    /// A connection whose first packet came at `ts`, between `ports`
    /// (originator, responder).
    pub fn new(t: &TcpTimers, ts: TimestampNs, ports: (u16, u16)) -> TcpConn {
        TcpConn {
            ep: [Endpoint::new(), Endpoint::new()],
            hist_seen: 0,
            is_partial: false,
            first_packet_seen: 0,
            is_active: true,
            last_time: ts,
            attempt_at: None,
            delete_at: None,
            timeout: t.handshake_timeout,
            ports,
            analysis: crate::analysis::TcpAnalysis::default(),
            tally: crate::flow::TcpTally::default(),
        }
    }

    /// Both sides have closed (Zeek's `BothClosed`).
    pub fn both_closed(&self) -> bool {
        self.ep[0].did_close && self.ep[1].did_close
    }

    /// Payload sizes in sequence space (Zeek's `orig_bytes`, `resp_bytes`).
    pub fn sizes(&self) -> (u64, u64) {
        (self.ep[0].size(&self.ep[1]), self.ep[1].size(&self.ep[0]))
    }

    /// Bytes in content gaps, both directions (Zeek's `missed_bytes`).
    pub fn missed_bytes(&self) -> u64 {
        self.ep[0].missed + self.ep[1].missed
    }

    /// Swaps originator and responder (Zeek's `FlipRoles`), without the
    /// history letter.
    fn swap_roles(&mut self) {
        self.ep.swap(0, 1);
        self.ports = (self.ports.1, self.ports.0);
        let f = self.first_packet_seen;
        self.first_packet_seen =
            (if f & ORIG != 0 { RESP } else { 0 }) | (if f & RESP != 0 { ORIG } else { 0 });
        self.is_partial = false;
    }

    /// Swaps originator and responder (Zeek's `FlipRoles`).
    fn flip(&mut self, history: &mut CompactString) {
        self.swap_roles();
        history.push('^');
    }

    /// Zeek's `Connection::CheckHistory` for side `me` (0: originator):
    /// records the letter the first time; true when seen before.
    fn check_history(
        &mut self,
        history: &mut CompactString,
        me: usize,
        bit: u32,
        code: u8,
    ) -> bool {
        let (mask, c) = if me == 0 {
            (bit, code)
        } else {
            (bit << 16, code.to_ascii_lowercase())
        };
        if self.hist_seen & mask != 0 {
            return true;
        }
        self.hist_seen |= mask;
        history.push(char::from(c));
        false
    }

    fn add_history(history: &mut CompactString, me: usize, code: u8) {
        let c = if me == 0 {
            code
        } else {
            code.to_ascii_lowercase()
        };
        history.push(char::from(c));
    }

    /// Zeek's `TCP_Endpoint::CheckHistory`: a connection that began with
    /// a SYN-ACK (history exactly `H`) is flipped by its first pure ACK or
    /// data packet, whichever side sends it. Returns the side after that.
    fn endpoint_history(
        &mut self,
        history: &mut CompactString,
        me: &mut usize,
        bit: u32,
        code: u8,
    ) -> bool {
        if (code == b'A' || code == b'D') && history.as_str() == "H" {
            self.swap_roles();
            self.first_packet_seen |= ORIG;
            history.clear();
            history.push_str("^h");
            *me = 1 - *me;
        }
        self.check_history(history, *me, bit, code)
    }

    /// Zeek's `update_history`.
    fn update_history(
        &mut self,
        history: &mut CompactString,
        me: &mut usize,
        flags: u8,
        rel_seq: u64,
        len: u32,
    ) {
        let (syn, fin, rst) = (flags & SYN != 0, flags & FIN != 0, flags & RST != 0);
        let bits = u8::from(syn) + u8::from(fin) + u8::from(rst);
        if bits > 1 {
            if fin && rst {
                self.endpoint_history(history, me, H_FIN_RST, b'I');
            } else {
                self.endpoint_history(history, me, H_MULTI, b'Q');
            }
        } else if bits == 1 {
            if syn {
                let code = if flags & ACK != 0 { b'H' } else { b'S' };
                if self.endpoint_history(history, me, H_SYN, code)
                    && rel_seq != self.ep[*me].hist_last_syn
                {
                    Self::add_history(history, *me, code);
                }
                self.ep[*me].hist_last_syn = rel_seq;
            }
            if fin {
                let end = rel_seq.wrapping_add(u64::from(len));
                if self.endpoint_history(history, me, H_FIN, b'F')
                    && end != self.ep[*me].hist_last_fin
                {
                    Self::add_history(history, *me, b'F');
                }
                self.ep[*me].hist_last_fin = end;
            }
            if rst {
                if self.endpoint_history(history, me, H_RST, b'R')
                    && rel_seq != self.ep[*me].hist_last_rst
                {
                    Self::add_history(history, *me, b'R');
                }
                self.ep[*me].hist_last_rst = rel_seq;
            }
        } else if len > 0 {
            self.endpoint_history(history, me, H_DATA, b'D');
        } else if flags & ACK != 0 {
            self.endpoint_history(history, me, H_ACK, b'A');
        }
    }

    /// Zeek's `IsReuse`: a SYN (or, on a connection whose originator never
    /// spoke, a SYN-ACK) that starts a new connection on this 5-tuple.
    pub fn is_reuse(&self, flags: u8, seq: u32) -> bool {
        if flags & SYN == 0 {
            return false;
        }
        let conn_orig = if flags & ACK != 0 {
            if self.ep[0].state != EpState::Inactive {
                return false;
            }
            &self.ep[1]
        } else {
            &self.ep[0]
        };
        if !(self.ep[0].did_close || self.ep[1].did_close) {
            if seq == conn_orig.start() {
                return false;
            }
            if flags & ACK == 0
                && conn_orig.state == EpState::SynAckSent
                && self.ep[1].state == EpState::Inactive
                && seq == self.ep[1].start()
            {
                return false;
            }
        }
        true
    }

    /// When Zeek would end this connection if no packet of it came again:
    /// its delete timer (after a close), its attempt timer (an unanswered
    /// SYN), or its inactivity timeout.
    pub fn ends_at(&self) -> TimestampNs {
        let mut at = self.last_time.saturating_add(self.timeout);
        if let Some(d) = self.delete_at {
            at = at.min(d);
        }
        if let Some(a) = self.attempt_at
            && self.is_active
            && matches!(self.ep[0].state, EpState::SynSent | EpState::SynAckSent)
            && self.ep[1].state == EpState::Inactive
        {
            at = at.min(a);
        }
        at
    }

    /// Zeek's `SetPartialStatus`.
    fn set_partial_status(&mut self, flags: u8, is_orig: bool) {
        if is_orig {
            if self.first_packet_seen & ORIG == 0 {
                self.is_partial = flags & SYN == 0 || flags & ACK != 0;
            }
        } else if self.first_packet_seen & RESP == 0 && !self.is_partial {
            self.is_partial = flags & SYN == 0;
        }
    }

    /// Processes one packet from the originator (`is_orig`) or responder.
    pub fn packet(
        &mut self,
        is_orig: bool,
        seg: Segment,
        history: &mut CompactString,
        timers: &TcpTimers,
    ) -> TcpEvent {
        let Segment {
            flags,
            seq: base_seq,
            ack: ack_seq,
            len,
            window,
            captured,
            ts,
        } = seg;
        let (syn, fin, rst, ackf) = (
            flags & SYN != 0,
            flags & FIN != 0,
            flags & RST != 0,
            flags & ACK != 0,
        );
        let mut ev = TcpEvent::default();
        let mut me = usize::from(!is_orig);

        self.set_partial_status(flags, is_orig);

        let mut seg_len = len;
        if syn {
            seg_len = seg_len.wrapping_add(1);
        }
        if fin {
            seg_len = seg_len.wrapping_add(1);
        }
        if rst {
            seg_len = seg_len.wrapping_sub(len);
        }
        let seq_end = base_seq.wrapping_add(seg_len);

        state::init_endpoint(&mut self.ep[me], syn, base_seq, seq_end);

        let mut underflow = false;
        let e = &self.ep[me];
        let rel_seq = e.relative(base_seq, e.last_seq, e.seq_wraps, &mut underflow);

        self.update_history(history, &mut me, flags, rel_seq, len);
        let peer = 1 - me;

        // update_window: only its zero-window rule matters here.
        ev.zero_window = window == 0
            && !rst
            && self.ep[peer].state != EpState::Closed
            && self.ep[me].state != EpState::Reset;
        if ev.zero_window && self.ep[me].win0.bump() {
            Self::add_history(history, me, b'W');
        }

        if !self.ep[0].did_close || !self.ep[1].did_close {
            self.last_time = ts;
        }

        if fin {
            self.ep[me].fin_cnt += 1;
            self.ep[me].fin_seq = rel_seq.wrapping_add(u64::from(seg_len));
        }

        let mut rel_ack = 0u64;
        if ackf {
            if self.ep[peer].state == EpState::Inactive {
                rel_ack = 1;
                let base = ack_seq.wrapping_sub(1);
                self.ep[peer].init_seqs(base, base, base);
            } else {
                let p = &self.ep[peer];
                let mut ack_underflow = false;
                rel_ack = p.relative(ack_seq, p.ack_seq, p.ack_wraps, &mut ack_underflow);
                if ack_underflow {
                    rel_ack = 0;
                } else if !rst {
                    let p = &mut self.ep[peer];
                    let delta = seq_delta(ack_seq, p.ack_seq);
                    if !(ack_seq == 0 && delta > TOO_LARGE_SEQ_DELTA) && delta > 0 {
                        p.update_ack_seq(ack_seq);
                    }
                }
            }
        }

        // update_last_seq
        let e = &mut self.ep[me];
        let delta_last = seq_delta(seq_end, e.last_seq);
        if (syn || rst) && !(-TOO_LARGE_SEQ_DELTA..=TOO_LARGE_SEQ_DELTA).contains(&delta_last) {
        } else if fin && e.last_seq == e.start().wrapping_add(1) {
            e.update_last_seq(seq_end);
        } else if e.state == EpState::Reset {
        } else if delta_last > 0 {
            e.update_last_seq(seq_end);
        } else if len > 0 {
            ev.rxmit = true;
            if e.rxmt.bump() {
                Self::add_history(history, me, b'T');
            }
        }

        let closing =
            self.update_state(is_orig, &mut me, flags, base_seq, len, ts, timers, history);
        let peer = 1 - me;

        if ackf {
            self.ack_received(peer, rel_ack, history);
        }

        let rel_data_seq = if syn {
            rel_seq.wrapping_add(1)
        } else {
            rel_seq
        };
        if len > 0 && captured && !rst && !underflow {
            let e = &mut self.ep[me];
            let acked = e.rel_ack();
            let no_acks = e.no_data_acked();
            e.gaps.data(rel_data_seq, u64::from(len), acked, no_acks);
        }

        self.first_packet_seen |= if is_orig { ORIG } else { RESP };

        if let Some(gen_event) = closing {
            self.connection_closed(me, gen_event, timers);
        }
        ev.flipped = me != usize::from(!is_orig);
        ev
    }

    /// Zeek's `AckReceived` on side `side`: gaps in its data.
    fn ack_received(&mut self, side: usize, rel_ack: u64, history: &mut CompactString) {
        let e = &self.ep[side];
        let mut seq = rel_ack;
        if e.fin_cnt > 0 && seq >= e.fin_seq {
            seq = e.fin_seq.saturating_sub(1);
        }
        let partial = self.is_partial;
        let gaps = self.ep[side].gaps.ack(seq, partial);
        if gaps.is_empty() {
            return;
        }
        let clean = |e: &Endpoint| {
            e.state == EpState::Established
                || (e.state == EpState::Closed && e.prev_state == EpState::Established)
        };
        let reported = clean(&self.ep[side]) && clean(&self.ep[1 - side]);
        if !reported {
            return;
        }
        for g in gaps {
            self.ep[side].missed += g.len;
            if self.ep[side].gap.bump() {
                Self::add_history(history, side, b'G');
            }
        }
    }

    /// Zeek's `ConnectionClosed` for side `me`.
    fn connection_closed(&mut self, me: usize, gen_event: bool, timers: &TcpTimers) {
        let peer = 1 - me;
        if self.ep[me].did_close {
            return;
        }
        self.ep[me].did_close = true;
        let close_complete = self.ep[me].state == EpState::Reset
            || self.ep[peer].did_close
            || self.ep[peer].state == EpState::Inactive;
        if close_complete {
            if gen_event
                && (self.ep[me].prev_state != EpState::Inactive
                    || self.ep[peer].state != EpState::Inactive)
            {
                self.is_active = false;
            }
            // Timers of the analyzer are cancelled; the delete timer ends
            // the connection.
            self.attempt_at = None;
            let at = self.last_time.saturating_add(timers.close_delay);
            self.delete_at = Some(self.delete_at.map_or(at, |d| d.min(at)));
        }
    }

    /// Zeek's `conn_state` for TCP.
    pub fn conn_state(&self, history: &str) -> &'static str {
        let (orig_size, resp_size) = self.sizes();
        state::conn_state(
            self.ep[0].state,
            self.ep[1].state,
            history,
            orig_size,
            resp_size,
        )
    }
}

#[cfg(test)]
mod tests;
