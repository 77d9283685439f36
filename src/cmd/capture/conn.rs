//! Connection flags shared by every `nwcap capture` verb, resolved into a
//! client, a subscription and the network watcher to talk to.
//!
//! The subscription comes from `--subscription`, else `AZURE_SUBSCRIPTION_ID`,
//! else the Azure CLI profile's default (`$AZURE_CONFIG_DIR` or `~/.azure`,
//! `azureProfile.json`, the entry with `isDefault`), as `az` itself does.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use nwcap_arm::auth::{ACCESS_TOKEN_ENV, Credential, CredentialOptions};
use nwcap_arm::{ArmClient, ClientOptions, RequestLog, RequestObserver, Secret, WatcherRef};

use crate::global::Global;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Aligned text for people.
    Table,
    /// The resource as ARM returns it.
    Json,
}

/// Flags every verb takes.
#[derive(Debug, clap::Args)]
pub struct ConnArgs {
    /// Subscription id [default: AZURE_SUBSCRIPTION_ID, else the Azure CLI's default subscription].
    #[arg(long, global = true)]
    pub subscription: Option<String>,
    /// Resource Manager endpoint (sovereign clouds, local testing); the token
    /// scope is derived from it.
    #[arg(
        long,
        global = true,
        env = "NWCAP_ARM_ENDPOINT",
        default_value = nwcap_arm::DEFAULT_ENDPOINT
    )]
    pub arm_endpoint: String,
    /// api-version of the Microsoft.Network calls.
    #[arg(long, global = true, default_value = nwcap_arm::DEFAULT_API_VERSION)]
    pub api_version: String,
    /// Bearer token to use as is instead of the credential chain (never printed).
    #[arg(
        long,
        global = true,
        env = ACCESS_TOKEN_ENV,
        hide_env_values = true,
        value_parser = parse_secret
    )]
    pub access_token: Option<Secret>,
    /// Output format.
    #[arg(short, long, global = true, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Region of the network watcher (found in the subscription as `az` does).
    #[arg(short, long, global = true)]
    pub location: Option<String>,
    /// Network watcher name (instead of finding the region's watcher).
    #[arg(long, global = true)]
    pub watcher: Option<String>,
    /// Resource group of --watcher.
    #[arg(long, global = true, default_value = nwcap_arm::DEFAULT_WATCHER_RESOURCE_GROUP)]
    pub watcher_group: String,
}

/// A resolved connection: client, subscription, output and how to find the watcher.
#[derive(Debug)]
pub struct Conn {
    /// The ARM client.
    pub client: ArmClient,
    /// Subscription id.
    pub subscription: String,
    /// Output format.
    pub output: Output,
    location: Option<String>,
    watcher: Option<String>,
    watcher_group: String,
}

/// `-v`: one line per request, never headers.
struct VerboseLog;

impl RequestObserver for VerboseLog {
    fn on_request(&self, log: &RequestLog<'_>) {
        let status = log
            .status
            .map_or_else(|| "failed".to_owned(), |s| s.to_string());
        let retry = if log.attempt > 1 {
            format!(" (attempt {})", log.attempt)
        } else {
            String::new()
        };
        eprintln!(
            "nwcap: {} {} {} request-id {} {} ms{retry}",
            log.method,
            crate::escape::terminal(log.url),
            status,
            log.request_id
                .map(crate::escape::terminal)
                .unwrap_or_else(|| "-".into()),
            log.elapsed.as_millis()
        );
    }
}

impl ConnArgs {
    /// Builds the client and finds the subscription.
    pub fn resolve(self, global: &Global) -> anyhow::Result<Conn> {
        let subscription = match self.subscription.filter(|s| !s.is_empty()) {
            Some(s) => s,
            None => default_subscription()?,
        };
        let access_token = self.access_token.filter(|t| !t.is_empty());
        let credential = Credential::from_options(&CredentialOptions {
            access_token,
            arm_endpoint: Some(self.arm_endpoint.clone()),
        });
        let observer: Option<Arc<dyn RequestObserver>> = if global.verbose > 0 {
            Some(Arc::new(VerboseLog))
        } else {
            None
        };
        let client = ArmClient::new(
            credential,
            ClientOptions {
                endpoint: self.arm_endpoint,
                api_version: self.api_version,
                observer,
                ..Default::default()
            },
        )
        .context("--arm-endpoint")?;
        Ok(Conn {
            client,
            subscription,
            output: self.output,
            location: self.location,
            watcher: self.watcher,
            watcher_group: self.watcher_group,
        })
    }
}

impl Conn {
    /// The network watcher: `--watcher`, else the one of `--location`, else
    /// the one of `target_location` (the VM's region, for `start`).
    pub async fn watcher(&self, target_location: Option<&str>) -> anyhow::Result<WatcherRef> {
        if let Some(name) = &self.watcher {
            return Ok(WatcherRef {
                subscription: self.subscription.clone(),
                resource_group: self.watcher_group.clone(),
                name: name.clone(),
            });
        }
        let Some(location) = self.location.as_deref().or(target_location) else {
            bail!("which network watcher? give --location REGION or --watcher NAME");
        };
        Ok(self
            .client
            .find_network_watcher(&self.subscription, location)
            .await?)
    }

    /// Sets the client's polling interval and timeout for long-running operations.
    pub fn set_poll(&mut self, interval: Duration, timeout: Duration) {
        self.client = self
            .client
            .clone()
            .with_poll(nwcap_arm::PollOptions { interval, timeout });
    }
}

/// Keeps the token in a redacting [`Secret`] from the moment it is parsed,
/// so no `Debug` of the arguments can show it.
fn parse_secret(s: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(s))
}

fn azure_config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("AZURE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(|h| PathBuf::from(h).join(".azure"))
}

/// `AZURE_SUBSCRIPTION_ID`, else the default subscription of the Azure CLI profile.
fn default_subscription() -> anyhow::Result<String> {
    if let Ok(s) = std::env::var("AZURE_SUBSCRIPTION_ID")
        && !s.is_empty()
    {
        return Ok(s);
    }
    let hint = "give --subscription, set AZURE_SUBSCRIPTION_ID, or run `az login`";
    let Some(dir) = azure_config_dir() else {
        bail!("no subscription: {hint}");
    };
    let path = dir.join("azureProfile.json");
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!("no subscription: {hint}"),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    profile_default(&text)
        .with_context(|| format!("{}", path.display()))?
        .with_context(|| format!("no default subscription in {}: {hint}", path.display()))
}

/// The `id` of the `isDefault` subscription of an azureProfile.json (which
/// the CLI writes with a UTF-8 BOM).
fn profile_default(bytes: &[u8]) -> anyhow::Result<Option<String>> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let v: serde_json::Value = serde_json::from_slice(bytes).context("not JSON")?;
    Ok(v.get("subscriptions")
        .and_then(|s| s.as_array())
        .and_then(|subs| {
            subs.iter()
                .find(|s| s.get("isDefault").and_then(|d| d.as_bool()) == Some(true))
        })
        .and_then(|s| s.get("id"))
        .and_then(|id| id.as_str())
        .map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_profile_default_with_bom() {
        let text = b"\xef\xbb\xbf{\"subscriptions\": [{\"id\": \"a\", \"isDefault\": false}, {\"id\": \"b\", \"isDefault\": true}]}";
        assert_eq!(profile_default(text).ok().flatten().as_deref(), Some("b"));
        assert_eq!(profile_default(b"{}").ok().flatten(), None);
        assert!(profile_default(b"nope").is_err());
    }
}
