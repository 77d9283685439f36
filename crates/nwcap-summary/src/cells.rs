//! Human formatting of single values for the table renderer.
//!
//! Each column is turned once into a typed view (a cheap clone of the
//! underlying arrays), so formatting a cell is a match on a known type, with
//! no per-cell `AnyValue` dispatch. Timestamps are formatted by
//! `nwcap_pcap::timefmt` (UTC, microseconds, like tshark), so the table
//! needs no polars display feature.

use std::fmt::Write as _;

use polars::prelude::*;

use crate::escape::escape_terminal;

/// Text shown for a null value (Zeek's convention).
pub(crate) const NULL: &str = "-";

/// A column prepared for formatting.
pub(crate) enum ColView {
    UInt(UInt64Chunked),
    Int(Int64Chunked),
    Float(Float64Chunked),
    Str(StringChunked),
    Bool(BooleanChunked),
    /// Physical values in nanoseconds since the epoch.
    Datetime(Int64Chunked),
    /// Physical values in nanoseconds.
    Duration(Int64Chunked),
    /// A type the table does not format itself; shows its dtype name.
    Other(String),
}

fn to_ns(tu: TimeUnit) -> i64 {
    match tu {
        TimeUnit::Nanoseconds => 1,
        TimeUnit::Microseconds => 1_000,
        TimeUnit::Milliseconds => 1_000_000,
    }
}

pub(crate) fn scaled(ca: &Int64Chunked, tu: TimeUnit) -> Int64Chunked {
    let f = to_ns(tu);
    if f == 1 {
        ca.clone()
    } else {
        ca.apply_values(|v| v.saturating_mul(f))
    }
}

impl ColView {
    /// View of one column; never fails (unknown types show their dtype).
    pub(crate) fn new(col: &Column) -> ColView {
        let s = col.as_materialized_series();
        let dtype = s.dtype().clone();
        let other = || ColView::Other(format!("<{dtype}>"));
        let view = match &dtype {
            DataType::Datetime(tu, _) => s
                .datetime()
                .map(|c| ColView::Datetime(scaled(c.physical(), *tu))),
            DataType::Duration(tu) => s
                .duration()
                .map(|c| ColView::Duration(scaled(c.physical(), *tu))),
            DataType::String => s.str().map(|c| ColView::Str(c.clone())),
            DataType::Boolean => s.bool().map(|c| ColView::Bool(c.clone())),
            d if d.is_float() => s
                .cast(&DataType::Float64)
                .and_then(|c| c.f64().map(|c| ColView::Float(c.clone()))),
            d if d.is_unsigned_integer() => s
                .cast(&DataType::UInt64)
                .and_then(|c| c.u64().map(|c| ColView::UInt(c.clone()))),
            d if d.is_integer() => s
                .cast(&DataType::Int64)
                .and_then(|c| c.i64().map(|c| ColView::Int(c.clone()))),
            _ => s
                .cast(&DataType::String)
                .and_then(|c| c.str().map(|c| ColView::Str(c.clone()))),
        };
        view.unwrap_or_else(|_| other())
    }

    /// Numbers and durations are right-aligned and never cut.
    pub(crate) fn is_numeric(&self) -> bool {
        matches!(
            self,
            ColView::UInt(_) | ColView::Int(_) | ColView::Float(_) | ColView::Duration(_)
        )
    }

    /// Text columns may be cut with an ellipsis; other values are kept whole.
    pub(crate) fn is_text(&self) -> bool {
        matches!(self, ColView::Str(_) | ColView::Other(_))
    }

    /// Write row `i` into `buf` (cleared first); nulls show as `-`.
    pub(crate) fn format(&self, i: usize, buf: &mut String) {
        buf.clear();
        let present = match self {
            ColView::UInt(c) => c.get(i).map(|v| write!(buf, "{v}")).is_some(),
            ColView::Int(c) => c.get(i).map(|v| write!(buf, "{v}")).is_some(),
            ColView::Float(c) => c.get(i).map(|v| format_float(v, buf)).is_some(),
            ColView::Str(c) => c
                .get(i)
                .map(|v| buf.push_str(&escape_terminal(v)))
                .is_some(),
            ColView::Bool(c) => c.get(i).map(|v| write!(buf, "{v}")).is_some(),
            ColView::Datetime(c) => c.get(i).map(|v| format_timestamp(v, buf)).is_some(),
            ColView::Duration(c) => c.get(i).map(|v| format_duration(v, buf)).is_some(),
            ColView::Other(d) => {
                buf.push_str(d);
                true
            }
        };
        if !present {
            buf.push_str(NULL);
        }
    }
}

/// About six significant digits, trailing zeros trimmed: `0.000123`,
/// `1234.57`, `123457`.
pub(crate) fn format_float(v: f64, buf: &mut String) {
    if !v.is_finite() {
        let _ = write!(buf, "{v}");
        return;
    }
    if v == 0.0 {
        buf.push('0');
        return;
    }
    let magnitude = v.abs().log10().floor();
    let decimals = (5.0 - magnitude).clamp(0.0, 9.0) as usize;
    let _ = write!(buf, "{v:.decimals$}");
    if buf.contains('.') {
        let trimmed = buf.trim_end_matches('0').trim_end_matches('.').len();
        buf.truncate(trimmed);
    }
}

/// Seconds with microseconds: `12.345678`.
pub(crate) fn format_duration(ns: i64, buf: &mut String) {
    let sign = if ns < 0 { "-" } else { "" };
    let abs = ns.unsigned_abs();
    let _ = write!(
        buf,
        "{sign}{}.{:06}",
        abs / 1_000_000_000,
        (abs % 1_000_000_000) / 1_000
    );
}

/// UTC `YYYY-MM-DD HH:MM:SS.ffffff` (tables).
pub(crate) fn format_timestamp(ns: i64, buf: &mut String) {
    nwcap_pcap::timefmt::write_utc(buf, ns, ' ', 6);
}

/// UTC RFC 3339 with microseconds, `YYYY-MM-DDTHH:MM:SS.uuuuuuZ` (CSV,
/// JSON): the table's precision, fixed width, sortable as text, and what
/// DuckDB, Spark and pandas parse as an instant.
pub(crate) fn format_rfc3339(ns: i64, buf: &mut String) {
    nwcap_pcap::timefmt::write_rfc3339_us(buf, ns);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(ns: i64) -> String {
        let mut s = String::new();
        format_timestamp(ns, &mut s);
        s
    }

    fn fl(v: f64) -> String {
        let mut s = String::new();
        format_float(v, &mut s);
        s
    }

    #[test]
    fn timestamps() {
        assert_eq!(ts(0), "1970-01-01 00:00:00.000000");
        assert_eq!(ts(1_700_000_000_123_456_789), "2023-11-14 22:13:20.123456");
        assert_eq!(ts(951_782_400_000_000_000), "2000-02-29 00:00:00.000000");
        assert_eq!(ts(-1), "1969-12-31 23:59:59.999999");
        // Extremes do not panic.
        assert!(ts(i64::MIN).starts_with("1677-09-21"));
        assert!(ts(i64::MAX).starts_with("2262-04-11"));
        let mut s = String::new();
        format_rfc3339(1_700_000_000_000_000_007, &mut s);
        assert_eq!(s, "2023-11-14T22:13:20.000000Z");
    }

    #[test]
    fn floats_and_durations() {
        assert_eq!(fl(0.000123), "0.000123");
        assert_eq!(fl(1234.5678), "1234.57");
        assert_eq!(fl(123456.789), "123457");
        assert_eq!(fl(2.0), "2");
        assert_eq!(fl(-0.5), "-0.5");
        assert_eq!(fl(0.0), "0");
        let mut s = String::new();
        format_duration(1_500_000_000, &mut s);
        assert_eq!(s, "1.500000");
        s.clear();
        format_duration(-2_000, &mut s);
        assert_eq!(s, "-0.000002");
    }
}
