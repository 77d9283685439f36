//! The `protocol` field: `TCP`, `UDP` or `Any`.
//!
//! Written as the API writes it (`TCP`, `UDP`, `Any`) and read in any case,
//! with `All` and `*` as synonyms of `Any` because people write those.

use std::fmt;

use crate::error::{FilterError, Reason};

/// IP protocol number of TCP.
pub const IPPROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const IPPROTO_UDP: u8 = 17;

/// Which transport a filter keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// TCP only (IP protocol 6).
    Tcp,
    /// UDP only (IP protocol 17).
    Udp,
    /// Every IP packet, TCP, UDP or other.
    #[default]
    Any,
}

impl Protocol {
    /// Parses the protocol notation of the field named `field`.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, FilterError> {
        let word = text.trim();
        if word.eq_ignore_ascii_case("tcp") {
            Ok(Protocol::Tcp)
        } else if word.eq_ignore_ascii_case("udp") {
            Ok(Protocol::Udp)
        } else if word.eq_ignore_ascii_case("any")
            || word.eq_ignore_ascii_case("all")
            || word == "*"
        {
            Ok(Protocol::Any)
        } else if word.is_empty() {
            Err(FilterError::new(field, text, Reason::Empty))
        } else {
            Err(FilterError::new(field, text, Reason::NotAProtocol))
        }
    }

    /// The name the API uses: `TCP`, `UDP`, `Any`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Any => "Any",
        }
    }

    /// Whether a packet whose IP protocol (after IPv6 extension headers) is
    /// `proto` is kept.
    #[inline]
    pub fn matches(self, proto: u8) -> bool {
        match self {
            Protocol::Tcp => proto == IPPROTO_TCP,
            Protocol::Udp => proto == IPPROTO_UDP,
            Protocol::Any => true,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_in_any_case() {
        for (text, want) in [
            ("TCP", Protocol::Tcp),
            ("tcp", Protocol::Tcp),
            (" Udp ", Protocol::Udp),
            ("Any", Protocol::Any),
            ("ANY", Protocol::Any),
            ("All", Protocol::Any),
            ("*", Protocol::Any),
        ] {
            let got = Protocol::parse("protocol", text).unwrap();
            assert_eq!(got, want, "{text}");
            assert_eq!(Protocol::parse("protocol", got.as_str()).unwrap(), got);
        }
    }

    #[test]
    fn errors() {
        let e = Protocol::parse("protocol", "ICMP").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"protocol: "ICMP" is not a protocol (TCP, UDP or Any)"#
        );
        assert_eq!(
            Protocol::parse("protocol", " ").unwrap_err().reason,
            Reason::Empty
        );
    }

    #[test]
    fn matches_by_number() {
        assert!(Protocol::Tcp.matches(6) && !Protocol::Tcp.matches(17));
        assert!(Protocol::Udp.matches(17) && !Protocol::Udp.matches(6));
        assert!(Protocol::Any.matches(1) && Protocol::Any.matches(58));
    }
}
