//! Flow identifiers: Community ID v1 and a short Zeek-like `uid`.
//!
//! Both are computed once per flow when the table is turned into columns,
//! never per packet. The Community ID follows the corelight spec byte for
//! byte (seed, addresses, protocol, padding, ports, SHA-1, base64); the
//! spec's own baseline vectors are the tests.

use std::net::IpAddr;

use sha1::{Digest, Sha1};

use crate::key::{ByteSink, FlowKey, canonical, has_ports, icmp_ports};

/// Community ID v1 of a directional tuple. For ICMP/ICMPv6, `sport` is the
/// ICMP type and `dport` the code, as in the spec's API.
pub fn community_id(
    seed: u16,
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    sport: u16,
    dport: u16,
) -> String {
    let is_icmp =
        proto == nwcap_pcap::packet::ipproto::ICMP || proto == nwcap_pcap::packet::ipproto::ICMPV6;
    let (sport, dport, one_way) = if is_icmp {
        // Types and codes are 8-bit; larger values cannot occur on the wire.
        icmp_ports(proto, sport as u8, dport as u8)
    } else {
        (sport, dport, false)
    };
    let (a, ap, b, bp, _) = canonical(src, sport, dst, dport, one_way);
    hash_tuple(seed, a, b, proto, has_ports(proto).then_some((ap, bp)))
}

/// Community ID v1 of a flow key (already in Community ID order).
pub fn community_id_of_key(seed: u16, key: &FlowKey) -> String {
    hash_tuple(
        seed,
        key.a,
        key.b,
        key.proto,
        has_ports(key.proto).then_some((key.a_port, key.b_port)),
    )
}

fn hash_tuple(seed: u16, a: IpAddr, b: IpAddr, proto: u8, ports: Option<(u16, u16)>) -> String {
    let mut h = Sha1::new();
    h.update(seed.to_be_bytes());
    for addr in [a, b] {
        match addr {
            IpAddr::V4(x) => h.update(x.octets()),
            IpAddr::V6(x) => h.update(x.octets()),
        }
    }
    h.update([proto, 0]);
    if let Some((sp, dp)) = ports {
        h.update(sp.to_be_bytes());
        h.update(dp.to_be_bytes());
    }
    let digest = h.finalize();
    let mut out = String::with_capacity(30);
    out.push_str("1:");
    base64_into(&digest, &mut out);
    out
}

/// Standard base64 with padding.
fn base64_into(data: &[u8], out: &mut String) {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in data.chunks(3) {
        let b0 = u32::from(chunk[0]);
        let b1 = chunk.get(1).copied().map_or(0, u32::from);
        let b2 = chunk.get(2).copied().map_or(0, u32::from);
        let n = (b0 << 16) | (b1 << 8) | b2;
        out.push(char::from(TABLE[(n >> 18) as usize & 63]));
        out.push(char::from(TABLE[(n >> 12) as usize & 63]));
        if chunk.len() > 1 {
            out.push(char::from(TABLE[(n >> 6) as usize & 63]));
        } else {
            out.push('=');
        }
        if chunk.len() > 2 {
            out.push(char::from(TABLE[n as usize & 63]));
        } else {
            out.push('=');
        }
    }
}

struct ShaSink(Sha1);

impl ByteSink for ShaSink {
    fn put(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// 17 base62 digits of the first 96 bits of `bytes` (big-endian).
fn base62_96(bytes: &[u8]) -> [u8; 17] {
    // Three big-endian 32-bit limbs, divided by 62 limb by limb (64-bit
    // divisions by a constant instead of 128-bit ones).
    let mut limbs = [0u32; 3];
    for (limb, b) in limbs.iter_mut().zip(bytes.chunks_exact(4)) {
        *limb = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    }
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut buf = [b'0'; 17];
    for slot in buf.iter_mut().rev() {
        let mut rem: u64 = 0;
        for limb in &mut limbs {
            let cur = rem << 32 | u64::from(*limb);
            *limb = (cur / 62) as u32;
            rem = cur % 62;
        }
        *slot = DIGITS[rem as usize];
    }
    buf
}

/// Short stable flow id: `C` + 17 base62 digits of 96 bits of
/// SHA-1(key, first timestamp, originator side). Same input, same uid,
/// whatever the thread count or chunking.
pub fn uid(key: &FlowKey, first_ts: i64, orig_is_a: bool) -> String {
    let mut sink = ShaSink(Sha1::new());
    key.write_stable(&mut sink);
    sink.put(&first_ts.to_be_bytes());
    sink.put(&[u8::from(orig_is_a)]);
    let digest = sink.0.finalize();
    let buf = base62_96(&digest[..12]);
    let mut out = String::with_capacity(18);
    out.push('C');
    out.extend(buf.iter().map(|&b| char::from(b)));
    out
}

/// A uid for a tunnel that has no connection of its own (GRE, ERSPAN, IP
/// in IP): Zeek names such tunnels in tunnel.log and in `tunnel_parents`.
/// Derived from the tunnel's kind, endpoints and key, so the same on every
/// run.
pub fn tunnel_uid(t: &crate::key::TunnelKey) -> String {
    let mut sink = ShaSink(Sha1::new());
    sink.put(b"tunnel");
    sink.put(&[t.kind as u8]);
    for a in [t.lo, t.hi] {
        match a {
            std::net::IpAddr::V4(a) => sink.put(&a.octets()),
            std::net::IpAddr::V6(a) => sink.put(&a.octets()),
        }
    }
    sink.put(&t.vni.unwrap_or(0).to_be_bytes());
    let digest = sink.0.finalize();
    let buf = base62_96(&digest[..12]);
    let mut out = String::with_capacity(18);
    out.push('C');
    out.extend(buf.iter().map(|&b| char::from(b)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn base62_equals_the_128_bit_reference() {
        let mut x: u64 = 0x1234_5678_9abc_def1;
        for i in 0..2000 {
            let mut bytes = [0u8; 12];
            for b in &mut bytes {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            if i == 0 {
                bytes = [0xff; 12];
            }
            let mut n = bytes.iter().fold(0u128, |n, &b| n << 8 | u128::from(b));
            let digits = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
            let mut want = [b'0'; 17];
            for slot in want.iter_mut().rev() {
                *slot = digits[(n % 62) as usize];
                n /= 62;
            }
            assert_eq!(base62_96(&bytes), want);
        }
    }

    type Vector = (
        u8,
        &'static str,
        &'static str,
        Option<(u16, u16)>,
        &'static str,
    );

    /// corelight/community-id-spec baseline/baseline_deflt.json (seed 0).
    const BASELINE: &[Vector] = &[
        (
            58,
            "fe80::200:86ff:fe05:80da",
            "fe80::260:97ff:fe07:69ea",
            Some((135, 136)),
            "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=",
        ),
        (
            58,
            "fe80::260:97ff:fe07:69ea",
            "fe80::200:86ff:fe05:80da",
            Some((136, 135)),
            "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=",
        ),
        (
            58,
            "fe80::260:97ff:fe07:69ea",
            "fe80::200:86ff:fe05:80da",
            Some((135, 136)),
            "1:zavyT/cezQr1fmImYCwYnMXbgck=",
        ),
        (
            58,
            "fe80::200:86ff:fe05:80da",
            "fe80::260:97ff:fe07:69ea",
            Some((136, 135)),
            "1:zavyT/cezQr1fmImYCwYnMXbgck=",
        ),
        (
            58,
            "3ffe:501:1800:2345::2",
            "3ffe:507:0:1:200:86ff:fe05:80da",
            Some((3, 0)),
            "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=",
        ),
        (
            58,
            "3ffe:501:410:0:2c0:dfff:fe47:33e",
            "3ffe:507:0:1:200:86ff:fe05:80da",
            Some((1, 4)),
            "1:hLZd0XGWojozrvxqE0dWB1iM6R0=",
        ),
        (
            58,
            "3ffe:507:0:1:200:86ff:fe05:80da",
            "3ffe:501:0:1001::2",
            Some((128, 129)),
            "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=",
        ),
        (
            58,
            "3ffe:501:0:1001::2",
            "3ffe:507:0:1:200:86ff:fe05:80da",
            Some((129, 128)),
            "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=",
        ),
        (
            58,
            "fe80::200:86ff:fe05:80da",
            "ff02::2",
            Some((133, 134)),
            "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=",
        ),
        (
            58,
            "fe80::260:97ff:fe07:69ea",
            "ff02::1",
            Some((134, 133)),
            "1:pkvHqCL88/tg1k4cPigmZXUtL00=",
        ),
        (
            1,
            "192.168.0.89",
            "192.168.0.1",
            Some((8, 0)),
            "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=",
        ),
        (
            1,
            "192.168.0.1",
            "192.168.0.89",
            Some((0, 8)),
            "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=",
        ),
        (
            1,
            "10.0.0.1",
            "10.0.0.2",
            Some((11, 0)),
            "1:YHxtAirCG//0OzkcVAukqKQN9xM=",
        ),
        (
            6,
            "2001:470:e5bf:dead:4957:2174:e82c:4887",
            "2607:f8b0:400c:c03::1a",
            Some((63943, 25)),
            "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
        ),
        (
            6,
            "2607:f8b0:400c:c03::1a",
            "2001:470:e5bf:dead:4957:2174:e82c:4887",
            Some((25, 63943)),
            "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
        ),
        (
            132,
            "192.168.170.8",
            "192.168.170.56",
            Some((7, 7)),
            "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=",
        ),
        (
            132,
            "192.168.170.56",
            "192.168.170.8",
            Some((7, 7)),
            "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=",
        ),
        (
            6,
            "128.232.110.120",
            "66.35.250.204",
            Some((34855, 80)),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
        ),
        (
            6,
            "66.35.250.204",
            "128.232.110.120",
            Some((80, 34855)),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
        ),
        (
            17,
            "192.168.1.52",
            "8.8.8.8",
            Some((54585, 53)),
            "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
        ),
        (
            17,
            "8.8.8.8",
            "192.168.1.52",
            Some((53, 54585)),
            "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
        ),
        (
            46,
            "10.1.12.1",
            "10.1.12.2",
            None,
            "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=",
        ),
        (
            46,
            "10.1.12.2",
            "10.1.12.1",
            None,
            "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=",
        ),
    ];

    #[test]
    fn community_id_matches_spec_baseline() {
        for &(proto, s, d, ports, want) in BASELINE {
            let (sp, dp) = ports.unwrap_or((0, 0));
            let got = community_id(0, ip(s), ip(d), proto, sp, dp);
            assert_eq!(got, want, "{proto} {s} {d} {ports:?}");
        }
    }

    #[test]
    fn seed_changes_the_id() {
        let a = community_id(0, ip("1.2.3.4"), ip("5.6.7.8"), 6, 1, 2);
        let b = community_id(1, ip("1.2.3.4"), ip("5.6.7.8"), 6, 1, 2);
        assert_ne!(a, b);
    }

    #[test]
    fn base64_padding() {
        let mut s = String::new();
        base64_into(b"ab", &mut s);
        assert_eq!(s, "YWI=");
        s.clear();
        base64_into(b"a", &mut s);
        assert_eq!(s, "YQ==");
        s.clear();
        base64_into(b"abc", &mut s);
        assert_eq!(s, "YWJj");
    }
}
