//! `nwcap fetch`: download finished captures from Azure Storage.
//!
//! Flags are resolved in two steps: [`Args`] mirrors the command line, then
//! [`Settings::resolve`] decides the source and the credential (SAS in the
//! URL > connection string > account key > anonymous > Entra ID) and the
//! library does the rest. The library never prints; this module turns its
//! report into one line per file on stdout, a summary on stderr, `hint:`
//! lines where the user can act, and the exit status (1 when some files
//! failed, 2 when nothing could be fetched).

mod capture;
mod progress;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use nwcap_fetch::auth::ConnectionString;
use nwcap_fetch::sas::AccountKey;
use nwcap_fetch::{
    Credential, Day, FetchError, FetchOptions, FetchReport, Fetcher, FileOutcome, NoReporter,
    Reporter, SafeUrl, Selection, Source,
};

use crate::global::{EXIT_ERROR, EXIT_PARTIAL, Global};

/// Arguments of `nwcap fetch`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Auth, first match wins: a SAS in the URL; --connection-string \
(or AZURE_STORAGE_CONNECTION_STRING); --account-key; --anonymous; else Entra ID \
(--access-token, or the credential chain: env client secret, workload identity, \
managed identity, Azure CLI). Keys are signed locally into a read-only SAS valid one hour."
)]
pub struct Args {
    /// Blob URL, container/prefix URL (every *.cap below it), a packet
    /// capture name (with --subscription and --location/--watcher), or with a
    /// connection string CONTAINER/PATH.
    pub source: String,
    /// Output folder; blob paths are mirrored below it.
    #[arg(short, long, default_value = ".")]
    pub output: PathBuf,
    /// Ranged requests in flight at once (over all files).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallel: u16,
    /// Bytes per ranged request (e.g. 4MiB, 8M, 1048576).
    #[arg(long, default_value = "8MiB", value_parser = parse_size)]
    pub block_size: u64,
    /// Files downloaded at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub files: u16,
    /// Retries of a failed request or cut transfer (exponential backoff).
    #[arg(long, default_value_t = 5)]
    pub retries: u32,
    /// Only files whose path date (…/YYYY/MM/DD/…) is on or after this day.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    pub since: Option<Day>,
    /// Only files whose path date is on or before this day.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    pub until: Option<Day>,
    /// Storage connection string (its key is signed into a short-lived read-only SAS).
    #[arg(long, env = "AZURE_STORAGE_CONNECTION_STRING", hide_env_values = true)]
    pub connection_string: Option<String>,
    /// Storage account key for the account in the URL.
    #[arg(long, env = "AZURE_STORAGE_KEY", hide_env_values = true)]
    pub account_key: Option<String>,
    /// Send no credential (public container).
    #[arg(long)]
    pub anonymous: bool,
    /// Entra ID bearer token to use as is (scope https://storage.azure.com).
    #[arg(long, env = "NWCAP_ACCESS_TOKEN", hide_env_values = true)]
    pub access_token: Option<String>,
    #[command(flatten)]
    pub capture: capture::CaptureArgs,
}

/// What SOURCE names, before any request.
enum SourceSpec {
    /// A URL or container path: ready to fetch.
    Ready(Source),
    /// A packet capture name: its storage path comes from ARM.
    Capture(String, capture::CaptureArgs),
}

/// Resolved settings.
struct Settings {
    source: SourceSpec,
    storage: StorageAuth,
    options: FetchOptions,
}

/// How storage is reached, resolved from the flags.
struct StorageAuth {
    connection: Option<ConnectionString>,
    credential: Credential,
}

impl Settings {
    fn resolve(args: Args) -> anyhow::Result<Self> {
        if let (Some(s), Some(u)) = (args.since, args.until)
            && s > u
        {
            bail!("--since is after --until");
        }
        let options = FetchOptions {
            out_dir: args.output,
            parallel: usize::from(args.parallel),
            block_size: args.block_size,
            files: usize::from(args.files),
            retries: args.retries,
            selection: Selection {
                since: args.since,
                until: args.until,
            },
            sas_ttl: Duration::from_secs(3600),
        };
        let cs = args
            .connection_string
            .as_deref()
            .map(ConnectionString::parse)
            .transpose()
            .context("invalid connection string")?;
        let is_url = args.source.starts_with("http://") || args.source.starts_with("https://");
        let source = if is_url {
            let url = SafeUrl::parse(&args.source).context("invalid source url")?;
            SourceSpec::Ready(Source::from_url(
                &url,
                cs.as_ref().map(|c| &c.blob_endpoint),
            )?)
        } else if !args.source.contains('/') {
            SourceSpec::Capture(args.source.clone(), args.capture.clone())
        } else if let Some(cs) = &cs {
            let src = Source::from_endpoint(
                &cs.blob_endpoint,
                &cs.account,
                &args.source,
                cs.credential().1,
            )?;
            SourceSpec::Ready(src)
        } else {
            bail!(
                "'{}' is not a url; give a blob or prefix url, a capture name, or a connection string",
                args.source
            );
        };
        let chain = || {
            let opts = nwcap_arm::auth::CredentialOptions {
                access_token: args.access_token.clone().map(nwcap_arm::Secret::new),
                arm_endpoint: Some(args.capture.arm_endpoint.clone()),
            };
            nwcap_arm::auth::Credential::from_options(&opts)
        };
        let credential = if let Some(cs) = &cs {
            cs.credential().0
        } else if let Some(key) = &args.account_key {
            // The account is known once the source is (after ARM for a capture).
            Credential::SharedKey {
                account: String::new(),
                key: AccountKey::from_base64(key).context("invalid --account-key")?,
            }
        } else if args.anonymous {
            Credential::Anonymous
        } else {
            Credential::Token(Arc::new(token::ChainCredential(chain())))
        };
        // ARM itself always uses the token chain (or --access-token).
        let source = match source {
            SourceSpec::Capture(name, mut c) => {
                c.credential = Some(chain());
                SourceSpec::Capture(name, c)
            }
            s => s,
        };
        Ok(Self {
            source,
            storage: StorageAuth {
                connection: cs,
                credential,
            },
            options,
        })
    }
}

impl StorageAuth {
    /// The credential for `source` (an account key takes the source's account).
    fn for_source(&self, source: &Source) -> Credential {
        match &self.credential {
            Credential::SharedKey { account, key } if account.is_empty() => Credential::SharedKey {
                account: source.location.account.clone(),
                key: key.clone(),
            },
            c => c.clone(),
        }
    }
}

/// Run `nwcap fetch`.
pub fn run(args: Args, global: &Global) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(args)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(run_async(settings, global))
}

async fn run_async(s: Settings, global: &Global) -> anyhow::Result<ExitCode> {
    let source = match s.source {
        SourceSpec::Ready(src) => src,
        SourceSpec::Capture(name, args) => {
            let cred = args.credential.clone().context("no credential for arm")?;
            let path = capture::storage_path(&name, &args, cred).await?;
            let url = SafeUrl::parse(&path).context("invalid storage path")?;
            if global.verbose > 0 {
                eprintln!("nwcap: capture '{name}' is at {url}");
            }
            let endpoint = s.storage.connection.as_ref().map(|c| &c.blob_endpoint);
            Source::from_url(&url, endpoint)?
        }
    };
    let shown = source.display_url();
    let credential = s.storage.for_source(&source);
    let fetcher = Fetcher::new(source, credential, s.options)?;
    let blobs = match fetcher.plan().await {
        Ok(b) => b,
        Err(e) => return Ok(fail(&e)),
    };
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
    Ok(print_report(&report, global))
}

fn fail(e: &FetchError) -> ExitCode {
    eprintln!("nwcap: error: {e}");
    if let Some(h) = e.hint() {
        eprintln!("hint: {h}");
    }
    ExitCode::from(EXIT_ERROR)
}

fn print_report(r: &FetchReport, global: &Global) -> ExitCode {
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
                println!("downloaded {} {}{note}", path.display(), human(f.size));
            }
            FileOutcome::Skipped { path } => {
                skipped += 1;
                println!("up to date {}", path.display());
            }
            FileOutcome::Failed(e) => {
                eprintln!("nwcap: error: {e}");
                if let Some(h) = e.hint() {
                    eprintln!("hint: {h}");
                }
            }
        }
    }
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
