//! Columns -> DataFrame with exact dtypes.
//!
//! Each `ColumnData` variant maps to one polars dtype and the vectors are
//! moved, not copied, where polars can adopt them (`from_vec`). Timestamps
//! carry the UTC zone so Parquet readers (Spark, DuckDB, pandas) see instants,
//! not wall-clock times.

use std::collections::HashSet;

use nwcap_flows::columns::{Column as FlowColumn, ColumnData};
use polars::prelude::*;

use rayon::prelude::*;

use crate::error::{Error, Result};

/// Tables of at least this many rows are converted on every core.
const PARALLEL_ROWS: usize = 4096;

/// Build a DataFrame from the flow engine's columns.
///
/// Dtypes, one per [`nwcap_flows::Kind`]: `I64` -> Int64, `I32Opt` ->
/// nullable Int32, `F64Opt` -> nullable Float64, `Text` -> nullable
/// String, `TimestampNs` -> Datetime(µs, UTC) (floored to the
/// microsecond: what Spark, DuckDB and pandas read as instants). Column
/// order is kept. All columns must have the same length and distinct
/// names; an empty input gives an empty frame.
pub fn to_dataframe(columns: Vec<FlowColumn>) -> Result<DataFrame> {
    let height = columns.first().map_or(0, |c| c.data.len());
    let mut seen = HashSet::with_capacity(columns.len());
    for c in &columns {
        if !seen.insert(c.name) {
            return Err(Error::DuplicateColumn(c.name.to_string()));
        }
        if c.data.len() != height {
            return Err(Error::LengthMismatch {
                name: c.name.to_string(),
                len: c.data.len(),
                expected: height,
            });
        }
    }
    // Text is copied cell by cell: large tables on every core.
    let cols: Vec<Column> = if height >= PARALLEL_ROWS {
        columns
            .into_par_iter()
            .map(|c| Column::from(to_series(c)))
            .collect()
    } else {
        columns
            .into_iter()
            .map(|c| Column::from(to_series(c)))
            .collect()
    };
    DataFrame::new(height, cols).map_err(Error::polars("building the flow table"))
}

fn to_series(c: FlowColumn) -> Series {
    let name = PlSmallStr::from_static(c.name);
    match c.data {
        ColumnData::I64(v) => Int64Chunked::from_vec(name, v).into_series(),
        ColumnData::I32Opt(v) => Int32Chunked::from_iter_options(name, v.into_iter()).into_series(),
        ColumnData::F64Opt(v) => {
            Float64Chunked::from_iter_options(name, v.into_iter()).into_series()
        }
        ColumnData::Text(t) if t.has_nulls() => {
            StringChunked::from_iter_options(name, t.iter()).into_series()
        }
        ColumnData::Text(t) => {
            StringChunked::from_iter_values(name, t.iter().flatten()).into_series()
        }
        ColumnData::TimestampNs(mut v) => {
            for x in &mut v {
                *x = x.div_euclid(1000);
            }
            Int64Chunked::from_vec(name, v)
                .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
                .into_series()
        }
    }
}
