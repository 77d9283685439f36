//! One way for every command to reach Azure Resource Manager and find the
//! subscription, the network watcher and a capture: `nwcap capture`,
//! `nwcap fetch CAPTURE` and `nwcap analyze CAPTURE` take the same flags
//! ([`ArmArgs`]) and resolve them here, the same way.
//!
//! - **Subscription**: `--subscription`; else the one in a resource id the
//!   command was given (`--watcher ID`, `--vm ID`, `--target ID`); else
//!   `AZURE_SUBSCRIPTION_ID`; else the Azure CLI's default subscription
//!   (`azureProfile.json` in `$AZURE_CONFIG_DIR` or `~/.azure`), as `az`.
//! - **Watcher**: `--watcher NAME|RG/NAME|ID`; else the watcher of
//!   `-l/--location`; else, for a new capture, the watcher of the target's
//!   region (as `az` does); else, for an existing capture, the watcher of
//!   the subscription that has a capture of that name. Watchers are found
//!   in the subscription's list: Azure creates `NetworkWatcher_<region>` in
//!   `NetworkWatcherRG`, but people move and rename them.
//! - **Hints**: [`Arm::flags`] writes the flags that reach the same watcher
//!   (`--watcher RG/NAME --subscription SUB`, and a non-default endpoint or
//!   api-version), so that every command nwcap suggests runs as printed.
//!   Tokens are never part of them.

mod profile;

use std::sync::Arc;

use anyhow::{Context, bail};
use nwcap_arm::auth::{ACCESS_TOKEN_ENV, Credential, CredentialOptions};
use nwcap_arm::types::{id_segment, normalize_location};
use nwcap_arm::{
    ApiVersion, ArmClient, ClientOptions, PollOptions, RequestLog, RequestObserver, Secret,
    WatcherRef,
};

use crate::global::Global;

const HEADING: &str = "Azure Resource Manager";

/// The flags that reach ARM and locate a watcher, shared by `capture`,
/// `fetch` and `analyze`.
#[derive(Debug, Clone, clap::Args)]
pub struct ArmArgs {
    /// Subscription id [default: from a resource id given, else
    /// AZURE_SUBSCRIPTION_ID, else the Azure CLI's default subscription].
    #[arg(long, global = true, value_name = "ID", help_heading = HEADING)]
    pub subscription: Option<String>,
    /// Region of the network watcher [default: the target's region, or the
    /// watcher that has the capture].
    #[arg(short = 'l', long, global = true, value_name = "REGION", help_heading = HEADING)]
    pub location: Option<String>,
    /// Network watcher: its name, RESOURCE_GROUP/NAME, or its resource id.
    #[arg(long, global = true, value_name = "NAME|RG/NAME|ID", help_heading = HEADING)]
    pub watcher: Option<String>,
    /// Resource Manager endpoint (sovereign clouds, local emulator); the
    /// token scope is derived from it.
    #[arg(
        long,
        global = true,
        env = "NWCAP_ARM_ENDPOINT",
        default_value = nwcap_arm::DEFAULT_ENDPOINT,
        help_heading = HEADING
    )]
    pub arm_endpoint: String,
    /// api-version of the Microsoft.Network calls (features it lacks are refused).
    #[arg(long, global = true, value_name = "YYYY-MM-DD", default_value = nwcap_arm::DEFAULT_API_VERSION, help_heading = HEADING)]
    pub api_version: String,
    /// Bearer token used as is instead of the credential chain, for ARM
    /// (and Storage in fetch/analyze); never printed.
    #[arg(
        long,
        global = true,
        env = ACCESS_TOKEN_ENV,
        hide_env_values = true,
        value_parser = parse_secret,
        help_heading = HEADING
    )]
    pub access_token: Option<Secret>,
}

/// Keeps the token in a redacting [`Secret`] from the moment it is parsed,
/// so no `Debug` of the arguments can show it.
fn parse_secret(s: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(s))
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
            nwcap_pcap::escape::escape_terminal(log.url),
            status,
            log.request_id
                .map(nwcap_pcap::escape::escape_terminal)
                .unwrap_or_else(|| "-".into()),
            log.elapsed.as_millis()
        );
    }
}

/// A connection to ARM with the subscription and the watcher flags resolved.
#[derive(Debug, Clone)]
pub struct Arm {
    /// The client.
    pub client: ArmClient,
    /// Subscription id.
    pub subscription: String,
    /// The api-version, parsed.
    pub api_version: ApiVersion,
    location: Option<String>,
    watcher: Option<String>,
    /// Flags a hint must repeat (non-default endpoint, api-version).
    extra_flags: String,
}

impl ArmArgs {
    /// Builds the client and finds the subscription. `ids` are the
    /// resource ids given on the command line (`--vm ID`...), whose
    /// subscription is taken when `--subscription` is not given.
    pub fn connect(&self, global: &Global, ids: &[&str]) -> anyhow::Result<Arm> {
        let api_version = ApiVersion::parse(&self.api_version)?;
        let mut id_subs: Vec<(&str, &str)> = ids
            .iter()
            .filter_map(|id| id_segment(id, "subscriptions").map(|s| (*id, s)))
            .collect();
        if let Some(w) = self.watcher.as_deref()
            && let Some(s) = id_segment(w, "subscriptions")
        {
            id_subs.push((w, s));
        }
        let subscription = match self.subscription.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => s.to_owned(),
            None => match id_subs.first() {
                Some((_, s)) => (*s).to_owned(),
                None => profile::default_subscription()?,
            },
        };
        if let Some((id, s)) = id_subs
            .iter()
            .find(|(_, s)| !s.eq_ignore_ascii_case(&subscription))
        {
            bail!(
                "{id} is in subscription {s}, not {subscription}: a capture, its target and its \
                 network watcher are in one subscription"
            );
        }
        let credential = Credential::from_options(&CredentialOptions {
            access_token: self.access_token.clone().filter(|t| !t.is_empty()),
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
                endpoint: self.arm_endpoint.clone(),
                api_version: api_version.as_str().to_owned(),
                observer,
                ..Default::default()
            },
        )
        .context("--arm-endpoint")?;
        let mut extra_flags = String::new();
        let env_endpoint = std::env::var("NWCAP_ARM_ENDPOINT").ok();
        if self.arm_endpoint != nwcap_arm::DEFAULT_ENDPOINT
            && env_endpoint.as_deref() != Some(self.arm_endpoint.as_str())
        {
            extra_flags.push_str(&format!(" --arm-endpoint {}", quote(&self.arm_endpoint)));
        }
        if api_version.as_str() != nwcap_arm::DEFAULT_API_VERSION {
            extra_flags.push_str(&format!(" --api-version {}", quote(api_version.as_str())));
        }
        Ok(Arm {
            client,
            subscription,
            api_version,
            location: self.location.clone().filter(|l| !l.is_empty()),
            watcher: self.watcher.clone().filter(|w| !w.is_empty()),
            extra_flags,
        })
    }
}

/// A watcher with its region.
type Placed = (WatcherRef, String);

impl Arm {
    /// Sets the client's polling interval and timeout for long-running operations.
    pub fn set_poll(&mut self, interval: std::time::Duration, timeout: std::time::Duration) {
        self.client = self
            .client
            .clone()
            .with_poll(PollOptions { interval, timeout });
    }

    /// The flags that reach `w` again, for hints: ` --watcher RG/NAME
    /// --subscription SUB` and any non-default endpoint or api-version.
    pub fn flags(&self, w: &WatcherRef) -> String {
        format!(
            " --watcher {} --subscription {}{}",
            quote(&format!("{}/{}", w.resource_group, w.name)),
            quote(&w.subscription),
            self.extra_flags
        )
    }

    async fn placed(&self) -> anyhow::Result<Vec<Placed>> {
        self.client
            .watchers(&self.subscription)
            .await
            .with_context(|| {
                format!(
                    "listing the network watchers of subscription {}",
                    self.subscription
                )
            })
    }

    /// `--watcher`, found in the subscription's list (with its region).
    async fn explicit(&self, all: &[Placed]) -> anyhow::Result<Option<Placed>> {
        let Some(spec) = self.watcher.as_deref() else {
            return Ok(None);
        };
        let wanted: Box<dyn Fn(&WatcherRef) -> bool> = if let Some(id) = WatcherRef::from_id(spec) {
            Box::new(move |w| {
                w.resource_group.eq_ignore_ascii_case(&id.resource_group)
                    && w.name.eq_ignore_ascii_case(&id.name)
            })
        } else if let Some((rg, name)) = spec.split_once('/') {
            let (rg, name) = (rg.to_owned(), name.to_owned());
            Box::new(move |w| {
                w.resource_group.eq_ignore_ascii_case(&rg) && w.name.eq_ignore_ascii_case(&name)
            })
        } else {
            let name = spec.to_owned();
            Box::new(move |w| w.name.eq_ignore_ascii_case(&name))
        };
        let found: Vec<&Placed> = all.iter().filter(|(w, _)| wanted(w)).collect();
        match found.as_slice() {
            [one] => Ok(Some((*one).clone())),
            [] => bail!(
                "--watcher {spec}: no such network watcher in subscription {}{}",
                self.subscription,
                known(all)
            ),
            many => bail!(
                "--watcher {spec}: {} network watchers have that name; give RESOURCE_GROUP/NAME: {}",
                many.len(),
                many.iter()
                    .map(|(w, _)| format!("{}/{}", w.resource_group, w.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn of_region(&self, all: &[Placed], region: &str) -> anyhow::Result<Placed> {
        let want = normalize_location(region);
        all.iter()
            .find(|(_, l)| *l == want)
            .cloned()
            .with_context(|| {
                format!(
                    "no network watcher in region {want} of subscription {}{} (Azure creates \
                     NetworkWatcher_{want} in NetworkWatcherRG when Network Watcher is enabled in the region)",
                    self.subscription,
                    known(all)
                )
            })
    }

    /// The watcher for a new capture on `target` in `region`: it must be
    /// the region's (a capture runs through the watcher of its target's region).
    pub async fn watcher_for_target(
        &self,
        target: &str,
        region: &str,
    ) -> anyhow::Result<WatcherRef> {
        let all = self.placed().await?;
        let want = normalize_location(region);
        if let Some(l) = &self.location
            && normalize_location(l) != want
        {
            bail!(
                "--location {l}, but {target} is in {want}: a capture runs through the network \
                 watcher of its target's region (leave out -l, or give -l {want})"
            );
        }
        if let Some((w, l)) = self.explicit(&all).await? {
            if l != want {
                bail!(
                    "--watcher {}/{} is in {l}, but {target} is in {want}: a capture runs through \
                     the network watcher of its target's region",
                    w.resource_group,
                    w.name
                );
            }
            return Ok(w);
        }
        Ok(self.of_region(&all, &want)?.0)
    }

    /// The watcher that has capture `name`: `--watcher`, else the one of
    /// `-l`, else the one watcher of the subscription with a capture of
    /// that name.
    pub async fn watcher_for_capture(&self, name: &str) -> anyhow::Result<WatcherRef> {
        let all = self.placed().await?;
        if let Some((w, _)) = self.explicit(&all).await? {
            return Ok(w);
        }
        if let Some(l) = &self.location {
            return Ok(self.of_region(&all, l)?.0);
        }
        let mut found = Vec::new();
        for (w, _) in &all {
            match self.client.get_capture(w, name).await {
                Ok(_) => found.push(w.clone()),
                Err(e) if e.status() == Some(404) => {}
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!(
                            "looking for capture {name} in {}/{}",
                            w.resource_group, w.name
                        )
                    });
                }
            }
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => bail!(
                "no capture named {name} in the {} network watcher(s) of subscription {}{}",
                all.len(),
                self.subscription,
                known(&all)
            ),
            _ => bail!(
                "{} network watchers have a capture named {name} ({}): give --watcher RG/NAME or -l REGION",
                found.len(),
                found
                    .iter()
                    .map(|w| format!("{}/{}", w.resource_group, w.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The watchers whose captures `list` shows: `--watcher`, `-l`'s, or all.
    pub async fn watchers_to_list(&self) -> anyhow::Result<Vec<WatcherRef>> {
        let all = self.placed().await?;
        if let Some((w, _)) = self.explicit(&all).await? {
            return Ok(vec![w]);
        }
        if let Some(l) = &self.location {
            return Ok(vec![self.of_region(&all, l)?.0]);
        }
        Ok(all.into_iter().map(|(w, _)| w).collect())
    }
}

/// ` (watchers: RG/NAME in region, ...)`, or nothing when there are none.
fn known(all: &[Placed]) -> String {
    if all.is_empty() {
        return " (it has none)".to_owned();
    }
    format!(
        " (its watchers: {})",
        all.iter()
            .map(|(w, l)| format!("{}/{} in {l}", w.resource_group, w.name))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A word for a POSIX shell: as is when it has only safe characters, else
/// single-quoted.
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_needed() {
        assert_eq!(
            quote("NetworkWatcherRG/NetworkWatcher_westus"),
            "NetworkWatcherRG/NetworkWatcher_westus"
        );
        assert_eq!(quote("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(quote("rg (prod)/nw"), "'rg (prod)/nw'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
