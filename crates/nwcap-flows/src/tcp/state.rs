//! Zeek's TCP endpoint state machine (`UpdateStateMachine` and the
//! functions it dispatches to), endpoint initialisation, and `conn_state`.

use nwcap_pcap::TimestampNs;
use nwcap_pcap::packet::ipproto;
use nwcap_pcap::packet::tcpflags::{ACK, FIN, RST, SYN};

use super::{Endpoint, ORIG, RESP, TcpConn, TcpTimers};
use crate::ports::likely_server_port;

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

impl EpState {
    fn handshake(self) -> bool {
        matches!(
            self,
            EpState::Inactive | EpState::SynSent | EpState::SynAckSent
        )
    }
}

/// Zeek's `init_endpoint`: sequence numbering from the first packet (or a
/// new SYN) of an endpoint.
pub(crate) fn init_endpoint(ep: &mut Endpoint, syn: bool, seq: u32, seq_end: u32) {
    use EpState::*;
    match ep.state {
        Inactive => {
            if syn {
                ep.init_seqs(seq, seq, seq_end);
            } else {
                // A partial connection: numbered as though a SYN had been
                // seen, the first packet not a duplicate.
                let base = seq.wrapping_sub(1);
                ep.init_seqs(base, base, seq);
            }
        }
        SynSent | SynAckSent => {
            if syn && seq != ep.start() {
                ep.init_seqs(seq, seq, seq_end);
            }
        }
        Established | Partial => {
            if syn {
                ep.init_seqs(seq, seq, seq_end);
            }
        }
        Reset => {
            if syn && ep.prev_state == Inactive {
                ep.init_seqs(seq, seq, seq_end);
            }
        }
        Closed => {}
    }
}

/// What closing a packet asks for: `Some(gen_event)` when the endpoint
/// closed (Zeek's `do_close`, `gen_event`).
type Closing = Option<bool>;

impl TcpConn {
    /// Zeek's `TCP_Endpoint::SetState`, with the switch to the TCP
    /// inactivity timeout once the handshake is over.
    fn set_state(&mut self, side: usize, new: EpState, timers: &TcpTimers) {
        let old = self.ep[side].state;
        if new == old {
            return;
        }
        if !new.handshake() && old.handshake() && self.ep[1 - side].state.handshake() {
            self.timeout = timers.timeout;
        }
        self.ep[side].prev_state = old;
        self.ep[side].state = new;
    }

    /// Zeek's `connection_established` handling in
    /// `base/protocols/conn/inactivity.zeek`: interactive services keep a
    /// long inactivity timeout.
    fn established(&mut self, timers: &TcpTimers) {
        let (orig_p, resp_p) = self.ports;
        let mut service = resp_p;
        if self.ep[0].state == EpState::Inactive
            && !likely_server_port(ipproto::TCP, resp_p)
            && likely_server_port(ipproto::TCP, orig_p)
        {
            service = orig_p;
        }
        if matches!(service, 21 | 22 | 23 | 513) {
            self.timeout = timers.interactive_timeout;
        }
    }

    /// Zeek's `UpdateStateMachine` for a packet of side `*me` (which a
    /// SYN/SYN-ACK reversal may flip); `is_orig` is the side the packet
    /// was first attributed to (Zeek keeps using it).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn update_state(
        &mut self,
        is_orig: bool,
        me: &mut usize,
        flags: u8,
        base_seq: u32,
        len: u32,
        ts: TimestampNs,
        timers: &TcpTimers,
        history: &mut compact_str::CompactString,
    ) -> Closing {
        use EpState::*;
        let (syn, fin, rst, ack) = (
            flags & SYN != 0,
            flags & FIN != 0,
            flags & RST != 0,
            flags & ACK != 0,
        );
        let mut closing: Closing = None;
        match self.ep[*me].state {
            Inactive => {
                if syn {
                    if is_orig {
                        self.set_state(*me, if ack { SynAckSent } else { SynSent }, timers);
                        if timers.attempt_delay > 0 {
                            self.attempt_at = Some(ts.saturating_add(timers.attempt_delay));
                        }
                    } else {
                        let peer = 1 - *me;
                        if !ack
                            && self.ep[peer].state == SynAckSent
                            && base_seq == self.ep[*me].start()
                        {
                            // A SYN/SYN-ACK reversal: flip and establish.
                            self.is_partial = false;
                            self.flip(history);
                            *me = 1 - *me;
                            self.set_state(1 - *me, Established, timers);
                            self.first_packet_seen |= ORIG;
                        }
                        let peer = 1 - *me;
                        if self.ep[peer].state == SynSent {
                            self.set_state(peer, Established, timers);
                        }
                        self.set_state(*me, Established, timers);
                        if self.ep[peer].state != Partial {
                            self.established(timers);
                        }
                    }
                }
                if fin {
                    self.set_state(*me, Closed, timers);
                    closing = Some(true);
                }
                if rst {
                    self.set_state(*me, Reset, timers);
                    let peer = self.ep[1 - *me].state;
                    let reject = if is_orig {
                        peer == Established
                    } else {
                        matches!(peer, SynSent | SynAckSent)
                    };
                    closing = Some(!reject);
                }
                if self.ep[*me].state == Inactive {
                    let peer = 1 - *me;
                    if !is_orig && len == 0 && self.ep[0].state == SynSent {
                        // An ACK of the SYN before the SYN-ACK: not partial.
                    } else if ack && self.ep[peer].state == Established {
                        self.set_state(*me, Established, timers);
                        self.is_partial = false;
                        self.first_packet_seen |= if is_orig { ORIG } else { RESP };
                    } else {
                        self.set_state(*me, Partial, timers);
                    }
                }
            }
            SynSent | SynAckSent => {
                if fin {
                    self.set_state(*me, Closed, timers);
                    closing = Some(true);
                }
                if rst {
                    self.set_state(*me, Reset, timers);
                    self.is_active = false;
                    closing = Some(closing.unwrap_or(false));
                }
            }
            Established | Partial => {
                let peer = 1 - *me;
                if syn && self.ep[*me].state == Partial && self.ep[peer].state == Inactive && !ack {
                    self.set_state(*me, SynSent, timers);
                }
                if fin && !rst {
                    self.set_state(*me, Closed, timers);
                    if self.ep[peer].state == Reset && self.ep[peer].prev_state == Closed {
                        // A FIN followed by a RST from the peer: a normal end.
                        self.set_state(peer, Closed, timers);
                    }
                    closing = Some(true);
                }
                if rst {
                    self.set_state(*me, Reset, timers);
                    if self.ep[peer].state != Reset || self.ep[peer].prev_state != Established {
                        self.is_active = false;
                    }
                    closing = Some(closing.unwrap_or(false));
                }
            }
            Closed => {
                if rst && self.ep[1 - *me].state != Closed {
                    self.set_state(*me, Reset, timers);
                    if !self.ep[*me].did_close {
                        closing = Some(false);
                    }
                }
            }
            Reset => {}
        }
        closing
    }
}

/// Zeek's `conn_state` for TCP (`base/protocols/conn/main.zeek`).
pub(crate) fn conn_state(
    os: EpState,
    rs: EpState,
    history: &str,
    orig_size: u64,
    resp_size: u64,
) -> &'static str {
    use EpState::*;
    let o_inactive = matches!(os, Inactive | Partial);
    let r_inactive = matches!(rs, Inactive | Partial);
    if rs == Reset {
        if os == SynSent || os == SynAckSent || (os == Reset && orig_size == 0 && resp_size == 0) {
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

/// Zeek's `/\^?S[^HAFGIQ]*R.*/` matched against the whole history.
pub(crate) fn rstos0_history(h: &str) -> bool {
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
