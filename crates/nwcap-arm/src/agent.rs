//! The Network Watcher agent: packet capture needs the VM extension
//! `AzureNetworkWatcherExtension` (publisher `Microsoft.Azure.NetworkWatcher`,
//! type `NetworkWatcherAgentLinux` or `NetworkWatcherAgentWindows`) on the
//! target. Without it the service accepts the capture and fails it later;
//! reading the target's extensions first (a VM's `extensions`, a scale
//! set's `virtualMachineProfile.extensionProfile`) lets `nwcap capture
//! start` say so before anything is created, and install it when asked.

use serde_json::{Value, json};

use reqwest::Method;

use crate::client::{ArmClient, COMPUTE_API_VERSION};
use crate::error::ArmError;
use crate::types::{OsType, TargetType, id_segment};

/// Publisher of the Network Watcher agent extension.
pub const AGENT_PUBLISHER: &str = "Microsoft.Azure.NetworkWatcher";
/// The extension's name when the portal or `az` installs it.
pub const AGENT_EXTENSION_NAME: &str = "AzureNetworkWatcherExtension";
/// The handler version nwcap installs (minor upgrades automatic).
pub const AGENT_TYPE_HANDLER_VERSION: &str = "1.4";

/// The extension type of the agent for an operating system.
pub fn agent_type(os: &OsType) -> &'static str {
    match os {
        OsType::Windows => "NetworkWatcherAgentWindows",
        _ => "NetworkWatcherAgentLinux",
    }
}

/// Whether the agent is on a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentState {
    /// Installed and provisioned (name and handler version as listed).
    Installed {
        /// Extension name.
        name: String,
        /// `typeHandlerVersion`.
        version: String,
    },
    /// Listed, but its provisioning did not succeed.
    Broken {
        /// Extension name.
        name: String,
        /// Its `provisioningState`.
        state: String,
    },
    /// Not among the target's extensions.
    Missing,
}

/// A capture target as `capture start` checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// Resource id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Region.
    pub location: String,
    /// AzureVM or AzureVMSS (from the id).
    pub kind: TargetType,
    /// Operating system, when ARM says.
    pub os: Option<OsType>,
    /// The agent.
    pub agent: AgentState,
}

/// Finds the agent among extension objects (`{name, properties: {publisher, type, ...}}`).
fn agent_in(extensions: &[Value]) -> AgentState {
    let text = |v: &Value, k: &str| v["properties"][k].as_str().unwrap_or_default().to_owned();
    for e in extensions {
        let is_agent = text(e, "publisher").eq_ignore_ascii_case(AGENT_PUBLISHER)
            && text(e, "type")
                .to_ascii_lowercase()
                .starts_with("networkwatcheragent");
        if !is_agent {
            continue;
        }
        let name = e["name"]
            .as_str()
            .unwrap_or(AGENT_EXTENSION_NAME)
            .to_owned();
        let state = text(e, "provisioningState");
        // A scale set's model lists extensions without provisioningState.
        if state.is_empty() || state.eq_ignore_ascii_case("succeeded") {
            return AgentState::Installed {
                name,
                version: text(e, "typeHandlerVersion"),
            };
        }
        return AgentState::Broken { name, state };
    }
    AgentState::Missing
}

fn os_of(profile: &Value) -> Option<OsType> {
    profile["storageProfile"]["osDisk"]["osType"]
        .as_str()
        .map(OsType::parse)
}

impl ArmClient {
    /// Reads a VM or scale set: region, OS and whether the agent is installed.
    pub async fn describe_target(&self, id: &str) -> Result<TargetInfo, ArmError> {
        let scale_set = id_segment(id, "virtualMachineScaleSets").is_some();
        let url = self.url(id, COMPUTE_API_VERSION);
        let r = self.get_json::<Value>(&url).await?.json;
        let (os, agent) = if scale_set {
            let profile = &r["properties"]["virtualMachineProfile"];
            let exts = profile["extensionProfile"]["extensions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            (os_of(profile), agent_in(&exts))
        } else {
            let url = self.url(&format!("{id}/extensions"), COMPUTE_API_VERSION);
            let exts: Vec<Value> = self
                .list_json::<Value>(&url)
                .await?
                .into_iter()
                .map(|r| r.json)
                .collect();
            (os_of(&r["properties"]), agent_in(&exts))
        };
        Ok(TargetInfo {
            id: r["id"].as_str().unwrap_or(id).to_owned(),
            name: r["name"].as_str().unwrap_or_default().to_owned(),
            location: r["location"].as_str().unwrap_or_default().to_owned(),
            kind: if scale_set {
                TargetType::AzureVmss
            } else {
                TargetType::AzureVm
            },
            os,
            agent,
        })
    }

    /// Installs the agent on a target (the extension for its OS) and waits
    /// for the operation to finish. A scale set gets it in its model; its
    /// instances pick it up as its upgrade policy says.
    pub async fn install_agent(&self, target: &TargetInfo) -> Result<(), ArmError> {
        let os = target.os.clone().unwrap_or(OsType::Linux);
        let url = self.url(
            &format!("{}/extensions/{AGENT_EXTENSION_NAME}", target.id),
            COMPUTE_API_VERSION,
        );
        let properties = json!({
            "publisher": AGENT_PUBLISHER,
            "type": agent_type(&os),
            "typeHandlerVersion": AGENT_TYPE_HANDLER_VERSION,
            "autoUpgradeMinorVersion": true,
        });
        let body = if target.kind == TargetType::AzureVmss {
            json!({ "name": AGENT_EXTENSION_NAME, "properties": properties })
        } else {
            json!({ "location": target.location, "properties": properties })
        };
        let resp = self.send(Method::PUT, &url, Some(&body)).await?;
        self.wait_lro(&url, &resp).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_is_found_by_publisher_and_type() {
        let other = json!({"name": "x", "properties": {"publisher": "Microsoft.Azure.Monitor", "type": "AzureMonitorLinuxAgent"}});
        assert_eq!(agent_in(std::slice::from_ref(&other)), AgentState::Missing);
        let agent = json!({"name": "nw", "properties": {"publisher": "microsoft.azure.networkwatcher",
            "type": "NetworkWatcherAgentLinux", "typeHandlerVersion": "1.4", "provisioningState": "Succeeded"}});
        assert_eq!(
            agent_in(&[other.clone(), agent]),
            AgentState::Installed {
                name: "nw".into(),
                version: "1.4".into()
            }
        );
        let failed = json!({"name": "nw", "properties": {"publisher": AGENT_PUBLISHER,
            "type": "NetworkWatcherAgentWindows", "provisioningState": "Failed"}});
        assert!(matches!(agent_in(&[failed]), AgentState::Broken { .. }));
        assert_eq!(agent_type(&OsType::Windows), "NetworkWatcherAgentWindows");
    }
}
