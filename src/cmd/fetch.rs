//! `nwcap fetch`: download finished captures from Azure Storage.
//!
//! Flags are resolved in two steps: [`Args`] mirrors the command line, then
//! [`Settings::resolve`] decides the source and the credential (SAS in the
//! URL > connection string > account key > anonymous > Entra ID) and the
//! library does the rest. The library never prints; this module turns its
//! report into one line per file on stdout, a summary on stderr, `hint:`
//! lines where the user can act, and the exit status (1 when some files
//! failed, 2 when nothing could be fetched).
//!
//! [`download`] is the whole fetch without the printing, so `nwcap analyze`
//! runs exactly the same resolution, waiting and download, then analyses
//! the files it returns ([`local_files`]).

pub(crate) mod capture;
mod progress;
pub(crate) mod settings;
mod token;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use nwcap_fetch::{
    Day, FetchError, FetchReport, Fetcher, FileOutcome, NoReporter, Reporter, Source,
};

use crate::global::{EXIT_ERROR, EXIT_PARTIAL, Global};
pub(crate) use settings::{Settings, SourceSpec, StorageArgs};

/// Arguments of `nwcap fetch`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Auth, first match wins: a SAS in the URL; --connection-string \
(or AZURE_STORAGE_CONNECTION_STRING); --account-key; --anonymous; else Entra ID \
(--access-token, or the credential chain: env client secret, workload identity, \
managed identity, Azure CLI). Keys are signed locally into a read-only SAS valid one hour. \
A capture name is looked up in ARM for its storage path; its files exist only once it has \
stopped: --wait polls its status until then."
)]
pub struct Args {
    /// Blob URL, container/prefix URL (every *.cap below it), a packet
    /// capture name (its watcher found as `nwcap capture` finds it), or with
    /// a connection string CONTAINER/PATH.
    pub source: String,
    /// Output folder; blob paths are mirrored below it.
    #[arg(short, long, default_value = ".")]
    pub output: PathBuf,
    /// For a capture name: wait until the capture has stopped (polls its
    /// status every --interval seconds, up to --timeout), then fetch.
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub poll: capture::WaitArgs,
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Run `nwcap fetch`.
pub fn run(args: Args, global: &Global) -> anyhow::Result<ExitCode> {
    let wait = args.wait.then(|| args.poll.poll()).transpose()?;
    let settings = Settings::resolve(&args.source, args.output, args.storage, wait)?;
    if settings.wait.is_some() && matches!(settings.source, SourceSpec::Ready(_)) {
        anyhow::bail!("--wait needs a capture name as SOURCE (a url has nothing to wait for)");
    }
    let rt = runtime()?;
    let done = rt.block_on(download(settings, global))?;
    Ok(match &done.report {
        Ok(r) => print_report(r, global, &mut std::io::stdout().lock()),
        Err(e) => fail(e),
    })
}

/// The async runtime of the storage and ARM clients.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// What a download did.
pub(crate) struct Downloaded {
    /// The capture, when SOURCE named one.
    pub capture: Option<capture::Resolved>,
    /// The fetcher's report; `Err` when nothing could be listed.
    pub report: Result<FetchReport, FetchError>,
}

/// Resolves the source (through ARM for a capture name, waiting if asked)
/// and downloads its files, with bars on stderr when it is a terminal.
/// Errors before the download (ARM, bad source) are `Err`; storage errors
/// are in the report.
pub(crate) async fn download(s: Settings, global: &Global) -> anyhow::Result<Downloaded> {
    let (source, capture) = match s.source {
        SourceSpec::Ready(src) => (src, None),
        SourceSpec::Capture(name, args) => {
            let (src, resolved) =
                settings::capture_source(&name, &args, &s.storage, s.wait, global).await?;
            (src, Some(resolved))
        }
    };
    let report = fetch_source(source, &s.storage, s.options, global).await;
    Ok(Downloaded { capture, report })
}

async fn fetch_source(
    source: Source,
    storage: &settings::StorageAuth,
    options: nwcap_fetch::FetchOptions,
    global: &Global,
) -> Result<FetchReport, FetchError> {
    let shown = source.display_url();
    let credential = storage.for_source(&source);
    let fetcher = Fetcher::new(source, credential, options)?;
    let blobs = fetcher.plan().await?;
    let total: u64 = blobs.iter().map(|b| b.size).sum();
    if global.verbose > 0 {
        eprintln!(
            "nwcap: {} file(s), {} under {shown}",
            blobs.len(),
            human(total)
        );
    }
    let bars = global
        .progress
        .then(|| Arc::new(progress::Bars::new(total, blobs.len())));
    let reporter: Arc<dyn Reporter> = match &bars {
        Some(b) => b.clone(),
        None => Arc::new(NoReporter),
    };
    let report = fetcher.fetch_blobs(blobs, reporter).await;
    if let Some(b) = &bars {
        b.finish();
    }
    Ok(report)
}

/// Local paths of the files that are complete on disk after `r`, in
/// listing order.
pub(crate) fn local_files(r: &FetchReport) -> Vec<PathBuf> {
    r.files
        .iter()
        .filter_map(|f| match &f.outcome {
            FileOutcome::Downloaded { path, .. } | FileOutcome::Skipped { path } => {
                Some(path.clone())
            }
            FileOutcome::Failed(_) => None,
        })
        .collect()
}

/// Prints a fetch error with its hint; the exit status for it.
pub(crate) fn fail(e: &FetchError) -> ExitCode {
    eprintln!("nwcap: error: {e}");
    if let Some(h) = e.hint() {
        eprintln!("hint: {h}");
    }
    ExitCode::from(EXIT_ERROR)
}

/// One line per file on `lines` (stdout for `fetch`, stderr for
/// `analyze`), errors and the summary on stderr; the exit status.
pub(crate) fn print_report(r: &FetchReport, global: &Global, lines: &mut dyn Write) -> ExitCode {
    let (mut done, mut skipped, mut resumed) = (0usize, 0usize, 0u64);
    for f in &r.files {
        match &f.outcome {
            FileOutcome::Downloaded {
                path, resumed: res, ..
            } => {
                done += 1;
                resumed += res;
                let note = if *res > 0 {
                    format!(" (resumed at {})", human(*res))
                } else {
                    String::new()
                };
                let _ = writeln!(
                    lines,
                    "downloaded {} {}{note}",
                    path.display(),
                    human(f.size)
                );
            }
            FileOutcome::Skipped { path } => {
                skipped += 1;
                let _ = writeln!(lines, "up to date {}", path.display());
            }
            FileOutcome::Failed(e) => {
                eprintln!("nwcap: error: {e}");
                if let Some(h) = e.hint() {
                    eprintln!("hint: {h}");
                }
            }
        }
    }
    let _ = lines.flush();
    let failed = r.failed();
    if !global.quiet {
        let bytes = r.bytes_downloaded();
        let secs = r.elapsed.as_secs_f64().max(1e-3);
        let mut line = format!(
            "nwcap: {done} downloaded, {skipped} up to date, {failed} failed; {} in {:.2} s ({}/s)",
            human(bytes),
            secs,
            human((bytes as f64 / secs) as u64)
        );
        if resumed > 0 {
            line.push_str(&format!(
                "; {} reused from interrupted runs",
                human(resumed)
            ));
        }
        eprintln!("{line}");
    }
    match failed {
        0 => ExitCode::SUCCESS,
        n if n == r.files.len() => ExitCode::from(EXIT_ERROR),
        _ => ExitCode::from(EXIT_PARTIAL),
    }
}

/// Bytes in binary units (`1.5 MiB`).
fn human(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `4MiB`, `8M`, `512k`, `1048576` -> bytes (binary multiples).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("invalid size '{s}'"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("invalid size unit in '{s}'")),
    };
    let v = n
        .checked_mul(mult)
        .ok_or_else(|| format!("size too large '{s}'"))?;
    if !(64 << 10..=(4u64 << 30)).contains(&v) {
        return Err("block size must be between 64KiB and 4GiB".into());
    }
    Ok(v)
}

fn parse_day(s: &str) -> Result<Day, String> {
    Day::parse(s).ok_or_else(|| format!("invalid date '{s}' (expected YYYY-MM-DD)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("4M"), Ok(4 << 20));
        assert_eq!(parse_size("65536"), Ok(65536));
        assert!(parse_size("1").is_err());
        assert!(parse_size("8X").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(10), "10 B");
    }
}
