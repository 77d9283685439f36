//! `--sql`: a query over the flow table, registered as `flows`, in
//! polars' SQL dialect, without polars' traps.
//!
//! The query is parsed by sqlparser (the parser polars-sql itself uses),
//! rewritten where polars would surprise a SQL user ([`rewrite`]), and
//! handed to polars as text. Around it:
//!
//! - Inside the query, `ts` and `last_ts` are UTC wall-clock times (polars'
//!   `Datetime` without a zone), so `TIMESTAMP '...'` literals, RFC 3339
//!   strings and `date_trunc` compare and compute with them directly
//!   (polars refuses to compare a zoned column with an unzoned literal).
//!   Every instant in the flow table is UTC, so nothing is lost.
//! - Results are put back into the column table's types: a datetime
//!   without a zone is UTC again, a duration (`last_ts - ts`) becomes
//!   seconds as a double, an unsigned integer (`count(*)`) a signed 64-bit
//!   one, as Spark and every other reader take them.
//! - `date_trunc(unit, ts)` is added as a function ([`functions`]).
//! - Errors are one short message: the innermost polars error, its first
//!   paragraph (no plan dump, no repeats); polars' deprecation warnings are
//!   not printed.

mod functions;
mod rewrite;

use std::sync::{Arc, Once};

use nwcap_flows::schema::{COLUMNS, ColumnSpec};
use polars::prelude::*;
use polars::sql::SQLContext;

use crate::error::{Error, Result};
use crate::flowframe::flow_frame;

/// Run `query` with `df` registered as the table `flows`.
pub(crate) fn run_sql(df: DataFrame, query: &str) -> Result<DataFrame> {
    let lf = plan(df, query)?;
    let out = lf.collect().map_err(sql_error)?;
    from_sql(out)
}

/// The columns `query` returns over the flow table, found without any
/// data: the query is planned on an empty table, so a bad query is
/// reported before the capture is read.
pub fn sql_columns(query: &str) -> Result<Vec<String>> {
    let specs: Vec<&ColumnSpec> = COLUMNS.iter().collect();
    let empty = flow_frame(&[], &specs, &crate::flowframe::GroupNames::default())?;
    let mut lf = plan(empty, query)?;
    let schema = lf.collect_schema().map_err(sql_error)?;
    Ok(schema.iter_names().map(|n| n.to_string()).collect())
}

/// The lazy query of `query` over `df`.
fn plan(df: DataFrame, query: &str) -> Result<LazyFrame> {
    static QUIET: Once = Once::new();
    // polars prints deprecation notes on stderr by itself ("Casting from
    // String to DateTime is deprecated..."): they are about polars' API,
    // not about the user's query.
    QUIET.call_once(|| polars::error::set_warning_function(|_, _| {}));
    let text = rewrite::rewrite(query)?;
    let mut ctx = SQLContext::new().with_function_registry(Arc::new(functions::Functions));
    ctx.register("flows", to_sql(df)?.lazy());
    ctx.execute(&text).map_err(sql_error)
}

/// Zoned datetimes as UTC wall-clock times (the same numbers).
fn to_sql(df: DataFrame) -> Result<DataFrame> {
    map_columns(df, |c| match c.dtype() {
        DataType::Datetime(tu, Some(tz)) if *tz == TimeZone::UTC => {
            let ca = c.datetime()?;
            Ok(Some(
                ca.physical().clone().into_datetime(*tu, None).into_column(),
            ))
        }
        _ => Ok(None),
    })
}

/// A query's result in the column table's types (see the module docs).
fn from_sql(df: DataFrame) -> Result<DataFrame> {
    map_columns(df, |c| match c.dtype() {
        DataType::Datetime(tu, None) => {
            let ca = c.datetime()?;
            Ok(Some(
                ca.physical()
                    .clone()
                    .into_datetime(*tu, Some(TimeZone::UTC))
                    .into_column(),
            ))
        }
        DataType::Duration(tu) => {
            let per_s = match tu {
                TimeUnit::Nanoseconds => 1e9,
                TimeUnit::Microseconds => 1e6,
                TimeUnit::Milliseconds => 1e3,
            };
            let ca = c.duration()?;
            let secs: Float64Chunked = ca
                .physical()
                .iter()
                .map(|v| v.map(|v| v as f64 / per_s))
                .collect();
            Ok(Some(secs.with_name(c.name().clone()).into_column()))
        }
        d if d.is_unsigned_integer() => Ok(Some(c.cast(&DataType::Int64)?)),
        _ => Ok(None),
    })
}

/// `df` with the columns `f` replaces (`Some`) replaced, in place.
fn map_columns(
    df: DataFrame,
    f: impl Fn(&Column) -> PolarsResult<Option<Column>>,
) -> Result<DataFrame> {
    let height = df.height();
    let mut cols = Vec::with_capacity(df.width());
    for c in df.into_columns() {
        match f(&c).map_err(sql_error)? {
            Some(new) => cols.push(new.with_name(c.name().clone())),
            None => cols.push(c),
        }
    }
    DataFrame::new(height, cols).map_err(sql_error)
}

/// A polars error as one short message: the innermost error (polars wraps
/// it in the plan it was resolving, sometimes more than once), its first
/// paragraph, lines joined, a message repeated after itself said once.
pub(crate) fn sql_error(e: PolarsError) -> Error {
    let mut e = &e;
    while let PolarsError::Context { error, .. } | PolarsError::ExprContext { error, .. } = e {
        e = error;
    }
    Error::Sql(short_message(&e.to_string()))
}

fn short_message(text: &str) -> String {
    let first = text.split("\n\n").next().unwrap_or(text);
    let joined: Vec<&str> = first
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut msg = joined.join("; ");
    // "X: X" (polars repeats a message as its own context).
    let bytes = msg.len();
    if bytes > 2 && (bytes - 2).is_multiple_of(2) {
        let half = (bytes - 2) / 2;
        if msg.is_char_boundary(half)
            && msg.is_char_boundary(half + 2)
            && &msg[half..half + 2] == ": "
            && msg[..half] == msg[half + 2..]
        {
            msg.truncate(half);
        }
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::short_message;

    #[test]
    fn messages_are_cut_to_their_first_paragraph_and_said_once() {
        assert_eq!(
            short_message("cannot compare\n\nResolved plan until failure:\n\n\tFILTER"),
            "cannot compare"
        );
        assert_eq!(short_message("a b: c: a b: c"), "a b: c");
        assert_eq!(short_message("a: b"), "a: b");
        assert_eq!(short_message("line one\n  line two"), "line one; line two");
    }
}
