//! Zeek's TCP endpoint state machine, history letters and `conn_state`.
//!
//! This is a transcription of the parts of Zeek's `TCPSessionAdapter`
//! (`init_endpoint`, `update_history`, `update_window`, `update_last_seq`,
//! `UpdateStateMachine`) and of `conn_state()` in `base/protocols/conn`
//! that decide the `conn_state` and `history` columns, so both have exactly
//! Zeek's meaning. Everything else Zeek does per packet (reassembly,
//! weirds, timers) is left out. Two deliberate simplifications:
//! relative sequence numbers are compared as raw 32-bit values (equality
//! is the same), and an endpoint's "size" in the REJ rule is its payload
//! byte count.

use nwcap_pcap::packet::tcpflags::{ACK, FIN, RST, SYN};

/// Zeek's `TCP_ENDPOINT_*` states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum EpState {
    #[default]
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
}

// History bits (Zeek's HIST_*), one set per endpoint.
const H_SYN: u8 = 1;
const H_FIN: u8 = 2;
const H_RST: u8 = 4;
const H_FIN_RST: u8 = 8;
const H_DATA: u8 = 16;
const H_ACK: u8 = 32;
const H_MULTI: u8 = 64;

const TOO_LARGE_SEQ_DELTA: i32 = 1_048_576;

/// One side of a TCP connection.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Endpoint {
    pub state: EpState,
    prev_state: EpState,
    hist: u8,
    last_syn: u32,
    last_fin: u32,
    last_rst: u32,
    rxmt_cnt: u32,
    rxmt_thresh: u32,
    win0_cnt: u32,
    win0_thresh: u32,
    start_seq: u32,
    last_seq: u32,
    /// Sequence number of the first SYN this side sent.
    pub syn_seq: Option<u32>,
}

impl Endpoint {
    fn set_state(&mut self, s: EpState) {
        self.prev_state = self.state;
        self.state = s;
    }
}

/// Both endpoints plus the connection-wide history string.
#[derive(Debug, Clone, Default)]
pub(crate) struct TcpTracker {
    pub orig: Endpoint,
    pub resp: Endpoint,
}

/// What one packet did, for the flow's counters.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TcpEvent {
    /// Zeek's `DidRxmit`: payload at or before the highest sequence seen.
    pub rxmit: bool,
    /// A zero window advertisement Zeek counts.
    pub zero_window: bool,
}

/// The TCP header fields the state machine reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    pub flags: u8,
    pub seq: u32,
    pub ack: u32,
    /// Payload length as the headers state.
    pub len: u32,
    pub window: u16,
}

fn seq_delta(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

fn add_history(history: &mut String, is_orig: bool, code: u8) {
    let c = if is_orig {
        code
    } else {
        code.to_ascii_lowercase()
    };
    history.push(char::from(c));
}

/// Zeek's `CheckHistory`: records the letter the first time; returns true
/// when it had been seen before.
fn check_history(
    ep: &mut Endpoint,
    history: &mut String,
    is_orig: bool,
    bit: u8,
    code: u8,
) -> bool {
    if ep.hist & bit != 0 {
        return true;
    }
    ep.hist |= bit;
    add_history(history, is_orig, code);
    false
}

/// Zeek's `ScaledHistoryEntry`: letter at the 1st, 10th, 100th... event.
fn scaled(counter: &mut u32, threshold: &mut u32, history: &mut String, is_orig: bool, code: u8) {
    if *threshold == 0 {
        *threshold = 1;
    }
    *counter = counter.saturating_add(1);
    if *counter == *threshold {
        add_history(history, is_orig, code);
        *threshold = threshold.saturating_mul(10);
    }
}

impl TcpTracker {
    /// Updates the state machine with one packet; appends history letters.
    pub fn packet(&mut self, is_orig: bool, seg: Segment, history: &mut String) -> TcpEvent {
        let Segment {
            flags,
            seq,
            ack,
            len,
            window,
        } = seg;
        let (endpoint, peer) = if is_orig {
            (&mut self.orig, &mut self.resp)
        } else {
            (&mut self.resp, &mut self.orig)
        };
        let syn = flags & SYN != 0;
        let fin = flags & FIN != 0;
        let rst = flags & RST != 0;
        let ackf = flags & ACK != 0;
        let mut ev = TcpEvent::default();

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
        let seq_end = seq.wrapping_add(seg_len);
        if syn && endpoint.syn_seq.is_none() {
            endpoint.syn_seq = Some(seq);
        }

        init_endpoint(endpoint, syn, seq, seq_end);
        update_history(endpoint, history, is_orig, flags, seq, len);

        // update_window: only the zero-window part matters here.
        if window == 0 && !rst && peer.state != EpState::Closed && endpoint.state != EpState::Reset
        {
            scaled(
                &mut endpoint.win0_cnt,
                &mut endpoint.win0_thresh,
                history,
                is_orig,
                b'W',
            );
            ev.zero_window = true;
        }

        if ackf && peer.state == EpState::Inactive {
            // init_peer: number the peer as though its SYN had been seen.
            let base = ack.wrapping_sub(1);
            peer.start_seq = base;
            peer.last_seq = base;
        }

        // update_last_seq
        let delta_last = seq_delta(seq_end, endpoint.last_seq);
        if (syn || rst) && !(-TOO_LARGE_SEQ_DELTA..=TOO_LARGE_SEQ_DELTA).contains(&delta_last) {
        } else if fin && endpoint.last_seq == endpoint.start_seq.wrapping_add(1) {
            endpoint.last_seq = seq_end;
        } else if endpoint.state == EpState::Reset {
        } else if delta_last > 0 {
            endpoint.last_seq = seq_end;
        } else if len > 0 {
            scaled(
                &mut endpoint.rxmt_cnt,
                &mut endpoint.rxmt_thresh,
                history,
                is_orig,
                b'T',
            );
            ev.rxmit = true;
        }

        update_state(endpoint, peer, is_orig, syn, fin, rst, ackf, len, seq);
        ev
    }

    /// True when the connection is over: both sides closed or one reset.
    pub fn closed(&self) -> bool {
        (self.orig.state == EpState::Closed && self.resp.state == EpState::Closed)
            || self.orig.state == EpState::Reset
            || self.resp.state == EpState::Reset
    }

    /// Zeek's `conn_state` for TCP.
    pub fn conn_state(&self, history: &str, orig_size: u64, resp_size: u64) -> &'static str {
        use EpState::*;
        let os = self.orig.state;
        let rs = self.resp.state;
        let o_inactive = matches!(os, Inactive | Partial);
        let r_inactive = matches!(rs, Inactive | Partial);
        if rs == Reset {
            if os == SynSent
                || os == SynAckSent
                || (os == Reset && orig_size == 0 && resp_size == 0)
            {
                "REJ"
            } else if o_inactive {
                "RSTRH"
            } else {
                "RSTR"
            }
        } else if os == Reset {
            if r_inactive {
                if rstos0_history(history) {
                    "RSTOS0"
                } else {
                    "OTH"
                }
            } else {
                "RSTO"
            }
        } else if rs == Closed && os == Closed {
            "SF"
        } else if os == Closed {
            if r_inactive { "SH" } else { "S2" }
        } else if rs == Closed {
            if o_inactive { "SHR" } else { "S3" }
        } else if os == SynSent && rs == Inactive {
            "S0"
        } else if os == Established && rs == Established {
            "S1"
        } else {
            "OTH"
        }
    }
}

/// Zeek's `/\^?S[^HAFGIQ]*R.*/` matched against the whole history.
fn rstos0_history(h: &str) -> bool {
    let h = h.strip_prefix('^').unwrap_or(h);
    let Some(rest) = h.strip_prefix('S') else {
        return false;
    };
    for c in rest.chars() {
        if c == 'R' {
            return true;
        }
        if "HAFGIQ".contains(c) {
            return false;
        }
    }
    false
}

fn init_endpoint(ep: &mut Endpoint, syn: bool, seq: u32, seq_end: u32) {
    let reinit = |ep: &mut Endpoint| {
        ep.start_seq = seq;
        ep.last_seq = seq_end;
    };
    match ep.state {
        EpState::Inactive => {
            if syn {
                reinit(ep);
            } else {
                ep.start_seq = seq.wrapping_sub(1);
                ep.last_seq = seq;
            }
        }
        EpState::SynSent | EpState::SynAckSent => {
            if syn && seq != ep.start_seq {
                reinit(ep);
            }
        }
        EpState::Established | EpState::Partial => {
            if syn {
                reinit(ep);
            }
        }
        EpState::Reset => {
            if syn && ep.prev_state == EpState::Inactive {
                reinit(ep);
            }
        }
        EpState::Closed => {}
    }
}

fn update_history(
    ep: &mut Endpoint,
    history: &mut String,
    is_orig: bool,
    flags: u8,
    seq: u32,
    len: u32,
) {
    let syn = flags & SYN != 0;
    let fin = flags & FIN != 0;
    let rst = flags & RST != 0;
    let bits = u8::from(syn) + u8::from(fin) + u8::from(rst);
    if bits > 1 {
        if fin && rst {
            check_history(ep, history, is_orig, H_FIN_RST, b'I');
        } else {
            check_history(ep, history, is_orig, H_MULTI, b'Q');
        }
    } else if bits == 1 {
        if syn {
            let code = if flags & ACK != 0 { b'H' } else { b'S' };
            if check_history(ep, history, is_orig, H_SYN, code) && seq != ep.last_syn {
                add_history(history, is_orig, code);
            }
            ep.last_syn = seq;
        }
        if fin {
            let end = seq.wrapping_add(len);
            if check_history(ep, history, is_orig, H_FIN, b'F') && end != ep.last_fin {
                add_history(history, is_orig, b'F');
            }
            ep.last_fin = end;
        }
        if rst {
            if check_history(ep, history, is_orig, H_RST, b'R') && seq != ep.last_rst {
                add_history(history, is_orig, b'R');
            }
            ep.last_rst = seq;
        }
    } else if len > 0 {
        check_history(ep, history, is_orig, H_DATA, b'D');
    } else if flags & ACK != 0 {
        check_history(ep, history, is_orig, H_ACK, b'A');
    }
}

#[allow(clippy::too_many_arguments)]
fn update_state(
    endpoint: &mut Endpoint,
    peer: &mut Endpoint,
    is_orig: bool,
    syn: bool,
    fin: bool,
    rst: bool,
    ack: bool,
    len: u32,
    _seq: u32,
) {
    use EpState::*;
    match endpoint.state {
        Inactive => {
            if syn {
                if is_orig {
                    endpoint.set_state(if ack { SynAckSent } else { SynSent });
                } else {
                    if peer.state == SynSent {
                        peer.set_state(Established);
                    }
                    endpoint.set_state(Established);
                }
            }
            if fin {
                endpoint.set_state(Closed);
            }
            if rst {
                endpoint.set_state(Reset);
            }
            if endpoint.state == Inactive {
                if !is_orig && len == 0 && peer.state == SynSent {
                    // An ACK of the SYN before the SYN-ACK: not partial.
                } else if ack && peer.state == Established {
                    endpoint.set_state(Established);
                } else {
                    endpoint.set_state(Partial);
                }
            }
        }
        SynSent | SynAckSent => {
            if fin {
                endpoint.set_state(Closed);
            }
            if rst {
                endpoint.set_state(Reset);
            }
        }
        Established | Partial => {
            if syn && endpoint.state == Partial && peer.state == Inactive && !ack {
                endpoint.set_state(SynSent);
            }
            if fin && !rst {
                endpoint.set_state(Closed);
                if peer.state == Reset && peer.prev_state == Closed {
                    peer.set_state(Closed);
                }
            }
            if rst {
                endpoint.set_state(Reset);
            }
        }
        Closed => {
            if rst && peer.state != Closed {
                endpoint.set_state(Reset);
            }
        }
        Reset => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nwcap_pcap::packet::tcpflags::PSH;

    struct Conn {
        t: TcpTracker,
        h: String,
    }

    impl Conn {
        fn new() -> Self {
            Conn {
                t: TcpTracker::default(),
                h: String::new(),
            }
        }
        fn o(&mut self, flags: u8, seq: u32, ack: u32, len: u32) -> TcpEvent {
            let seg = Segment {
                flags,
                seq,
                ack,
                len,
                window: 1000,
            };
            self.t.packet(true, seg, &mut self.h)
        }
        fn r(&mut self, flags: u8, seq: u32, ack: u32, len: u32) -> TcpEvent {
            let seg = Segment {
                flags,
                seq,
                ack,
                len,
                window: 1000,
            };
            self.t.packet(false, seg, &mut self.h)
        }
        fn state(&self, os: u64, rs: u64) -> &'static str {
            self.t.conn_state(&self.h, os, rs)
        }
    }

    #[test]
    fn full_connection_is_sf() {
        let mut c = Conn::new();
        c.o(SYN, 100, 0, 0);
        c.r(SYN | ACK, 500, 101, 0);
        c.o(ACK, 101, 501, 0);
        c.o(ACK | PSH, 101, 501, 10);
        c.r(ACK | PSH, 501, 111, 20);
        c.o(FIN | ACK, 111, 521, 0);
        c.r(FIN | ACK, 521, 112, 0);
        c.o(ACK, 112, 522, 0);
        assert_eq!(c.h, "ShADdFf");
        assert_eq!(c.state(10, 20), "SF");
        assert!(c.t.closed());
    }

    #[test]
    fn retransmission_is_t_logarithmic() {
        let mut c = Conn::new();
        c.o(SYN, 1, 0, 0);
        c.r(SYN | ACK, 9, 2, 0);
        c.o(ACK, 2, 10, 0);
        c.o(ACK, 2, 10, 100);
        let mut n = 0;
        for _ in 0..10 {
            if c.o(ACK, 2, 10, 100).rxmit {
                n += 1;
            }
        }
        assert_eq!(n, 10);
        assert_eq!(c.h, "ShADTT");
        assert_eq!(c.state(100, 0), "S1");
    }

    #[test]
    fn rstos0_regex() {
        assert!(rstos0_history("SR"));
        assert!(rstos0_history("^SdR"));
        assert!(rstos0_history("ShR"));
        assert!(!rstos0_history("SHR"));
        assert!(!rstos0_history("SAR"));
        assert!(!rstos0_history("R"));
    }
}
