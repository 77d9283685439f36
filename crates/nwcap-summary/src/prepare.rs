//! `--sql`, `--sort`, `--top`, `--columns`: the row/column selection that
//! every output format shares, done once before any writer runs.
//!
//! Order matters and is fixed: the SQL query defines the table; sorting and
//! `--top` see every column (so one can sort by a column that is not shown);
//! `--columns` picks and orders what is written last.

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::options::{OutputOptions, SortOrder};
use crate::sql::run_sql;

/// Apply the options' SQL query, sort, row limit and column selection.
pub fn prepare(df: DataFrame, opts: &OutputOptions) -> Result<DataFrame> {
    let mut df = match &opts.sql {
        Some(q) => run_sql(df, q)?,
        None => df,
    };
    if !opts.sort.is_empty() {
        let names: Vec<&str> = opts.sort.iter().map(|k| k.column.as_str()).collect();
        check_columns(&df, &names)?;
        let mut descending = Vec::with_capacity(names.len());
        for key in &opts.sort {
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
