// Part of the `oracle` checks (included by `oracle.rs`, so plain comments
// only): the decoder against etherparse, down to the IP header.

/// The IP header as etherparse sees it.
struct TheirIp {
    src: IpAddr,
    dst: IpAddr,
    /// Protocol after the extension headers etherparse steps over.
    proto: u8,
    /// Total length from the header (IPv6: 40 + payload length).
    total_len: u32,
    ttl: u8,
    /// IPv4 header fields: identification, offset in bytes, more.
    v4_frag: Option<(u16, u32, bool)>,
    fragmented: bool,
    /// The IP payload is sized by the header (not by the frame).
    len_from_header: bool,
    /// The IP header's first byte, offset into the frame.
    start: usize,
    /// IPv4 protocol field (before AH), IPv6 next header field.
    header_proto: u8,
}

fn their_ip(frame: &[u8], net: &LaxNetSlice<'_>) -> Option<TheirIp> {
    let at = |s: &[u8]| (s.as_ptr() as usize).wrapping_sub(frame.as_ptr() as usize);
    match net {
        LaxNetSlice::Ipv4(v4) => {
            let h = v4.header();
            let p = v4.payload();
            Some(TheirIp {
                src: IpAddr::V4(h.source_addr()),
                dst: IpAddr::V4(h.destination_addr()),
                proto: p.ip_number.0,
                total_len: u32::from(h.total_len()),
                ttl: h.ttl(),
                v4_frag: Some((
                    h.identification(),
                    u32::from(h.fragments_offset().value()) * 8,
                    h.more_fragments(),
                )),
                fragmented: p.fragmented,
                len_from_header: p.len_source != etherparse::LenSource::Slice,
                start: at(h.slice()),
                header_proto: h.protocol().0,
            })
        }
        LaxNetSlice::Ipv6(v6) => {
            let h = v6.header();
            let p = v6.payload();
            Some(TheirIp {
                src: IpAddr::V6(h.source_addr()),
                dst: IpAddr::V6(h.destination_addr()),
                proto: p.ip_number.0,
                total_len: 40 + u32::from(h.payload_length()),
                ttl: h.hop_limit(),
                v4_frag: None,
                fragmented: p.fragmented,
                len_from_header: p.len_source != etherparse::LenSource::Slice,
                start: at(h.slice()),
                header_proto: h.next_header().0,
            })
        }
        LaxNetSlice::Arp(_) => None,
    }
}

/// etherparse's slicing of a frame of link type `lt`, when it has one.
fn slice(lt: LinkType, frame: &[u8]) -> Option<Option<LaxSlicedPacket<'_>>> {
    Some(match lt {
        LinkType::ETHERNET => LaxSlicedPacket::from_ethernet(frame).ok(),
        LinkType::RAW
        | LinkType::RAW_BSD12
        | LinkType::RAW_BSD14
        | LinkType::IPV4
        | LinkType::IPV6 => LaxSlicedPacket::from_ip(frame).ok(),
        LinkType::LINUX_SLL => match etherparse::LinuxSllSlice::from_slice(frame) {
            Ok(sll) => match sll.payload().protocol_type {
                etherparse::LinuxSllProtocolType::EtherType(t) => {
                    Some(LaxSlicedPacket::from_ether_type(t, sll.payload().payload))
                }
                _ => None,
            },
            Err(_) => None,
        },
        _ => return None,
    })
}

/// The ethertype etherparse stopped at when it found no network layer.
fn last_ethertype(e: &LaxSlicedPacket<'_>) -> Option<u16> {
    if let Some(LaxLinkExtSlice::Vlan(v)) = e.link_exts.last() {
        return Some(v.ether_type().0);
    }
    match &e.link {
        Some(LinkSlice::Ethernet2(eth)) => Some(eth.ether_type().0),
        Some(LinkSlice::EtherPayload(p)) => Some(p.ether_type.0),
        _ => None,
    }
}

fn is_ip_ethertype(t: u16) -> bool {
    t == 0x0800 || t == 0x86DD
}

/// True when an IPv6 header's chain holds a header only nwcap steps over.
fn v6_chain_beyond_etherparse(frame: &[u8], start: usize) -> bool {
    let mut nh = frame.get(start + 6).copied().unwrap_or(0);
    let mut at = start + 40;
    let mut first = true;
    // Every step moves at least 8 bytes on: the frame's end ends the walk.
    loop {
        match nh {
            135 | 139 | 140 => return true,
            0 if !first => return true,
            0 | 43 | 60 | 44 | 51 => {
                let (Some(&next), Some(&len)) = (frame.get(at), frame.get(at + 1)) else {
                    return false;
                };
                at += match nh {
                    44 => 8,
                    51 => (usize::from(len) + 2) * 4,
                    _ => (usize::from(len) + 1) * 8,
                };
                nh = next;
            }
            _ => return false,
        }
        first = false;
    }
}

/// The fragment headers of the IPv6 header at `start`, walking the chain
/// as etherparse does (to the frame's end).
fn v6_fragment_headers(frame: &[u8], start: usize) -> usize {
    let mut nh = frame.get(start + 6).copied().unwrap_or(0);
    let mut at = start + 40;
    let mut n = 0;
    while let (0 | 43 | 44 | 51 | 60, Some(&next), Some(&len)) =
        (nh, frame.get(at), frame.get(at + 1))
    {
        at += match nh {
            44 => {
                n += 1;
                8
            }
            51 => (usize::from(len) + 2) * 4,
            _ => (usize::from(len) + 1) * 8,
        };
        nh = next;
    }
    n
}

/// Compare nwcap's decoding of one frame with etherparse's.
pub fn decode_frame(lt: LinkType, frame: &[u8], t: &mut Tally) {
    t.frames += 1;
    let Some(theirs) = slice(lt, frame) else {
        t.skip(why::LINK_TYPE);
        return;
    };
    let ours = decode::decode(lt, frame);
    let Some(e) = theirs else {
        // etherparse could not read the link header or the first IP
        // header at all: nwcap must not find an IP header either.
        if let Some(ip) = ours.ip {
            if lt == LinkType::LINUX_SLL {
                t.skip(why::ETHERTYPE);
            } else if ours.issue.is_none() && ours.tunnel.is_none() {
                t.differ(format!(
                    "nwcap decodes IP {} -> {}, etherparse no link or IP header",
                    ip.src, ip.dst
                ));
            }
        }
        return;
    };
    compare(lt, frame, &ours, &e, t);
}

fn compare(lt: LinkType, frame: &[u8], ours: &Packet<'_>, e: &LaxSlicedPacket<'_>, t: &mut Tally) {
    // The link extensions: VLAN tags (VLAN ID 0 is a priority tag, no VLAN,
    // in nwcap as in Zeek).
    let mut vlans = Vec::new();
    for x in &e.link_exts {
        match x {
            LaxLinkExtSlice::Vlan(v) => vlans.push(v.vlan_identifier().value()),
            LaxLinkExtSlice::Macsec(_) => {
                t.skip(why::MACSEC);
                return;
            }
        }
    }
    if ours.vlan_depth as usize > vlans.len() && vlans.len() == LaxSlicedPacket::LINK_EXTS_CAP {
        t.skip(why::VLANS);
        return;
    }
    let mut ids = vlans.iter().copied().filter(|&v| v != 0);
    let want = (ids.next(), ids.next());
    if usize::from(ours.vlan_depth) < vlans.len()
        || (usize::from(ours.vlan_depth) == vlans.len() && (ours.vlan, ours.vlan_inner) != want)
    {
        t.differ(format!(
            "VLAN tags {vlans:?}: nwcap depth {} ids {:?}/{:?}",
            ours.vlan_depth, ours.vlan, ours.vlan_inner
        ));
        return;
    }
    let Some(net) = e.net.as_ref() else {
        if matches!(last_ethertype(e), Some(x) if !is_ip_ethertype(x)) {
            // etherparse stops at an ethertype (or a VLAN beyond) it does
            // not follow.
            if ours.ip.is_some() {
                t.skip(why::ETHERTYPE);
            }
            return;
        }
        if let Some(ip) = ours.ip
            && ours.issue.is_none()
        {
            t.differ(format!(
                "nwcap decodes IP {} -> {}, etherparse stopped: {:?}",
                ip.src, ip.dst, e.stop_err
            ));
        }
        return;
    };
    let Some(th) = their_ip(frame, net) else {
        if let Some(ip) = ours.ip {
            t.differ(format!("nwcap decodes IP {}, etherparse ARP", ip.src));
        }
        return;
    };
    let version_ok = match frame.get(th.start).map(|b| b >> 4) {
        Some(4) => !matches!(last_ethertype(e), Some(0x86DD)) && lt != LinkType::IPV6,
        Some(6) => !matches!(last_ethertype(e), Some(0x0800)) && lt != LinkType::IPV4,
        _ => false,
    };
    if !version_ok {
        t.skip(why::VERSION);
        return;
    }
    let is_v4 = th.v4_frag.is_some();
    let ihl = usize::from(frame[th.start] & 0x0F) * 4;
    if is_v4 && th.total_len != 0 && (th.total_len as usize) < ihl {
        t.skip(why::SHORT_TOTAL);
        return;
    }
    let Some(ip) = ours.ip else {
        t.differ(format!(
            "etherparse decodes IP {} -> {}, nwcap none (issue {:?})",
            th.src, th.dst, ours.issue
        ));
        return;
    };
    if let Some(tun) = ours.tunnel {
        // nwcap followed a tunnel: its IP header is the inner one.
        if (tun.outer_src, tun.outer_dst) != (th.src, th.dst) {
            t.differ(format!(
                "tunnel outer {} -> {}, etherparse {} -> {}",
                tun.outer_src, tun.outer_dst, th.src, th.dst
            ));
        }
        t.ip += 1;
        t.skip(why::TUNNEL);
        return;
    }
    t.ip += 1;
    let mut d = Vec::new();
    if (ip.src, ip.dst) != (th.src, th.dst) {
        d.push(format!(
            "addresses {} -> {} vs {} -> {}",
            ip.src, ip.dst, th.src, th.dst
        ));
    }
    if ip.ttl != th.ttl {
        d.push(format!("ttl {} vs {}", ip.ttl, th.ttl));
    }
    let v6_special = !is_v4 && th.total_len == 40 && frame.len() > th.start + 40;
    let v6_ext = !is_v4 && v6_chain_beyond_etherparse(frame, th.start);
    let v6_frags = !is_v4 && v6_fragment_headers(frame, th.start) > 1;
    let too_deep = ours.issue.is_some_and(|i| i.kind == IssueKind::TooDeep);
    if too_deep {
        t.skip(why::TOO_DEEP);
    } else if is_v4 && th.header_proto == AH {
        t.skip(why::V4_AH);
    } else if v6_ext {
        t.skip(why::V6_EXT);
    } else if v6_frags {
        t.skip(why::V6_FRAGMENTS);
    } else if ip.proto != th.proto
        && !is_v4
        && ip.fragment.is_some_and(|f| f.offset != 0)
        && matches!(ip.proto, 0 | 43 | 44 | 51 | 60)
    {
        t.skip(why::V6_AFTER_FRAGMENT);
    } else if ip.proto != th.proto {
        d.push(format!("protocol {} vs {}", ip.proto, th.proto));
    }
    if v6_special {
        t.skip(why::V6_ZERO_LEN);
    } else {
        // IPv4 total length 0 (TCP segmentation offload): to the frame's end.
        let want = if is_v4 && th.total_len == 0 {
            (frame.len() - th.start) as u32
        } else {
            th.total_len
        };
        if ip.total_len != want {
            d.push(format!("total length {} vs {want}", ip.total_len));
        }
    }
    // (A fragment header after a header only nwcap steps over is not
    // etherparse's to see.)
    let ours_fragmented = ip.fragment.is_some_and(|f| f.offset != 0 || f.more);
    if ours_fragmented != th.fragmented && !v6_ext && !v6_frags && !too_deep {
        d.push(format!("fragmented {ours_fragmented} vs {}", th.fragmented));
    }
    if let (Some((id, off, more)), Some(f)) = (th.v4_frag, ip.fragment)
        && (f.id, f.offset, f.more) != (u32::from(id), off, more)
    {
        d.push(format!(
            "fragment id/offset/more {}/{}/{} vs {id}/{off}/{more}",
            f.id, f.offset, f.more
        ));
    }
    if !d.is_empty() {
        t.differ(format!("IP {} -> {}: {}", th.src, th.dst, d.join(", ")));
        return;
    }
    if th.fragmented {
        if ours.l4.is_some() {
            t.skip(why::FRAGMENT);
        }
        return;
    }
    if (is_v4 && th.header_proto == AH) || v6_ext || v6_frags || v6_special || too_deep {
        return;
    }
    transport(frame, ours, e, &th, t);
}
