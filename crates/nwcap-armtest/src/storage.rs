//! Microsoft.Storage: the storage accounts captures upload to, listed by
//! subscription (how `--storage-account NAME` is resolved, as az does) or
//! resource group, and read one by one. The account of the configured blob
//! service (Azurite) has that service as its blob endpoint.

use serde_json::{Value, json};

use crate::config::SeedResource;
use crate::handlers::{Reply, Request, arm_error, not_found, rg_not_found};
use crate::lifecycle;
use crate::model::State;

/// The blob endpoint of an account (with a trailing `/`, as ARM writes it).
pub(crate) fn blob_endpoint(state: &State, account: &str) -> String {
    match &state.config.storage {
        Some(s) if s.account.eq_ignore_ascii_case(account) => {
            format!("{}/", s.endpoint.trim_end_matches('/'))
        }
        _ => format!("https://{account}.blob.core.windows.net/"),
    }
}

fn body(state: &State, sub: &str, a: &SeedResource) -> Value {
    json!({
        "name": a.name,
        "id": format!(
            "/subscriptions/{sub}/resourceGroups/{}/providers/Microsoft.Storage/storageAccounts/{}",
            a.resource_group, a.name
        ),
        "type": "Microsoft.Storage/storageAccounts",
        "location": a.location,
        "kind": "StorageV2",
        "properties": {
            "provisioningState": "Succeeded",
            "primaryEndpoints": { "blob": blob_endpoint(state, &a.name) },
        },
    })
}

pub(crate) fn route(state: &mut State, req: &Request<'_>) -> Reply {
    let low = req.lowered();
    let sub = req.seg[1];
    if req.method != "GET" {
        return arm_error(405, "MethodNotAllowed", "method not allowed");
    }
    let list = |rg: Option<&str>| -> Vec<Value> {
        state
            .config
            .storage_accounts
            .iter()
            .filter(|a| rg.is_none_or(|rg| a.resource_group.eq_ignore_ascii_case(rg)))
            .map(|a| body(state, sub, a))
            .collect()
    };
    match low.as_slice() {
        [
            "subscriptions",
            _,
            "providers",
            "microsoft.storage",
            "storageaccounts",
        ] => Reply::json(200, json!({ "value": list(None) })),
        [
            "subscriptions",
            _,
            "resourcegroups",
            rg,
            "providers",
            "microsoft.storage",
            "storageaccounts",
            rest @ ..,
        ] => {
            if !lifecycle::resource_group_exists(state, rg) {
                return rg_not_found(req.seg[3]);
            }
            match rest {
                [] => Reply::json(200, json!({ "value": list(Some(rg)) })),
                [name] => list(Some(rg))
                    .into_iter()
                    .find(|v| {
                        v["name"]
                            .as_str()
                            .is_some_and(|n| n.eq_ignore_ascii_case(name))
                    })
                    .map(|v| Reply::json(200, v))
                    .unwrap_or_else(|| not_found(req.path)),
                _ => arm_error(
                    404,
                    "InvalidResourceType",
                    "the resource type could not be found",
                ),
            }
        }
        _ => arm_error(
            404,
            "InvalidResourceType",
            "the resource type could not be found",
        ),
    }
}
