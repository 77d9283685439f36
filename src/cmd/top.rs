//! `nwcap top`: aggregates of the flow table (talkers, ports, services,
//! protocols, conversations), computed by the summary crate.

use std::process::ExitCode;

use nwcap_summary::TopBy;

use crate::cmd::flowopts::{InputArgs, OutputArgs, analyse, to_frame};
use crate::global::Global;

/// Arguments of `nwcap top`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// What to rank: talkers, ports, services, protocols or conversations.
    #[arg(long, value_name = "WHAT")]
    by: String,
    /// Rows to keep.
    #[arg(short = 'n', long, value_name = "N", default_value_t = 10)]
    n: usize,
    #[command(flatten)]
    output: OutputArgs,
}

/// Run `nwcap top`.
pub fn run(args: Args, global: &Global) -> anyhow::Result<ExitCode> {
    let by: TopBy = args.by.parse()?;
    let settings = args.input.resolve()?;
    let (opts, out) = args.output.resolve(None)?;
    let analysis = analyse(&settings, global)?;
    let code = analysis.exit_code();
    let df = to_frame(analysis.flows, &analysis.names)?;
    let table = nwcap_summary::top(&df, by, args.n)?;
    match nwcap_summary::render(table, &opts, &out) {
        Err(e) if e.is_broken_pipe() => {}
        r => r?,
    }
    Ok(code)
}
