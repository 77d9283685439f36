//! Reader benchmarks: the index pass (`nwcap info`) and a full decode of
//! every packet to layer 4, on a synthetic capture built in memory (or on
//! the file named by `NWCAP_BENCH_FILE`, e.g. the 1.1 GB `gen_pcap.py`
//! output). `cargo bench --bench reader`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nwcap_pcap::Capture;
use nwcap_pcap::source::Bytes;

/// A pcap of `n` Ethernet/IPv4/TCP-or-UDP packets of varied sizes.
fn synthetic(n: u32) -> Vec<u8> {
    let mut v = Vec::with_capacity(n as usize * 600);
    for x in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 262_144, 1] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(20);
    v.extend_from_slice(&1u32.to_le_bytes());
    for i in 0..n {
        let payload = (i * 37 % 1400) as usize;
        let tcp = i % 3 != 0;
        let l4 = if tcp { 20 } else { 8 };
        let total = 20 + l4 + payload;
        let len = 14 + total;
        for x in [
            1_700_000_000 + i / 1000,
            i % 1_000_000,
            len as u32,
            len as u32,
        ] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        v.extend_from_slice(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0]);
        v.extend_from_slice(&[0x45, 0, (total >> 8) as u8, total as u8, 0, 0, 0x40, 0, 64]);
        v.push(if tcp { 6 } else { 17 });
        v.extend_from_slice(&[
            0,
            0,
            10,
            0,
            (i >> 8) as u8,
            i as u8,
            10,
            1,
            0,
            (i % 50) as u8,
        ]);
        v.extend_from_slice(&((1024 + i % 5000) as u16).to_be_bytes());
        v.extend_from_slice(&(443u16).to_be_bytes());
        if tcp {
            v.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
        } else {
            v.extend_from_slice(&((8 + payload) as u16).to_be_bytes());
            v.extend_from_slice(&[0, 0]);
        }
        v.resize(v.len() + payload, 0xab);
    }
    v
}

fn load() -> Capture {
    match std::env::var_os("NWCAP_BENCH_FILE") {
        Some(path) => Capture::open(path).expect("NWCAP_BENCH_FILE"),
        None => Capture::from_bytes("synthetic.pcap", Bytes::Owned(synthetic(200_000))).unwrap(),
    }
}

fn reader(c: &mut Criterion) {
    let cap = load();
    let bytes = cap.data().len() as u64;
    let mut g = c.benchmark_group("reader");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    g.bench_function("index (nwcap info)", |b| {
        b.iter(|| cap.index().stats.packets)
    });
    let idx = cap.index();
    g.bench_function("decode every packet to layer 4", |b| {
        b.iter(|| nwcap_pcap::census::census(&idx).tcp)
    });
    g.finish();
}

criterion_group!(benches, reader);
criterion_main!(benches);
