//! --sort, --top, --columns, --sql.

use super::*;
use nwcap_summary::prepare;

fn with(f: impl FnOnce(&mut OutputOptions)) -> OutputOptions {
    let mut o = OutputOptions::default();
    f(&mut o);
    o
}

#[test]
fn sort_defaults_desc_for_numbers_asc_for_text_and_time() {
    let df = fixture::frame();
    let o = with(|o| o.sort = SortKey::parse_list("resp_wire_bytes").unwrap());
    let out = prepare(df.clone(), &o).unwrap();
    assert_eq!(
        u64s(&out, "resp_wire_bytes"),
        [7000, 5000, 120, 100, 84].map(Some)
    );

    let o = with(|o| o.sort = SortKey::parse_list("ts").unwrap());
    let out = prepare(df.clone(), &o).unwrap();
    assert_eq!(
        strs(&out, "uid"),
        ["C2", "C4", "C3", "C1", "C5"].map(|s| Some(s.into()))
    );

    let o = with(|o| o.sort = SortKey::parse_list("resp_wire_bytes:asc").unwrap());
    let out = prepare(df.clone(), &o).unwrap();
    assert_eq!(
        u64s(&out, "resp_wire_bytes"),
        [84, 100, 120, 5000, 7000].map(Some)
    );

    // Nulls last in both directions; ties keep input order (stable).
    let o = with(|o| o.sort = SortKey::parse_list("service:desc,uid").unwrap());
    let out = prepare(df.clone(), &o).unwrap();
    assert_eq!(
        strs(&out, "uid"),
        ["C1", "C3", "C2", "C4", "C5"].map(|s| Some(s.into()))
    );
    let o = with(|o| o.sort = SortKey::parse_list("proto").unwrap());
    let out = prepare(df, &o).unwrap();
    assert_eq!(
        strs(&out, "uid"),
        ["C5", "C1", "C3", "C4", "C2"].map(|s| Some(s.into()))
    );
}

#[test]
fn top_and_columns_select_rows_and_order() {
    let o = with(|o| {
        o.sort = SortKey::parse_list("orig_wire_bytes").unwrap();
        o.top = Some(2);
        o.columns = Some(OutputOptions::parse_columns("orig_wire_bytes,uid"));
    });
    let out = prepare(fixture::frame(), &o).unwrap();
    assert_eq!(out.shape(), (2, 2));
    assert_eq!(out.get_column_names()[0].as_str(), "orig_wire_bytes");
    assert_eq!(strs(&out, "uid"), ["C1", "C3"].map(|s| Some(s.into())));
}

#[test]
fn unknown_columns_are_named_with_the_valid_ones() {
    let o = with(|o| o.columns = Some(OutputOptions::parse_columns("uid,bogus,nope")));
    let err = prepare(fixture::frame(), &o).unwrap_err().to_string();
    assert!(
        err.starts_with("unknown column(s) bogus, nope; valid columns: uid, proto, orig_h"),
        "{err}"
    );
    assert!(err.ends_with("tls_sni, http_host"), "{err}");

    let o = with(|o| o.sort = SortKey::parse_list("bogus:asc").unwrap());
    let err = prepare(fixture::frame(), &o).unwrap_err().to_string();
    assert!(err.starts_with("unknown column(s) bogus;"), "{err}");
}

#[test]
fn sql_queries_the_flows_table() {
    let o = with(|o| {
        o.sql = Some(
            "SELECT proto, SUM(orig_wire_bytes + resp_wire_bytes) AS bytes, COUNT(*) AS n \
             FROM flows GROUP BY proto ORDER BY bytes DESC"
                .into(),
        )
    });
    let out = prepare(fixture::frame(), &o).unwrap();
    assert_eq!(
        strs(&out, "proto"),
        ["tcp", "udp", "icmp"].map(|s| Some(s.into()))
    );
    assert_eq!(u64s(&out, "bytes"), [13600, 180, 168].map(Some));

    // WHERE on a timestamp and a nullable port; then --sort/--columns apply.
    let o = with(|o| {
        o.sql =
            Some("SELECT uid, resp_p, ts FROM flows WHERE resp_p < 100 AND proto = 'tcp'".into());
        o.sort = SortKey::parse_list("resp_p").unwrap();
        o.columns = Some(vec!["uid".into()]);
    });
    let out = prepare(fixture::frame(), &o).unwrap();
    assert_eq!(strs(&out, "uid"), ["C3", "C4"].map(|s| Some(s.into())));
}

#[test]
fn sql_errors_are_reported() {
    for q in [
        "SELEC * FROM flows",
        "SELECT * FROM packets",
        "SELECT nope FROM flows",
    ] {
        let o = with(|o| o.sql = Some(q.into()));
        let err = prepare(fixture::frame(), &o).unwrap_err();
        assert!(matches!(err, Error::Sql(_)), "{q}: {err:?}");
        // One short line: no plan dump.
        let msg = err.to_string();
        assert!(
            msg.starts_with("sql: ") && !msg.contains('\n'),
            "{q}: {msg}"
        );
    }
}
