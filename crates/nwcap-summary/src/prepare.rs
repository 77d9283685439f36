//! `--sql`, `--sort`, `--top`, `--columns`: the row/column selection that
//! every output format shares, done once before any writer runs.
//!
//! Order matters and is fixed: the SQL query defines the table; sorting and
//! `--top` see every column (so one can sort by a column that is not shown);
//! `--columns` picks and orders what is written last.

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::options::{OutputOptions, SortKey, SortOrder};
use crate::sql::run_sql;

/// Apply the options' SQL query, sort, row limit and column selection.
pub fn prepare(df: DataFrame, opts: &OutputOptions) -> Result<DataFrame> {
    let mut df = match &opts.sql {
        Some(q) => run_sql(df, q)?,
        None => df,
    };
    if !opts.sort.is_empty() {
        let (names, options) = sort_options(&df, &opts.sort)?;
        df = df.sort(names, options).map_err(Error::polars("sorting"))?;
    }
    if let Some(n) = opts.top {
        df = df.head(Some(n));
    }
    if let Some(cols) = &opts.columns {
        let names: Vec<&str> = cols.iter().map(String::as_str).collect();
        check_columns(&df, &names)?;
        df = df
            .select(names)
            .map_err(Error::polars("selecting columns"))?;
    }
    Ok(df)
}

/// The sort of `--sort`: the key columns, and their order (`Auto`:
/// numbers and durations largest first), nulls last, ties in input order.
fn sort_options<'k>(
    df: &DataFrame,
    sort: &'k [SortKey],
) -> Result<(Vec<&'k str>, SortMultipleOptions)> {
    let names: Vec<&str> = sort.iter().map(|k| k.column.as_str()).collect();
    check_columns(df, &names)?;
    let mut descending = Vec::with_capacity(names.len());
    for key in sort {
        let dtype = df
            .column(&key.column)
            .map_err(Error::polars("sorting"))?
            .dtype();
        descending.push(match key.order {
            SortOrder::Asc => false,
            SortOrder::Desc => true,
            SortOrder::Auto => dtype.is_primitive_numeric() || dtype.is_duration(),
        });
    }
    let options = SortMultipleOptions::new()
        .with_order_descending_multi(descending)
        .with_nulls_last(true)
        .with_maintain_order(true);
    Ok((names, options))
}

/// The rows of `df` in the order of `sort` (as [`prepare`] sorts them),
/// found by sorting the key columns only: the table is not copied.
pub(crate) fn sort_order(df: &DataFrame, sort: &[SortKey]) -> Result<IdxCa> {
    const ROW: &str = "__nwcap_row";
    let (names, options) = sort_options(df, sort)?;
    let keys = df
        .select(names.iter().copied())
        .and_then(|k| k.with_row_index(ROW.into(), None))
        .and_then(|k| k.sort(names, options))
        .map_err(Error::polars("sorting"))?;
    let order = keys
        .column(ROW)
        .and_then(|c| c.idx().cloned())
        .map_err(Error::polars("sorting"))?;
    Ok(order)
}

/// Error naming every unknown column and listing the valid ones.
pub(crate) fn check_columns(df: &DataFrame, names: &[&str]) -> Result<()> {
    let schema = df.schema();
    let unknown: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !schema.contains(n))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let valid: Vec<&str> = df
        .get_column_names()
        .into_iter()
        .map(|n| n.as_str())
        .collect();
    Err(Error::UnknownColumns {
        unknown: unknown.join(", "),
        valid: valid.join(", "),
    })
}
