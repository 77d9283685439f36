//! The TCP model on hand-made segments.

use super::*;
use nwcap_pcap::packet::tcpflags::PSH;

const MS: i64 = 1_000_000;

fn timers() -> TcpTimers {
    TcpTimers {
        attempt_delay: 5_000 * MS,
        close_delay: 5_000 * MS,
        handshake_timeout: 60_000 * MS,
        timeout: 300_000 * MS,
        interactive_timeout: 3_600_000 * MS,
    }
}

struct Conn {
    t: TcpConn,
    h: compact_str::CompactString,
    now: i64,
}

impl Conn {
    fn new() -> Self {
        Conn {
            t: TcpConn::new(&timers(), 0, (40000, 80)),
            h: compact_str::CompactString::default(),
            now: 0,
        }
    }
    fn at(&mut self, ms: i64) -> &mut Self {
        self.now = ms * MS;
        self
    }
    fn pkt(&mut self, is_orig: bool, flags: u8, seq: u32, ack: u32, len: u32) -> TcpEvent {
        let seg = Segment {
            flags,
            seq,
            ack,
            len,
            window: 1000,
            captured: true,
            ts: self.now,
        };
        self.t.packet(is_orig, seg, &mut self.h, &timers())
    }
    fn o(&mut self, flags: u8, seq: u32, ack: u32, len: u32) -> TcpEvent {
        self.pkt(true, flags, seq, ack, len)
    }
    fn r(&mut self, flags: u8, seq: u32, ack: u32, len: u32) -> TcpEvent {
        self.pkt(false, flags, seq, ack, len)
    }
    fn state(&self) -> &'static str {
        self.t.conn_state(&self.h)
    }
}

#[test]
fn full_connection_is_sf_and_sizes_are_sequence_space() {
    let mut c = Conn::new();
    c.o(SYN, 100, 0, 0);
    c.r(SYN | ACK, 500, 101, 0);
    c.o(ACK, 101, 501, 0);
    c.o(ACK | PSH, 101, 501, 10);
    c.r(ACK | PSH, 501, 111, 20);
    c.at(10).o(FIN | ACK, 111, 521, 0);
    c.at(20).r(FIN | ACK, 521, 112, 0);
    c.at(30).o(ACK, 112, 522, 0);
    assert_eq!(c.h, "ShADdFf");
    assert_eq!(c.state(), "SF");
    assert_eq!(c.t.sizes(), (10, 20));
    // The last ACK after both FINs does not move the connection's time.
    assert_eq!(c.t.last_time, 20 * MS);
    assert!(c.t.both_closed());
    // Zeek deletes it 5 s after its last time.
    assert_eq!(c.t.ends_at(), 5_020 * MS);
}

#[test]
fn retransmission_is_t_logarithmic_and_counted_once() {
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
    assert_eq!(c.state(), "S1");
    assert_eq!(c.t.sizes(), (100, 0));
}

#[test]
fn an_unanswered_syn_ends_after_the_attempt_delay() {
    let mut c = Conn::new();
    c.o(SYN, 1, 0, 0);
    assert_eq!(c.t.ends_at(), 5_000 * MS);
    c.at(1000).o(ACK, 2, 0, 10);
    assert_eq!(c.state(), "S0");
    assert_eq!(c.t.ends_at(), 5_000 * MS);
}

#[test]
fn a_syn_with_a_new_sequence_number_reuses_the_tuple() {
    let mut c = Conn::new();
    c.o(SYN, 1, 0, 0);
    assert!(!c.t.is_reuse(SYN, 1));
    assert!(c.t.is_reuse(SYN, 77));
    c.r(RST | ACK, 0, 2, 0);
    assert_eq!(c.state(), "REJ");
    // After the close even the same sequence number starts anew.
    assert!(c.t.is_reuse(SYN, 1));
    assert!(!c.t.is_reuse(ACK, 1));
}

#[test]
fn synack_first_flips_on_the_first_ack() {
    let mut c = Conn::new();
    c.o(SYN | ACK, 500, 101, 0);
    assert_eq!(c.h, "H");
    let ev = c.r(ACK, 101, 501, 0);
    assert!(ev.flipped);
    assert_eq!(c.h, "^hA");
    // The SYN-ACK's sender is now the responder, the ACK's the originator.
    assert_eq!(c.state(), "OTH");
}

#[test]
fn acknowledged_bytes_never_seen_are_a_gap() {
    let mut c = Conn::new();
    c.o(SYN, 0, 0, 0);
    c.r(SYN | ACK, 1000, 1, 0);
    c.o(ACK, 1, 1001, 0);
    c.o(ACK, 1, 1001, 100);
    // 100..300 lost; the server acks 400.
    c.o(ACK, 301, 1001, 100);
    c.r(ACK, 1001, 401, 0);
    assert_eq!(c.h, "ShADaG");
    assert_eq!(c.t.missed_bytes(), 200);
    assert_eq!(c.t.sizes(), (400, 0));
}

#[test]
fn rstos0_regex() {
    use super::state::rstos0_history;
    assert!(rstos0_history("SR"));
    assert!(rstos0_history("^SdR"));
    assert!(rstos0_history("ShR"));
    assert!(!rstos0_history("SHR"));
    assert!(!rstos0_history("SAR"));
    assert!(!rstos0_history("R"));
}
