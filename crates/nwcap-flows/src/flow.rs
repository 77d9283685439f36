//! One flow: identity, counters, TCP state and hints, updated per packet.
//!
//! A `Flow` is both the live state in the table and the finished record:
//! per-packet updates touch only numbers (no allocation); strings (history,
//! hints) are written at most a few times per flow.

use std::net::{IpAddr, Ipv4Addr};

use compact_str::CompactString;

use nwcap_pcap::TimestampNs;
use nwcap_pcap::packet::tcpflags::{ACK, FIN, RST, SYN};
use nwcap_pcap::packet::{TunnelKind, ipproto};

use crate::analysis::Counts;
use crate::key::{FlowKey, icmp_ports};
use crate::ports::likely_server_port;
use crate::stats::Spread;
use crate::summary::PacketSummary;
use crate::tcp::{Segment, TcpConn};
use crate::{FlowConfig, SEC, hints};

/// Payload-carrying packets inspected for application hints per flow.
const HINT_PACKETS: u8 = 6;

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

/// A flow's place in the output order ([`Flow::output_key`]).
pub type OutputKey = (TimestampNs, u64, bool);

/// A finished (or live) bidirectional flow.
#[derive(Debug, Clone)]
pub struct Flow {
    /// Canonical key.
    pub key: FlowKey,
    /// The originator is `key.a`.
    pub orig_is_a: bool,
    /// ICMP: type of the first packet and its counterpart type (the code
    /// for one-way messages): Zeek's orig_p/resp_p.
    pub icmp_first: Option<(u8, u16)>,
    /// The originator's outer source is the tunnel key's `lo`.
    pub orig_outer_is_lo: bool,
    /// Index of the file where the flow started.
    pub file: u32,
    /// Position of the first packet (sort tie-breaker, uid input).
    pub first_ord: u64,
    /// Earliest packet time.
    pub ts: TimestampNs,
    /// Latest packet time.
    pub last_ts: TimestampNs,
    /// Where the flow's duration ends: the latest packet time, except that
    /// TCP packets after both sides closed do not count (Zeek's
    /// connection `last_time`).
    pub end_ts: TimestampNs,
    /// Originator to responder.
    pub orig: DirStats,
    /// Responder to originator.
    pub resp: DirStats,
    /// Packets cut by the snap length.
    pub truncated_pkts: u64,
    /// Spread of the inter-arrival times over all packets, ns: each packet
    /// adds how far it extends the flow's time span (count: packets - 1,
    /// sum: `last_ts - ts`).
    pub iat: Spread,
    /// Zeek history letters (inline up to 24 bytes: a flow's history
    /// almost never needs the heap).
    pub history: CompactString,
    /// What the payload said (service, DNS question, SNI, Host), boxed:
    /// most flows have none and the table holds many flows.
    pub detected: Option<Box<hints::Detected>>,
    /// Zeek's TCP connection model (TCP flows only; boxed, so other flows
    /// stay small).
    tcp: Option<Box<TcpConn>>,
    hint_budget: u8,
    udp_hist: u8,
    /// Zeek's DNS analyzer ends this UDP flow after a short idle time.
    dns: bool,
    /// Packets of this (outer UDP) flow that carried a decapsulated
    /// tunnelled packet (they count in the inner flow too).
    pub carried: u64,
    /// Wire bytes of those packets.
    pub carried_bytes: u64,
    /// The outer UDP connections this flow was tunnelled in (Zeek's
    /// `tunnel_parents`).
    parents: Vec<Parent>,
    /// The last packet's outer connection (index in `parents`) and how
    /// often it changed (Zeek records `X` when it changes too often).
    last_parent: Option<u8>,
    encap_changes: u8,
}

/// What a TCP flow counts besides Zeek's connection model, kept in its
/// boxed TCP state: the other flows have none of it, and stay smaller.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TcpTally {
    /// Packets with FIN, SYN, RST, PSH, ACK, URG, ECE, CWR set (the flag
    /// bits from the lowest: index 0 is FIN, 1 is SYN).
    flags: [u64; 8],
    /// TCP analysis events as Wireshark counts them.
    analysis: Counts,
    /// SYN to the originator's ACK of the SYN-ACK, ns.
    handshake_rtt: Option<i64>,
    syn_ts: Option<TimestampNs>,
    synack_seen: bool,
}

impl TcpTally {
    /// Counts one segment's flags and analysis events.
    fn add(&mut self, flags: u8, events: u16) {
        for (i, c) in self.flags.iter_mut().enumerate() {
            *c += u64::from((flags >> i) & 1);
        }
        self.analysis.add(events);
    }

    /// The handshake RTT (Wireshark's `tcp.analysis.initial_rtt`): the
    /// originator's last SYN to its first ACK after the SYN-ACK.
    fn handshake(&mut self, p: &PacketSummary<'_>, is_orig: bool) {
        let f = p.tcp_flags;
        // Wireshark's initial RTT runs from the most recent SYN.
        if is_orig && f & (SYN | ACK | RST | FIN) == SYN && self.handshake_rtt.is_none() {
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
}

/// Changes of encapsulation Zeek allows before it marks the connection
/// with `X` (`Tunnel::max_changes_per_connection`).
const MAX_ENCAP_CHANGES: u8 = 5;

/// A tunnel parent: what identifies a flow's uid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parent {
    /// The parent flow's key.
    pub key: FlowKey,
    /// Its first packet time.
    pub ts: TimestampNs,
    /// Its originator is `key.a`.
    pub orig_is_a: bool,
}

/// Most tunnel parents kept per flow.
const MAX_PARENTS: usize = 8;

/// True when Zeek takes the sender of a connection's first packet as the
/// responder (`WantConnection` of its TCP and UDP analyzers): the sender
/// uses a likely server port and the receiver does not (for TCP, only when
/// the first packet is not a plain SYN; when both ports are likely server
/// ports, a TCP connection is flipped only if the first packet is no SYN
/// and the receiver's port is the larger). Never towards 255.255.255.255.
fn zeek_flips(key: &FlowKey, p: &PacketSummary<'_>) -> bool {
    let (sport, dport, dst) = if p.from_a {
        (p.key.a_port, p.key.b_port, key.b)
    } else {
        (p.key.b_port, p.key.a_port, key.a)
    };
    let likely = |port| likely_server_port(key.proto, port);
    let flip = match key.proto {
        ipproto::TCP if p.has_l4 => {
            let f = p.tcp_flags;
            (f & SYN == 0 || f & ACK != 0)
                && likely(sport)
                && (!likely(dport) || (f & SYN == 0 && sport < dport))
        }
        ipproto::UDP if p.frag.is_none_or(|f| f.first) => likely(sport) && !likely(dport),
        _ => false,
    };
    flip && dst != IpAddr::V4(Ipv4Addr::BROADCAST)
}

/// Zeek's DNS analyzer runs on these UDP responder ports.
fn dns_port(port: u16) -> bool {
    matches!(port, 53 | 137 | 5353 | 5355)
}

impl Flow {
    /// The flow's place in the output order: first packet time, then the
    /// position of the first packet in the input, then a tunnel's outer
    /// connection before the connection inside it (the only two flows
    /// that can start with the same packet).
    pub fn output_key(&self) -> OutputKey {
        (self.ts, self.first_ord, self.key.tunnel.is_some())
    }

    /// Starts a flow at its first packet (`key` is the table key).
    pub(crate) fn start(
        key: FlowKey,
        p: &PacketSummary<'_>,
        from_a: bool,
        cfg: &FlowConfig,
    ) -> Flow {
        let flipped = zeek_flips(&key, p);
        let orig_is_a = from_a != flipped;
        let icmp = matches!(key.proto, ipproto::ICMP | ipproto::ICMPV6) && p.has_l4;
        let icmp_first = icmp.then(|| {
            let (_, counterpart, _) = icmp_ports(key.proto, p.icmp_type, p.icmp_code);
            (p.icmp_type, counterpart)
        });
        let ports = if orig_is_a {
            (key.a_port, key.b_port)
        } else {
            (key.b_port, key.a_port)
        };
        let tcp = (key.proto == ipproto::TCP)
            .then(|| Box::new(TcpConn::new(&cfg.tcp_timers(), p.ts, ports)));
        Flow {
            key,
            orig_is_a,
            icmp_first,
            orig_outer_is_lo: p.outer_src_is_lo != flipped,
            file: p.file,
            first_ord: p.ord,
            ts: p.ts,
            last_ts: p.ts,
            end_ts: p.ts,
            orig: DirStats::default(),
            resp: DirStats::default(),
            truncated_pkts: 0,
            iat: Spread::default(),
            history: if flipped {
                CompactString::const_new("^")
            } else {
                CompactString::default()
            },
            detected: None,
            tcp,
            hint_budget: HINT_PACKETS,
            udp_hist: 0,
            dns: key.proto == ipproto::UDP && dns_port(ports.1),
            carried: 0,
            carried_bytes: 0,
            parents: Vec::new(),
            last_parent: None,
            encap_changes: 0,
        }
    }

    /// This flow as a tunnel parent.
    pub(crate) fn as_parent(&self) -> Parent {
        Parent {
            key: self.key,
            ts: self.ts,
            orig_is_a: self.orig_is_a,
        }
    }

    /// Records the tunnel parent of one packet (each parent once). A
    /// packet that comes through another outer connection than the one
    /// before is a change of encapsulation, as Zeek compares them (GRE in
    /// UDP excepted: its encapsulation is the GRE tunnel).
    pub(crate) fn add_parent(&mut self, p: Parent) {
        let at = match self.parents.iter().position(|q| *q == p) {
            Some(i) => i,
            None if self.parents.len() < MAX_PARENTS => {
                self.parents.push(p);
                self.parents.len() - 1
            }
            None => MAX_PARENTS,
        };
        if self.key.tunnel.is_some_and(|t| t.kind == TunnelKind::Gre) {
            return;
        }
        let encap = u8::try_from(at).unwrap_or(u8::MAX);
        if self.last_parent.is_some_and(|last| last != encap) {
            // Zeek (`Connection::CheckEncapsulation`): past the limit, one
            // `X` in the history instead of more tunnel_changed events.
            if self.encap_changes >= MAX_ENCAP_CHANGES {
                if !self.history.contains('X') {
                    self.history.push('X');
                }
            } else {
                self.encap_changes += 1;
            }
        }
        self.last_parent = Some(encap);
    }

    /// The outer UDP connections this flow was tunnelled in.
    pub fn tunnel_parents(&self) -> &[Parent] {
        &self.parents
    }

    /// When Zeek would end this flow if none of its packets came again
    /// (see [`crate::table`]).
    pub(crate) fn ends_at(&self, cfg: &FlowConfig) -> TimestampNs {
        match (&self.tcp, self.key.proto) {
            (Some(t), _) => t.ends_at(),
            (None, ipproto::UDP) if self.dns => {
                // Zeek's DNS analyzer checks the connection every
                // `dns_session_timeout` from its start and ends it once it
                // has been idle for that long less a second (nwcap takes
                // each check at its scheduled time); the UDP inactivity
                // timeout still applies.
                let period = cfg.dns_timeout_ns.max(1);
                let idle = (period - SEC).max(0);
                let need = self.last_ts.saturating_add(idle).saturating_sub(self.ts);
                let k = (need.max(0) + period - 1) / period;
                let dns = self.ts.saturating_add(k.max(1).saturating_mul(period));
                dns.min(self.last_ts.saturating_add(cfg.udp_timeout_ns))
            }
            (None, p) => self.last_ts.saturating_add(cfg.timeout_ns(p)),
        }
    }

    /// True when `p` must start a new flow: Zeek would have ended this one
    /// before `p` arrived, or `p` is a SYN that reuses the 5-tuple.
    pub(crate) fn ends_before(&self, p: &PacketSummary<'_>, cfg: &FlowConfig) -> bool {
        if p.ts >= self.ends_at(cfg) {
            return true;
        }
        match &self.tcp {
            Some(t) if p.has_l4 => t.is_reuse(p.tcp_flags, p.seq),
            _ => false,
        }
    }

    /// The TCP analysis state, to continue in a later flow of the 5-tuple.
    pub(crate) fn analysis_state(&self) -> Option<&crate::analysis::TcpAnalysis> {
        self.tcp.as_deref().map(|t| &t.analysis)
    }

    /// Continues the TCP analysis of an ended flow of the same 5-tuple,
    /// unless `p` starts a new stream.
    pub(crate) fn continue_analysis(
        &mut self,
        old: crate::analysis::TcpAnalysis,
        p: &PacketSummary<'_>,
    ) {
        if let Some(t) = self.tcp.as_deref_mut()
            && p.has_l4
            && !old.new_stream(p.from_a, p.tcp_flags, p.seq)
        {
            t.analysis = old;
        }
    }

    /// Carries Wireshark's TCP analysis state over from the flow `old`
    /// of the same 5-tuple that `p` ended: Wireshark keeps one TCP stream
    /// across Zeek's connection ends, unless `p` is a SYN with a new
    /// sequence number (ports reused), or comes more than `ttl` (the TCP
    /// timeout) after the old flow's last packet.
    pub(crate) fn inherit_analysis(&mut self, old: &Flow, p: &PacketSummary<'_>, ttl: i64) {
        if let (Some(new), Some(old_tcp)) = (self.tcp.as_deref_mut(), old.tcp.as_deref())
            && p.has_l4
            && p.ts.saturating_sub(old.last_ts) <= ttl
            && !old_tcp.analysis.new_stream(p.from_a, p.tcp_flags, p.seq)
        {
            new.analysis = old_tcp.analysis.clone();
        }
    }

    /// Swaps originator and responder.
    fn swap_roles(&mut self) {
        self.orig_is_a = !self.orig_is_a;
        self.orig_outer_is_lo = !self.orig_outer_is_lo;
        std::mem::swap(&mut self.orig, &mut self.resp);
    }

    /// Adds one packet (`from_a` relative to `self.key`).
    pub(crate) fn update(&mut self, p: &PacketSummary<'_>, from_a: bool, cfg: &FlowConfig) {
        let mut is_orig = from_a == self.orig_is_a;
        if p.ts > self.last_ts {
            self.iat.push(p.ts.abs_diff(self.last_ts));
            self.last_ts = p.ts;
        } else if p.ts < self.ts {
            // Time went backwards: the flow starts earlier.
            self.iat.push(p.ts.abs_diff(self.ts));
            self.ts = p.ts;
        } else if self.orig.pkts + self.resp.pkts > 0 {
            self.iat.push(0);
        }
        if p.truncated {
            self.truncated_pkts += 1;
        }
        let mut productive = true;
        let mut tcp_events = None;
        let rtt = self.handshake_rtt();
        if let Some(tcp) = self.tcp.as_deref_mut() {
            if p.has_l4 {
                let seg = Segment {
                    flags: p.tcp_flags,
                    seq: p.seq,
                    ack: p.ack,
                    len: p.payload_len,
                    window: p.window,
                    captured: p.payload_captured,
                    ts: p.ts,
                };
                let ev = tcp.packet(is_orig, seg, &mut self.history, &cfg.tcp_timers());
                productive = tcp.last_time == p.ts;
                let seg = crate::analysis::Seg {
                    flags: p.tcp_flags,
                    seq: p.seq,
                    ack: p.ack,
                    len: p.payload_len,
                    window: p.window,
                    ts: p.ts,
                };
                tcp_events = Some((ev, tcp.analysis.segment(from_a, seg, rtt)));
            } else {
                productive = !tcp.both_closed();
            }
        }
        if let Some((ev, events)) = tcp_events {
            if ev.flipped {
                self.swap_roles();
                is_orig = !is_orig;
            }
            if let Some(tcp) = self.tcp.as_deref_mut() {
                tcp.tally.add(p.tcp_flags, events);
                tcp.tally.handshake(p, is_orig);
            }
        } else if self.key.proto == ipproto::UDP {
            // Zeek's UDP analyzer: one 'D' per direction.
            let (bit, c) = if is_orig { (1u8, 'D') } else { (2u8, 'd') };
            if self.udp_hist & bit == 0 {
                self.udp_hist |= bit;
                self.history.push(c);
            }
        }
        if productive {
            self.end_ts = self.end_ts.max(p.ts);
        }
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
        d.last_ts = Some(p.ts);
        if self.key.proto == ipproto::TCP && p.has_l4 && d.init_win.is_none() {
            d.init_win = Some(p.window);
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

    /// Packets with FIN, SYN, RST, PSH, ACK, URG, ECE, CWR set (the flag
    /// bits from the lowest: index 0 is FIN, 1 is SYN); zeros for a flow
    /// that is not TCP.
    pub fn flag_counts(&self) -> [u64; 8] {
        self.tcp.as_deref().map_or([0; 8], |t| t.tally.flags)
    }

    /// TCP analysis events as Wireshark counts them (none for a flow that
    /// is not TCP).
    pub fn analysis(&self) -> Counts {
        self.tcp
            .as_deref()
            .map_or(Counts::default(), |t| t.tally.analysis)
    }

    /// SYN to the originator's ACK of the SYN-ACK, ns (Wireshark's
    /// `tcp.analysis.initial_rtt`), once the handshake was seen.
    pub fn handshake_rtt(&self) -> Option<i64> {
        self.tcp.as_deref().and_then(|t| t.tally.handshake_rtt)
    }

    /// Payload bytes as Zeek counts them (`orig_bytes`, `resp_bytes`):
    /// for TCP the sequence space each side covered (retransmissions once,
    /// gaps included), for UDP and ICMP the sum of the payloads.
    pub fn zeek_bytes(&self) -> (u64, u64) {
        match &self.tcp {
            Some(t) => t.sizes(),
            None => (self.orig.payload, self.resp.payload),
        }
    }

    /// Bytes in TCP content gaps (Zeek's `missed_bytes`).
    pub fn missed_bytes(&self) -> u64 {
        self.tcp.as_ref().map_or(0, |t| t.missed_bytes())
    }

    /// Zeek's `conn_state`.
    pub fn conn_state(&self) -> &'static str {
        if let Some(t) = &self.tcp {
            return t.conn_state(&self.history);
        }
        match self.key.proto {
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
    /// has ports and they are known.
    pub fn orig_p(&self) -> Option<u16> {
        if let Some((t, _)) = self.icmp_first {
            return Some(u16::from(t));
        }
        self.ports().map(|(o, _)| o)
    }

    /// Responder port (ICMP: the counterpart type of the first packet's,
    /// e.g. 0 for an echo request, 129 for an ICMPv6 echo request; the
    /// code for one-way messages).
    pub fn resp_p(&self) -> Option<u16> {
        if let Some((_, c)) = self.icmp_first {
            return Some(c);
        }
        self.ports().map(|(_, r)| r)
    }

    /// The ports, for protocols that have them and when they are known:
    /// a flow whose packets never showed a transport header (a snap length
    /// that cut it, fragments whose first one was not seen) has none, not
    /// port 0.
    fn ports(&self) -> Option<(u16, u16)> {
        let has_ports = matches!(self.key.proto, ipproto::TCP | ipproto::UDP | ipproto::SCTP);
        let unknown = self.key.a_port == 0 && self.key.b_port == 0;
        let ports = if self.orig_is_a {
            (self.key.a_port, self.key.b_port)
        } else {
            (self.key.b_port, self.key.a_port)
        };
        (has_ports && !unknown).then_some(ports)
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
        Spread::mean(n, self.span().unsigned_abs())
    }

    /// Sample standard deviation of the inter-arrival times, ns.
    pub fn iat_std(&self) -> Option<f64> {
        let n = self.pkts().saturating_sub(1);
        self.iat.std(n, self.span().unsigned_abs())
    }

    /// Time from the earliest to the latest packet, ns.
    pub fn span(&self) -> i64 {
        self.last_ts.saturating_sub(self.ts)
    }

    /// Service recognised from content (Zeek's `service`: set only when
    /// the payload confirmed it; the port alone says nothing).
    pub fn service(&self) -> Option<&'static str> {
        self.service_hint()
    }

    /// Duration in ns, as Zeek's: from the earliest packet to `end_ts`
    /// (for TCP, packets after both sides closed do not count).
    pub fn duration(&self) -> i64 {
        self.end_ts.saturating_sub(self.ts)
    }
}
