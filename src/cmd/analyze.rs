//! `nwcap analyze CAPTURE|URL`: wait for a capture to stop, fetch its
//! files, and print their flow table with the capture's own filters
//! re-applied.
//!
//! It is the three commands in a row, each through its own code: the fetch
//! module's [`download`](super::fetch::download) (ARM look-up, waiting as
//! `fetch --wait` does, the resumable download), then [`filters`] chooses
//! the filters (the capture's `properties.filters`, or the command line's),
//! the engine runs over the files with them, as for `nwcap flows`, into
//! `nwcap flows`'s writers, and [`count`] reports what the filters kept
//! and dropped (the engine's counts: one pass over the files). Everything
//! that can be checked is checked before the wait (filters, output flags,
//! columns, SQL, timeouts), which may last hours.
//!
//! Flag names keep the two outputs apart: `--dir` is where the capture
//! files are downloaded (mirrored blob paths, reused when already
//! complete), `-o/--output` is where the flow table goes. Download
//! progress, the per-file lines and the filter report go to stderr; stdout
//! carries only the table.

mod count;
mod filters;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::cmd::fetch::{self, capture::WaitArgs};
use crate::cmd::input::{Timeouts, engine_run};
use crate::cmd::output::OutputArgs;
use crate::cmd::report;
use crate::global::{EXIT_ERROR, Global};
use crate::messages;
use crate::progress::Bar;

/// Arguments of `nwcap analyze`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "A capture name is waited for (its status polled every --interval \
seconds, up to --timeout), its files downloaded below --dir, and its own filters re-applied: \
the stderr report says which, and how many packets they dropped. A URL has no capture resource: \
no filters unless --filter/--filters-from/the filter flags are given (they also replace a \
capture's). Storage auth as in `nwcap fetch`."
)]
pub struct Args {
    /// A packet capture name (its watcher found as `nwcap capture` finds
    /// it), a blob or container/prefix URL, or with a connection string
    /// CONTAINER/PATH.
    pub source: String,
    /// Download folder; blob paths are mirrored below it and files already
    /// complete there are not fetched again.
    #[arg(
        long,
        value_name = "DIR",
        default_value = ".",
        help_heading = "Download"
    )]
    pub dir: PathBuf,
    #[command(flatten, next_help_heading = "Waiting for the capture to stop")]
    pub poll: WaitArgs,
    #[command(flatten, next_help_heading = "Download")]
    pub storage: fetch::StorageArgs,
    #[command(flatten)]
    pub filters: filters::FilterArgs,
    #[command(flatten, next_help_heading = "Flows")]
    pub timeouts: Timeouts,
    #[command(flatten)]
    pub sources: crate::cmd::sources::SourceArgs,
    #[command(flatten, next_help_heading = "Flow table output")]
    pub output: OutputArgs,
    /// Keep the first N rows (after sorting). `--top` is the old spelling.
    #[arg(
        short = 'n',
        long = "limit",
        alias = "top",
        value_name = "N",
        help_heading = "Flow table output"
    )]
    pub limit: Option<usize>,
    /// Also write the report page of the capture to FILE, from the same
    /// pass over the packets (as `nwcap report` draws it, with its default
    /// list lengths; the page lists the capture and the filters applied).
    #[arg(long, value_name = "FILE", help_heading = "Report")]
    pub report: Option<PathBuf>,
}

/// Run `nwcap analyze`.
pub fn run(args: Args, global: &Global) -> anyhow::Result<ExitCode> {
    // Check what can be checked before a wait that may last hours.
    let wait = args.poll.poll()?;
    let (opts, out) = args.output.resolve(args.limit)?;
    nwcap_summary::check_flows_output(&opts)?;
    // Opened now: a page that cannot be written fails before the wait.
    let page_out = args
        .report
        .as_deref()
        .map(report::PageOutput::create)
        .transpose()?;
    let explicit = args.filters.explicit()?;
    args.timeouts.flow_config()?;
    let rule = args.sources.rule()?;

    let settings = fetch::Settings::resolve(&args.source, args.dir, args.storage, Some(wait))?;
    let done = fetch::runtime()?.block_on(fetch::download(settings, global))?;
    let report = match done.report {
        Ok(r) => r,
        Err(e) => return Ok(fetch::fail(&e)),
    };
    // Failed files are reported there; the rest are analysed (exit 1).
    let _ = if global.quiet {
        fetch::print_report(&report, global, &mut std::io::sink())
    } else {
        fetch::print_report(&report, global, &mut std::io::stderr().lock())
    };
    let files = fetch::local_files(&report);
    if files.is_empty() {
        if report.files.is_empty() {
            eprintln!("nwcap: error: no capture file to analyse");
        }
        return Ok(ExitCode::from(EXIT_ERROR));
    }

    let capture = done
        .capture
        .as_ref()
        .map(|c| (c.name.as_str(), c.filters.as_slice()));
    let plan = filters::choose(&args.filters, explicit, capture)?;
    let mut run = engine_run(&files, &rule, Some(plan.set.clone()), &args.timeouts)?;
    run.settings.count_per_filter = true;
    let mut sink = nwcap_summary::flows_sink(&opts, &out)?;
    let engine = match page_out {
        Some(page_out) => {
            let name = done.capture.as_ref().map(|c| c.name.clone());
            let mut settings = Vec::new();
            if let Some(n) = &name {
                settings.push(("capture".to_owned(), n.clone()));
            }
            settings.push((
                "source".to_owned(),
                nwcap_fetch::safe_url::redact(&args.source),
            ));
            let page_args = report::PageArgs::default();
            let page = report::Page {
                args: &page_args,
                title: name.unwrap_or_else(|| nwcap_fetch::safe_url::redact(&args.source)),
                settings,
                timeouts: &args.timeouts,
            };
            let (engine, _) = report::write_page(run, page, page_out, global, Some(sink.as_mut()))?;
            engine
        }
        None => {
            let bar = Bar::new(global);
            let result = nwcap_engine::run(&run.groups, &run.settings, Some(&bar), sink.as_mut());
            bar.finish();
            let engine = result.map_err(messages::engine_error)?;
            messages::inputs(&engine, global);
            engine
        }
    };
    let _ = std::io::stdout().flush();
    if !global.quiet {
        let counts = (!plan.set.is_match_all()).then_some(&engine.counts);
        count::report(&mut std::io::stderr().lock(), &plan, counts, files.len())?;
    }
    let partial = engine.damaged() || report.failed() > 0;
    Ok(messages::status(!engine.nothing_read(), partial))
}
