//! The flow table's columns: one table ([`COLUMNS`]) that owns each
//! column's name, type, unit, source of definition, description, whether
//! the default table shows it, and how it is built from flows.
//!
//! Everything that names or types a flow column comes from here: the
//! builders ([`to_columns`]), the Parquet/DataFrame schema (by
//! [`Kind`]), the default table of `nwcap flows`, the column reference in
//! README (rendered by [`reference_markdown`], kept in step by a test).
//!
//! Names follow the field's owner: where Zeek's conn.log has a column, the
//! name carries Zeek's meaning (`orig_bytes` is payload, `duration` is
//! seconds, `proto` says `icmp` for ICMPv6 too); tshark's wire bytes live
//! under `*_wire_bytes`; CICFlowMeter's shape statistics keep their
//! meaning under snake_case names. Each builder is a plain function over a
//! block of flows, so a column costs one indirect call per block and its
//! loop is monomorphised.

use std::fmt::Write as _;

use nwcap_pcap::packet::{TunnelKind, ipproto};

use crate::columns::{Column, ColumnData, Texts};
use crate::flow::{DirStats, Flow};
use crate::hints;
use crate::ident::{community_id_of_key, tunnel_uid, uid};

/// Whose definition a column follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Zeek's conn.log (and, for hints, dns/ssl/http logs).
    Zeek,
    /// tshark / Wireshark.
    Tshark,
    /// CICFlowMeter's flow features.
    CicFlowMeter,
    /// The Community ID flow hashing specification v1.
    CommunityId,
    /// nwcap's own.
    Nwcap,
}

impl Source {
    /// Name shown in the column reference.
    pub fn name(self) -> &'static str {
        match self {
            Source::Zeek => "Zeek",
            Source::Tshark => "tshark",
            Source::CicFlowMeter => "CICFlowMeter",
            Source::CommunityId => "Community ID",
            Source::Nwcap => "nwcap",
        }
    }
}

/// The type of a column, the same in every output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text, may be null.
    Text,
    /// Signed 64-bit integer, never null (counts of packets, bytes).
    Count,
    /// Signed 32-bit integer, may be null (ports, VLAN ids, windows,
    /// sizes).
    Int,
    /// 64-bit float, may be null (seconds, means, rates).
    Float,
    /// An instant, UTC, to the microsecond (Parquet `TIMESTAMP(MICROS,
    /// UTC)`, RFC 3339 in text).
    Timestamp,
}

impl Kind {
    /// Name in the column reference (what Parquet readers show).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Text => "string",
            Kind::Count => "int64",
            Kind::Int => "int32",
            Kind::Float => "double",
            Kind::Timestamp => "timestamp (UTC, µs)",
        }
    }
}

/// A column's field in Zeek's conn.log: its name there (`id.orig_h`) and
/// Zeek's type (`time`, `addr`, `port`, `enum`, `interval`, `count`,
/// `int`, `string`, `set[string]`), for `--format zeek` and `zeek-json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZeekField {
    /// Field name in Zeek's log.
    pub name: &'static str,
    /// Zeek's type name (the `#types` header).
    pub ty: &'static str,
}

impl Kind {
    /// An empty column of this kind with room for `rows` values.
    pub fn empty(self, rows: usize) -> ColumnData {
        match self {
            Kind::Text => ColumnData::Text(Texts::with_capacity(rows)),
            Kind::Count => ColumnData::I64(Vec::with_capacity(rows)),
            Kind::Int => ColumnData::I32Opt(Vec::with_capacity(rows)),
            Kind::Float => ColumnData::F64Opt(Vec::with_capacity(rows)),
            Kind::Timestamp => ColumnData::TimestampNs(Vec::with_capacity(rows)),
        }
    }

    /// The type DuckDB reads the column as (`read_csv(..., columns = {...})`).
    pub fn duckdb(self) -> &'static str {
        match self {
            Kind::Text => "VARCHAR",
            Kind::Count => "BIGINT",
            Kind::Int => "INTEGER",
            Kind::Float => "DOUBLE",
            Kind::Timestamp => "TIMESTAMPTZ",
        }
    }

    /// The Arrow type (`pyarrow`'s names; the timestamp as
    /// `timestamp[us, tz=UTC]`).
    pub fn arrow(self) -> &'static str {
        match self {
            Kind::Text => "string",
            Kind::Count => "int64",
            Kind::Int => "int32",
            Kind::Float => "double",
            Kind::Timestamp => "timestamp[us, tz=UTC]",
        }
    }
}

/// Context of a column build.
#[derive(Debug, Clone, Copy, Default)]
pub struct ColumnOptions<'a> {
    /// Community ID seed (0 by default, as everywhere).
    pub community_id_seed: u16,
    /// File names by file index; without them `file` holds the index.
    pub files: Option<&'a [String]>,
    /// Name of the capture source the flows belong to (the `source`
    /// column); null without one.
    pub source: Option<&'a str>,
}

/// Appends a column's values over a block of flows to its data.
type Build = fn(&[Flow], &ColumnOptions<'_>, &mut ColumnData);

/// One column of the flow table.
#[derive(Clone, Copy)]
pub struct ColumnSpec {
    /// Stable snake_case name.
    pub name: &'static str,
    /// Type.
    pub kind: Kind,
    /// Unit ("" when none).
    pub unit: &'static str,
    /// Whose definition it follows.
    pub source: Source,
    /// What it means.
    pub doc: &'static str,
    /// Shown by `nwcap flows` as a table without `--columns`.
    pub default: bool,
    /// The field of Zeek's conn.log this column is (base conn.log, or the
    /// fields Zeek's own `vlan-logging` and `community-id` scripts add);
    /// `None` for nwcap's other columns.
    pub zeek: Option<ZeekField>,
    build: Build,
}

impl std::fmt::Debug for ColumnSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColumnSpec")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl ColumnSpec {
    /// The column over `flows`.
    pub fn build(&self, flows: &[Flow], opts: &ColumnOptions<'_>) -> Column {
        let mut data = self.kind.empty(flows.len());
        (self.build)(flows, opts, &mut data);
        Column {
            name: self.name,
            data,
        }
    }
}

const fn col(
    name: &'static str,
    kind: Kind,
    unit: &'static str,
    source: Source,
    doc: &'static str,
    build: Build,
) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        unit,
        source,
        doc,
        default: false,
        zeek: None,
        build,
    }
}

const fn shown(mut c: ColumnSpec) -> ColumnSpec {
    c.default = true;
    c
}

const fn zeek(mut c: ColumnSpec, name: &'static str, ty: &'static str) -> ColumnSpec {
    c.zeek = Some(ZeekField { name, ty });
    c
}

// Builders, monomorphised per column: each appends its values over a
// block of flows to the column's data (of the column's kind).
fn count(out: &mut ColumnData, flows: &[Flow], f: impl Fn(&Flow) -> u64) {
    if let ColumnData::I64(v) = out {
        v.extend(
            flows
                .iter()
                .map(|x| i64::try_from(f(x)).unwrap_or(i64::MAX)),
        );
    }
}

fn int(out: &mut ColumnData, flows: &[Flow], f: impl Fn(&Flow) -> Option<u32>) {
    if let ColumnData::I32Opt(v) = out {
        v.extend(
            flows
                .iter()
                .map(|x| f(x).map(|v| i32::try_from(v).unwrap_or(i32::MAX))),
        );
    }
}

fn float(out: &mut ColumnData, flows: &[Flow], f: impl Fn(&Flow) -> Option<f64>) {
    if let ColumnData::F64Opt(v) = out {
        v.extend(flows.iter().map(f));
    }
}

fn stamp(out: &mut ColumnData, flows: &[Flow], f: impl Fn(&Flow) -> i64) {
    if let ColumnData::TimestampNs(v) = out {
        v.extend(flows.iter().map(f));
    }
}

fn text(out: &mut ColumnData, flows: &[Flow], f: impl Fn(&Flow, &mut String) -> bool) {
    if let ColumnData::Text(t) = out {
        for fl in flows {
            t.push_with(|b| f(fl, b));
        }
    }
}

fn texto<'f>(out: &mut ColumnData, flows: &'f [Flow], f: impl Fn(&'f Flow) -> Option<&'f str>) {
    if let ColumnData::Text(t) = out {
        for fl in flows {
            t.push(f(fl));
        }
    }
}

/// Appends an address as its `Display` writes it; an IPv4 address
/// without the formatting machinery (a column of them is written for
/// every flow).
fn push_addr(b: &mut String, a: std::net::IpAddr) -> bool {
    match a {
        std::net::IpAddr::V4(v4) => {
            for (i, o) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    b.push('.');
                }
                if o >= 100 {
                    b.push(char::from(b'0' + o / 100));
                }
                if o >= 10 {
                    b.push(char::from(b'0' + o / 10 % 10));
                }
                b.push(char::from(b'0' + o % 10));
            }
            true
        }
        std::net::IpAddr::V6(_) => write!(b, "{a}").is_ok(),
    }
}

fn secs(ns: f64) -> f64 {
    ns / 1e9
}

fn rate(f: &Flow, v: u64) -> Option<f64> {
    let d = f.duration();
    (d > 0).then(|| v as f64 / secs(d as f64))
}

/// Payload lengths are u32 values, so extremes fit.
fn small(x: u64) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// The `proto` column's value: Zeek's transport name (`icmp` for ICMP and
/// ICMPv6 alike), `unknown_transport` for other protocols.
pub fn proto_name(p: u8) -> &'static str {
    match p {
        ipproto::TCP => "tcp",
        ipproto::UDP => "udp",
        ipproto::ICMP | ipproto::ICMPV6 => "icmp",
        ipproto::SCTP => "sctp",
        _ => "unknown_transport",
    }
}

/// Zeek's `tunnel_parents`: the outer UDP connections' uids, or for a
/// tunnel with no such connection (GRE, ERSPAN, IP in IP) a uid of the
/// tunnel itself (Zeek's tunnel.log uid).
fn write_parents(f: &Flow, b: &mut String) -> bool {
    let Some(t) = f.key.tunnel else {
        return false;
    };
    let parents = f.tunnel_parents();
    // Zeek names the innermost encapsulation: for GRE (also in UDP),
    // ERSPAN and IP in IP that is the tunnel, not a connection.
    if parents.is_empty()
        || matches!(
            t.kind,
            TunnelKind::Gre | TunnelKind::Erspan | TunnelKind::IpInIp
        )
    {
        b.push_str(&tunnel_uid(&t));
        return true;
    }
    for (i, p) in parents.iter().enumerate() {
        if i > 0 {
            b.push(',');
        }
        b.push_str(&uid(&p.key, p.ts, p.orig_is_a));
    }
    true
}

fn orig(f: &Flow) -> &DirStats {
    &f.orig
}

fn resp(f: &Flow) -> &DirStats {
    &f.resp
}

use Kind::{Count, Float, Int, Text, Timestamp};
use Source::{CicFlowMeter, CommunityId, Nwcap, Tshark, Zeek};

/// Every column of the flow table, in output order: Zeek's conn.log columns
/// in conn.log's order (its base fields, then those of Zeek's
/// `vlan-logging` and `community-id` scripts), then the rest.
pub static COLUMNS: &[ColumnSpec] = &[
    shown(zeek(
        col(
            "ts",
            Timestamp,
            "UTC",
            Zeek,
            "time of the first packet (the earliest, should time go backwards)",
            |fl, _, out| stamp(out, fl, |f| f.ts),
        ),
        "ts",
        "time",
    )),
    zeek(
        col(
            "uid",
            Text,
            "",
            Nwcap,
            "stable flow id: 'C' + base62 of a hash of the key and first packet time (Zeek's uid is random; this one is the same on every run)",
            |fl, _, out| {
                text(out, fl, |f, b| {
                    b.push_str(&uid(&f.key, f.ts, f.orig_is_a));
                    true
                })
            },
        ),
        "uid",
        "string",
    ),
    shown(zeek(
        col(
            "orig_h",
            Text,
            "",
            Zeek,
            "originator address (id.orig_h) as Zeek decides it: the first sender, unless it used a likely server port and the receiver did not (for TCP only when the first packet is not a SYN), or the peer of a first SYN-ACK once that peer answers",
            |fl, _, out| text(out, fl, |f, b| push_addr(b, f.orig_h())),
        ),
        "id.orig_h",
        "addr",
    )),
    shown(zeek(
        col(
            "orig_p",
            Int,
            "",
            Zeek,
            "originator port (id.orig_p); ICMP: type of the first packet; null when the protocol has no ports",
            |fl, _, out| int(out, fl, |f| f.orig_p().map(u32::from)),
        ),
        "id.orig_p",
        "port",
    )),
    shown(zeek(
        col(
            "resp_h",
            Text,
            "",
            Zeek,
            "responder address (id.resp_h)",
            |fl, _, out| text(out, fl, |f, b| push_addr(b, f.resp_h())),
        ),
        "id.resp_h",
        "addr",
    )),
    shown(zeek(
        col(
            "resp_p",
            Int,
            "",
            Zeek,
            "responder port (id.resp_p); ICMP: the counterpart of the first packet's type (echo request 8 -> 0, ICMPv6 128 -> 129), the code for one-way messages",
            |fl, _, out| int(out, fl, |f| f.resp_p().map(u32::from)),
        ),
        "id.resp_p",
        "port",
    )),
    shown(zeek(
        col(
            "proto",
            Text,
            "",
            Zeek,
            "transport protocol: tcp, udp, icmp (ICMP and ICMPv6, as Zeek), sctp, or unknown_transport",
            |fl, _, out| {
                text(out, fl, |f, b| {
                    b.push_str(proto_name(f.key.proto));
                    true
                })
            },
        ),
        "proto",
        "enum",
    )),
    shown(zeek(
        col(
            "service",
            Text,
            "",
            Zeek,
            "application protocol confirmed by the payload (dns, http, ssl, ssh, quic); null when none was",
            |fl, _, out| texto(out, fl, |f| f.service()),
        ),
        "service",
        "string",
    )),
    shown(zeek(
        col(
            "duration",
            Float,
            "s",
            Zeek,
            "from the first packet to the last, except that TCP packets after both sides closed (the final ACK) do not count",
            |fl, _, out| float(out, fl, |f| Some(secs(f.duration() as f64))),
        ),
        "duration",
        "interval",
    )),
    shown(zeek(
        col(
            "orig_bytes",
            Count,
            "bytes",
            Zeek,
            "originator payload bytes; TCP: the sequence space covered (a retransmission once, bytes missed in gaps included), UDP and ICMP: the payload after the header",
            |fl, _, out| count(out, fl, |f| f.zeek_bytes().0),
        ),
        "orig_bytes",
        "count",
    )),
    shown(zeek(
        col(
            "resp_bytes",
            Count,
            "bytes",
            Zeek,
            "responder payload bytes (as orig_bytes)",
            |fl, _, out| count(out, fl, |f| f.zeek_bytes().1),
        ),
        "resp_bytes",
        "count",
    )),
    shown(zeek(
        col(
            "conn_state",
            Text,
            "",
            Zeek,
            "connection state: S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH",
            |fl, _, out| texto(out, fl, |f| Some(f.conn_state())),
        ),
        "conn_state",
        "string",
    )),
    zeek(
        col(
            "missed_bytes",
            Count,
            "bytes",
            Zeek,
            "TCP bytes acknowledged but never seen (content gaps, history g/G)",
            |fl, _, out| count(out, fl, Flow::missed_bytes),
        ),
        "missed_bytes",
        "count",
    ),
    zeek(
        col(
            "history",
            Text,
            "",
            Zeek,
            "history letters (upper case: originator)",
            |fl, _, out| texto(out, fl, |f| Some(f.history.as_str())),
        ),
        "history",
        "string",
    ),
    shown(zeek(
        col(
            "orig_pkts",
            Count,
            "packets",
            Zeek,
            "packets from the originator",
            |fl, _, out| count(out, fl, |f| f.orig.pkts),
        ),
        "orig_pkts",
        "count",
    )),
    zeek(
        col(
            "orig_ip_bytes",
            Count,
            "bytes",
            Zeek,
            "originator IP bytes (IP total length of each packet)",
            |fl, _, out| count(out, fl, |f| f.orig.ip_bytes),
        ),
        "orig_ip_bytes",
        "count",
    ),
    shown(zeek(
        col(
            "resp_pkts",
            Count,
            "packets",
            Zeek,
            "packets from the responder",
            |fl, _, out| count(out, fl, |f| f.resp.pkts),
        ),
        "resp_pkts",
        "count",
    )),
    zeek(
        col(
            "resp_ip_bytes",
            Count,
            "bytes",
            Zeek,
            "responder IP bytes",
            |fl, _, out| count(out, fl, |f| f.resp.ip_bytes),
        ),
        "resp_ip_bytes",
        "count",
    ),
    zeek(
        col(
            "tunnel_parents",
            Text,
            "",
            Zeek,
            "uids of the outer UDP connections (VXLAN, Geneve, Teredo, AYIYA, GTP-U) this flow was tunnelled in, comma-separated; for GRE (also in UDP), ERSPAN and IP in IP a uid of the tunnel itself, as Zeek's tunnel.log names it; null when not tunnelled",
            |fl, _, out| text(out, fl, write_parents),
        ),
        "tunnel_parents",
        "set[string]",
    ),
    zeek(
        col(
            "ip_proto",
            Int,
            "",
            Zeek,
            "IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...)",
            |fl, _, out| int(out, fl, |f| Some(u32::from(f.key.proto))),
        ),
        "ip_proto",
        "count",
    ),
    zeek(
        col(
            "vlan",
            Int,
            "",
            Zeek,
            "outer VLAN id (802.1Q/802.1ad)",
            |fl, _, out| int(out, fl, |f| f.key.vlan.map(u32::from)),
        ),
        "vlan",
        "int",
    ),
    zeek(
        col(
            "inner_vlan",
            Int,
            "",
            Zeek,
            "inner VLAN id (QinQ)",
            |fl, _, out| int(out, fl, |f| f.key.vlan_inner.map(u32::from)),
        ),
        "inner_vlan",
        "int",
    ),
    zeek(
        col(
            "community_id",
            Text,
            "",
            CommunityId,
            "Community ID v1 of the flow (seed 0 unless set), as Zeek's community-id plugin writes it",
            |fl, o, out| {
                let seed = o.community_id_seed;
                text(out, fl, move |f, b| {
                    b.push_str(&community_id_of_key(seed, &f.key));
                    true
                })
            },
        ),
        "community_id",
        "string",
    ),
    col(
        "last_ts",
        Timestamp,
        "UTC",
        Nwcap,
        "time of the last packet (the latest)",
        |fl, _, out| stamp(out, fl, |f| f.last_ts),
    ),
    col(
        "source",
        Text,
        "",
        Nwcap,
        "capture source (a VM or scale-set instance) the flow was seen from: from Network Watcher's storage path, --source, or the file names (see Capture sources); the two ends of one conversation captured on two VMs are two rows with one community_id",
        |fl, o, out| {
            if let ColumnData::Text(t) = out {
                for _ in fl {
                    t.push(o.source);
                }
            }
        },
    ),
    col(
        "file",
        Text,
        "",
        Nwcap,
        "file where the flow started (name, or index in input order)",
        |fl, o, out| {
            let files = o.files;
            text(out, fl, move |f, b| {
                match files.and_then(|names| names.get(f.file as usize)) {
                    Some(name) => b.push_str(name),
                    None => {
                        let _ = write!(b, "{}", f.file);
                    }
                }
                true
            })
        },
    ),
    col(
        "tunnel",
        Text,
        "",
        Nwcap,
        "outer tunnel as '<kind> <outer src>-><outer dst>[ vni <n>]', originator side first",
        |fl, _, out| {
            text(out, fl, |f, b| match f.tunnel() {
                Some((k, s, d, Some(v))) => write!(b, "{} {s}->{d} vni {v}", k.name()).is_ok(),
                Some((k, s, d, None)) => write!(b, "{} {s}->{d}", k.name()).is_ok(),
                None => false,
            })
        },
    ),
    col(
        "orig_wire_bytes",
        Count,
        "bytes",
        Tshark,
        "originator frame bytes on the wire (original frame length, as tshark's conversation bytes)",
        |fl, _, out| count(out, fl, |f| f.orig.bytes),
    ),
    col(
        "resp_wire_bytes",
        Count,
        "bytes",
        Tshark,
        "responder frame bytes on the wire",
        |fl, _, out| count(out, fl, |f| f.resp.bytes),
    ),
    col(
        "orig_payload",
        Count,
        "bytes",
        CicFlowMeter,
        "sum of the originator's transport payload lengths, retransmissions included (CICFlowMeter's total length of forward packets)",
        |fl, _, out| count(out, fl, |f| f.orig.payload),
    ),
    col(
        "resp_payload",
        Count,
        "bytes",
        CicFlowMeter,
        "sum of the responder's transport payload lengths",
        |fl, _, out| count(out, fl, |f| f.resp.payload),
    ),
    col(
        "truncated_pkts",
        Count,
        "packets",
        Nwcap,
        "packets cut by the capture's snap length",
        |fl, _, out| count(out, fl, |f| f.truncated_pkts),
    ),
    col(
        "syn",
        Count,
        "packets",
        CicFlowMeter,
        "TCP packets with SYN set",
        |fl, _, out| count(out, fl, |f| f.flag_counts()[1]),
    ),
    col(
        "fin",
        Count,
        "packets",
        CicFlowMeter,
        "TCP packets with FIN set",
        |fl, _, out| count(out, fl, |f| f.flag_counts()[0]),
    ),
    col(
        "rst",
        Count,
        "packets",
        CicFlowMeter,
        "TCP packets with RST set",
        |fl, _, out| count(out, fl, |f| f.flag_counts()[2]),
    ),
    col(
        "psh",
        Count,
        "packets",
        CicFlowMeter,
        "TCP packets with PSH set",
        |fl, _, out| count(out, fl, |f| f.flag_counts()[3]),
    ),
    col(
        "ack",
        Count,
        "packets",
        CicFlowMeter,
        "TCP packets with ACK set",
        |fl, _, out| count(out, fl, |f| f.flag_counts()[4]),
    ),
    col(
        "urg",
        Count,
        "packets",
        CicFlowMeter,
        "TCP packets with URG set",
        |fl, _, out| count(out, fl, |f| f.flag_counts()[5]),
    ),
    col(
        "ece",
        Count,
        "packets",
        CicFlowMeter,
        "TCP packets with ECE set",
        |fl, _, out| count(out, fl, |f| f.flag_counts()[6]),
    ),
    col(
        "cwr",
        Count,
        "packets",
        CicFlowMeter,
        "TCP packets with CWR set",
        |fl, _, out| count(out, fl, |f| f.flag_counts()[7]),
    ),
    col(
        "retransmits",
        Count,
        "packets",
        Tshark,
        "segments that repeat sequence space already sent and are not out of order, fast and spurious retransmissions included (tcp.analysis.retransmission)",
        |fl, _, out| count(out, fl, |f| f.analysis().retransmissions),
    ),
    col(
        "fast_retransmits",
        Count,
        "packets",
        Tshark,
        "retransmissions within 20 ms of the peer's second duplicate ACK for them (tcp.analysis.fast_retransmission)",
        |fl, _, out| count(out, fl, |f| f.analysis().fast_retransmissions),
    ),
    col(
        "spurious_retransmits",
        Count,
        "packets",
        Tshark,
        "retransmissions of data the peer had already acknowledged (tcp.analysis.spurious_retransmission)",
        |fl, _, out| count(out, fl, |f| f.analysis().spurious_retransmissions),
    ),
    col(
        "out_of_order",
        Count,
        "packets",
        Tshark,
        "segments below the highest sequence seen, within the handshake RTT (else 3 ms) of it, that are no exact repeat (tcp.analysis.out_of_order)",
        |fl, _, out| count(out, fl, |f| f.analysis().out_of_order),
    ),
    col(
        "dup_acks",
        Count,
        "packets",
        Tshark,
        "duplicate ACKs (tcp.analysis.duplicate_ack)",
        |fl, _, out| count(out, fl, |f| f.analysis().duplicate_acks),
    ),
    col(
        "keep_alives",
        Count,
        "packets",
        Tshark,
        "keep-alive segments (tcp.analysis.keep_alive)",
        |fl, _, out| count(out, fl, |f| f.analysis().keep_alives),
    ),
    col(
        "zero_window",
        Count,
        "packets",
        Tshark,
        "segments advertising a zero window, without SYN, FIN or RST (tcp.analysis.zero_window)",
        |fl, _, out| count(out, fl, |f| f.analysis().zero_windows),
    ),
    col(
        "lost_segments",
        Count,
        "packets",
        Tshark,
        "segments after a gap in the sequence numbers: a previous segment was not captured (tcp.analysis.lost_segment)",
        |fl, _, out| count(out, fl, |f| f.analysis().lost_segments),
    ),
    col(
        "handshake_rtt",
        Float,
        "s",
        Tshark,
        "originator SYN to its ACK of the SYN-ACK (tcp.analysis.initial_rtt)",
        |fl, _, out| float(out, fl, |f| f.handshake_rtt().map(|n| secs(n as f64))),
    ),
    col(
        "orig_init_win",
        Int,
        "",
        CicFlowMeter,
        "TCP window of the originator's first packet (unscaled)",
        |fl, _, out| int(out, fl, |f| f.orig.init_win.map(u32::from)),
    ),
    col(
        "resp_init_win",
        Int,
        "",
        CicFlowMeter,
        "TCP window of the responder's first packet (unscaled)",
        |fl, _, out| int(out, fl, |f| f.resp.init_win.map(u32::from)),
    ),
    col(
        "orig_len_min",
        Int,
        "bytes",
        CicFlowMeter,
        "smallest originator payload",
        |fl, _, out| int(out, fl, |f| orig(f).len.min().map(small)),
    ),
    col(
        "orig_len_max",
        Int,
        "bytes",
        CicFlowMeter,
        "largest originator payload",
        |fl, _, out| int(out, fl, |f| orig(f).len.max().map(small)),
    ),
    col(
        "orig_len_mean",
        Float,
        "bytes",
        CicFlowMeter,
        "mean originator payload",
        |fl, _, out| float(out, fl, |f| orig(f).len_mean()),
    ),
    col(
        "orig_len_std",
        Float,
        "bytes",
        CicFlowMeter,
        "sample standard deviation of originator payloads",
        |fl, _, out| float(out, fl, |f| orig(f).len_std()),
    ),
    col(
        "resp_len_min",
        Int,
        "bytes",
        CicFlowMeter,
        "smallest responder payload",
        |fl, _, out| int(out, fl, |f| resp(f).len.min().map(small)),
    ),
    col(
        "resp_len_max",
        Int,
        "bytes",
        CicFlowMeter,
        "largest responder payload",
        |fl, _, out| int(out, fl, |f| resp(f).len.max().map(small)),
    ),
    col(
        "resp_len_mean",
        Float,
        "bytes",
        CicFlowMeter,
        "mean responder payload",
        |fl, _, out| float(out, fl, |f| resp(f).len_mean()),
    ),
    col(
        "resp_len_std",
        Float,
        "bytes",
        CicFlowMeter,
        "sample standard deviation of responder payloads",
        |fl, _, out| float(out, fl, |f| resp(f).len_std()),
    ),
    col(
        "iat_mean",
        Float,
        "s",
        CicFlowMeter,
        "mean gap between consecutive packets (both directions)",
        |fl, _, out| float(out, fl, |f| f.iat_mean().map(secs)),
    ),
    col(
        "iat_std",
        Float,
        "s",
        CicFlowMeter,
        "sample standard deviation of the gaps",
        |fl, _, out| float(out, fl, |f| f.iat_std().map(secs)),
    ),
    col(
        "iat_min",
        Float,
        "s",
        CicFlowMeter,
        "smallest gap",
        |fl, _, out| float(out, fl, |f| f.iat.min().map(|x| secs(x as f64))),
    ),
    col(
        "iat_max",
        Float,
        "s",
        CicFlowMeter,
        "largest gap",
        |fl, _, out| float(out, fl, |f| f.iat.max().map(|x| secs(x as f64))),
    ),
    col(
        "bytes_per_s",
        Float,
        "bytes/s",
        Nwcap,
        "wire bytes (both directions) / duration; null when the duration is 0",
        |fl, _, out| float(out, fl, |f| rate(f, f.orig.bytes + f.resp.bytes)),
    ),
    col(
        "pkts_per_s",
        Float,
        "packets/s",
        Nwcap,
        "packets / duration; null when the duration is 0",
        |fl, _, out| float(out, fl, |f| rate(f, f.orig.pkts + f.resp.pkts)),
    ),
    col(
        "port_service",
        Text,
        "",
        Nwcap,
        "service usually found on the responder's port (a guess from the port alone, not confirmed)",
        |fl, _, out| {
            texto(out, fl, |f| {
                hints::service_from_port(
                    f.key.proto,
                    f.resp_p().unwrap_or(0),
                    f.orig_p().unwrap_or(0),
                )
            })
        },
    ),
    col(
        "dns_query",
        Text,
        "",
        Zeek,
        "first DNS question name (dns.log query)",
        |fl, _, out| texto(out, fl, Flow::dns_query),
    ),
    col(
        "tls_sni",
        Text,
        "",
        Zeek,
        "server name of the TLS ClientHello (ssl.log server_name)",
        |fl, _, out| texto(out, fl, Flow::tls_sni),
    ),
    col(
        "http_host",
        Text,
        "",
        Zeek,
        "Host header of the first HTTP request (http.log host)",
        |fl, _, out| texto(out, fl, Flow::http_host),
    ),
];

/// The column named `name`.
pub fn column(name: &str) -> Option<&'static ColumnSpec> {
    COLUMNS.iter().find(|c| c.name == name)
}

/// Names of the columns that are fields of Zeek's conn.log, in the log's
/// order: what `--format zeek` writes without `--columns`.
pub fn zeek_columns() -> impl Iterator<Item = &'static str> {
    COLUMNS.iter().filter(|c| c.zeek.is_some()).map(|c| c.name)
}

/// Names of the columns the default table shows, in order.
pub fn default_columns() -> impl Iterator<Item = &'static str> {
    COLUMNS.iter().filter(|c| c.default).map(|c| c.name)
}

/// Flows converted per block: each column visits a block's flows while
/// they are still in the cache.
const BLOCK: usize = 256;

/// The columns `specs` over `flows`, built block by block into columns
/// sized for all of them.
pub fn to_columns(flows: &[Flow], specs: &[&ColumnSpec], opts: &ColumnOptions<'_>) -> Vec<Column> {
    let mut cols: Vec<Column> = specs
        .iter()
        .map(|s| Column {
            name: s.name,
            data: s.kind.empty(flows.len()),
        })
        .collect();
    extend_columns(flows, specs, opts, cols.iter_mut());
    cols
}

/// Appends the rows of `flows` to `cols`, the columns `specs` (in that
/// order), block by block; each column first makes room for them all.
pub fn extend_columns<'c>(
    flows: &[Flow],
    specs: &[&ColumnSpec],
    opts: &ColumnOptions<'_>,
    cols: impl IntoIterator<Item = &'c mut Column>,
) {
    let mut cols: Vec<&mut Column> = cols.into_iter().collect();
    for c in &mut cols {
        c.data.reserve(flows.len());
    }
    for block in flows.chunks(BLOCK) {
        for (c, s) in cols.iter_mut().zip(specs) {
            (s.build)(block, opts, &mut c.data);
        }
    }
}

/// Every column over `flows`.
pub fn all_columns(flows: &[Flow], opts: &ColumnOptions<'_>) -> Vec<Column> {
    let specs: Vec<&ColumnSpec> = COLUMNS.iter().collect();
    to_columns(flows, &specs, opts)
}

/// The text columns that identify a flow (`uid`) or its 5-tuple
/// (`community_id`): a hash each, so the costliest to build, and unique
/// per row or nearly, so a dictionary never makes them smaller.
pub const IDENTIFIER_COLUMNS: &[&str] = &["uid", "community_id"];

/// The column reference as a Markdown table (README's "Columns" section).
pub fn reference_markdown() -> String {
    let mut s =
        String::from("| column | type | unit | definition | meaning |\n|---|---|---|---|---|\n");
    for c in COLUMNS {
        let _ = writeln!(
            s,
            "| `{}`{} | {} | {} | {} | {} |",
            c.name,
            if c.default { " *" } else { "" },
            c.kind.name(),
            c.unit,
            c.source.name(),
            c.doc.replace('|', "\\|")
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for c in COLUMNS {
            assert!(seen.insert(c.name), "duplicate column {}", c.name);
            assert!(
                c.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{}",
                c.name
            );
            assert!(!c.doc.is_empty(), "{} has no description", c.name);
        }
        assert!(default_columns().count() >= 10);
        for name in IDENTIFIER_COLUMNS {
            assert!(
                COLUMNS
                    .iter()
                    .any(|c| c.name == *name && c.kind == Kind::Text),
                "{name}"
            );
        }
    }

    /// Addresses in text columns are what `Display` writes.
    #[test]
    fn addresses_are_written_as_display_writes_them() {
        for a in [
            "0.0.0.0",
            "9.10.99.100",
            "255.255.255.255",
            "10.0.0.1",
            "2001:db8::1",
            "::ffff:192.0.2.1",
        ] {
            let ip: std::net::IpAddr = a.parse().expect(a);
            let mut b = String::from("x");
            assert!(push_addr(&mut b, ip));
            assert_eq!(b, format!("x{ip}"));
        }
    }

    /// The Zeek fields come in conn.log's order (Zeek 7's base fields,
    /// then those of its vlan-logging and community-id scripts).
    #[test]
    fn zeek_fields_follow_conn_log_order() {
        const CONN_LOG: &[&str] = &[
            "ts",
            "uid",
            "id.orig_h",
            "id.orig_p",
            "id.resp_h",
            "id.resp_p",
            "proto",
            "service",
            "duration",
            "orig_bytes",
            "resp_bytes",
            "conn_state",
            "local_orig",
            "local_resp",
            "missed_bytes",
            "history",
            "orig_pkts",
            "orig_ip_bytes",
            "resp_pkts",
            "resp_ip_bytes",
            "tunnel_parents",
            "ip_proto",
            "vlan",
            "inner_vlan",
            "community_id",
        ];
        let ours: Vec<&str> = COLUMNS
            .iter()
            .filter_map(|c| c.zeek)
            .map(|z| z.name)
            .collect();
        let order: Vec<usize> = ours
            .iter()
            .map(|n| CONN_LOG.iter().position(|f| f == n).expect(n))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{ours:?}");
        // And before every other column.
        let first_other = COLUMNS.iter().position(|c| c.zeek.is_none()).unwrap_or(0);
        assert!(COLUMNS[first_other..].iter().all(|c| c.zeek.is_none()));
    }
}
