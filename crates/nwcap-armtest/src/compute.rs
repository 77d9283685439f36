//! Microsoft.Compute: the VMs and scale sets captures run on, their
//! operating system, and the Network Watcher agent extension
//! (`Microsoft.Azure.NetworkWatcher` / `NetworkWatcherAgentLinux` or
//! `NetworkWatcherAgentWindows`): listed on a VM, in a scale set's
//! `virtualMachineProfile.extensionProfile`, and installed by a PUT that is
//! a long-running operation, as Azure does it.

use serde_json::{Value, json};

use crate::config::SeedVm;
use crate::handlers::{Reply, Request, arm_error, arm_error_details, not_found, rg_not_found};
use crate::lifecycle;
use crate::model::{OpKind, State};
use crate::ops;

/// Publisher of the Network Watcher agent extension.
pub const AGENT_PUBLISHER: &str = "Microsoft.Azure.NetworkWatcher";
/// Name Azure gives the extension when the portal or az installs it.
pub const AGENT_EXTENSION_NAME: &str = "AzureNetworkWatcherExtension";

/// A seeded VM (`scale_set` false) or scale set by resource group and name.
pub(crate) fn seed<'a>(
    state: &'a State,
    rg: &str,
    name: &str,
    scale_set: bool,
) -> Option<&'a SeedVm> {
    let list = if scale_set {
        &state.config.scale_sets
    } else {
        &state.config.vms
    };
    list.iter()
        .find(|v| v.resource_group.eq_ignore_ascii_case(rg) && v.name.eq_ignore_ascii_case(name))
}

/// The seed a resource id names: `(seed, is_scale_set)`.
pub(crate) fn seed_of_id<'a>(state: &'a State, id: &str) -> Option<(&'a SeedVm, bool)> {
    let parts: Vec<String> = id
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    match parts
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [
            "subscriptions",
            _,
            "resourcegroups",
            rg,
            "providers",
            "microsoft.compute",
            kind,
            name,
        ] => {
            let scale_set = match *kind {
                "virtualmachines" => false,
                "virtualmachinescalesets" => true,
                _ => return None,
            };
            seed(state, rg, name, scale_set).map(|s| (s, scale_set))
        }
        _ => None,
    }
}

/// Whether the agent runs on a target (lowercase id), as seeded or since installed.
pub(crate) fn agent_installed(state: &State, id: &str, seed: &SeedVm) -> bool {
    state.agents.get(id).copied().unwrap_or(seed.agent)
}

fn kind_names(scale_set: bool) -> (&'static str, &'static str) {
    if scale_set {
        (
            "virtualMachineScaleSets",
            "Microsoft.Compute/virtualMachineScaleSets",
        )
    } else {
        ("virtualMachines", "Microsoft.Compute/virtualMachines")
    }
}

fn id_of(sub: &str, s: &SeedVm, scale_set: bool) -> String {
    format!(
        "/subscriptions/{sub}/resourceGroups/{}/providers/Microsoft.Compute/{}/{}",
        s.resource_group,
        kind_names(scale_set).0,
        s.name
    )
}

/// The extensions of a target: the agent when installed, and an unrelated
/// one, so that clients must look for the right publisher and type.
fn extensions(state: &State, sub: &str, s: &SeedVm, scale_set: bool) -> Vec<Value> {
    let id = id_of(sub, s, scale_set);
    let mut out = vec![json!({
        "name": "AzureMonitorAgent",
        "properties": {
            "publisher": "Microsoft.Azure.Monitor",
            "type": if s.os == crate::config::Os::Linux { "AzureMonitorLinuxAgent" } else { "AzureMonitorWindowsAgent" },
            "typeHandlerVersion": "1.0",
            "autoUpgradeMinorVersion": true,
            "provisioningState": "Succeeded",
        }
    })];
    if agent_installed(state, &id.to_ascii_lowercase(), s) {
        out.push(json!({
            "name": AGENT_EXTENSION_NAME,
            "properties": {
                "publisher": AGENT_PUBLISHER,
                "type": s.os.agent_type(),
                "typeHandlerVersion": "1.4",
                "autoUpgradeMinorVersion": true,
                "provisioningState": "Succeeded",
            }
        }));
    }
    if !scale_set {
        for e in &mut out {
            let name = e["name"].as_str().unwrap_or_default().to_owned();
            e["id"] = Value::String(format!("{id}/extensions/{name}"));
            e["type"] = Value::String("Microsoft.Compute/virtualMachines/extensions".into());
            e["location"] = Value::String(s.location.clone());
        }
    }
    out
}

fn body(state: &State, sub: &str, s: &SeedVm, scale_set: bool) -> Value {
    let (_, type_name) = kind_names(scale_set);
    let storage_profile = json!({ "osDisk": { "osType": s.os.as_str() } });
    let properties = if scale_set {
        json!({
            "provisioningState": "Succeeded",
            "upgradePolicy": { "mode": "Automatic" },
            "virtualMachineProfile": {
                "storageProfile": storage_profile,
                "extensionProfile": { "extensions": extensions(state, sub, s, true) },
            },
        })
    } else {
        json!({
            "provisioningState": "Succeeded",
            "storageProfile": storage_profile,
        })
    };
    let mut v = json!({
        "name": s.name,
        "id": id_of(sub, s, scale_set),
        "type": type_name,
        "location": s.location,
        "properties": properties,
    });
    if scale_set {
        v["sku"] = json!({ "name": "Standard_D2s_v3", "capacity": s.instances });
    }
    v
}

pub(crate) fn route(state: &mut State, req: &Request<'_>) -> Reply {
    let low = req.lowered();
    let seg = &req.seg;
    match low.as_slice() {
        [
            "subscriptions",
            _,
            "providers",
            "microsoft.compute",
            "locations",
            _,
            "operations",
            id,
        ] if req.method == "GET" => ops::async_operation(state, id),
        [
            "subscriptions",
            _,
            "resourcegroups",
            rg,
            "providers",
            "microsoft.compute",
            kind @ ("virtualmachines" | "virtualmachinescalesets"),
            rest @ ..,
        ] => {
            let scale_set = *kind == "virtualmachinescalesets";
            if !lifecycle::resource_group_exists(state, rg) {
                return rg_not_found(seg[3]);
            }
            let sub = seg[1];
            match (req.method, rest) {
                ("GET", []) => {
                    let list = if scale_set {
                        &state.config.scale_sets
                    } else {
                        &state.config.vms
                    };
                    let items: Vec<Value> = list
                        .iter()
                        .filter(|s| s.resource_group.eq_ignore_ascii_case(rg))
                        .map(|s| body(state, sub, s, scale_set))
                        .collect();
                    Reply::json(200, json!({ "value": items }))
                }
                ("GET", [name]) => match seed(state, rg, name, scale_set) {
                    Some(s) => Reply::json(200, body(state, sub, s, scale_set)),
                    None => not_found(req.path),
                },
                ("GET", [name, "extensions"]) => match seed(state, rg, name, scale_set) {
                    Some(s) => Reply::json(
                        200,
                        json!({ "value": extensions(state, sub, s, scale_set) }),
                    ),
                    None => not_found(req.path),
                },
                ("PUT", [name, "extensions", _]) => {
                    let Some(s) = seed(state, rg, name, scale_set).cloned() else {
                        return not_found(req.path);
                    };
                    install(state, req, sub, &s, scale_set)
                }
                _ => arm_error(405, "MethodNotAllowed", "method not allowed"),
            }
        }
        _ => arm_error(
            404,
            "InvalidResourceType",
            "the resource type could not be found",
        ),
    }
}

/// `PUT .../extensions/NAME`: only the Network Watcher agent, of the type
/// for the target's OS; 201 and an `Azure-AsyncOperation` that installs it.
fn install(state: &mut State, req: &Request<'_>, sub: &str, s: &SeedVm, scale_set: bool) -> Reply {
    let props = req.body.and_then(|b| b.get("properties"));
    let text = |k: &str| {
        props
            .and_then(|p| p.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (publisher, kind) = (text("publisher"), text("type"));
    if !publisher.eq_ignore_ascii_case(AGENT_PUBLISHER)
        || !kind.eq_ignore_ascii_case(s.os.agent_type())
    {
        return arm_error_details(
            400,
            "InvalidParameter",
            "The extension cannot be installed on this virtual machine.",
            &[(
                "InvalidExtension",
                format!(
                    "{publisher}/{kind} is not an extension this emulator installs; \
                     a {} target takes {AGENT_PUBLISHER}/{}.",
                    s.os.as_str(),
                    s.os.agent_type()
                ),
                "properties.type",
            )],
        );
    }
    let id = id_of(sub, s, scale_set);
    let op = ops::register(state, OpKind::InstallAgent(id.to_ascii_lowercase()));
    let url = ops::async_url(state, sub, "Microsoft.Compute", &s.location, &op);
    let name = req.seg.last().copied().unwrap_or(AGENT_EXTENSION_NAME);
    let mut ext = json!({
        "name": name,
        "properties": {
            "publisher": publisher,
            "type": kind,
            "typeHandlerVersion": text("typeHandlerVersion"),
            "autoUpgradeMinorVersion": true,
            "provisioningState": "Creating",
        }
    });
    if !scale_set {
        ext["id"] = Value::String(format!("{id}/extensions/{name}"));
        ext["location"] = Value::String(s.location.clone());
    }
    Reply::json(201, ext)
        .header("azure-asyncoperation", url)
        .header("retry-after", state.config.retry_after_secs.to_string())
}
