//! The data tools read nwcap's outputs as they are (issue 14): Parquet,
//! CSV, NDJSON, Zeek's TSV and Zeek's JSON written from `testdata/`
//! captures, read by DuckDB, pyarrow and zat (a Zeek log reader from PyPI)
//! in `tests/datatools/read.py`, which checks the types they see and the
//! Zeek log's values (see the script).
//!
//! Python and its packages come from pip (`.ci/run` installs them). When
//! they are missing the test prints `SKIPPED:` and passes, except under CI
//! (`CI` set), where it fails: there they must be installed.

use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGES: &str = "duckdb, pyarrow, pandas, zat";

fn python() -> Option<&'static str> {
    let ok = Command::new("python3")
        .args(["-c", "import duckdb, pyarrow, pandas, zat"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some("python3");
    }
    let why = format!("python3 with {PACKAGES} not found (pip install {PACKAGES})");
    assert!(
        std::env::var_os("CI").is_none(),
        "{why}: required under CI (.ci/run installs them)"
    );
    println!("SKIPPED: {why}; data tools test not run");
    None
}

fn nwcap(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_nwcap"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run nwcap");
    assert!(
        out.status.success(),
        "nwcap {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn testdata(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn duckdb_pyarrow_and_zat_read_every_format_with_its_types() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let sample = testdata("sample.pcap");
    let vxlan = testdata("tcpdump_vxlan.pcap");
    for (input, format, file, extra) in [
        (&sample, "parquet", "flows.parquet", None),
        (&sample, "csv", "flows.csv", None),
        (&sample, "ndjson", "flows.ndjson", None),
        (&sample, "zeek", "conn.log", None),
        (&sample, "zeek-json", "conn.ndjson", None),
        (
            &sample,
            "csv",
            "payload.csv",
            Some("uid,orig_payload,resp_payload,retransmits,out_of_order,duration"),
        ),
        // No TCP, no VLAN: whole columns are null.
        (&vxlan, "csv", "vxlan.csv", None),
        (&vxlan, "ndjson", "vxlan.ndjson", None),
    ] {
        let mut args = vec!["flows", input.as_str(), "--format", format, "-o", file];
        if let Some(cols) = extra {
            args.extend(["--columns", cols]);
        }
        nwcap(d, &args);
    }
    let json = nwcap(d, &["schema", "--format", "json"]);
    std::fs::write(d.join("schema.json"), json).expect("schema.json");
    let duck = nwcap(d, &["schema", "--format", "duckdb"]);
    std::fs::write(d.join("duckdb-columns.txt"), duck).expect("duckdb-columns.txt");

    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/datatools/read.py");
    let out = Command::new(py)
        .arg(&script)
        .arg(d)
        .output()
        .expect("run python3");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{}:\n{text}", script.display());
    assert!(
        text.contains("data tools read every format with the column table's types"),
        "{text}"
    );
}

/// `nwcap schema` is the column table: every column, its types.
#[test]
fn schema_lists_the_column_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = nwcap(dir.path(), &["schema", "--format", "json"]);
    let cols: serde_json::Value = serde_json::from_slice(&json).expect("json");
    let cols = cols.as_array().expect("array");
    assert_eq!(cols.len(), nwcap_flows::schema::COLUMNS.len());
    let ts = &cols[0];
    assert_eq!(ts["name"], "ts");
    assert_eq!(ts["arrow"], "timestamp[us, tz=UTC]");
    assert_eq!(ts["duckdb"], "TIMESTAMPTZ");
    assert_eq!(ts["zeek_type"], "time");
    let duck = nwcap(
        dir.path(),
        &[
            "schema",
            "--format",
            "duckdb",
            "--columns",
            "orig_h,duration",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&duck),
        "{'orig_h': 'VARCHAR', 'duration': 'DOUBLE'}\n"
    );
}

/// `--format zeek`: Zeek's header lines, conn.log's fields, `-` for unset,
/// epoch seconds; the same rows as the other formats.
#[test]
fn zeek_tsv_is_a_conn_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sample = testdata("sample.pcap");
    let out = Command::new(env!("CARGO_BIN_EXE_nwcap"))
        .args([
            "flows", &sample, "--format", "zeek", "--sort", "ts", "--top", "3",
        ])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .current_dir(dir.path())
        .output()
        .expect("run nwcap");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..6],
        [
            "#separator \\x09",
            "#set_separator\t,",
            "#empty_field\t(empty)",
            "#unset_field\t-",
            "#path\tconn",
            "#open\t2023-11-14-22-13-20",
        ]
    );
    assert!(lines[6].starts_with("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes"));
    assert!(lines[7].starts_with(
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount"
    ));
    assert_eq!(lines.len(), 8 + 3 + 1);
    assert_eq!(lines[11], "#close\t2023-11-14-22-13-20");
    // The first flow: a lone DNS query (duration 0: Zeek leaves duration
    // and the byte counts unset).
    let first: Vec<&str> = lines[8].split('\t').collect();
    assert_eq!(first[0], "1700000000.281161");
    assert_eq!(first[6], "udp");
    assert_eq!(first[8..11], ["-", "-", "-"]);
    let n_fields = lines[6].split('\t').count() - 1;
    assert!(
        lines[8..11]
            .iter()
            .all(|l| l.split('\t').count() == n_fields)
    );

    // Zeek's logs are the flow table's; top's aggregates are refused.
    let out = Command::new(env!("CARGO_BIN_EXE_nwcap"))
        .args(["top", &sample, "--by", "ports", "--format", "zeek"])
        .output()
        .expect("run nwcap");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a Zeek log"));
}
