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

fn frame(flow: u32, n: u32, out: &mut Vec<u8>) {
    let payload = 496usize;
    let (client, fwd) = (flow, n.is_multiple_of(2));
    let c = [10, 1, (client >> 8) as u8, client as u8];
    let s = [10, 2, 0, (client % 200) as u8];
    let cport = 1024 + (client % 60000) as u16;
    let (src, dst, sp, dp) = if fwd {
        (c, s, cport, 443u16)
    } else {
        (s, c, 443, cport)
    };
    out.extend_from_slice(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]);
    let total = (20 + 20 + payload) as u16;
    out.extend_from_slice(&[
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
    out.extend_from_slice(&src);
    out.extend_from_slice(&dst);
    out.extend_from_slice(&sp.to_be_bytes());
    out.extend_from_slice(&dp.to_be_bytes());
    let flags: u8 = if n == 0 {
        0x02
    } else if n == 1 {
        0x12
    } else {
        0x18
    };
    out.extend_from_slice(&(n / 2 * 496 + 1).to_be_bytes());
    out.extend_from_slice(&(n / 2 * 496 + 1).to_be_bytes());
    out.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    out.resize(out.len() + payload, 0x61);
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
        f.write_all(&[
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0,
            0,
        ])
        .unwrap();
        let mut buf = Vec::new();
        let mut counts = vec![0u32; flows as usize];
        for i in 0..packets {
            let flow = (i.wrapping_mul(2654435761) % u64::from(flows)) as u32;
            buf.clear();
            frame(flow, counts[flow as usize], &mut buf);
            counts[flow as usize] += 1;
            let ts_us = i * 100;
            f.write_all(&((1_700_000_000 + ts_us / 1_000_000) as u32).to_le_bytes())
                .unwrap();
            f.write_all(&((ts_us % 1_000_000) as u32).to_le_bytes())
                .unwrap();
            f.write_all(&(buf.len() as u32).to_le_bytes()).unwrap();
            f.write_all(&(buf.len() as u32).to_le_bytes()).unwrap();
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
