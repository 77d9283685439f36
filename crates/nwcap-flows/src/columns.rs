//! The flow table as named, typed columns: the hand-off between the flow
//! engine and the summary/output layer (polars), which needs no knowledge of
//! flow internals.

/// Typed data of one column; every column of a table has the same length.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Unsigned integers (counts, bytes).
    U64(Vec<u64>),
    /// Optional small unsigned integers (ports, VLAN ids, windows).
    U32Opt(Vec<Option<u32>>),
    /// Floating point values (means, rates); NaN never appears, use `F64Opt`.
    F64(Vec<f64>),
    /// Optional floating point values (e.g. handshake RTT when unknown).
    F64Opt(Vec<Option<f64>>),
    /// Text.
    Str(Vec<String>),
    /// Optional text.
    StrOpt(Vec<Option<String>>),
    /// Timestamps in nanoseconds since the Unix epoch, UTC.
    TimestampNs(Vec<i64>),
    /// Durations in nanoseconds.
    DurationNs(Vec<i64>),
}

impl ColumnData {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::U64(v) => v.len(),
            ColumnData::U32Opt(v) => v.len(),
            ColumnData::F64(v) => v.len(),
            ColumnData::F64Opt(v) => v.len(),
            ColumnData::Str(v) => v.len(),
            ColumnData::StrOpt(v) => v.len(),
            ColumnData::TimestampNs(v) => v.len(),
            ColumnData::DurationNs(v) => v.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One named column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Stable snake_case name (documented in README).
    pub name: &'static str,
    /// The values.
    pub data: ColumnData,
}
