//! Time the two reading paths on a file: the index pass (what `nwcap info`
//! does) and a full decode of every packet to layer 4 (in parallel).
//!
//! `cargo run --release -p nwcap-pcap --example readspeed -- FILE [index]`

use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: readspeed FILE");
        std::process::exit(2);
    };
    let t = Instant::now();
    let cap = match nwcap_pcap::Capture::open(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let idx = cap.index();
    let t_index = t.elapsed();
    if std::env::args().nth(2).as_deref() == Some("index") {
        println!(
            "{} packets; index {:.3} s",
            idx.stats.packets,
            t_index.as_secs_f64()
        );
        return;
    }
    let t = Instant::now();
    let census = nwcap_pcap::census::census(&idx);
    let t_decode = t.elapsed();
    println!(
        "{} packets, {} chunks; index {:.3} s; decode {:.3} s; tcp {} udp {}",
        idx.stats.packets,
        idx.chunks.len(),
        t_index.as_secs_f64(),
        t_decode.as_secs_f64(),
        census.tcp,
        census.udp
    );
}
