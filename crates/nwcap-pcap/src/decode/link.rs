//! Link layers and the ethertype chain (VLAN, MPLS, PPPoE).

use super::{Decoder, ip};
use crate::bytes::{Endian, be16, be32};
use crate::packet::{IssueKind, Layer};
use crate::record::LinkType;

/// Ethertypes nwcap follows.
pub(crate) mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const IPV6: u16 = 0x86DD;
    pub const VLAN: u16 = 0x8100;
    pub const QINQ: u16 = 0x88A8;
    pub const QINQ_OLD: u16 = 0x9100;
    pub const MPLS: u16 = 0x8847;
    pub const MPLS_MC: u16 = 0x8848;
    pub const PPPOE: u16 = 0x8864;
    pub const TEB: u16 = 0x6558;
    pub const ERSPAN2: u16 = 0x88BE;
    pub const PPP: u16 = 0x880B;
    pub const CISCO_METADATA: u16 = 0x8909;
}

/// Start decoding at the link layer of `lt`.
pub(crate) fn dispatch(d: &mut Decoder<'_>, lt: LinkType) {
    match lt {
        LinkType::ETHERNET => ethernet(d, 0),
        LinkType::RAW | LinkType::RAW_BSD12 | LinkType::RAW_BSD14 => ip::by_version(d, 0),
        LinkType::IPV4 => ip::ipv4(d, 0),
        LinkType::IPV6 => ip::ipv6(d, 0),
        LinkType::NULL | LinkType::LOOP => loopback(d),
        LinkType::LINUX_SLL => match be16(d.data, 14) {
            Some(p) => ether_payload(d, p, 16),
            None => d.issue(Layer::Link, 0, IssueKind::Truncated),
        },
        LinkType::LINUX_SLL2 => match be16(d.data, 0) {
            Some(p) if d.data.len() >= 20 => ether_payload(d, p, 20),
            _ => d.issue(Layer::Link, 0, IssueKind::Truncated),
        },
        LinkType::IEEE802_11 => wifi(d),
        LinkType::NFLOG => nflog(d),
        _ => {}
    }
}

/// BSD loopback: a 4-byte address family in the writer's byte order.
fn loopback(d: &mut Decoder<'_>) {
    let (Some(le), Some(be)) = (Endian::Little.u32(d.data, 0), Endian::Big.u32(d.data, 0)) else {
        d.issue(Layer::Link, 0, IssueKind::Truncated);
        return;
    };
    let family = if le < 0x100 { le } else { be };
    match family {
        2 => ip::ipv4(d, 4),
        10 | 24 | 28 | 30 => ip::ipv6(d, 4),
        // Neither byte order gives an address family: some writers put an
        // ethertype in the last two bytes (as Wireshark also accepts).
        _ if le >= 0x100 && be >= 0x100 => match be16(d.data, 2) {
            Some(t) if t >= 0x0600 => ether_payload(d, t, 4),
            _ => d.pkt.non_ip = Some(0),
        },
        other => d.pkt.non_ip = Some(other as u16),
    }
}

/// An Ethernet II / 802.3 frame at `off`.
pub(crate) fn ethernet(d: &mut Decoder<'_>, off: usize) {
    match be16(d.data, off + 12) {
        Some(t) if t >= 0x0600 => ether_payload(d, t, off + 14),
        Some(_) => d.pkt.non_ip = Some(0), // 802.3 length field: LLC frame
        None => d.issue(Layer::Link, off, IssueKind::Truncated),
    }
}

/// The payload of ethertype `t` at `off`.
pub(crate) fn ether_payload(d: &mut Decoder<'_>, t: u16, off: usize) {
    let mut t = t;
    let mut off = off;
    loop {
        match t {
            ethertype::IPV4 => return ip::ipv4(d, off),
            ethertype::IPV6 => return ip::ipv6(d, off),
            ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD => {
                if !d.enter(Layer::Vlan, off) {
                    return;
                }
                let (Some(tci), Some(next)) = (be16(d.data, off), be16(d.data, off + 2)) else {
                    d.issue(Layer::Vlan, off, IssueKind::Truncated);
                    return;
                };
                let vid = tci & 0x0FFF;
                let p = &mut d.pkt;
                match (p.vlan, p.vlan_inner) {
                    (None, _) => p.vlan = Some(vid),
                    (Some(_), None) => p.vlan_inner = Some(vid),
                    _ => {}
                }
                p.vlan_depth = p.vlan_depth.saturating_add(1);
                t = next;
                off += 4;
            }
            ethertype::MPLS | ethertype::MPLS_MC => return mpls(d, off),
            ethertype::CISCO_METADATA => {
                // 8 bytes: version, length, option, SGT, next ethertype. In
                // GRE (tcpdump's various_gre.pcap) the next ethertype comes
                // first instead; take whichever position names IP.
                let (Some(last), Some(first)) = (be16(d.data, off + 6), be16(d.data, off)) else {
                    return d.issue(Layer::Link, off, IssueKind::Truncated);
                };
                let is_ip = |x| x == ethertype::IPV4 || x == ethertype::IPV6;
                t = if !is_ip(last) && is_ip(first) {
                    first
                } else {
                    last
                };
                off += 8;
            }
            ethertype::PPPOE => {
                // version/type, code, session id, length, then PPP protocol.
                match be16(d.data, off + 6) {
                    Some(proto) => return ppp_payload(d, proto, off + 8),
                    None => return d.issue(Layer::Link, off, IssueKind::Truncated),
                }
            }
            other => {
                d.pkt.non_ip = Some(other);
                return;
            }
        }
    }
}

/// A PPP payload of protocol `proto` at `off` (PPPoE, PPTP's GRE).
pub(crate) fn ppp_payload(d: &mut Decoder<'_>, proto: u16, off: usize) {
    match proto {
        0x0021 => ip::ipv4(d, off),
        0x0057 => ip::ipv6(d, off),
        other => d.pkt.non_ip = Some(other),
    }
}

/// An MPLS label stack at `off`, then IPv4, IPv6 or (after a pseudowire
/// control word) Ethernet, guessed from the first nibble as tshark does.
pub(crate) fn mpls(d: &mut Decoder<'_>, mut off: usize) {
    loop {
        if !d.enter(Layer::Mpls, off) {
            return;
        }
        let Some(label) = be32(d.data, off) else {
            d.issue(Layer::Mpls, off, IssueKind::Truncated);
            return;
        };
        d.pkt.mpls_depth = d.pkt.mpls_depth.saturating_add(1);
        off += 4;
        if label & 0x100 != 0 {
            break;
        }
    }
    match d.data.get(off).map(|b| b >> 4) {
        Some(4) => ip::ipv4(d, off),
        Some(6) => ip::ipv6(d, off),
        Some(0) => ethernet(d, off + 4),
        Some(_) => d.pkt.non_ip = Some(ethertype::MPLS),
        None => d.issue(Layer::Mpls, off, IssueKind::Truncated),
    }
}

/// IEEE 802.11 data frames with an LLC/SNAP header; other frames are not IP.
fn wifi(d: &mut Decoder<'_>) {
    let Some(&fc0) = d.data.first() else {
        d.issue(Layer::Link, 0, IssueKind::Truncated);
        return;
    };
    let Some(&fc1) = d.data.get(1) else {
        d.issue(Layer::Link, 0, IssueKind::Truncated);
        return;
    };
    let frame_type = (fc0 >> 2) & 0x3;
    let subtype = fc0 >> 4;
    if frame_type != 2 || subtype & 0x4 != 0 {
        d.pkt.non_ip = Some(0); // management, control, or null data
        return;
    }
    if fc1 & 0x40 != 0 {
        d.pkt.non_ip = Some(0); // protected: payload is encrypted
        return;
    }
    let mut hdr = 24;
    if fc1 & 0x03 == 0x03 {
        hdr += 6; // four addresses
    }
    if subtype & 0x8 != 0 {
        hdr += 2; // QoS control
        if fc1 & 0x80 != 0 {
            hdr += 4; // HT control
        }
    }
    match (d.data.get(hdr..hdr + 6), be16(d.data, hdr + 6)) {
        (Some([0xAA, 0xAA, 0x03, 0, 0, 0]), Some(t)) => ether_payload(d, t, hdr + 8),
        (Some(_), _) => d.pkt.non_ip = Some(0),
        (None, _) => d.issue(Layer::Link, 0, IssueKind::Truncated),
    }
}

/// Linux NFLOG: a 4-byte header (address family, version, resource id),
/// then TLVs in host byte order (little-endian on the machines that write
/// it); the packet is the payload TLV (type 9).
fn nflog(d: &mut Decoder<'_>) {
    let Some(&family) = d.data.first() else {
        d.issue(Layer::Link, 0, IssueKind::Truncated);
        return;
    };
    let mut at = 4;
    while let (Some(len), Some(kind)) = (
        Endian::Little.u16(d.data, at),
        Endian::Little.u16(d.data, at + 2),
    ) {
        let len = usize::from(len);
        if len < 4 {
            d.issue(Layer::Link, at, IssueKind::Malformed);
            return;
        }
        if kind == 9 {
            return match family {
                2 => ip::ipv4(d, at + 4),
                10 => ip::ipv6(d, at + 4),
                _ => ip::by_version(d, at + 4),
            };
        }
        at += len.div_ceil(4) * 4;
    }
    d.pkt.non_ip = Some(0);
}
