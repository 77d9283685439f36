//! Address fields: `10.0.0.4`, `10.0.0.1-10.0.0.255`, `10.0.0.4;10.0.0.5;`,
//! IPv6 in the same forms, and `10.0.0.0/24` as a shorthand for its range.
//!
//! IPv4 and IPv6 ranges are stored apart as integer pairs (`u32`, `u128`):
//! a range cannot span families, comparison of integers is what the hot path
//! wants, and a packet only ever needs the list of its own family. An IPv6
//! address never matches an IPv4 range, IPv4-mapped (`::ffff:a.b.c.d`) ones
//! included: the filter sees addresses as the packet carries them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::RangeInclusive;

use crate::error::{FilterError, Reason};
use crate::notation;

/// A non-empty set of IP addresses, as inclusive ranges of one family each.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AddrSet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

fn addr(field: &'static str, word: &str) -> Result<IpAddr, FilterError> {
    // `[::1]` is how IPv6 is often written next to ports; accept it.
    let bare = word
        .strip_prefix('[')
        .and_then(|w| w.strip_suffix(']'))
        .unwrap_or(word);
    bare.parse()
        .map_err(|_| FilterError::new(field, word, Reason::NotAnAddress))
}

/// `address/length` as an inclusive range; host bits must be zero.
fn prefix(field: &'static str, word: &str) -> Result<Range, FilterError> {
    let Some((a, len)) = word.split_once('/') else {
        return addr(field, word).map(Range::from_addr);
    };
    let ip = addr(field, a)?;
    let bad = || FilterError::new(field, word, Reason::BadPrefix);
    if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) || len.len() > 3 {
        return Err(bad());
    }
    let len: u32 = len.parse().map_err(|_| bad())?;
    match ip {
        IpAddr::V4(v4) => {
            if len > 32 {
                return Err(bad());
            }
            let host = u32::MAX.checked_shr(len).unwrap_or(0);
            let start = u32::from(v4);
            if start & host != 0 {
                return Err(FilterError::new(field, word, Reason::HostBits));
            }
            Ok(Range::V4(start, start | host))
        }
        IpAddr::V6(v6) => {
            if len > 128 {
                return Err(bad());
            }
            let host = u128::MAX.checked_shr(len).unwrap_or(0);
            let start = u128::from(v6);
            if start & host != 0 {
                return Err(FilterError::new(field, word, Reason::HostBits));
            }
            Ok(Range::V6(start, start | host))
        }
    }
}

enum Range {
    V4(u32, u32),
    V6(u128, u128),
}

impl Range {
    fn from_addr(ip: IpAddr) -> Range {
        match ip {
            IpAddr::V4(a) => Range::V4(a.into(), a.into()),
            IpAddr::V6(a) => Range::V6(a.into(), a.into()),
        }
    }
}

impl AddrSet {
    /// Parses the address notation of the field named `field`.
    ///
    /// Accepts single addresses, `start-end` ranges (both bounds of one
    /// family), `address/length` prefixes and lists of those separated by
    /// `;`, `,` or blanks; IPv4 and IPv6 items may share a list. A field with
    /// no address at all is an error ([`Reason::Empty`]).
    pub fn parse(field: &'static str, text: &str) -> Result<Self, FilterError> {
        let mut set = AddrSet {
            v4: Vec::new(),
            v6: Vec::new(),
        };
        for item in notation::items(field, text)? {
            let range = match item.end {
                None => prefix(field, item.start)?,
                Some(end) => match (addr(field, item.start)?, addr(field, end)?) {
                    (IpAddr::V4(s), IpAddr::V4(e)) => Range::V4(s.into(), e.into()),
                    (IpAddr::V6(s), IpAddr::V6(e)) => Range::V6(s.into(), e.into()),
                    _ => return Err(FilterError::new(field, item.text, Reason::MixedFamilies)),
                },
            };
            let reversed = match range {
                Range::V4(s, e) => s > e,
                Range::V6(s, e) => s > e,
            };
            if reversed {
                return Err(FilterError::new(field, item.text, Reason::Reversed));
            }
            match range {
                Range::V4(s, e) => set.v4.push((s, e)),
                Range::V6(s, e) => set.v6.push((s, e)),
            }
        }
        if set.v4.is_empty() && set.v6.is_empty() {
            return Err(FilterError::new(field, text, Reason::Empty));
        }
        notation::normalize(&mut set.v4);
        notation::normalize(&mut set.v6);
        Ok(set)
    }

    /// The set holding one address.
    pub fn single(ip: IpAddr) -> Self {
        let mut set = AddrSet {
            v4: Vec::new(),
            v6: Vec::new(),
        };
        match ip {
            IpAddr::V4(a) => set.v4.push((a.into(), a.into())),
            IpAddr::V6(a) => set.v6.push((a.into(), a.into())),
        }
        set
    }

    /// Whether `ip` is in the set.
    #[inline]
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => notation::contains(&self.v4, u32::from(a)),
            IpAddr::V6(a) => notation::contains(&self.v6, u128::from(a)),
        }
    }

    /// The inclusive ranges: IPv4 first, each family sorted and merged.
    pub fn ranges(&self) -> impl Iterator<Item = RangeInclusive<IpAddr>> + '_ {
        let v4 = self
            .v4
            .iter()
            .map(|&(s, e)| IpAddr::V4(Ipv4Addr::from(s))..=IpAddr::V4(Ipv4Addr::from(e)));
        let v6 = self
            .v6
            .iter()
            .map(|&(s, e)| IpAddr::V6(Ipv6Addr::from(s))..=IpAddr::V6(Ipv6Addr::from(e)));
        v4.chain(v6)
    }
}

/// Canonical notation: IPv4 then IPv6, sorted, merged, `;`-separated, ranges
/// as `start-end` (prefixes written on input come out as ranges, which is
/// the form the API documents).
impl fmt::Display for AddrSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.ranges().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            if r.start() == r.end() {
                write!(f, "{}", r.start())?;
            } else {
                write!(f, "{}-{}", r.start(), r.end())?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn a(text: &str) -> AddrSet {
        AddrSet::parse("localIPAddress", text).unwrap()
    }

    fn err(text: &str) -> FilterError {
        AddrSet::parse("localIPAddress", text).unwrap_err()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn documented_forms() {
        assert_eq!(a("10.0.0.4").to_string(), "10.0.0.4");
        assert_eq!(a("10.0.0.1-10.0.0.255").to_string(), "10.0.0.1-10.0.0.255");
        assert_eq!(a("10.0.0.4;10.0.0.5;").to_string(), "10.0.0.4-10.0.0.5");
        assert_eq!(a("10.0.0.4;10.0.0.6;").to_string(), "10.0.0.4;10.0.0.6");
        let r = a("10.0.0.1-10.0.0.255");
        assert!(r.contains(ip("10.0.0.1")) && r.contains(ip("10.0.0.255")));
        assert!(!r.contains(ip("10.0.0.0")) && !r.contains(ip("10.0.1.0")));
    }

    #[test]
    fn what_people_write() {
        assert_eq!(a(" 10.0.0.5 , 10.0.0.4 ").to_string(), "10.0.0.4-10.0.0.5");
        assert_eq!(a("10.0.0.1 - 10.0.0.9").to_string(), "10.0.0.1-10.0.0.9");
        assert_eq!(
            a("10.0.0.1-10.0.0.9;10.1.0.0-10.1.0.9").to_string(),
            "10.0.0.1-10.0.0.9;10.1.0.0-10.1.0.9"
        );
        assert_eq!(a("10.0.0.0/24").to_string(), "10.0.0.0-10.0.0.255");
        assert_eq!(a("0.0.0.0/0").to_string(), "0.0.0.0-255.255.255.255");
        assert_eq!(a("10.0.0.7/32").to_string(), "10.0.0.7");
        assert_eq!(a("10.0.0.4"), AddrSet::single(ip("10.0.0.4")));
    }

    #[test]
    fn ipv6_and_mixed_lists() {
        assert_eq!(a("2001:db8::1").to_string(), "2001:db8::1");
        assert_eq!(a("[2001:db8::1]").to_string(), "2001:db8::1");
        assert_eq!(
            a("2001:db8::1-2001:db8::ff").to_string(),
            "2001:db8::1-2001:db8::ff"
        );
        assert_eq!(a("2001:db8::/120").to_string(), "2001:db8::-2001:db8::ff");
        let s = a("fe80::1; 10.0.0.4");
        assert_eq!(s.to_string(), "10.0.0.4;fe80::1");
        assert!(s.contains(ip("fe80::1")) && s.contains(ip("10.0.0.4")));
        assert!(!s.contains(ip("::ffff:10.0.0.4")));
        assert!(!a("::ffff:10.0.0.4").contains(ip("10.0.0.4")));
    }

    #[test]
    fn errors_name_the_field_and_quote_the_text() {
        let e = err("1.1.1.1-255.255.255");
        assert_eq!(
            e.to_string(),
            r#"localIPAddress: "255.255.255" is not an IP address"#
        );
        let e = err("10.0.0.9-10.0.0.1");
        assert_eq!(
            (e.text.as_str(), e.reason),
            ("10.0.0.9-10.0.0.1", Reason::Reversed)
        );
        let e = err("10.0.0.1-::1");
        assert_eq!(
            (e.text.as_str(), e.reason),
            ("10.0.0.1-::1", Reason::MixedFamilies)
        );
        assert_eq!(err("vm1").reason, Reason::NotAnAddress);
        assert_eq!(err("10.0.0.04").reason, Reason::NotAnAddress);
        assert_eq!(err("10.0.0.256").reason, Reason::NotAnAddress);
        assert_eq!(err("10.0.0.4;;abc").text, "abc");
        assert_eq!(err("10.0.0.0/33").reason, Reason::BadPrefix);
        assert_eq!(err("10.0.0.0/").reason, Reason::BadPrefix);
        assert_eq!(err("10.0.0.0/x").reason, Reason::BadPrefix);
        assert_eq!(err("::/129").reason, Reason::BadPrefix);
        assert_eq!(err("10.0.0.5/24").reason, Reason::HostBits);
        assert_eq!(err("10.0.0.0/24-10.0.1.0").reason, Reason::NotAnAddress);
        assert_eq!(err("").reason, Reason::Empty);
        assert_eq!(err("fe80::1%eth0").reason, Reason::NotAnAddress);
    }
}
