//! Reader benchmarks: the index pass (`nwcap info`) and a full decode of
//! every packet to layer 4, on a synthetic capture built in memory (or on
//! the file named by `NWCAP_BENCH_FILE`, e.g. the 1.1 GB `gen_pcap.py`
//! output). `cargo bench --bench reader`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nwcap_pcap::Capture;
use nwcap_pcap::source::Bytes;
use nwcap_testsupport::packets::{
    ACK, ETHERTYPE_IPV4, PCAP_HEADER, PSH, TCP, UDP, eth, ipv4, push_record, tcp, udp,
};

/// A pcap of `n` Ethernet/IPv4/TCP-or-UDP packets of varied sizes, one
/// a millisecond.
fn synthetic(n: u32) -> Vec<u8> {
    let mut v = Vec::with_capacity(n as usize * 600);
    v.extend_from_slice(&PCAP_HEADER);
    for i in 0..n {
        let payload = vec![0xab; (i * 37 % 1400) as usize];
        let (src, dst) = ([10, 0, (i >> 8) as u8, i as u8], [10, 1, 0, (i % 50) as u8]);
        let sport = (1024 + i % 5000) as u16;
        let ip = if i % 3 != 0 {
            ipv4(src, dst, TCP, &tcp(sport, 443, PSH | ACK, &payload))
        } else {
            ipv4(src, dst, UDP, &udp(sport, 443, &payload))
        };
        let frame = eth(None, ETHERTYPE_IPV4, &ip);
        push_record(&mut v, 1_700_000_000_000_000 + u64::from(i) * 1000, &frame);
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
