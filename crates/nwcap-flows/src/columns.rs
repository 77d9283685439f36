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

    /// Makes room for `n` more rows.
    pub fn reserve(&mut self, n: usize) {
        match self {
            ColumnData::U64(v) => v.reserve(n),
            ColumnData::U32Opt(v) => v.reserve(n),
            ColumnData::F64(v) => v.reserve(n),
            ColumnData::F64Opt(v) => v.reserve(n),
            ColumnData::Str(v) => v.reserve(n),
            ColumnData::StrOpt(v) => v.reserve(n),
            ColumnData::TimestampNs(v) | ColumnData::DurationNs(v) => v.reserve(n),
        }
    }

    /// Appends the rows of `other`, a column of the same type (a column of
    /// another type is a caller bug and is ignored).
    pub fn append(&mut self, other: ColumnData) {
        match (self, other) {
            (ColumnData::U64(a), ColumnData::U64(b)) => a.extend(b),
            (ColumnData::U32Opt(a), ColumnData::U32Opt(b)) => a.extend(b),
            (ColumnData::F64(a), ColumnData::F64(b)) => a.extend(b),
            (ColumnData::F64Opt(a), ColumnData::F64Opt(b)) => a.extend(b),
            (ColumnData::Str(a), ColumnData::Str(b)) => a.extend(b),
            (ColumnData::StrOpt(a), ColumnData::StrOpt(b)) => a.extend(b),
            (ColumnData::TimestampNs(a), ColumnData::TimestampNs(b))
            | (ColumnData::DurationNs(a), ColumnData::DurationNs(b)) => a.extend(b),
            _ => debug_assert!(false, "append: column types differ"),
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
