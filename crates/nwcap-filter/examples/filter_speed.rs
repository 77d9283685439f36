//! Times `FilterSet::matches` and `FilterSet::matching` on 2 M synthetic
//! packets: `cargo run --release -p nwcap-filter --example filter_speed`.
//!
//! The packets are built before the clock starts, so the time is the
//! filter's alone (the brief's budget: well under 50 ms for one filter).

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use nwcap_filter::{FilterFlags, FilterSet, FiveTuple, from_filter_json};

const PACKETS: usize = 2_000_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64: cheap, and unpredictable enough for branch predictors.
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// One packet between the VM and a peer; `x` picks peer, port, direction.
fn packet(x: u64, proto: u8) -> FiveTuple {
    let vm = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 4));
    let peer = IpAddr::V4(Ipv4Addr::from(0xcb00_7100 | (x as u32 & 0xff)));
    let port = if x & 0x10_0000 == 0 {
        443
    } else {
        (x >> 24) as u16
    };
    let (src, dst, sp, dp) = if x & 0x100 == 0 {
        (vm, peer, 50000, port)
    } else {
        (peer, vm, port, 50000)
    };
    FiveTuple {
        proto,
        src,
        dst,
        src_port: Some(sp),
        dst_port: Some(dp),
    }
}

/// Every packet independent: the worst case for branch prediction.
fn random_packets() -> Vec<FiveTuple> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..PACKETS)
        .map(|_| {
            let x = rng.next();
            packet(x, if x & 0x200 == 0 { 6 } else { 17 })
        })
        .collect()
}

/// Runs of 1 to 64 packets of one flow, direction changing at random
/// inside a run: closer to a real capture.
fn flow_packets() -> Vec<FiveTuple> {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut out = Vec::with_capacity(PACKETS);
    while out.len() < PACKETS {
        let x = rng.next();
        let proto = if x & 0x200 == 0 { 6 } else { 17 };
        for _ in 0..(1 + (x >> 40) % 64) {
            let flip = rng.next() & 0x100;
            out.push(packet((x & !0x100) | flip, proto));
        }
    }
    out.truncate(PACKETS);
    out
}

/// Sum over chunks of 50 000 packets of the best of seven runs of each
/// chunk: the machine is shared, and a chunk is short enough to run
/// unpreempted at least once, so this is the filter's own cost.
fn best_ms(pkts: &[FiveTuple], mut run: impl FnMut(&[FiveTuple]) -> u64) -> (f64, u64) {
    let mut total = 0.0;
    let mut out = 0;
    for chunk in pkts.chunks(50_000) {
        let mut best = f64::INFINITY;
        let mut n = 0;
        for _ in 0..7 {
            let start = Instant::now();
            n = run(chunk);
            best = best.min(start.elapsed().as_secs_f64() * 1e3);
        }
        total += best;
        out += n;
    }
    (total, out)
}

fn time(name: &str, set: &FilterSet, pkts: &[FiveTuple]) {
    let (matches, kept) = best_ms(pkts, |c| {
        c.iter().filter(|t| set.matches(black_box(t))).count() as u64
    });
    let mut counts = vec![0u64; set.filters().len()];
    let (matching, _) = best_ms(pkts, |c| {
        for t in c {
            for i in set.matching(black_box(t)) {
                counts[i] += 1;
            }
        }
        0
    });
    println!(
        "{name}: matches {matches:.1} ms ({:.1} ns/packet, kept {kept}), matching {matching:.1} ms",
        matches * 1e6 / pkts.len() as f64,
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for (name, pkts) in [("random", random_packets()), ("flows", flow_packets())] {
        println!("-- {name} packets");
        run(&pkts)?;
    }
    Ok(())
}

fn run(pkts: &[FiveTuple]) -> Result<(), Box<dyn std::error::Error>> {
    let (base, n) = best_ms(pkts, |c| {
        c.iter().filter(|t| black_box(t).proto == 6).count() as u64
    });
    println!("baseline (read every packet): {base:.1} ms ({n} tcp)");
    let (hand, n) = best_ms(pkts, |c| {
        c.iter()
            .filter(|t| {
                let t = black_box(t);
                let vm = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 4));
                t.proto == 6
                    && ((t.src == vm && t.dst_port == Some(443))
                        || (t.dst == vm && t.src_port == Some(443)))
            })
            .count() as u64
    });
    println!("hand-written TCP/10.0.0.4/remote 443: {hand:.1} ms ({n} kept)");
    let flags = FilterFlags {
        protocol: Some("TCP"),
        local_ip: Some("10.0.0.4"),
        remote_port: Some("443"),
        ..FilterFlags::default()
    };
    let one = FilterSet::new(flags.filter()?.into_iter().collect(), flags.local_ips()?);
    time("1 filter, local ips", &one, pkts);
    let no_local = FilterSet::new(one.filters().to_vec(), None);
    time("1 filter, no local ips", &no_local, pkts);
    let four = FilterSet::new(
        from_filter_json(
            r#"[{"protocol":"TCP","remotePort":"443;8443"},
                {"protocol":"UDP","remoteIPAddress":"203.0.113.0/25","remotePort":"53"},
                {"protocol":"Any","remoteIPAddress":"203.0.113.1-203.0.113.9;198.51.100.0/24"},
                {"protocol":"TCP","localPort":"1000-2000;3000-4000;5000-6000;7000-8000;9000-10000;11000-12000;13000-14000;15000-16000;17000-18000"}]"#,
        )?,
        flags.local_ips()?,
    );
    time("4 filters, local ips", &four, pkts);
    Ok(())
}
