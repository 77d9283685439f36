//! The decoded view of one packet: what every later stage (filter, flows,
//! extraction) reads.
//!
//! A [`Packet`] is a plain `Copy`-friendly struct filled by
//! [`crate::decode::decode`]; its only borrow is the transport payload, a
//! slice of the record's captured bytes. Nothing is allocated per packet.

use std::net::IpAddr;

/// IP protocol numbers used by nwcap.
pub mod ipproto {
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// IPv4 encapsulated in IP.
    pub const IPIP: u8 = 4;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// IPv6 encapsulated in IP.
    pub const IPV6: u8 = 41;
    /// GRE.
    pub const GRE: u8 = 47;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
    /// SCTP.
    pub const SCTP: u8 = 132;
}

/// TCP flag bits as they sit in the TCP header's flags byte (plus NS unused).
pub mod tcpflags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
    /// URG.
    pub const URG: u8 = 0x20;
    /// ECE.
    pub const ECE: u8 = 0x40;
    /// CWR.
    pub const CWR: u8 = 0x80;
}

/// Kind of tunnel the innermost IP packet was carried in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TunnelKind {
    /// Generic Routing Encapsulation (IP protocol 47).
    Gre,
    /// VXLAN (UDP 4789).
    Vxlan,
    /// Geneve (UDP 6081).
    Geneve,
    /// Teredo (IPv6 in UDP 3544).
    Teredo,
    /// IPv4 or IPv6 directly in IP (protocols 4 and 41).
    IpInIp,
    /// AYIYA (IP in UDP 5072).
    Ayiya,
    /// GTP-U, GTPv1 user plane (IP in UDP 2152).
    Gtp,
    /// ERSPAN Types I, II and III (Ethernet in GRE).
    Erspan,
}

impl TunnelKind {
    /// IP protocol of the outer header that carries this tunnel (UDP for
    /// VXLAN, Geneve, Teredo, AYIYA and GTP-U; GRE for GRE and ERSPAN,
    /// though GRE may also ride on UDP, see [`Tunnel::outer_udp`]; none for
    /// IP-in-IP).
    pub fn carrier(self) -> Option<u8> {
        match self {
            TunnelKind::Vxlan
            | TunnelKind::Geneve
            | TunnelKind::Teredo
            | TunnelKind::Ayiya
            | TunnelKind::Gtp => Some(ipproto::UDP),
            TunnelKind::Gre | TunnelKind::Erspan => Some(ipproto::GRE),
            TunnelKind::IpInIp => None,
        }
    }

    /// Stable lowercase name (used in flow tables).
    pub fn name(self) -> &'static str {
        match self {
            TunnelKind::Gre => "gre",
            TunnelKind::Vxlan => "vxlan",
            TunnelKind::Geneve => "geneve",
            TunnelKind::Teredo => "teredo",
            TunnelKind::IpInIp => "ipip",
            TunnelKind::Ayiya => "ayiya",
            TunnelKind::Gtp => "gtp",
            TunnelKind::Erspan => "erspan",
        }
    }
}

/// The outermost tunnel around the innermost IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tunnel {
    /// Type of the outermost tunnel.
    pub kind: TunnelKind,
    /// Source address of the outermost IP header.
    pub outer_src: IpAddr,
    /// Destination address of the outermost IP header.
    pub outer_dst: IpAddr,
    /// VXLAN/Geneve network identifier, GRE key when present.
    pub vni: Option<u32>,
    /// Number of tunnel layers crossed (1 for a plain tunnel).
    pub depth: u8,
    /// The outermost tunnel's UDP header, when it rides on UDP (Zeek logs
    /// that UDP connection too, as the inner one's tunnel parent).
    pub outer_udp: Option<OuterUdp>,
}

/// The UDP datagram that carries a tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OuterUdp {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// The outer IP header's total length (IP bytes of the datagram).
    pub ip_len: u32,
    /// UDP payload length as the UDP header states it.
    pub payload_len: u32,
    /// The outer IP datagram is the first fragment of several.
    pub fragment: Option<Fragment>,
}

/// Where and why decoding stopped before the transport layer was complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeIssue {
    /// Layer that could not be decoded.
    pub layer: Layer,
    /// Byte offset of that layer in the captured data.
    pub offset: u32,
    /// What went wrong.
    pub kind: IssueKind,
}

/// Protocol layers, for error reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Link layer (Ethernet, SLL, loopback...).
    Link,
    /// VLAN tag.
    Vlan,
    /// MPLS label stack.
    Mpls,
    /// IPv4 header.
    Ipv4,
    /// IPv6 header or extension header.
    Ipv6,
    /// Tunnel header (GRE, VXLAN, Geneve, Teredo).
    Tunnel,
    /// TCP header.
    Tcp,
    /// UDP header.
    Udp,
    /// ICMP or ICMPv6 header.
    Icmp,
    /// SCTP header.
    Sctp,
}

/// The kind of a decode issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueKind {
    /// The captured bytes end inside this header (cut by snaplen).
    Truncated,
    /// The header is invalid (bad version, impossible length...).
    Malformed,
    /// Encapsulations nested deeper than nwcap follows.
    TooDeep,
}

/// A fragmented IP packet: which fragment this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fragment {
    /// Fragment offset in bytes (0 for the first fragment).
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
    /// IP identification (IPv4 16 bit, IPv6 32 bit).
    pub id: u32,
}

/// Innermost IP header, summarised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpInfo {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Upper-layer protocol (after IPv6 extension headers).
    pub proto: u8,
    /// IP total length as the header states it (IPv6: 40 + payload length),
    /// what Zeek counts as IP bytes. For a jumbogram, the jumbo length + 40.
    pub total_len: u32,
    /// TTL or hop limit.
    pub ttl: u8,
    /// Set when this packet is an IP fragment (either first or not).
    pub fragment: Option<Fragment>,
}

/// Transport header, summarised. Ports are zero for protocols without them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct L4 {
    /// IP protocol number of this header (6, 17, 1, 58, 132...).
    pub proto: u8,
    /// Source port (TCP, UDP, SCTP), 0 otherwise.
    pub src_port: u16,
    /// Destination port (TCP, UDP, SCTP), 0 otherwise.
    pub dst_port: u16,
    /// TCP only: flags byte (see [`tcpflags`]).
    pub tcp_flags: u8,
    /// TCP only: sequence number.
    pub seq: u32,
    /// TCP only: acknowledgement number.
    pub ack: u32,
    /// TCP only: raw window field (unscaled).
    pub window: u16,
    /// ICMP/ICMPv6 only: type.
    pub icmp_type: u8,
    /// ICMP/ICMPv6 only: code.
    pub icmp_code: u8,
    /// Payload length in bytes as the headers state it (not cut by snaplen).
    pub payload_len: u32,
    /// Only the ports are known: the header was cut after them (by the
    /// snap length or the IP length) or states an impossible length. As
    /// tshark, nwcap still names the protocol and the ports; the other
    /// fields are zero and must not be read as the sender's.
    pub partial: bool,
}

/// One decoded packet. Fields that could not be decoded are `None`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Packet<'a> {
    /// Outermost VLAN id (802.1Q/802.1ad), if tagged (a tag with VLAN ID 0
    /// carries only a priority: no VLAN).
    pub vlan: Option<u16>,
    /// Second VLAN id (QinQ inner tag), if any.
    pub vlan_inner: Option<u16>,
    /// Number of VLAN tags crossed.
    pub vlan_depth: u8,
    /// Number of MPLS labels crossed.
    pub mpls_depth: u8,
    /// Innermost IP header.
    pub ip: Option<IpInfo>,
    /// Outermost tunnel, when the innermost IP header was tunnelled.
    pub tunnel: Option<Tunnel>,
    /// Transport header of the innermost IP packet (None for non-first
    /// fragments, unknown protocols, or when cut before it).
    pub l4: Option<L4>,
    /// Captured transport payload (may be shorter than `l4.payload_len`).
    pub payload: &'a [u8],
    /// Set when decoding stopped early.
    pub issue: Option<DecodeIssue>,
    /// The frame is not IP (ARP, STP, LLDP...); ethertype or protocol seen.
    pub non_ip: Option<u16>,
}
