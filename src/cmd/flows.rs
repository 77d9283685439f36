//! `nwcap flows`: one row per bidirectional flow.
//!
//! The flags resolve into engine settings and output options
//! ([`super::flowopts`]); the engine runs over all files as one capture;
//! the table goes through the summary crate's pipeline (`--sql`, `--sort`,
//! `--top`, `--columns`, writer).

use std::process::ExitCode;

use crate::cmd::flowopts::{InputArgs, OutputArgs, analyse, to_frame};
use crate::global::Global;

/// Arguments of `nwcap flows`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    output: OutputArgs,
    /// Keep the first N rows (after sorting).
    #[arg(long, value_name = "N")]
    top: Option<usize>,
}

/// Run `nwcap flows`.
pub fn run(args: Args, global: &Global) -> anyhow::Result<ExitCode> {
    let settings = args.input.resolve()?;
    let (opts, out) = args.output.resolve(args.top)?;
    let analysis = analyse(&settings, global)?;
    let code = analysis.exit_code();
    let df = to_frame(analysis.flows, &analysis.names)?;
    match nwcap_summary::render_flows(df, &opts, &out) {
        Err(e) if e.is_broken_pipe() => {}
        r => r?,
    }
    Ok(code)
}
