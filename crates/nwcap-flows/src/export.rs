//! Flows as named columns (the interchange with the output layer) and the
//! documentation of every column, which the README renders.
//!
//! Column order and names are stable; [`COLUMN_DOCS`] lists them in the
//! same order as [`to_columns`] produces them (a test checks it).

use std::fmt::Write;

use crate::columns::{Column, ColumnData, Texts};
use crate::flow::{DirStats, Flow};
use crate::ident::{community_id_of_key, uid};

/// Options for [`to_columns_with`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ColumnOptions<'a> {
    /// Community ID seed (0 by default, as everywhere).
    pub community_id_seed: u16,
    /// File names by file index; without them `file` holds the index.
    pub files: Option<&'a [String]>,
}

/// (name, unit, meaning) of every column, in output order.
pub const COLUMN_DOCS: &[(&str, &str, &str)] = &[
    (
        "uid",
        "",
        "stable flow id: 'C' + base62 of a hash of (key, first timestamp)",
    ),
    ("community_id", "", "Community ID v1 (seed 0 unless set)"),
    (
        "proto",
        "",
        "tcp, udp, icmp, icmp6, sctp, or the IP protocol number",
    ),
    (
        "orig_h",
        "",
        "originator address, as Zeek decides it: the first sender, unless it used a likely server port and the other end did not (TCP: unless the first packet was a SYN), or a first SYN-ACK's peer once it answers",
    ),
    (
        "orig_p",
        "",
        "originator port; ICMP: type of the first packet",
    ),
    ("resp_h", "", "responder address"),
    (
        "resp_p",
        "",
        "responder port; ICMP: the counterpart type of the first packet's (echo request 8 -> 0, ICMPv6 128 -> 129), the code for one-way messages (as Zeek)",
    ),
    ("vlan", "", "outer VLAN id"),
    ("vlan_inner", "", "inner VLAN id (QinQ)"),
    (
        "tunnel",
        "",
        "outer tunnel as '<kind> <outer src>-><outer dst>[ vni <n>]', originator side first",
    ),
    (
        "file",
        "",
        "file where the flow started (name, or index in input order)",
    ),
    ("ts", "ns UTC", "earliest packet time"),
    ("last_ts", "ns UTC", "latest packet time"),
    (
        "duration",
        "ns",
        "as Zeek's: from ts to the last packet, leaving out TCP packets sent after both sides closed",
    ),
    ("orig_pkts", "packets", "packets from the originator"),
    ("resp_pkts", "packets", "packets from the responder"),
    (
        "orig_bytes",
        "bytes",
        "originator wire bytes (original frame length, as tshark)",
    ),
    ("resp_bytes", "bytes", "responder wire bytes"),
    (
        "orig_ip_bytes",
        "bytes",
        "originator IP bytes (IP total length, as Zeek)",
    ),
    ("resp_ip_bytes", "bytes", "responder IP bytes"),
    (
        "orig_payload",
        "bytes",
        "originator transport payload bytes (as headers state)",
    ),
    ("resp_payload", "bytes", "responder transport payload bytes"),
    (
        "truncated_pkts",
        "packets",
        "packets cut by the capture's snap length",
    ),
    (
        "conn_state",
        "",
        "Zeek conn_state (S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH)",
    ),
    (
        "history",
        "",
        "Zeek history letters (upper case: originator)",
    ),
    ("syn", "packets", "TCP packets with SYN"),
    ("fin", "packets", "TCP packets with FIN"),
    ("rst", "packets", "TCP packets with RST"),
    ("psh", "packets", "TCP packets with PSH"),
    ("ack", "packets", "TCP packets with ACK"),
    ("urg", "packets", "TCP packets with URG"),
    ("ece", "packets", "TCP packets with ECE"),
    ("cwr", "packets", "TCP packets with CWR"),
    (
        "retransmits",
        "packets",
        "TCP payload at or below the highest sequence seen, > 3 ms after the previous segment",
    ),
    (
        "out_of_order",
        "packets",
        "same, within 3 ms of the previous segment (out of order)",
    ),
    (
        "zero_window",
        "packets",
        "zero window advertisements (Zeek's rule)",
    ),
    (
        "handshake_rtt",
        "s",
        "originator SYN to its ACK of the SYN-ACK",
    ),
    (
        "orig_init_win",
        "",
        "TCP window of the originator's first packet (unscaled)",
    ),
    (
        "resp_init_win",
        "",
        "TCP window of the responder's first packet (unscaled)",
    ),
    ("orig_len_min", "bytes", "smallest originator payload"),
    ("orig_len_max", "bytes", "largest originator payload"),
    ("orig_len_mean", "bytes", "mean originator payload"),
    (
        "orig_len_std",
        "bytes",
        "sample standard deviation of originator payloads",
    ),
    ("resp_len_min", "bytes", "smallest responder payload"),
    ("resp_len_max", "bytes", "largest responder payload"),
    ("resp_len_mean", "bytes", "mean responder payload"),
    (
        "resp_len_std",
        "bytes",
        "sample standard deviation of responder payloads",
    ),
    (
        "iat_mean",
        "s",
        "mean gap between consecutive packets (both directions)",
    ),
    ("iat_std", "s", "sample standard deviation of the gaps"),
    ("iat_min", "s", "smallest gap"),
    ("iat_max", "s", "largest gap"),
    (
        "bytes_per_s",
        "bytes/s",
        "wire bytes (both directions) / duration; empty when duration is 0",
    ),
    (
        "pkts_per_s",
        "packets/s",
        "packets / duration; empty when duration is 0",
    ),
    (
        "service",
        "",
        "dns, http, tls, ssh, quic... from content, else from the port",
    ),
    ("dns_query", "", "first DNS question name"),
    ("tls_sni", "", "TLS ClientHello server name"),
    ("http_host", "", "HTTP request Host header"),
];

/// Protocol name as in the `proto` column.
pub fn proto_name(p: u8) -> String {
    proto_static(p).map_or_else(|| p.to_string(), str::to_owned)
}

/// The name of a protocol that has one.
fn proto_static(p: u8) -> Option<&'static str> {
    match p {
        6 => Some("tcp"),
        17 => Some("udp"),
        1 => Some("icmp"),
        58 => Some("icmp6"),
        132 => Some("sctp"),
        _ => None,
    }
}

/// The flow table as columns (Community ID seed 0, `file` as index).
pub fn to_columns(flows: &[Flow]) -> Vec<Column> {
    to_columns_with(flows, ColumnOptions::default())
}

fn secs(ns: f64) -> f64 {
    ns / 1e9
}

/// Flows converted per block: the columns are built one at a time, so a
/// block's flows must stay in the cache while all columns visit them.
const BLOCK: usize = 256;

/// The flow table as columns, with options.
pub fn to_columns_with(flows: &[Flow], opt: ColumnOptions<'_>) -> Vec<Column> {
    let mut blocks = flows.chunks(BLOCK);
    let mut cols = block_columns(blocks.next().unwrap_or(&[]), opt);
    for c in &mut cols {
        c.data.reserve(flows.len().saturating_sub(c.data.len()));
    }
    for block in blocks {
        for (c, more) in cols.iter_mut().zip(block_columns(block, opt)) {
            c.data.append(more.data);
        }
    }
    cols
}

// Monomorphised per column (no indirect call per cell).
fn u64c(flows: &[Flow], f: impl Fn(&Flow) -> u64) -> ColumnData {
    ColumnData::U64(flows.iter().map(f).collect())
}

fn u32o(flows: &[Flow], f: impl Fn(&Flow) -> Option<u32>) -> ColumnData {
    ColumnData::U32Opt(flows.iter().map(f).collect())
}

fn f64o(flows: &[Flow], f: impl Fn(&Flow) -> Option<f64>) -> ColumnData {
    ColumnData::F64Opt(flows.iter().map(f).collect())
}

/// A text column: `f` writes a flow's cell and says whether it has one.
fn text(flows: &[Flow], f: impl Fn(&Flow, &mut String) -> bool) -> ColumnData {
    let mut t = Texts::with_capacity(flows.len());
    for fl in flows {
        t.push_with(|b| f(fl, b));
    }
    ColumnData::Text(t)
}

/// A text column from optional borrowed strings.
fn stro<'f>(flows: &'f [Flow], f: impl Fn(&'f Flow) -> Option<&'f str>) -> ColumnData {
    let mut t = Texts::with_capacity(flows.len());
    for fl in flows {
        t.push(f(fl));
    }
    ColumnData::Text(t)
}

/// The columns of one block of flows.
fn block_columns(flows: &[Flow], opt: ColumnOptions<'_>) -> Vec<Column> {
    let mut cols = Vec::with_capacity(COLUMN_DOCS.len());
    let mut add = |name: &'static str, data: ColumnData| cols.push(Column { name, data });
    let seed = opt.community_id_seed;

    add(
        "uid",
        text(flows, |f, b| {
            b.push_str(&uid(&f.key, f.ts, f.orig_is_a));
            true
        }),
    );
    add(
        "community_id",
        text(flows, |f, b| {
            b.push_str(&community_id_of_key(seed, &f.key));
            true
        }),
    );
    add(
        "proto",
        text(flows, |f, b| {
            match proto_static(f.key.proto) {
                Some(name) => b.push_str(name),
                None => {
                    let _ = write!(b, "{}", f.key.proto);
                }
            }
            true
        }),
    );
    add(
        "orig_h",
        text(flows, |f, b| write!(b, "{}", f.orig_h()).is_ok()),
    );
    add("orig_p", u32o(flows, |f| f.orig_p().map(u32::from)));
    add(
        "resp_h",
        text(flows, |f, b| write!(b, "{}", f.resp_h()).is_ok()),
    );
    add("resp_p", u32o(flows, |f| f.resp_p().map(u32::from)));
    add("vlan", u32o(flows, |f| f.key.vlan.map(u32::from)));
    add(
        "vlan_inner",
        u32o(flows, |f| f.key.vlan_inner.map(u32::from)),
    );
    add(
        "tunnel",
        text(flows, |f, b| match f.tunnel() {
            Some((k, s, d, Some(v))) => write!(b, "{} {s}->{d} vni {v}", k.name()).is_ok(),
            Some((k, s, d, None)) => write!(b, "{} {s}->{d}", k.name()).is_ok(),
            None => false,
        }),
    );
    add(
        "file",
        text(flows, |f, b| {
            match opt.files.and_then(|names| names.get(f.file as usize)) {
                Some(name) => b.push_str(name),
                None => {
                    let _ = write!(b, "{}", f.file);
                }
            }
            true
        }),
    );
    add(
        "ts",
        ColumnData::TimestampNs(flows.iter().map(|f| f.ts).collect()),
    );
    add(
        "last_ts",
        ColumnData::TimestampNs(flows.iter().map(|f| f.last_ts).collect()),
    );
    add(
        "duration",
        ColumnData::DurationNs(flows.iter().map(Flow::duration).collect()),
    );
    add("orig_pkts", u64c(flows, |f| f.orig.pkts));
    add("resp_pkts", u64c(flows, |f| f.resp.pkts));
    add("orig_bytes", u64c(flows, |f| f.orig.bytes));
    add("resp_bytes", u64c(flows, |f| f.resp.bytes));
    add("orig_ip_bytes", u64c(flows, |f| f.orig.ip_bytes));
    add("resp_ip_bytes", u64c(flows, |f| f.resp.ip_bytes));
    add("orig_payload", u64c(flows, |f| f.orig.payload));
    add("resp_payload", u64c(flows, |f| f.resp.payload));
    add("truncated_pkts", u64c(flows, |f| f.truncated_pkts));
    add("conn_state", stro(flows, |f| Some(f.conn_state())));
    add("history", stro(flows, |f| Some(f.history.as_str())));
    for (i, name) in ["syn", "fin", "rst", "psh", "ack", "urg", "ece", "cwr"]
        .into_iter()
        .enumerate()
    {
        add(name, u64c(flows, |f| f.flag_counts[i]));
    }
    add("retransmits", u64c(flows, |f| f.retransmits));
    add("out_of_order", u64c(flows, |f| f.out_of_order));
    add("zero_window", u64c(flows, |f| f.zero_window));
    add(
        "handshake_rtt",
        f64o(flows, |f| f.handshake_rtt.map(|n| secs(n as f64))),
    );
    add(
        "orig_init_win",
        u32o(flows, |f| f.orig.init_win.map(u32::from)),
    );
    add(
        "resp_init_win",
        u32o(flows, |f| f.resp.init_win.map(u32::from)),
    );
    fn side(f: &Flow, orig: bool) -> &DirStats {
        if orig { &f.orig } else { &f.resp }
    }
    for (o, names) in [
        (
            true,
            [
                "orig_len_min",
                "orig_len_max",
                "orig_len_mean",
                "orig_len_std",
            ],
        ),
        (
            false,
            [
                "resp_len_min",
                "resp_len_max",
                "resp_len_mean",
                "resp_len_std",
            ],
        ),
    ] {
        let d = |f: &Flow| *side(f, o);
        // Payload lengths are u32 values, so min and max fit.
        let small = |x: u64| u32::try_from(x).unwrap_or(u32::MAX);
        add(names[0], u32o(flows, |f| d(f).len.min().map(small)));
        add(names[1], u32o(flows, |f| d(f).len.max().map(small)));
        add(names[2], f64o(flows, |f| d(f).len_mean()));
        add(names[3], f64o(flows, |f| d(f).len_std()));
    }
    add("iat_mean", f64o(flows, |f| f.iat_mean().map(secs)));
    add("iat_std", f64o(flows, |f| f.iat_std().map(secs)));
    add(
        "iat_min",
        f64o(flows, |f| f.iat.min().map(|x| secs(x as f64))),
    );
    add(
        "iat_max",
        f64o(flows, |f| f.iat.max().map(|x| secs(x as f64))),
    );
    let rate = |f: &Flow, v: u64| {
        let d = f.duration();
        (d > 0).then(|| v as f64 / secs(d as f64))
    };
    add(
        "bytes_per_s",
        f64o(flows, |f| rate(f, f.orig.bytes + f.resp.bytes)),
    );
    add(
        "pkts_per_s",
        f64o(flows, |f| rate(f, f.orig.pkts + f.resp.pkts)),
    );
    add("service", stro(flows, |f| f.service()));
    add("dns_query", stro(flows, Flow::dns_query));
    add("tls_sni", stro(flows, Flow::tls_sni));
    add("http_host", stro(flows, Flow::http_host));
    cols
}
