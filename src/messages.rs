//! What nwcap says about its inputs on stderr, and the exit status that
//! follows from it, in one place: every command that runs the engine
//! reports through here.

use std::process::ExitCode;

use nwcap_engine::RunReport;
use nwcap_pcap::Severity;

use crate::global::{EXIT_ERROR, EXIT_PARTIAL, Global};

/// Prints each input's damage (warnings unless `--quiet`; errors always),
/// the inputs that could not be read, and (unless `--quiet`) how many
/// frames could not be decoded as far as IP.
pub fn inputs(report: &RunReport, global: &Global) {
    for f in &report.files {
        if let Some(e) = &f.error {
            eprintln!("nwcap: error: {e}");
        }
        for d in &f.damage {
            if d.severity == Severity::Error || !global.quiet {
                eprintln!("nwcap: {}: {d}", f.name);
            }
        }
    }
    if let Some(w) = undecodable_warning(report)
        && !global.quiet
    {
        eprintln!("nwcap: warning: {w}");
    }
}

/// The warning for frames that could not be decoded as far as IP (a link
/// type nwcap does not decode, headers cut or malformed): they are in no
/// flow, and a capture of only such frames gives an empty table.
pub fn undecodable_warning(report: &RunReport) -> Option<String> {
    let c = &report.counts;
    (c.undecodable > 0).then(|| {
        format!(
            "{} of {} frames could not be decoded as far as IP (a link type nwcap does not \
             decode, or headers cut or malformed) and are in no flow",
            c.undecodable, c.read
        )
    })
}

/// The exit status of a run that produced its output: 0 when every input
/// was read whole (warnings allowed), 1 when some input was damaged or
/// unreadable, 2 when none could be read.
pub fn exit_code(report: &RunReport) -> ExitCode {
    status(!report.nothing_read(), report.damaged())
}

/// The one exit-status rule of every command that reads inputs (README's
/// exit-status table): 2 when nothing could be read (`read_any` false),
/// else 1 when something was damaged, unreadable or missing (`partial`),
/// else 0. Usage errors and failures of the whole command are 2 too
/// (`main`).
pub fn status(read_any: bool, partial: bool) -> ExitCode {
    if !read_any {
        ExitCode::from(EXIT_ERROR)
    } else if partial {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    }
}

/// The engine's error as an `anyhow` error, its cause chain kept (so a
/// closed pipe is recognised as one).
pub fn engine_error(e: nwcap_engine::EngineError) -> anyhow::Error {
    anyhow::Error::from_boxed(e.into_inner())
}

/// Peak resident memory of the process so far, KiB (Linux only).
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
