//! Port fields: `80`, `80-85`, `80;443;` and mixtures of those.
//!
//! Kept as sorted, merged inclusive ranges so that equality is set equality,
//! printing is canonical, and `contains` is a scan over a handful of pairs.

use std::fmt;

use crate::error::{FilterError, Reason};
use crate::notation;

/// A non-empty set of TCP/UDP ports, as inclusive ranges.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PortSet {
    ranges: Vec<(u16, u16)>,
}

fn port(field: &'static str, word: &str) -> Result<u16, FilterError> {
    // `u16::from_str` also takes `+80`; the notation is digits only.
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FilterError::new(field, word, Reason::NotAPort));
    }
    word.parse()
        .map_err(|_| FilterError::new(field, word, Reason::NotAPort))
}

impl PortSet {
    /// Parses the port notation of the field named `field`.
    ///
    /// Accepts single ports, `start-end` ranges and lists of both separated
    /// by `;`, `,` or blanks. A field with no port at all is an error
    /// ([`Reason::Empty`]): an absent field is `None` one level up.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, FilterError> {
        let mut ranges = Vec::new();
        for item in notation::items(field, text)? {
            let start = port(field, item.start)?;
            let end = match item.end {
                Some(end) => port(field, end)?,
                None => start,
            };
            if start > end {
                return Err(FilterError::new(field, item.text, Reason::Reversed));
            }
            ranges.push((start, end));
        }
        if ranges.is_empty() {
            return Err(FilterError::new(field, text, Reason::Empty));
        }
        notation::normalize(&mut ranges);
        Ok(PortSet { ranges })
    }

    /// The set holding one port.
    pub fn single(port: u16) -> Self {
        PortSet {
            ranges: vec![(port, port)],
        }
    }

    /// Whether `port` is in the set.
    #[inline]
    pub fn contains(&self, port: u16) -> bool {
        notation::contains(&self.ranges, port)
    }

    /// The inclusive ranges, sorted, disjoint and not touching.
    pub fn ranges(&self) -> impl Iterator<Item = std::ops::RangeInclusive<u16>> + '_ {
        self.ranges.iter().map(|&(s, e)| s..=e)
    }
}

/// Canonical notation: sorted, merged, `;`-separated, no trailing `;`.
impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(s, e)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            if s == e {
                write!(f, "{s}")?;
            } else {
                write!(f, "{s}-{e}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn p(text: &str) -> PortSet {
        PortSet::parse("localPort", text).unwrap()
    }

    fn err(text: &str) -> FilterError {
        PortSet::parse("localPort", text).unwrap_err()
    }

    #[test]
    fn documented_forms() {
        assert_eq!(p("80").to_string(), "80");
        assert_eq!(p("80-85").to_string(), "80-85");
        assert_eq!(p("80;443;").to_string(), "80;443");
        assert!(p("80-85").contains(80) && p("80-85").contains(85));
        assert!(!p("80-85").contains(86) && !p("80-85").contains(79));
    }

    #[test]
    fn what_people_write() {
        assert_eq!(p("80, 443").to_string(), "80;443");
        assert_eq!(p(" 443 ; 80 ").to_string(), "80;443");
        assert_eq!(p("80 - 85").to_string(), "80-85");
        assert_eq!(p("8000-8080;80;443-443;").to_string(), "80;443;8000-8080");
        assert_eq!(p("0-65535").to_string(), "0-65535");
        assert_eq!(p("080").to_string(), "80");
        assert_eq!(p("80;81;82").to_string(), "80-82");
        assert_eq!(p("80-90;85-95").to_string(), "80-95");
        assert_eq!(p("5"), PortSet::single(5));
    }

    #[test]
    fn errors_name_the_field_and_quote_the_text() {
        let e = err("70000");
        assert_eq!(
            e.to_string(),
            r#"localPort: "70000" is not a port (0-65535)"#
        );
        assert_eq!(err("80;http").text, "http");
        assert_eq!(err("80;http").reason, Reason::NotAPort);
        assert_eq!(err("+80").reason, Reason::NotAPort);
        assert_eq!(err("-1").reason, Reason::NotARange);
        assert_eq!(err("99999999999999999999999").reason, Reason::NotAPort);
        let e = err("85-80");
        assert_eq!((e.text.as_str(), e.reason), ("85-80", Reason::Reversed));
        assert_eq!(err("80-65536").text, "65536");
        assert_eq!(err("").reason, Reason::Empty);
        assert_eq!(err(" ;; ").reason, Reason::Empty);
        assert_eq!(err("80.5").reason, Reason::NotAPort);
    }
}
