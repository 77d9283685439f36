//! Throughput of the engine alone (no output): writes a synthetic pcap (N
//! packets over F TCP flows, ~550-byte frames) unless the file exists, then
//! runs the engine over it (or over any capture) with a sink that only
//! counts.
//!
//! `cargo run --release -p nwcap-engine --example flowbench -- synth.pcap [packets flows [threads]]`
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::time::Instant;

use nwcap_engine::{Group, Settings, SinkError, run};
use nwcap_testsupport::packets::{
    ACK, ETHERTYPE_IPV4, PCAP_HEADER, PSH, SYN, TCP, eth, ipv4, push_record, tcp_seq,
};

/// Packet `n` of TCP flow `flow` (SYN, SYN-ACK, then data both ways),
/// each with 496 bytes of payload.
fn frame(flow: u32, n: u32) -> Vec<u8> {
    let c = [10, 1, (flow >> 8) as u8, flow as u8];
    let s = [10, 2, 0, (flow % 200) as u8];
    let cport = 1024 + (flow % 60000) as u16;
    let (src, dst, sp, dp) = if n.is_multiple_of(2) {
        (c, s, cport, 443u16)
    } else {
        (s, c, 443, cport)
    };
    let flags = match n {
        0 => SYN,
        1 => SYN | ACK,
        _ => PSH | ACK,
    };
    let seq = n / 2 * 496 + 1;
    let seg = tcp_seq(sp, dp, flags, seq, seq, &[0x61; 496]);
    eth(None, ETHERTYPE_IPV4, &ipv4(src, dst, TCP, &seg))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "/tmp/nwcap-flowbench.pcap".into());
    let packets: u64 = args.get(2).map_or(2_000_000, |s| s.parse().unwrap());
    let flows: u32 = args.get(3).map_or(50_000, |s| s.parse().unwrap());
    let threads: usize = args.get(4).map_or(2, |s| s.parse().unwrap());
    if !std::path::Path::new(&path).exists() {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(&PCAP_HEADER).unwrap();
        let mut buf = Vec::new();
        let mut counts = vec![0u32; flows as usize];
        for i in 0..packets {
            let flow = (i.wrapping_mul(2654435761) % u64::from(flows)) as u32;
            buf.clear();
            push_record(
                &mut buf,
                1_700_000_000_000_000 + i * 100,
                &frame(flow, counts[flow as usize]),
            );
            counts[flow as usize] += 1;
            f.write_all(&buf).unwrap();
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let t = Instant::now();
    let (mut n, mut pk) = (0u64, 0u64);
    let mut count = |b: &mut Vec<nwcap_flows::Flow>| -> Result<(), SinkError> {
        n += b.len() as u64;
        pk += b.iter().map(|f| f.orig.pkts + f.resp.pkts).sum::<u64>();
        Ok(())
    };
    let report = pool
        .install(|| {
            run(
                &[Group::new([path.as_str()])],
                &Settings::default(),
                None,
                &mut count,
            )
        })
        .unwrap();
    eprintln!(
        "{n} flows, {pk} packets of {} read, {threads} threads, {:?}",
        report.counts.read,
        t.elapsed()
    );
}
