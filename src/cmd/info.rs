//! `nwcap info`: the capinfos equivalent.
//!
//! Files are summarised in parallel (one rayon task per file; within a file
//! the index pass is a sequential hop over record headers, and `--decode`
//! decodes chunks in parallel). Output stays in argument order.
//!
//! The progress bar (on a terminal, for inputs over 64 MB) counts each
//! file's stored bytes once per pass over them: the index, `--decode`'s
//! census when done, and `--hash` as it reads.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use nwcap_pcap::census::{Census, census};
use nwcap_pcap::{Capture, Index, Input, Severity};
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::global::Global;
use crate::progress::Bar;
use nwcap_engine::Progress;
use nwcap_pcap::timefmt;

/// Arguments of `nwcap info`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Capture files (pcap, pcapng, gzip-compressed, NetMon 2.x); `-` is
    /// standard input (a pipe, a FIFO or `-` is read whole into memory).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Add the SHA-256 of each file (reads every byte; off by default).
    #[arg(long)]
    hash: bool,
    /// Decode every packet and count them by protocol.
    #[arg(long)]
    decode: bool,
}

/// Output formats of `nwcap info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Table,
    Json,
}

/// Run `nwcap info`.
pub fn run(args: Args, global: &Global) -> anyhow::Result<ExitCode> {
    let passes = 1 + u64::from(args.hash) + u64::from(args.decode);
    let inputs = crate::cmd::input::inputs(&args.files)?;
    let stored: u64 = inputs.iter().map(stored_len).sum();
    let bar = Bar::new(global);
    bar.start(Some(stored * passes));
    let reports: Vec<Result<Value, String>> = inputs
        .par_iter()
        .map(|input| {
            let r = summarise(input, args.hash, args.decode, &bar);
            // A file that failed part way counts as done.
            if r.is_err() {
                bar.advance(stored_len(input) * passes);
            }
            r
        })
        .collect();
    bar.finish();
    let mut out = std::io::stdout().lock();
    let mut failed = false;
    let mut values = Vec::new();
    for (i, report) in reports.into_iter().enumerate() {
        match report {
            Ok(v) => {
                failed |= v["damage"]
                    .as_array()
                    .is_some_and(|d| d.iter().any(|d| d["severity"] == "error"));
                if args.format == Format::Table {
                    if i > 0 {
                        writeln!(out)?;
                    }
                    write_table(&mut out, &v)?;
                }
                values.push(v);
            }
            Err(e) => {
                failed = true;
                eprintln!("nwcap: error: {e}");
            }
        }
    }
    let read_any = !values.is_empty();
    if args.format == Format::Json {
        let v = if args.files.len() == 1 && values.len() == 1 {
            values.pop().unwrap_or(Value::Null)
        } else {
            Value::Array(values)
        };
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(crate::messages::status(read_any, failed))
}

/// The size of `input` as stored (0 when it cannot be known: a pipe, or
/// a file about to fail with its own error).
fn stored_len(input: &Input) -> u64 {
    input
        .path()
        .and_then(|p| std::fs::metadata(p).ok())
        .filter(std::fs::Metadata::is_file)
        .map_or(0, |m| m.len())
}

/// The report of `input`, opened once: its stored bytes are hashed
/// (`hash`) before the capture is read from them.
fn summarise(input: &Input, hash: bool, decode: bool, bar: &Bar) -> Result<Value, String> {
    let size = stored_len(input);
    let bytes = nwcap_pcap::source::whole(input).map_err(|e| e.to_string())?;
    let sha = hash.then(|| sha256(&bytes, bar));
    let cap = Capture::from_bytes(input.path_or_name(), bytes).map_err(|e| e.to_string())?;
    let idx = cap.index();
    bar.advance(size);
    let mut v = describe(&cap, &idx);
    if let Some(sha) = sha {
        v["sha256"] = json!(sha);
    }
    if decode {
        v["protocols"] = census_json(&census(&idx));
        bar.advance(size);
    }
    Ok(v)
}

/// The SHA-256 of `bytes`, in hex; the bar advances as it goes.
fn sha256(bytes: &[u8], bar: &Bar) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for piece in bytes.chunks(1 << 20) {
        h.update(piece);
        bar.advance(piece.len() as u64);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn census_json(c: &Census) -> Value {
    json!({
        "tcp": c.tcp, "udp": c.udp, "icmp": c.icmp, "icmpv6": c.icmpv6, "sctp": c.sctp,
        "other_ip": c.other_ip, "ipv4": c.ipv4, "ipv6": c.ipv6, "tunnelled": c.tunnelled,
        "vlan_tagged": c.vlan, "fragments": c.fragments, "non_ip": c.non_ip,
        "undecoded_linktype": c.undecoded, "cut_headers": c.cut_headers, "malformed": c.malformed,
    })
}

/// The JSON report of one file (keys documented in README).
fn describe(cap: &Capture, idx: &Index<'_>) -> Value {
    let s = &idx.stats;
    let digits = match idx.resolution {
        nwcap_pcap::capture::Resolution::Micro => 6,
        _ => 9,
    };
    let dur_s = s.duration_ns() as f64 / 1e9;
    let rate = |x: f64| if dur_s > 0.0 { Some(x / dur_s) } else { None };
    let interfaces: Vec<Value> = idx
        .interfaces
        .iter()
        .enumerate()
        .map(|(i, f)| {
            json!({
                "linktype": f.linktype.0,
                "linktype_name": f.linktype.name(),
                "snaplen": f.snaplen,
                "timestamp_resolution": nwcap_pcap::capture::Resolution::from_ticks(f.ticks_per_sec).describe(),
                "name": f.name,
                "packets": s.per_interface.get(i).copied().unwrap_or(0),
            })
        })
        .collect();
    let damage: Vec<Value> = idx
        .damage
        .iter()
        .map(|d| {
            json!({
                "offset": d.offset,
                "severity": match d.severity { Severity::Warning => "warning", Severity::Error => "error" },
                "message": d.message,
            })
        })
        .collect();
    let version = match (cap.pcap_header(), idx.netmon_version) {
        (Some(h), _) => Some(format!("{}.{}", h.version.0, h.version.1)),
        (None, Some((a, b))) => Some(format!("{a}.{b}")),
        _ => None,
    };
    json!({
        "file": cap.path().display().to_string(),
        "format": cap.format().name(),
        "compressed": cap.compressed(),
        "version": version,
        "byte_order": idx.endian.map(|e| e.name()),
        "timestamp_resolution": idx.resolution.describe(),
        "interfaces": interfaces,
        "packets": s.packets,
        "non_network_frames": s.non_network,
        "captured_bytes": s.captured_bytes,
        "original_bytes": s.original_bytes,
        "truncated_packets": s.truncated,
        "max_caplen": s.max_caplen,
        "first_ts": s.first_ts.map(timefmt::rfc3339),
        "last_ts": s.last_ts.map(timefmt::rfc3339),
        "first_ts_epoch": s.first_ts.map(timefmt::epoch),
        "last_ts_epoch": s.last_ts.map(timefmt::epoch),
        "first_ts_display": s.first_ts.map(|t| timefmt::utc(t, digits)),
        "last_ts_display": s.last_ts.map(|t| timefmt::utc(t, digits)),
        "duration_s": dur_s,
        "data_rate_bytes_per_s": rate(s.original_bytes as f64),
        "packet_rate_per_s": rate(s.packets as f64),
        "avg_packet_size": if s.packets > 0 { Some(s.original_bytes as f64 / s.packets as f64) } else { None },
        "in_order": s.in_order,
        "packets_without_timestamp": s.no_timestamp,
        "comments": idx.comments,
        "damage": damage,
    })
}

fn write_table(out: &mut impl Write, v: &Value) -> std::io::Result<()> {
    let row = |out: &mut dyn Write, k: &str, val: String| writeln!(out, "{k:<22}{val}");
    let txt = |x: &Value| match x {
        Value::String(s) => s.clone(),
        Value::Null => "n/a".into(),
        other => other.to_string(),
    };
    let fmt2 = |x: &Value| x.as_f64().map_or("n/a".into(), |f| format!("{f:.2}"));
    row(out, "File:", txt(&v["file"]))?;
    let mut fmt = txt(&v["format"]);
    if let Some(ver) = v["version"].as_str() {
        fmt.push_str(&format!(" {ver}"));
    }
    if let Some(bo) = v["byte_order"].as_str() {
        fmt.push_str(&format!(", {bo}"));
    }
    if v["compressed"] == true {
        fmt.push_str(", gzip-compressed");
    }
    row(out, "Format:", fmt)?;
    row(out, "Timestamps:", txt(&v["timestamp_resolution"]))?;
    if let Some(ifs) = v["interfaces"].as_array() {
        for (i, f) in ifs.iter().enumerate() {
            row(
                out,
                &format!("Interface #{i}:"),
                format!(
                    "{} ({}), snaplen {}, {} packets{}",
                    txt(&f["linktype_name"]),
                    f["linktype"],
                    f["snaplen"],
                    f["packets"],
                    f["name"]
                        .as_str()
                        .map(|n| format!(", name {n}"))
                        .unwrap_or_default()
                ),
            )?;
        }
    }
    row(out, "Packets:", txt(&v["packets"]))?;
    if v["non_network_frames"].as_u64().unwrap_or(0) > 0 {
        row(out, "Not network frames:", txt(&v["non_network_frames"]))?;
    }
    row(out, "Captured bytes:", txt(&v["captured_bytes"]))?;
    row(out, "Original bytes:", txt(&v["original_bytes"]))?;
    row(out, "Cut by snaplen:", txt(&v["truncated_packets"]))?;
    row(out, "First packet:", txt(&v["first_ts_display"]))?;
    row(out, "Last packet:", txt(&v["last_ts_display"]))?;
    row(
        out,
        "Duration:",
        format!("{:.6} s", v["duration_s"].as_f64().unwrap_or(0.0)),
    )?;
    row(
        out,
        "Data rate:",
        format!("{} bytes/s", fmt2(&v["data_rate_bytes_per_s"])),
    )?;
    row(
        out,
        "Packet rate:",
        format!("{} packets/s", fmt2(&v["packet_rate_per_s"])),
    )?;
    row(
        out,
        "Average packet size:",
        format!("{} bytes", fmt2(&v["avg_packet_size"])),
    )?;
    row(
        out,
        "In time order:",
        if v["in_order"] == true {
            "yes".into()
        } else {
            "no".into()
        },
    )?;
    if let Some(h) = v["sha256"].as_str() {
        row(out, "SHA-256:", h.to_string())?;
    }
    if let Some(p) = v["protocols"].as_object() {
        let parts: Vec<String> = p
            .iter()
            .filter(|(_, n)| n.as_u64().unwrap_or(0) > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        row(
            out,
            "Protocols:",
            if parts.is_empty() {
                "none".into()
            } else {
                parts.join(", ")
            },
        )?;
    }
    for c in v["comments"].as_array().into_iter().flatten() {
        row(
            out,
            "Comment:",
            nwcap_pcap::escape::escape_terminal(c.as_str().unwrap_or("")).into_owned(),
        )?;
    }
    for d in v["damage"].as_array().into_iter().flatten() {
        row(
            out,
            "Damage:",
            format!(
                "{} at byte {}: {}",
                txt(&d["severity"]),
                d["offset"],
                txt(&d["message"])
            ),
        )?;
    }
    Ok(())
}
