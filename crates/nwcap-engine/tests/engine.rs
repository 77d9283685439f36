//! The engine on captures built here: thread counts and block sizes, files
//! out of order, pipes, filters and their counts, damage, a failing sink,
//! flows leaving as they end.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};

use nwcap_engine::{Collect, FlowSink, Group, GroupInfo, Input, Settings, SinkError, run};
use nwcap_flows::{Flow, all_columns, ident::uid};
use nwcap_testsupport::packets::{
    ACK, ETHERTYPE_IPV4, PCAP_HEADER, PSH, SYN, TCP, eth, ipv4, push_record, tcp_seq,
};

/// A TCP/IPv4 Ethernet frame of flow `i`, packet `n` of that flow (0: SYN,
/// 1: SYN-ACK, then data both ways).
fn frame(i: u32, n: u32) -> Vec<u8> {
    let payload = vec![b'a'; 60 + (i * 37 + n * 11) as usize % 1400];
    let c = [10, 1, (i >> 8) as u8, i as u8];
    let s = [10, 2, 0, (i % 7) as u8];
    let (src, dst, sp, dp) = if n.is_multiple_of(2) {
        (c, s, 1024 + i as u16, 80u16)
    } else {
        (s, c, 80, 1024 + i as u16)
    };
    let flags = match n {
        0 => SYN,
        1 => SYN | ACK,
        _ => PSH | ACK,
    };
    let seq = n * 1000 + 1;
    let seg = tcp_seq(sp, dp, flags, seq, seq, &payload);
    eth(None, ETHERTYPE_IPV4, &ipv4(src, dst, TCP, &seg))
}

/// A pcap of `packets` packets over `flows` flows, one packet every `gap_us`
/// from `t0` seconds, packets `skip..` of the sequence.
fn pcap_bytes(packets: u32, flows: u32, gap_us: u64, t0: u32, skip: u32) -> Vec<u8> {
    let mut out = PCAP_HEADER.to_vec();
    let mut counts = vec![0u32; flows as usize];
    for k in 0..skip + packets {
        let i = (k * 7919) % flows;
        let f = frame(i, counts[i as usize]);
        counts[i as usize] += 1;
        if k >= skip {
            push_record(
                &mut out,
                u64::from(t0) * 1_000_000 + u64::from(k) * gap_us,
                &f,
            );
        }
    }
    out
}

/// Flows one after the other: flow `j` sends `per_flow` packets `gap_us`
/// apart, starting where flow `j - 1` ended.
fn sequential_bytes(flows: u32, per_flow: u32, gap_us: u64) -> Vec<u8> {
    let mut out = PCAP_HEADER.to_vec();
    let mut k = 0u64;
    for j in 0..flows {
        for n in 0..per_flow {
            push_record(&mut out, 1_700_000_000_000_000 + k * gap_us, &frame(j, n));
            k += 1;
        }
    }
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
}

fn flows(groups: &[Group], s: &Settings, threads: usize) -> (Vec<Flow>, nwcap_engine::RunReport) {
    pool(threads).install(|| {
        let mut c = Collect::default();
        let r = run(groups, s, None, &mut c).unwrap();
        (c.flows, r)
    })
}

fn uids(f: &[Flow]) -> Vec<String> {
    let mut u: Vec<String> = f.iter().map(|f| uid(&f.key, f.ts, f.orig_is_a)).collect();
    u.sort();
    u
}

#[test]
fn same_output_for_1_and_2_threads_and_any_block_size() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "a.pcap",
        &pcap_bytes(6000, 300, 1500, 1_700_000_000, 0),
    );
    let g = [Group::new([&p])];
    let base = flows(&g, &Settings::default(), 1);
    assert_eq!(base.0.len(), 300);
    assert_eq!(base.1.counts.read, 6000);
    for block in [700, 64 << 10] {
        let s = Settings {
            block_bytes: Some(block),
            ..Settings::default()
        };
        let one = flows(&g, &s, 1);
        let two = flows(&g, &s, 2);
        // The same rows in the same order for any thread count...
        assert_eq!(
            all_columns(&one.0, &Default::default()),
            all_columns(&two.0, &Default::default()),
            "block {block}"
        );
        assert_eq!(one.1, two.1);
        // ...and the same flows for any block size.
        assert_eq!(uids(&one.0), uids(&base.0), "block {block}");
    }
}

#[test]
fn files_given_out_of_order_are_one_capture_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let whole = pcap_bytes(3000, 50, 1000, 1_700_000_000, 0);
    let first = pcap_bytes(1500, 50, 1000, 1_700_000_000, 0);
    let second = pcap_bytes(1500, 50, 1000, 1_700_000_000, 1500);
    let w = write(dir.path(), "whole.pcap", &whole);
    let a = write(dir.path(), "part1.pcap", &first);
    let b = write(dir.path(), "part2.pcap", &second);
    let (one, _) = flows(&[Group::new([&w])], &Settings::default(), 2);
    // Given second file first: ordered by first record time.
    let (split, report) = flows(&[Group::new([&b, &a])], &Settings::default(), 2);
    assert_eq!(uids(&one), uids(&split));
    assert_eq!(report.files.len(), 2);
    assert_eq!(report.files[0].name, a.display().to_string());
    // A flow that crosses the files is one flow, its file the first.
    assert!(
        split
            .iter()
            .all(|f| f.file == 0 || f.orig.pkts + f.resp.pkts < 60)
    );
    // Two groups never share a flow: each file's flows stand alone.
    let (apart, _) = flows(
        &[Group::new([&a]), Group::new([&b])],
        &Settings::default(),
        2,
    );
    assert!(apart.len() > split.len());
}

#[test]
fn pipes_read_like_files() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = pcap_bytes(2000, 100, 1000, 1_700_000_000, 0);
    let p = write(dir.path(), "a.pcap", &bytes);
    let (want, _) = flows(&[Group::new([&p])], &Settings::default(), 2);
    // A FIFO, written by another thread.
    let fifo = dir.path().join("fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let writer = {
        let fifo = fifo.clone();
        let bytes = bytes.clone();
        std::thread::spawn(move || std::fs::write(fifo, bytes).unwrap())
    };
    let (got, report) = flows(&[Group::new([&fifo])], &Settings::default(), 2);
    writer.join().unwrap();
    assert_eq!(
        all_columns(&got, &Default::default()).len(),
        all_columns(&want, &Default::default()).len()
    );
    assert_eq!(uids(&got), uids(&want));
    assert_eq!(report.counts.read, 2000);
    assert!(!Input::Path(fifo).is_regular_file());
}

#[test]
fn filter_counts_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "a.pcap",
        &pcap_bytes(2000, 100, 1000, 1_700_000_000, 0),
    );
    let flags = nwcap_filter::FilterFlags {
        protocol: Some("TCP"),
        remote_ip: Some("10.2.0.3"),
        ..Default::default()
    };
    let set = nwcap_filter::FilterSet::new(flags.filter().unwrap().into_iter().collect(), None);
    let s = Settings {
        filter: Some(set),
        count_per_filter: true,
        ..Settings::default()
    };
    let (f, r) = flows(&[Group::new([&p])], &s, 2);
    let c = &r.counts;
    assert_eq!(c.read, 2000);
    assert_eq!(c.kept + c.dropped, c.read);
    assert_eq!(c.per_filter, vec![c.kept]);
    assert!(c.kept > 0 && c.dropped > 0);
    assert!(
        f.iter()
            .all(|f| f.key.a.to_string() == "10.2.0.3" || f.key.b.to_string() == "10.2.0.3")
    );
    assert_eq!(c.flow_packets, c.kept);
}

struct Failing(usize);

impl FlowSink for Failing {
    fn begin(&mut self, _: &GroupInfo) -> Result<(), SinkError> {
        Ok(())
    }
    fn flows(&mut self, batch: &mut Vec<Flow>) -> Result<(), SinkError> {
        self.0 += batch.len();
        Err("disk full".into())
    }
}

#[test]
fn a_failing_sink_stops_the_run_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "a.pcap",
        &pcap_bytes(2000, 100, 1000, 1_700_000_000, 0),
    );
    let mut sink = Failing(0);
    let err = run(&[Group::new([&p])], &Settings::default(), None, &mut sink).unwrap_err();
    assert_eq!(err.to_string(), "disk full");
    assert!(sink.0 > 0);
}

/// A sink that fails while flows are still being read stops the run at
/// that batch: no later batch reaches it, on any thread count.
#[test]
fn a_sink_failing_mid_input_gets_no_later_batch() {
    let dir = tempfile::tempdir().unwrap();
    // Flows end (TCP timeout) all along the input, block after block.
    let p = write(dir.path(), "long.pcap", &sequential_bytes(4000, 10, 30_000));
    let s = Settings {
        block_bytes: Some(256 << 10),
        ..Settings::default()
    };
    struct FailFirst(usize);
    impl FlowSink for FailFirst {
        fn flows(&mut self, _: &mut Vec<Flow>) -> Result<(), SinkError> {
            self.0 += 1;
            Err("disk full".into())
        }
    }
    for threads in [1, 2] {
        let mut sink = FailFirst(0);
        let err = pool(threads)
            .install(|| run(&[Group::new([&p])], &s, None, &mut sink))
            .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(sink.0, 1, "{threads} threads: batches after the failed one");
    }
}

#[test]
fn flows_leave_as_they_end_and_damage_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    // 20 minutes of traffic, one flow after the other: most flows end
    // (TCP timeout) long before the input does.
    let mut bytes = sequential_bytes(4000, 10, 30_000);
    bytes.truncate(bytes.len() - 37);
    let p = write(dir.path(), "long.pcap", &bytes);
    struct Batches(Vec<usize>);
    impl FlowSink for Batches {
        fn flows(&mut self, b: &mut Vec<Flow>) -> Result<(), SinkError> {
            self.0.push(b.len());
            Ok(())
        }
    }
    let mut b = Batches(Vec::new());
    let s = Settings {
        block_bytes: Some(1 << 20),
        ..Settings::default()
    };
    let r = run(&[Group::new([&p])], &s, None, &mut b).unwrap();
    assert!(b.0.len() > 3, "batches {:?}", b.0);
    assert_eq!(b.0.iter().sum::<usize>() as u64, r.flows);
    let f = &r.files[0];
    assert_eq!(f.records, 39_999);
    assert!(!r.damaged(), "a cut tail is a warning");
    assert_eq!(f.damage.len(), 1);
    assert!(f.damage[0].message.contains("left over"));
    // A missing input is reported, the others still read.
    let missing = dir.path().join("missing.pcap");
    let (got, r) = flows(&[Group::new([&missing, &p])], &Settings::default(), 2);
    assert!(!got.is_empty());
    assert!(r.damaged());
    assert!(r.files.iter().any(|f| {
        f.error
            .as_deref()
            .is_some_and(|e| e.contains("missing.pcap"))
    }));
}

/// Damage in the middle of a file read in many blocks: the records before
/// it are read, counted and in flows, the damage is reported at its
/// offset, and nothing after it is read, whatever the block size and the
/// thread count.
#[test]
fn damage_mid_file_stops_the_file_at_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = sequential_bytes(4000, 10, 30_000);
    // The record header at the first record boundary past the middle
    // claims an impossible length.
    let (mut pos, mut before) = (24usize, 0u64);
    while pos < bytes.len() / 2 {
        let caplen = u32::from_le_bytes(bytes[pos + 8..pos + 12].try_into().unwrap());
        pos += 16 + caplen as usize;
        before += 1;
    }
    bytes[pos + 8..pos + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let p = write(dir.path(), "bad.pcap", &bytes);
    let g = [Group::new([&p])];
    let mut seen = Vec::new();
    for block in [4096, 64 << 10, 1 << 20] {
        let s = Settings {
            block_bytes: Some(block),
            ..Settings::default()
        };
        for threads in [1, 2] {
            let (got, r) = flows(&g, &s, threads);
            let f = &r.files[0];
            assert_eq!(f.records, before, "block {block}, {threads} threads");
            assert_eq!(r.counts.read, before);
            assert!(r.damaged());
            assert_eq!(f.damage.len(), 1, "{:?}", f.damage);
            assert_eq!(f.damage[0].offset, pos as u64);
            assert!(f.damage[0].message.contains("impossible length"));
            seen.push(uids(&got));
        }
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
    assert!(!seen[0].is_empty());
}

/// Counts records per file and kept ones, through the observer hook.
#[derive(Default)]
struct CountObserver(std::sync::Mutex<(Vec<u64>, u64)>);

struct CountTally(Vec<u64>, u64);

impl nwcap_engine::Tally for CountTally {
    fn record(
        &mut self,
        file: u32,
        _: &nwcap_pcap::Record<'_>,
        _: &nwcap_pcap::Packet<'_>,
        kept: bool,
    ) {
        let f = file as usize;
        if self.0.len() <= f {
            self.0.resize(f + 1, 0);
        }
        self.0[f] += 1;
        self.1 += u64::from(kept);
    }
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

impl nwcap_engine::Observer for CountObserver {
    fn tally(&self, _group: usize) -> Box<dyn nwcap_engine::Tally> {
        Box::new(CountTally(Vec::new(), 0))
    }
    fn merge(&self, t: Box<dyn nwcap_engine::Tally>) {
        let Ok(t) = t.into_any().downcast::<CountTally>() else {
            panic!("not my tally")
        };
        let mut m = self.0.lock().unwrap();
        if m.0.len() < t.0.len() {
            m.0.resize(t.0.len(), 0);
        }
        for (a, b) in m.0.iter_mut().zip(&t.0) {
            *a += b;
        }
        m.1 += t.1;
    }
}

#[test]
fn an_observer_sees_every_record_once_in_the_same_pass() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a.pcap",
        &pcap_bytes(1500, 50, 1000, 1_700_000_000, 0),
    );
    let b = write(
        dir.path(),
        "b.pcap",
        &pcap_bytes(1500, 50, 1000, 1_700_000_000, 1500),
    );
    let obs = std::sync::Arc::new(CountObserver::default());
    let flags = nwcap_filter::FilterFlags {
        remote_ip: Some("10.2.0.3"),
        ..Default::default()
    };
    let s = Settings {
        filter: Some(nwcap_filter::FilterSet::new(
            flags.filter().unwrap().into_iter().collect(),
            None,
        )),
        block_bytes: Some(4096),
        observer: Some(obs.clone()),
        ..Settings::default()
    };
    let (_, r) = flows(&[Group::new([&b, &a])], &s, 2);
    let m = obs.0.lock().unwrap();
    assert_eq!(m.0, vec![1500, 1500], "per file, in capture order");
    assert_eq!(m.1, r.counts.kept);
    assert_eq!(r.counts.read, 3000);
}
