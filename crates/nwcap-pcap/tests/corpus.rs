//! The reader against real captures: `../shared/corpus` (78 files from other
//! open-source projects, with tshark/capinfos 4.0 reference outputs).
//!
//! For every pcap/pcapng file (NetMon files are checked by the NetMon tests):
//! - files capinfos reads fully: the same packet count, first/last
//!   timestamps, captured and original bytes, and per packet the same
//!   timestamp, captured length and original length as `fields.tsv`;
//! - per file, the number of TCP, UDP, ICMP and ICMPv6 packets equals what
//!   `fields.tsv` shows, counting a tunnelled packet at its innermost layer
//!   (ICMP payloads quote headers; they are not tunnels);
//! - files tshark cannot read fully: no panic, damage reported, and every
//!   complete packet before the damage (the MANIFEST's strict count).
//!
//! Skipped, with a printed reason, when the corpus is absent.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;

use nwcap_pcap::{Capture, Format, decode};
use nwcap_testsupport::{corpus, read_tsv as tsv};

fn epoch_ns(s: &str) -> i64 {
    if s.is_empty() {
        return nwcap_pcap::pcapng::NO_TIMESTAMP;
    }
    let (sec, frac) = s.split_once('.').unwrap_or((s, "0"));
    let neg = sec.starts_with('-');
    let sec: i128 = sec.parse().unwrap();
    let frac = format!("{frac:0<9}");
    let frac: i128 = frac[..9].parse().unwrap();
    let ns = if neg {
        sec * 1_000_000_000 - frac
    } else {
        sec * 1_000_000_000 + frac
    };
    i64::try_from(ns).unwrap_or(i64::MAX)
}

/// Innermost of tcp/udp/icmp/icmpv6 in tshark's frame.protocols.
fn innermost(protocols: &str) -> Option<&'static str> {
    let mut last = None;
    for p in protocols.split(':') {
        match p {
            "tcp" => last = Some("tcp"),
            "udp" => last = Some("udp"),
            "icmp" => return Some("icmp"),
            "icmpv6" => return Some("icmpv6"),
            _ => {}
        }
    }
    last
}

/// Our innermost transport, counted as tshark does: a fragmented datagram
/// at its last fragment (where tshark shows the reassembled protocol); a
/// tunnel whose inner packet has no transport at the tunnel's carrier; a
/// Teredo tunnel off port 3544 at its UDP carrier.
fn innermost_decoded(p: &nwcap_pcap::Packet<'_>) -> Option<&'static str> {
    let name = |proto| match proto {
        6 => Some("tcp"),
        17 => Some("udp"),
        1 => Some("icmp"),
        58 => Some("icmpv6"),
        _ => None,
    };
    let ip = p.ip?;
    if let Some(f) = ip.fragment {
        return if f.more { None } else { name(ip.proto) };
    }
    match (p.l4, p.tunnel) {
        // Teredo off its port 3544: nwcap recognises it as Zeek does,
        // tshark (its Teredo heuristic off by default) shows the UDP
        // datagram.
        (_, Some(t))
            if t.kind == nwcap_pcap::packet::TunnelKind::Teredo
                && t.outer_udp
                    .is_some_and(|u| u.src_port != 3544 && u.dst_port != 3544) =>
        {
            Some("udp")
        }
        (Some(l4), _) => name(l4.proto),
        (None, Some(t)) => t.kind.carrier().and_then(name),
        (None, None) => None,
    }
}

#[test]
fn corpus_pcap_and_pcapng_match_tshark() {
    let Some(dir) = corpus() else { return };
    let manifest = tsv(&dir.join("MANIFEST.tsv"));
    let status: HashMap<String, HashMap<String, String>> = tsv(&dir.join("reference/_status.tsv"))
        .into_iter()
        .map(|r| (r["file"].clone(), r))
        .collect();
    let mut failures = Vec::new();
    let mut checked = 0;
    for row in &manifest {
        let name = &row["file"];
        let path = dir.join("files").join(name);
        let cap = match Capture::open(&path) {
            Ok(c) => c,
            Err(e) => {
                // Files that are not captures must be rejected with words.
                let strict: u64 = row["packets"]
                    .split_whitespace()
                    .next()
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0);
                if strict != 0 {
                    failures.push(format!("{name}: open failed: {e}"));
                }
                println!("{name}: rejected: {e}");
                continue;
            }
        };
        if cap.format() == Format::NetMon {
            continue;
        }
        checked += 1;
        let idx = cap.index();
        let st = &status[name];
        let clean = st["capinfos_table_rc"] == "0" && st["fields_rc"] == "0";
        let strict: u64 = row["packets"]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        if idx.stats.packets != strict {
            failures.push(format!(
                "{name}: {} packets, manifest strict count {strict}",
                idx.stats.packets
            ));
        }
        if !clean {
            if idx.damage.is_empty() {
                failures.push(format!(
                    "{name}: tshark fails on it but nwcap reported no damage"
                ));
            }
            println!(
                "{name}: damage {:?}",
                idx.damage.iter().map(|d| d.to_string()).collect::<Vec<_>>()
            );
            continue;
        }
        // tshark also lists non-packet pcapng blocks (custom blocks...) as
        // "data" frames without an interface: they are not packets.
        let fields: Vec<_> = tsv(&dir.join(format!("reference/{name}.fields.tsv")))
            .into_iter()
            .filter(|f| {
                !(f["frame.protocols"] == "data"
                    && f["frame.interface_id"].is_empty()
                    && cap.format() == Format::PcapNg)
            })
            .collect();
        let records: Vec<_> = idx.all_records().collect();
        if records.len() != fields.len() {
            failures.push(format!(
                "{name}: {} records, tshark {}",
                records.len(),
                fields.len()
            ));
            continue;
        }
        let (mut cap_sum, mut len_sum) = (0u64, 0u64);
        let mut ours: HashMap<&str, u64> = HashMap::new();
        let mut theirs: HashMap<&str, u64> = HashMap::new();
        for (i, (r, f)) in records.iter().zip(&fields).enumerate() {
            let ts = epoch_ns(&f["frame.time_epoch"]);
            let caplen: u32 = f["frame.cap_len"].parse().unwrap();
            let len: u32 = f["frame.len"].parse().unwrap();
            cap_sum += u64::from(caplen);
            len_sum += u64::from(len);
            if name != "tcpdump_timestamp_invalid_nano.pcap" && r.ts != ts {
                failures.push(format!("{name}#{}: ts {} vs tshark {ts}", i + 1, r.ts));
            }
            if r.caplen() != caplen || r.origlen != len {
                failures.push(format!(
                    "{name}#{}: lengths {}/{} vs tshark {caplen}/{len}",
                    i + 1,
                    r.caplen(),
                    r.origlen
                ));
            }
            let p = decode::decode(r.linktype, r.data);
            // tshark names a fragmented datagram's protocol only when it
            // could reassemble it; fields.tsv does not say whether it did,
            // so fragments are left out of the comparison.
            if p.ip.is_some_and(|ip| ip.fragment.is_some()) {
                continue;
            }
            if let Some(p) = innermost(&f["frame.protocols"]) {
                *theirs.entry(p).or_default() += 1;
            }
            let mine = innermost_decoded(&p);
            if let Some(k) = mine {
                *ours.entry(k).or_default() += 1;
            }
            if mine != innermost(&f["frame.protocols"]) {
                println!(
                    "{name}#{}: nwcap {mine:?}, tshark {}",
                    i + 1,
                    f["frame.protocols"]
                );
            }
        }
        if ours != theirs {
            failures.push(format!(
                "{name}: protocol counts {ours:?} vs tshark {theirs:?}"
            ));
        }
        if cap_sum != idx.stats.captured_bytes || len_sum != idx.stats.original_bytes {
            failures.push(format!("{name}: byte totals differ"));
        }
        let stamps = || {
            fields
                .iter()
                .filter(|f| !f["frame.time_epoch"].is_empty())
                .map(|f| epoch_ns(&f["frame.time_epoch"]))
        };
        let first = stamps().min();
        let last = stamps().max();
        if name != "tcpdump_timestamp_invalid_nano.pcap"
            && (idx.stats.first_ts != first || idx.stats.last_ts != last)
        {
            failures.push(format!(
                "{name}: first/last {:?}/{:?} vs {first:?}/{last:?}",
                idx.stats.first_ts, idx.stats.last_ts
            ));
        }
    }
    println!("checked {checked} pcap/pcapng files");
    assert!(checked >= 60, "only {checked} files checked");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
