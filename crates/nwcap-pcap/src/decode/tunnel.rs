//! Tunnel headers: GRE (with ERSPAN), and VXLAN, Geneve, Teredo, AYIYA,
//! GTP-U and GRE inside UDP. Each returns the [`Step::Tunnel`] into its
//! inner packet (or `Done` when the payload is not a tunnel after all).

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
    /// IPv6 header: payload length field, addresses, size.
    pub const IPV6_PAYLOAD_LEN: usize = 4;
    pub const IPV6_SRC: usize = 8;
    pub const IPV6_DST: usize = 24;
    pub const IPV6_HEADER_LEN: usize = 40;
    /// Teredo addresses are in 2001:0000::/32.
    pub const PREFIX: [u8; 4] = [0x20, 0x01, 0x00, 0x00];
}

/// AYIYA header: identity length/type, signature length/hash method,
/// authentication method/operation code, next header, epoch time, then the
/// identity and the signature.
mod ayiyaf {
    pub const ID_LEN: usize = 0;
    pub const SIG_LEN: usize = 1;
    pub const OP_CODE: usize = 2;
    pub const NEXT_HEADER: usize = 3;
    pub const FIXED_LEN: usize = 8;
    /// Operation "forward": a packet follows.
    pub const OP_FORWARD: u8 = 1;
}

/// GTPv1 header: flags (version, PT, E, S, PN), message type, length,
/// TEID, then (when E, S or PN) sequence number, N-PDU number and the next
/// extension header type; extension headers are length (in 4 bytes),
/// content, next type.
mod gtpf {
    pub const FLAGS: usize = 0;
    pub const MSG_TYPE: usize = 1;
    pub const HEADER_LEN: usize = 8;
    pub const OPT_LEN: usize = 4;
    pub const NEXT_EXT: usize = 11;
    pub const VERSION_1: u8 = 1;
    pub const FLAG_PT: u8 = 0x10;
    pub const FLAG_E: u8 = 0x04;
    pub const FLAGS_OPT: u8 = 0x07;
    /// T-PDU: a user packet.
    pub const T_PDU: u8 = 0xFF;
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

/// ERSPAN headers before the mirrored Ethernet frame: none for Type I
/// (GRE without a sequence number), 8 bytes for Type II, 12 for Type III
/// plus 8 when its O flag (last bit of the header) announces a platform
/// subheader.
mod erspanf {
    pub const TYPE2_LEN: usize = 8;
    pub const TYPE3_LEN: usize = 12;
    pub const TYPE3_PLATFORM_LEN: usize = 8;
    pub const TYPE3_FLAG_O: u8 = 0x01;
}

/// VXLAN, Geneve, AYIYA, GTP-U and GRE inside UDP by port, Teredo on its
/// port or recognised on any other; the UDP payload is at `off`.
pub(crate) fn over_udp(d: &mut Decoder<'_, '_>, sp: u16, dp: u16, off: usize) -> Step {
    let on = |p| sp == p || dp == p;
    if on(port::VXLAN) {
        vxlan(d, off)
    } else if on(port::GENEVE) {
        geneve(d, off)
    } else if on(port::TEREDO) {
        teredo(d, off, false)
    } else if on(port::AYIYA) {
        ayiya(d, off)
    } else if on(port::GTP_U) || on(port::GTP_C) {
        gtp(d, off)
    } else if on(port::GRE) {
        gre(d, off, true)
    } else {
        teredo(d, off, true)
    }
}

fn vxlan(d: &mut Decoder<'_, '_>, off: usize) -> Step {
    let b = d.data;
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
}

fn geneve(d: &mut Decoder<'_, '_>, off: usize) -> Step {
    let b = d.data;
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
}

/// Teredo (IPv6 in UDP): optional authentication and origin indication
/// headers, then a plausible IPv6 header (version 6, a payload length that
/// fits the datagram). Off its port (`detect`), only as Zeek recognises it:
/// one of those headers, or a Teredo address (2001:0::/32) as the IPv6
/// source or destination.
fn teredo(d: &mut Decoder<'_, '_>, off: usize, detect: bool) -> Step {
    let b = d.data;
    let mut at = off;
    let mut headers = false;
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
        headers = true;
    }
    if be16(b, at) == Some(teredof::ORIGIN) {
        at += teredof::ORIGIN_LEN;
        headers = true;
    }
    let udp_payload = d.pkt.l4.map_or(0, |l| l.payload_len as usize);
    let plausible = b.get(at).is_some_and(|v| v >> 4 == 6)
        && be16(b, at + teredof::IPV6_PAYLOAD_LEN).is_some_and(|pl| {
            usize::from(pl) + teredof::IPV6_HEADER_LEN + (at - off) <= udp_payload
        });
    let teredo_addr = |field| b.get(at + field..at + field + 4) == Some(&teredof::PREFIX[..]);
    let recognised =
        !detect || headers || teredo_addr(teredof::IPV6_SRC) || teredo_addr(teredof::IPV6_DST);
    if plausible && recognised {
        Step::Tunnel(TunnelKind::Teredo, None, Inner::Ipv6, at)
    } else {
        Step::Done
    }
}

/// AYIYA (RFC-less "Anything In Anything", SixXS): a forwarded IPv4 or
/// IPv6 packet after the header.
fn ayiya(d: &mut Decoder<'_, '_>, off: usize) -> Step {
    let b = d.data;
    let (Some(&id), Some(&sig), Some(&op), Some(&next)) = (
        b.get(off + ayiyaf::ID_LEN),
        b.get(off + ayiyaf::SIG_LEN),
        b.get(off + ayiyaf::OP_CODE),
        b.get(off + ayiyaf::NEXT_HEADER),
    ) else {
        return Step::Done;
    };
    if op & 0x0F != ayiyaf::OP_FORWARD {
        return Step::Done;
    }
    let identity = 1usize << (id >> 4);
    let signature = usize::from(sig >> 4) * 4;
    let at = off + ayiyaf::FIXED_LEN + identity + signature;
    let inner = match next {
        ipproto::IPIP => Inner::Ipv4,
        ipproto::IPV6 => Inner::Ipv6,
        _ => return Step::Done,
    };
    if b.len() <= at {
        return Step::Done;
    }
    Step::Tunnel(TunnelKind::Ayiya, None, inner, at)
}

/// GTP-U: a version 1 T-PDU carries an IPv4 or IPv6 packet after its
/// header and extension headers.
fn gtp(d: &mut Decoder<'_, '_>, off: usize) -> Step {
    let b = d.data;
    let (Some(&flags), Some(&msg)) = (b.get(off + gtpf::FLAGS), b.get(off + gtpf::MSG_TYPE)) else {
        return Step::Done;
    };
    if flags >> 5 != gtpf::VERSION_1 || flags & gtpf::FLAG_PT == 0 || msg != gtpf::T_PDU {
        return Step::Done;
    }
    let mut at = off + gtpf::HEADER_LEN;
    if flags & gtpf::FLAGS_OPT != 0 {
        at += gtpf::OPT_LEN;
    }
    if flags & gtpf::FLAG_E != 0 {
        let mut next = b.get(off + gtpf::NEXT_EXT).copied().unwrap_or(0);
        while next != 0 {
            if !d.enter(Layer::Tunnel, at) {
                return Step::Done;
            }
            let Some(&len) = b.get(at) else {
                return d.stop(Layer::Tunnel, at, IssueKind::Truncated);
            };
            let len = usize::from(len) * 4;
            if len == 0 {
                return d.stop(Layer::Tunnel, at, IssueKind::Malformed);
            }
            next = b.get(at + len - 1).copied().unwrap_or(0);
            at += len;
        }
    }
    match b.get(at).map(|v| v >> 4) {
        Some(4 | 6) => Step::Tunnel(TunnelKind::Gtp, None, Inner::Ip, at),
        _ => Step::Done,
    }
}

/// GRE at `off`, in IP (protocol 47) or in UDP (port 4754, `in_udp`: the
/// UDP header stays the packet's transport header). ERSPAN rides on GRE.
pub(crate) fn gre(d: &mut Decoder<'_, '_>, off: usize, in_udp: bool) -> Step {
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
    if !in_udp {
        d.pkt.l4 = Some(L4 {
            proto: ipproto::GRE,
            ..L4::default()
        });
    }
    match proto {
        ethertype::TEB => Step::Tunnel(TunnelKind::Gre, key, Inner::Ethernet, at),
        ethertype::ERSPAN2 => {
            // Type II has a sequence number and its own header; Type I
            // neither.
            let hdr = if flags & gref::SEQUENCE != 0 {
                erspanf::TYPE2_LEN
            } else {
                0
            };
            Step::Tunnel(TunnelKind::Erspan, key, Inner::Ethernet, at + hdr)
        }
        ethertype::ERSPAN3 => {
            let Some(&last) = b.get(at + erspanf::TYPE3_LEN - 1) else {
                return d.stop(Layer::Tunnel, at, IssueKind::Truncated);
            };
            let mut hdr = erspanf::TYPE3_LEN;
            if last & erspanf::TYPE3_FLAG_O != 0 {
                hdr += erspanf::TYPE3_PLATFORM_LEN;
            }
            Step::Tunnel(TunnelKind::Erspan, key, Inner::Ethernet, at + hdr)
        }
        ethertype::PPP => Step::Tunnel(TunnelKind::Gre, key, Inner::PppFrame, at),
        t => Step::Tunnel(TunnelKind::Gre, key, Inner::EtherType(t), at),
    }
}
