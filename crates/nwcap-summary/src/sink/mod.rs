//! Sinks for the engine's flows, chosen and checked before any packet is
//! read ([`flows_sink`], [`top_sink`]): the streaming writer (the common
//! case: memory holds a batch), top-N by a sort (a bounded heap), the whole
//! table (for `--sql` and full sorts, which need every row), and the `top`
//! aggregates (one entry per key).

mod aggregate;
mod collect;
pub mod dataset;
mod topn;
mod writer;

pub use aggregate::TopAgg;
pub use collect::FullTable;
pub use dataset::{DatasetOptions, DatasetWriter, Partition};
pub use topn::TopN;
pub use writer::FlowWriter;

use nwcap_engine::{FlowSink, SinkError};
use nwcap_flows::Flow;
use nwcap_flows::schema::{COLUMNS, ColumnSpec, column, default_columns, zeek_columns};
use polars::prelude::DataFrame;

use crate::error::{Error, Result};
use crate::options::{Format, OutputOptions, SortKey};
use crate::output::Output;
use crate::prepare::sort_order;
use crate::sql::sql_columns;
use crate::table::terminal_width;
use crate::top::TopBy;
use crate::write::{render, render_flows};

/// Error naming every unknown column and listing the valid ones.
fn check(names: &[String], wanted: &[&str]) -> Result<()> {
    let unknown: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| !names.iter().any(|n| n == w))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(Error::UnknownColumns {
        unknown: unknown.join(", "),
        valid: names.join(", "),
    })
}

fn wanted(opts: &OutputOptions) -> Vec<&str> {
    let mut w: Vec<&str> = opts.sort.iter().map(|k| k.column.as_str()).collect();
    if let Some(c) = &opts.columns {
        w.extend(c.iter().map(String::as_str));
    }
    w
}

/// The columns of the flow table.
fn flow_names() -> Vec<String> {
    COLUMNS.iter().map(|c| c.name.to_string()).collect()
}

/// Checks `opts` for the flow table: column names and sort keys exist,
/// the SQL query plans (and `--columns`/`--sort` name its columns). What
/// [`flows_sink`] checks, without creating the output.
pub fn check_flows_output(opts: &OutputOptions) -> Result<()> {
    match &opts.sql {
        Some(q) => check(&sql_columns(q)?, &wanted(opts)),
        None => check(&flow_names(), &wanted(opts)),
    }
}

/// The sink that writes the flow table as `opts` says to `out`. Column
/// names, sort keys and the SQL query are checked here, before any packet
/// is read; the output file is created (its temporary file) here too.
pub fn flows_sink(opts: &OutputOptions, out: &Output) -> Result<Box<dyn FlowSink>> {
    let width = opts.width.unwrap_or_else(terminal_width);
    check_flows_output(opts)?;
    if opts.sql.is_some() {
        let (opts, out) = (opts.clone(), out.clone());
        return Ok(Box::new(FullTable::new(move |df| {
            render_flows(df, &opts, &out)
        })));
    }
    let specs: Vec<&'static ColumnSpec> = match &opts.columns {
        Some(cols) => cols.iter().filter_map(|c| column(c)).collect(),
        None if opts.format == Format::Table => default_columns().filter_map(column).collect(),
        None if opts.format.is_zeek() => zeek_columns().filter_map(column).collect(),
        None => COLUMNS.iter().collect(),
    };
    if opts.sort.is_empty() {
        return Ok(Box::new(FlowWriter::new(
            opts.format,
            specs,
            out,
            width,
            opts.top,
        )?));
    }
    match opts.top {
        Some(n) => {
            let keys: Vec<&'static ColumnSpec> =
                opts.sort.iter().filter_map(|k| column(&k.column)).collect();
            let writer = FlowWriter::new(opts.format, specs, out, width, None)?;
            Ok(Box::new(TopN::new(&opts.sort, keys, n, writer)))
        }
        // The human table measures its columns on the whole table, so it
        // takes the sorted table at once; the other formats are written
        // in the writer's batches, each gathered from the held table in
        // sorted order (the table is held once, not twice).
        None if opts.format == Format::Table => {
            let (opts, out) = (opts.clone(), out.clone());
            Ok(Box::new(FullTable::new(move |df| {
                render_flows(df, &opts, &out)
            })))
        }
        None => {
            let sort = opts.sort.clone();
            let writer = FlowWriter::new(opts.format, specs.clone(), out, width, None)?;
            // Held: the columns written and the sort keys, nothing else.
            let mut held = specs.clone();
            for k in &sort {
                if let Some(c) =
                    column(&k.column).filter(|c| !held.iter().any(|h| h.name == c.name))
                {
                    held.push(c);
                }
            }
            Ok(Box::new(FullTable::of(held, move |df| {
                write_sorted(&df, &sort, &specs, writer)
            })))
        }
    }
}

/// Writes `df` in the order of `sort`, the columns `specs`, through
/// `writer` a batch at a time.
fn write_sorted(
    df: &DataFrame,
    sort: &[SortKey],
    specs: &[&'static ColumnSpec],
    mut writer: FlowWriter,
) -> Result<()> {
    let order = sort_order(df, sort)?;
    let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
    let shown = df
        .select(names)
        .map_err(Error::polars("selecting columns"))?;
    let step = writer.batch_rows().max(1);
    let mut at = 0;
    while at < order.len() {
        let rows = order.slice(at as i64, step);
        let part = shown.take(&rows).map_err(Error::polars("sorting"))?;
        writer.push_frame(part)?;
        at += step;
    }
    writer.finish()
}

/// `top`: aggregates as the flows come, then the table.
struct TopSink {
    agg: TopAgg,
    n: usize,
    opts: OutputOptions,
    out: Output,
}

impl FlowSink for TopSink {
    fn flows(&mut self, batch: &mut Vec<Flow>) -> std::result::Result<(), SinkError> {
        self.agg.flows(batch)
    }

    fn end(&mut self) -> std::result::Result<(), SinkError> {
        let table = self.agg.table(self.n)?;
        Ok(render(table, &self.opts, &self.out)?)
    }
}

/// The sink of `nwcap top --by BY -n N`. With `opts.sql`, the query runs
/// over the flow table first (a filter such as `WHERE conn_state = 'SF'`)
/// and the aggregate over its result, which needs the whole table; without
/// it, flows are aggregated as they come. `--columns` and `--sort` apply
/// to the aggregate's columns; all are checked before any packet is read.
pub fn top_sink(
    by: TopBy,
    n: usize,
    opts: &OutputOptions,
    out: &Output,
) -> Result<Box<dyn FlowSink>> {
    if opts.format.is_zeek() {
        return Err(Error::Unsupported(
            "--format zeek and zeek-json write the flow table as Zeek's conn.log; top's aggregates are not a Zeek log (use csv, json, ndjson or parquet)",
        ));
    }
    let names: Vec<String> = by.columns().iter().map(|c| (*c).to_string()).collect();
    check(&names, &wanted(opts))?;
    let render_opts = OutputOptions {
        sql: None,
        ..opts.clone()
    };
    match &opts.sql {
        Some(q) => {
            let result = sql_columns(q)?;
            check(&result, by.needs())?;
            let (q, out) = (q.clone(), out.clone());
            Ok(Box::new(FullTable::new(move |df| {
                let filtered = crate::sql::run_sql(df, &q)?;
                render(crate::top::top(&filtered, by, n)?, &render_opts, &out)
            })))
        }
        None => Ok(Box::new(TopSink {
            agg: TopAgg::new(by),
            n,
            opts: render_opts,
            out: out.clone(),
        })),
    }
}
