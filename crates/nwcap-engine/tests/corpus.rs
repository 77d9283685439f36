//! The flow engine over real captures, checked against tshark's per-packet
//! fields (the shared corpus: `NWCAP_CORPUS`, else `shared/corpus` beside
//! the repository; skipped with a `SKIPPED:` line when absent).
//!
//! Checks: every IP packet tshark sees lands in exactly one flow (a packet
//! tunnelled in UDP also counts in its outer UDP flow, as in Zeek: those
//! are taken out once), wire bytes sum to tshark's frame lengths, TCP flows match tshark's `tcp.stream`
//! count (innermost layer), and 1 and 2 threads give identical columns.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use nwcap_engine::{Collect, Group, RunReport, Settings, run};
use nwcap_flows::{Flow, all_columns};
use nwcap_testsupport::corpus;

fn flows(pool: &rayon::ThreadPool, path: &std::path::Path) -> (Vec<Flow>, RunReport) {
    pool.install(|| {
        let mut c = Collect::default();
        let r = run(&[Group::new([path])], &Settings::default(), None, &mut c).unwrap();
        (c.flows, r)
    })
}

struct Expect {
    ip_packets: u64,
    ip_wire_bytes: u64,
    tcp_streams: usize,
}

fn expected(dir: &std::path::Path, name: &str) -> Expect {
    let text =
        std::fs::read_to_string(dir.join("reference").join(format!("{name}.fields.tsv"))).unwrap();
    let mut e = Expect {
        ip_packets: 0,
        ip_wire_bytes: 0,
        tcp_streams: 0,
    };
    let mut streams = BTreeSet::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let has_ip = !f[6].is_empty() || !f[9].is_empty();
        if has_ip {
            e.ip_packets += 1;
            e.ip_wire_bytes += f[4].parse::<u64>().unwrap();
        }
        if let Some(s) = f[12].rsplit(',').next().filter(|s| !s.is_empty()) {
            streams.insert(s.to_owned());
        }
    }
    e.tcp_streams = streams.len();
    e
}

#[test]
fn flows_match_tshark_on_corpus_files() {
    let Some(dir) = corpus() else { return };
    let pool1 = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let pool2 = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    for name in [
        "zeek_get-to-ssh-server.pcap",
        "zeek_5-pings.pcap",
        "tcpdump_dns_udp.pcap",
        "zeek_http-vlan-0.pcap",
        "zeek_retransmit-fast009.pcap",
        "tcpdump_vxlan.pcap",
        "zeek_ipv6-fragmented-dns.pcap",
        "msnetcaps_MS-FASOD_Example1_Win2019v2004_X64_Win10v2004_X64_Workgroup.pcapng",
    ] {
        let path = dir.join("files").join(name);
        let (one, report) = flows(&pool1, &path);
        let (two, _) = flows(&pool2, &path);
        assert_eq!(
            all_columns(&one, &Default::default()),
            all_columns(&two, &Default::default()),
            "{name}"
        );
        let want = expected(&dir, name);
        let pkts: u64 = one
            .iter()
            .map(|f| f.orig.pkts + f.resp.pkts - f.carried)
            .sum();
        let bytes: u64 = one
            .iter()
            .map(|f| f.orig.bytes + f.resp.bytes - f.carried_bytes)
            .sum();
        let tcp = one.iter().filter(|f| f.key.proto == 6).count();
        assert_eq!(pkts, want.ip_packets, "{name}: packets");
        assert_eq!(bytes, want.ip_wire_bytes, "{name}: wire bytes");
        assert_eq!(tcp, want.tcp_streams, "{name}: tcp flows");
        eprintln!(
            "{name}: {} flows, {pkts} packets, {} non-IP",
            one.len(),
            report.counts.not_ip
        );
    }
}
