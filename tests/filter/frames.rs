//! A tiny builder for Ethernet/VLAN/IPv4/TCP/UDP/VXLAN frames and the
//! pcap/pcapng files that hold them: every edge case spelled out in bytes.

use std::net::Ipv4Addr;

pub fn eth(vlan: Option<u16>, ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    if let Some(v) = vlan {
        f.extend_from_slice(&0x8100u16.to_be_bytes());
        f.extend_from_slice(&v.to_be_bytes());
    }
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

pub fn ipv4(src: &str, dst: &str, proto: u8, payload: &[u8]) -> Vec<u8> {
    let src: Ipv4Addr = src.parse().expect("v4");
    let dst: Ipv4Addr = dst.parse().expect("v4");
    let total = (20 + payload.len()) as u16;
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0]);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(payload);
    p
}

pub fn udp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sp.to_be_bytes());
    u.extend_from_slice(&dp.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

pub fn tcp(sp: u16, dp: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&sp.to_be_bytes());
    t.extend_from_slice(&dp.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

/// Ethernet/IPv4/UDP/4789/VXLAN around an inner Ethernet frame.
pub fn vxlan(outer_src: &str, outer_dst: &str, inner: &[u8]) -> Vec<u8> {
    let mut v = vec![0x08, 0, 0, 0, 0, 0, 0x2a, 0];
    v.extend_from_slice(inner);
    eth(
        None,
        0x0800,
        &ipv4(outer_src, outer_dst, 17, &udp(40000, 4789, &v)),
    )
}

/// TCP over Ethernet(/VLAN)/IPv4.
pub fn tcp4(vlan: Option<u16>, src: &str, sp: u16, dst: &str, dp: u16, flags: u8) -> Vec<u8> {
    eth(
        vlan,
        0x0800,
        &ipv4(src, dst, 6, &tcp(sp, dp, flags, b"data")),
    )
}

/// UDP over Ethernet(/VLAN)/IPv4.
pub fn udp4(vlan: Option<u16>, src: &str, sp: u16, dst: &str, dp: u16) -> Vec<u8> {
    eth(vlan, 0x0800, &ipv4(src, dst, 17, &udp(sp, dp, b"query")))
}

/// ARP-ish non-IP frame.
pub fn arp() -> Vec<u8> {
    eth(None, 0x0806, &[0; 28])
}

/// Classic pcap, big-endian, microseconds, Ethernet; records at `ts` ns.
pub fn pcap_be(records: &[(i64, Vec<u8>)]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0xa1b2_c3d4u32.to_be_bytes());
    b.extend_from_slice(&[0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&65535u32.to_be_bytes());
    b.extend_from_slice(&1u32.to_be_bytes());
    for (ts, f) in records {
        b.extend_from_slice(&((ts / 1_000_000_000) as u32).to_be_bytes());
        b.extend_from_slice(&((ts % 1_000_000_000 / 1000) as u32).to_be_bytes());
        b.extend_from_slice(&(f.len() as u32).to_be_bytes());
        b.extend_from_slice(&(f.len() as u32 + 4).to_be_bytes());
        b.extend_from_slice(f);
    }
    b
}

/// pcapng, little-endian, one Ethernet interface with ns resolution.
pub fn pcapng(records: &[(i64, Vec<u8>)]) -> Vec<u8> {
    fn block(b: &mut Vec<u8>, kind: u32, body: &[u8]) {
        let len = (12 + body.len()) as u32;
        b.extend_from_slice(&kind.to_le_bytes());
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(body);
        b.extend_from_slice(&len.to_le_bytes());
    }
    let mut b = Vec::new();
    let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&[0xff; 8]);
    block(&mut b, 0x0A0D_0D0A, &shb);
    let mut idb = vec![1, 0, 0, 0, 0, 0, 1, 0];
    idb.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
    block(&mut b, 1, &idb);
    for (ts, f) in records {
        let ticks = *ts as u64;
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((ticks >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ticks as u32).to_le_bytes());
        epb.extend_from_slice(&(f.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(f.len() as u32).to_le_bytes());
        epb.extend_from_slice(f);
        while !epb.len().is_multiple_of(4) {
            epb.push(0);
        }
        block(&mut b, 6, &epb);
    }
    b
}
