//! Tunnel headers: GRE, and VXLAN, Geneve and Teredo inside UDP. Each
//! returns the [`Step::Tunnel`] into its inner packet (or `Done` when the
//! payload is not a tunnel after all).

use super::numbers::{ethertype, port};
use super::{Decoder, Inner, Step};
use crate::bytes::{be16, be32};
use crate::packet::{IssueKind, L4, Layer, TunnelKind, ipproto};

/// VXLAN header: flags (I bit), 3 reserved bytes, VNI (24 bits), reserved.
mod vxlanf {
    pub const FLAGS: usize = 0;
    pub const FLAG_VNI: u8 = 0x08;
    pub const VNI: usize = 4;
    pub const HEADER_LEN: usize = 8;
}

/// Geneve header: version and options length, flags, protocol, VNI.
mod genevef {
    pub const VER_OPT_LEN: usize = 0;
    pub const PROTOCOL: usize = 2;
    pub const VNI: usize = 4;
    pub const HEADER_LEN: usize = 8;
    pub const OPT_LEN_MASK: u8 = 0x3F;
}

/// Teredo's optional headers before the IPv6 packet.
mod teredof {
    /// Authentication indicator: 0x0001, ID length, auth length, client
    /// id, authentication value, nonce (8) and confirmation (1).
    pub const AUTH: u16 = 0x0001;
    pub const AUTH_ID_LEN: usize = 2;
    pub const AUTH_VALUE_LEN: usize = 3;
    pub const AUTH_FIXED_LEN: usize = 4;
    pub const AUTH_NONCE_CONFIRMATION_LEN: usize = 9;
    /// Origin indication: 0x0000, port and address (8 bytes in all).
    pub const ORIGIN: u16 = 0x0000;
    pub const ORIGIN_LEN: usize = 8;
    /// IPv6 header: payload length field and size.
    pub const IPV6_PAYLOAD_LEN: usize = 4;
    pub const IPV6_HEADER_LEN: usize = 40;
}

/// GRE header (RFC 2784/2890, PPTP's enhanced GRE in RFC 2637).
mod gref {
    pub const FLAGS: usize = 0;
    pub const PROTOCOL: usize = 2;
    pub const HEADER_LEN: usize = 4;
    pub const CHECKSUM: u16 = 0x8000;
    pub const KEY: u16 = 0x2000;
    pub const SEQUENCE: u16 = 0x1000;
    pub const ACK: u16 = 0x0080;
    pub const VERSION_MASK: u16 = 0x7;
    pub const VERSION_PPTP: u16 = 1;
    /// Each optional field (checksum + reserved, key, sequence, ack).
    pub const OPTION_LEN: usize = 4;
}

/// ERSPAN Type II header before the mirrored Ethernet frame.
const ERSPAN2_HEADER_LEN: usize = 8;

/// VXLAN, Geneve and Teredo inside UDP, by port; the UDP payload is at
/// `off`.
#[inline]
pub(crate) fn over_udp(d: &mut Decoder<'_>, sp: u16, dp: u16, off: usize) -> Step {
    let b = d.data;
    let on = |p| sp == p || dp == p;
    if on(port::VXLAN) {
        if b.get(off + vxlanf::FLAGS)
            .is_some_and(|f| f & vxlanf::FLAG_VNI != 0)
            && b.len() >= off + vxlanf::HEADER_LEN
        {
            let vni = be32(b, off + vxlanf::VNI).map(|v| v >> 8);
            return Step::Tunnel(
                TunnelKind::Vxlan,
                vni,
                Inner::Ethernet,
                off + vxlanf::HEADER_LEN,
            );
        }
        Step::Done
    } else if on(port::GENEVE) {
        let (Some(&v0), Some(proto), Some(vni)) = (
            b.get(off + genevef::VER_OPT_LEN),
            be16(b, off + genevef::PROTOCOL),
            be32(b, off + genevef::VNI),
        ) else {
            return Step::Done;
        };
        if v0 >> 6 != 0 {
            return Step::Done;
        }
        let inner_at = off + genevef::HEADER_LEN + usize::from(v0 & genevef::OPT_LEN_MASK) * 4;
        let inner = match proto {
            ethertype::TEB => Inner::Ethernet,
            ethertype::IPV4 => Inner::Ipv4,
            ethertype::IPV6 => Inner::Ipv6,
            _ => return Step::Done,
        };
        Step::Tunnel(TunnelKind::Geneve, Some(vni >> 8), inner, inner_at)
    } else if on(port::TEREDO) {
        teredo(d, off)
    } else {
        Step::Done
    }
}

/// Teredo (IPv6 in UDP): optional authentication and origin indication
/// headers, then a plausible IPv6 header.
fn teredo(d: &mut Decoder<'_>, off: usize) -> Step {
    let b = d.data;
    let mut at = off;
    if be16(b, at) == Some(teredof::AUTH) {
        let (Some(&idl), Some(&aul)) = (
            b.get(at + teredof::AUTH_ID_LEN),
            b.get(at + teredof::AUTH_VALUE_LEN),
        ) else {
            return Step::Done;
        };
        at += teredof::AUTH_FIXED_LEN
            + usize::from(idl)
            + usize::from(aul)
            + teredof::AUTH_NONCE_CONFIRMATION_LEN;
    }
    if be16(b, at) == Some(teredof::ORIGIN) {
        at += teredof::ORIGIN_LEN;
    }
    // Only a plausible IPv6 header: version 6 and a payload length that
    // fits the datagram.
    let plausible = b.get(at).is_some_and(|v| v >> 4 == 6)
        && be16(b, at + teredof::IPV6_PAYLOAD_LEN).is_some_and(|pl| {
            let udp_payload = d.pkt.l4.map_or(0, |l| l.payload_len as usize);
            usize::from(pl) + teredof::IPV6_HEADER_LEN + (at - off) <= udp_payload
        });
    if plausible {
        Step::Tunnel(TunnelKind::Teredo, None, Inner::Ipv6, at)
    } else {
        Step::Done
    }
}

/// GRE at `off` (RFC 2784/2890 and PPTP's enhanced GRE).
pub(crate) fn gre(d: &mut Decoder<'_>, off: usize) -> Step {
    let b = d.data;
    let (Some(flags), Some(proto)) = (be16(b, off + gref::FLAGS), be16(b, off + gref::PROTOCOL))
    else {
        return d.stop(Layer::Tunnel, off, IssueKind::Truncated);
    };
    let version = flags & gref::VERSION_MASK;
    let mut at = off + gref::HEADER_LEN;
    let mut key = None;
    if flags & gref::CHECKSUM != 0 {
        at += gref::OPTION_LEN;
    }
    if flags & gref::KEY != 0 {
        key = be32(b, at);
        at += gref::OPTION_LEN;
    }
    if flags & gref::SEQUENCE != 0 {
        at += gref::OPTION_LEN;
    }
    if version == gref::VERSION_PPTP && flags & gref::ACK != 0 {
        at += gref::OPTION_LEN;
    }
    if b.len() < at {
        return d.stop(Layer::Tunnel, off, IssueKind::Truncated);
    }
    d.pkt.l4 = Some(L4 {
        proto: ipproto::GRE,
        ..L4::default()
    });
    let inner = match proto {
        ethertype::TEB => Inner::Ethernet,
        ethertype::ERSPAN2 => Inner::Erspan2,
        ethertype::PPP => Inner::PppFrame,
        t => Inner::EtherType(t),
    };
    Step::Tunnel(TunnelKind::Gre, key, inner, at)
}

/// Where the Ethernet frame of an ERSPAN Type II payload at `at` starts.
pub(crate) fn erspan2_frame(at: usize) -> usize {
    at + ERSPAN2_HEADER_LEN
}
