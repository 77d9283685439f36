//! Flows against tshark on every capture of the shared corpus that tshark
//! reads fully (pcap, pcapng and Network Monitor): summing our flows by
//! (protocol, endpoints, ports) gives exactly the packet and frame-byte
//! totals that tshark's `fields.tsv` gives for the same grouping, for TCP and
//! UDP over IPv4 and IPv6; tunnelled packets are compared at their innermost
//! layer (tshark's fields are comma-joined, outermost first).
//!
//! Left out, with the reason printed: files with IP fragments (tshark
//! names a fragmented datagram's ports only where it reassembled it; we put
//! every fragment in its flow) and packets tshark shows inside ICMP errors
//! (quoted headers, not traffic), and tunnel packets whose inner IP packet
//! has no transport (Teredo bubbles: nwcap puts them in the inner flow,
//! which has no ports, tshark's innermost TCP/UDP layer is the outer one).
//! IPv6 packets with payload length 0
//! (large-send offload) are decoded by nwcap and not by tshark: for them the
//! ports come from nwcap's decode. Skipped with a `SKIPPED:` line when the
//! corpus is absent.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use nwcap_engine::{Collect, Group, Settings, run};
use nwcap_pcap::Capture;
use nwcap_testsupport::{corpus, read_tsv as tsv};

type Key = (u8, (IpAddr, u16), (IpAddr, u16));

/// UDP ports on which tshark 4.0 decapsulates tunnels (VXLAN, Geneve,
/// Teredo, GTP-U, AYIYA, GRE in UDP).
const TSHARK_TUNNEL_PORTS: [u16; 6] = [4789, 6081, 3544, 2152, 5072, 4754];

fn key(proto: u8, a: (IpAddr, u16), b: (IpAddr, u16)) -> Key {
    if a <= b { (proto, a, b) } else { (proto, b, a) }
}

fn last(s: &str) -> &str {
    s.rsplit(',').next().unwrap_or("")
}

/// tshark's view of one packet: innermost TCP/UDP key, unless the packet
/// is ICMP (or carries TCP/UDP only quoted inside ICMP).
fn theirs(f: &HashMap<String, String>) -> Option<Key> {
    let protos: Vec<&str> = f["frame.protocols"].split(':').collect();
    if protos.iter().any(|p| *p == "icmp" || *p == "icmpv6") {
        return None;
    }
    let l4 = protos.iter().rposition(|p| *p == "tcp" || *p == "udp")?;
    // A tunnel whose inner IP packet carries no transport (a Teredo
    // "bubble"): nwcap counts it in the inner flow, which has no ports.
    if protos[l4 + 1..].iter().any(|p| *p == "ip" || *p == "ipv6") {
        return None;
    }
    let ip = protos[..l4]
        .iter()
        .rposition(|p| *p == "ip" || *p == "ipv6")?;
    let (src, dst) = if protos[ip] == "ip" {
        (last(&f["ip.src"]), last(&f["ip.dst"]))
    } else {
        (last(&f["ipv6.src"]), last(&f["ipv6.dst"]))
    };
    let (proto, sp, dp) = if protos[l4] == "tcp" {
        (6, last(&f["tcp.srcport"]), last(&f["tcp.dstport"]))
    } else {
        (17, last(&f["udp.srcport"]), last(&f["udp.dstport"]))
    };
    Some(key(
        proto,
        (src.parse().ok()?, sp.parse().ok()?),
        (dst.parse().ok()?, dp.parse().ok()?),
    ))
}

#[test]
fn flow_totals_match_tshark_on_every_clean_corpus_file() {
    let Some(dir) = corpus() else { return };
    let status: HashMap<String, HashMap<String, String>> = tsv(&dir.join("reference/_status.tsv"))
        .into_iter()
        .map(|r| (r["file"].clone(), r))
        .collect();
    let features: HashMap<String, HashMap<String, String>> =
        tsv(&dir.join("reference/_features.tsv"))
            .into_iter()
            .map(|r| (r["file"].clone(), r))
            .collect();
    let mut failures = Vec::new();
    let (mut checked, mut netmon) = (0, 0);
    for row in tsv(&dir.join("MANIFEST.tsv")) {
        let name = &row["file"];
        let st = &status[name];
        if st["fields_rc"] != "0" || st["capinfos_table_rc"] != "0" {
            continue;
        }
        let feat = &features[name];
        if feat["ipv4_frag"] != "0" || feat["ipv6_frag"] != "0" {
            println!("{name}: left out (IP fragments)");
            continue;
        }
        let Ok(cap) = Capture::open(dir.join("files").join(name)) else {
            failures.push(format!("{name}: does not open"));
            continue;
        };
        let idx = [cap.index()];
        let mut out = Collect::default();
        let path = dir.join("files").join(name);
        run(&[Group::new([path])], &Settings::default(), None, &mut out).unwrap();
        let mut ours: BTreeMap<Key, (u64, u64)> = BTreeMap::new();
        for f in &out.flows {
            if f.key.proto != 6 && f.key.proto != 17 {
                continue;
            }
            let (Some(op), Some(rp)) = (f.orig_p(), f.resp_p()) else {
                continue;
            };
            // A packet tunnelled in UDP counts in its outer flow too (as
            // in Zeek); tshark counts it once, innermost, unless the
            // tunnel is Teredo off port 3544, which tshark does not
            // decapsulate (its heuristic is off by default).
            let tshark_decapsulates = |p: u16| TSHARK_TUNNEL_PORTS.contains(&p);
            let off_port_teredo = |f: &nwcap_flows::Flow| {
                f.key
                    .tunnel
                    .is_some_and(|t| t.kind == nwcap_pcap::packet::TunnelKind::Teredo)
                    && f.tunnel_parents().iter().all(|p| {
                        !tshark_decapsulates(p.key.a_port) && !tshark_decapsulates(p.key.b_port)
                    })
            };
            if off_port_teredo(f) {
                continue;
            }
            let (pkts, bytes) = if tshark_decapsulates(op) || tshark_decapsulates(rp) {
                (f.carried, f.carried_bytes)
            } else {
                (0, 0)
            };
            let e = ours
                .entry(key(f.key.proto, (f.orig_h(), op), (f.resp_h(), rp)))
                .or_default();
            e.0 += f.orig.pkts + f.resp.pkts - pkts;
            e.1 += f.orig.bytes + f.resp.bytes - bytes;
        }
        ours.retain(|_, v| v.0 > 0);
        let mut want: BTreeMap<Key, (u64, u64)> = BTreeMap::new();
        let records: Vec<_> = idx[0].all_records().collect();
        for (i, f) in tsv(&dir.join(format!("reference/{name}.fields.tsv")))
            .into_iter()
            .enumerate()
        {
            // Large-send offload on Windows hosts writes IPv6 packets with
            // payload length 0; tshark stops at the IPv6 header or shows a TCP
            // layer without ports, nwcap reads the TCP/UDP header that follows. For those rows tshark's
            // addresses are taken with nwcap's ports.
            let lso = theirs(&f).is_none()
                && !f["frame.protocols"].contains("icmp")
                && matches!(last(&f["ipv6.nxt"]), "6" | "17");
            let k = if lso {
                let p = nwcap_pcap::decode::decode(records[i].linktype, records[i].data);
                let (Some(l4), Some(ip)) = (p.l4, p.ip) else {
                    continue;
                };
                Some(key(l4.proto, (ip.src, l4.src_port), (ip.dst, l4.dst_port)))
                    .filter(|_| ip.src.to_string() == last(&f["ipv6.src"]))
            } else {
                theirs(&f)
            };
            if let Some(k) = k {
                let e = want.entry(k).or_default();
                e.0 += 1;
                e.1 += f["frame.len"].parse::<u64>().unwrap();
            }
        }
        if ours != want {
            let diff: Vec<String> = ours
                .iter()
                .filter(|(k, v)| want.get(k) != Some(v))
                .map(|(k, v)| format!("{k:?}: nwcap {v:?} tshark {:?}", want.get(k)))
                .chain(
                    want.iter()
                        .filter(|(k, _)| !ours.contains_key(k))
                        .map(|(k, v)| format!("{k:?}: nwcap none, tshark {v:?}")),
                )
                .take(5)
                .collect();
            failures.push(format!(
                "{name}: {} groups vs {}: {}",
                ours.len(),
                want.len(),
                diff.join("; ")
            ));
        }
        checked += 1;
        netmon += usize::from(name.ends_with(".cap") && name.starts_with("msnetcaps_"));
    }
    println!("checked {checked} files ({netmon} NetMon)");
    assert!(checked >= 50, "only {checked} files checked");
    assert!(
        failures.is_empty(),
        "{} files differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
