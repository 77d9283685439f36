//! Hostile captures, built here byte by byte: lengths that claim gigabytes,
//! pcapng framing that lies, 100 000 interfaces, encapsulation nested 1000
//! deep, empty packets, timestamps out of order or past 2106, a gzip bomb.
//!
//! Each case checks two things: reading ends (no panic, no allocation sized
//! by the hostile field) and the result says what happened in words a user
//! can act on. `every_case_runs_under_a_1_gb_address_space` re-runs this
//! test binary under `ulimit -v` so that "memory stays bounded" is enforced
//! by the kernel, not assumed.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write;

use nwcap_pcap::census::census;
use nwcap_pcap::decode::{self, MAX_LAYERS};
use nwcap_pcap::packet::IssueKind;
use nwcap_pcap::source::Bytes;
use nwcap_pcap::{Capture, LinkType, OpenError, Severity};

const GB: u64 = 1 << 30;

// ---- builders ----------------------------------------------------------

fn pcap_header(linktype: u32, snaplen: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&4u16.to_le_bytes());
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&snaplen.to_le_bytes());
    v.extend_from_slice(&linktype.to_le_bytes());
    v
}

fn pcap_record(v: &mut Vec<u8>, sec: u32, usec: u32, caplen: u32, origlen: u32, data: &[u8]) {
    for x in [sec, usec, caplen, origlen] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.extend_from_slice(data);
}

fn pcap_file(linktype: u32, frames: &[&[u8]]) -> Vec<u8> {
    let mut v = pcap_header(linktype, 65535);
    for (i, f) in frames.iter().enumerate() {
        pcap_record(
            &mut v,
            1_700_000_000 + i as u32,
            0,
            f.len() as u32,
            f.len() as u32,
            f,
        );
    }
    v
}

fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let len = (12 + body.len().div_ceil(4) * 4) as u32;
    let mut v = Vec::new();
    v.extend_from_slice(&kind.to_le_bytes());
    v.extend_from_slice(&len.to_le_bytes());
    v.extend_from_slice(body);
    v.resize(len as usize - 4, 0);
    v.extend_from_slice(&len.to_le_bytes());
    v
}

fn shb() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&(-1i64).to_le_bytes());
    block(0x0A0D_0D0A, &body)
}

/// An interface block, with an `if_tsresol` option when `tsresol` is set.
fn idb(linktype: u16, tsresol: Option<u8>, tsoffset: Option<i64>) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&linktype.to_le_bytes());
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&0u32.to_le_bytes());
    if let Some(r) = tsresol {
        body.extend_from_slice(&9u16.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&[r, 0, 0, 0]);
    }
    if let Some(o) = tsoffset {
        body.extend_from_slice(&14u16.to_le_bytes());
        body.extend_from_slice(&8u16.to_le_bytes());
        body.extend_from_slice(&o.to_le_bytes());
    }
    body.extend_from_slice(&[0; 4]);
    block(1, &body)
}

fn epb(iface: u32, ticks: u64, data: &[u8], origlen: u32) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&iface.to_le_bytes());
    body.extend_from_slice(&((ticks >> 32) as u32).to_le_bytes());
    body.extend_from_slice(&(ticks as u32).to_le_bytes());
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(&origlen.to_le_bytes());
    body.extend_from_slice(data);
    block(6, &body)
}

/// Ethernet + IPv4 + TCP, 54 bytes.
fn tcp_frame() -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&[
        0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ]);
    f.extend_from_slice(&[
        0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff,
    ]);
    f.extend_from_slice(&[0, 0, 0, 0]);
    f
}

fn open(bytes: Vec<u8>) -> Capture {
    Capture::from_bytes_with_limit("hostile", Bytes::Owned(bytes), GB).expect("opens")
}

fn errors(cap: &Capture) -> Vec<String> {
    cap.index()
        .damage
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.to_string())
        .collect()
}

// ---- lengths -----------------------------------------------------------

#[test]
fn pcap_record_claiming_4_gb_stops_with_an_error() {
    let good = tcp_frame();
    let mut v = pcap_file(1, &[&good]);
    pcap_record(&mut v, 1_700_000_010, 0, u32::MAX, u32::MAX, &good);
    // Even a header that allows 4 GB snapshots caps the record length.
    for snaplen in [65535, u32::MAX] {
        v[16..20].copy_from_slice(&snaplen.to_le_bytes());
        let cap = open(v.clone());
        let idx = cap.index();
        assert_eq!(
            idx.stats.packets, 1,
            "the record before the bad one is kept"
        );
        let errs = errors(&cap);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].contains("4294967295 captured bytes") && errs[0].contains("impossible length"),
            "{errs:?}"
        );
        assert!(
            errs[0].contains(&format!("at byte {}", 24 + 16 + good.len())),
            "{errs:?}"
        );
    }
}

#[test]
fn pcap_record_longer_than_the_file_is_a_clear_truncation() {
    let mut v = pcap_header(1, 65535);
    pcap_record(&mut v, 1, 0, 60_000, 60_000, &[0u8; 100]);
    let cap = open(v);
    let idx = cap.index();
    assert_eq!(idx.stats.packets, 0);
    assert!(!idx.has_error());
    assert!(
        idx.damage[0].message.contains("file ends inside a record"),
        "{:?}",
        idx.damage
    );
}

#[test]
fn pcapng_block_length_past_the_end_is_reported() {
    let mut v = shb();
    v.extend(idb(1, None, None));
    v.extend(epb(0, 1, &tcp_frame(), 54));
    let at = v.len();
    let mut bad = epb(0, 2, &tcp_frame(), 54);
    bad[4..8].copy_from_slice(&0xFFFF_FFFCu32.to_le_bytes());
    v.extend(bad);
    let cap = open(v);
    let idx = cap.index();
    assert_eq!(idx.stats.packets, 1);
    let d = idx.damage.last().expect("damage");
    assert_eq!(d.offset, at as u64);
    assert!(d.message.contains("file ends inside a block"), "{d}");
}

#[test]
fn pcapng_block_length_not_a_multiple_of_4_is_an_error() {
    for len in [13u32, 0x1002, 0xFFFF_FFFF, 0, 8] {
        let mut v = shb();
        v.extend(idb(1, None, None));
        let mut bad = epb(0, 2, &tcp_frame(), 54);
        bad[4..8].copy_from_slice(&len.to_le_bytes());
        v.extend(bad);
        let cap = open(v);
        let errs = errors(&cap);
        assert_eq!(errs.len(), 1, "length {len}: {errs:?}");
        assert!(
            errs[0].contains(&format!("impossible length {len}")),
            "{errs:?}"
        );
    }
}

#[test]
fn pcapng_packet_claiming_more_bytes_than_its_block_is_an_error() {
    let mut v = shb();
    v.extend(idb(1, None, None));
    let mut bad = epb(0, 2, &tcp_frame(), 54);
    bad[20..24].copy_from_slice(&u32::MAX.to_le_bytes()); // caplen
    v.extend(bad);
    let errs = errors(&open(v));
    assert!(
        errs.len() == 1 && errs[0].contains("claims 4294967295 captured bytes"),
        "{errs:?}"
    );
}

#[test]
fn pcapng_with_100_000_interfaces() {
    const N: u32 = 100_000;
    let mut v = shb();
    let one = idb(1, None, None);
    v.reserve(one.len() * N as usize + 256);
    for _ in 0..N {
        v.extend_from_slice(&one);
    }
    v.extend(epb(N - 1, 1_700_000_000_000_000, &tcp_frame(), 54));
    v.extend(epb(N, 1_700_000_000_000_001, &tcp_frame(), 54));
    let cap = open(v);
    let idx = cap.index();
    assert_eq!(idx.interfaces.len(), N as usize);
    assert_eq!(idx.stats.packets, 1);
    assert_eq!(idx.stats.per_interface.get(N as usize - 1), Some(&1));
    let errs = errors(&cap);
    assert!(
        errs.len() == 1 && errs[0].contains("names interface 100000, the section has 100000"),
        "{errs:?}"
    );
    assert_eq!(census(&idx).tcp, 1);
}

// ---- nesting -----------------------------------------------------------

fn deep_vlan(n: usize) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x81, 0x00]);
    for i in 0..n {
        let next: u16 = if i + 1 == n { 0x0800 } else { 0x8100 };
        f.extend_from_slice(&((i as u16) & 0x0FFF).to_be_bytes());
        f.extend_from_slice(&next.to_be_bytes());
    }
    f.extend_from_slice(&tcp_frame()[14..]);
    f
}

fn deep_mpls(n: usize) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x88, 0x47]);
    for i in 0..n {
        let bos = if i + 1 == n { 0x100 } else { 0 };
        f.extend_from_slice(&((16u32 << 12) | bos | 64).to_be_bytes());
    }
    f.extend_from_slice(&tcp_frame()[14..]);
    f
}

/// `n` IPv4 headers each carrying the next (protocol 4), then TCP.
fn deep_ipip(n: usize) -> Vec<u8> {
    let inner = &tcp_frame()[14..];
    let mut f = inner.to_vec();
    for _ in 0..n {
        let total = (20 + f.len()).min(65535) as u16;
        let mut h = vec![0x45, 0];
        h.extend_from_slice(&total.to_be_bytes());
        h.extend_from_slice(&[0, 1, 0, 0, 64, 4, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]);
        h.extend(f);
        f = h;
    }
    let mut e = vec![0u8; 12];
    e.extend_from_slice(&[0x08, 0x00]);
    e.extend(f);
    e
}

/// `n` GRE (ethertype IPv4) layers, each in its own IPv4 header.
fn deep_gre(n: usize) -> Vec<u8> {
    let mut f = tcp_frame()[14..].to_vec();
    for _ in 0..n {
        let mut g = vec![0, 0, 0x08, 0x00];
        g.extend(f);
        let total = (20 + g.len()).min(65535) as u16;
        let mut h = vec![0x45, 0];
        h.extend_from_slice(&total.to_be_bytes());
        h.extend_from_slice(&[0, 1, 0, 0, 64, 47, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]);
        h.extend(g);
        f = h;
    }
    let mut e = vec![0u8; 12];
    e.extend_from_slice(&[0x08, 0x00]);
    e.extend(f);
    e
}

#[test]
fn nesting_1000_deep_is_bounded_and_counted_as_malformed() {
    let cases: [(&str, Vec<u8>); 4] = [
        ("vlan", deep_vlan(1000)),
        ("mpls", deep_mpls(1000)),
        ("ip-in-ip", deep_ipip(1000)),
        ("gre", deep_gre(1000)),
    ];
    for (name, frame) in &cases {
        let p = decode::decode(LinkType::ETHERNET, frame);
        let issue = p.issue.unwrap_or_else(|| panic!("{name}: no issue"));
        assert_eq!(issue.kind, IssueKind::TooDeep, "{name}: {issue:?}");
        assert!(
            u32::from(p.vlan_depth) + u32::from(p.mpls_depth) <= u32::from(MAX_LAYERS),
            "{name}"
        );
        assert!(p.tunnel.is_none_or(|t| t.depth <= MAX_LAYERS), "{name}");
    }
    let frames: Vec<&[u8]> = cases.iter().map(|(_, f)| f.as_slice()).collect();
    let cap = open(pcap_file(1, &frames));
    let idx = cap.index();
    assert!(idx.damage.is_empty(), "{:?}", idx.damage);
    let c = census(&idx);
    assert_eq!(c.malformed, 4, "{c:?}");
    // The same frames 15 deep are fine: the budget is what stops them.
    let fifteen = deep_vlan(MAX_LAYERS as usize - 1);
    let ok = decode::decode(LinkType::ETHERNET, &fifteen);
    assert!(ok.issue.is_none() && ok.l4.is_some(), "{ok:?}");
}

// ---- empty packets and odd times ----------------------------------------

#[test]
fn zero_length_packets_are_read_and_counted() {
    let mut v = pcap_header(1, 65535);
    pcap_record(&mut v, 1, 0, 0, 0, &[]);
    pcap_record(&mut v, 2, 0, 0, 1514, &[]);
    let mut ng = shb();
    ng.extend(idb(1, None, None));
    ng.extend(epb(0, 1, &[], 0));
    ng.extend(epb(0, 2, &[], 60));
    for bytes in [v, ng] {
        let cap = open(bytes);
        let idx = cap.index();
        assert!(idx.damage.is_empty(), "{:?}", idx.damage);
        assert_eq!(idx.stats.packets, 2);
        assert_eq!(idx.stats.captured_bytes, 0);
        assert_eq!(idx.stats.truncated, 1);
        let c = census(&idx);
        assert_eq!(c.cut_headers, 2, "{c:?}");
    }
}

#[test]
fn timestamps_backwards_and_beyond_2106() {
    let f = tcp_frame();
    let mut v = pcap_header(1, 65535);
    pcap_record(&mut v, u32::MAX, 999_999, 54, 54, &f); // 2106-02-07
    pcap_record(&mut v, 1, 0, 54, 54, &f); // backwards to 1970
    pcap_record(&mut v, u32::MAX, u32::MAX, 54, 54, &f); // fraction out of range
    let cap = open(v);
    let s = cap.index().stats;
    assert_eq!(s.packets, 3);
    assert!(!s.in_order);
    assert_eq!(s.first_ts, Some(1_000_000_000));
    assert_eq!(
        s.last_ts,
        Some(i64::from(u32::MAX) * 1_000_000_000 + i64::from(u32::MAX) * 1000)
    );

    // pcapng: 64-bit ticks reach past 2106 and, in nanoseconds, past 2262
    // (saturated); a huge if_tsoffset saturates too.
    let year_2200_ns: u64 = 7_258_118_400 * 1_000_000_000;
    let mut ng = shb();
    ng.extend(idb(1, Some(9), None));
    ng.extend(idb(1, Some(9), Some(i64::MAX)));
    ng.extend(idb(1, Some(0x80 | 63), Some(i64::MIN)));
    ng.extend(epb(0, year_2200_ns, &f, 54));
    ng.extend(epb(0, u64::MAX, &f, 54));
    ng.extend(epb(0, 0, &f, 54));
    ng.extend(epb(1, 5, &f, 54));
    ng.extend(epb(2, u64::MAX, &f, 54));
    let cap = open(ng);
    let idx = cap.index();
    assert!(idx.damage.is_empty(), "{:?}", idx.damage);
    let s = &idx.stats;
    assert_eq!(s.packets, 5);
    assert!(!s.in_order);
    let ts: Vec<i64> = idx.all_records().map(|r| r.ts).collect();
    assert_eq!(ts[0], year_2200_ns as i64);
    assert_eq!(ts[1], i64::MAX);
    assert_eq!(ts[3], i64::MAX);
    assert!(ts[4] < 0, "{ts:?}");
    assert!(s.duration_ns() >= 0);
}

// ---- gzip bomb ---------------------------------------------------------

/// A valid pcap header followed by `n` zero bytes, gzip-compressed.
fn bomb(n: usize) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&pcap_header(1, 65535)).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..n / zeros.len() {
        gz.write_all(&zeros).unwrap();
    }
    gz.finish().unwrap()
}

#[test]
fn gzip_bomb_stops_at_the_limit() {
    let gz = bomb(64 << 20);
    assert!(gz.len() < 128 * 1024, "the bomb is small: {}", gz.len());
    let limit = 4 << 20;
    match Capture::from_bytes_with_limit("bomb.pcap.gz", Bytes::Owned(gz.clone()), limit) {
        Err(e @ OpenError::Gzip { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains("bomb.pcap.gz") && m.contains("expands beyond 4194304 bytes"),
                "{m}"
            );
            assert!(m.contains("NWCAP_GZIP_LIMIT"), "says how to raise it: {m}");
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a 64 MiB expansion passed a 4 MiB limit"),
    }
    // Under a limit it fits, it reads: zero records of all-zero headers.
    let cap =
        Capture::from_bytes_with_limit("bomb.pcap.gz", Bytes::Owned(gz), 65 << 20).expect("fits");
    assert!(cap.compressed());
    assert_eq!(cap.data().len(), 24 + (64 << 20));
}

#[test]
fn gzip_cut_short_keeps_what_decompressed() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let f = tcp_frame();
    let frames: Vec<&[u8]> = (0..2000).map(|_| f.as_slice()).collect();
    gz.write_all(&pcap_file(1, &frames)).unwrap();
    let mut bytes = gz.finish().unwrap();
    bytes.truncate(bytes.len() / 2);
    let cap =
        Capture::from_bytes_with_limit("cut.pcap.gz", Bytes::Owned(bytes), GB).expect("opens");
    let idx = cap.index();
    assert!(idx.stats.packets > 0);
    assert!(
        idx.damage
            .iter()
            .any(|d| d.message.contains("gzip data is damaged")),
        "{:?}",
        idx.damage
    );
}

// ---- the memory bound, enforced ------------------------------------------

/// Re-run every other test of this binary in a child whose address space
/// is capped at 1 GiB (`ulimit -v`, i.e. RLIMIT_AS). A reader that sized an
/// allocation from a hostile length would die there with an allocation
/// failure instead of passing.
#[test]
fn every_case_runs_under_a_1_gb_address_space() {
    if std::env::var_os("NWCAP_HOSTILE_CHILD").is_some() {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" --test-threads=1 --skip every_case_runs_under")
        .arg(&exe)
        .env("NWCAP_HOSTILE_CHILD", "1")
        .env("MALLOC_ARENA_MAX", "2")
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "under 1 GiB:\n{stdout}\n{stderr}");
    assert!(stdout.contains("test result: ok"), "{stdout}");
    assert!(
        stdout.contains("gzip_bomb_stops_at_the_limit ... ok"),
        "{stdout}"
    );
}

// ---- fuzz seeds and regressions, replayed without cargo-fuzz --------------

/// The checks of the `reader` fuzz target (one source for both).
mod fuzz_reader {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/fuzz_targets/check/reader.rs"
    ));
}

/// The checks of the `decode` fuzz target.
mod fuzz_decode {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/fuzz_targets/check/decode.rs"
    ));
}

/// Seeds and regressions of `reader` and `decode` through the targets' own
/// checks, so a plain `cargo test` keeps them passing.
#[test]
fn fuzz_seeds_and_regressions_replay() {
    nwcap_testsupport::replay_fuzz_inputs("reader", 10, fuzz_reader::check);
    nwcap_testsupport::replay_fuzz_inputs("decode", 10, fuzz_decode::check);
}
