//! Writers: table, CSV, JSON, NDJSON, Parquet, to stdout or atomically to a
//! file.
//!
//! Parquet gets the frame as is (UInt64, nullable UInt32, Datetime(ns, UTC),
//! Duration(ns)), which is what Spark/DuckDB/pandas read natively. Text
//! formats get a frame adapted for them, built once before writing:
//! timestamps become RFC 3339 strings with nanoseconds and a `Z`, durations
//! become seconds as floats (Zeek's convention; polars' CSV writer cannot
//! write durations at all and its JSON writer emits ISO 8601 periods), and
//! for CSV only, strings are escaped against terminal control characters and
//! spreadsheet formulas. Column names are never changed.

use std::io::Write;
use std::path::Path;

use polars::prelude::*;

use crate::cells::{format_rfc3339, scaled};
use crate::error::{Error, Result};
use crate::escape::escape_csv_cell;
use crate::options::{Format, OutputOptions};
use crate::output::{Output, write_with};
use crate::prepare::prepare;
use crate::table::{render_table, terminal_width};
use crate::zeek::{Style, ZeekLog};

/// Apply `opts` ([`prepare`]) and write the result in `opts.format` to
/// `out`. Files are replaced atomically; on error no partial file is left.
pub fn render(df: DataFrame, opts: &OutputOptions, out: &Output) -> Result<()> {
    let df = prepare(df, opts)?;
    let width = opts.width.unwrap_or_else(terminal_width);
    write_frame(df, opts.format, width, out)
}

/// [`render`] for the per-flow table: without `--columns` and without
/// `--sql`, a human table shows the column table's default columns (those
/// present) instead of all ~60 columns, and Zeek's logs the conn.log
/// fields. Other formats always write every column.
pub fn render_flows(df: DataFrame, opts: &OutputOptions, out: &Output) -> Result<()> {
    let defaults: Option<Vec<&str>> = match opts.format {
        Format::Table => Some(nwcap_flows::schema::default_columns().collect()),
        f if f.is_zeek() => Some(nwcap_flows::schema::zeek_columns().collect()),
        _ => None,
    };
    if let Some(defaults) = defaults.filter(|_| opts.columns.is_none() && opts.sql.is_none()) {
        let schema = df.schema();
        let present: Vec<String> = defaults
            .into_iter()
            .filter(|c| schema.contains(c))
            .map(str::to_string)
            .collect();
        if !present.is_empty() {
            let opts = OutputOptions {
                columns: Some(present),
                ..opts.clone()
            };
            return render(df, &opts, out);
        }
    }
    render(df, opts, out)
}

/// Most rows per Parquet row group. Frames built in batches of at most this
/// many rows (as `nwcap flows` builds them) become one row group per batch.
///
/// 16,384: the streaming writer holds one row group's columns and their
/// encoded pages, so this sets most of its memory (65,536 took 84 MB more
/// peak RSS on a million flows) while the file grows by 0.03 % (README
/// Performance).
pub const PARQUET_ROW_GROUP: usize = 16_384;

/// Row group size for `df`: its first chunk's length (so batches are
/// written as they are: polars regroups smaller chunks by copying the whole
/// frame), within 4,096..=[`PARQUET_ROW_GROUP`].
fn row_group_size(df: &DataFrame) -> usize {
    df.columns()
        .first()
        .and_then(|c| c.as_materialized_series().chunk_lengths().next())
        .unwrap_or(PARQUET_ROW_GROUP)
        .clamp(4096, PARQUET_ROW_GROUP)
}

fn write_frame(mut df: DataFrame, format: Format, width: usize, out: &Output) -> Result<()> {
    let dest = std::path::PathBuf::from(out.name());
    write_with(out, |w| write_to(&mut df, format, width, &dest, w))
}

fn write_to<W: Write + Send>(
    df: &mut DataFrame,
    format: Format,
    width: usize,
    dest: &Path,
    w: &mut W,
) -> Result<()> {
    match format {
        Format::Table => render_table(df, width, w).map_err(|source| Error::Io {
            action: "writing",
            path: dest.to_path_buf(),
            source,
        }),
        Format::Csv => {
            let mut text = text_frame(df, true)?;
            CsvWriter::new(w)
                .include_header(true)
                .finish(&mut text)
                .map_err(Error::polars("writing csv"))
        }
        Format::Json | Format::Ndjson => {
            let mut text = text_frame(df, false)?;
            let json_format = if format == Format::Json {
                JsonFormat::Json
            } else {
                JsonFormat::JsonLines
            };
            JsonWriter::new(w)
                .with_json_format(json_format)
                .finish(&mut text)
                .map_err(Error::polars("writing json"))
        }
        Format::Zeek | Format::ZeekJson => {
            let style = if format == Format::Zeek {
                Style::Tsv
            } else {
                Style::Json
            };
            let log = ZeekLog::new(df.schema(), style);
            log.header(w)
                .and_then(|()| log.rows(df, w))
                .and_then(|()| log.close(w))
                .map_err(|source| Error::Io {
                    action: "writing",
                    path: dest.to_path_buf(),
                    source,
                })
        }
        Format::Parquet => {
            let rows = row_group_size(df);
            crate::parquet::write_parquet(df, rows, w).map_err(Error::polars("writing parquet"))
        }
    }
}

/// The frame as text formats write it (see the module docs).
pub(crate) fn text_frame(df: &DataFrame, csv: bool) -> Result<DataFrame> {
    let ctx = "preparing text output";
    let mut cols = Vec::with_capacity(df.width());
    for col in df.columns() {
        let name = col.name().clone();
        let series = col.as_materialized_series();
        let new = match series.dtype() {
            DataType::String if csv => {
                let ca = series.str().map_err(Error::polars(ctx))?;
                ca.apply_values(escape_csv_cell).into_series()
            }
            DataType::Datetime(tu, _) => {
                let ca = series.datetime().map_err(Error::polars(ctx))?;
                let ns = scaled(ca.physical(), *tu);
                let mut buf = String::with_capacity(30);
                let ca: StringChunked = ns
                    .iter()
                    .map(|v| {
                        v.map(|v| {
                            buf.clear();
                            format_rfc3339(v, &mut buf);
                            buf.clone()
                        })
                    })
                    .collect();
                ca.with_name(name).into_series()
            }
            DataType::Duration(tu) => {
                let ca = series.duration().map_err(Error::polars(ctx))?;
                let ns = scaled(ca.physical(), *tu);
                let ca: Float64Chunked = ns.iter().map(|v| v.map(|v| v as f64 / 1e9)).collect();
                ca.with_name(name).into_series()
            }
            _ => {
                cols.push(col.clone());
                continue;
            }
        };
        cols.push(Column::from(new));
    }
    DataFrame::new(df.height(), cols).map_err(Error::polars(ctx))
}
