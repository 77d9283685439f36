//! Zeek's log formats: `--format zeek` (the ASCII log, tab-separated, with
//! Zeek's `#` header lines) and `--format zeek-json` (Zeek's JSON log
//! style: one object per line), written a batch at a time.
//!
//! Names and types come from the column table ([`ZeekField`]): a column
//! that is a conn.log field gets Zeek's name (`id.orig_h`) and type
//! (`addr`, `port`, `interval`...); any other column (`--columns`, a
//! `--sql` result) keeps its name and gets the Zeek type of its values.
//! Values are written as Zeek writes them:
//!
//! - `time` as epoch seconds with 6 decimals, `interval` and `double` with
//!   6 decimals, counts and ports as integers, `bool` as `T`/`F`;
//! - unset as `-` (JSON: the key left out), an empty string as `(empty)`;
//! - in text, a backslash as `\\`, control characters and the separator
//!   (tab) as `\xNN` per byte, a value that is exactly `-` as `\x2d`
//!   (Zeek's escaping; JSON escapes as JSON does);
//! - as in conn.log, `duration`, `orig_bytes` and `resp_bytes` are unset
//!   when the duration is 0 (Zeek's `base/protocols/conn/main.zeek` sets
//!   them only for a positive duration), when `duration` is written.
//!
//! `#open` and `#close` are the UTC time the log was opened and closed
//! (`SOURCE_DATE_EPOCH`, when set, instead of the clock, for reproducible
//! output); `#path` is `conn`.

use std::fmt::Write as _;
use std::io::{self, Write};

use nwcap_flows::schema::{Kind, column};
use polars::prelude::*;

use crate::cells::ColView;

/// Which of Zeek's two log styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Tab-separated with `#` headers.
    Tsv,
    /// One JSON object per line.
    Json,
}

/// A Zeek log's fields, fixed by its first frame.
pub(crate) struct ZeekLog {
    style: Style,
    names: Vec<String>,
    types: Vec<&'static str>,
    /// Index of `duration` among the fields, and of the byte counts unset
    /// with it.
    duration: Option<usize>,
    unset_with_duration: Vec<usize>,
}

/// Does the frame's dtype carry the column table's kind?
fn same_kind(kind: Kind, dtype: &DataType) -> bool {
    match kind {
        Kind::Text => dtype == &DataType::String,
        Kind::Count => dtype == &DataType::Int64,
        Kind::Int => dtype == &DataType::Int32,
        Kind::Float => dtype == &DataType::Float64,
        Kind::Timestamp => matches!(dtype, DataType::Datetime(..)),
    }
}

/// Zeek's type for values of `dtype`.
fn zeek_type(dtype: &DataType) -> &'static str {
    match dtype {
        DataType::Datetime(..) => "time",
        DataType::Duration(_) => "interval",
        DataType::Boolean => "bool",
        d if d.is_float() => "double",
        d if d.is_unsigned_integer() => "count",
        d if d.is_integer() => "int",
        _ => "string",
    }
}

/// A column's Zeek name and type.
fn field(name: &str, dtype: &DataType) -> (String, &'static str) {
    match column(name) {
        Some(spec) if same_kind(spec.kind, dtype) => match spec.zeek {
            Some(z) => (z.name.to_string(), z.ty),
            None => {
                let ty = match spec.kind {
                    Kind::Count => "count",
                    Kind::Float if spec.unit == "s" => "interval",
                    _ => zeek_type(dtype),
                };
                (name.to_string(), ty)
            }
        },
        _ => (name.to_string(), zeek_type(dtype)),
    }
}

impl ZeekLog {
    /// The log of frames with `schema`'s columns.
    pub(crate) fn new(schema: &Schema, style: Style) -> ZeekLog {
        let (names, types): (Vec<String>, Vec<&'static str>) =
            schema.iter().map(|(n, d)| field(n, d)).unzip();
        let at = |n: &str| {
            names
                .iter()
                .zip(&types)
                .position(|(name, ty)| name == n && *ty == "count")
        };
        let duration = names
            .iter()
            .zip(&types)
            .position(|(n, t)| n == "duration" && *t == "interval");
        let unset_with_duration = ["orig_bytes", "resp_bytes"]
            .iter()
            .filter_map(|n| at(n))
            .collect();
        ZeekLog {
            style,
            names,
            types,
            duration,
            unset_with_duration,
        }
    }

    /// The header lines (TSV; nothing for JSON).
    pub(crate) fn header(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.style == Style::Json {
            return Ok(());
        }
        let fields: Vec<String> = self.names.iter().map(|n| escape_tsv(n)).collect();
        writeln!(out, "#separator \\x09")?;
        writeln!(out, "#set_separator\t,")?;
        writeln!(out, "#empty_field\t(empty)")?;
        writeln!(out, "#unset_field\t-")?;
        writeln!(out, "#path\tconn")?;
        writeln!(out, "#open\t{}", stamp())?;
        writeln!(out, "#fields\t{}", fields.join("\t"))?;
        writeln!(out, "#types\t{}", self.types.join("\t"))
    }

    /// The `#close` line (TSV; nothing for JSON).
    pub(crate) fn close(&self, out: &mut dyn Write) -> io::Result<()> {
        match self.style {
            Style::Tsv => writeln!(out, "#close\t{}", stamp()),
            Style::Json => Ok(()),
        }
    }

    /// The rows of `df` (the columns the log was made for).
    pub(crate) fn rows(&self, df: &DataFrame, out: &mut dyn Write) -> io::Result<()> {
        let views: Vec<ColView> = df.columns().iter().map(ColView::new).collect();
        let mut line = String::with_capacity(512);
        let mut cell = String::new();
        for row in 0..df.height() {
            line.clear();
            let zero_duration = self.duration.is_some_and(|i| match &views[i] {
                ColView::Float(c) => c.get(row) == Some(0.0),
                _ => false,
            });
            if self.style == Style::Json {
                line.push('{');
            }
            let mut first = true;
            for (i, view) in views.iter().enumerate() {
                let unset = zero_duration
                    && (self.duration == Some(i) || self.unset_with_duration.contains(&i));
                cell.clear();
                let set = self.types[i].starts_with("set[");
                let present = !unset && self.value(view, row, set, &mut cell);
                match self.style {
                    Style::Tsv => {
                        if i > 0 {
                            line.push('\t');
                        }
                        line.push_str(if present { &cell } else { "-" });
                    }
                    Style::Json if present => {
                        if !first {
                            line.push(',');
                        }
                        first = false;
                        push_json_string(&mut line, &self.names[i]);
                        line.push(':');
                        line.push_str(&cell);
                    }
                    Style::Json => {}
                }
            }
            if self.style == Style::Json {
                line.push('}');
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    /// Writes row `row` of `view` into `buf` as this style writes it
    /// (`set`: a comma-separated text is a Zeek set, a JSON array);
    /// false when unset.
    fn value(&self, view: &ColView, row: usize, set: bool, buf: &mut String) -> bool {
        let json = self.style == Style::Json;
        match view {
            ColView::Int(c) => c.get(row).map(|v| write!(buf, "{v}")).is_some(),
            ColView::UInt(c) => c.get(row).map(|v| write!(buf, "{v}")).is_some(),
            ColView::Float(c) => match c.get(row) {
                Some(v) if v.is_finite() => write!(buf, "{v:.6}").is_ok(),
                _ => false,
            },
            ColView::Datetime(c) => c.get(row).map(|ns| epoch(ns, buf)).is_some(),
            ColView::Duration(c) => c.get(row).map(|ns| epoch(ns, buf)).is_some(),
            ColView::Bool(c) => match (c.get(row), json) {
                (Some(v), true) => write!(buf, "{v}").is_ok(),
                (Some(v), false) => {
                    buf.push(if v { 'T' } else { 'F' });
                    true
                }
                (None, _) => false,
            },
            ColView::Str(c) => match (c.get(row), json) {
                (Some(s), _) if set => {
                    push_set(buf, s, json);
                    true
                }
                (Some(s), true) => {
                    push_json_string(buf, s);
                    true
                }
                (Some(s), false) => {
                    buf.push_str(&escape_tsv(s));
                    true
                }
                (None, _) => false,
            },
            ColView::Other(d) => {
                if json {
                    push_json_string(buf, d);
                } else {
                    buf.push_str(&escape_tsv(d));
                }
                true
            }
        }
    }
}

/// Nanoseconds as seconds with 6 decimals (`1700000000.281161`).
fn epoch(ns: i64, buf: &mut String) {
    let us = ns.div_euclid(1000);
    let (secs, frac) = (us.div_euclid(1_000_000), us.rem_euclid(1_000_000));
    if secs < 0 && frac > 0 {
        // -0.5 s is written -0.500000, not -1.500000.
        let _ = write!(buf, "-{}.{:06}", -(secs + 1), 1_000_000 - frac);
    } else {
        let _ = write!(buf, "{secs}.{frac:06}");
    }
}

/// Zeek's escaping of a text field (see the module docs).
fn escape_tsv(s: &str) -> String {
    if s.is_empty() {
        return "(empty)".into();
    }
    if s == "-" {
        return "\\x2d".into();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let mut b = [0; 4];
                for byte in c.encode_utf8(&mut b).bytes() {
                    let _ = write!(out, "\\x{byte:02x}");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// A Zeek set from comma-separated text: TSV elements joined by the set
/// separator (`,`, escaped as `\x2c` within an element, none of the
/// column table's sets has one), JSON an array of strings.
fn push_set(buf: &mut String, s: &str, json: bool) {
    if s.is_empty() {
        buf.push_str(if json { "[]" } else { "(empty)" });
        return;
    }
    if json {
        buf.push('[');
    }
    for (i, e) in s.split(',').enumerate() {
        if i > 0 {
            buf.push(',');
        }
        if json {
            push_json_string(buf, e);
        } else {
            buf.push_str(&escape_tsv(e));
        }
    }
    if json {
        buf.push(']');
    }
}

fn push_json_string(buf: &mut String, s: &str) {
    match serde_json::to_string(s) {
        Ok(q) => buf.push_str(&q),
        Err(_) => buf.push_str("null"),
    }
}

/// Zeek's `#open`/`#close` stamp, `YYYY-MM-DD-HH-MM-SS`, UTC.
fn stamp() -> String {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or_else(time::OffsetDateTime::now_utc);
    format!(
        "{:04}-{:02}-{:02}-{:02}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(ns: i64) -> String {
        let mut s = String::new();
        epoch(ns, &mut s);
        s
    }

    #[test]
    fn times_are_epoch_seconds_with_microseconds() {
        assert_eq!(ep(1_700_000_000_281_161_999), "1700000000.281161");
        assert_eq!(ep(0), "0.000000");
        assert_eq!(ep(-500_000_000), "-0.500000");
        assert_eq!(ep(-1_000_000_000), "-1.000000");
    }

    #[test]
    fn sets_are_separated_lists_or_arrays() {
        let (mut t, mut j) = (String::new(), String::new());
        push_set(&mut t, "CAb1,CCd2", false);
        push_set(&mut j, "CAb1,CCd2", true);
        assert_eq!(t, "CAb1,CCd2");
        assert_eq!(j, r#"["CAb1","CCd2"]"#);
        assert_eq!(
            field("tunnel_parents", &DataType::String),
            ("tunnel_parents".into(), "set[string]")
        );
    }

    #[test]
    fn text_is_escaped_as_zeek_escapes_it() {
        assert_eq!(escape_tsv(""), "(empty)");
        assert_eq!(escape_tsv("-"), "\\x2d");
        assert_eq!(escape_tsv("a\tb\\c"), "a\\x09b\\\\c");
        assert_eq!(escape_tsv("x\u{9b}y"), "x\\xc2\\x9by");
        assert_eq!(escape_tsv("bücher.de"), "bücher.de");
    }

    #[test]
    fn fields_take_zeek_names_and_types_from_the_column_table() {
        let utc = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
        assert_eq!(field("ts", &utc), ("ts".into(), "time"));
        assert_eq!(
            field("orig_h", &DataType::String),
            ("id.orig_h".into(), "addr")
        );
        assert_eq!(
            field("resp_p", &DataType::Int32),
            ("id.resp_p".into(), "port")
        );
        assert_eq!(
            field("duration", &DataType::Float64),
            ("duration".into(), "interval")
        );
        // nwcap's own columns keep their names, with the type of their kind.
        assert_eq!(
            field("orig_wire_bytes", &DataType::Int64),
            ("orig_wire_bytes".into(), "count")
        );
        assert_eq!(
            field("handshake_rtt", &DataType::Float64),
            ("handshake_rtt".into(), "interval")
        );
        assert_eq!(
            field("bytes_per_s", &DataType::Float64),
            ("bytes_per_s".into(), "double")
        );
        // A SQL result under a table column's name, but not its type.
        assert_eq!(field("orig_h", &DataType::Int64), ("orig_h".into(), "int"));
        assert_eq!(field("n", &DataType::UInt32), ("n".into(), "count"));
    }
}
