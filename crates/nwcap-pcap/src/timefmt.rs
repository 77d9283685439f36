//! The one place instants are turned into text, on the `time` crate: the
//! table's UTC times, RFC 3339 in CSV and JSON, exact epoch seconds.
//! Instants are nanoseconds since the Unix epoch (the whole `i64` range,
//! 1677 to 2262, is representable).

use std::fmt::Write as _;

use time::OffsetDateTime;

/// The calendar fields of `ns` (UTC).
fn fields(ns: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns)).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Appends `YYYY-MM-DD<sep>HH:MM:SS` and, when `digits > 0`, `.` and that
/// many fractional digits (truncated, not rounded) to `buf`.
pub fn write_utc(buf: &mut String, ns: i64, sep: char, digits: usize) {
    let t = fields(ns);
    let _ = write!(
        buf,
        "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let digits = digits.min(9);
    if digits > 0 {
        let frac = t.nanosecond() / 10u32.pow(9 - digits as u32);
        let _ = write!(buf, ".{frac:0digits$}");
    }
}

/// `YYYY-MM-DD HH:MM:SS.fff...` (UTC) with `digits` fractional digits.
pub fn utc(ns: i64, digits: usize) -> String {
    let mut s = String::with_capacity(30);
    write_utc(&mut s, ns, ' ', digits);
    s
}

/// RFC 3339 with nanoseconds and `Z`: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
pub fn rfc3339(ns: i64) -> String {
    let mut s = String::with_capacity(31);
    write_utc(&mut s, ns, 'T', 9);
    s.push('Z');
    s
}

/// Appends RFC 3339 with microseconds and `Z` to `buf` (the flow table's
/// text form: what DuckDB, Spark and pandas read as an instant).
pub fn write_rfc3339_us(buf: &mut String, ns: i64) {
    write_utc(buf, ns, 'T', 6);
    buf.push('Z');
}

/// Epoch seconds with 9 decimals, exact (`954147395.148077000`).
pub fn epoch(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    format!("{secs}.{frac:09}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(
            utc(954_147_395_148_077_000, 6),
            "2000-03-27 08:56:35.148077"
        );
        assert_eq!(utc(0, 0), "1970-01-01 00:00:00");
        assert_eq!(
            rfc3339(4_294_967_296_000_000_000),
            "2106-02-07T06:28:16.000000000Z"
        );
        assert_eq!(utc(-1, 9), "1969-12-31 23:59:59.999999999");
        assert_eq!(
            utc(951_782_400_000_000_000, 6),
            "2000-02-29 00:00:00.000000"
        );
        assert_eq!(epoch(954_147_395_148_077_000), "954147395.148077000");
        let mut s = String::new();
        write_rfc3339_us(&mut s, 1_700_000_000_123_456_789);
        assert_eq!(s, "2023-11-14T22:13:20.123456Z");
        // The extremes of the i64 range.
        assert!(utc(i64::MIN, 6).starts_with("1677-09-21"));
        assert!(utc(i64::MAX, 6).starts_with("2262-04-11"));
    }
}
