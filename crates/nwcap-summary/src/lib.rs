//! Flow table summaries, SQL and writers.
//!
//! The flow engine hands over its table as plain named columns
//! ([`nwcap_flows::columns::Column`]); this crate turns them into a polars
//! [`DataFrame`] ([`to_dataframe`]) and is the only place in the workspace
//! that knows polars, so the heavy dependency stays out of every other crate.
//!
//! The pipeline for output is deliberately linear and lives in small modules:
//! `--sql` (a query over the table registered as `flows`) -> `--sort` ->
//! `--top` -> `--columns` -> writer ([`render`]). Aggregates (`nwcap top`)
//! are a separate step ([`top`]) whose result goes through the same
//! [`render`]. The writers never mutate values except where the output medium
//! needs it: human tables and CSV escape strings that came off the wire
//! (terminal control characters, spreadsheet formulas), while JSON and
//! Parquet keep them exact.

mod cells;
mod error;
mod escape;
mod flowframe;
mod frame;
mod options;
mod output;
mod parquet;
mod prepare;
mod sink;
mod sql;
mod table;
mod top;
mod write;
mod zeek;

pub use error::{Error, Result};
pub use escape::{escape_csv_cell, escape_terminal};
pub use flowframe::{GroupNames, flow_frame};
pub use frame::to_dataframe;
pub use options::{Format, OutputOptions, SortKey, SortOrder};
pub use output::{Destination, Output, OutputFile, destination};
pub use prepare::prepare;
pub use sink::{
    DatasetOptions, DatasetWriter, FlowWriter, FullTable, Partition, TopAgg, TopN,
    check_flows_output, dataset, flows_sink, top_sink,
};
pub use sql::sql_columns;
pub use table::{DEFAULT_WIDTH, render_table};
pub use top::{TopBy, top};
pub use write::{PARQUET_ROW_GROUP, render, render_flows};

/// Re-export of polars so that callers (the CLI, tests) use the exact same
/// version without depending on it themselves.
pub use polars;
/// The polars data frame type every function here takes and returns.
pub use polars::prelude::DataFrame;
