//! Progress reporting without a UI dependency.
//!
//! The library only calls this trait; the CLI draws bars with indicatif,
//! tests count bytes. Calls come from several tasks at once, so
//! implementations must be `Send + Sync` and cheap.

/// Receives progress events. Every method has a no-op default.
pub trait Reporter: Send + Sync {
    /// A file starts: `file` is its blob name, `size` its total length and
    /// `already` the bytes already on disk (resumed `.part`).
    fn on_start(&self, id: usize, file: &str, size: u64, already: u64) {
        let _ = (id, file, size, already);
    }
    /// `bytes` more bytes of file `id` were written.
    fn on_progress(&self, id: usize, bytes: u64) {
        let _ = (id, bytes);
    }
    /// File `id` is finished (downloaded, skipped or failed).
    fn on_done(&self, id: usize, outcome: &crate::FileOutcome) {
        let _ = (id, outcome);
    }
}

/// A reporter that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoReporter;

impl Reporter for NoReporter {}
