//! Engine tests on packets built by hand (no decoder needed).
#![allow(clippy::unwrap_used, clippy::too_many_arguments)]

use std::net::IpAddr;

use nwcap_pcap::packet::tcpflags::{ACK, FIN, PSH, RST, SYN};
use nwcap_pcap::packet::{Fragment, IpInfo, L4, Packet, Tunnel, TunnelKind, ipproto};
use nwcap_pcap::{LinkType, Record};

use crate::columns::ColumnData;
use crate::hints::tests::{client_hello, dns_query};
use crate::{COLUMNS, Flow, FlowConfig, FlowTable, all_columns};

const MS: i64 = 1_000_000;
const T0: i64 = 1_700_000_000_000 * MS;

pub(crate) fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Builder of one hand-made packet.
#[derive(Clone)]
pub(crate) struct Pb {
    ts: i64,
    proto: u8,
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
    flags: u8,
    seq: u32,
    ack: u32,
    win: u16,
    len: u32,
    payload: Vec<u8>,
    vlan: Option<u16>,
    tunnel: Option<Tunnel>,
    frag: Option<Fragment>,
    l4: bool,
    icmp: (u8, u8),
    cut: bool,
}

pub(crate) fn pb(ms: i64, proto: u8, src: &str, sport: u16, dst: &str, dport: u16) -> Pb {
    Pb {
        ts: T0 + ms * MS,
        proto,
        src: ip(src),
        dst: ip(dst),
        sport,
        dport,
        flags: 0,
        seq: 0,
        ack: 0,
        win: 1000,
        len: 0,
        payload: Vec::new(),
        vlan: None,
        tunnel: None,
        frag: None,
        l4: true,
        icmp: (0, 0),
        cut: false,
    }
}

pub(crate) fn tcp(
    ms: i64,
    src: &str,
    sport: u16,
    dst: &str,
    dport: u16,
    flags: u8,
    seq: u32,
    ack: u32,
    len: u32,
) -> Pb {
    let mut p = pb(ms, ipproto::TCP, src, sport, dst, dport);
    p.flags = flags;
    p.seq = seq;
    p.ack = ack;
    p.len = len;
    p
}

impl Pb {
    pub(crate) fn payload(mut self, b: &[u8]) -> Self {
        self.payload = b.to_vec();
        self.len = b.len() as u32;
        self
    }
    fn vlan(mut self, v: u16) -> Self {
        self.vlan = Some(v);
        self
    }
    fn tunnel(mut self, src: &str, dst: &str, vni: u32) -> Self {
        self.tunnel = Some(Tunnel {
            kind: TunnelKind::Vxlan,
            outer_src: ip(src),
            outer_dst: ip(dst),
            vni: Some(vni),
            depth: 1,
            outer_udp: None,
        });
        self
    }
    /// Tunnelled in Teredo over UDP from `src:sport` to `dst:dport`.
    pub(crate) fn in_udp(mut self, src: &str, sport: u16, dst: &str, dport: u16) -> Self {
        let total = 20 + 8 + 20 + 8 + self.len;
        self.tunnel = Some(Tunnel {
            kind: TunnelKind::Teredo,
            outer_src: ip(src),
            outer_dst: ip(dst),
            vni: None,
            depth: 1,
            outer_udp: Some(nwcap_pcap::packet::OuterUdp {
                src_port: sport,
                dst_port: dport,
                ip_len: total,
                payload_len: total - 28,
                fragment: None,
            }),
        });
        self
    }
    fn frag(mut self, offset: u32, more: bool, id: u32) -> Self {
        self.frag = Some(Fragment { offset, more, id });
        self.l4 = offset == 0;
        self
    }
    fn icmp(mut self, t: u8, c: u8) -> Self {
        self.icmp = (t, c);
        self
    }
    fn cut(mut self) -> Self {
        self.cut = true;
        self
    }
    fn win(mut self, w: u16) -> Self {
        self.win = w;
        self
    }

    pub(crate) fn build(self) -> (Record<'static>, Packet<'static>) {
        let hdr = match self.proto {
            ipproto::TCP => 20,
            ipproto::UDP => 8,
            _ => 8,
        };
        let total_len = 20 + hdr + self.len;
        let origlen = 14 + total_len;
        let caplen = if self.cut { 34 } else { origlen };
        let data: &'static [u8] = Box::leak(vec![0u8; caplen as usize].into_boxed_slice());
        let bytes = if self.payload.is_empty() && !self.cut {
            // A payload given by length only was captured (as zeros).
            vec![0u8; self.len as usize]
        } else {
            self.payload
        };
        let payload: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        let rec = Record {
            ts: self.ts,
            origlen,
            data,
            interface: 0,
            linktype: LinkType::ETHERNET,
            offset: 0,
        };
        let pkt = Packet {
            vlan: self.vlan,
            vlan_inner: None,
            vlan_depth: u8::from(self.vlan.is_some()),
            mpls_depth: 0,
            ip: Some(IpInfo {
                src: self.src,
                dst: self.dst,
                proto: self.proto,
                total_len,
                ttl: 64,
                fragment: self.frag,
            }),
            tunnel: self.tunnel,
            l4: self.l4.then_some(L4 {
                proto: self.proto,
                src_port: self.sport,
                dst_port: self.dport,
                tcp_flags: self.flags,
                seq: self.seq,
                ack: self.ack,
                window: self.win,
                icmp_type: self.icmp.0,
                icmp_code: self.icmp.1,
                payload_len: self.len,
                partial: false,
            }),
            payload,
            issue: None,
            non_ip: None,
        };
        (rec, pkt)
    }
}

pub(crate) fn flows_of(pkts: Vec<Pb>) -> Vec<Flow> {
    flows_cfg(pkts, FlowConfig::default())
}

fn flows_cfg(pkts: Vec<Pb>, cfg: FlowConfig) -> Vec<Flow> {
    let mut t = FlowTable::new(cfg);
    for p in pkts {
        let (r, k) = p.build();
        t.push(0, &r, &k);
    }
    t.finish().0
}

const C: &str = "10.0.0.2";
const S: &str = "10.0.0.1";

fn handshake(seq_c: u32, t: i64) -> Vec<Pb> {
    vec![
        tcp(t, C, 40000, S, 80, SYN, seq_c, 0, 0),
        tcp(t + 10, S, 80, C, 40000, SYN | ACK, 900, seq_c + 1, 0),
        tcp(t + 20, C, 40000, S, 80, ACK, seq_c + 1, 901, 0),
    ]
}

#[test]
fn handshake_and_close_is_sf() {
    let mut p = handshake(100, 0);
    p.push(tcp(30, C, 40000, S, 80, ACK | PSH, 101, 901, 50));
    p.push(tcp(40, S, 80, C, 40000, ACK | PSH, 901, 151, 500));
    p.push(tcp(50, C, 40000, S, 80, FIN | ACK, 151, 1401, 0));
    p.push(tcp(60, S, 80, C, 40000, FIN | ACK, 1401, 152, 0));
    p.push(tcp(70, C, 40000, S, 80, ACK, 152, 1402, 0));
    let f = flows_of(p);
    assert_eq!(f.len(), 1);
    let f = &f[0];
    assert_eq!(f.conn_state(), "SF");
    assert_eq!(f.history, "ShADdFf");
    assert_eq!(f.orig_h(), ip(C));
    assert_eq!(f.orig_p(), Some(40000));
    assert_eq!(f.resp_p(), Some(80));
    assert_eq!((f.orig.pkts, f.resp.pkts), (5, 3));
    assert_eq!((f.orig.payload, f.resp.payload), (50, 500));
    assert_eq!(f.orig.ip_bytes, 5 * 40 + 50);
    assert_eq!(f.orig.bytes, 5 * 54 + 50);
    assert_eq!(f.handshake_rtt(), Some(20 * MS));
    assert_eq!(f.flag_counts()[0], 2); // SYN
    assert_eq!(f.flag_counts()[1], 2); // FIN
    assert_eq!(f.flag_counts()[4], 7); // ACK
    // Zeek's duration stops at the second FIN: the last ACK is not part of
    // it (it is of the flow's last packet time).
    assert_eq!(f.duration(), 60 * MS);
    assert_eq!(f.last_ts - f.ts, 70 * MS);
    assert_eq!(f.orig.init_win, Some(1000));
}

#[test]
fn lone_syn_is_s0() {
    let f = flows_of(vec![
        tcp(0, C, 1, S, 22, SYN, 5, 0, 0),
        tcp(1000, C, 1, S, 22, SYN, 5, 0, 0),
    ]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].conn_state(), "S0");
    assert_eq!(f[0].history, "S");
}

#[test]
fn syn_then_rst_is_rej() {
    let f = flows_of(vec![
        tcp(0, C, 1, S, 23, SYN, 5, 0, 0),
        tcp(1, S, 23, C, 1, RST | ACK, 0, 6, 0),
    ]);
    assert_eq!(f[0].conn_state(), "REJ");
    assert_eq!(f[0].history, "Sr");
}

#[test]
fn resets_after_establishment() {
    let mut p = handshake(100, 0);
    p.push(tcp(30, C, 40000, S, 80, RST | ACK, 101, 901, 0));
    let f = flows_of(p);
    assert_eq!(f[0].conn_state(), "RSTO");
    assert_eq!(f[0].history, "ShAR");

    let mut p = handshake(100, 0);
    p.push(tcp(30, S, 80, C, 40000, RST | ACK, 901, 101, 0));
    assert_eq!(flows_of(p)[0].conn_state(), "RSTR");
}

#[test]
fn half_open_and_rstos0() {
    let f = flows_of(vec![
        tcp(0, C, 1, S, 80, SYN, 5, 0, 0),
        tcp(5, C, 1, S, 80, FIN, 6, 0, 0),
    ]);
    assert_eq!(f[0].conn_state(), "SH");
    let f = flows_of(vec![
        tcp(0, C, 1, S, 80, SYN, 5, 0, 0),
        tcp(5, C, 1, S, 80, RST, 6, 0, 0),
    ]);
    assert_eq!(f[0].conn_state(), "RSTOS0");
    assert_eq!(f[0].history, "SR");
}

#[test]
fn midstream_is_oth_and_synack_first_flips() {
    let f = flows_of(vec![
        tcp(0, C, 1, S, 80, ACK | PSH, 5, 9, 10),
        tcp(5, S, 80, C, 1, ACK | PSH, 9, 15, 10),
    ]);
    assert_eq!(f[0].conn_state(), "OTH");
    assert_eq!(f[0].history, "Dd");
    assert_eq!(f[0].orig_h(), ip(C));

    let f = flows_of(vec![
        tcp(0, S, 80, C, 1, SYN | ACK, 9, 6, 0),
        tcp(5, C, 1, S, 80, ACK, 6, 10, 0),
    ]);
    assert_eq!(f[0].orig_h(), ip(C), "the SYN-ACK receiver originated");
    assert_eq!(f[0].history, "^hA");
    assert_eq!(f[0].conn_state(), "S1");
}

#[test]
fn retransmit_and_out_of_order() {
    let mut p = handshake(100, 0);
    p.push(tcp(30, C, 40000, S, 80, ACK, 101, 901, 100));
    // An exact repeat, however soon, is a retransmission (Wireshark).
    p.push(tcp(31, C, 40000, S, 80, ACK, 101, 901, 100));
    p.push(tcp(500, C, 40000, S, 80, ACK, 101, 901, 100)); // late resend
    // A hole, then its filler 1 ms later: out of order.
    p.push(tcp(600, C, 40000, S, 80, ACK, 301, 901, 100));
    p.push(tcp(601, C, 40000, S, 80, ACK, 201, 901, 100));
    let f = &flows_of(p)[0];
    let a = f.analysis();
    assert_eq!(
        (a.out_of_order, a.retransmissions, a.lost_segments),
        (1, 2, 1)
    );
    assert_eq!(f.history, "ShADT");
}

#[test]
fn zero_window_counted() {
    let mut p = handshake(100, 0);
    p.push(tcp(30, S, 80, C, 40000, ACK, 901, 101, 0).win(0));
    let f = &flows_of(p)[0];
    assert_eq!(f.analysis().zero_windows, 1);
    assert_eq!(f.history, "ShAaw");
}

#[test]
fn timeouts_split_flows() {
    let u = |ms| pb(ms, ipproto::UDP, C, 5000, S, 9999);
    let f = flows_of(vec![u(0), u(30_000), u(30_000 + 60_001)]);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].orig.pkts, 2);
    assert_eq!(f[0].conn_state(), "S0");
    let f = flows_of(vec![
        tcp(0, C, 1, S, 80, ACK, 5, 9, 1),
        tcp(240_000, C, 1, S, 80, ACK, 6, 9, 1),
        tcp(240_000 + 300_001, C, 1, S, 80, ACK, 7, 9, 1),
    ]);
    assert_eq!(f.len(), 2);
    // Configurable.
    let cfg = FlowConfig {
        udp_timeout_ns: 10 * 1000 * MS,
        ..FlowConfig::default()
    };
    assert_eq!(flows_cfg(vec![u(0), u(11_000)], cfg).len(), 2);
}

#[test]
fn syn_after_close_starts_a_new_flow() {
    let mut p = handshake(100, 0);
    p.push(tcp(30, C, 40000, S, 80, FIN | ACK, 101, 901, 0));
    p.push(tcp(40, S, 80, C, 40000, FIN | ACK, 901, 102, 0));
    p.push(tcp(50, C, 40000, S, 80, ACK, 102, 902, 0));
    p.extend(handshake(7000, 1000));
    let f = flows_of(p);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].conn_state(), "SF");
    assert_eq!(f[1].conn_state(), "S1");
    assert_eq!(f[1].ts, T0 + 1000 * MS);

    // A retransmitted SYN (same sequence number) before an answer stays;
    // after a reject it is a new attempt (Zeek's `IsReuse`), as is a SYN
    // with a new sequence number at any time.
    let f = flows_of(vec![
        tcp(0, C, 1, S, 23, SYN, 5, 0, 0),
        tcp(500, C, 1, S, 23, SYN, 5, 0, 0),
        tcp(501, S, 23, C, 1, RST | ACK, 0, 6, 0),
        tcp(1000, C, 1, S, 23, SYN, 5, 0, 0),
        tcp(1001, S, 23, C, 1, RST | ACK, 0, 6, 0),
        tcp(1100, C, 1, S, 23, SYN, 99, 0, 0),
    ]);
    let summary: Vec<(&str, &str)> = f
        .iter()
        .map(|f| (f.conn_state(), f.history.as_str()))
        .collect();
    assert_eq!(summary, [("REJ", "Sr"), ("REJ", "Sr"), ("S0", "S")]);
}

#[test]
fn fragments_join_their_flow() {
    let first = pb(0, ipproto::UDP, C, 5000, S, 9999).frag(0, true, 77);
    let mut rest = pb(1, ipproto::UDP, C, 5000, S, 9999).frag(1480, false, 77);
    rest.len = 500;
    let orphan = pb(2, ipproto::UDP, C, 5000, S, 9999).frag(1480, false, 78);
    let mut t = FlowTable::new(FlowConfig::default());
    for p in [first, rest, orphan] {
        let (r, k) = p.build();
        t.push(0, &r, &k);
    }
    let (f, stats) = t.finish();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].orig_p(), Some(5000));
    assert_eq!(f[0].orig.pkts, 2);
    assert_eq!(f[1].orig_p(), None, "orphan goes to the flow without ports");
    assert_eq!(stats.orphan_fragments, 1);
}

#[test]
fn vlan_and_tunnel_are_part_of_the_key() {
    let u = |ms| pb(ms, ipproto::UDP, C, 5000, S, 53);
    let f = flows_of(vec![u(0), u(1).vlan(10), u(2).vlan(20)]);
    assert_eq!(f.len(), 3);
    let back = pb(3, ipproto::UDP, S, 53, C, 5000);
    let f = flows_of(vec![
        u(0).tunnel("192.0.2.1", "192.0.2.2", 7),
        back.tunnel("192.0.2.2", "192.0.2.1", 7),
        u(4).tunnel("192.0.2.1", "192.0.2.2", 8),
        u(5),
    ]);
    assert_eq!(f.len(), 3);
    assert_eq!((f[0].orig.pkts, f[0].resp.pkts), (1, 1));
    let cols = all_columns(&f, &Default::default());
    let tunnel = cols.iter().find(|c| c.name == "tunnel").unwrap();
    match &tunnel.data {
        ColumnData::Text(v) => {
            assert_eq!(v.get(0), Some("vxlan 192.0.2.1->192.0.2.2 vni 7"));
            assert_eq!(v.get(2), None);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn icmp_echo_pairs_and_hints() {
    let f = flows_of(vec![
        pb(0, ipproto::ICMP, C, 0, S, 0).icmp(8, 0),
        pb(1, ipproto::ICMP, S, 0, C, 0).icmp(0, 0),
        pb(2, ipproto::UDP, C, 5000, S, 53).payload(&dns_query("example.com")),
        tcp(3, C, 40001, S, 443, ACK | PSH, 1, 1, 0).payload(&client_hello("sni.example")),
    ]);
    assert_eq!(f.len(), 3);
    assert_eq!((f[0].orig.pkts, f[0].resp.pkts), (1, 1));
    assert_eq!((f[0].orig_p(), f[0].resp_p()), (Some(8), Some(0)));
    assert_eq!(f[1].dns_query(), Some("example.com"));
    assert_eq!(f[1].service(), Some("dns"));
    assert_eq!(f[2].tls_sni(), Some("sni.example"));
}

#[test]
fn truncated_and_columns_shape() {
    let f = flows_of(vec![
        pb(0, ipproto::UDP, C, 5000, S, 53).cut(),
        pb(1, ipproto::UDP, S, 53, C, 5000),
    ]);
    assert_eq!(f[0].truncated_pkts, 1);
    let cols = all_columns(&f, &Default::default());
    let names: Vec<&str> = cols.iter().map(|c| c.name).collect();
    let docs: Vec<&str> = COLUMNS.iter().map(|d| d.name).collect();
    assert_eq!(names, docs);
    assert!(cols.iter().all(|c| c.data.len() == 1));
    let uid = cols.iter().find(|c| c.name == "uid").unwrap();
    match &uid.data {
        ColumnData::Text(v) => {
            let u = v.get(0).unwrap_or_default();
            assert!(u.starts_with('C') && u.len() == 18, "{u}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn sweep_bounds_memory() {
    let mut t = FlowTable::new(FlowConfig::default());
    let mut taken = Vec::new();
    for i in 0..2000u32 {
        // One new UDP flow every 2 s, each on its own port.
        let p = pb(i64::from(i) * 2000, ipproto::UDP, C, 1024 + i as u16, S, 53);
        let (r, k) = p.build();
        t.push(0, &r, &k);
        assert!(t.active() <= 40, "active {} at {i}", t.active());
        // Ended flows wait in the table until taken.
        if i % 100 == 99 {
            t.take_finished(&mut taken);
            assert!(t.held() <= 40, "held {} at {i}", t.held());
        }
    }
    assert!(taken.len() > 1900, "{}", taken.len());
    assert!(
        taken
            .windows(2)
            .all(|w| w[0].output_key() < w[1].output_key())
    );
    let (f, stats) = t.finish();
    assert_eq!(taken.len() + f.len(), 2000);
    assert_eq!(stats.flows, 2000);
}

#[test]
fn flow_records_stay_small() {
    // Active flows live in the tables' slabs and every finished flow is
    // moved once into its batch: the size is the engine's memory and
    // copying per flow. TCP-only state lives in the TCP box.
    let size = std::mem::size_of::<crate::Flow>();
    println!(
        "Flow: {size} bytes; key {} dir {} tcp {} history {}",
        std::mem::size_of::<crate::FlowKey>(),
        std::mem::size_of::<crate::DirStats>(),
        std::mem::size_of::<crate::tcp::TcpConn>(),
        std::mem::size_of::<compact_str::CompactString>()
    );
    assert!(size <= 440, "Flow grew to {size} bytes");
}

/// Every builder fills its column with one value per flow, of its kind,
/// across the blocks `to_columns` cuts (a builder that wrote another kind
/// of data would leave its column short), and a table built in two parts
/// holds the same values as one built at once.
#[test]
fn builders_fill_every_row_of_their_kind_across_blocks() {
    let mut pkts = Vec::new();
    for i in 0..700u16 {
        pkts.push(tcp(i64::from(i), C, 20_000 + i, S, 443, SYN, 1, 0, 0));
        pkts.push(
            pb(i64::from(i), ipproto::UDP, C, 40_000 + i, S, 53).payload(&dns_query("a.example")),
        );
    }
    let f = flows_of(pkts);
    assert_eq!(f.len(), 1400);
    let whole = all_columns(&f, &Default::default());
    let (a, b) = f.split_at(333);
    let mut parts = all_columns(a, &Default::default());
    for (p, q) in parts.iter_mut().zip(all_columns(b, &Default::default())) {
        p.data.append(q.data);
    }
    for ((c, s), p) in whole.iter().zip(COLUMNS).zip(&parts) {
        assert_eq!(c.data.len(), f.len(), "{}", s.name);
        let kind = match c.data {
            ColumnData::Text(_) => crate::Kind::Text,
            ColumnData::I64(_) => crate::Kind::Count,
            ColumnData::I32Opt(_) => crate::Kind::Int,
            ColumnData::F64Opt(_) => crate::Kind::Float,
            ColumnData::TimestampNs(_) => crate::Kind::Timestamp,
        };
        assert_eq!(kind, s.kind, "{}", s.name);
        assert_eq!(c, p, "{}", s.name);
    }
}
