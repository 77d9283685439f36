//! Link layers and the ethertype chain (VLAN, MPLS, PPPoE, PPP).

use super::numbers::{ethertype, family, linktype, ppp};
use super::{Decoder, Step};
use crate::bytes::{Endian, be16, be32};
use crate::packet::{IssueKind, Layer};
use crate::record::LinkType;

/// Ethernet II header.
mod eth {
    pub const ETHERTYPE: usize = 12;
    pub const HEADER_LEN: usize = 14;
}

/// Linux cooked capture v1 (SLL).
mod sll {
    pub const PROTOCOL: usize = 14;
    pub const HEADER_LEN: usize = 16;
}

/// Linux cooked capture v2 (SLL2).
mod sll2 {
    pub const PROTOCOL: usize = 0;
    pub const HEADER_LEN: usize = 20;
}

/// BSD loopback: the address family, 4 bytes in the writer's byte order.
mod null {
    pub const FAMILY: usize = 0;
    /// Where an ethertype sits when a writer puts one instead.
    pub const ETHERTYPE: usize = 2;
    pub const HEADER_LEN: usize = 4;
}

/// 802.1Q tag after its TPID: tag control (PCP, DEI, VID), next ethertype.
mod vlan {
    pub const TCI: usize = 0;
    pub const ETHERTYPE: usize = 2;
    pub const LEN: usize = 4;
    pub const VID_MASK: u16 = 0x0FFF;
    /// VLAN ID 0: the tag carries only a priority.
    pub const PRIORITY_TAG: u16 = 0;
}

/// Cisco metadata: version, length, option, SGT, next ethertype.
mod cisco_metadata {
    pub const ETHERTYPE: usize = 6;
    pub const LEN: usize = 8;
}

/// PPPoE session header: version/type, code, session id, length, then
/// the PPP protocol.
mod pppoe {
    pub const PROTOCOL: usize = 6;
    pub const LEN: usize = 8;
}

/// One MPLS label stack entry.
mod mpls_entry {
    pub const LEN: usize = 4;
    pub const BOTTOM_OF_STACK: u32 = 0x100;
    /// Pseudowire control word before an Ethernet frame.
    pub const CONTROL_WORD_LEN: usize = 4;
}

/// IEEE 802.11 MAC header.
mod wifi {
    pub const HEADER_LEN: usize = 24;
    pub const ADDR4_LEN: usize = 6;
    pub const QOS_LEN: usize = 2;
    pub const HT_LEN: usize = 4;
    pub const TYPE_DATA: u8 = 2;
    pub const SUBTYPE_NULL: u8 = 0x4;
    pub const SUBTYPE_QOS: u8 = 0x8;
    pub const FC1_TO_FROM_DS: u8 = 0x03;
    pub const FC1_PROTECTED: u8 = 0x40;
    pub const FC1_ORDER: u8 = 0x80;
    /// LLC/SNAP header before the ethertype.
    pub const SNAP: [u8; 6] = [0xAA, 0xAA, 0x03, 0, 0, 0];
    pub const SNAP_LEN: usize = 8;
}

/// Linux NFLOG: family, version, resource id, then TLVs (length, type).
mod nflog {
    pub const FAMILY: usize = 0;
    pub const HEADER_LEN: usize = 4;
    pub const TLV_LEN: usize = 4;
    pub const TLV_PAYLOAD: u16 = 9;
    pub const INET: u8 = 2;
    pub const INET6: u8 = 10;
}

/// Radiotap: version, pad, then the header's length (little-endian).
mod radiotap {
    pub const LEN: usize = 2;
}

/// Cisco FabricPath: the inner Ethernet frame starts 16 bytes into the
/// frame, 2 bytes after the outer ethertype.
const FABRICPATH_REST: usize = 2;

/// PPP in HDLC-like framing: address 0xFF, control 0x03.
const PPP_ADDRESS_CONTROL: [u8; 2] = [0xFF, 0x03];

/// True when nwcap decodes this link type.
pub(crate) fn supported(lt: LinkType) -> bool {
    matches!(
        lt,
        LinkType::NULL
            | LinkType::ETHERNET
            | LinkType::RAW_BSD12
            | LinkType::RAW_BSD14
            | LinkType::RAW
            | LinkType::IEEE802_11
            | LinkType::LOOP
            | LinkType::LINUX_SLL
            | LinkType::IPV4
            | LinkType::IPV6
            | LinkType::LINUX_SLL2
            | LinkType::NFLOG
    ) || matches!(lt, linktype::PPP | linktype::PPP_HDLC | linktype::RADIOTAP)
}

/// The first layer of a record of link type `lt`.
#[inline]
pub(crate) fn link(d: &mut Decoder<'_, '_>, lt: LinkType) -> Step {
    match lt {
        LinkType::ETHERNET => Step::Ethernet(0),
        LinkType::RAW | LinkType::RAW_BSD12 | LinkType::RAW_BSD14 => Step::Ip(0),
        LinkType::IPV4 => Step::Ipv4(0),
        LinkType::IPV6 => Step::Ipv6(0),
        LinkType::NULL | LinkType::LOOP => loopback(d),
        LinkType::LINUX_SLL => match be16(d.data, sll::PROTOCOL) {
            Some(p) => Step::EtherType(p, sll::HEADER_LEN),
            None => d.stop(Layer::Link, 0, IssueKind::Truncated),
        },
        LinkType::LINUX_SLL2 => match be16(d.data, sll2::PROTOCOL) {
            Some(p) if d.data.len() >= sll2::HEADER_LEN => Step::EtherType(p, sll2::HEADER_LEN),
            _ => d.stop(Layer::Link, 0, IssueKind::Truncated),
        },
        LinkType::IEEE802_11 => wifi(d, 0),
        LinkType::NFLOG => nflog(d),
        linktype::PPP | linktype::PPP_HDLC => Step::PppFrame(0),
        linktype::RADIOTAP => match Endian::Little.u16(d.data, radiotap::LEN) {
            Some(len) => wifi(d, usize::from(len)),
            None => d.stop(Layer::Link, 0, IssueKind::Truncated),
        },
        _ => Step::Done,
    }
}

/// BSD loopback: a 4-byte address family in the writer's byte order.
fn loopback(d: &mut Decoder<'_, '_>) -> Step {
    let (Some(le), Some(be)) = (
        Endian::Little.u32(d.data, null::FAMILY),
        Endian::Big.u32(d.data, null::FAMILY),
    ) else {
        return d.stop(Layer::Link, 0, IssueKind::Truncated);
    };
    let fam = if le < 0x100 { le } else { be };
    match fam {
        family::INET => Step::Ipv4(null::HEADER_LEN),
        family::INET6_LINUX | family::INET6_BSD | family::INET6_FREEBSD | family::INET6_DARWIN => {
            Step::Ipv6(null::HEADER_LEN)
        }
        // Neither byte order gives an address family: some writers put an
        // ethertype in the last two bytes (as Wireshark also accepts).
        _ if le >= 0x100 && be >= 0x100 => match be16(d.data, null::ETHERTYPE) {
            Some(t) if t >= ethertype::MIN => Step::EtherType(t, null::HEADER_LEN),
            _ => d.non_ip(0),
        },
        other => d.non_ip(other as u16),
    }
}

/// An Ethernet II / 802.3 frame at `off`.
#[inline]
pub(crate) fn ethernet(d: &mut Decoder<'_, '_>, off: usize) -> Step {
    match be16(d.data, off + eth::ETHERTYPE) {
        Some(t) if t >= ethertype::MIN => Step::EtherType(t, off + eth::HEADER_LEN),
        Some(_) => d.non_ip(0), // 802.3 length field: LLC frame
        None => d.stop(Layer::Link, off, IssueKind::Truncated),
    }
}

/// The payload of ethertype `t` at `off`.
#[inline]
pub(crate) fn ether_payload(d: &mut Decoder<'_, '_>, t: u16, off: usize) -> Step {
    match t {
        ethertype::IPV4 => Step::Ipv4(off),
        ethertype::IPV6 => Step::Ipv6(off),
        ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD => {
            if !d.enter(Layer::Vlan, off) {
                return Step::Done;
            }
            let (Some(tci), Some(next)) = (
                be16(d.data, off + vlan::TCI),
                be16(d.data, off + vlan::ETHERTYPE),
            ) else {
                return d.stop(Layer::Vlan, off, IssueKind::Truncated);
            };
            let vid = tci & vlan::VID_MASK;
            let p = &mut d.pkt;
            // VID 0 is a priority tag (IEEE 802.1Q): no VLAN.
            if vid != vlan::PRIORITY_TAG {
                match (p.vlan, p.vlan_inner) {
                    (None, _) => p.vlan = Some(vid),
                    (Some(_), None) => p.vlan_inner = Some(vid),
                    _ => {}
                }
            }
            p.vlan_depth = p.vlan_depth.saturating_add(1);
            Step::EtherType(next, off + vlan::LEN)
        }
        ethertype::MPLS | ethertype::MPLS_MC => Step::Mpls(off),
        ethertype::FABRICPATH => Step::Ethernet(off + FABRICPATH_REST),
        ethertype::CISCO_METADATA => {
            // In GRE (tcpdump's various_gre.pcap) the next ethertype comes
            // first instead of last; take whichever position names IP.
            let (Some(last), Some(first)) = (
                be16(d.data, off + cisco_metadata::ETHERTYPE),
                be16(d.data, off),
            ) else {
                return d.stop(Layer::Link, off, IssueKind::Truncated);
            };
            let is_ip = |x| x == ethertype::IPV4 || x == ethertype::IPV6;
            let next = if !is_ip(last) && is_ip(first) {
                first
            } else {
                last
            };
            Step::EtherType(next, off + cisco_metadata::LEN)
        }
        ethertype::PPPOE => match be16(d.data, off + pppoe::PROTOCOL) {
            Some(proto) => Step::Ppp(proto, off + pppoe::LEN),
            None => d.stop(Layer::Link, off, IssueKind::Truncated),
        },
        other => d.non_ip(other),
    }
}

/// A PPP payload of protocol `proto` at `off` (PPPoE, PPTP's GRE).
#[inline]
pub(crate) fn ppp_payload(d: &mut Decoder<'_, '_>, proto: u16, off: usize) -> Step {
    match proto {
        ppp::IPV4 => Step::Ipv4(off),
        ppp::IPV6 => Step::Ipv6(off),
        other => d.non_ip(other),
    }
}

/// A PPP frame at `at`: optional address/control (ff 03), then a 1- or
/// 2-byte protocol field.
pub(crate) fn ppp_frame(d: &mut Decoder<'_, '_>, mut at: usize) -> Step {
    let b = d.data;
    if b.get(at..at + 2) == Some(&PPP_ADDRESS_CONTROL) {
        at += 2;
    }
    let Some(&p0) = b.get(at) else {
        return Step::Done;
    };
    // An odd first byte is a compressed (1-byte) protocol field.
    if p0 & 1 == 1 {
        Step::Ppp(u16::from(p0), at + 1)
    } else if let Some(p) = be16(b, at) {
        Step::Ppp(p, at + 2)
    } else {
        Step::Done
    }
}

/// An MPLS label stack at `off`, then IPv4, IPv6 or (after a pseudowire
/// control word) Ethernet, guessed from the first nibble as tshark does.
pub(crate) fn mpls(d: &mut Decoder<'_, '_>, mut off: usize) -> Step {
    loop {
        if !d.enter(Layer::Mpls, off) {
            return Step::Done;
        }
        let Some(label) = be32(d.data, off) else {
            return d.stop(Layer::Mpls, off, IssueKind::Truncated);
        };
        d.pkt.mpls_depth = d.pkt.mpls_depth.saturating_add(1);
        off += mpls_entry::LEN;
        if label & mpls_entry::BOTTOM_OF_STACK != 0 {
            break;
        }
    }
    match d.data.get(off).map(|b| b >> 4) {
        Some(4) => Step::Ipv4(off),
        Some(6) => Step::Ipv6(off),
        Some(0) => Step::Ethernet(off + mpls_entry::CONTROL_WORD_LEN),
        Some(_) => d.non_ip(ethertype::MPLS),
        None => d.stop(Layer::Mpls, off, IssueKind::Truncated),
    }
}

/// IEEE 802.11 data frames (at `off`) with an LLC/SNAP header; other
/// frames are not IP.
fn wifi(d: &mut Decoder<'_, '_>, off: usize) -> Step {
    let (Some(&fc0), Some(&fc1)) = (d.data.get(off), d.data.get(off + 1)) else {
        return d.stop(Layer::Link, off, IssueKind::Truncated);
    };
    let frame_type = (fc0 >> 2) & 0x3;
    let subtype = fc0 >> 4;
    if frame_type != wifi::TYPE_DATA || subtype & wifi::SUBTYPE_NULL != 0 {
        return d.non_ip(0); // management, control, or null data
    }
    if fc1 & wifi::FC1_PROTECTED != 0 {
        return d.non_ip(0); // protected: payload is encrypted
    }
    let mut hdr = off + wifi::HEADER_LEN;
    if fc1 & wifi::FC1_TO_FROM_DS == wifi::FC1_TO_FROM_DS {
        hdr += wifi::ADDR4_LEN;
    }
    if subtype & wifi::SUBTYPE_QOS != 0 {
        hdr += wifi::QOS_LEN;
        if fc1 & wifi::FC1_ORDER != 0 {
            hdr += wifi::HT_LEN;
        }
    }
    match (d.data.get(hdr..hdr + 6), be16(d.data, hdr + 6)) {
        (Some(snap), Some(t)) if snap == wifi::SNAP => Step::EtherType(t, hdr + wifi::SNAP_LEN),
        (Some(_), _) => d.non_ip(0),
        (None, _) => d.stop(Layer::Link, off, IssueKind::Truncated),
    }
}

/// Linux NFLOG: a 4-byte header (address family, version, resource id),
/// then TLVs in host byte order (little-endian on the machines that write
/// it); the packet is the payload TLV.
fn nflog(d: &mut Decoder<'_, '_>) -> Step {
    let Some(&fam) = d.data.get(nflog::FAMILY) else {
        return d.stop(Layer::Link, 0, IssueKind::Truncated);
    };
    let mut at = nflog::HEADER_LEN;
    while let (Some(len), Some(kind)) = (
        Endian::Little.u16(d.data, at),
        Endian::Little.u16(d.data, at + 2),
    ) {
        let len = usize::from(len);
        if len < nflog::TLV_LEN {
            return d.stop(Layer::Link, at, IssueKind::Malformed);
        }
        if kind == nflog::TLV_PAYLOAD {
            let inner = at + nflog::TLV_LEN;
            return match fam {
                nflog::INET => Step::Ipv4(inner),
                nflog::INET6 => Step::Ipv6(inner),
                _ => Step::Ip(inner),
            };
        }
        at += len.div_ceil(4) * 4;
    }
    d.non_ip(0)
}
