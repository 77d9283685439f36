//! Integration tests on hand-built flow tables (the flow engine's column
//! names, a few rows chosen so every aggregate has a known answer).

#![allow(clippy::unwrap_used)]

use nwcap_flows::columns::{Column, ColumnData, Texts};
use nwcap_summary::polars::prelude::*;
use nwcap_summary::{
    DataFrame, Error, Format, Output, OutputOptions, SortKey, TopBy, render, render_flows,
    render_table, to_dataframe, top,
};

mod fixture {
    use super::*;

    pub const T0: i64 = 1_700_000_000_000_000_000;
    pub const FORMULA: &str = "=cmd|' /C calc'!A0";
    pub const ESC_HOST: &str = "evil\x1b[2Jhost";

    pub fn s(v: &[&str]) -> ColumnData {
        so(&v.iter().map(|x| Some(*x)).collect::<Vec<_>>())
    }

    pub fn so(v: &[Option<&str>]) -> ColumnData {
        let mut t = Texts::default();
        for x in v {
            t.push(*x);
        }
        ColumnData::Text(t)
    }

    fn c(name: &'static str, data: ColumnData) -> Column {
        Column { name, data }
    }

    /// Five flows:
    /// 1 tcp 10.0.0.1:50000 -> 10.0.0.2:443 ssl   1000/5000 B 10/12 pkts
    /// 2 udp 10.0.0.1:53000 -> 8.8.8.8:53   dns     60/120  B  1/1
    /// 3 tcp 10.0.0.3:40000 -> 10.0.0.2:80  http   300/7000 B  5/8
    /// 4 tcp 10.0.0.2:51000 -> 10.0.0.1:22  -      200/100  B  3/2
    /// 5 icmp 10.0.0.4 -> 10.0.0.4          -       84/84   B  1/1
    pub fn columns() -> Vec<Column> {
        vec![
            c("uid", s(&["C1", "C2", "C3", "C4", "C5"])),
            c("proto", s(&["tcp", "udp", "tcp", "tcp", "icmp"])),
            c(
                "orig_h",
                s(&["10.0.0.1", "10.0.0.1", "10.0.0.3", "10.0.0.2", "10.0.0.4"]),
            ),
            c(
                "orig_p",
                ColumnData::I32Opt(vec![
                    Some(50000),
                    Some(53000),
                    Some(40000),
                    Some(51000),
                    None,
                ]),
            ),
            c(
                "resp_h",
                s(&["10.0.0.2", "8.8.8.8", "10.0.0.2", "10.0.0.1", "10.0.0.4"]),
            ),
            c(
                "resp_p",
                ColumnData::I32Opt(vec![Some(443), Some(53), Some(80), Some(22), None]),
            ),
            c(
                "vlan",
                ColumnData::I32Opt(vec![None, None, Some(7), None, None]),
            ),
            c(
                "ts",
                ColumnData::TimestampNs(vec![
                    T0 + 4000,
                    T0 + 1000,
                    T0 + 3000,
                    T0 + 2000,
                    T0 + 5000,
                ]),
            ),
            c(
                "duration",
                ColumnData::F64Opt(vec![
                    Some(1.5),
                    Some(0.0),
                    Some(0.25),
                    Some(0.000002),
                    Some(0.0),
                ]),
            ),
            c("orig_pkts", ColumnData::I64(vec![10, 1, 5, 3, 1])),
            c("resp_pkts", ColumnData::I64(vec![12, 1, 8, 2, 1])),
            c(
                "orig_wire_bytes",
                ColumnData::I64(vec![1000, 60, 300, 200, 84]),
            ),
            c(
                "resp_wire_bytes",
                ColumnData::I64(vec![5000, 120, 7000, 100, 84]),
            ),
            c(
                "conn_state",
                so(&[Some("SF"), None, Some("SF"), Some("S0"), None]),
            ),
            c(
                "handshake_rtt",
                ColumnData::F64Opt(vec![Some(0.000123), None, Some(0.01), None, None]),
            ),
            c(
                "bytes_per_s",
                ColumnData::F64Opt(vec![
                    Some(4000.0),
                    Some(0.0),
                    Some(29200.0),
                    Some(150000.0),
                    Some(0.0),
                ]),
            ),
            c(
                "service",
                so(&[Some("ssl"), Some("dns"), Some("http"), None, None]),
            ),
            c("dns_query", so(&[None, Some(FORMULA), None, None, None])),
            c(
                "tls_sni",
                so(&[Some("example.com"), None, None, None, None]),
            ),
            c("http_host", so(&[None, None, Some(ESC_HOST), None, None])),
        ]
    }

    pub fn frame() -> DataFrame {
        to_dataframe(columns()).unwrap()
    }
}

fn u64s(df: &DataFrame, name: &str) -> Vec<Option<u64>> {
    let c = df.column(name).unwrap().cast(&DataType::UInt64).unwrap();
    c.u64().unwrap().iter().collect()
}

fn strs(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    df.column(name)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.map(str::to_string))
        .collect()
}

fn opts(format: Format) -> OutputOptions {
    OutputOptions {
        format,
        ..OutputOptions::default()
    }
}

/// Render into a file in a fresh temp dir and return its bytes.
fn render_bytes(df: DataFrame, o: &OutputOptions) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out");
    render(df, o, &Output::Path(path.clone())).unwrap();
    std::fs::read(&path).unwrap()
}

fn render_text(df: DataFrame, o: &OutputOptions) -> String {
    String::from_utf8(render_bytes(df, o)).unwrap()
}

mod aggregates;
mod formats;
mod frame;
mod select;
mod sql;
