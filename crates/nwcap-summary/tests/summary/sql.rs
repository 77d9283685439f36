//! `--sql` without polars' traps (issue 14): one test per trap, on the
//! fixture table (five flows, `ts` = T0 + 1..5 µs... in ns: see fixture).

use super::*;
use nwcap_summary::prepare;

fn sql(q: &str) -> Result<DataFrame, Error> {
    let o = OutputOptions {
        sql: Some(q.into()),
        ..OutputOptions::default()
    };
    prepare(fixture::frame(), &o)
}

fn uids(df: &DataFrame) -> Vec<String> {
    strs(df, "uid").into_iter().flatten().collect()
}

fn names(df: &DataFrame) -> Vec<String> {
    df.get_column_names()
        .into_iter()
        .map(|n| n.to_string())
        .collect()
}

/// The fixture's T0 (2023-11-14T22:13:20Z) plus `us` microseconds, as
/// RFC 3339.
fn at(us: u32) -> String {
    format!("2023-11-14T22:13:20.{us:06}Z")
}

#[test]
fn rfc3339_literals_compare_with_ts() {
    // Flows at T0+1..5 µs: C2 1, C4 2, C3 3, C1 4, C5 5.
    let df = sql(&format!(
        "SELECT uid FROM flows WHERE ts >= '{}' ORDER BY ts",
        at(3)
    ))
    .unwrap();
    assert_eq!(uids(&df), ["C3", "C1", "C5"]);
    // An offset is an instant too; the literal may come first.
    let df =
        sql("SELECT uid FROM flows WHERE '2023-11-14T23:13:20.000002+01:00' >= ts ORDER BY ts")
            .unwrap();
    assert_eq!(uids(&df), ["C2", "C4"]);
    let df = sql(&format!(
        "SELECT uid FROM flows WHERE ts BETWEEN '{}' AND '{}' ORDER BY ts",
        at(2),
        at(3)
    ))
    .unwrap();
    assert_eq!(uids(&df), ["C4", "C3"]);
    let df = sql(&format!("SELECT uid FROM flows WHERE ts IN ('{}')", at(5))).unwrap();
    assert_eq!(uids(&df), ["C5"]);
}

#[test]
fn timestamp_literals_compare_with_ts() {
    for q in [
        "SELECT uid FROM flows WHERE ts > TIMESTAMP '2023-11-14 22:13:20.000004' ORDER BY ts",
        "SELECT uid FROM flows WHERE ts > TIMESTAMP '2023-11-14T22:13:20.000004Z' ORDER BY ts",
        "SELECT uid FROM flows WHERE ts > CAST('2023-11-14 22:13:20.000004' AS TIMESTAMP) ORDER BY ts",
        "SELECT uid FROM flows WHERE ts > TIMESTAMP WITH TIME ZONE '2023-11-14 22:13:20.000004' ORDER BY ts",
    ] {
        let df = sql(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(uids(&df), ["C5"], "{q}");
    }
}

#[test]
fn results_keep_the_column_tables_types() {
    let df = sql(
        "SELECT ts, CAST(ts AS TIMESTAMP) AS t, ts + INTERVAL '1 second' AS later, \
         duration, (ts + INTERVAL '2 seconds') - ts AS gap FROM flows",
    )
    .unwrap();
    let utc = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
    assert_eq!(df.column("ts").unwrap().dtype(), &utc);
    assert_eq!(df.column("t").unwrap().dtype(), &utc);
    assert_eq!(df.column("later").unwrap().dtype(), &utc);
    // Durations are seconds, as doubles, in and out of SQL.
    assert_eq!(df.column("duration").unwrap().dtype(), &DataType::Float64);
    let gap = df.column("gap").unwrap();
    assert_eq!(gap.dtype(), &DataType::Float64);
    assert_eq!(gap.f64().unwrap().get(0), Some(2.0));
    let df = sql("SELECT uid FROM flows WHERE duration > 1 ").unwrap();
    assert_eq!(uids(&df), ["C1"], "duration is seconds, not nanoseconds");
    // Counts are signed 64-bit.
    let df = sql("SELECT count(*) AS n FROM flows").unwrap();
    assert_eq!(df.column("n").unwrap().dtype(), &DataType::Int64);
}

#[test]
fn aggregates_get_distinct_sensible_names() {
    let df = sql("SELECT min(ts), max(ts), COUNT(*), sum(orig_pkts) FROM flows").unwrap();
    assert_eq!(
        names(&df),
        ["min(ts)", "max(ts)", "count(*)", "sum(orig_pkts)"]
    );
    assert_eq!(df.height(), 1);
    assert_eq!(
        df.column("count(*)").unwrap().i64().unwrap().get(0),
        Some(5)
    );
    // ORDER BY the aggregate as written.
    let df = sql("SELECT proto, COUNT(*) FROM flows GROUP BY proto ORDER BY COUNT(*) DESC, proto")
        .unwrap();
    assert_eq!(names(&df), ["proto", "count(*)"]);
    assert_eq!(
        strs(&df, "proto"),
        ["tcp", "icmp", "udp"].map(|s| Some(s.into()))
    );
}

#[test]
fn an_aggregate_without_group_by_names_no_other_column() {
    let err = sql("SELECT proto, COUNT(*) FROM flows").unwrap_err();
    assert_eq!(
        err.to_string(),
        "sql: column \"proto\" must appear in GROUP BY or be used in an aggregate function \
         (the query has an aggregate, count(*), and no GROUP BY)"
    );
    // The standard result where the query is valid.
    let df =
        sql("SELECT COUNT(*) AS n, sum(orig_pkts) AS p FROM flows WHERE proto = 'tcp'").unwrap();
    assert_eq!(df.shape(), (1, 2));
    assert_eq!(df.column("p").unwrap().i64().unwrap().get(0), Some(18));
}

#[test]
fn date_trunc_truncates_timestamps() {
    let df =
        sql("SELECT date_trunc('minute', ts) AS m, count(*) AS n FROM flows GROUP BY m").unwrap();
    assert_eq!(df.shape(), (1, 2));
    let m = df.column("m").unwrap();
    assert_eq!(
        m.dtype(),
        &DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
    );
    // 2023-11-14T22:13:00Z in µs.
    assert_eq!(
        m.datetime().unwrap().physical().get(0),
        Some(1_699_999_980_000_000)
    );
    let df = sql("SELECT date_trunc('day', ts) AS d FROM flows LIMIT 1").unwrap();
    assert_eq!(
        df.column("d")
            .unwrap()
            .datetime()
            .unwrap()
            .physical()
            .get(0),
        Some(1_699_920_000_000_000)
    );
    let err = sql("SELECT date_trunc('fortnight', ts) FROM flows").unwrap_err();
    assert!(
        err.to_string().contains("unknown unit 'fortnight'"),
        "{err}"
    );
}

#[test]
fn errors_are_one_short_line() {
    for q in [
        "SELECT ts FROM flows WHERE ts > 'not a time'",
        "SELECT nope FROM flows",
        "SELECT ts FROM flows WHERE ts > 3 +",
        "DELETE FROM flows",
    ] {
        let msg = sql(q).unwrap_err().to_string();
        assert!(
            msg.starts_with("sql: ") && !msg.contains('\n') && !msg.contains("Resolved plan"),
            "{q}: {msg}"
        );
    }
}
