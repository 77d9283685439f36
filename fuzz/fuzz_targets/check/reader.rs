// Checks of the `reader` target, shared with the replay test in
// `crates/nwcap-pcap/tests/hostile.rs` (included with `include!`, so plain
// comments only).
//
// The capture reader on arbitrary bytes: format detection (pcap, pcapng,
// NetMon 2.x, gzip of any of them), the index pass, the per-chunk record
// iterators and a full decode of every record (the `nwcap info --decode`
// path). gzip output is capped at 16 MiB, so a small bomb ends in an error
// instead of tripping libFuzzer's RSS limit. Besides "no panic": the
// chunks' records add up to the index statistics and every record borrows
// bytes inside the file.

use nwcap_pcap::source::Bytes;
use nwcap_pcap::{Capture, census};

/// Largest decompressed size of a gzip input.
pub const GZIP_LIMIT: u64 = 16 << 20;

/// Run every check on one input.
pub fn check(data: &[u8]) {
    let Ok(cap) = Capture::from_bytes_with_limit("fuzz", Bytes::Owned(data.to_vec()), GZIP_LIMIT)
    else {
        return;
    };
    let idx = cap.index();
    let file = cap.data().as_ptr_range();
    let mut n = 0u64;
    for chunk in &idx.chunks {
        let mut in_chunk = 0u64;
        for r in idx.records(chunk) {
            let d = r.data.as_ptr_range();
            assert!(r.data.is_empty() || (file.start <= d.start && d.end <= file.end));
            in_chunk += 1;
        }
        assert_eq!(in_chunk, chunk.records, "chunk record count");
        n += in_chunk;
    }
    assert_eq!(n, idx.stats.packets, "records read twice differ");
    let c = census::census(&idx);
    assert!(c.tcp + c.udp + c.icmp + c.icmpv6 + c.sctp + c.other_ip <= n);
    for d in &idx.damage {
        assert!(!d.to_string().is_empty());
    }
}
