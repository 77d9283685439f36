//! `nwcap capture start|show|status|list|stop|delete|wait`: manage Network
//! Watcher packet captures over ARM.
//!
//! Flags are resolved in two steps: clap fills [`Args`], then the shared
//! [`crate::cmd::target`] builds the client (token, endpoint, api-version,
//! `-v` request log) and finds the subscription and the watcher, the same
//! way `fetch` and `analyze` do; each verb then makes one or two library
//! calls. The async client runs on a current-thread tokio runtime built
//! here: the verbs are a handful of sequential requests.
//!
//! Output: tables for people, or `--format json` (az's `-o json` too) with
//! the resource exactly as ARM returned it. `wait` and `start --wait` exit
//! 1 when the capture ends in Error, so scripts can tell. Every command
//! nwcap suggests in a `hint:` carries the flags that reach the same
//! watcher, so it runs as printed.

mod conn;
mod output;
mod preflight;
mod start;
mod verbs;

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::global::Global;
use conn::ConnArgs;

/// Arguments of `nwcap capture`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Auth: --access-token (or NWCAP_ACCESS_TOKEN) is used as is; otherwise \
the first of: client secret (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET), workload \
identity (AZURE_FEDERATED_TOKEN_FILE), managed identity, Azure CLI (az login). Tokens are never \
printed, -v included."
)]
pub struct Args {
    #[command(subcommand)]
    verb: Verb,
    #[command(flatten)]
    conn: ConnArgs,
}

/// The capture's name: positional, or `-n/--name` as `az` spells it.
#[derive(Debug, clap::Args)]
pub struct NameArg {
    /// Capture name.
    #[arg(value_name = "NAME", required_unless_present = "name_flag")]
    name: Option<String>,
    /// Capture name (az's spelling).
    #[arg(
        short = 'n',
        long = "name",
        id = "name_flag",
        value_name = "NAME",
        conflicts_with = "name"
    )]
    name_flag: Option<String>,
}

impl NameArg {
    /// The name, however it was given.
    pub fn get(&self) -> &str {
        self.name
            .as_deref()
            .or(self.name_flag.as_deref())
            .unwrap_or_default()
    }
}

#[derive(Debug, clap::Subcommand)]
enum Verb {
    /// Start a capture on a VM or scale set (create it).
    Start {
        #[command(flatten)]
        start: Box<start::StartArgs>,
        #[command(flatten)]
        wait: WaitFlags,
        /// Wait until the capture has stopped (or failed).
        #[arg(long = "wait", conflicts_with = "no_wait", help_heading = "Waiting")]
        wait_done: bool,
        /// Return once ARM has accepted the capture, without waiting for it
        /// to be provisioned.
        #[arg(long, help_heading = "Waiting")]
        no_wait: bool,
    },
    /// Show a capture's settings.
    Show {
        #[command(flatten)]
        name: NameArg,
    },
    /// Show a capture's status, stop reason and errors in words.
    Status {
        #[command(flatten)]
        name: NameArg,
    },
    /// List the captures of a network watcher (of every watcher without -l/--watcher).
    List,
    /// Stop a running capture (its files are then complete).
    Stop {
        #[command(flatten)]
        name: NameArg,
        /// Return once ARM has accepted the stop.
        #[arg(long)]
        no_wait: bool,
    },
    /// Delete a capture resource (the files in storage stay).
    Delete {
        #[command(flatten)]
        name: NameArg,
        /// A capture that does not exist is not an error.
        #[arg(long)]
        if_exists: bool,
        /// Return once ARM has accepted the deletion.
        #[arg(long)]
        no_wait: bool,
    },
    /// Wait until a capture is Stopped or in Error.
    Wait {
        #[command(flatten)]
        name: NameArg,
        #[command(flatten)]
        wait: WaitFlags,
    },
}

/// Polling flags of `wait` and `start --wait`.
#[derive(Debug, clap::Args)]
struct WaitFlags {
    /// Give up after this many seconds.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 19_800,
        help_heading = "Waiting"
    )]
    timeout: u64,
    /// Seconds between status queries.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 10.0,
        help_heading = "Waiting"
    )]
    interval: f64,
}

impl WaitFlags {
    fn interval(&self) -> anyhow::Result<Duration> {
        Duration::try_from_secs_f64(self.interval)
            .ok()
            .filter(|d| !d.is_zero() || self.interval == 0.0)
            .context("--interval: expected a number of seconds")
    }
}

/// Runs `nwcap capture`.
pub fn run(args: Args, global: &Global) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let ids = match &args.verb {
        Verb::Start { start, .. } => start.ids(),
        _ => Vec::new(),
    };
    let conn = args.conn.resolve(global, &ids)?;
    runtime.block_on(verbs::run(args.verb, conn, global))
}

fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing to stdout")
}
