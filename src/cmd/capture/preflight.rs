//! Pre-flight of `nwcap capture start`: the target is read before anything
//! is created (its region picks the watcher, its OS the agent and the path
//! rules), and the Network Watcher agent must be on it: without the
//! extension the service would accept the capture and fail it later.
//! `--install-agent` installs it (the extension for the target's OS, a
//! long-running operation); otherwise the error says how.

use anyhow::{Context, bail};
use nwcap_arm::types::{TargetType, id_segment};
use nwcap_arm::{AgentState, TargetInfo};

use super::conn::Conn;
use super::start::StartArgs;
use crate::cmd::target::quote;

impl StartArgs {
    /// Reads the target (region, OS, agent) and makes sure the agent is
    /// there, installing it with `--install-agent`.
    pub async fn target(&self, conn: &Conn, quiet: bool) -> anyhow::Result<TargetInfo> {
        let (id, flag) = self.target_id(conn).await?;
        if !id.to_ascii_lowercase().starts_with("/subscriptions/")
            || id_segment(&id, "providers").is_none()
        {
            bail!("{flag}: {id:?} is not a resource id (/subscriptions/.../providers/...)");
        }
        let client = &conn.arm.client;
        let info = match client.describe_target(&id).await {
            Ok(info) => info,
            Err(e) if e.status() == Some(403) => {
                // Reading extensions needs .../extensions/read: go on unchecked.
                eprintln!(
                    "nwcap: warning: cannot read {id} and its extensions ({e}); the Network \
                     Watcher agent is not checked"
                );
                let r = client
                    .get_resource(&id)
                    .await
                    .with_context(|| flag.to_string())?;
                TargetInfo {
                    id: id.clone(),
                    name: r.value.name,
                    location: r.value.location,
                    kind: if id_segment(&id, "virtualMachineScaleSets").is_some() {
                        TargetType::AzureVmss
                    } else {
                        TargetType::AzureVm
                    },
                    os: None,
                    agent: AgentState::Installed {
                        name: String::new(),
                        version: String::new(),
                    },
                }
            }
            Err(e) => return Err(e).with_context(|| format!("{flag} {id}")),
        };
        match &info.agent {
            AgentState::Installed { .. } => {}
            missing if self.install_agent => {
                if !quiet {
                    let what = match missing {
                        AgentState::Broken { state, .. } => format!("reinstalling (it is {state})"),
                        _ => "installing".to_owned(),
                    };
                    eprintln!(
                        "nwcap: {what} the Network Watcher agent ({}/{} {}) on {}",
                        nwcap_arm::AGENT_PUBLISHER,
                        agent_type(&info),
                        nwcap_arm::AGENT_TYPE_HANDLER_VERSION,
                        info.name
                    );
                }
                client.install_agent(&info).await.with_context(|| {
                    format!("installing the Network Watcher agent on {}", info.name)
                })?;
                if !quiet {
                    let note = if info.kind == TargetType::AzureVmss {
                        " (in the scale set's model; instances take it as its upgrade policy says)"
                    } else {
                        ""
                    };
                    eprintln!("nwcap: the agent is installed on {}{note}", info.name);
                }
            }
            missing => bail!(
                "{}",
                agent_missing(&info, missing, self.resource_group.as_deref())
            ),
        }
        Ok(info)
    }
}

fn agent_type(info: &TargetInfo) -> &'static str {
    nwcap_arm::agent_type(info.os.as_ref().unwrap_or(&nwcap_arm::types::OsType::Linux))
}

/// What to say when the agent is missing (or broken), with how to fix it.
fn agent_missing(info: &TargetInfo, state: &AgentState, rg: Option<&str>) -> String {
    let kind = agent_type(info);
    let what = match state {
        AgentState::Broken { name, state } => {
            format!(
                "the Network Watcher agent on {} is not working (extension {name} is {state})",
                info.name
            )
        }
        _ => format!(
            "the Network Watcher agent is not installed on {}",
            info.name
        ),
    };
    let rg = rg
        .map(str::to_owned)
        .or_else(|| id_segment(&info.id, "resourceGroups").map(str::to_owned))
        .unwrap_or_default();
    let az = if info.kind == TargetType::AzureVmss {
        format!(
            "az vmss extension set -g {} --vmss-name {} --name {kind} --publisher {}",
            quote(&rg),
            quote(&info.name),
            nwcap_arm::AGENT_PUBLISHER
        )
    } else {
        format!(
            "az vm extension set -g {} --vm-name {} --name {kind} --publisher {}",
            quote(&rg),
            quote(&info.name),
            nwcap_arm::AGENT_PUBLISHER
        )
    };
    format!(
        "{what}: packet capture needs the VM extension {} ({}/{kind}), or the service fails the capture\n\
         hint: add --install-agent to install it before the capture starts, or install it with: {az}",
        nwcap_arm::AGENT_EXTENSION_NAME,
        nwcap_arm::AGENT_PUBLISHER,
    )
}
