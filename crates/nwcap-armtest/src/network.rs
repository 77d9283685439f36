//! Microsoft.Network: network watchers (listed by subscription or resource
//! group, read one by one), their packet captures, and the operations that
//! complete them.

use serde_json::{Value, json};

use crate::config::SeedResource;
use crate::handlers::{Reply, Request, arm_error, not_found, rg_not_found};
use crate::lifecycle::{self, key};
use crate::model::{OpKind, State};
use crate::ops;

pub(crate) fn route(state: &mut State, req: &Request<'_>, api_version: &str) -> Reply {
    let low = req.lowered();
    let seg = &req.seg;
    let m = req.method;
    match low.as_slice() {
        [
            "subscriptions",
            _,
            "providers",
            "microsoft.network",
            "networkwatchers",
        ] if m == "GET" => {
            let items = watchers(state, seg[1], None);
            Reply::json(200, json!({ "value": items }))
        }
        [
            "subscriptions",
            _,
            "providers",
            "microsoft.network",
            "locations",
            _,
            "operations",
            id,
        ] if m == "GET" => ops::async_operation(state, id),
        [
            "subscriptions",
            _,
            "resourcegroups",
            rg,
            "providers",
            "microsoft.network",
            "networkwatchers",
        ] if m == "GET" => {
            if !lifecycle::resource_group_exists(state, rg) {
                return rg_not_found(seg[3]);
            }
            let items = watchers(state, seg[1], Some(rg));
            Reply::json(200, json!({ "value": items }))
        }
        [
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.network",
            "networkwatchers",
            _,
            rest @ ..,
        ] => {
            let (sub, rg, nw) = (seg[1], seg[3], seg[7]);
            let Some(watcher) = state
                .config
                .watchers
                .iter()
                .find(|w| {
                    w.resource_group.eq_ignore_ascii_case(rg) && w.name.eq_ignore_ascii_case(nw)
                })
                .cloned()
            else {
                if !lifecycle::resource_group_exists(state, &rg.to_ascii_lowercase()) {
                    return rg_not_found(rg);
                }
                return not_found(req.path);
            };
            captures(state, req, api_version, &watcher, (sub, rg, nw), rest)
        }
        _ => arm_error(
            404,
            "InvalidResourceType",
            "the resource type could not be found",
        ),
    }
}

fn captures(
    state: &mut State,
    req: &Request<'_>,
    api_version: &str,
    watcher: &SeedResource,
    (sub, rg, nw): (&str, &str, &str),
    rest: &[&str],
) -> Reply {
    let name = req.seg.get(9).copied().unwrap_or("");
    let k = key(sub, rg, nw, name);
    // Reading captures shows the effect of operations nobody polled.
    match (req.method, rest) {
        ("GET", ["packetcaptures"]) => ops::settle(state, &k, true),
        ("GET", ["packetcaptures", _]) | ("POST", ["packetcaptures", _, "querystatus"]) => {
            ops::settle(state, &k, false)
        }
        _ => {}
    }
    match (req.method, rest) {
        ("GET", []) => Reply::json(200, watcher_body(sub, watcher)),
        ("GET", ["packetcaptures"]) => lifecycle::list_captures(state, &k, req),
        ("PUT", ["packetcaptures", _]) => {
            crate::create::create_capture(state, sub, watcher, name, req, api_version)
        }
        ("GET", ["packetcaptures", _]) => match state.captures.get(&k) {
            Some(c) => Reply::json(200, lifecycle::capture_body(c)),
            None => not_found(req.path),
        },
        ("DELETE", ["packetcaptures", _]) => {
            if !state.captures.contains_key(&k) {
                // The spec's 204: nothing to delete.
                return Reply::empty(204);
            }
            ops::start_location_operation(state, (sub, rg, nw), OpKind::Delete(k))
        }
        ("POST", ["packetcaptures", _, "stop"]) => {
            if !state.captures.contains_key(&k) {
                return not_found(req.path);
            }
            ops::start_location_operation(state, (sub, rg, nw), OpKind::Stop(k))
        }
        ("POST", ["packetcaptures", _, "querystatus"]) => match state.captures.get(&k) {
            Some(c) => {
                let body = lifecycle::status_body(c);
                if state.config.query_status_async {
                    // The spec allows 202 with Location (final-state-via: location).
                    ops::start_location_operation(
                        state,
                        (sub, rg, nw),
                        OpKind::Status(body.clone()),
                    )
                    .with_body(body)
                } else {
                    Reply::json(200, body)
                }
            }
            None => not_found(req.path),
        },
        ("GET", ["operationresults", id]) => ops::operation_result(state, id),
        _ => arm_error(404, "NotFound", "no such operation"),
    }
}

/// Watchers of a subscription, or of one resource group.
fn watchers(state: &State, sub: &str, rg: Option<&str>) -> Vec<Value> {
    state
        .config
        .watchers
        .iter()
        .filter(|w| rg.is_none_or(|rg| w.resource_group.eq_ignore_ascii_case(rg)))
        .map(|w| watcher_body(sub, w))
        .collect()
}

fn watcher_body(sub: &str, w: &SeedResource) -> Value {
    json!({
        "name": w.name,
        "id": format!(
            "/subscriptions/{sub}/resourceGroups/{}/providers/Microsoft.Network/networkWatchers/{}",
            w.resource_group, w.name
        ),
        "type": "Microsoft.Network/networkWatchers",
        "location": w.location,
        "properties": { "provisioningState": "Succeeded" },
    })
}
