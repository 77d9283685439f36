//! `nwcap flows`: one row per bidirectional flow.
//!
//! The flags resolve into engine settings and output options
//! ([`super::flowopts`]); the engine runs over all files as one capture;
//! the table goes through the summary crate's pipeline (`--sql`, `--sort`,
//! `--top`, `--columns`, writer).

use std::process::ExitCode;
use std::time::Instant;

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
    let start = Instant::now();
    let analysis = analyse(&settings, global)?;
    let engine = start.elapsed();
    let code = analysis.exit_code();
    let flows = analysis.flows.len();
    let df = to_frame(analysis.flows, &analysis.names)?;
    let table = start.elapsed();
    match nwcap_summary::render_flows(df, &opts, &out) {
        Err(e) if e.is_broken_pipe() => {}
        r => r?,
    }
    if global.verbose > 0 {
        eprintln!(
            "nwcap: {flows} flows; flow engine {:.3} s, table {:.3} s, output {:.3} s{}",
            engine.as_secs_f64(),
            (table - engine).as_secs_f64(),
            (start.elapsed() - table).as_secs_f64(),
            peak_rss().map_or(String::new(), |kb| format!("; peak RSS {} MB", kb / 1024)),
        );
    }
    Ok(code)
}

/// Peak resident memory of the process so far, KiB (Linux only).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
