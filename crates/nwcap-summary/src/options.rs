//! Output options as plain values, parsed from the CLI's strings.
//!
//! The CLI keeps its clap structs; these types are the resolved settings it
//! hands over (ripgrep's "flags -> settings" split), so the library never
//! sees raw flags and every parse error is one of ours.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// Output format (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Human table sized to the terminal, strings escaped.
    #[default]
    Table,
    /// CSV with a header row; strings escaped against terminal control
    /// characters and spreadsheet formulas.
    Csv,
    /// One JSON array of row objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// Apache Parquet (zstd level 1, row groups of at most 65,536 rows), dtypes
    /// kept exactly.
    Parquet,
    /// Zeek's conn.log, tab-separated with Zeek's `#` headers.
    Zeek,
    /// Zeek's conn.log in Zeek's JSON style (one object per line).
    ZeekJson,
}

impl Format {
    /// All formats, in the order help texts list them.
    pub const ALL: [Format; 7] = [
        Format::Table,
        Format::Csv,
        Format::Json,
        Format::Ndjson,
        Format::Parquet,
        Format::Zeek,
        Format::ZeekJson,
    ];

    /// The lowercase name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Parquet => "parquet",
            Format::Zeek => "zeek",
            Format::ZeekJson => "zeek-json",
        }
    }

    /// True for Zeek's log formats.
    pub fn is_zeek(self) -> bool {
        matches!(self, Format::Zeek | Format::ZeekJson)
    }

    /// True for binary formats that should not be written to a terminal.
    pub fn is_binary(self) -> bool {
        matches!(self, Format::Parquet)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| Error::UnknownFormat(s.to_string()))
    }
}

/// Direction of one sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Descending for numbers and durations (largest first), ascending for
    /// text and timestamps (alphabetical, chronological).
    #[default]
    Auto,
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// One `--sort` key: `COL`, `COL:asc` or `COL:desc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// Column name.
    pub column: String,
    /// Direction.
    pub order: SortOrder,
}

impl SortKey {
    /// Parse a comma-separated list of keys (`orig_bytes,ts:asc`).
    pub fn parse_list(s: &str) -> Result<Vec<SortKey>, Error> {
        s.split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::parse)
            .collect()
    }
}

impl FromStr for SortKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let (column, order) = match s.trim().rsplit_once(':') {
            None => (s.trim(), SortOrder::Auto),
            Some((c, o)) if o.eq_ignore_ascii_case("asc") => (c, SortOrder::Asc),
            Some((c, o)) if o.eq_ignore_ascii_case("desc") => (c, SortOrder::Desc),
            Some(_) => return Err(Error::InvalidSort(s.to_string())),
        };
        let column = column.trim();
        if column.is_empty() {
            return Err(Error::InvalidSort(s.to_string()));
        }
        Ok(SortKey {
            column: column.to_string(),
            order,
        })
    }
}

/// Resolved output settings for [`crate::render`].
#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// Output format.
    pub format: Format,
    /// Columns to keep, in this order (`--columns a,b,c`); `None` keeps all
    /// (or, for [`crate::render_flows`] tables, the default flow columns).
    pub columns: Option<Vec<String>>,
    /// Sort keys, most significant first; ties keep input order.
    pub sort: Vec<SortKey>,
    /// Keep only the first N rows after sorting (`--top N`).
    pub top: Option<usize>,
    /// SQL query over the table registered as `flows`, run first.
    pub sql: Option<String>,
    /// Table width in characters; `None` reads `$COLUMNS`, else 100.
    pub width: Option<usize>,
}

impl OutputOptions {
    /// Split a `--columns` argument (`a, b,c`) into names.
    pub fn parse_columns(s: &str) -> Vec<String> {
        s.split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_formats_and_keys() {
        assert_eq!("CSV".parse::<Format>().ok(), Some(Format::Csv));
        assert_eq!("ndjson".parse::<Format>().ok(), Some(Format::Ndjson));
        let err = "xml".parse::<Format>().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "unknown format \"xml\": expected table, csv, json, ndjson, parquet, zeek or zeek-json"
            )
        );
        let keys = SortKey::parse_list("orig_bytes, ts:asc,resp_p:DESC").expect("keys");
        assert_eq!(keys.len(), 3);
        assert_eq!(keys[0].order, SortOrder::Auto);
        assert_eq!(keys[1].column, "ts");
        assert_eq!(keys[1].order, SortOrder::Asc);
        assert_eq!(keys[2].order, SortOrder::Desc);
        assert!("ts:up".parse::<SortKey>().is_err());
        assert!(":asc".parse::<SortKey>().is_err());
        assert_eq!(OutputOptions::parse_columns(" a, ,b "), vec!["a", "b"]);
    }
}
