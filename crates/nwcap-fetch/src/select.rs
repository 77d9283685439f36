//! Which blobs under a prefix are captures: `*.cap` (any case), optionally
//! within a date range read from the `/YYYY/MM/DD/` part of the name.
//!
//! Network Watcher names files
//! `.../VM/2025/01/31/packetcapture_16_39_41_077.cap`; the date in the path
//! is the only date available without a HEAD per blob, so `--since` and
//! `--until` filter on it. A blob with no date in its name is left out when
//! a range is given (it cannot be shown to be inside it).

/// A calendar day, comparable (year, month, day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day {
    /// Year.
    pub year: u16,
    /// Month 1-12.
    pub month: u8,
    /// Day 1-31.
    pub day: u8,
}

impl Day {
    /// Parse `YYYY-MM-DD` (also `YYYY/MM/DD`).
    pub fn parse(s: &str) -> Option<Self> {
        let mut it = s.split(['-', '/']);
        let d = Self::from_parts(it.next()?, it.next()?, it.next()?)?;
        it.next().is_none().then_some(d)
    }

    fn from_parts(y: &str, m: &str, d: &str) -> Option<Self> {
        let digits = |s: &str, n| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
            return None;
        }
        let day = Self {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
            day: d.parse().ok()?,
        };
        ((1..=12).contains(&day.month) && (1..=31).contains(&day.day)).then_some(day)
    }

    /// The first `/YYYY/MM/DD/` date in a blob name.
    pub fn in_blob_name(name: &str) -> Option<Self> {
        let segs: Vec<&str> = name.split('/').collect();
        // The last segment is the file name, so a date needs 3 segments before it.
        segs.windows(4)
            .find_map(|w| Self::from_parts(w[0], w[1], w[2]))
    }
}

/// Selection of capture blobs under a prefix.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Earliest day to keep (inclusive).
    pub since: Option<Day>,
    /// Latest day to keep (inclusive).
    pub until: Option<Day>,
}

impl Selection {
    /// Whether the name ends in `.cap` (case-insensitive).
    pub fn is_capture(name: &str) -> bool {
        name.len() >= 4
            && name.is_char_boundary(name.len() - 4)
            && name[name.len() - 4..].eq_ignore_ascii_case(".cap")
    }

    /// Whether the blob is selected.
    pub fn matches(&self, name: &str) -> bool {
        if !Self::is_capture(name) {
            return false;
        }
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        match Day::in_blob_name(name) {
            Some(d) => self.since.is_none_or(|s| d >= s) && self.until.is_none_or(|u| d <= u),
            None => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NAME: &str = "subscriptions/S/resourcegroups/RG/providers/microsoft.compute/virtualmachines/VM/2025/01/31/packetCapture_16_39_41_077.CAP";

    #[test]
    fn captures_any_case() {
        assert!(Selection::default().matches(NAME));
        assert!(Selection::default().matches("x.cap"));
        assert!(!Selection::default().matches("x.cap.json"));
        assert!(!Selection::default().matches("cap"));
        assert!(!Selection::default().matches("é.ca"));
    }

    #[test]
    fn date_range() {
        assert_eq!(Day::in_blob_name(NAME), Day::parse("2025-01-31"));
        let sel = |s: &str, u: &str| Selection {
            since: Day::parse(s),
            until: Day::parse(u),
        };
        assert!(sel("2025-01-31", "2025-01-31").matches(NAME));
        assert!(sel("2025-01-01", "2025-02-01").matches(NAME));
        assert!(!sel("2025-02-01", "2025-03-01").matches(NAME));
        assert!(!sel("2024-01-01", "2025-01-30").matches(NAME));
        assert!(!sel("2024-01-01", "2026-01-30").matches("nodate/x.cap"));
        assert!(Day::parse("2025-13-01").is_none());
        assert!(Day::parse("25-01-01").is_none());
        assert!(Day::parse("2025-01-01-01").is_none());
    }
}
