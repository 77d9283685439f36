//! The progress bar of long runs, drawn on stderr by indicatif for the
//! engine (`nwcap_engine::Progress`): only when stderr is a terminal, not
//! `--quiet`, and the input is large enough to wait for.

use indicatif::{ProgressBar, ProgressStyle};
use nwcap_engine::Progress;

use crate::global::Global;

/// Inputs smaller than this get no bar.
const MIN_BYTES: u64 = 64 << 20;

/// A bar that appears once the engine says how much input there is.
pub struct Bar {
    enabled: bool,
    bar: std::sync::Mutex<Option<ProgressBar>>,
}

impl Bar {
    /// A bar for this run (drawn only when `global` allows it).
    pub fn new(global: &Global) -> Bar {
        Bar {
            enabled: global.progress,
            bar: std::sync::Mutex::new(None),
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        if let Ok(mut b) = self.bar.lock()
            && let Some(b) = b.take()
        {
            b.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn start(&self, total: Option<u64>) {
        let Some(total) = total.filter(|&t| self.enabled && t >= MIN_BYTES) else {
            return;
        };
        let pb = ProgressBar::new(total);
        pb.set_style(
            ProgressStyle::with_template("{bar:40} {binary_bytes}/{binary_total_bytes} {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        if let Ok(mut b) = self.bar.lock()
            && let Some(old) = b.replace(pb)
        {
            old.finish_and_clear();
        }
    }

    fn advance(&self, bytes: u64) {
        if let Ok(b) = self.bar.lock()
            && let Some(b) = b.as_ref()
        {
            b.inc(bytes);
        }
    }
}
