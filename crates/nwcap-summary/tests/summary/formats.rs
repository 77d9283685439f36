//! Writers: Parquet round trip, CSV escaping, JSON exactness, tables.

use super::*;

#[test]
fn parquet_round_trip_is_exact() {
    let df = fixture::frame();
    let bytes = render_bytes(df.clone(), &opts(Format::Parquet));
    let back = ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .unwrap();
    assert_eq!(back.schema(), df.schema());
    assert!(back.equals_missing(&df), "{back:?}\n{df:?}");
}

#[test]
fn csv_escapes_wire_strings_and_keeps_names() {
    let text = render_text(fixture::frame(), &opts(Format::Csv));
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let expected: Vec<&str> = fixture::columns().iter().map(|c| c.name).collect();
    assert_eq!(header, expected.join(","));
    assert_eq!(lines.clone().count(), 5);
    // Formula neutralised, control characters escaped, nothing raw left.
    assert!(text.contains("'=cmd|' /C calc'!A0"), "{text}");
    assert!(text.contains("evil\\x1b[2Jhost"), "{text}");
    assert!(!text.contains('\x1b'));
    // Timestamps as RFC 3339 with microseconds, durations in seconds.
    let row1 = text.lines().nth(1).unwrap();
    assert!(row1.contains("2023-11-14T22:13:20.000004Z"), "{row1}");
    assert!(row1.contains(",1.5,"), "{row1}");
    assert!(
        row1.starts_with("C1,tcp,10.0.0.1,50000,10.0.0.2,443,,"),
        "{row1}"
    );
}

#[test]
fn json_and_ndjson_keep_strings_exact() {
    let text = render_text(fixture::frame(), &opts(Format::Json));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[1]["dns_query"], fixture::FORMULA);
    assert_eq!(rows[2]["http_host"], fixture::ESC_HOST);
    assert_eq!(rows[0]["orig_wire_bytes"], 1000);
    assert_eq!(rows[0]["resp_p"], 443);
    assert!(rows[4]["resp_p"].is_null());
    assert_eq!(rows[0]["ts"], "2023-11-14T22:13:20.000004Z");
    assert_eq!(rows[0]["duration"], 1.5);
    assert_eq!(rows[0]["handshake_rtt"], 0.000123);

    let text = render_text(fixture::frame(), &opts(Format::Ndjson));
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[2]["http_host"], fixture::ESC_HOST);
    assert_eq!(lines[3]["uid"], "C4");
}

#[test]
fn table_fits_width_and_escapes() {
    let df = fixture::frame();
    for width in [40, 60, 100, 250] {
        let mut out = Vec::new();
        render_table(&df, width, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('\x1b'));
        // Headers may wrap onto several lines; every line but the footer
        // fits.
        let (footer, table): (Vec<&str>, Vec<&str>) =
            text.lines().partition(|l| l.contains("not shown"));
        assert!(table.len() >= 7, "{text}");
        for line in &table {
            assert!(line.chars().count() <= width, "{width}: {line:?}");
        }
        // At narrow widths the footer names what was left out; at 250
        // everything fits.
        assert_eq!(footer.len(), usize::from(width < 250), "{text}");
    }
    let mut out = Vec::new();
    let wide = df
        .select(["uid", "ts", "http_host", "orig_wire_bytes"])
        .unwrap();
    render_table(&wide, 200, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("evil\\x1b[2Jhost"), "{text}");
    assert!(text.contains("2023-11-14 22:13:20.000004"), "{text}");
    // Text is cut with an ellipsis, numbers are right-aligned and whole.
    let cols = vec![
        Column {
            name: "uid",
            data: fixture::s(&["C1"]),
        },
        Column {
            name: "ts",
            data: ColumnData::TimestampNs(vec![fixture::T0]),
        },
        Column {
            name: "tls_sni",
            data: fixture::s(&["averyveryverylongservername.example.com"]),
        },
        Column {
            name: "orig_wire_bytes",
            data: ColumnData::I64(vec![1000]),
        },
    ];
    let mut out = Vec::new();
    render_table(&to_dataframe(cols).unwrap(), 60, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // The number's header wraps at an underscore rather than being cut.
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0].trim(), "orig_wire_");
    assert_eq!(lines[1].split_whitespace().last(), Some("bytes"));
    assert_eq!(
        lines[3],
        "C1  2023-11-14 22:13:20.000000 averyveryverylo…         1000"
    );
    assert!(lines.iter().all(|l| l.chars().count() <= 60), "{text}");
}

#[test]
fn flows_table_defaults_to_the_main_columns() {
    let o = OutputOptions {
        width: Some(200),
        ..opts(Format::Table)
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.txt");
    render_flows(fixture::frame(), &o, &Output::Path(path.clone())).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "ts",
            "orig_h",
            "orig_p",
            "resp_h",
            "resp_p",
            "proto",
            "service",
            "duration",
            "conn_state",
            "orig_pkts",
            "resp_pkts"
        ]
    );
    assert!(text.contains(" 1.5 "), "{text}");
    // Absent default columns are skipped; without any, all columns show.
    let few = fixture::frame()
        .select(["uid", "proto", "orig_wire_bytes"])
        .unwrap();
    render_flows(few, &o, &Output::Path(path.clone())).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["proto"]);
    let none = fixture::frame().select(["uid", "vlan"]).unwrap();
    render_flows(none, &o, &Output::Path(path.clone())).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["uid", "vlan"]);
}

#[test]
fn failed_render_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.parquet");
    let o = OutputOptions {
        sql: Some("SELECT nope FROM flows".into()),
        ..opts(Format::Parquet)
    };
    assert!(render(fixture::frame(), &o, &Output::Path(path.clone())).is_err());
    assert!(!path.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn ipv6_addresses_are_never_cut() {
    let v6 = "2001:db8:85a3:1234:5678:8a2e:370:7334";
    let cols = vec![
        Column {
            name: "uid",
            data: fixture::s(&["C1", "C2"]),
        },
        Column {
            name: "orig_h",
            data: fixture::s(&[v6, "10.0.0.1"]),
        },
        Column {
            name: "resp_h",
            data: fixture::s(&["fe80::1", v6]),
        },
        Column {
            name: "tls_sni",
            data: fixture::s(&["averyveryverylongservername.example.com", ""]),
        },
    ];
    for width in [60, 80, 100] {
        let mut out = Vec::new();
        render_table(&to_dataframe(cols.clone()).unwrap(), width, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        // Shown whole or left out (and named in the footer), never cut.
        assert!(text.matches(v6).count() >= 1, "{width}: {text}");
        assert_eq!(
            text.matches("2001:db8").count(),
            text.matches(v6).count(),
            "{width}: {text}"
        );
        assert!(text.contains(v6) && (text.contains("fe80::1") || text.contains("resp_h")));
        if width == 100 {
            assert_eq!(text.matches(v6).count(), 2, "{width}: {text}");
            assert!(
                text.contains("averyveryverylo") && text.contains('…'),
                "{text}"
            );
        }
    }
}
