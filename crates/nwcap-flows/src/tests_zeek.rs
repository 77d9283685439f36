//! Zeek's connection semantics, one kind per test, on hand-made packets
//! (the shapes of Zeek's own traces in `../shared/zeek` and of the field
//! cases in `../shared/cases`).
#![allow(clippy::unwrap_used)]

use nwcap_pcap::packet::ipproto;
use nwcap_pcap::packet::tcpflags::{ACK, FIN, PSH, RST, SYN};

use crate::tests::{flows_of, ip, pb, tcp};

const C: &str = "192.0.2.10";
const S: &str = "198.51.100.20";

fn row(f: &crate::Flow) -> (String, &'static str, String, u64, u64) {
    (
        f.orig_h().to_string(),
        f.conn_state(),
        f.history.to_string(),
        f.orig.pkts,
        f.resp.pkts,
    )
}

#[test]
fn midstream_tcp_from_a_server_port_is_flipped() {
    // Case 07: seen mid-connection, the first packet comes from port 443.
    let f = flows_of(vec![
        tcp(0, S, 443, C, 51000, ACK | PSH, 9000, 100, 200),
        tcp(1, C, 51000, S, 443, ACK, 100, 9200, 0),
        tcp(2, C, 51000, S, 443, ACK | PSH, 100, 9200, 50),
        tcp(3, S, 443, C, 51000, ACK, 9200, 150, 0),
    ]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].orig_h(), ip(C));
    assert_eq!((f[0].orig_p(), f[0].resp_p()), (Some(51000), Some(443)));
    assert_eq!(f[0].history, "^dADa");
    assert_eq!(f[0].conn_state(), "OTH");
    assert_eq!((f[0].orig.pkts, f[0].resp.pkts), (2, 2));
}

#[test]
fn udp_from_a_server_port_to_a_client_port_is_flipped() {
    // A DHCP offer seen before (or without) its request; a DNS reply.
    let f = flows_of(vec![pb(0, ipproto::UDP, S, 67, C, 68).payload(b"offer")]);
    assert_eq!(row(&f[0]), (C.to_string(), "SHR", "^d".to_string(), 0, 1));
    // Both ports likely server ports: the first sender stays originator.
    let f = flows_of(vec![pb(0, ipproto::UDP, S, 123, C, 123).payload(b"x")]);
    assert_eq!(row(&f[0]), (S.to_string(), "S0", "D".to_string(), 1, 0));
    // Never towards the broadcast address.
    let f = flows_of(vec![
        pb(0, ipproto::UDP, S, 67, "255.255.255.255", 68).payload(b"x"),
    ]);
    assert_eq!(f[0].orig_h(), ip(S));
}

#[test]
fn a_udp_flow_split_by_its_timeout_keeps_the_client_as_originator() {
    let q = |ms| pb(ms, ipproto::UDP, C, 3181, S, 161).payload(b"q");
    let r = |ms| pb(ms, ipproto::UDP, S, 161, C, 3181).payload(b"r");
    let f = flows_of(vec![q(0), r(1), r(70_000), q(70_001)]);
    assert_eq!(f.len(), 2);
    for f in &f {
        assert_eq!(f.orig_h(), ip(C), "{:?}", f.history);
        assert_eq!(f.resp_p(), Some(161));
    }
    assert_eq!(f[1].history, "^dD");
}

#[test]
fn dns_over_udp_ends_after_zeek_s_dns_session_timeout() {
    let q = |ms| pb(ms, ipproto::UDP, C, 5000, S, 53).payload(b"q");
    let r = |ms| pb(ms, ipproto::UDP, S, 53, C, 5000).payload(b"r");
    // Checked every 10 s from the start, ended once idle 9 s.
    let f = flows_of(vec![q(0), r(100), q(16_200), r(16_300)]);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].conn_state(), "SF");
    // Still active at the first check: kept.
    let f = flows_of(vec![q(0), r(9_500), q(16_200)]);
    assert_eq!(f.len(), 1);
}

#[test]
fn an_unanswered_syn_is_given_up_after_the_attempt_delay() {
    // ssh-halfduplex-client: only the client's side was captured.
    let mut p = vec![tcp(0, C, 40000, S, 22, SYN, 100, 0, 0)];
    for i in 0..3 {
        p.push(tcp(
            10 + i,
            C,
            40000,
            S,
            22,
            ACK | PSH,
            101 + i as u32 * 10,
            5,
            10,
        ));
    }
    p.push(tcp(6_000, C, 40000, S, 22, ACK | PSH, 131, 5, 10));
    p.push(tcp(6_001, C, 40000, S, 22, FIN | ACK, 141, 5, 0));
    let f = flows_of(p);
    let rows: Vec<_> = f.iter().map(row).collect();
    assert_eq!(
        rows,
        [
            (C.to_string(), "S0", "SD".to_string(), 4, 0),
            (C.to_string(), "SH", "DF".to_string(), 2, 0)
        ]
    );
}

#[test]
fn a_reset_connection_ends_after_the_close_delay() {
    // modbus: a reset, then more packets of the 5-tuple 15 s later.
    let f = flows_of(vec![
        tcp(0, C, 60293, S, 502, SYN, 10, 0, 0),
        tcp(1, S, 502, C, 60293, SYN | ACK, 70, 11, 0),
        tcp(2, C, 60293, S, 502, RST, 11, 0, 0),
        tcp(15_600, S, 502, C, 60293, ACK | PSH, 71, 11, 109),
        tcp(15_601, S, 502, C, 60293, RST, 180, 0, 0),
    ]);
    let rows: Vec<_> = f.iter().map(row).collect();
    assert_eq!(rows[0], (C.to_string(), "RSTO", "ShR".to_string(), 2, 1));
    // The later packets come from port 502: Zeek flips them (`^`).
    assert_eq!(rows[1], (C.to_string(), "RSTRH", "^dr".to_string(), 0, 2));
}

#[test]
fn duration_stops_when_both_sides_closed() {
    let f = flows_of(vec![
        tcp(0, C, 1000, S, 80, SYN, 0, 0, 0),
        tcp(10, S, 80, C, 1000, SYN | ACK, 0, 1, 0),
        tcp(20, C, 1000, S, 80, ACK, 1, 1, 0),
        tcp(30, C, 1000, S, 80, FIN | ACK, 1, 1, 0),
        tcp(40, S, 80, C, 1000, FIN | ACK, 1, 2, 0),
        tcp(900, C, 1000, S, 80, ACK, 2, 2, 0),
    ]);
    assert_eq!(f[0].duration(), 40 * 1_000_000);
    assert_eq!(f[0].orig.pkts, 4);
}

#[test]
fn each_syn_after_a_reject_is_a_new_connection() {
    // pop3: the client retries; every attempt is rejected.
    let mut p = Vec::new();
    for i in 0..3 {
        p.push(tcp(i * 500, C, 26242, S, 110, SYN, 5, 0, 0));
        p.push(tcp(i * 500 + 1, S, 110, C, 26242, RST | ACK, 0, 6, 0));
    }
    let f = flows_of(p);
    let rows: Vec<_> = f.iter().map(row).collect();
    assert_eq!(
        rows,
        vec![(C.to_string(), "REJ", "Sr".to_string(), 1, 1); 3]
    );
}

#[test]
fn retransmitted_and_missing_payload_count_in_sequence_space() {
    let f = flows_of(vec![
        tcp(0, C, 1000, S, 80, SYN, 0, 0, 0),
        tcp(1, S, 80, C, 1000, SYN | ACK, 0, 1, 0),
        tcp(2, C, 1000, S, 80, ACK | PSH, 1, 1, 100),
        tcp(3, C, 1000, S, 80, ACK | PSH, 1, 1, 100),
        // 101..301 never seen, acknowledged below.
        tcp(4, C, 1000, S, 80, ACK | PSH, 301, 1, 100),
        tcp(5, S, 80, C, 1000, ACK, 1, 401, 0),
    ]);
    let fl = &f[0];
    assert_eq!(fl.zeek_bytes(), (400, 0));
    assert_eq!(fl.orig.payload, 300);
    assert_eq!(fl.missed_bytes(), 200);
    assert_eq!(fl.history, "ShDTaG");
}

#[test]
fn a_udp_tunnel_is_a_connection_and_the_inner_one_names_it() {
    let o1 = ("203.0.113.1", 3797, "203.0.113.9", 3544);
    let o2 = ("203.0.113.1", 3797, "203.0.113.7", 3544);
    let mut p = Vec::new();
    // Packets alternating between two Teredo servers.
    for i in 0..7 {
        let (s, sp, d, dp) = if i % 2 == 0 { o1 } else { o2 };
        p.push(
            pb(i * 10, ipproto::UDP, C, 5000, S, 9000)
                .payload(b"x")
                .in_udp(s, sp, d, dp),
        );
    }
    let f = flows_of(p);
    // Two outer UDP connections; the tunnel's outer endpoints are part of
    // nwcap's key, so the inner packets are one flow per tunnel, each
    // naming its outer connection.
    let outer: Vec<_> = f.iter().filter(|f| f.key.tunnel.is_none()).collect();
    assert_eq!(outer.len(), 2);
    assert!(
        outer
            .iter()
            .all(|o| o.resp_p() == Some(3544) && o.carried == o.orig.pkts)
    );
    let inner: Vec<_> = f.iter().filter(|f| f.key.tunnel.is_some()).collect();
    for i in &inner {
        assert_eq!(i.tunnel_parents().len(), 1);
        assert!(!i.history.contains('X'));
    }
}

#[test]
fn many_changes_of_outer_connection_mark_x() {
    // One tunnel (same outer addresses), its outer source port changing:
    // six changes of encapsulation, one more than Zeek accepts without
    // `X`.
    let mut p = Vec::new();
    for i in 0..7u16 {
        p.push(
            pb(i64::from(i) * 10, ipproto::UDP, C, 5000, S, 9000)
                .payload(b"x")
                .in_udp("203.0.113.1", 3797 + i % 2, "203.0.113.9", 3544),
        );
    }
    let f = flows_of(p);
    let inner = f.iter().find(|f| f.key.tunnel.is_some()).unwrap();
    assert_eq!(inner.tunnel_parents().len(), 2);
    assert_eq!(inner.history, "DX");
    assert_eq!(inner.orig.pkts, 7);
}
