//! Differential oracles on every capture we have: nwcap's decoder against
//! etherparse's lax slicing, nwcap's readers against pcap-parser (the
//! checks live in `fuzz/fuzz_targets/check/oracle.rs`, shared with the
//! `oracle` fuzz target).
//!
//! Captures: `testdata/`, and when present the corpus
//! (`../shared/corpus/files`), Zeek's traces (`../shared/zeek`) and the
//! field cases (`../shared/cases`); gzip files are decompressed with
//! flate2 first (pcap-parser reads no gzip). Every disagreement fails; the
//! frames left out of a comparison are counted by reason, each reason
//! explained where it is defined. The agreement numbers are printed
//! (`cargo test -p nwcap-pcap --test oracle -- --nocapture`).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Read;
use std::path::{Path, PathBuf};

use nwcap_pcap::Capture;
use nwcap_pcap::source::Bytes;
use nwcap_testsupport::{corpus, field_cases, zeek_traces};

mod oracle {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/fuzz_targets/check/oracle.rs"
    ));
}

/// Capture files directly in `dir`.
fn captures(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let n = p.to_string_lossy();
            [".pcap", ".pcapng", ".cap", ".gz", ".pcap.gz", ".ntar"]
                .iter()
                .any(|x| n.ends_with(x))
        })
        .collect();
    v.sort();
    v
}

fn all_captures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut v = captures(&root.join("testdata"));
    if let Some(c) = corpus() {
        v.extend(captures(&c.join("files")));
    }
    if let Some(z) = zeek_traces() {
        v.extend(captures(&z));
    }
    if let Some(c) = field_cases() {
        v.extend(captures(&c));
    }
    v
}

/// The file's bytes, gunzipped when gzip.
fn bytes(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap();
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        raw
    }
}

#[test]
fn decoder_and_readers_agree_with_etherparse_and_pcap_parser() {
    let files = all_captures();
    assert!(!files.is_empty(), "testdata/ has no captures");
    let mut t = oracle::Tally::default();
    let mut by_file = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = bytes(path);
        let before = t.differences.len();
        oracle::records(&name, &data, &mut t);
        let Ok(cap) = Capture::from_bytes_with_limit(&name, Bytes::Owned(data), 1 << 30) else {
            continue;
        };
        let idx = cap.index();
        for r in idx.all_records() {
            let n = t.differences.len();
            oracle::decode_frame(r.linktype, r.data, &mut t);
            if t.differences.len() > n {
                let d = t.differences.pop().unwrap();
                t.differences
                    .push(format!("{name} record at byte {}: {d}", r.offset));
            }
        }
        by_file.push((name, t.differences.len() - before));
    }
    println!(
        "oracle: {} files, {} records compared with pcap-parser; {} frames, IP header \
         compared on {}, transport on {}",
        files.len(),
        t.records,
        t.frames,
        t.ip,
        t.transport
    );
    for (why, n) in &t.left_out {
        println!("  left out {n:>7}: {why}");
    }
    for (name, n) in by_file.iter().filter(|(_, n)| *n > 0) {
        println!("  {name}: {n} differences");
    }
    assert!(
        t.differences.is_empty(),
        "{} differences with the oracles:\n{}",
        t.differences.len(),
        t.differences.join("\n")
    );
    // The comparison must have compared something: testdata/ alone holds
    // a few thousand TCP/UDP frames.
    assert!(
        t.ip > 1000 && t.transport > 1000 && t.records > 1000,
        "{t:?}"
    );
}

/// The committed inputs of the `oracle` fuzz target (`fuzz/seeds/oracle`,
/// and `fuzz/regressions/oracle` for every input that ever failed) through
/// the same checks.
#[test]
fn oracle_fuzz_seeds_and_regressions_replay() {
    nwcap_testsupport::replay_fuzz_inputs("oracle", 50, oracle::check);
}
