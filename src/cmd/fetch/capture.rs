//! `nwcap fetch CAPTURE`: resolve a packet capture to its storage path.
//!
//! The fetcher itself takes URLs; this is the only place where `fetch`
//! talks to ARM. It reads the capture resource for
//! `storageLocation.storagePath` and its status first, because the file
//! exists only after the capture has stopped: a running capture is reported
//! with what to do instead of a puzzling 404.

use anyhow::{Context, bail};
use nwcap_arm::types::CaptureStatus;
use nwcap_arm::{ArmClient, ClientOptions, WatcherRef};

/// Flags that locate a capture (used only when SOURCE is a capture name).
#[derive(Debug, Clone, clap::Args)]
pub struct CaptureArgs {
    /// Subscription of the network watcher (capture name sources).
    #[arg(long, env = "AZURE_SUBSCRIPTION_ID")]
    pub subscription: Option<String>,
    /// Region of the default watcher `NetworkWatcher_<region>` in `NetworkWatcherRG`.
    #[arg(long)]
    pub location: Option<String>,
    /// Network watcher as RESOURCE_GROUP/NAME (instead of --location).
    #[arg(long, value_name = "RG/NAME")]
    pub watcher: Option<String>,
    /// ARM endpoint (sovereign clouds, tests).
    #[arg(long, env = "NWCAP_ARM_ENDPOINT", default_value = nwcap_arm::DEFAULT_ENDPOINT)]
    pub arm_endpoint: String,
    /// ARM credential, filled in when settings are resolved.
    #[arg(skip)]
    pub credential: Option<nwcap_arm::auth::Credential>,
}

impl CaptureArgs {
    fn watcher(&self) -> anyhow::Result<WatcherRef> {
        let Some(sub) = self.subscription.as_deref() else {
            bail!("a capture name needs --subscription (or AZURE_SUBSCRIPTION_ID)");
        };
        match (&self.watcher, &self.location) {
            (Some(w), _) => {
                let (rg, name) = w
                    .split_once('/')
                    .context("--watcher must be RESOURCE_GROUP/NAME")?;
                Ok(WatcherRef {
                    subscription: sub.to_owned(),
                    resource_group: rg.to_owned(),
                    name: name.to_owned(),
                })
            }
            (None, Some(loc)) => Ok(WatcherRef::default_for_region(sub, loc)),
            (None, None) => bail!("a capture name needs --location or --watcher"),
        }
    }
}

/// The capture's storage path (blob URL or prefix), once it has stopped.
pub async fn storage_path(
    name: &str,
    args: &CaptureArgs,
    credential: nwcap_arm::auth::Credential,
) -> anyhow::Result<String> {
    let watcher = args.watcher()?;
    let options = ClientOptions {
        endpoint: args.arm_endpoint.clone(),
        ..ClientOptions::default()
    };
    let client = ArmClient::new(credential, options)?;
    let capture = client
        .get_capture(&watcher, name)
        .await
        .with_context(|| format!("capture '{name}'"))?;
    let status = client
        .capture_status(&watcher, name)
        .await
        .with_context(|| format!("status of capture '{name}'"))?;
    match status.value.packet_capture_status {
        Some(CaptureStatus::Stopped) | None => {}
        Some(s @ (CaptureStatus::Running | CaptureStatus::NotStarted)) => bail!(
            "capture '{name}' is {}: its file appears only after it stops\n\
             hint: stop it with 'nwcap capture stop {name}' or wait with 'nwcap capture wait {name}'",
            s.describe()
        ),
        Some(s) => {
            if !s.is_final() {
                bail!("capture '{name}' is {}", s.describe());
            }
        }
    }
    let path = capture
        .value
        .properties
        .storage_location
        .storage_path
        .clone();
    match path {
        Some(p) if !p.is_empty() => Ok(p),
        _ => bail!(
            "capture '{name}' has no storage path (it saves to the VM's disk only)\n\
             hint: local files (filePath) must be copied from the VM itself"
        ),
    }
}
