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
    #[command(flatten, next_help_heading = "Dataset")]
    dataset: DatasetArgs,
}

/// `--dataset DIR`: a Hive-partitioned Parquet dataset instead of one
/// output.
#[derive(Debug, clap::Args)]
pub struct DatasetArgs {
    /// Write a Hive-partitioned Parquet dataset below DIR
    /// (`source=NAME/date=YYYY-MM-DD/hour=HH/part-N-TAG.parquet`). A run
    /// replaces the part files of its sources, and only them.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = ["output", "format", "sort", "sql", "limit"]
    )]
    pub dataset: Option<std::path::PathBuf>,
    /// Partition columns of --dataset, outermost first: any of source,
    /// date, hour (UTC, of the flow's ts), or none.
    #[arg(
        long,
        value_name = "COLS",
        default_value = "source,date,hour",
        requires = "dataset"
    )]
    pub partition_by: String,
}

/// Run `nwcap flows`.
pub fn run(args: Args, global: &Global) -> anyhow::Result<ExitCode> {
    let run = args.input.resolve()?;
    let mut sink: Box<dyn nwcap_engine::FlowSink> = match &args.dataset.dataset {
        Some(dir) => Box::new(nwcap_summary::DatasetWriter::new(
            &nwcap_summary::DatasetOptions {
                dir: dir.clone(),
                partition_by: nwcap_summary::Partition::parse_list(&args.dataset.partition_by)?,
                columns: args
                    .output
                    .columns
                    .as_deref()
                    .map(nwcap_summary::OutputOptions::parse_columns),
            },
        )?),
        None => {
            let (opts, out) = args.output.resolve(args.limit)?;
            nwcap_summary::flows_sink(&opts, &out)?
        }
    };
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
