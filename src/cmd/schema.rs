//! `nwcap schema`: the flow table's columns, from the column table
//! (`nwcap_flows::schema::COLUMNS`), for people and for data tools.
//!
//! CSV and NDJSON carry no types: a reader infers them from the values, so
//! a column that is null in every row of one file (`handshake_rtt` in a
//! capture without TCP) comes out as text or as Arrow's `null` type. Given
//! this schema the reader takes the column table's types instead, the same
//! for every file: `--format duckdb` is a DuckDB `columns` struct for
//! `read_csv`/`read_json`, `--format json` names the Arrow (pyarrow),
//! DuckDB and Zeek types of each column.

use std::io::Write;
use std::process::ExitCode;

use nwcap_flows::schema::{COLUMNS, ColumnSpec, column};
use serde_json::json;

use crate::global::Global;

/// Arguments of `nwcap schema`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "table")]
    format: SchemaFormat,
    /// Only these columns, in this order (comma-separated), as for `nwcap
    /// flows --columns`.
    #[arg(long, value_name = "COLS")]
    columns: Option<String>,
}

/// Output formats of `nwcap schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SchemaFormat {
    /// One line per column: name, type, unit, definition.
    Table,
    /// An array of objects: name, type, unit, source, meaning, and the
    /// column's Arrow, DuckDB and Zeek types.
    Json,
    /// A DuckDB struct of column types, for `read_csv(..., columns = ...)`
    /// and `read_json(..., columns = ...)`.
    Duckdb,
}

/// Run `nwcap schema`.
pub fn run(args: Args, _global: &Global) -> anyhow::Result<ExitCode> {
    let specs: Vec<&ColumnSpec> = match &args.columns {
        None => COLUMNS.iter().collect(),
        Some(list) => {
            let names = nwcap_summary::OutputOptions::parse_columns(list);
            let unknown: Vec<&str> = names
                .iter()
                .map(String::as_str)
                .filter(|n| column(n).is_none())
                .collect();
            if !unknown.is_empty() {
                let valid: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
                anyhow::bail!(
                    "unknown column(s) {}; valid columns: {}",
                    unknown.join(", "),
                    valid.join(", ")
                );
            }
            names.iter().filter_map(|n| column(n)).collect()
        }
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        SchemaFormat::Table => {
            let w = specs.iter().map(|c| c.name.len()).max().unwrap_or(4);
            for c in &specs {
                writeln!(
                    out,
                    "{:<w$}  {:<19}  {:<9}  {}",
                    c.name,
                    c.kind.name(),
                    c.unit,
                    c.source.name()
                )?;
            }
        }
        SchemaFormat::Json => {
            let cols: Vec<serde_json::Value> = specs
                .iter()
                .map(|c| {
                    json!({
                        "name": c.name,
                        "type": c.kind.name(),
                        "unit": c.unit,
                        "source": c.source.name(),
                        "meaning": c.doc,
                        "default": c.default,
                        "arrow": c.kind.arrow(),
                        "duckdb": c.kind.duckdb(),
                        "zeek_name": c.zeek.map(|z| z.name),
                        "zeek_type": c.zeek.map(|z| z.ty),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &cols)?;
            writeln!(out)?;
        }
        SchemaFormat::Duckdb => {
            let fields: Vec<String> = specs
                .iter()
                .map(|c| format!("'{}': '{}'", c.name, c.kind.duckdb()))
                .collect();
            writeln!(out, "{{{}}}", fields.join(", "))?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
