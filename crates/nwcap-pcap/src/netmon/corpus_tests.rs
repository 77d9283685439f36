//! The real NetMon captures of the shared corpus against their tshark 4.0 /
//! capinfos references: packet count, per-packet time, captured and original
//! length, first/last time, data size, and the frames tshark shows with a
//! "Network Monitor Header" (the ones carrying a comment).

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use nwcap_testsupport::corpus;

use super::NetmonFile;
use crate::record::LinkType;

/// "1470649439.059683900" -> ns.
fn epoch_ns(s: &str) -> i64 {
    let s = s.trim().trim_matches('"');
    let (secs, frac) = s.split_once('.').unwrap_or((s, "0"));
    let mut frac = frac.to_string();
    frac.truncate(9);
    while frac.len() < 9 {
        frac.push('0');
    }
    secs.parse::<i64>().unwrap() * 1_000_000_000 + frac.parse::<i64>().unwrap()
}

/// Split one CSV line of quoted fields (no embedded quotes in these files).
fn csv(line: &str) -> Vec<String> {
    line.split("\",\"")
        .map(|f| f.trim().trim_matches('"').to_string())
        .collect()
}

#[test]
fn corpus_netmon_files_match_tshark() {
    let Some(dir) = corpus() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("files"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with("msnetcaps_") && n.ends_with(".cap")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no msnetcaps_*.cap in the corpus");
    let mut total = 0usize;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let reference = |suffix: &str| {
            std::fs::read_to_string(dir.join("reference").join(format!("{name}.{suffix}"))).unwrap()
        };
        let bytes = std::fs::read(path).unwrap();
        let nm = NetmonFile::parse(&bytes).unwrap();
        assert!(nm.damage().is_empty(), "{name}: {:?}", nm.damage());
        assert_eq!(nm.version(), (2, 3), "{name}");

        // Per packet: time, cap_len, len; and which frames carry a comment.
        let fields = reference("fields.tsv");
        let rows: Vec<Vec<&str>> = fields
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect())
            .collect();
        assert_eq!(nm.frame_count(), rows.len(), "{name}: packet count");
        let mut commented = vec![false; nm.frame_count()];
        for c in nm.comments() {
            commented[c.frame_index.unwrap()] = true;
        }
        let mut data_size = 0u64;
        for (i, row) in rows.iter().enumerate() {
            let r = nm.frame(i).unwrap();
            assert_eq!(r.ts, epoch_ns(row[1]), "{name}: frame {} time", i + 1);
            assert_eq!(
                r.data.len().to_string(),
                row[3],
                "{name}: frame {} cap_len",
                i + 1
            );
            assert_eq!(r.origlen.to_string(), row[4], "{name}: frame {} len", i + 1);
            let protocols = row[5];
            assert_eq!(
                commented[i],
                protocols.starts_with("netmon_header"),
                "{name}: frame {} comment",
                i + 1
            );
            let eth = protocols.contains("eth:");
            assert_eq!(
                r.linktype == LinkType::ETHERNET,
                eth,
                "{name}: frame {}",
                i + 1
            );
            assert_eq!(nm.interfaces()[r.interface as usize], r.linktype);
            data_size += r.data.len() as u64;
        }

        // File level: capinfos -A -T -m.
        let table = reference("capinfos_table.csv");
        let mut lines = table.lines();
        let head = csv(lines.next().unwrap());
        let vals = csv(lines.next().unwrap());
        let get = |k: &str| vals[head.iter().position(|h| h == k).unwrap()].clone();
        assert_eq!(
            get("Number of packets"),
            nm.frame_count().to_string(),
            "{name}"
        );
        assert_eq!(get("Data size (bytes)"), data_size.to_string(), "{name}");
        let first = nm.frame(0).unwrap().ts;
        let last = nm.frame(nm.frame_count() - 1).unwrap().ts;
        assert_eq!(first, epoch_ns(&get("Start time")), "{name}: first packet");
        assert_eq!(last, epoch_ns(&get("End time")), "{name}: last packet");
        // The capture start (2.3 extended info) is the origin of every
        // frame's time offset: start + offset is the frame's UTC time, to
        // the offset's microsecond. It is not always the first frame's
        // time: in the CePark capture the first frames carry offsets of
        // -0.27 s (NetMon buffered them before the start it recorded), and
        // tshark, like nwcap, dates them by their UTC FILETIME.
        for i in 0..nm.frame_count() {
            let info = nm.frame_info(i).unwrap();
            let offset_ns = (info.time_offset_us as i64) * 1000;
            let ts = nm.frame(i).unwrap().ts;
            assert!(
                (nm.start_time_ns() + offset_ns - ts).abs() < 1000,
                "{name}: frame {} at {ts}, start {} + offset {offset_ns} ns",
                i + 1,
                nm.start_time_ns()
            );
        }

        // capinfos -M: "Network Monitor Header (N)" = frames with a comment.
        let info = reference("capinfos.txt");
        let headers = info
            .lines()
            .find_map(|l| l.trim().strip_prefix("Network Monitor Header ("))
            .map_or(0, |n| n.trim_end_matches(')').parse::<usize>().unwrap());
        assert_eq!(nm.comments().len(), headers, "{name}: comments");
        total += nm.frame_count();
    }
    println!(
        "{} NetMon corpus files, {total} frames match tshark",
        files.len()
    );
}

/// Equivalence and speed against a pcap and its `editcap -F netmon2` copy:
/// `NWCAP_NETMON_PCAP=/tmp/s.pcap NWCAP_NETMON_CAP=/tmp/s.cap cargo test
/// --release -p nwcap-pcap netmon_vs_pcap -- --ignored --nocapture`.
#[test]
#[ignore = "needs a pcap and its editcap netmon2 copy (env vars)"]
fn netmon_vs_pcap() {
    use std::time::Instant;
    let (Ok(pcap_path), Ok(cap_path)) = (
        std::env::var("NWCAP_NETMON_PCAP"),
        std::env::var("NWCAP_NETMON_CAP"),
    ) else {
        println!("skipped: set NWCAP_NETMON_PCAP and NWCAP_NETMON_CAP");
        return;
    };
    let pcap_bytes = std::fs::read(pcap_path).unwrap();
    let cap_bytes = std::fs::read(cap_path).unwrap();
    let mut warnings = Vec::new();
    let ph = crate::pcap::parse_header(&pcap_bytes, &mut warnings).unwrap();
    let read_pcap = || {
        let mut out = Vec::new();
        let mut pos = 24;
        while let crate::pcap::Step::Record(r, next) = ph.step(&pcap_bytes, pos) {
            out.push(r);
            pos = next;
        }
        out
    };
    let pcap_records = read_pcap();
    let nm = NetmonFile::parse(&cap_bytes).unwrap();
    assert_eq!(nm.frame_count(), pcap_records.len());
    for (i, p) in pcap_records.iter().enumerate() {
        let r = nm.frame(i).unwrap();
        // editcap keeps µs (rounded) relative to a ms-truncated start.
        assert_eq!(r.ts, (p.ts + 500) / 1000 * 1000, "frame {}", i + 1);
        assert_eq!(
            (r.data, r.origlen, r.linktype),
            (p.data, p.origlen, p.linktype)
        );
    }
    let best = |f: &dyn Fn() -> u64| {
        (0..7)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min)
    };
    let pcap_s = best(&|| {
        let mut sum = 0u64;
        let mut pos = 24;
        while let crate::pcap::Step::Record(r, next) = ph.step(&pcap_bytes, pos) {
            sum = sum.wrapping_add(r.ts as u64 ^ u64::from(r.origlen) ^ r.data.len() as u64);
            pos = next;
        }
        sum
    });
    let parse_s = best(&|| NetmonFile::parse(&cap_bytes).unwrap().frame_count() as u64);
    let frames_s = best(&|| {
        let mut sum = 0u64;
        for i in 0..nm.frame_count() {
            if let Ok(r) = nm.frame(i) {
                sum = sum.wrapping_add(r.ts as u64 ^ u64::from(r.origlen) ^ r.data.len() as u64);
            }
        }
        sum
    });
    let n = pcap_records.len() as f64;
    println!(
        "{} records: pcap {:.1} ms ({:.1} ns/rec); netmon parse {:.1} ms + frames {:.1} ms ({:.1} ns/rec), ratio {:.2}",
        pcap_records.len(),
        pcap_s * 1e3,
        pcap_s * 1e9 / n,
        parse_s * 1e3,
        frames_s * 1e3,
        (parse_s + frames_s) * 1e9 / n,
        (parse_s + frames_s) / pcap_s
    );
}
