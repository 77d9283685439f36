//! `nwcap fetch CAPTURE` / `nwcap analyze CAPTURE`: resolve a packet capture
//! to its storage path (and its filters).
//!
//! The fetcher itself takes URLs; this is the only place where `fetch`
//! talks to ARM, through the same connection and watcher resolution as
//! `nwcap capture` ([`crate::cmd::target`]). It reads the capture resource first (for
//! `storageLocation.storagePath`, and `filters` which `analyze` re-applies),
//! so a capture that saves to the VM's disk only is refused before any
//! waiting. Then its status: the file exists only after the capture has
//! stopped, so a running capture is either waited for (`--wait`, polling
//! `queryStatus` through `nwcap_arm`'s `wait_capture`, as `nwcap capture
//! wait` does) or refused with what to do instead of a puzzling 404.

use std::time::Duration;

use anyhow::{Context, bail};
use nwcap_arm::types::{CaptureFilter, CaptureStatus};

use crate::cmd::target::{Arm, quote};

/// Polling flags for waiting until a capture stops (as `nwcap capture wait`).
#[derive(Debug, Clone, clap::Args)]
pub struct WaitArgs {
    /// While waiting: give up after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 19_800)]
    pub timeout: u64,
    /// While waiting: seconds between status queries.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub interval: f64,
}

/// How long and how often to poll, checked.
#[derive(Debug, Clone, Copy)]
pub struct Poll {
    /// Between two status queries.
    pub interval: Duration,
    /// Overall limit.
    pub timeout: Duration,
}

impl WaitArgs {
    /// The checked polling settings.
    pub fn poll(&self) -> anyhow::Result<Poll> {
        let interval = Duration::try_from_secs_f64(self.interval)
            .ok()
            .context("--interval: expected a number of seconds")?;
        Ok(Poll {
            interval,
            timeout: Duration::from_secs(self.timeout),
        })
    }
}

/// A capture resolved for download.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Capture name.
    pub name: String,
    /// Blob URL or prefix of its files.
    pub storage_path: String,
    /// Its `properties.filters` (empty: it captured everything).
    pub filters: Vec<CaptureFilter>,
}

/// Reads capture `name` (its watcher found as `nwcap capture` finds it),
/// and with `wait` polls until it has stopped; without, a capture still
/// running is an error with a hint. Status changes while waiting go to
/// stderr unless `quiet`.
pub async fn resolve(
    name: &str,
    arm: &Arm,
    wait: Option<Poll>,
    quiet: bool,
) -> anyhow::Result<Resolved> {
    let watcher = arm.watcher_for_capture(name).await?;
    let client = &arm.client;
    let capture = client
        .get_capture(&watcher, name)
        .await
        .with_context(|| format!("capture '{name}'"))?;
    let props = capture.value.properties;
    let storage_path = match props.storage_location.storage_path {
        Some(p) if !p.is_empty() => p,
        _ => bail!(
            "capture '{name}' has no storage path (it saves to the VM's disk only)\n\
             hint: local files (filePath) must be copied from the VM itself"
        ),
    };
    let status = match wait {
        Some(poll) => {
            let mut last: Option<CaptureStatus> = None;
            let done = client
                .wait_capture(&watcher, name, poll.interval, poll.timeout, |st| {
                    if !quiet
                        && st.packet_capture_status != last
                        && let Some(s) = &st.packet_capture_status
                    {
                        eprintln!("nwcap: {name}: {s} ({})", s.describe());
                    }
                    last = st.packet_capture_status.clone();
                })
                .await;
            match done {
                Ok(done) => done.value.packet_capture_status,
                Err(nwcap_arm::ArmError::Timeout { seconds, .. }) => {
                    let state = last.as_ref().map_or_else(
                        || "in an unknown state".to_owned(),
                        |s| format!("{s} ({})", s.describe()),
                    );
                    let (q, flags) = (quote(name), arm.flags(&watcher));
                    bail!(
                        "timed out after {seconds} s waiting for capture '{name}' to stop; it is still {state}\n\
                         hint: wait for it with 'nwcap capture wait {q}{flags}', or stop it now with \
                         'nwcap capture stop {q}{flags}'"
                    );
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("waiting for capture '{name}'"));
                }
            }
        }
        None => {
            client
                .capture_status(&watcher, name)
                .await
                .with_context(|| format!("status of capture '{name}'"))?
                .value
                .packet_capture_status
        }
    };
    match &status {
        Some(CaptureStatus::Stopped) | None => {}
        Some(s @ (CaptureStatus::Running | CaptureStatus::NotStarted)) => bail!(
            "capture '{name}' is {}: its file appears only after it stops\n\
             hint: stop it with 'nwcap capture stop {}{}', or add --wait to wait until it stops",
            s.describe(),
            quote(name),
            arm.flags(&watcher)
        ),
        Some(s) => {
            if !s.is_final() {
                bail!("capture '{name}' is {}", s.describe());
            }
            if !quiet && *s == CaptureStatus::Error {
                eprintln!(
                    "nwcap: warning: capture '{name}' ended in error; fetching what it uploaded"
                );
            }
        }
    }
    Ok(Resolved {
        name: name.to_owned(),
        storage_path,
        filters: props.filters.unwrap_or_default(),
    })
}
