//! Captures the tests write themselves, the builder the test crates share:
//! Ethernet (with an optional VLAN tag), IPv4, TCP, UDP and VXLAN
//! layers, each a function that wraps its payload, and the classic pcap
//! and pcapng files that hold the frames. Every field is spelled out in
//! bytes, so a test reads what it feeds the reader.
//!
//! The capture formats themselves (byte orders, damaged headers, odd
//! versions) are tested in `nwcap-pcap` with hand-written bytes; this is
//! for tests about what nwcap does with ordinary captures.

use std::net::Ipv4Addr;

/// TCP flag FIN.
pub const FIN: u8 = 0x01;
/// TCP flag SYN.
pub const SYN: u8 = 0x02;
/// TCP flag RST.
pub const RST: u8 = 0x04;
/// TCP flag PSH.
pub const PSH: u8 = 0x08;
/// TCP flag ACK.
pub const ACK: u8 = 0x10;

/// EtherType of IPv4.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// EtherType of ARP.
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// IP protocol number of TCP.
pub const TCP: u8 = 6;
/// IP protocol number of UDP.
pub const UDP: u8 = 17;

/// An IPv4 address given as text (`"10.0.0.1"`) or as its four bytes.
pub trait V4 {
    /// The address; panics on text that is not one (test input).
    fn v4(self) -> Ipv4Addr;
}

impl V4 for &str {
    fn v4(self) -> Ipv4Addr {
        match self.parse() {
            Ok(a) => a,
            Err(e) => panic!("{self}: {e}"),
        }
    }
}

impl V4 for [u8; 4] {
    fn v4(self) -> Ipv4Addr {
        Ipv4Addr::from(self)
    }
}

/// An Ethernet frame (destination 02:00:00:00:00:01, source
/// 02:00:00:00:00:02), with an 802.1Q tag when `vlan` is set.
pub fn eth(vlan: Option<u16>, ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(18 + payload.len());
    f.extend_from_slice(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
    if let Some(v) = vlan {
        f.extend_from_slice(&0x8100u16.to_be_bytes());
        f.extend_from_slice(&v.to_be_bytes());
    }
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An IPv4 packet: 20-byte header (identification 1, don't fragment, TTL
/// 64, checksum left zero) and `payload`.
pub fn ipv4(src: impl V4, dst: impl V4, proto: u8, payload: &[u8]) -> Vec<u8> {
    let total = u16::try_from(20 + payload.len()).expect("an IPv4 packet of at most 65,535 bytes");
    let mut p = Vec::with_capacity(20 + payload.len());
    p.extend_from_slice(&[0x45, 0]);
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0]);
    p.extend_from_slice(&src.v4().octets());
    p.extend_from_slice(&dst.v4().octets());
    p.extend_from_slice(payload);
    p
}

/// A UDP datagram (checksum zero: none).
pub fn udp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(8 + payload.len()).expect("a UDP datagram of at most 65,535 bytes");
    let mut u = Vec::with_capacity(8 + payload.len());
    u.extend_from_slice(&sp.to_be_bytes());
    u.extend_from_slice(&dp.to_be_bytes());
    u.extend_from_slice(&len.to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

/// A TCP segment with sequence number 1 and acknowledgement 0.
pub fn tcp(sp: u16, dp: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
    tcp_seq(sp, dp, flags, 1, 0, payload)
}

/// A TCP segment: 20-byte header (window 65,535, checksum zero), the
/// given sequence and acknowledgement numbers, and `payload`.
pub fn tcp_seq(sp: u16, dp: u16, flags: u8, seq: u32, ack: u32, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + payload.len());
    t.extend_from_slice(&sp.to_be_bytes());
    t.extend_from_slice(&dp.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

/// Ethernet/IPv4/UDP/4789/VXLAN (VNI 42) around an inner Ethernet frame.
pub fn vxlan(outer_src: impl V4, outer_dst: impl V4, inner: &[u8]) -> Vec<u8> {
    let mut v = vec![0x08, 0, 0, 0, 0, 0, 0x2a, 0];
    v.extend_from_slice(inner);
    eth(
        None,
        ETHERTYPE_IPV4,
        &ipv4(outer_src, outer_dst, UDP, &udp(40000, 4789, &v)),
    )
}

/// TCP over Ethernet(/VLAN)/IPv4, with the payload `data`.
pub fn tcp4(vlan: Option<u16>, src: impl V4, sp: u16, dst: impl V4, dp: u16, flags: u8) -> Vec<u8> {
    eth(
        vlan,
        ETHERTYPE_IPV4,
        &ipv4(src, dst, TCP, &tcp(sp, dp, flags, b"data")),
    )
}

/// UDP over Ethernet(/VLAN)/IPv4, with the payload `query`.
pub fn udp4(vlan: Option<u16>, src: impl V4, sp: u16, dst: impl V4, dp: u16) -> Vec<u8> {
    eth(
        vlan,
        ETHERTYPE_IPV4,
        &ipv4(src, dst, UDP, &udp(sp, dp, b"query")),
    )
}

/// A non-IP frame: EtherType ARP, 28 zero bytes.
pub fn arp() -> Vec<u8> {
    eth(None, ETHERTYPE_ARP, &[0; 28])
}

/// The file header of a classic pcap: little-endian, microsecond
/// timestamps, version 2.4, snap length 65,535, Ethernet.
pub const PCAP_HEADER: [u8; 24] = [
    0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
];

/// Appends a record of a [`PCAP_HEADER`] file: time `ts_us` in
/// microseconds since 1970, `frame` captured whole.
pub fn push_record(out: &mut Vec<u8>, ts_us: u64, frame: &[u8]) {
    let secs = u32::try_from(ts_us / 1_000_000).unwrap_or(u32::MAX);
    let len = u32::try_from(frame.len()).expect("a frame of less than 4 GiB");
    out.extend_from_slice(&secs.to_le_bytes());
    out.extend_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(frame);
}

/// A classic pcap ([`PCAP_HEADER`]) of `(time in microseconds since 1970,
/// frame)`.
pub fn pcap_us<F: AsRef<[u8]>>(records: impl IntoIterator<Item = (u64, F)>) -> Vec<u8> {
    let mut out = PCAP_HEADER.to_vec();
    for (us, f) in records {
        push_record(&mut out, us, f.as_ref());
    }
    out
}

/// A classic pcap, big-endian, microseconds, Ethernet, of `(time in
/// nanoseconds since 1970, frame)`; each record's original length 4 bytes more than captured (a
/// frame check sequence left out).
pub fn pcap_be(records: &[(i64, Vec<u8>)]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0xa1b2_c3d4u32.to_be_bytes());
    b.extend_from_slice(&[0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&65535u32.to_be_bytes());
    b.extend_from_slice(&1u32.to_be_bytes());
    for (ts, f) in records {
        let len = u32::try_from(f.len()).expect("a frame of less than 4 GiB");
        b.extend_from_slice(&((ts / 1_000_000_000) as u32).to_be_bytes());
        b.extend_from_slice(&((ts % 1_000_000_000 / 1000) as u32).to_be_bytes());
        b.extend_from_slice(&len.to_be_bytes());
        b.extend_from_slice(&len.saturating_add(4).to_be_bytes());
        b.extend_from_slice(f);
    }
    b
}

/// A pcapng, little-endian, one Ethernet interface with nanosecond
/// resolution, of `(time in nanoseconds since 1970, frame)`.
pub fn pcapng(records: &[(i64, Vec<u8>)]) -> Vec<u8> {
    fn block(b: &mut Vec<u8>, kind: u32, body: &[u8]) {
        let len = u32::try_from(12 + body.len()).expect("a block of less than 4 GiB");
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
        let len = u32::try_from(f.len()).expect("a frame of less than 4 GiB");
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((ticks >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ticks as u32).to_le_bytes());
        epb.extend_from_slice(&len.to_le_bytes());
        epb.extend_from_slice(&len.to_le_bytes());
        epb.extend_from_slice(f);
        while !epb.len().is_multiple_of(4) {
            epb.push(0);
        }
        block(&mut b, 6, &epb);
    }
    b
}

/// A classic pcap file (microseconds, snaplen 262144, Ethernet) of
/// `records` records of pseudo-random lengths (40-1539 bytes) drawn from
/// `seed`, one second apart: bytes for tests of record framing, not
/// packets. Their payload bytes look like record headers now and then;
/// with `zero_runs`, about half the payloads are all zeros, which chain as
/// empty record headers, so a reader resynchronising inside them guesses
/// wrong.
pub fn framing_pcap(records: usize, seed: u32, zero_runs: bool) -> Vec<u8> {
    let mut f = vec![
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0,
    ];
    let mut x = seed;
    for i in 0..records {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let len = 40 + (x >> 16) as usize % 1500;
        let secs = 1_700_000_000u32.wrapping_add(u32::try_from(i).unwrap_or(u32::MAX));
        f.extend_from_slice(&secs.to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&(len as u32).to_le_bytes());
        f.extend_from_slice(&(len as u32).to_le_bytes());
        if zero_runs && x & 4 == 0 {
            f.extend(std::iter::repeat_n(0u8, len));
        } else {
            f.extend((0..len).map(|j| (j as u32 ^ x) as u8));
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_nest_with_their_lengths() {
        let f = tcp4(Some(7), "10.0.0.1", 40000, [10, 0, 0, 2], 443, SYN);
        // Ethernet 12 + tag 4 + type 2, IPv4 20, TCP 20, "data".
        assert_eq!(f.len(), 18 + 20 + 20 + 4);
        assert_eq!(&f[12..16], &[0x81, 0, 0, 7]);
        assert_eq!(u16::from_be_bytes([f[20], f[21]]), 44);
        assert_eq!(&f[30..38], &[10, 0, 0, 1, 10, 0, 0, 2]);
        assert_eq!(f[18 + 20 + 13], SYN);
        let u = udp(53, 5353, b"ab");
        assert_eq!(u16::from_be_bytes([u[4], u[5]]), 10);
    }

    #[test]
    fn records_follow_the_header() {
        let p = pcap_us([(1_700_000_000_250_000, arp())]);
        assert_eq!(&p[..24], &PCAP_HEADER);
        assert_eq!(&p[24..28], &1_700_000_000u32.to_le_bytes());
        assert_eq!(&p[28..32], &250_000u32.to_le_bytes());
        assert_eq!(&p[32..36], &42u32.to_le_bytes());
        assert_eq!(p.len(), 24 + 16 + 42);
    }
}
