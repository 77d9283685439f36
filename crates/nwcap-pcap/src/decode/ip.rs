//! IPv4 and IPv6 headers, IPv6 extension headers, fragments.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Decoder, transport};
use crate::bytes::{be16, be32};
use crate::packet::{Fragment, IpInfo, IssueKind, Layer};

/// IP by its version nibble (raw IP link types).
pub(crate) fn by_version(d: &mut Decoder<'_>, off: usize) {
    match d.data.get(off).map(|b| b >> 4) {
        Some(4) => ipv4(d, off),
        Some(6) => ipv6(d, off),
        Some(_) => d.issue(Layer::Ipv4, off, IssueKind::Malformed),
        None => d.issue(Layer::Ipv4, off, IssueKind::Truncated),
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
pub(crate) fn ipv4(d: &mut Decoder<'_>, off: usize) {
    let b = d.data;
    let Some(&vihl) = b.get(off) else {
        d.issue(Layer::Ipv4, off, IssueKind::Truncated);
        return;
    };
    let ihl = usize::from(vihl & 0x0F) * 4;
    if vihl >> 4 != 4 || ihl < 20 {
        d.issue(Layer::Ipv4, off, IssueKind::Malformed);
        return;
    }
    let (Some(total), Some(id), Some(frag), Some(src), Some(dst)) = (
        be16(b, off + 2),
        be16(b, off + 4),
        be16(b, off + 6),
        v4(b, off + 12),
        v4(b, off + 16),
    ) else {
        d.issue(Layer::Ipv4, off, IssueKind::Truncated);
        return;
    };
    let ttl = b.get(off + 8).copied().unwrap_or(0);
    let proto = b.get(off + 9).copied().unwrap_or(0);
    let total = usize::from(total);
    // A total length of 0 is written by TCP segmentation offload: the
    // datagram runs to the end of the frame.
    let claimed = if total == 0 {
        b.len().saturating_sub(off)
    } else {
        total
    };
    if claimed < ihl {
        d.issue(Layer::Ipv4, off, IssueKind::Malformed);
        return;
    }
    let frag_off = u32::from(frag & 0x1FFF) * 8;
    let more = frag & 0x2000 != 0;
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
    if frag_off != 0 {
        return;
    }
    if b.len() < off + ihl {
        d.issue(Layer::Ipv4, off, IssueKind::Truncated);
        return;
    }
    let end = (off + claimed).min(b.len());
    transport::dispatch(d, proto, off + ihl, end, (claimed - ihl) as u32);
}

/// Extension headers that chain with (next header, length) fields.
fn is_extension(nh: u8) -> bool {
    matches!(nh, 0 | 43 | 44 | 51 | 60 | 135 | 139 | 140)
}

/// An IPv6 header at `off`, then its extension headers.
pub(crate) fn ipv6(d: &mut Decoder<'_>, off: usize) {
    let b = d.data;
    match b.get(off) {
        None => {
            d.issue(Layer::Ipv6, off, IssueKind::Truncated);
            return;
        }
        Some(v) if v >> 4 != 6 => {
            d.issue(Layer::Ipv6, off, IssueKind::Malformed);
            return;
        }
        Some(_) => {}
    }
    let (Some(plen), Some(&nh0), Some(&hlim), Some(src), Some(dst)) = (
        be16(b, off + 4),
        b.get(off + 6),
        b.get(off + 7),
        v6(b, off + 8),
        v6(b, off + 24),
    ) else {
        d.issue(Layer::Ipv6, off, IssueKind::Truncated);
        return;
    };
    let mut payload_len = u32::from(plen);
    let mut nh = nh0;
    let mut at = off + 40;
    let mut fragment = None;
    let mut cut = false;
    while is_extension(nh) {
        if !d.enter(Layer::Ipv6, at) {
            break;
        }
        let (Some(&next), Some(&hlen)) = (b.get(at), b.get(at + 1)) else {
            cut = true;
            break;
        };
        let len = match nh {
            44 => 8,
            51 => (usize::from(hlen) + 2) * 4,
            _ => (usize::from(hlen) + 1) * 8,
        };
        if nh == 0 && plen == 0 {
            // Jumbo payload option (RFC 2675) in the hop-by-hop header.
            if let Some(j) = jumbo(b, at + 2, at + len) {
                payload_len = j;
            }
        }
        if nh == 44 {
            let (Some(fo), Some(id)) = (be16(b, at + 2), be32(b, at + 4)) else {
                cut = true;
                break;
            };
            fragment = Some(Fragment {
                offset: u32::from(fo & 0xFFF8),
                more: fo & 1 != 0,
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
        total_len: payload_len.saturating_add(40),
        ttl: hlim,
        fragment,
    });
    if cut || b.len() < at {
        d.issue(Layer::Ipv6, at.min(b.len()), IssueKind::Truncated);
        return;
    }
    if fragment.is_some_and(|f| f.offset != 0) {
        return;
    }
    let end = (off + 40 + payload_len as usize).min(b.len());
    let l4_len = (off + 40 + payload_len as usize).saturating_sub(at) as u32;
    transport::dispatch(d, nh, at, end.max(at), l4_len);
}

/// Find the jumbo payload option (type 0xC2) in the TLVs of `b[from..to]`.
fn jumbo(b: &[u8], mut at: usize, to: usize) -> Option<u32> {
    while at < to {
        let t = *b.get(at)?;
        if t == 0 {
            at += 1;
            continue;
        }
        let l = usize::from(*b.get(at + 1)?);
        if t == 0xC2 && l == 4 {
            return be32(b, at + 2);
        }
        at += 2 + l;
    }
    None
}
