//! Problems found in a capture file. Not the hot path: a file has a handful
//! of these at most, so they carry a formatted message.

use std::fmt;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Reading went on (e.g. an unusual header value, bytes left over at the end).
    Warning,
    /// Reading of the file stopped here; everything before it was kept.
    Error,
}

/// One problem, located by byte offset in the (decompressed) file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Byte offset where the problem starts.
    pub offset: u64,
    /// Warning or error.
    pub severity: Severity,
    /// What is wrong, in words.
    pub message: String,
}

impl Damage {
    /// A warning at `offset`.
    pub fn warning(offset: u64, message: impl Into<String>) -> Damage {
        Damage {
            offset,
            severity: Severity::Warning,
            message: message.into(),
        }
    }

    /// An error at `offset` (reading stopped).
    pub fn error(offset: u64, message: impl Into<String>) -> Damage {
        Damage {
            offset,
            severity: Severity::Error,
            message: message.into(),
        }
    }
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{kind} at byte {}: {}", self.offset, self.message)
    }
}
