//! The real captures of the shared corpus: for a set of filters, `nwcap
//! filter` keeps exactly the packets the equivalent tshark display filter
//! keeps, worked out from the reference `F.fields.tsv` (tshark 4.0) at the
//! innermost layer, as nwcap matches; and tshark reads the outputs.
//!
//! IP fragments are left out of the comparison: tshark names a fragmented
//! datagram's ports only on the fragment that completes it, nwcap on the
//! first one (which carries them). So is Teredo off port 3544, which
//! nwcap decapsulates and tshark does not.

use std::collections::HashMap;
use std::net::IpAddr;

use nwcap_testsupport::{corpus, tsv};

use super::{TempDir, nwcap, read, s, tshark, tshark_agrees};

/// What tshark shows of a packet's innermost IP layer and its transport.
#[derive(Debug, Default)]
struct Inner {
    addrs: Option<(IpAddr, IpAddr)>,
    l4: Option<&'static str>,
    ports: Option<(u16, u16)>,
    /// tshark saw TCP/UDP but could not read its ports (malformed, e.g.
    /// an IPv6 payload length of 0 from segmentation offload).
    unreadable: bool,
}

/// The k-th comma-joined value of a field.
fn nth(row: &HashMap<String, String>, field: &str, k: usize) -> Option<String> {
    row.get(field)?.split(',').nth(k).map(str::to_string)
}

/// Innermost IP layer from `frame.protocols` (an ICMP message ends the
/// walk: the headers it quotes are not a tunnel), its addresses from the
/// matching occurrence of ip.src/ipv6.src, its transport the first
/// tcp/udp/icmp after it.
fn inner(row: &HashMap<String, String>) -> Inner {
    let chain: Vec<&str> = row["frame.protocols"].split(':').collect();
    let (mut n_ip, mut n_ip6, mut n_tcp, mut n_udp) = (0, 0, 0, 0);
    let mut out = Inner::default();
    let mut l4_seen = false;
    for p in chain {
        match p {
            "ip" | "ipv6" => {
                let (field, n) = if p == "ip" {
                    n_ip += 1;
                    ("ip", n_ip)
                } else {
                    n_ip6 += 1;
                    ("ipv6", n_ip6)
                };
                let src = nth(row, &format!("{field}.src"), n - 1).and_then(|a| a.parse().ok());
                let dst = nth(row, &format!("{field}.dst"), n - 1).and_then(|a| a.parse().ok());
                out = Inner {
                    addrs: src.zip(dst),
                    ..Inner::default()
                };
                l4_seen = false;
            }
            "tcp" | "udp" => {
                let n = if p == "tcp" {
                    n_tcp += 1;
                    n_tcp
                } else {
                    n_udp += 1;
                    n_udp
                };
                if !l4_seen {
                    l4_seen = true;
                    out.l4 = Some(if p == "tcp" { "tcp" } else { "udp" });
                    let sp = nth(row, &format!("{p}.srcport"), n - 1).and_then(|v| v.parse().ok());
                    let dp = nth(row, &format!("{p}.dstport"), n - 1).and_then(|v| v.parse().ok());
                    out.ports = sp.zip(dp);
                    out.unreadable = out.ports.is_none();
                }
            }
            "icmp" | "icmpv6" => {
                if !l4_seen {
                    out.l4 = Some("icmp");
                }
                break;
            }
            _ => {}
        }
    }
    out
}

struct Case {
    name: &'static str,
    args: Vec<String>,
    keep: Box<dyn Fn(&Inner) -> bool>,
}

fn cases(addr: Option<IpAddr>) -> Vec<Case> {
    let mut v = vec![
        Case {
            name: "tcp",
            args: vec!["--protocol".into(), "TCP".into()],
            keep: Box::new(|i: &Inner| i.addrs.is_some() && i.l4 == Some("tcp")),
        },
        Case {
            name: "udp53",
            args: vec![
                "--protocol".into(),
                "udp".into(),
                "--remote-port".into(),
                "53".into(),
            ],
            keep: Box::new(|i: &Inner| {
                i.l4 == Some("udp") && i.ports.is_some_and(|(a, b)| a == 53 || b == 53)
            }),
        },
        Case {
            name: "ports",
            args: vec!["--local-port".into(), "1-1024".into()],
            keep: Box::new(|i: &Inner| {
                i.addrs.is_some()
                    && i.ports
                        .is_some_and(|(a, b)| (1..=1024).contains(&a) || (1..=1024).contains(&b))
            }),
        },
    ];
    if let Some(a) = addr {
        v.push(Case {
            name: "addr",
            args: vec!["--remote-ip".into(), a.to_string()],
            keep: Box::new(move |i: &Inner| i.addrs.is_some_and(|(s, d)| s == a || d == a)),
        });
    }
    v
}

#[test]
fn corpus_filters_keep_what_tshark_keeps() {
    let Some(dir) = corpus() else { return };
    let manifest = tsv(&std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("manifest"));
    let status: HashMap<String, HashMap<String, String>> =
        tsv(&std::fs::read_to_string(dir.join("reference/_status.tsv")).expect("status"))
            .into_iter()
            .map(|r| (r["file"].clone(), r))
            .collect();
    let tmp = TempDir::new("corpus");
    let with_tshark = tshark();
    if !with_tshark {
        println!("SKIPPED: tshark not installed; outputs not read back with tshark");
    }
    let (mut files, mut runs, mut kept_total, mut tshark_checked) = (0, 0, 0usize, 0);
    let mut failures = Vec::new();
    for row in &manifest {
        let name = &row["file"];
        let st = &status[name];
        if st["fields_rc"] != "0" || st["capinfos_table_rc"] != "0" {
            continue;
        }
        let path = dir.join("files").join(name);
        let Ok(cap) = nwcap_pcap::Capture::open(&path) else {
            continue;
        };
        let idx = cap.index();
        let records: Vec<_> = idx.all_records().collect();
        let fields: Vec<_> = tsv(&std::fs::read_to_string(
            dir.join(format!("reference/{name}.fields.tsv")),
        )
        .expect("fields"))
        .into_iter()
        .filter(|f| {
            !(f["frame.protocols"] == "data"
                && f["frame.interface_id"].is_empty()
                && cap.format() == nwcap_pcap::Format::PcapNg)
        })
        .collect();
        if records.len() != fields.len() {
            println!(
                "{name}: {} records, tshark {}: not compared",
                records.len(),
                fields.len()
            );
            continue;
        }
        files += 1;
        let inners: Vec<Inner> = fields.iter().map(inner).collect();
        // Fragments, and Teredo off its port 3544: nwcap decapsulates it (as
        // Zeek does), tshark does not (its Teredo heuristic is off by
        // default), so the innermost layers differ.
        let frag: Vec<bool> = records
            .iter()
            .map(|r| {
                let p = nwcap_pcap::decode::decode(r.linktype, r.data);
                let off_port_teredo = p.tunnel.is_some_and(|t| {
                    t.kind == nwcap_pcap::packet::TunnelKind::Teredo
                        && t.outer_udp
                            .is_some_and(|u| u.src_port != 3544 && u.dst_port != 3544)
                });
                p.ip.is_some_and(|ip| ip.fragment.is_some()) || off_port_teredo
            })
            .collect();
        let addr = inners.iter().find_map(|i| i.addrs.map(|a| a.0));
        for case in cases(addr) {
            let out = tmp.path(&format!("{name}.{}.out", case.name));
            let mut args: Vec<&str> = vec![s(&path), "-o", s(&out), "--quiet"];
            args.extend(case.args.iter().map(String::as_str));
            let res = nwcap(&args);
            runs += 1;
            if !res.status.success() {
                failures.push(format!(
                    "{name} {}: exit {:?}: {}",
                    case.name,
                    res.status,
                    String::from_utf8_lossy(&res.stderr)
                ));
                continue;
            }
            // Left out on both sides: fragments, and packets whose
            // transport tshark could not read.
            let skip: Vec<bool> = frag
                .iter()
                .zip(&inners)
                .map(|(f, i)| *f || i.unreadable)
                .collect();
            // A simple packet block has no time; re-encoded, it gets 0.
            let ts = |t: i64| {
                if t == nwcap_pcap::pcapng::NO_TIMESTAMP {
                    0
                } else {
                    t
                }
            };
            let want: Vec<(i64, Vec<u8>)> = records
                .iter()
                .zip(&inners)
                .zip(&skip)
                .filter(|((_, i), sk)| !**sk && (case.keep)(i))
                .map(|((r, _), _)| (ts(r.ts), r.data.to_vec()))
                .collect();
            let got_all = read(&out);
            // Outputs keep input order: walk the input alongside.
            let mut at = 0;
            let mut got = Vec::new();
            for (t, _, d) in &got_all {
                while at < records.len() && records[at].data != d.as_slice() {
                    at += 1;
                }
                if at == records.len() {
                    failures.push(format!(
                        "{name} {}: output record not in the input",
                        case.name
                    ));
                    break;
                }
                if !skip[at] {
                    got.push((ts(*t), d.clone()));
                }
                at += 1;
            }
            kept_total += got.len();
            if got != want {
                failures.push(format!(
                    "{name} {}: nwcap kept {} packets, tshark's fields say {}",
                    case.name,
                    got.len(),
                    want.len()
                ));
            }
            // tshark reads the invalid fractions of that file its own way.
            let odd_times = name == "tcpdump_timestamp_invalid_nano.pcap";
            if with_tshark && case.name == "tcp" && !got_all.is_empty() && !odd_times {
                tshark_agrees(&out);
                tshark_checked += 1;
            }
        }
    }
    println!(
        "{files} files, {runs} runs, {kept_total} packets kept, {tshark_checked} outputs read by tshark"
    );
    assert!(files >= 50, "only {files} corpus files compared");
    assert!(kept_total > 1000, "only {kept_total} packets kept in all");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
