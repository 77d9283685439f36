//! Flags every `nwcap capture` verb takes: the ARM connection and watcher
//! flags shared with `fetch` and `analyze` ([`crate::cmd::target`]), and the
//! output format.
//!
//! `--format table|json` chooses the output; `-o/--output json|table` is
//! accepted as a hidden alias because `az` users type `-o json` (everywhere
//! else in nwcap `-o` is an output file or folder).

use crate::cmd::target::{Arm, ArmArgs};
use crate::global::Global;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Aligned text for people.
    Table,
    /// The resource as ARM returns it.
    Json,
}

/// Flags every verb takes.
#[derive(Debug, clap::Args)]
pub struct ConnArgs {
    #[command(flatten)]
    pub arm: ArmArgs,
    /// Output: aligned text, or the resource exactly as ARM returns it.
    #[arg(long, global = true, value_enum, default_value_t = Output::Table, help_heading = "Output")]
    pub format: Output,
    /// The same as --format (az's `-o json`).
    #[arg(
        short = 'o',
        long = "output",
        global = true,
        value_enum,
        hide = true,
        conflicts_with = "format"
    )]
    pub output: Option<Output>,
}

/// A resolved connection and output format.
#[derive(Debug)]
pub struct Conn {
    /// ARM, the subscription and how to find the watcher.
    pub arm: Arm,
    /// Output format.
    pub output: Output,
}

impl ConnArgs {
    /// Connects; `ids` are resource ids given on the command line.
    pub fn resolve(&self, global: &Global, ids: &[&str]) -> anyhow::Result<Conn> {
        Ok(Conn {
            arm: self.arm.connect(global, ids)?,
            output: self.output.unwrap_or(self.format),
        })
    }
}
