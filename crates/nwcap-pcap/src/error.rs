//! Errors that prevent a file from being read at all.

use std::path::PathBuf;

/// Why a capture could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bytes are not a capture format nwcap reads.
    #[error("{}: not a capture file: {what}", path.display())]
    NotCapture {
        /// The file.
        path: PathBuf,
        /// What the file looks like.
        what: String,
    },
    /// The file header is unusable.
    #[error("{}: {message} (at byte {offset})", path.display())]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// Offset of the problem.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// gzip decompression failed before any data came out, or hit the limit.
    #[error("{}: {message}", path.display())]
    Gzip {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}
