// Checks of the `source` target, shared with the replay test in
// `crates/nwcap-pcap/tests/source.rs` (included with `include!`, so plain
// comments only).
//
// A classic pcap file, mapped, read in speculative blocks (each chunk
// walked from a guessed record start, then the block settled) gives
// exactly what the same file framed first gives: the same records (time,
// lengths, bytes, offset), the same damage (offset, severity, message) and
// the same record count. Blocks of 64 bytes and 4 KiB make many guesses,
// most of them wrong, and records that straddle blocks.

use nwcap_pcap::{Input, Source};

/// Records as (time, original length, bytes, offset), damage as (offset,
/// message), and the source's record count.
type Read = (Vec<(i64, u32, Vec<u8>, u64)>, Vec<(u64, String)>, u64);

fn read(path: &std::path::Path, speculative: bool, block: usize) -> Option<Read> {
    let s = Source::open(&Input::Path(path.to_path_buf())).ok()?;
    let mut s = if speculative { s.speculative() } else { s }.with_block_bytes(block);
    let mut recs = Vec::new();
    while let Ok(Some(b)) = s.next_block() {
        recs.extend(
            b.records()
                .iter()
                .map(|r| (r.ts, r.origlen, r.data.to_vec(), r.offset)),
        );
    }
    let damage = s
        .damage()
        .iter()
        .map(|d| (d.offset, d.to_string()))
        .collect();
    Some((recs, damage, s.records()))
}

/// Run every check on one input (other formats than classic pcap are not
/// read speculatively, and are skipped).
pub fn check(data: &[u8]) {
    if !nwcap_pcap::pcap::is_pcap(data) {
        return;
    }
    let path = std::env::temp_dir().join(format!("nwcap-fuzz-source-{}.pcap", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    for block in [64, 4096] {
        let framed = read(&path, false, block);
        let speculative = read(&path, true, block);
        assert!(framed == speculative, "block {block}: {framed:?} against {speculative:?}");
    }
    let _ = std::fs::remove_file(&path);
}
