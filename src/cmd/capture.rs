//! `nwcap capture start|show|status|list|stop|delete|wait`: manage Network
//! Watcher packet captures over ARM.
//!
//! Flags are resolved in two steps: clap fills [`Args`], then [`conn`] builds
//! the client (token, endpoint, api-version, `-v` request log) and finds the
//! subscription and watcher; each verb then makes one or two library calls.
//! The async client runs on a current-thread tokio runtime built here: the
//! verbs are a handful of sequential requests, so one thread is plenty.
//!
//! Output: tables for people, or `--output json` with the resource exactly as
//! ARM returned it. `wait` and `start --wait` exit 1 when the capture ends in
//! Error, so scripts can tell.

mod conn;
mod output;
mod start;

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use nwcap_arm::types::{CaptureStatus, PacketCaptureStatus};
use nwcap_arm::{Raw, WatcherRef};

use crate::global::{EXIT_PARTIAL, Global};
use conn::{Conn, ConnArgs, Output};

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

#[derive(Debug, clap::Subcommand)]
enum Verb {
    /// Start a capture on a VM or scale set (create it).
    Start {
        #[command(flatten)]
        start: Box<start::StartArgs>,
        #[command(flatten)]
        wait: WaitFlags,
        /// Wait until the capture has stopped (or failed).
        #[arg(long = "wait")]
        wait_done: bool,
    },
    /// Show a capture's settings.
    Show {
        /// Capture name.
        name: String,
    },
    /// Show a capture's status, stop reason and errors in words.
    Status {
        /// Capture name.
        name: String,
    },
    /// List the captures of a network watcher.
    List,
    /// Stop a running capture (its files are then complete).
    Stop {
        /// Capture name.
        name: String,
    },
    /// Delete a capture resource (the files in storage stay).
    Delete {
        /// Capture name.
        name: String,
    },
    /// Wait until a capture is Stopped or in Error.
    Wait {
        /// Capture name.
        name: String,
        #[command(flatten)]
        wait: WaitFlags,
    },
}

/// Polling flags of `wait` and `start --wait`.
#[derive(Debug, clap::Args)]
struct WaitFlags {
    /// Give up after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 19_800)]
    timeout: u64,
    /// Seconds between status queries.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
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
    let conn = args.conn.resolve(global)?;
    runtime.block_on(run_verb(args.verb, conn, global))
}

fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing to stdout")
}

async fn run_verb(verb: Verb, mut conn: Conn, global: &Global) -> anyhow::Result<ExitCode> {
    match verb {
        Verb::Start {
            start,
            wait,
            wait_done,
        } => {
            let target = start.target(&conn).await?;
            let props = start.properties(&target)?;
            let watcher = conn.watcher(target.location.as_deref()).await?;
            if global.verbose > 1 {
                let body = nwcap_arm::create_body(&props);
                eprintln!("nwcap: request body: {body}");
            }
            let created = conn
                .client
                .create_capture(&watcher, &start.name, &props)
                .await
                .with_context(|| format!("starting capture {}", start.name))?;
            match conn.output {
                Output::Table => print(&output::capture_table(&created.value))?,
                Output::Json if !wait_done => print(&output::json(&created.json))?,
                Output::Json => {}
            }
            if !wait_done {
                return Ok(ExitCode::SUCCESS);
            }
            conn.set_poll(wait.interval()?, Duration::from_secs(wait.timeout));
            wait_for(&conn, &watcher, &start.name, &wait, global).await
        }
        Verb::Show { name } => {
            let watcher = conn.watcher(None).await?;
            let pc = conn.client.get_capture(&watcher, &name).await?;
            print(&match conn.output {
                Output::Table => output::capture_table(&pc.value),
                Output::Json => output::json(&pc.json),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Verb::Status { name } => {
            let watcher = conn.watcher(None).await?;
            let st = conn.client.capture_status(&watcher, &name).await?;
            print_status(&conn, &st)?;
            Ok(ExitCode::SUCCESS)
        }
        Verb::List => {
            let watcher = conn.watcher(None).await?;
            let items = conn.client.list_captures(&watcher).await?;
            print(&match conn.output {
                Output::Table => output::list_table(&items),
                Output::Json => output::json(&serde_json::Value::Array(
                    items.into_iter().map(|r| r.json).collect(),
                )),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Verb::Stop { name } => {
            let watcher = conn.watcher(None).await?;
            conn.client.stop_capture(&watcher, &name).await?;
            if conn.output == Output::Table {
                print(&format!("stopped {name}\n"))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Verb::Delete { name } => {
            let watcher = conn.watcher(None).await?;
            conn.client.delete_capture(&watcher, &name).await?;
            if conn.output == Output::Table {
                print(&format!("deleted {name} (files in storage are kept)\n"))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Verb::Wait { name, wait } => {
            let watcher = conn.watcher(None).await?;
            wait_for(&conn, &watcher, &name, &wait, global).await
        }
    }
}

fn print_status(conn: &Conn, st: &Raw<PacketCaptureStatus>) -> anyhow::Result<()> {
    print(&match conn.output {
        Output::Table => output::status_table(&st.value),
        Output::Json => output::json(&st.json),
    })
}

async fn wait_for(
    conn: &Conn,
    watcher: &WatcherRef,
    name: &str,
    flags: &WaitFlags,
    global: &Global,
) -> anyhow::Result<ExitCode> {
    let mut last: Option<CaptureStatus> = None;
    let quiet = global.quiet;
    let done = conn
        .client
        .wait_capture(
            watcher,
            name,
            flags.interval()?,
            Duration::from_secs(flags.timeout),
            |st| {
                if !quiet && st.packet_capture_status != last {
                    if let Some(s) = &st.packet_capture_status {
                        eprintln!("nwcap: {name}: {s} ({})", s.describe());
                    }
                    last = st.packet_capture_status.clone();
                }
            },
        )
        .await?;
    print_status(conn, &done)?;
    Ok(match done.value.packet_capture_status {
        Some(CaptureStatus::Error) => ExitCode::from(EXIT_PARTIAL),
        _ => ExitCode::SUCCESS,
    })
}
