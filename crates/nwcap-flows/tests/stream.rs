//! The streamed, pipelined path against the mapped, indexed one: same
//! flows whatever the block size (records cut across blocks, records larger
//! than a block) and the thread count; damage reported at file offsets.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use nwcap_flows::{
    FlowConfig, PcapStream, Streams, all_columns, capture_chunks, index_windows, run_flows_in_pool,
    run_pipeline,
};
use nwcap_pcap::{Capture, Severity};

fn frame(i: u32, n: u32) -> Vec<u8> {
    let payload = 60 + (i * 37 + n * 11) as usize % 1400;
    let c = [10, 1, (i >> 8) as u8, i as u8];
    let s = [10, 2, 0, (i % 7) as u8];
    let (src, dst, sp, dp) = if n.is_multiple_of(2) {
        (c, s, 1024 + i as u16, 80u16)
    } else {
        (s, c, 80, 1024 + i as u16)
    };
    let mut f = vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00];
    let total = (40 + payload) as u16;
    f.extend_from_slice(&[
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        0,
        0x40,
        0,
        64,
        6,
        0,
        0,
    ]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sp.to_be_bytes());
    f.extend_from_slice(&dp.to_be_bytes());
    let flags = match n {
        0 => 0x02,
        1 => 0x12,
        _ => 0x18,
    };
    f.extend_from_slice(&(n * 1000 + 1).to_be_bytes());
    f.extend_from_slice(&(n * 1000 + 1).to_be_bytes());
    f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f.resize(f.len() + payload, b'a');
    f
}

fn write_pcap(name: &str, packets: u32, flows: u32, cut_tail: usize) -> PathBuf {
    let mut out = vec![
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ];
    let mut counts = vec![0u32; flows as usize];
    for k in 0..packets {
        let i = (k * 7919) % flows;
        let f = frame(i, counts[i as usize]);
        counts[i as usize] += 1;
        let us = u64::from(k) * 1500;
        out.extend_from_slice(&(1_700_000_000 + (us / 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((us % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&f);
    }
    out.truncate(out.len() - cut_tail);
    let path = std::env::temp_dir().join(format!("nwcap-flows-{}-{name}", std::process::id()));
    std::fs::write(&path, out).unwrap();
    path
}

fn pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
}

#[test]
fn streamed_equals_indexed_for_any_block_size_and_thread_count() {
    let path = write_pcap("eq.pcap", 6000, 300, 0);
    let cfg = FlowConfig::default();
    let decode = nwcap_pcap::decode::decode;
    let cap = Capture::open(&path).unwrap();
    let files = [cap.index()];
    let reference = run_flows_in_pool(&pool(1), capture_chunks(&files, decode, None), &cfg);
    let want = all_columns(&reference.flows, &Default::default());
    assert_eq!(reference.flows.len(), 300);
    let windows =
        pool(2).install(|| run_pipeline(index_windows(&files, decode, 3), &cfg, None, None));
    assert_eq!(all_columns(&windows.flows, &Default::default()), want);
    // 700-byte blocks: many records are cut across blocks, and records of
    // up to ~1.5 kB do not fit one block at all (the buffer grows).
    let runs = [(700, 1), (700, 2), (64 << 10, 2), (8 << 20, 2)];
    for ((block, threads), read) in runs.into_iter().flat_map(|r| [(r, false), (r, true)]) {
        let mut s = PcapStream::open(&path, 0, decode)
            .unwrap()
            .with_block_bytes(block);
        if read {
            s = s.with_read();
        }
        let out = pool(threads).install(|| run_pipeline(Streams::new(vec![s]), &cfg, None, None));
        assert_eq!(
            all_columns(&out.flows, &Default::default()),
            want,
            "block {block}, {threads} threads, read {read}"
        );
        assert_eq!(out.stats.packets, 6000);
    }
    std::fs::remove_file(path).unwrap();
}

#[test]
fn cut_tail_and_bad_record_are_reported_at_file_offsets() {
    let path = write_pcap("cut.pcap", 500, 20, 37);
    let decode = nwcap_pcap::decode::decode;
    let cap = Capture::open(&path).unwrap();
    let idx = cap.index();
    for read in [false, true] {
        let mut s = PcapStream::open(&path, 0, decode)
            .unwrap()
            .with_block_bytes(4096);
        if read {
            s = s.with_read();
        }
        let mut streams = Streams::new(vec![s]);
        let out = run_pipeline(&mut streams, &FlowConfig::default(), None, None);
        assert_eq!(out.stats.packets, 499, "read {read}");
        let (s, errors) = streams.into_streams();
        assert!(errors.is_empty());
        assert_eq!(s[0].damage, idx.damage, "read {read}");
        assert_eq!(s[0].damage[0].severity, Severity::Warning);
    }

    // An impossible captured length in the middle stops reading there.
    let mut bytes = std::fs::read(&path).unwrap();
    let mut pos = 24;
    for _ in 0..100 {
        let caplen = u32::from_le_bytes(bytes[pos + 8..pos + 12].try_into().unwrap()) as usize;
        pos += 16 + caplen;
    }
    bytes[pos + 8..pos + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    for read in [false, true] {
        let mut s = PcapStream::open(&path, 0, decode)
            .unwrap()
            .with_block_bytes(4096);
        if read {
            s = s.with_read();
        }
        let mut streams = Streams::new(vec![s]);
        let out = run_pipeline(&mut streams, &FlowConfig::default(), None, None);
        assert_eq!(out.stats.packets, 100, "read {read}");
        let (s, _) = streams.into_streams();
        assert_eq!(s[0].damage.len(), 1);
        assert_eq!(s[0].damage[0].offset, pos as u64);
        assert_eq!(s[0].damage[0].severity, Severity::Error);
    }
    std::fs::remove_file(path).unwrap();
}
