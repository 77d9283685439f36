//! Numbers and times as the page writes them. Times are UTC, formatted by
//! the `time` crate.

use time::OffsetDateTime;
use time::macros::format_description;

const S: i64 = 1_000_000_000;

/// An integer with thousands separators: `1,234,567`.
pub fn int(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A value with an SI prefix and a unit: `1.5 MB`, `230 kbit/s`, `12 B`.
pub fn si(v: f64, unit: &str) -> String {
    const PREFIXES: [&str; 7] = ["", "k", "M", "G", "T", "P", "E"];
    if !v.is_finite() || v.abs() < 1e-12 {
        return format!("0 {unit}");
    }
    let mut x = v;
    let mut p = 0;
    while x.abs() >= 1000.0 && p + 1 < PREFIXES.len() {
        x /= 1000.0;
        p += 1;
    }
    let n = if x.fract() == 0.0 {
        format!("{:.0}", x.abs())
    } else {
        sig3(x.abs())
    };
    let sign = if x < 0.0 { "-" } else { "" };
    format!("{sign}{n} {}{unit}", PREFIXES[p])
}

/// Bytes: `1.45 MB` (powers of 1000, as tshark and capinfos print).
pub fn bytes(n: u64) -> String {
    si(n as f64, "B")
}

/// A duration given in ns: `0 s`, `250 µs`, `1.50 s`, `3 min 20 s`,
/// `2 h 05 min`, `3 d 04 h`.
pub fn duration(ns: i64) -> String {
    let ns = ns.unsigned_abs();
    let s = ns / S as u64;
    if ns == 0 {
        "0 s".into()
    } else if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{} µs", sig3(ns as f64 / 1e3))
    } else if ns < S as u64 {
        format!("{} ms", sig3(ns as f64 / 1e6))
    } else if s < 60 {
        format!("{} s", sig3(ns as f64 / 1e9))
    } else if s < 3600 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else if s < 86_400 {
        format!("{} h {:02} min", s / 3600, (s / 60) % 60)
    } else {
        format!("{} d {:02} h", s / 86_400, (s / 3600) % 24)
    }
}

/// A bin width or step, exact: `1 s`, `10 ms`, `2 min`, `6 h`.
pub fn width(ns: i64) -> String {
    const UNITS: [(i64, &str); 7] = [
        (86_400 * S, "d"),
        (3600 * S, "h"),
        (60 * S, "min"),
        (S, "s"),
        (1_000_000, "ms"),
        (1_000, "µs"),
        (1, "ns"),
    ];
    for (u, name) in UNITS {
        if ns != 0 && ns % u == 0 {
            return format!("{} {name}", ns / u);
        }
    }
    duration(ns)
}

/// Three significant digits are plenty on a page.
fn sig3(x: f64) -> String {
    let prec = if x >= 100.0 {
        0
    } else if x >= 10.0 {
        1
    } else {
        2
    };
    format!("{x:.prec$}")
}

fn datetime(ns: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns)).ok()
}

/// `2023-11-14 22:13:46.333` (UTC, milliseconds).
pub fn utc(ns: i64) -> String {
    let f =
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]");
    datetime(ns)
        .and_then(|t| t.format(f).ok())
        .unwrap_or_else(|| ns.to_string())
}

/// `2023-11-14` (UTC).
pub fn utc_date(ns: i64) -> String {
    let f = format_description!("[year]-[month]-[day]");
    datetime(ns)
        .and_then(|t| t.format(f).ok())
        .unwrap_or_default()
}

/// A time axis label for ticks `step_ns` apart, over a span that stays
/// within one day (`within_day`) or not.
pub fn tick(ns: i64, step_ns: i64, within_day: bool) -> String {
    let Some(t) = datetime(ns) else {
        return String::new();
    };
    let r = if step_ns >= 86_400 * S {
        t.format(format_description!("[year]-[month]-[day]"))
    } else if !within_day {
        t.format(format_description!("[month]-[day] [hour]:[minute]"))
    } else if step_ns >= 60 * S {
        t.format(format_description!("[hour]:[minute]"))
    } else if step_ns >= S {
        t.format(format_description!("[hour]:[minute]:[second]"))
    } else {
        t.format(format_description!(
            "[hour]:[minute]:[second].[subsecond digits:3]"
        ))
    };
    r.unwrap_or_default()
}

/// True when `a` and `b` fall on the same UTC day.
pub fn same_day(a: i64, b: i64) -> bool {
    a.div_euclid(86_400 * S) == b.div_euclid(86_400 * S)
}

/// Round tick steps for a time axis, ns.
const STEPS: &[i64] = &[
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    20_000_000,
    50_000_000,
    100_000_000,
    200_000_000,
    500_000_000,
    S,
    2 * S,
    5 * S,
    10 * S,
    15 * S,
    30 * S,
    60 * S,
    2 * 60 * S,
    5 * 60 * S,
    10 * 60 * S,
    15 * 60 * S,
    30 * 60 * S,
    3600 * S,
    2 * 3600 * S,
    3 * 3600 * S,
    6 * 3600 * S,
    12 * 3600 * S,
    86_400 * S,
    2 * 86_400 * S,
    7 * 86_400 * S,
    14 * 86_400 * S,
    28 * 86_400 * S,
    91 * 86_400 * S,
    364 * 86_400 * S,
];

/// Ticks on round UTC times between `from` and `to` (ns), at most about
/// `max` of them, and their step.
pub fn time_ticks(from: i64, to: i64, max: i64) -> (Vec<i64>, i64) {
    let span = to.saturating_sub(from).max(1);
    let step = STEPS
        .iter()
        .copied()
        .find(|&s| span / s < max)
        .unwrap_or_else(|| (span / max.max(1)).max(1));
    let mut t = from.div_euclid(step).saturating_add(1).saturating_mul(step);
    if from.rem_euclid(step) == 0 {
        t = from;
    }
    let mut v = Vec::new();
    while t <= to && v.len() < 64 {
        v.push(t);
        t = t.saturating_add(step);
    }
    (v, step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(int(0), "0");
        assert_eq!(int(1234), "1,234");
        assert_eq!(int(1_234_567), "1,234,567");
        assert_eq!(bytes(274_897), "275 kB");
        assert_eq!(bytes(12), "12 B");
        assert_eq!(bytes(1_450_000), "1.45 MB");
        assert_eq!(si(2.5e6, "bit/s"), "2.50 Mbit/s");
        assert_eq!(duration(1_500_000_000), "1.50 s");
        assert_eq!(duration(200 * S), "3 min 20 s");
        assert_eq!(duration(250_000), "250 µs");
        assert_eq!(utc(1_700_000_026_333_477_000), "2023-11-14 22:13:46.333");
        assert_eq!(width(S), "1 s");
        assert_eq!(width(120 * S), "2 min");
        assert_eq!(width(20_000_000), "20 ms");
        assert_eq!(si(1000.0, "B"), "1 kB");
        assert_eq!(si(50_000.0, "bit/s"), "50 kbit/s");
        assert_eq!(utc_date(1_700_000_026_333_477_000), "2023-11-14");
    }

    #[test]
    fn ticks_fall_on_round_times() {
        let from = 1_700_000_026_333_477_000;
        let (t, step) = time_ticks(from, from + 600 * S, 8);
        assert_eq!(step, 2 * 60 * S);
        assert!(t.iter().all(|x| x % step == 0 && *x >= from));
        assert_eq!(tick(t[0], step, true), "22:14");
    }
}
