//! The streaming [`Source`] against the indexed reader: the same records
//! (time, lengths, bytes, link type, interface, offset) and the same damage
//! (offset, severity) for every input, whether the source maps a regular
//! file, reads a stream (a pipe), or decompresses gzip, for several block
//! sizes and thread counts. Inputs: `testdata/`, the fuzz seeds and
//! regressions (hostile shapes), and the shared corpus when present.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write;
use std::path::{Path, PathBuf};

use nwcap_pcap::source::Bytes;
use nwcap_pcap::{Capture, Damage, Input, Severity, Source};

#[derive(Debug, PartialEq, Eq)]
struct Rec {
    ts: i64,
    origlen: u32,
    data: Vec<u8>,
    interface: u32,
    linktype: u32,
    offset: u64,
}

type Seen = (Vec<Rec>, Vec<(u64, Severity)>);

fn damage(d: &[Damage]) -> Vec<(u64, Severity)> {
    let mut v: Vec<_> = d.iter().map(|d| (d.offset, d.severity)).collect();
    v.sort();
    v
}

fn rec(r: &nwcap_pcap::Record<'_>) -> Rec {
    Rec {
        ts: r.ts,
        origlen: r.origlen,
        data: r.data.to_vec(),
        interface: r.interface,
        linktype: r.linktype.0,
        offset: r.offset,
    }
}

/// The indexed reader's view, or `None` when it refuses the bytes.
fn indexed(bytes: &[u8]) -> Option<Seen> {
    let cap = Capture::from_bytes_with_limit("x", Bytes::Owned(bytes.to_vec()), 1 << 30).ok()?;
    let idx = cap.index();
    let recs = idx.all_records().map(|r| rec(&r)).collect();
    Some((recs, damage(&idx.damage)))
}

fn drain(mut s: Source) -> Seen {
    let mut recs = Vec::new();
    while let Some(b) = s.next_block().unwrap() {
        recs.extend(b.records().iter().map(rec));
    }
    (recs, damage(&s.damage()))
}

fn sources(name: &str, bytes: &[u8], dir: &Path) -> Vec<(String, Option<Source>)> {
    let mut out = Vec::new();
    let path = dir.join(name.replace('/', "_"));
    std::fs::write(&path, bytes).unwrap();
    for block in [64usize, 4096, 1 << 20] {
        out.push((
            format!("mapped/{block}"),
            Source::open(&Input::Path(path.clone()))
                .ok()
                .map(|s| s.with_block_bytes(block)),
        ));
        out.push((
            format!("speculative/{block}"),
            Source::open(&Input::Path(path.clone()))
                .ok()
                .map(|s| s.speculative().with_block_bytes(block)),
        ));
        out.push((
            format!("stream/{block}"),
            Source::from_read(name.into(), Box::new(std::io::Cursor::new(bytes.to_vec())))
                .ok()
                .map(|s| s.with_block_bytes(block)),
        ));
    }
    out
}

fn inputs() -> Vec<(String, Vec<u8>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut dirs = vec![
        root.join("testdata"),
        root.join("fuzz/seeds/reader"),
        root.join("fuzz/regressions/reader"),
    ];
    if let Some(c) = nwcap_testsupport::corpus() {
        dirs.push(c.join("files"));
    }
    let mut out = Vec::new();
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd.map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files {
            if f.extension().is_some_and(|e| e == "md") || !f.is_file() {
                continue;
            }
            let bytes = std::fs::read(&f).unwrap();
            // gzip inputs are compared through their own test below.
            if bytes.starts_with(&[0x1f, 0x8b]) {
                continue;
            }
            out.push((f.display().to_string(), bytes));
        }
    }
    out
}

/// A rayon pool of `n` threads.
fn pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
}

#[test]
fn source_reads_what_the_indexed_reader_reads() {
    let dir = tempfile::tempdir().unwrap();
    let pools = [1, 2].map(pool);
    let mut checked = 0;
    let mut failures = Vec::new();
    for (name, bytes) in inputs() {
        let want = indexed(&bytes);
        for pool in &pools {
            for (how, src) in sources(&format!("{checked}"), &bytes, dir.path()) {
                let got = src.map(|s| pool.install(|| drain(s)));
                match (&want, &got) {
                    (None, None) => {}
                    (Some(w), Some(g)) if w == g => {}
                    (w, g) => failures.push(format!(
                        "{name} [{how}, {} threads]: indexed {:?} records / damage {:?}, source {:?} / {:?}",
                        pool.current_num_threads(),
                        w.as_ref().map(|w| w.0.len()),
                        w.as_ref().map(|w| &w.1),
                        g.as_ref().map(|g| g.0.len()),
                        g.as_ref().map(|g| &g.1),
                    )),
                }
            }
        }
        checked += 1;
    }
    println!("{checked} inputs compared");
    assert!(checked >= 10);
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn gzip_streams_read_like_the_plain_file() {
    for (name, bytes) in inputs().into_iter().filter(|(n, _)| n.contains("testdata")) {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&bytes).unwrap();
        let gz = gz.finish().unwrap();
        let plain = Source::from_read(name.clone(), Box::new(std::io::Cursor::new(bytes)));
        let zipped = Source::from_read(name.clone(), Box::new(std::io::Cursor::new(gz)));
        let (plain, zipped) = (plain.unwrap(), zipped.unwrap());
        assert!(zipped.compressed() && !plain.compressed());
        assert_eq!(plain.first_ts(), zipped.first_ts(), "{name}");
        assert_eq!(drain(plain), drain(zipped), "{name}");
    }
}

#[test]
fn a_cut_gzip_keeps_the_records_before_the_cut() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bytes = std::fs::read(root.join("testdata/sample.pcap")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).unwrap();
    let gz = gz.finish().unwrap();
    let cut = gz[..gz.len() / 2].to_vec();
    let s = Source::from_read("cut.pcap.gz".into(), Box::new(std::io::Cursor::new(cut))).unwrap();
    let (recs, dmg) = drain(s);
    let all = indexed(&bytes).unwrap().0;
    assert!(recs.len() > 100 && recs.len() < all.len(), "{}", recs.len());
    assert_eq!(recs[..], all[..recs.len()]);
    assert!(!dmg.is_empty(), "the cut is reported");
}

#[test]
fn first_ts_is_the_first_record_time_and_errors_name_the_input() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    for f in ["sample.pcap", "sample.pcapng", "windows-netmon.cap"] {
        let path = root.join("testdata").join(f);
        let s = Source::open(&Input::Path(path.clone())).unwrap();
        let first = indexed(&std::fs::read(&path).unwrap()).unwrap().0[0].ts;
        assert_eq!(s.first_ts(), Some(first), "{f}");
    }
    let dir = tempfile::tempdir().unwrap();
    let err = Source::open(&Input::Path(dir.path().to_path_buf()))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("directory"), "{err}");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello, this is text\n").unwrap();
    let err = Source::open(&Input::Path(text)).err().unwrap().to_string();
    assert!(err.contains("not a capture file"), "{err}");
    let empty = Source::from_read("e".into(), Box::new(std::io::empty()))
        .err()
        .unwrap()
        .to_string();
    assert!(empty.contains("empty"), "{empty}");
}

/// Speculative blocks (walked from guessed starts, then settled) read
/// exactly what the indexed reader reads, on files of many pieces per
/// block where guesses fail, with damage in the middle and a cut tail,
/// for several block sizes and thread counts; the record count is the
/// records read.
#[test]
fn speculative_blocks_read_what_the_indexed_reader_reads() {
    let dir = tempfile::tempdir().unwrap();
    let clean = nwcap_testsupport::packets::framing_pcap(12_000, 11, true);
    assert!(clean.len() > 8 << 20);
    let mut damaged = clean.clone();
    // An impossible length in the record nearest the middle.
    let (mut pos, mid) = (24usize, clean.len() / 2);
    while pos < mid {
        let len = u32::from_le_bytes(clean[pos + 8..pos + 12].try_into().unwrap()) as usize;
        pos += 16 + len;
    }
    damaged[pos + 8..pos + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let cut = clean[..clean.len() - 700].to_vec();
    let pools = [1, 3].map(pool);
    let mut rewalks = 0;
    for (name, bytes) in [("clean", &clean), ("damaged", &damaged), ("cut", &cut)] {
        let want = indexed(bytes).unwrap();
        assert!(want.0.len() > 1000, "{name}");
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        for block in [64 << 10, (3 << 20) + 5, 8 << 20] {
            for pool in &pools {
                let s = Source::open(&Input::Path(path.clone()))
                    .unwrap()
                    .speculative()
                    .with_block_bytes(block);
                let ledger = s.ledger();
                let got = pool.install(|| drain(s));
                let how = format!(
                    "{name}, block {block}, {} threads",
                    pool.current_num_threads()
                );
                assert_eq!(got.0.len(), want.0.len(), "{how}");
                assert!(
                    got == want,
                    "{how}: damage {:?} against {:?}",
                    got.1,
                    want.1
                );
                assert_eq!(ledger.records(), want.0.len() as u64, "{how}");
                rewalks += ledger.rewalks();
            }
        }
    }
    // The guesses did fail, and were walked again.
    assert!(rewalks > 100, "{rewalks} chunks walked again");
}

/// The checks of the `source` fuzz target.
mod fuzz_source {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/fuzz_targets/check/source.rs"
    ));
}

/// Every committed input of the `source` fuzz target (`fuzz/seeds/source`,
/// and `fuzz/regressions/source` for any that ever failed) through its
/// checks.
#[test]
fn source_fuzz_seeds_and_regressions_replay() {
    nwcap_testsupport::replay_fuzz_inputs("source", 10, fuzz_source::check);
}
