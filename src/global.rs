//! Options shared by every subcommand, and the exit status convention.

use std::io::IsTerminal;

/// Exit status when the command failed as a whole (bad arguments, I/O).
pub const EXIT_ERROR: u8 = 2;
/// Exit status when some inputs were damaged or unreadable but the command
/// produced output for the rest.
pub const EXIT_PARTIAL: u8 = 1;

/// Flags accepted before or after any subcommand.
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// More detail on stderr (repeat for more). Secrets are always redacted.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// No progress bars or summaries on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// Resolved global settings.
#[derive(Debug, Clone)]
pub struct Global {
    /// Verbosity level (0 = normal).
    pub verbose: u8,
    /// Suppress progress and summaries.
    pub quiet: bool,
    /// Whether progress bars may be drawn (stderr is a terminal and not quiet).
    pub progress: bool,
}

impl GlobalArgs {
    /// Resolve flags against the environment.
    pub fn resolve(&self) -> Global {
        Global {
            verbose: self.verbose,
            quiet: self.quiet,
            progress: !self.quiet && std::io::stderr().is_terminal(),
        }
    }
}
