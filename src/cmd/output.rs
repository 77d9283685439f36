//! The output side shared by `flows`, `top` and `analyze`: format, output
//! file, columns, sort, row limit and SQL, checked as typed values when
//! parsed (the format) or before any packet is read (columns, sort keys,
//! SQL: `nwcap_summary::flows_sink` and `top_sink`).

use std::io::IsTerminal;

use nwcap_summary::{Format, Output, OutputOptions, SortKey};

/// `--format`, typed when parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// Human table sized to the terminal.
    Table,
    /// CSV with a header row.
    Csv,
    /// One JSON array of row objects.
    Json,
    /// One JSON object per line (what pyarrow, Spark and DuckDB read as is).
    Ndjson,
    /// Apache Parquet (Spark, DuckDB, pandas).
    Parquet,
    /// Zeek's conn.log (tab-separated, `#fields`/`#types` headers, `-` for
    /// unset): the conn.log fields unless --columns says otherwise.
    Zeek,
    /// Zeek's JSON log style: one object per line, `id.orig_h` keys, epoch
    /// `ts`, unset fields left out.
    ZeekJson,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Csv => Format::Csv,
            FormatArg::Json => Format::Json,
            FormatArg::Ndjson => Format::Ndjson,
            FormatArg::Parquet => Format::Parquet,
            FormatArg::Zeek => Format::Zeek,
            FormatArg::ZeekJson => Format::ZeekJson,
        }
    }
}

/// Output options shared by `flows`, `top` and `analyze`.
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "table")]
    pub format: FormatArg,
    /// Write to FILE instead of stdout (`-` = stdout); written atomically.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<String>,
    /// Keep these columns, in this order (comma-separated).
    #[arg(long, value_name = "COLS")]
    pub columns: Option<String>,
    /// Sort by COL[:asc|:desc][,COL...] (numbers default to descending).
    /// With -n N only the N rows are kept while reading; a sort without
    /// -n holds the whole table.
    #[arg(long, value_name = "KEYS")]
    pub sort: Option<String>,
    /// SQL query over the flow table (named `flows`), run first (in `top`,
    /// before the aggregate); it holds the whole table.
    #[arg(long, value_name = "QUERY")]
    pub sql: Option<String>,
}

impl OutputArgs {
    /// Resolves the output flags (`top`: keep the first N rows).
    pub fn resolve(&self, top: Option<usize>) -> anyhow::Result<(OutputOptions, Output)> {
        let format: Format = self.format.into();
        let out = self
            .output
            .as_deref()
            .map_or(Output::Stdout, Output::from_arg);
        if format.is_binary() && out == Output::Stdout && std::io::stdout().is_terminal() {
            anyhow::bail!(
                "refusing to write {format} to a terminal\nhint: add -o FILE, or redirect stdout"
            );
        }
        let opts = OutputOptions {
            format,
            columns: self.columns.as_deref().map(OutputOptions::parse_columns),
            sort: match &self.sort {
                Some(s) => SortKey::parse_list(s)?,
                None => Vec::new(),
            },
            top,
            sql: self.sql.clone(),
            width: None,
        };
        Ok((opts, out))
    }
}
