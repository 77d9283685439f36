//! Transport headers, and the tunnels that ride on them.

use super::link::ethertype;
use super::{Decoder, ip, link};
use crate::bytes::{be16, be32};
use crate::packet::{IssueKind, L4, Layer, TunnelKind, ipproto};

/// VXLAN's UDP port.
pub const VXLAN_PORT: u16 = 4789;
/// Geneve's UDP port.
pub const GENEVE_PORT: u16 = 6081;
/// Teredo's UDP port.
pub const TEREDO_PORT: u16 = 3544;

/// The transport header of protocol `proto` at `off`; the IP datagram's
/// captured bytes end at `end`; `len` is the transport length the IP
/// header states (header + payload).
pub(crate) fn dispatch(d: &mut Decoder<'_>, proto: u8, off: usize, end: usize, len: u32) {
    let b = d.data;
    let mut l4 = L4 {
        proto,
        ..L4::default()
    };
    match proto {
        ipproto::TCP => {
            let (Some(sp), Some(dp)) = (be16(b, off), be16(b, off + 2)) else {
                return d.issue(Layer::Tcp, off, IssueKind::Truncated);
            };
            l4.src_port = sp;
            l4.dst_port = dp;
            let (Some(seq), Some(ack), Some(&doff), Some(&flags), Some(win)) = (
                be32(b, off + 4),
                be32(b, off + 8),
                b.get(off + 12),
                b.get(off + 13),
                be16(b, off + 14),
            ) else {
                return partial(d, l4, Layer::Tcp, off, IssueKind::Truncated);
            };
            let hlen = usize::from(doff >> 4) * 4;
            if hlen < 20 {
                return partial(d, l4, Layer::Tcp, off, IssueKind::Malformed);
            }
            l4.seq = seq;
            l4.ack = ack;
            l4.tcp_flags = flags;
            l4.window = win;
            l4.payload_len = len.saturating_sub(hlen as u32);
            d.pkt.payload = b.get(off + hlen..end).unwrap_or(&[]);
            d.pkt.l4 = Some(l4);
            if b.len() < off + hlen {
                d.issue(Layer::Tcp, off, IssueKind::Truncated);
            }
        }
        ipproto::UDP => {
            let (Some(sp), Some(dp)) = (be16(b, off), be16(b, off + 2)) else {
                return d.issue(Layer::Udp, off, IssueKind::Truncated);
            };
            l4.src_port = sp;
            l4.dst_port = dp;
            let Some(ulen) = be16(b, off + 4) else {
                l4.payload_len = len.saturating_sub(8);
                return partial(d, l4, Layer::Udp, off, IssueKind::Truncated);
            };
            let ulen = u32::from(ulen);
            l4.payload_len = if ulen >= 8 {
                ulen - 8
            } else {
                len.saturating_sub(8)
            };
            let pend = (off + 8 + l4.payload_len as usize).min(end);
            d.pkt.payload = b.get(off + 8..pend).unwrap_or(&[]);
            d.pkt.l4 = Some(l4);
            udp_tunnel(d, sp, dp, off + 8);
        }
        ipproto::ICMP | ipproto::ICMPV6 => {
            let (Some(&t), Some(&c)) = (b.get(off), b.get(off + 1)) else {
                return d.issue(Layer::Icmp, off, IssueKind::Truncated);
            };
            l4.icmp_type = t;
            l4.icmp_code = c;
            l4.payload_len = len.saturating_sub(4);
            d.pkt.payload = b.get(off + 4..end).unwrap_or(&[]);
            d.pkt.l4 = Some(l4);
        }
        ipproto::SCTP => {
            let (Some(sp), Some(dp)) = (be16(b, off), be16(b, off + 2)) else {
                return d.issue(Layer::Sctp, off, IssueKind::Truncated);
            };
            l4.src_port = sp;
            l4.dst_port = dp;
            l4.payload_len = len.saturating_sub(12);
            d.pkt.payload = b.get(off + 12..end).unwrap_or(&[]);
            d.pkt.l4 = Some(l4);
        }
        ipproto::GRE => gre(d, off),
        ipproto::IPIP => d.tunnel(TunnelKind::IpInIp, None, off, ip::ipv4),
        ipproto::IPV6 => d.tunnel(TunnelKind::IpInIp, None, off, ip::ipv6),
        _ => {}
    }
}

/// A transport header of which only the ports are known.
fn partial(d: &mut Decoder<'_>, mut l4: L4, layer: Layer, off: usize, kind: IssueKind) {
    l4.partial = true;
    d.pkt.l4 = Some(l4);
    d.issue(layer, off, kind);
}

/// VXLAN, Geneve and Teredo inside UDP.
fn udp_tunnel(d: &mut Decoder<'_>, sp: u16, dp: u16, off: usize) {
    let b = d.data;
    let port = |p| sp == p || dp == p;
    if port(VXLAN_PORT) {
        // flags (I bit 0x08), 3 reserved, VNI (24 bit), reserved.
        if b.get(off).is_some_and(|f| f & 0x08 != 0) && b.len() >= off + 8 {
            let vni = be32(b, off + 4).map(|v| v >> 8);
            d.tunnel(TunnelKind::Vxlan, vni, off + 8, link::ethernet);
        }
    } else if port(GENEVE_PORT) {
        let (Some(&v0), Some(proto), Some(vni)) = (b.get(off), be16(b, off + 2), be32(b, off + 4))
        else {
            return;
        };
        if v0 >> 6 != 0 {
            return;
        }
        let inner = off + 8 + usize::from(v0 & 0x3F) * 4;
        let f: fn(&mut Decoder<'_>, usize) = match proto {
            ethertype::TEB => link::ethernet,
            ethertype::IPV4 => ip::ipv4,
            ethertype::IPV6 => ip::ipv6,
            _ => return,
        };
        d.tunnel(TunnelKind::Geneve, Some(vni >> 8), inner, f);
    } else if port(TEREDO_PORT) {
        let mut at = off;
        // Optional authentication (0x0001) and origin indication (0x0000)
        // headers precede the IPv6 packet.
        if be16(b, at) == Some(0x0001) {
            let (Some(&idl), Some(&aul)) = (b.get(at + 2), b.get(at + 3)) else {
                return;
            };
            at += 4 + usize::from(idl) + usize::from(aul) + 9;
        }
        if be16(b, at) == Some(0x0000) {
            at += 8;
        }
        // Only a plausible IPv6 header: version 6 and a payload length that
        // fits the datagram.
        let plausible = b.get(at).is_some_and(|v| v >> 4 == 6)
            && be16(b, at + 4).is_some_and(|pl| {
                let udp_payload = d.pkt.l4.map_or(0, |l| l.payload_len as usize);
                usize::from(pl) + 40 + (at - off) <= udp_payload
            });
        if plausible {
            d.tunnel(TunnelKind::Teredo, None, at, ip::ipv6);
        }
    }
}

/// GRE (RFC 2784/2890 and PPTP's enhanced GRE).
fn gre(d: &mut Decoder<'_>, off: usize) {
    let b = d.data;
    let (Some(flags), Some(proto)) = (be16(b, off), be16(b, off + 2)) else {
        return d.issue(Layer::Tunnel, off, IssueKind::Truncated);
    };
    let version = flags & 0x7;
    let mut at = off + 4;
    let mut key = None;
    if flags & 0x8000 != 0 {
        at += 4; // checksum + reserved
    }
    if flags & 0x2000 != 0 {
        key = be32(b, at);
        at += 4;
    }
    if flags & 0x1000 != 0 {
        at += 4; // sequence
    }
    if version == 1 && flags & 0x0080 != 0 {
        at += 4; // acknowledgement (PPTP)
    }
    if b.len() < at {
        return d.issue(Layer::Tunnel, off, IssueKind::Truncated);
    }
    d.pkt.l4 = Some(L4 {
        proto: ipproto::GRE,
        ..L4::default()
    });
    match proto {
        ethertype::TEB => d.tunnel(TunnelKind::Gre, key, at, link::ethernet),
        ethertype::ERSPAN2 => d.tunnel(TunnelKind::Gre, key, at, |d, at| link::ethernet(d, at + 8)),
        ethertype::PPP => d.tunnel(TunnelKind::Gre, key, at, ppp),
        t => d.tunnel(TunnelKind::Gre, key, at, |d, at| {
            link::ether_payload(d, t, at)
        }),
    }
}

/// PPP inside GRE: optional address/control (ff 03), then a 1- or 2-byte
/// protocol field.
fn ppp(d: &mut Decoder<'_>, mut at: usize) {
    let b = d.data;
    if b.get(at..at + 2) == Some(&[0xFF, 0x03]) {
        at += 2;
    }
    let Some(&p0) = b.get(at) else { return };
    if p0 & 1 == 1 {
        link::ppp_payload(d, u16::from(p0), at + 1);
    } else if let Some(p) = be16(b, at) {
        link::ppp_payload(d, p, at + 2);
    }
}
