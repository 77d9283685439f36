//! UTC timestamp formatting without a date crate: days-from-civil
//! arithmetic (Howard Hinnant's algorithm), exact for the whole i64 range
//! of nanoseconds.

/// Format ns since the epoch as `YYYY-MM-DD HH:MM:SS.fffffffff` (UTC), with
/// `digits` fractional digits (0..=9).
pub fn utc(ns: i64, digits: usize) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let base = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    );
    let digits = digits.min(9);
    if digits == 0 {
        return base;
    }
    let f = format!("{frac:09}");
    format!("{base}.{}", &f[..digits])
}

/// RFC 3339 form (`YYYY-MM-DDTHH:MM:SS.fffffffffZ`), nanosecond precision.
pub fn rfc3339(ns: i64) -> String {
    format!("{}Z", utc(ns, 9).replacen(' ', "T", 1))
}

/// Epoch seconds with 9 decimals, exact (`954147395.148077000`).
pub fn epoch(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    format!("{secs}.{frac:09}")
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
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
        assert_eq!(epoch(954_147_395_148_077_000), "954147395.148077000");
    }
}
