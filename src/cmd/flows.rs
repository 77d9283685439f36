//! `nwcap flows`: one row per bidirectional flow.
//!
//! The flags resolve into the engine's groups and settings
//! ([`super::input`]) and a sink chosen and checked before any packet is
//! read ([`nwcap_summary::flows_sink`]: the streaming writer, or top-N, or
//! the whole table for `--sql` and full sorts); the engine runs; the
//! inputs' damage and the exit status are reported by [`crate::messages`].

use std::process::ExitCode;
use std::time::Instant;

use crate::cmd::input::InputArgs;
use crate::cmd::output::OutputArgs;
use crate::global::Global;
use crate::messages;
use crate::progress::Bar;

/// Arguments of `nwcap flows`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Rows are written as flows end (a timeout, a TCP split, the end of the \
input): the flows that ended in one block of input come together, in order of their first \
packet; the flows still open at the end come last. The order is the same for any number of \
threads; --sort ts gives the table in time order."
)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    output: OutputArgs,
    /// Keep the first N rows (after sorting). `--top` is the old spelling.
    #[arg(short = 'n', long = "limit", alias = "top", value_name = "N")]
    limit: Option<usize>,
}

/// Run `nwcap flows`.
pub fn run(args: Args, global: &Global) -> anyhow::Result<ExitCode> {
    let run = args.input.resolve()?;
    let (opts, out) = args.output.resolve(args.limit)?;
    let mut sink = nwcap_summary::flows_sink(&opts, &out)?;
    let start = Instant::now();
    let bar = Bar::new(global);
    let result = nwcap_engine::run(&run.groups, &run.settings, Some(&bar), sink.as_mut());
    bar.finish();
    let report = result.map_err(messages::engine_error)?;
    messages::inputs(&report, global);
    if report.nothing_read() {
        anyhow::bail!("no input could be read");
    }
    if global.verbose > 0 {
        eprintln!(
            "nwcap: {} packets read, {} flows written in {:.3} s{}",
            report.counts.read,
            report.flows,
            start.elapsed().as_secs_f64(),
            messages::peak_rss().map_or(String::new(), |kb| format!("; peak RSS {} MB", kb / 1024)),
        );
    }
    Ok(messages::exit_code(&report))
}
