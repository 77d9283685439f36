//! TCP analysis counts against tshark: on every capture of the shared
//! corpus and of Zeek's traces, the sums of nwcap's retransmission, fast
//! and spurious retransmission, out-of-order, duplicate ACK, keep-alive,
//! zero window and lost segment counts equal the number of packets tshark
//! marks with the matching `tcp.analysis.*` field. Skipped with a
//! `SKIPPED:` line when the corpus or tshark is absent (CI installs
//! tshark). A file whose counts differ for a known reason is listed in
//! `EXPLAINED` with it.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use nwcap_engine::{Collect, Group, Settings, run};
use nwcap_flows::analysis::Counts;
use nwcap_pcap::Capture;
use nwcap_testsupport::{corpus, zeek_traces};

/// tshark's fields, in the order of [`ours`].
const FIELDS: [&str; 8] = [
    "tcp.analysis.retransmission",
    "tcp.analysis.fast_retransmission",
    "tcp.analysis.spurious_retransmission",
    "tcp.analysis.out_of_order",
    "tcp.analysis.duplicate_ack",
    "tcp.analysis.keep_alive",
    "tcp.analysis.zero_window",
    "tcp.analysis.lost_segment",
];

const LSO: &str = "large-send offload: IPv6 packets with payload length 0; tshark does not analyse their TCP header, nwcap reads it (a segment without payload, here counted as duplicate ACKs)";

/// Files whose counts differ from tshark's, and why.
const EXPLAINED: &[(&str, &str)] = &[
    (
        "suricata_syn_retransmit_with_ts.pcap",
        "one direction carries a VLAN tag, the other none: nwcap keys flows by VLAN (as Zeek's VLAN-aware key does), so the two directions are two flows and the rules that look at the other direction (out-of-order, fast retransmission) see no peer",
    ),
    (
        "cisco-fabric-path.pcap",
        "tshark does not decode Cisco FabricPath (ethertype 0x8903): nwcap sees the encapsulated copies of the trace's SYNs as well and marks them retransmissions",
    ),
    (
        "msnetcaps_MS-RMSOD_Example2_Win2016_X64_Win10_X64_Domain_v-yvrich.cap",
        LSO,
    ),
    (
        "msnetcaps_MS-WMOD_Example2_WS2016_X64_Win10_X64_Domain_Hagala.cap",
        LSO,
    ),
    (
        "msnetcaps_MS-WMOD_Example4_WS2016_X64_Win10_X64_Domain_Hagala.cap",
        LSO,
    ),
    (
        "gtp-outer-ip-frag.pcap",
        "tshark reassembles the fragmented outer GTP datagrams and misses the segments whose fragments are incomplete (lost segments); nwcap reads each inner segment from the first fragment",
    ),
];

fn ours(c: &Counts) -> [u64; 8] {
    [
        c.retransmissions,
        c.fast_retransmissions,
        c.spurious_retransmissions,
        c.out_of_order,
        c.duplicate_acks,
        c.keep_alives,
        c.zero_windows,
        c.lost_segments,
    ]
}

fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Per field, the packets tshark marks; `None` when tshark cannot read the
/// file.
fn theirs(path: &Path) -> Option<[u64; 8]> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"])
        .arg(path)
        .args(["-Y", "tcp", "-T", "fields"]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().ok()?;
    if !out.status.success() {
        return None;
    }
    let mut n = [0u64; 8];
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        for (i, v) in line.split('\t').enumerate().take(8) {
            n[i] += u64::from(!v.is_empty());
        }
    }
    Some(n)
}

fn captures(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "pcap" || e == "pcapng" || e == "cap")
        })
        .collect();
    v.sort();
    v
}

#[test]
fn tcp_analysis_counts_match_tshark() {
    let Some(dir) = corpus() else { return };
    if !tshark_available() {
        println!("SKIPPED: tshark not installed; TCP analysis not compared");
        return;
    }
    let mut files = captures(&dir.join("files"));
    if let Some(z) = zeek_traces() {
        files.extend(captures(&z));
    }
    let (mut checked, mut explained) = (0, 0);
    let mut failures = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(cap) = Capture::open(&path) else {
            continue;
        };
        if cap.index().has_error() {
            continue;
        }
        let Some(want) = theirs(&path) else {
            continue;
        };
        let mut out = Collect::default();
        run(
            &[Group::new([path.clone()])],
            &Settings::default(),
            None,
            &mut out,
        )
        .unwrap();
        let mut got = [0u64; 8];
        for f in &out.flows {
            for (g, v) in got.iter_mut().zip(ours(&f.analysis())) {
                *g += v;
            }
        }
        checked += 1;
        let why = EXPLAINED.iter().find(|e| e.0 == name);
        match (got == want, why) {
            (true, None) => {}
            (true, Some(_)) => {
                failures.push(format!("{name}: now equal, remove it from EXPLAINED"))
            }
            (false, Some((_, why))) => {
                explained += 1;
                println!("{name}: nwcap {got:?}, tshark {want:?}: {why}");
            }
            (false, None) => failures.push(format!("{name}: nwcap {got:?}, tshark {want:?}")),
        }
    }
    println!("{checked} captures compared with tshark, {explained} explained differences");
    assert!(checked >= 100, "only {checked} captures compared");
    assert!(
        failures.is_empty(),
        "{} captures differ (fields: {FIELDS:?}):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
