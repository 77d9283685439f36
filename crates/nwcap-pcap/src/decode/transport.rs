//! Transport headers (TCP, UDP, ICMP, SCTP); IP protocols that carry
//! tunnels hand over to [`super::tunnel`].

use super::{Decoder, Inner, Step, Transport, tunnel};
use crate::bytes::{be16, be32};
use crate::packet::{IssueKind, L4, Layer, TunnelKind, ipproto};

/// TCP header fields.
mod tcpf {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const SEQ: usize = 4;
    pub const ACK: usize = 8;
    /// Data offset (high nibble, in 32-bit words).
    pub const DATA_OFFSET: usize = 12;
    pub const FLAGS: usize = 13;
    pub const WINDOW: usize = 14;
    pub const MIN_HEADER_LEN: usize = 20;
}

/// UDP header fields.
mod udpf {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const LENGTH: usize = 4;
    pub const HEADER_LEN: usize = 8;
}

/// ICMP and ICMPv6 header fields (type, code, checksum, then 4 bytes
/// that depend on the type: identifier and sequence number, pointer,
/// MTU...). The payload follows the 8 bytes, as Zeek and tshark count it.
mod icmpf {
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const HEADER_LEN: usize = 8;
}

/// SCTP common header fields.
mod sctpf {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const HEADER_LEN: usize = 12;
}

/// The transport header `t`.
#[inline]
pub(crate) fn transport(d: &mut Decoder<'_, '_>, t: Transport) -> Step {
    let Transport {
        proto,
        at: off,
        end,
        len,
    } = t;
    let b = d.data;
    let mut l4 = L4 {
        proto,
        ..L4::default()
    };
    match proto {
        ipproto::TCP => {
            let (Some(sp), Some(dp)) =
                (be16(b, off + tcpf::SRC_PORT), be16(b, off + tcpf::DST_PORT))
            else {
                return d.stop(Layer::Tcp, off, IssueKind::Truncated);
            };
            l4.src_port = sp;
            l4.dst_port = dp;
            let (Some(seq), Some(ack), Some(&doff), Some(&flags), Some(win)) = (
                be32(b, off + tcpf::SEQ),
                be32(b, off + tcpf::ACK),
                b.get(off + tcpf::DATA_OFFSET),
                b.get(off + tcpf::FLAGS),
                be16(b, off + tcpf::WINDOW),
            ) else {
                return partial(d, l4, Layer::Tcp, off, IssueKind::Truncated);
            };
            let hlen = usize::from(doff >> 4) * 4;
            if hlen < tcpf::MIN_HEADER_LEN {
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
            Step::Done
        }
        ipproto::UDP => {
            let (Some(sp), Some(dp)) =
                (be16(b, off + udpf::SRC_PORT), be16(b, off + udpf::DST_PORT))
            else {
                return d.stop(Layer::Udp, off, IssueKind::Truncated);
            };
            l4.src_port = sp;
            l4.dst_port = dp;
            let hlen = udpf::HEADER_LEN as u32;
            let Some(ulen) = be16(b, off + udpf::LENGTH) else {
                l4.payload_len = len.saturating_sub(hlen);
                return partial(d, l4, Layer::Udp, off, IssueKind::Truncated);
            };
            let ulen = u32::from(ulen);
            l4.payload_len = if ulen >= hlen {
                ulen - hlen
            } else {
                len.saturating_sub(hlen)
            };
            let start = off + udpf::HEADER_LEN;
            let pend = (start + l4.payload_len as usize).min(end);
            d.pkt.payload = b.get(start..pend).unwrap_or(&[]);
            d.pkt.l4 = Some(l4);
            tunnel::over_udp(d, sp, dp, start)
        }
        ipproto::ICMP | ipproto::ICMPV6 => {
            let (Some(&ty), Some(&code)) = (b.get(off + icmpf::TYPE), b.get(off + icmpf::CODE))
            else {
                return d.stop(Layer::Icmp, off, IssueKind::Truncated);
            };
            l4.icmp_type = ty;
            l4.icmp_code = code;
            l4.payload_len = len.saturating_sub(icmpf::HEADER_LEN as u32);
            d.pkt.payload = b.get(off + icmpf::HEADER_LEN..end).unwrap_or(&[]);
            d.pkt.l4 = Some(l4);
            Step::Done
        }
        ipproto::SCTP => {
            let (Some(sp), Some(dp)) = (
                be16(b, off + sctpf::SRC_PORT),
                be16(b, off + sctpf::DST_PORT),
            ) else {
                return d.stop(Layer::Sctp, off, IssueKind::Truncated);
            };
            l4.src_port = sp;
            l4.dst_port = dp;
            l4.payload_len = len.saturating_sub(sctpf::HEADER_LEN as u32);
            d.pkt.payload = b.get(off + sctpf::HEADER_LEN..end).unwrap_or(&[]);
            d.pkt.l4 = Some(l4);
            Step::Done
        }
        ipproto::GRE => tunnel::gre(d, off, false),
        ipproto::IPIP => Step::Tunnel(TunnelKind::IpInIp, None, Inner::Ipv4, off),
        ipproto::IPV6 => Step::Tunnel(TunnelKind::IpInIp, None, Inner::Ipv6, off),
        _ => Step::Done,
    }
}

/// A transport header of which only the ports are known.
fn partial(d: &mut Decoder<'_, '_>, mut l4: L4, layer: Layer, off: usize, kind: IssueKind) -> Step {
    l4.partial = true;
    d.pkt.l4 = Some(l4);
    d.stop(layer, off, kind)
}
