//! Columns -> DataFrame.

use super::*;

#[test]
fn dtypes_are_exact() {
    let df = fixture::frame();
    assert_eq!(df.shape(), (5, 20));
    let dtype = |n: &str| df.column(n).unwrap().dtype().clone();
    assert_eq!(dtype("orig_wire_bytes"), DataType::Int64);
    assert_eq!(dtype("orig_p"), DataType::Int32);
    assert_eq!(df.column("orig_p").unwrap().null_count(), 1);
    assert_eq!(dtype("bytes_per_s"), DataType::Float64);
    assert_eq!(dtype("handshake_rtt"), DataType::Float64);
    assert_eq!(df.column("handshake_rtt").unwrap().null_count(), 3);
    assert_eq!(dtype("proto"), DataType::String);
    assert_eq!(df.column("service").unwrap().null_count(), 2);
    assert_eq!(
        dtype("ts"),
        DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
    );
    assert_eq!(dtype("duration"), DataType::Float64);
    let ts = df
        .column("ts")
        .unwrap()
        .datetime()
        .unwrap()
        .physical()
        .get(0);
    assert_eq!(ts, Some((fixture::T0 + 4000) / 1000));
    // Column order is kept.
    let names: Vec<&str> = df
        .get_column_names()
        .into_iter()
        .map(|n| n.as_str())
        .collect();
    let expected: Vec<&str> = fixture::columns().iter().map(|c| c.name).collect();
    assert_eq!(names, expected);
}

#[test]
fn rejects_ragged_and_duplicate_columns() {
    let mut cols = fixture::columns();
    cols[3].data = ColumnData::I32Opt(vec![Some(1)]);
    let err = to_dataframe(cols).unwrap_err();
    assert_eq!(err.to_string(), "column orig_p has 1 rows, expected 5");

    let mut cols = fixture::columns();
    cols[1].name = "uid";
    let err = to_dataframe(cols).unwrap_err();
    assert_eq!(err.to_string(), "duplicate column uid");

    let empty = to_dataframe(Vec::new()).unwrap();
    assert_eq!(empty.shape(), (0, 0));
}
