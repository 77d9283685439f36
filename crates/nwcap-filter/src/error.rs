//! Errors of the filter model.
//!
//! Two types because there are two kinds of input. [`FilterError`] is about
//! one field's notation (`localPort: "70000" is not a port (0-65535)`); its
//! `field` is whatever name the user typed (`localPort` in JSON,
//! `--local-port` on the command line). [`JsonError`] wraps it with the JSON
//! path of the filter object (`properties.filters[1].localPort: ...`) and adds
//! the structural problems (not JSON, not an array, unknown key). Both are
//! built only on error paths, so they may own strings; the quoted text is
//! capped so that a pasted megabyte does not become a megabyte of message.

use std::fmt;

/// Longest quoted text kept in an error, in characters.
const MAX_QUOTED: usize = 80;

/// Why a field's text was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// Not a decimal number in 0..=65535.
    NotAPort,
    /// Not an IPv4 or IPv6 address.
    NotAnAddress,
    /// Not `TCP`, `UDP` or `Any`.
    NotAProtocol,
    /// `start-end` with start after end.
    Reversed,
    /// `start-end` with one IPv4 and one IPv6 bound.
    MixedFamilies,
    /// A dash without a bound on one side, or two dashes.
    NotARange,
    /// `address/length` with a bad length.
    BadPrefix,
    /// `address/length` with bits set after the prefix.
    HostBits,
    /// Nothing but separators and spaces where a value was required.
    Empty,
}

impl Reason {
    /// The words that follow the quoted text in a message.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotAPort => "is not a port (0-65535)",
            Reason::NotAnAddress => "is not an IP address",
            Reason::NotAProtocol => "is not a protocol (TCP, UDP or Any)",
            Reason::Reversed => "is a range whose start is after its end",
            Reason::MixedFamilies => "mixes IPv4 and IPv6 in one range",
            Reason::NotARange => "is not a range (write start-end)",
            Reason::BadPrefix => "is not a valid prefix (address/length)",
            Reason::HostBits => "has bits set after the prefix length",
            Reason::Empty => "is empty (leave the field out to match anything)",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field whose text is not valid filter notation.
///
/// Displays as `field: "text" reason`, for example
/// `localPort: "70000" is not a port (0-65535)`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {text:?} {reason}")]
pub struct FilterError {
    /// The field as the user named it (`localPort`, `--local-port`).
    pub field: &'static str,
    /// The offending part of the text (one list item or one bound), capped.
    pub text: String,
    /// What is wrong with it.
    pub reason: Reason,
}

impl FilterError {
    /// Builds an error quoting `text` (cut to a readable length).
    pub fn new(field: &'static str, text: &str, reason: Reason) -> Self {
        let text = match text.char_indices().nth(MAX_QUOTED) {
            Some((cut, _)) => format!("{}...", &text[..cut]),
            None => text.to_owned(),
        };
        FilterError {
            field,
            text,
            reason,
        }
    }
}

/// Filters given as JSON that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// The text is not JSON.
    #[error("invalid json: {0}")]
    Syntax(serde_json::Error),
    /// The JSON is valid but not shaped like filters.
    #[error("{}: {reason}", shown_path(path))]
    Shape {
        /// Where, like `properties.filters[0]` (empty at the top level).
        path: String,
        /// What was expected there.
        reason: String,
    },
    /// One filter field has bad notation.
    #[error("{}{error}", path_prefix(path))]
    Filter {
        /// The filter object, like `properties.filters[1]` (empty for a lone object).
        path: String,
        /// The field error (its `field` is the JSON key).
        error: FilterError,
    },
}

fn shown_path(path: &str) -> &str {
    if path.is_empty() { "json" } else { path }
}

fn path_prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_field_and_quotes_text() {
        let e = FilterError::new("localPort", "70000", Reason::NotAPort);
        assert_eq!(
            e.to_string(),
            r#"localPort: "70000" is not a port (0-65535)"#
        );
    }

    #[test]
    fn long_text_is_cut_on_a_char_boundary() {
        let long = "é".repeat(500);
        let e = FilterError::new("remoteIPAddress", &long, Reason::NotAnAddress);
        assert_eq!(e.text.chars().count(), MAX_QUOTED + 3);
        assert!(e.text.ends_with("..."));
    }

    #[test]
    fn json_filter_error_prefixes_path() {
        let error = FilterError::new("localPort", "x", Reason::NotAPort);
        let e = JsonError::Filter {
            path: "properties.filters[1]".into(),
            error: error.clone(),
        };
        assert_eq!(
            e.to_string(),
            r#"properties.filters[1].localPort: "x" is not a port (0-65535)"#
        );
        let e = JsonError::Filter {
            path: String::new(),
            error,
        };
        assert_eq!(e.to_string(), r#"localPort: "x" is not a port (0-65535)"#);
    }
}
