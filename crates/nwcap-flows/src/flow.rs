//! One flow: identity, counters, TCP state and hints, updated per packet.
//!
//! A `Flow` is both the live state in the table and the finished record:
//! per-packet updates touch only numbers (no allocation); strings (history,
//! hints) are written at most a few times per flow.

use std::net::IpAddr;

use nwcap_pcap::TimestampNs;
use nwcap_pcap::packet::tcpflags::{ACK, FIN, RST, SYN};
use nwcap_pcap::packet::{TunnelKind, ipproto};

use crate::hints;
use crate::key::FlowKey;
use crate::stats::Spread;
use crate::summary::PacketSummary;
use crate::tcp::{Segment, TcpTracker};

/// Payload-carrying packets inspected for application hints per flow.
const HINT_PACKETS: u8 = 6;
/// Re-sent data within this time after the previous segment of the same
/// direction counts as out-of-order rather than retransmitted (Wireshark's
/// default when the RTT is unknown).
const OOO_NS: i64 = 3_000_000;

/// Counters of one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DirStats {
    /// Packets.
    pub pkts: u64,
    /// Wire bytes (original frame lengths).
    pub bytes: u64,
    /// IP bytes (IP total lengths).
    pub ip_bytes: u64,
    /// Transport payload bytes.
    pub payload: u64,
    /// Spread of the payload length per packet (count: `pkts`, sum:
    /// `payload`).
    pub len: Spread,
    /// TCP window of the first packet of this direction.
    pub init_win: Option<u16>,
    /// Time of this direction's last packet.
    pub last_ts: Option<TimestampNs>,
}

impl DirStats {
    /// Mean payload length.
    pub fn len_mean(&self) -> Option<f64> {
        Spread::mean(self.pkts, self.payload)
    }

    /// Sample standard deviation of the payload length.
    pub fn len_std(&self) -> Option<f64> {
        self.len.std(self.pkts, self.payload)
    }
}

/// A finished (or live) bidirectional flow.
#[derive(Debug, Clone)]
pub struct Flow {
    /// Canonical key.
    pub key: FlowKey,
    /// The originator is `key.a`.
    pub orig_is_a: bool,
    /// ICMP: type and code of the first packet (Zeek's orig_p/resp_p).
    pub icmp_first: Option<(u8, u8)>,
    /// The originator's outer source is the tunnel key's `lo`.
    pub orig_outer_is_lo: bool,
    /// Index of the file where the flow started.
    pub file: u32,
    /// Position of the first packet (sort tie-breaker, uid input).
    pub first_ord: u64,
    /// First packet time.
    pub ts: TimestampNs,
    /// Last packet time.
    pub last_ts: TimestampNs,
    /// Originator to responder.
    pub orig: DirStats,
    /// Responder to originator.
    pub resp: DirStats,
    /// Packets cut by the snap length.
    pub truncated_pkts: u64,
    /// Packets with SYN, FIN, RST, PSH, ACK, URG, ECE, CWR (bit order).
    pub flag_counts: [u64; 8],
    /// Retransmitted TCP segments.
    pub retransmits: u64,
    /// Out-of-order TCP segments.
    pub out_of_order: u64,
    /// Zero window advertisements (Zeek's rule).
    pub zero_window: u64,
    /// SYN to the originator's ACK of the SYN-ACK, ns.
    pub handshake_rtt: Option<i64>,
    /// Spread of the inter-arrival times over all packets, ns (count:
    /// packets - 1, sum: `last_ts - ts`).
    pub iat: Spread,
    /// Zeek history letters.
    pub history: String,
    /// What the payload said (service, DNS question, SNI, Host), boxed:
    /// most flows have none and the table holds many flows.
    pub detected: Option<Box<hints::Detected>>,
    tcp: TcpTracker,
    syn_ts: Option<TimestampNs>,
    synack_seen: bool,
    hint_budget: u8,
    udp_hist: u8,
}

impl Flow {
    /// Starts a flow at its first packet (`key` is the table key).
    pub(crate) fn start(key: FlowKey, p: &PacketSummary<'_>, from_a: bool) -> Flow {
        let is_tcp = key.proto == ipproto::TCP && p.has_l4;
        // A first packet that is a SYN-ACK was sent by the responder.
        let flipped = is_tcp && p.tcp_flags & (SYN | ACK | RST) == SYN | ACK;
        let orig_is_a = from_a != flipped;
        let icmp = matches!(key.proto, ipproto::ICMP | ipproto::ICMPV6) && p.has_l4;
        Flow {
            key,
            orig_is_a,
            icmp_first: icmp.then_some((p.icmp_type, p.icmp_code)),
            orig_outer_is_lo: p.outer_src_is_lo != flipped,
            file: p.file,
            first_ord: p.ord,
            ts: p.ts,
            last_ts: p.ts,
            orig: DirStats::default(),
            resp: DirStats::default(),
            truncated_pkts: 0,
            flag_counts: [0; 8],
            retransmits: 0,
            out_of_order: 0,
            zero_window: 0,
            handshake_rtt: None,
            iat: Spread::default(),
            history: if flipped {
                "^".to_owned()
            } else {
                String::new()
            },
            detected: None,
            tcp: TcpTracker::default(),
            syn_ts: None,
            synack_seen: false,
            hint_budget: HINT_PACKETS,
            udp_hist: 0,
        }
    }

    /// True when `p` must start a new flow: inactivity timeout, or a new
    /// SYN (new sequence number) after the connection closed.
    pub(crate) fn ends_before(&self, p: &PacketSummary<'_>, timeout_ns: i64) -> bool {
        if p.ts.saturating_sub(self.last_ts) > timeout_ns {
            return true;
        }
        if self.key.proto == ipproto::TCP
            && p.has_l4
            && p.tcp_flags & (SYN | ACK | RST | FIN) == SYN
            && self.tcp.closed()
        {
            let is_orig = p.from_a == self.orig_is_a;
            let ep = if is_orig {
                &self.tcp.orig
            } else {
                &self.tcp.resp
            };
            return ep.syn_seq != Some(p.seq);
        }
        false
    }

    /// Adds one packet (`from_a` relative to `self.key`).
    pub(crate) fn update(&mut self, p: &PacketSummary<'_>, from_a: bool) {
        let is_orig = from_a == self.orig_is_a;
        if p.ts > self.last_ts {
            self.iat.push(p.ts.abs_diff(self.last_ts));
        } else if self.orig.pkts + self.resp.pkts > 0 {
            // Out-of-order timestamps: a zero gap keeps the statistics sane
            // (and the gaps' sum equal to `last_ts - ts`).
            self.iat.push(0);
        }
        self.last_ts = self.last_ts.max(p.ts);
        if p.truncated {
            self.truncated_pkts += 1;
        }
        let prev_dir_ts;
        {
            let d = if is_orig {
                &mut self.orig
            } else {
                &mut self.resp
            };
            d.pkts += 1;
            d.bytes += u64::from(p.wire_len);
            d.ip_bytes += u64::from(p.ip_len);
            d.payload += u64::from(p.payload_len);
            d.len.push(u64::from(p.payload_len));
            prev_dir_ts = d.last_ts;
            d.last_ts = Some(p.ts);
            if self.key.proto == ipproto::TCP && p.has_l4 && d.init_win.is_none() {
                d.init_win = Some(p.window);
            }
        }
        if self.key.proto == ipproto::TCP && p.has_l4 {
            self.tcp_update(p, is_orig, prev_dir_ts);
        } else if self.key.proto == ipproto::UDP {
            // Zeek's UDP analyzer: one 'D' per direction.
            let (bit, c) = if is_orig { (1u8, 'D') } else { (2u8, 'd') };
            if self.udp_hist & bit == 0 {
                self.udp_hist |= bit;
                self.history.push(c);
            }
        }
        if self.hint_budget > 0 && !p.payload.is_empty() && self.detected.is_none() {
            self.hint_budget -= 1;
            let (sport, dport) = if p.from_a {
                (p.key.a_port, p.key.b_port)
            } else {
                (p.key.b_port, p.key.a_port)
            };
            self.detected = hints::detect(self.key.proto, sport, dport, p.payload).map(Box::new);
        }
    }

    fn tcp_update(&mut self, p: &PacketSummary<'_>, is_orig: bool, prev_dir_ts: Option<i64>) {
        for (i, c) in self.flag_counts.iter_mut().enumerate() {
            *c += u64::from((p.tcp_flags >> i) & 1);
        }
        let seg = Segment {
            flags: p.tcp_flags,
            seq: p.seq,
            ack: p.ack,
            len: p.payload_len,
            window: p.window,
        };
        let ev = self.tcp.packet(is_orig, seg, &mut self.history);
        if ev.zero_window {
            self.zero_window += 1;
        }
        if ev.rxmit {
            let quick = prev_dir_ts.is_some_and(|t| p.ts.saturating_sub(t) < OOO_NS);
            if quick {
                self.out_of_order += 1;
            } else {
                self.retransmits += 1;
            }
        }
        let f = p.tcp_flags;
        if is_orig && f & (SYN | ACK | RST | FIN) == SYN && self.syn_ts.is_none() {
            self.syn_ts = Some(p.ts);
        } else if !is_orig && f & (SYN | ACK | RST) == SYN | ACK {
            self.synack_seen = true;
        } else if is_orig
            && f & (SYN | ACK) == ACK
            && self.synack_seen
            && self.handshake_rtt.is_none()
            && let Some(t) = self.syn_ts
        {
            self.handshake_rtt = Some(p.ts.saturating_sub(t));
        }
    }

    /// Zeek's `conn_state`.
    pub fn conn_state(&self) -> &'static str {
        match self.key.proto {
            ipproto::TCP => {
                self.tcp
                    .conn_state(&self.history, self.orig.payload, self.resp.payload)
            }
            ipproto::UDP => match (self.orig.pkts > 0, self.resp.pkts > 0) {
                (true, true) => "SF",
                (true, false) => "S0",
                (false, true) => "SHR",
                (false, false) => "OTH",
            },
            _ => "OTH",
        }
    }

    /// Originator address.
    pub fn orig_h(&self) -> IpAddr {
        if self.orig_is_a {
            self.key.a
        } else {
            self.key.b
        }
    }

    /// Responder address.
    pub fn resp_h(&self) -> IpAddr {
        if self.orig_is_a {
            self.key.b
        } else {
            self.key.a
        }
    }

    /// Originator port (ICMP: type of the first packet), if the protocol
    /// has ports.
    pub fn orig_p(&self) -> Option<u16> {
        if let Some((t, _)) = self.icmp_first {
            return Some(u16::from(t));
        }
        self.ports().map(|(o, _)| o)
    }

    /// Responder port (ICMP: code of the first packet).
    pub fn resp_p(&self) -> Option<u16> {
        if let Some((_, c)) = self.icmp_first {
            return Some(u16::from(c));
        }
        self.ports().map(|(_, r)| r)
    }

    fn ports(&self) -> Option<(u16, u16)> {
        matches!(self.key.proto, ipproto::TCP | ipproto::UDP | ipproto::SCTP).then(|| {
            if self.orig_is_a {
                (self.key.a_port, self.key.b_port)
            } else {
                (self.key.b_port, self.key.a_port)
            }
        })
    }

    /// Tunnel as (kind, originator-side outer source, outer destination, vni).
    pub fn tunnel(&self) -> Option<(TunnelKind, IpAddr, IpAddr, Option<u32>)> {
        self.key.tunnel.map(|t| {
            if self.orig_outer_is_lo {
                (t.kind, t.lo, t.hi, t.vni)
            } else {
                (t.kind, t.hi, t.lo, t.vni)
            }
        })
    }

    /// Service recognised from content.
    pub fn service_hint(&self) -> Option<&'static str> {
        self.detected.as_ref().map(|d| d.service)
    }

    /// DNS question of the flow's first DNS message.
    pub fn dns_query(&self) -> Option<&str> {
        self.detected.as_ref()?.dns_query.as_deref()
    }

    /// TLS server name of the ClientHello.
    pub fn tls_sni(&self) -> Option<&str> {
        self.detected.as_ref()?.tls_sni.as_deref()
    }

    /// HTTP Host header.
    pub fn http_host(&self) -> Option<&str> {
        self.detected.as_ref()?.http_host.as_deref()
    }

    /// Packets in both directions.
    pub fn pkts(&self) -> u64 {
        self.orig.pkts + self.resp.pkts
    }

    /// Mean inter-arrival time, ns.
    pub fn iat_mean(&self) -> Option<f64> {
        let n = self.pkts().saturating_sub(1);
        Spread::mean(n, self.duration().unsigned_abs())
    }

    /// Sample standard deviation of the inter-arrival times, ns.
    pub fn iat_std(&self) -> Option<f64> {
        let n = self.pkts().saturating_sub(1);
        self.iat.std(n, self.duration().unsigned_abs())
    }

    /// Service recognised from content (Zeek's `service`: set only when
    /// the payload confirmed it; the port alone says nothing).
    pub fn service(&self) -> Option<&'static str> {
        self.service_hint()
    }

    /// Duration in ns.
    pub fn duration(&self) -> i64 {
        self.last_ts.saturating_sub(self.ts)
    }
}
