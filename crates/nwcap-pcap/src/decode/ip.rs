//! IPv4 and IPv6 headers, IPv6 extension headers, fragments.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::numbers::ext;
use super::{Decoder, Step, Transport};
use crate::bytes::{be16, be32};
use crate::packet::{Fragment, IpInfo, IssueKind, Layer};

/// IPv4 header fields.
mod v4f {
    pub const VER_IHL: usize = 0;
    pub const TOTAL_LEN: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLAGS_FRAG: usize = 6;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const SRC: usize = 12;
    pub const DST: usize = 16;
    pub const MIN_HEADER_LEN: usize = 20;
    pub const FRAG_OFFSET_MASK: u16 = 0x1FFF;
    pub const MORE_FRAGMENTS: u16 = 0x2000;
}

/// IPv6 header fields.
mod v6f {
    pub const PAYLOAD_LEN: usize = 4;
    pub const NEXT_HEADER: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC: usize = 8;
    pub const DST: usize = 24;
    pub const HEADER_LEN: usize = 40;
}

/// IPv6 extension header fields (next header, length, then the body).
mod extf {
    pub const NEXT_HEADER: usize = 0;
    pub const LEN: usize = 1;
    /// Fragment header: offset (13 bits) and M flag, then identification.
    pub const FRAG_OFFSET: usize = 2;
    pub const FRAG_IDENT: usize = 4;
    pub const FRAG_HEADER_LEN: usize = 8;
    /// Authentication header: next header, length, reserved, SPI and
    /// sequence number before the ICV.
    pub const AH_MIN_LEN: usize = 12;
    pub const FRAG_OFFSET_MASK: u16 = 0xFFF8;
    pub const MORE_FRAGMENTS: u16 = 1;
    /// Options of a hop-by-hop header start after next header and length.
    pub const OPTIONS: usize = 2;
    /// Jumbo payload option (RFC 2675): type and data length.
    pub const JUMBO: u8 = 0xC2;
    pub const JUMBO_LEN: usize = 4;
    pub const PAD1: u8 = 0;
}

/// IP by its version nibble (raw IP link types).
#[inline]
pub(crate) fn by_version(d: &mut Decoder<'_, '_>, off: usize) -> Step {
    match d.data.get(off).map(|b| b >> 4) {
        Some(4) => Step::Ipv4(off),
        Some(6) => Step::Ipv6(off),
        Some(_) => d.stop(Layer::Ipv4, off, IssueKind::Malformed),
        None => d.stop(Layer::Ipv4, off, IssueKind::Truncated),
    }
}

fn v4(b: &[u8], at: usize) -> Option<IpAddr> {
    let a: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(IpAddr::V4(Ipv4Addr::from(a)))
}

fn v6(b: &[u8], at: usize) -> Option<IpAddr> {
    let a: [u8; 16] = b.get(at..at + 16)?.try_into().ok()?;
    Some(IpAddr::V6(Ipv6Addr::from(a)))
}

/// An IPv4 header at `off`.
#[inline]
pub(crate) fn ipv4(d: &mut Decoder<'_, '_>, off: usize) -> Step {
    let b = d.data;
    let Some(&vihl) = b.get(off + v4f::VER_IHL) else {
        return d.stop(Layer::Ipv4, off, IssueKind::Truncated);
    };
    let ihl = usize::from(vihl & 0x0F) * 4;
    if vihl >> 4 != 4 || ihl < v4f::MIN_HEADER_LEN {
        return d.stop(Layer::Ipv4, off, IssueKind::Malformed);
    }
    let (Some(total), Some(id), Some(frag), Some(src), Some(dst)) = (
        be16(b, off + v4f::TOTAL_LEN),
        be16(b, off + v4f::IDENT),
        be16(b, off + v4f::FLAGS_FRAG),
        v4(b, off + v4f::SRC),
        v4(b, off + v4f::DST),
    ) else {
        return d.stop(Layer::Ipv4, off, IssueKind::Truncated);
    };
    let ttl = b.get(off + v4f::TTL).copied().unwrap_or(0);
    let proto = b.get(off + v4f::PROTOCOL).copied().unwrap_or(0);
    let total = usize::from(total);
    // A total length of 0 is written by TCP segmentation offload: the
    // datagram runs to the end of the frame.
    let claimed = if total == 0 {
        b.len().saturating_sub(off)
    } else {
        total
    };
    if claimed < ihl {
        return d.stop(Layer::Ipv4, off, IssueKind::Malformed);
    }
    let frag_off = u32::from(frag & v4f::FRAG_OFFSET_MASK) * 8;
    let more = frag & v4f::MORE_FRAGMENTS != 0;
    d.pkt.ip = Some(IpInfo {
        src,
        dst,
        proto,
        total_len: claimed as u32,
        ttl,
        fragment: (frag_off != 0 || more).then_some(Fragment {
            offset: frag_off,
            more,
            id: u32::from(id),
        }),
    });
    // A header cut inside its options is reported, fragment or not.
    if b.len() < off + ihl {
        return d.stop(Layer::Ipv4, off, IssueKind::Truncated);
    }
    if frag_off != 0 {
        return Step::Done;
    }
    Step::Transport(Transport {
        proto,
        at: off + ihl,
        end: (off + claimed).min(b.len()),
        len: (claimed - ihl) as u32,
    })
}

/// Extension headers that chain with (next header, length) fields.
fn is_extension(nh: u8) -> bool {
    matches!(
        nh,
        ext::HOP_BY_HOP
            | ext::ROUTING
            | ext::FRAGMENT
            | ext::AUTH
            | ext::DEST_OPTS
            | ext::MOBILITY
            | ext::HIP
            | ext::SHIM6
    )
}

/// An IPv6 header at `off`, then its extension headers.
#[inline]
pub(crate) fn ipv6(d: &mut Decoder<'_, '_>, off: usize) -> Step {
    let b = d.data;
    match b.get(off) {
        None => return d.stop(Layer::Ipv6, off, IssueKind::Truncated),
        Some(v) if v >> 4 != 6 => return d.stop(Layer::Ipv6, off, IssueKind::Malformed),
        Some(_) => {}
    }
    let (Some(plen), Some(&nh0), Some(&hlim), Some(src), Some(dst)) = (
        be16(b, off + v6f::PAYLOAD_LEN),
        b.get(off + v6f::NEXT_HEADER),
        b.get(off + v6f::HOP_LIMIT),
        v6(b, off + v6f::SRC),
        v6(b, off + v6f::DST),
    ) else {
        return d.stop(Layer::Ipv6, off, IssueKind::Truncated);
    };
    let mut payload_len = u32::from(plen);
    let mut nh = nh0;
    let mut at = off + v6f::HEADER_LEN;
    let mut fragment: Option<Fragment> = None;
    // An extension header that does not fit: cut by the snap length, or
    // running past the payload length the header states (0: a jumbogram
    // or large-send offload, up to the frame's end). As Zeek's header
    // chain, it is not stepped over: the protocol is its type.
    let stated_end = if plen == 0 {
        usize::MAX
    } else {
        at + usize::from(plen)
    };
    let mut cut = None;
    while is_extension(nh) {
        // After a non-first fragment's header come data, not headers.
        if fragment.is_some_and(|f| f.offset != 0) || !d.enter(Layer::Ipv6, at) {
            break;
        }
        let (Some(&next), Some(&hlen)) = (b.get(at + extf::NEXT_HEADER), b.get(at + extf::LEN))
        else {
            cut = Some(IssueKind::Truncated);
            break;
        };
        let len = match nh {
            ext::FRAGMENT => extf::FRAG_HEADER_LEN,
            ext::AUTH => (usize::from(hlen) + 2) * 4,
            _ => (usize::from(hlen) + 1) * 8,
        };
        // An AH shorter than its fixed fields (RFC 4302: 12 bytes) is as
        // malformed as one running past the datagram.
        if at + len > stated_end || (nh == ext::AUTH && len < extf::AH_MIN_LEN) {
            cut = Some(IssueKind::Malformed);
            break;
        }
        if at + len > b.len() {
            cut = Some(IssueKind::Truncated);
            break;
        }
        if nh == ext::HOP_BY_HOP
            && plen == 0
            && let Some(j) = jumbo(b, at + extf::OPTIONS, at + len)
        {
            payload_len = j;
        }
        if nh == ext::FRAGMENT {
            let (Some(fo), Some(id)) = (
                be16(b, at + extf::FRAG_OFFSET),
                be32(b, at + extf::FRAG_IDENT),
            ) else {
                cut = Some(IssueKind::Truncated);
                break;
            };
            fragment = Some(Fragment {
                offset: u32::from(fo & extf::FRAG_OFFSET_MASK),
                more: fo & extf::MORE_FRAGMENTS != 0,
                id,
            });
        }
        nh = next;
        at += len;
    }
    d.pkt.ip = Some(IpInfo {
        src,
        dst,
        proto: nh,
        total_len: payload_len.saturating_add(v6f::HEADER_LEN as u32),
        ttl: hlim,
        fragment,
    });
    if let Some(kind) = cut {
        return d.stop(Layer::Ipv6, at.min(b.len()), kind);
    }
    if fragment.is_some_and(|f| f.offset != 0) {
        return Step::Done;
    }
    let datagram_end = off + v6f::HEADER_LEN + payload_len as usize;
    Step::Transport(Transport {
        proto: nh,
        at,
        end: datagram_end.min(b.len()).max(at),
        len: datagram_end.saturating_sub(at) as u32,
    })
}

/// Find the jumbo payload option in the TLVs of `b[from..to]`.
fn jumbo(b: &[u8], mut at: usize, to: usize) -> Option<u32> {
    while at < to {
        let t = *b.get(at)?;
        if t == extf::PAD1 {
            at += 1;
            continue;
        }
        let l = usize::from(*b.get(at + 1)?);
        if t == extf::JUMBO && l == extf::JUMBO_LEN {
            return be32(b, at + 2);
        }
        at += 2 + l;
    }
    None
}
