//! The compact per-packet summary that phase 1 (parallel decode) hands to
//! phase 2 (per-shard flow state machines).
//!
//! It holds only what the flow table reads, plus a borrowed prefix of the
//! transport payload so application hints can be parsed later, once per
//! flow, instead of on every packet. Building it allocates nothing.

use nwcap_pcap::packet::{OuterUdp, Packet, ipproto};
use nwcap_pcap::{Record, TimestampNs};

use crate::key::{FlowKey, TunnelKey, icmp_ports};
use crate::packed::{PackedKey, tunnel_hash};

/// Payload bytes kept for application hints (enough for a DNS question,
/// a ClientHello's SNI in most cases, an HTTP request head).
pub const HINT_BYTES: usize = 2048;

/// IP fragment facts needed to attribute non-first fragments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragRef {
    /// IP identification.
    pub id: u32,
    /// True for the first fragment (offset 0).
    pub first: bool,
    /// True when the sender is `a` of the port-less key.
    pub src_is_lo: bool,
}

/// One packet, reduced to what the flow table needs.
#[derive(Debug, Clone, Copy)]
pub struct PacketSummary<'a> {
    /// Flow key (ports zero for non-first fragments; tunnel id 0, the
    /// context is in `tunnel`).
    pub key: PackedKey,
    /// Tunnel context, when the packet was tunnelled.
    pub tunnel: Option<TunnelKey>,
    /// The UDP datagram that carried the tunnel, when it rides on UDP.
    pub outer_udp: Option<OuterUdp>,
    /// Sender is `key.a`.
    pub from_a: bool,
    /// Position in the input: chunk index << 32 | record index.
    pub ord: u64,
    /// File index (caller's order).
    pub file: u32,
    /// Capture time, ns.
    pub ts: TimestampNs,
    /// Original frame length.
    pub wire_len: u32,
    /// IP total length.
    pub ip_len: u32,
    /// Transport payload length (as headers state; captured bytes when no
    /// transport header).
    pub payload_len: u32,
    /// Cut by the snap length.
    pub truncated: bool,
    /// The transport payload was captured in full (`payload_len` bytes).
    pub payload_captured: bool,
    /// A transport header was decoded.
    pub has_l4: bool,
    /// TCP flags.
    pub tcp_flags: u8,
    /// TCP sequence number.
    pub seq: u32,
    /// TCP acknowledgement number.
    pub ack: u32,
    /// TCP window (raw).
    pub window: u16,
    /// ICMP type.
    pub icmp_type: u8,
    /// ICMP code.
    pub icmp_code: u8,
    /// Outer source is the tunnel key's `lo`.
    pub outer_src_is_lo: bool,
    /// Fragment facts.
    pub frag: Option<FragRef>,
    /// Captured transport payload prefix.
    pub payload: &'a [u8],
}

/// Why a record produced no summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Not an IP frame (ARP, LLDP...).
    NonIp,
    /// Could not be decoded as far as IP.
    Undecodable,
}

impl<'a> PacketSummary<'a> {
    /// Summarises a decoded packet; `Err` says why it is not part of a flow.
    #[inline]
    pub fn new(file: u32, ord: u64, rec: &Record<'a>, pkt: &Packet<'a>) -> Result<Self, Skip> {
        let Some(ip) = &pkt.ip else {
            return Err(if pkt.non_ip.is_some() {
                Skip::NonIp
            } else {
                Skip::Undecodable
            });
        };
        let proto = ip.proto;
        let (src, v6) = PackedKey::addr_of(&ip.src);
        let (dst, _) = PackedKey::addr_of(&ip.dst);
        let (mut sport, mut dport, mut one_way) = (0u16, 0u16, false);
        let mut s = PacketSummary {
            key: PackedKey {
                a: src,
                b: dst,
                a_port: 0,
                b_port: 0,
                vlan: PackedKey::vlan_of(pkt.vlan),
                vlan_inner: PackedKey::vlan_of(pkt.vlan_inner),
                tunnel: 0,
                proto,
                flags: if v6 { PackedKey::V6 } else { 0 },
            },
            tunnel: None,
            outer_udp: None,
            from_a: true,
            ord,
            file,
            ts: rec.ts,
            wire_len: rec.origlen,
            ip_len: ip.total_len,
            payload_len: u32::try_from(pkt.payload.len()).unwrap_or(u32::MAX),
            truncated: rec.truncated(),
            payload_captured: true,
            has_l4: false,
            tcp_flags: 0,
            seq: 0,
            ack: 0,
            window: 0,
            icmp_type: 0,
            icmp_code: 0,
            outer_src_is_lo: true,
            frag: None,
            payload: &pkt.payload[..pkt.payload.len().min(HINT_BYTES)],
        };
        if let Some(l4) = pkt.l4.filter(|l| l.proto == proto) {
            // A header cut after its ports keys the flow but says nothing
            // of flags, sequence numbers or the payload length.
            s.has_l4 = !l4.partial;
            s.payload_len = l4.payload_len;
            // A payload cut where its outer datagram continues in the next
            // IP fragment was not lost: Zeek reassembles the datagram.
            let outer_cut = pkt
                .tunnel
                .and_then(|t| t.outer_udp)
                .and_then(|u| u.fragment)
                .is_some_and(|f| f.more);
            s.payload_captured = pkt.payload.len() >= l4.payload_len as usize || outer_cut;
            s.tcp_flags = l4.tcp_flags;
            s.seq = l4.seq;
            s.ack = l4.ack;
            s.window = l4.window;
            s.icmp_type = l4.icmp_type;
            s.icmp_code = l4.icmp_code;
            match proto {
                ipproto::TCP | ipproto::UDP | ipproto::SCTP => {
                    sport = l4.src_port;
                    dport = l4.dst_port;
                }
                ipproto::ICMP | ipproto::ICMPV6 => {
                    (sport, dport, one_way) = icmp_ports(proto, l4.icmp_type, l4.icmp_code);
                }
                _ => {}
            }
        }
        // Community ID order (see `key::canonical`), on packed addresses.
        if one_way || (src, sport) < (dst, dport) {
            s.key.a_port = sport;
            s.key.b_port = dport;
        } else {
            s.key.a = dst;
            s.key.b = src;
            s.key.a_port = dport;
            s.key.b_port = sport;
            s.from_a = false;
        }
        if let Some(t) = pkt.tunnel {
            let (lo, hi, src_is_lo) = if t.outer_src <= t.outer_dst {
                (t.outer_src, t.outer_dst, true)
            } else {
                (t.outer_dst, t.outer_src, false)
            };
            s.tunnel = Some(TunnelKey {
                kind: t.kind,
                lo,
                hi,
                vni: t.vni,
            });
            s.outer_src_is_lo = src_is_lo;
            s.outer_udp = t.outer_udp;
        }
        if let Some(f) = ip.fragment {
            let first = f.offset == 0;
            if !first {
                // A non-first fragment has no transport header: key by
                // addresses only, the table maps it to its datagram's flow.
                s.has_l4 = false;
                s.key = s.key.without_ports();
            }
            s.frag = Some(FragRef {
                id: f.id,
                first,
                src_is_lo: src == s.key.without_ports().a,
            });
        }
        Ok(s)
    }

    /// The same packet without its payload (to be kept beyond its input).
    pub fn detached(&self) -> PacketSummary<'static> {
        PacketSummary {
            key: self.key,
            tunnel: self.tunnel,
            outer_udp: self.outer_udp,
            from_a: self.from_a,
            ord: self.ord,
            file: self.file,
            ts: self.ts,
            wire_len: self.wire_len,
            ip_len: self.ip_len,
            payload_len: self.payload_len,
            truncated: self.truncated,
            payload_captured: self.payload_captured,
            has_l4: self.has_l4,
            tcp_flags: self.tcp_flags,
            seq: self.seq,
            ack: self.ack,
            window: self.window,
            icmp_type: self.icmp_type,
            icmp_code: self.icmp_code,
            outer_src_is_lo: self.outer_src_is_lo,
            frag: self.frag,
            payload: &[],
        }
    }

    /// The UDP datagram that carried this tunnelled packet, as a packet of
    /// its own (the tunnel's outer connection, which Zeek logs too).
    pub fn outer(&self) -> Option<PacketSummary<'a>> {
        let (t, u) = (self.tunnel?, self.outer_udp?);
        let (src, dst) = if self.outer_src_is_lo {
            (t.lo, t.hi)
        } else {
            (t.hi, t.lo)
        };
        let (src, v6) = PackedKey::addr(src);
        let (dst, _) = PackedKey::addr(dst);
        let mut key = PackedKey {
            a: src,
            b: dst,
            a_port: u.src_port,
            b_port: u.dst_port,
            vlan: self.key.vlan,
            vlan_inner: self.key.vlan_inner,
            tunnel: 0,
            proto: ipproto::UDP,
            flags: if v6 { PackedKey::V6 } else { 0 },
        };
        let from_a = (src, u.src_port) < (dst, u.dst_port);
        if !from_a {
            key = PackedKey {
                a: dst,
                b: src,
                a_port: u.dst_port,
                b_port: u.src_port,
                ..key
            };
        }
        Some(PacketSummary {
            key,
            tunnel: None,
            outer_udp: None,
            from_a,
            ord: self.ord,
            file: self.file,
            ts: self.ts,
            wire_len: self.wire_len,
            ip_len: u.ip_len,
            payload_len: u.payload_len,
            truncated: self.truncated,
            payload_captured: true,
            has_l4: true,
            tcp_flags: 0,
            seq: 0,
            ack: 0,
            window: 0,
            icmp_type: 0,
            icmp_code: 0,
            outer_src_is_lo: true,
            frag: u.fragment.map(|f| FragRef {
                id: f.id,
                first: true,
                src_is_lo: src == key.without_ports().a,
            }),
            payload: &[],
        })
    }

    /// The shard of this packet among `shards`: a hash of its port-less
    /// key, so all fragments of a datagram meet their flow's table; a
    /// packet tunnelled in UDP goes where its outer connection goes, so
    /// that the table sees both.
    pub fn shard(&self, shards: usize) -> usize {
        match self.outer() {
            Some(o) => o.key.shard(0, shards),
            None => {
                let th = self.tunnel.as_ref().map_or(0, tunnel_hash);
                self.key.shard(th, shards)
            }
        }
    }

    /// The packet's full flow key (ports zero for non-first fragments).
    pub fn flow_key(&self) -> FlowKey {
        self.key.to_flow_key(self.tunnel)
    }

    /// Sender's address.
    pub fn src(&self) -> std::net::IpAddr {
        self.key
            .ip(if self.from_a { self.key.a } else { self.key.b })
    }
}
