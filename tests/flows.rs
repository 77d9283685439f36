//! `nwcap flows` and `nwcap top` end to end, on captures the tests write
//! themselves with a tiny Ethernet/IPv4/TCP/UDP frame builder.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::support::cli::{nwcap_env, ok, s, stdout};
use crate::support::pcap::{pcap, traffic};

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().expect("temp dir"))
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.path().join(name);
        std::fs::write(&p, bytes).expect("write capture");
        p
    }
    fn path(&self) -> &Path {
        self.0.path()
    }
}

fn nwcap(args: &[&str], threads: usize) -> Output {
    let threads = threads.to_string();
    nwcap_env(args, &[("RAYON_NUM_THREADS", &threads), ("COLUMNS", "200")])
}

#[test]
fn csv_is_identical_for_one_and_two_threads() {
    let d = Dir::new();
    // Two files given in reverse time order: the later one first.
    let late = d.write("late.pcap", &pcap(&traffic(400, 600_000, 2)));
    let early = d.write("early.pcap", &pcap(&traffic(400, 0, 1)));
    let args = ["flows", s(&late), s(&early), "--format", "csv"];
    let one = ok(&nwcap(&args, 1));
    let two = ok(&nwcap(&args, 2));
    assert_eq!(one, two);
    let lines: Vec<&str> = one.lines().collect();
    assert_eq!(lines.len(), 1 + 1600, "header + 800 TCP + 800 UDP flows");
    let header: Vec<&str> = lines[0].split(',').collect();
    let file_col = header
        .iter()
        .position(|c| *c == "file")
        .expect("file column");
    // Capture order is by first timestamp: early.pcap's flows come first.
    assert!(
        lines[1]
            .split(',')
            .nth(file_col)
            .expect("file")
            .ends_with("early.pcap")
    );
    assert!(
        lines[1600]
            .split(',')
            .nth(file_col)
            .expect("file")
            .ends_with("late.pcap")
    );
    let state = header
        .iter()
        .position(|c| *c == "conn_state")
        .expect("conn_state");
    let states: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(state).expect("state"))
        .collect();
    assert!(states.contains(&"SF") || states.contains(&"S1") || states.contains(&"SH"));
}

#[test]
fn every_format_parses_back() {
    let d = Dir::new();
    let f = d.write("a.pcap", &pcap(&traffic(50, 0, 1)));
    let json: Value =
        serde_json::from_str(&ok(&nwcap(&["flows", s(&f), "--format", "json"], 2))).expect("json");
    let rows = json.as_array().expect("array");
    assert_eq!(rows.len(), 100);
    let tcp = rows.iter().filter(|r| r["proto"] == "tcp").count();
    assert_eq!(tcp, 50);
    assert!(rows.iter().all(|r| r["resp_p"] == 443 || r["resp_p"] == 53));
    let nd = ok(&nwcap(&["flows", s(&f), "--format", "ndjson"], 2));
    let parsed: Vec<Value> = nd
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson line"))
        .collect();
    assert_eq!(parsed.len(), 100);
    assert_eq!(parsed[0]["uid"], rows[0]["uid"]);
    let csv = ok(&nwcap(&["flows", s(&f), "--format", "csv"], 2));
    assert_eq!(csv.lines().count(), 101);
    let table = ok(&nwcap(&["flows", s(&f)], 2));
    assert!(
        table.contains("orig_h") && table.contains("10.9.0.1"),
        "{table}"
    );
    let out = d.path().join("f.parquet");
    ok(&nwcap(
        &["flows", s(&f), "--format", "parquet", "-o", s(&out)],
        2,
    ));
    let bytes = std::fs::read(&out).expect("parquet written");
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
    // The parquet file reads back (polars' reader) with every row and the
    // CSV's columns.
    use polars_io::prelude::{ParquetReader, SerReader};
    let back = ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .expect("parquet reads back");
    assert_eq!(back.height(), 100);
    let header: Vec<&str> = csv.lines().next().expect("csv header").split(',').collect();
    let names: Vec<&str> = back.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(names, header);
}

#[test]
fn damaged_file_among_good_ones_exits_1_with_rows_for_the_rest() {
    let d = Dir::new();
    let good = d.write("good.pcap", &pcap(&traffic(20, 0, 1)));
    let mut bad = pcap(&traffic(20, 100_000, 2));
    // Corrupt the 10th record's captured length: reading stops there.
    let mut pos = 24;
    for _ in 0..9 {
        let caplen =
            u32::from_le_bytes(bad[pos + 8..pos + 12].try_into().expect("4 bytes")) as usize;
        pos += 16 + caplen;
    }
    bad[pos + 8..pos + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let bad = d.write("bad.pcap", &bad);
    let missing = d.path().join("missing.pcap");
    let o = nwcap(
        &["flows", s(&good), s(&bad), s(&missing), "--format", "csv"],
        2,
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.pcap") && err.contains(&format!("at byte {pos}")),
        "{err}"
    );
    assert!(err.contains("missing.pcap"), "{err}");
    let rows = stdout(&o).lines().count() - 1;
    // 40 flows from good.pcap, plus the flows of bad.pcap's first 9 records.
    assert!(rows > 40 && rows < 80, "{rows}");
    // Nothing readable at all: exit 2.
    let o = nwcap(&["flows", s(&missing)], 1);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn top_by_each_kind() {
    let d = Dir::new();
    let f = d.write("a.pcap", &pcap(&traffic(30, 0, 1)));
    for by in ["talkers", "ports", "services", "protocols", "conversations"] {
        let out = ok(&nwcap(
            &["top", s(&f), "--by", by, "-n", "3", "--format", "json"],
            2,
        ));
        let rows: Value = serde_json::from_str(&out).expect("json");
        let rows = rows.as_array().expect("array");
        assert!(!rows.is_empty() && rows.len() <= 3, "{by}: {out}");
        assert!(
            rows[0]["bytes"].as_u64().is_some_and(|b| b > 0),
            "{by}: {out}"
        );
    }
    let out = ok(&nwcap(
        &["top", s(&f), "--by", "protocols", "--format", "csv"],
        1,
    ));
    assert!(out.lines().any(|l| l.starts_with("tcp,30,")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("udp,30,")), "{out}");
}

#[test]
fn filter_flags_and_timeouts_apply() {
    let d = Dir::new();
    let f = d.write("a.pcap", &pcap(&traffic(30, 0, 1)));
    let out = ok(&nwcap(
        &["flows", s(&f), "--protocol", "UDP", "--format", "csv"],
        2,
    ));
    assert_eq!(out.lines().count(), 31);
    let out = ok(&nwcap(
        &[
            "flows",
            s(&f),
            "--remote-port",
            "443",
            "--local-ip",
            "10.0.1.0/24",
            "--format",
            "csv",
        ],
        2,
    ));
    assert_eq!(out.lines().count(), 31);
    // Request and response are 1 ms apart: a 0.5 ms timeout splits them,
    // the UDP inactivity timeout as well as Zeek's DNS session timeout
    // (the exchanges are on port 53).
    for flag in ["--udp-timeout", "--dns-timeout"] {
        let out = ok(&nwcap(
            &[
                "flows",
                s(&f),
                "--protocol",
                "UDP",
                flag,
                "0.0005",
                "--format",
                "csv",
            ],
            2,
        ));
        assert_eq!(out.lines().count(), 61, "{flag}");
    }
}

/// `top --sql` filters the flow table before the aggregate (its help says
/// so): `WHERE conn_state='SF'` names a flow column, not an aggregate one,
/// and the ranks equal those computed from `flows`' own rows.
#[test]
fn top_sql_filters_the_flow_table_before_aggregating() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/sample.pcap");
    let sql = "SELECT * FROM flows WHERE conn_state='SF'";
    let top = ok(&nwcap(
        &[
            "top", sample, "--by", "ports", "-n", "1000", "--format", "ndjson", "--sql", sql,
        ],
        1,
    ));
    let got: Vec<Value> = top
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson"))
        .collect();
    // The same from the flow rows.
    let rows = ok(&nwcap(&["flows", sample, "--format", "ndjson"], 1));
    let mut want: std::collections::BTreeMap<(String, i64), (i64, i64, i64)> =
        std::collections::BTreeMap::new();
    let mut all_flows = 0;
    for line in rows.lines() {
        let r: Value = serde_json::from_str(line).expect("ndjson");
        all_flows += 1;
        if r["conn_state"] != "SF" {
            continue;
        }
        let n = |k: &str| r[k].as_i64().unwrap_or(0);
        let key = (
            r["proto"].as_str().unwrap_or("").to_string(),
            r["resp_p"].as_i64().unwrap_or(-1),
        );
        let e = want.entry(key).or_default();
        e.0 += 1;
        e.1 += n("orig_pkts") + n("resp_pkts");
        e.2 += n("orig_wire_bytes") + n("resp_wire_bytes");
    }
    assert!(!got.is_empty() && got.len() == want.len(), "{top}");
    let sf: i64 = got.iter().map(|g| g["flows"].as_i64().unwrap_or(0)).sum();
    assert!(sf > 0 && sf < all_flows, "SF flows {sf} of {all_flows}");
    for g in &got {
        let key = (
            g["proto"].as_str().unwrap_or("").to_string(),
            g["resp_p"].as_i64().unwrap_or(-1),
        );
        let (flows, pkts, bytes) = want[&key];
        assert_eq!(
            (g["flows"].as_i64(), g["pkts"].as_i64(), g["bytes"].as_i64()),
            (Some(flows), Some(pkts), Some(bytes)),
            "{key:?}"
        );
    }
    // A column of the aggregate is not a column of the flow table.
    let o = nwcap(
        &[
            "top",
            sample,
            "--by",
            "ports",
            "--sql",
            "SELECT * FROM flows WHERE flows > 3",
        ],
        1,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
}

/// A full sort (no `--top`) is written a batch at a time, each batch
/// gathered from the held table in sorted order: the same bytes as the
/// whole-table path (which `--sql` takes), over several CSV batches.
#[test]
fn full_sort_in_batches_equals_the_whole_table_path() {
    let d = Dir::new();
    // 12,000 flows: more than one batch of the text writers (8,192).
    let cap = d.write("many.pcap", &pcap(&traffic(6000, 0, 1)));
    for sort in ["duration,orig_h", "resp_h,orig_p"] {
        let batched = ok(&nwcap(
            &["flows", s(&cap), "-q", "--format", "csv", "--sort", sort],
            2,
        ));
        let whole = ok(&nwcap(
            &[
                "flows",
                s(&cap),
                "-q",
                "--format",
                "csv",
                "--sort",
                sort,
                "--sql",
                "SELECT * FROM flows",
            ],
            2,
        ));
        assert_eq!(batched.lines().count(), 12_001, "{sort}");
        assert!(batched == whole, "--sort {sort}: batched output differs");
    }
}
