//! Decoder tests for the link layers and tunnels Zeek decodes: PPP,
//! radiotap, Cisco FabricPath, ERSPAN I/II/III, AYIYA, GTP-U, GRE in UDP,
//! Teredo on any port; the outer UDP header of a tunnel; ICMP's header.

#![allow(clippy::unwrap_used)]

use std::net::IpAddr;

use super::decode;
use super::tests::{A, B, d, eth, ipv4, ipv6, tcp, udp};
use crate::packet::{TunnelKind, ipproto, tcpflags};
use crate::record::LinkType;

const C: [u8; 4] = [192, 168, 0, 1];
const S: [u8; 4] = [192, 168, 0, 2];

fn inner_tcp() -> Vec<u8> {
    ipv4(6, C, S, &tcp(1234, 80, tcpflags::SYN, b"abc"))
}

fn assert_inner(p: &crate::packet::Packet<'_>, kind: TunnelKind) {
    let t = p.tunnel.unwrap_or_else(|| panic!("no tunnel: {p:?}"));
    assert_eq!(t.kind, kind);
    assert_eq!(t.outer_src, IpAddr::from(A));
    assert_eq!(p.ip.unwrap().src, IpAddr::from(C));
    let l4 = p.l4.unwrap();
    assert_eq!((l4.src_port, l4.dst_port, l4.payload_len), (1234, 80, 3));
}

#[test]
fn icmp_payload_follows_the_8_byte_header() {
    // Echo request: type, code, checksum, id, sequence, then 56 bytes.
    let mut icmp = vec![8, 0, 0, 0, 0, 1, 0, 1];
    icmp.extend_from_slice(&[0x61; 56]);
    let p = d(LinkType::RAW, ipv4(1, A, B, &icmp));
    let l4 = p.l4.unwrap();
    assert_eq!((l4.icmp_type, l4.payload_len, p.payload.len()), (8, 56, 56));
    let mut icmp6 = vec![128, 0, 0, 0, 0, 1, 0, 1];
    icmp6.extend_from_slice(&[0x61; 56]);
    let p = d(LinkType::RAW, ipv6(58, &icmp6));
    assert_eq!(p.l4.unwrap().payload_len, 56);
}

#[test]
fn ppp_link_types_with_and_without_hdlc_framing() {
    let ip = inner_tcp();
    for (lt, head) in [
        (9, vec![0x00, 0x21]),
        (9, vec![0xFF, 0x03, 0x00, 0x21]),
        (50, vec![0xFF, 0x03, 0x00, 0x21]),
        (9, vec![0x21]),
    ] {
        let mut f = head;
        f.extend_from_slice(&ip);
        let p = decode(LinkType(lt), &f);
        assert_eq!(p.l4.map(|l| l.dst_port), Some(80), "link type {lt}");
    }
    let mut v6 = vec![0x00, 0x57];
    v6.extend(ipv6(17, &udp(1, 2, b"")));
    assert!(decode(LinkType(9), &v6).ip.is_some());
    // LCP is not IP.
    let p = decode(LinkType(9), &[0xC0, 0x21, 1, 1, 0, 4]);
    assert_eq!(p.non_ip, Some(0xC021));
}

#[test]
fn radiotap_then_802_11_data() {
    // Radiotap: version 0, pad, length 12 (LE), present flags, 4 more bytes.
    let mut f = vec![0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    // 802.11 data frame (type 2, subtype 0), to-DS, 24-byte header.
    f.extend_from_slice(&[0x08, 0x01]);
    f.extend_from_slice(&[0; 22]);
    f.extend_from_slice(&[0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00]);
    f.extend(inner_tcp());
    let p = decode(LinkType(127), &f);
    assert_eq!(p.l4.unwrap().dst_port, 80);
    assert!(decode(LinkType(127), &f[..3]).issue.is_some());
}

#[test]
fn cisco_fabricpath_carries_an_ethernet_frame() {
    // Outer DA, SA, ethertype 0x8903, FTag/TTL; then the inner frame.
    let mut f = vec![0; 12];
    f.extend_from_slice(&[0x89, 0x03, 0x00, 0x3F]);
    f.extend(eth(0x0800, &inner_tcp()));
    let p = decode(LinkType::ETHERNET, &f);
    assert_eq!(p.ip.unwrap().src, IpAddr::from(C));
    assert_eq!(p.l4.unwrap().dst_port, 80);
}

#[test]
fn erspan_types_one_two_and_three() {
    let frame = eth(0x0800, &inner_tcp());
    // Type I: GRE 0x88BE without a sequence number, no ERSPAN header.
    let mut gre1 = vec![0x00, 0x00, 0x88, 0xBE];
    gre1.extend(frame.clone());
    // Type II: sequence number, then an 8-byte header.
    let mut gre2 = vec![0x10, 0x00, 0x88, 0xBE, 0, 0, 0, 7];
    gre2.extend_from_slice(&[0x10, 0, 0, 1, 0, 0, 0, 0]);
    gre2.extend(frame.clone());
    // Type III: GRE 0x22EB, a 12-byte header, with and without the
    // 8-byte platform subheader (O flag, last bit of the header).
    let mut gre3 = vec![0x10, 0x00, 0x22, 0xEB, 0, 0, 0, 7];
    gre3.extend_from_slice(&[0x20, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    gre3.extend(frame.clone());
    let mut gre3o = vec![0x10, 0x00, 0x22, 0xEB, 0, 0, 0, 7];
    gre3o.extend_from_slice(&[0x20, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    gre3o.extend_from_slice(&[0; 8]);
    gre3o.extend(frame);
    for gre in [gre1, gre2, gre3, gre3o] {
        let p = d(LinkType::RAW, ipv4(47, A, B, &gre));
        assert_inner(&p, TunnelKind::Erspan);
        assert!(p.tunnel.unwrap().outer_udp.is_none());
    }
}

#[test]
fn udp_tunnels_keep_their_outer_udp_header() {
    // AYIYA: identity of 2^4 = 16 bytes, a 5 * 4 = 20-byte SHA-1
    // signature, forward (1), next header IPv4.
    let mut ayiya = vec![0x41, 0x52, 0x11, 4, 0, 0, 0, 0];
    ayiya.extend_from_slice(&[0; 16 + 20]);
    ayiya.extend(inner_tcp());
    // GTP-U: version 1, PT, T-PDU, length, TEID; with a sequence number
    // and one extension header (length 1 = 4 bytes, next type 0).
    let mut gtp = vec![0x36, 0xFF, 0, 0, 0, 0, 0, 9, 0, 1, 0, 0x85];
    gtp.extend_from_slice(&[1, 0x10, 0, 0]);
    gtp.extend(inner_tcp());
    // GRE in UDP (RFC 8086): a GRE header carrying IPv4.
    let mut gre = vec![0, 0, 0x08, 0x00];
    gre.extend(inner_tcp());
    for (port, payload, kind) in [
        (5072, ayiya, TunnelKind::Ayiya),
        (2152, gtp, TunnelKind::Gtp),
        (4754, gre, TunnelKind::Gre),
    ] {
        let outer = ipv4(17, A, B, &udp(40000, port, &payload));
        let total = outer.len() as u32;
        let p = d(LinkType::RAW, outer);
        assert_inner(&p, kind);
        let u = p.tunnel.unwrap().outer_udp.unwrap();
        assert_eq!((u.src_port, u.dst_port), (40000, port), "{kind:?}");
        assert_eq!((u.ip_len, u.payload_len as usize), (total, payload.len()));
    }
}

/// IPv6 from Teredo address 2001:0:...:1 to 2001:db8::2.
fn teredo_ipv6(payload: &[u8]) -> Vec<u8> {
    let mut v = ipv6(17, payload);
    v[8..12].copy_from_slice(&[0x20, 0x01, 0x00, 0x00]);
    v
}

#[test]
fn teredo_is_recognised_off_its_port_as_zeek_does() {
    let inner = teredo_ipv6(&udp(5, 6, b"x"));
    let p = d(LinkType::RAW, ipv4(17, A, B, &udp(3797, 32900, &inner)));
    assert_eq!(p.tunnel.unwrap().kind, TunnelKind::Teredo);
    assert_eq!(p.l4.unwrap().dst_port, 6);
    // An IPv6-looking payload without a Teredo address or header is UDP.
    let plain = ipv6(17, &udp(5, 6, b"x"));
    let p = d(LinkType::RAW, ipv4(17, A, B, &udp(3797, 32900, &plain)));
    assert!(p.tunnel.is_none());
    assert_eq!(p.l4.unwrap().dst_port, 32900);
    // On port 3544 any plausible IPv6 packet is Teredo.
    let p = d(LinkType::RAW, ipv4(17, A, B, &udp(3544, 32900, &plain)));
    assert_eq!(p.tunnel.unwrap().kind, TunnelKind::Teredo);
}

#[test]
fn nested_tunnels_count_their_depth() {
    // IPv4 in GRE in GRE.
    let mut inner_gre = vec![0, 0, 0x08, 0x00];
    inner_gre.extend(inner_tcp());
    let mut outer_gre = vec![0, 0, 0x08, 0x00];
    outer_gre.extend(ipv4(47, [1, 1, 1, 1], [2, 2, 2, 2], &inner_gre));
    let p = d(LinkType::RAW, ipv4(47, A, B, &outer_gre));
    let t = p.tunnel.unwrap();
    assert_eq!(
        (t.kind, t.depth, t.outer_src),
        (TunnelKind::Gre, 2, IpAddr::from(A))
    );
    assert_eq!(p.l4.unwrap().proto, ipproto::TCP);
}
