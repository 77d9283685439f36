//! Time building a DataFrame and writing it to Parquet for a synthetic flow
//! table shaped like the flow engine's (~55 columns).
//!
//! `cargo run --release -p nwcap-summary --example parquet_write -- 50000 1000000`

use std::time::Instant;

use nwcap_flows::columns::{Column, ColumnData};
use nwcap_summary::{Format, Output, OutputOptions, render, to_dataframe};

/// Deterministic pseudo-random numbers (xorshift), no extra dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn flows(n: usize) -> Vec<Column> {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut u64s =
        |m: u64| -> ColumnData { ColumnData::U64((0..n).map(|_| r.next() % m).collect()) };
    let mut cols: Vec<Column> = Vec::new();
    let mut push = |name: &'static str, data: ColumnData| cols.push(Column { name, data });
    push(
        "uid",
        ColumnData::Str((0..n).map(|i| format!("C{i:012x}")).collect()),
    );
    push(
        "community_id",
        ColumnData::Str((0..n).map(|i| format!("1:{:028x}=", i * 7919)).collect()),
    );
    push(
        "proto",
        ColumnData::Str(
            (0..n)
                .map(|i| ["tcp", "udp", "icmp"][i % 3].to_string())
                .collect(),
        ),
    );
    push(
        "orig_h",
        ColumnData::Str(
            (0..n)
                .map(|i| format!("10.0.{}.{}", i % 256, i % 200))
                .collect(),
        ),
    );
    push(
        "orig_p",
        ColumnData::U32Opt((0..n).map(|i| Some(1024 + (i % 60000) as u32)).collect()),
    );
    push(
        "resp_h",
        ColumnData::Str(
            (0..n)
                .map(|i| format!("10.1.{}.{}", i % 16, i % 7))
                .collect(),
        ),
    );
    push(
        "resp_p",
        ColumnData::U32Opt((0..n).map(|i| Some([443, 80, 53, 22][i % 4])).collect()),
    );
    push("vlan", ColumnData::U32Opt(vec![None; n]));
    push("tunnel", ColumnData::StrOpt(vec![None; n]));
    push(
        "file",
        ColumnData::Str(vec!["capture_0.cap".to_string(); n]),
    );
    let t0 = 1_700_000_000_000_000_000i64;
    push(
        "ts",
        ColumnData::TimestampNs((0..n as i64).map(|i| t0 + i * 1_000_317).collect()),
    );
    push(
        "last_ts",
        ColumnData::TimestampNs(
            (0..n as i64)
                .map(|i| t0 + i * 1_000_317 + 5_000_000)
                .collect(),
        ),
    );
    push("duration", ColumnData::DurationNs(vec![5_000_000; n]));
    for name in [
        "orig_pkts",
        "resp_pkts",
        "orig_bytes",
        "resp_bytes",
        "orig_ip_bytes",
        "resp_ip_bytes",
        "orig_payload",
        "resp_payload",
        "truncated_pkts",
    ] {
        push(name, u64s(100_000));
    }
    push(
        "conn_state",
        ColumnData::StrOpt(
            (0..n)
                .map(|i| Some(["SF", "S0", "REJ"][i % 3].to_string()))
                .collect(),
        ),
    );
    push(
        "history",
        ColumnData::StrOpt((0..n).map(|_| Some("ShADadFf".to_string())).collect()),
    );
    for name in [
        "syn",
        "fin",
        "rst",
        "psh",
        "ack",
        "urg",
        "ece",
        "cwr",
        "retransmits",
        "out_of_order",
        "zero_window",
    ] {
        push(name, u64s(10));
    }
    push(
        "handshake_rtt",
        ColumnData::F64Opt((0..n).map(|i| (i % 3 == 0).then_some(0.0012)).collect()),
    );
    push("orig_init_win", ColumnData::U32Opt(vec![Some(64240); n]));
    push("resp_init_win", ColumnData::U32Opt(vec![Some(65535); n]));
    for name in [
        "orig_len_min",
        "orig_len_max",
        "resp_len_min",
        "resp_len_max",
    ] {
        push(name, u64s(1500));
    }
    for name in [
        "orig_len_mean",
        "orig_len_std",
        "resp_len_mean",
        "resp_len_std",
        "iat_mean",
        "iat_std",
        "iat_min",
        "iat_max",
        "bytes_per_s",
        "pkts_per_s",
    ] {
        push(
            name,
            ColumnData::F64((0..n).map(|i| (i % 1000) as f64 * 1.25).collect()),
        );
    }
    push(
        "service",
        ColumnData::StrOpt(
            (0..n)
                .map(|i| ["ssl", "http", "dns"].get(i % 5).map(|s| s.to_string()))
                .collect(),
        ),
    );
    push(
        "dns_query",
        ColumnData::StrOpt(
            (0..n)
                .map(|i| (i % 4 == 2).then(|| format!("host{}.example.com", i % 1000)))
                .collect(),
        ),
    );
    push(
        "tls_sni",
        ColumnData::StrOpt(
            (0..n)
                .map(|i| (i % 4 == 0).then(|| format!("sni{}.example.net", i % 500)))
                .collect(),
        ),
    );
    push("http_host", ColumnData::StrOpt(vec![None; n]));
    cols
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let sizes = if sizes.is_empty() {
        vec![50_000, 1_000_000]
    } else {
        sizes
    };
    let dir = tempfile::tempdir()?;
    for n in sizes {
        let cols = flows(n);
        let width = cols.len();
        let t = Instant::now();
        let df = to_dataframe(cols)?;
        let build = t.elapsed();
        let path = dir.path().join(format!("flows_{n}.parquet"));
        let opts = OutputOptions {
            format: Format::Parquet,
            ..OutputOptions::default()
        };
        let t = Instant::now();
        render(df, &opts, &Output::Path(path.clone()))?;
        let write = t.elapsed();
        let size = std::fs::metadata(&path)?.len();
        println!(
            "{n} flows x {width} columns: to_dataframe {:.3} s, parquet write {:.3} s, {:.1} MB",
            build.as_secs_f64(),
            write.as_secs_f64(),
            size as f64 / 1e6
        );
    }
    Ok(())
}
