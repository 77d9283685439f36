//! `nwcap filter`: the forensic extract. Matching packets go to a new
//! capture in the input's format, each record byte-identical to the input's.
//!
//! The work is the libraries'; this module resolves the flags and prints:
//! - [`settings`] resolves the flags once (filters, time window, flow ids);
//! - `nwcap_engine::extract` decodes and matches every chunk of every input
//!   in parallel, keeping only the matching records (borrowed views into
//!   the mapped files, no copy), turns `--flow` ids into flow keys and time
//!   spans by running the flow engine as `nwcap flows` does, and merges the
//!   inputs by timestamp;
//! - `nwcap_pcap::write::CaptureWriter` copies the records' bytes;
//! - [`output`] writes through a temporary file renamed at the end, so an
//!   error never leaves a half-written OUT.

mod output;
mod report;
mod settings;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use nwcap_engine::{Progress, extract};
use nwcap_pcap::write::{CaptureWriter, Plan};
use nwcap_pcap::{Capture, Index, Severity};

use crate::global::Global;
use crate::progress::Bar;
use settings::Settings;

/// Arguments of `nwcap filter`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Capture files (pcap, pcapng, gzip-compressed, NetMon 2.x). Several
    /// files are merged in timestamp order. `-` is standard input; it, a
    /// pipe or a FIFO is read whole into memory (not with `--flow`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output file (`-` for stdout). Written atomically: a temporary file
    /// beside it, renamed when complete.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// Transport protocol: TCP, UDP or Any.
    #[arg(long, value_name = "PROTO")]
    protocol: Option<String>,
    /// Addresses of the capture target (`10.0.0.4`, `10.0.0.0/24`,
    /// `10.0.0.1-10.0.0.9`, `;`-separated); also tells which end is local.
    #[arg(long, value_name = "ADDRS")]
    local_ip: Option<String>,
    /// Ports of the capture target end (`80;443`, `1024-65535`).
    #[arg(long, value_name = "PORTS")]
    local_port: Option<String>,
    /// Addresses of the other end.
    #[arg(long, value_name = "ADDRS")]
    remote_ip: Option<String>,
    /// Ports of the other end.
    #[arg(long, value_name = "PORTS")]
    remote_port: Option<String>,
    /// Network Watcher filters as JSON: one filter object or an array
    /// (repeatable). All filters are OR-ed.
    #[arg(long, value_name = "JSON")]
    filter: Vec<String>,
    /// Read filters from a file: a packet capture resource as the REST API
    /// or `nwcap capture show --format json` return it, or a filters array.
    #[arg(long, value_name = "FILE")]
    filters_from: Option<PathBuf>,
    /// Keep packets at or after TIME (RFC 3339, or epoch seconds).
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// Keep packets before TIME (RFC 3339, or epoch seconds).
    #[arg(long, value_name = "TIME")]
    to: Option<String>,
    /// Keep the packets of these flows: `uid` (C...) or `community_id`
    /// (1:...) as `nwcap flows` prints them (repeatable, or comma-separated).
    #[arg(long, value_name = "ID")]
    flow: Vec<String>,
    /// Community ID seed the `--flow` ids were computed with.
    #[arg(long, value_name = "SEED", default_value_t = 0)]
    community_id_seed: u16,
    /// The flow timeouts the `--flow` ids were computed with (as `nwcap
    /// flows`).
    #[command(flatten, next_help_heading = "Flows (for --flow)")]
    timeouts: crate::cmd::input::Timeouts,
}

/// One opened input.
struct Input {
    path: PathBuf,
    cap: Capture,
}

/// Run `nwcap filter`.
pub fn run(args: Args, global: &Global) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(&args)?;
    let mut partial = false;
    let files = crate::cmd::input::inputs(&args.files)?;
    if settings.flows.is_some()
        && let Some(stream) = files.iter().find(|i| !i.is_regular_file())
    {
        anyhow::bail!(
            "{stream}: --flow reads each input twice (its flows, then their packets), \
             so it needs regular files, not standard input, a pipe or a FIFO\n\
             hint: save the capture to a file first"
        );
    }
    let mut inputs = Vec::new();
    for (path, input) in args.files.iter().zip(&files) {
        if settings.output.is_same_file(path) {
            anyhow::bail!(
                "{}: the output would overwrite an input\nhint: pick another -o",
                path.display()
            );
        }
        match Capture::open_input(input) {
            Ok(cap) => inputs.push(Input {
                path: path.clone(),
                cap,
            }),
            Err(e) => {
                partial = true;
                eprintln!("nwcap: error: {e}");
            }
        }
    }
    if inputs.is_empty() {
        anyhow::bail!("no input could be read");
    }
    let indexes: Vec<Index<'_>> = inputs.iter().map(|i| i.cap.index()).collect();
    for (input, idx) in inputs.iter().zip(&indexes) {
        for d in &idx.damage {
            partial |= d.severity == Severity::Error;
            eprintln!("nwcap: {}: {d}", input.path.display());
        }
    }
    let flow_sel = match &settings.flows {
        Some(ids) => {
            let run = crate::cmd::input::engine_run(
                &args.files,
                &nwcap_engine::SourceRule::Layout,
                None,
                &args.timeouts,
            )?;
            let sel =
                extract::find_flows(&run.groups, &run.settings, ids, settings.community_id_seed)
                    .map_err(crate::messages::engine_error)?;
            for id in &sel.missing {
                partial = true;
                eprintln!("nwcap: warning: no flow {id} in the input");
            }
            Some(sel)
        }
        None => None,
    };
    // The bar follows the pass that decodes every packet (the long one).
    let bar = Bar::new(global);
    bar.start(Some(inputs.iter().map(|i| i.cap.data().len() as u64).sum()));
    let matcher = extract::Matcher {
        filters: &settings.filters,
        window: settings.window,
        flows: flow_sel.as_ref(),
        progress: Some(&bar),
    };
    let selections: Vec<extract::Selection<'_>> =
        indexes.iter().map(|idx| matcher.select(idx)).collect();
    bar.finish();

    let refs: Vec<&Index<'_>> = indexes.iter().collect();
    let plan = Plan::new(&refs);
    if !global.quiet {
        for note in plan.notes() {
            eprintln!("nwcap: note: {note}");
        }
    }
    let format = plan.format();
    let interfaces = plan.interfaces();
    let sink = settings.output.create()?;
    let mut writer = CaptureWriter::new(sink, plan).context("writing the output")?;
    for (i, rec) in extract::by_time(&selections) {
        writer
            .write(i, &indexes[i], rec)
            .with_context(|| format!("{}", settings.output))?;
    }
    let (sink, stats) = writer.finish().context("writing the output")?;
    sink.commit()?;

    if !global.quiet {
        let mut err = std::io::stderr().lock();
        let read: u64 = selections.iter().map(|s| s.read).sum();
        let kept: u64 = selections.iter().map(|s| s.kept.len() as u64).sum();
        writeln!(
            err,
            "nwcap filter: read {read} packets from {} file{}, wrote {} to {} ({}, {} interface{})",
            inputs.len(),
            if inputs.len() == 1 { "" } else { "s" },
            stats.records,
            settings.output,
            format.name(),
            interfaces,
            if interfaces == 1 { "" } else { "s" },
        )?;
        report::counts(
            &mut err,
            &settings,
            &selections,
            kept,
            flow_sel.as_ref().map(|f| f.flows),
            &stats,
        )?;
    }
    Ok(crate::messages::status(true, partial))
}
