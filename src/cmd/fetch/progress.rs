//! indicatif bars for `nwcap fetch`: one per file in flight and a total line
//! with throughput and ETA. Only the CLI knows about terminals; the library
//! reports through [`nwcap_fetch::Reporter`].

use std::collections::HashMap;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use nwcap_fetch::{FileOutcome, Reporter};

/// Bars on stderr.
pub struct Bars {
    multi: MultiProgress,
    total: ProgressBar,
    files: Mutex<HashMap<usize, ProgressBar>>,
}

impl Bars {
    /// Bars for `total_bytes` over all files.
    pub fn new(total_bytes: u64, files: usize) -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let total = multi.add(ProgressBar::new(total_bytes));
        total.set_style(
            ProgressStyle::with_template(
                "{prefix:>5} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        total.set_prefix(format!("{files} file{}", if files == 1 { "" } else { "s" }));
        // Redraw on a timer too: the last updates before a quiet phase
        // (the MD5 check) would otherwise stay undrawn.
        total.enable_steady_tick(std::time::Duration::from_millis(200));
        Self {
            multi,
            total,
            files: Mutex::new(HashMap::new()),
        }
    }

    /// Remove the bars.
    pub fn finish(&self) {
        self.total.finish_and_clear();
        let _ = self.multi.clear();
    }
}

impl Reporter for Bars {
    fn on_start(&self, id: usize, file: &str, size: u64, already: u64) {
        let bar = self
            .multi
            .insert_before(&self.total, ProgressBar::new(size));
        bar.set_style(
            ProgressStyle::with_template("{wide_msg} [{bar:20}] {bytes}/{total_bytes}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        let short = file.rsplit('/').next().unwrap_or(file).to_owned();
        bar.set_message(short);
        bar.set_position(already);
        self.total.inc(already);
        if let Ok(mut f) = self.files.lock() {
            f.insert(id, bar);
        }
    }

    fn on_progress(&self, id: usize, bytes: u64) {
        self.total.inc(bytes);
        if let Ok(f) = self.files.lock()
            && let Some(b) = f.get(&id)
        {
            b.inc(bytes);
        }
    }

    fn on_done(&self, id: usize, outcome: &FileOutcome) {
        let _ = outcome;
        if let Ok(mut f) = self.files.lock()
            && let Some(b) = f.remove(&id)
        {
            b.finish_and_clear();
        }
    }
}
