//! Request handling: one fallback handler that routes on lowercased path
//! segments, because ARM paths are case-insensitive (`resourceGroups` and
//! `ResourceGroups` both work) and axum's router is not.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::lifecycle;
use crate::model::{CaptureKey, FaultKind, OpKind, RecordedRequest, SeedResource, State};

pub(crate) type Shared = Arc<Mutex<State>>;

/// Answer built while the state is locked; turned into a response after.
pub(crate) struct Reply {
    status: u16,
    body: Option<Value>,
    raw: Option<&'static str>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            raw: None,
            headers: Vec::new(),
        }
    }
    pub(crate) fn empty(status: u16) -> Self {
        Self {
            status,
            body: None,
            raw: None,
            headers: Vec::new(),
        }
    }
    pub(crate) fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

pub(crate) fn arm_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(status, json!({"error": {"code": code, "message": message}}))
}

pub(crate) async fn handle(
    AxState(shared): AxState<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (reply, request_no) = {
        let mut state = match shared.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        let n = state.next_id();
        let reply = answer(&mut state, &method, &uri, &headers, &body);
        (reply, n)
    };
    let mut resp = match (reply.raw, reply.body) {
        (Some(raw), _) => {
            ([("content-type", "application/json; charset=utf-8")], raw).into_response()
        }
        (None, Some(v)) => axum::Json(v).into_response(),
        (None, None) => ().into_response(),
    };
    *resp.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    let rid = format!("00000000-0000-4000-8000-{request_no:012x}");
    let cid = format!("11111111-0000-4000-8000-{request_no:012x}");
    for (name, value) in [
        ("x-ms-request-id", rid),
        ("x-ms-correlation-request-id", cid),
    ]
    .into_iter()
    .chain(reply.headers)
    {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    resp
}

fn answer(
    state: &mut State,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Reply {
    let path = uri.path().to_owned();
    let query = uri.query().unwrap_or("").to_owned();
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let parsed_body = if body.is_empty() {
        None
    } else {
        Some(
            serde_json::from_slice::<Value>(body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned())),
        )
    };
    state.requests.push(RecordedRequest {
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        authorization: authorization.clone(),
        body: parsed_body.clone(),
    });

    let token = authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return arm_error(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        );
    };
    if let Some(required) = &state.config.required_token
        && required != token
    {
        return arm_error(
            401,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        );
    }
    if let Some(fault) = state.take_fault(method.as_str(), &path) {
        return match fault {
            FaultKind::TooManyRequests { retry_after_secs } => {
                arm_error(429, "TooManyRequests", "The request is being throttled.")
                    .header("retry-after", retry_after_secs.to_string())
            }
            FaultKind::ServerError => {
                arm_error(500, "InternalServerError", "Injected server error.")
            }
            FaultKind::MalformedBody => Reply {
                status: 200,
                body: None,
                raw: Some("{\"name\": \"pc1\", \"properties\": {"),
                headers: Vec::new(),
            },
            FaultKind::Error {
                status,
                code,
                message,
            } => arm_error(status, &code, &message),
        };
    }
    let api_version = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("api-version="))
        .unwrap_or("");
    if api_version.is_empty() {
        return arm_error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        );
    }
    let seg: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| s.to_owned())
        .collect();
    let low: Vec<String> = seg.iter().map(|s| s.to_ascii_lowercase()).collect();
    let l: Vec<&str> = low.iter().map(String::as_str).collect();
    let m = method.as_str();
    match l.as_slice() {
        [
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.compute",
            kind @ ("virtualmachines" | "virtualmachinescalesets"),
            rest @ ..,
        ] => {
            let seeds = if *kind == "virtualmachines" {
                &state.config.vms
            } else {
                &state.config.scale_sets
            };
            let type_name = if *kind == "virtualmachines" {
                "Microsoft.Compute/virtualMachines"
            } else {
                "Microsoft.Compute/virtualMachineScaleSets"
            };
            let (sub, rg) = (&seg[1], &seg[3]);
            let items: Vec<Value> = seeds
                .iter()
                .filter(|s| s.resource_group.eq_ignore_ascii_case(rg))
                .map(|s| tracked(sub, s, "Microsoft.Compute", &seg[6], type_name))
                .collect();
            match (m, rest) {
                ("GET", []) => Reply::json(200, json!({ "value": items })),
                ("GET", [name]) => items
                    .into_iter()
                    .find(|v| {
                        v["name"]
                            .as_str()
                            .is_some_and(|n| n.eq_ignore_ascii_case(name))
                    })
                    .map(|v| Reply::json(200, v))
                    .unwrap_or_else(|| not_found(&path)),
                _ => arm_error(405, "MethodNotAllowed", "method not allowed"),
            }
        }
        [
            "subscriptions",
            _,
            "providers",
            "microsoft.network",
            "networkwatchers",
        ] if m == "GET" => {
            let sub = &seg[1];
            let items: Vec<Value> = state
                .config
                .watchers
                .iter()
                .map(|s| {
                    tracked(
                        sub,
                        s,
                        "Microsoft.Network",
                        "networkWatchers",
                        "Microsoft.Network/networkWatchers",
                    )
                })
                .collect();
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
        ] if m == "GET" => lifecycle::async_operation(state, id),
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
            let (sub, rg, nw) = (seg[1].clone(), seg[3].clone(), seg[7].clone());
            let Some(watcher) = state
                .config
                .watchers
                .iter()
                .find(|w| {
                    w.resource_group.eq_ignore_ascii_case(&rg) && w.name.eq_ignore_ascii_case(&nw)
                })
                .cloned()
            else {
                return not_found(&path);
            };
            let rest_orig: Vec<String> = seg[8..].to_vec();
            match (m, rest) {
                ("GET", ["packetcaptures"]) => {
                    lifecycle::list_captures(state, &sub, &rg, &nw, &path, &query)
                }
                ("PUT", ["packetcaptures", _]) => lifecycle::create_capture(
                    state,
                    &sub,
                    &watcher,
                    &rest_orig[1],
                    &path,
                    parsed_body.as_ref(),
                ),
                ("GET", ["packetcaptures", _]) => {
                    let key = key(&sub, &rg, &nw, &rest_orig[1]);
                    match state.captures.get(&key).cloned() {
                        Some(c) => Reply::json(200, lifecycle::capture_body(&c)),
                        None => not_found(&path),
                    }
                }
                ("DELETE", ["packetcaptures", _]) => {
                    let key = key(&sub, &rg, &nw, &rest_orig[1]);
                    if !state.captures.contains_key(&key) {
                        return Reply::empty(204);
                    }
                    lifecycle::start_operation(state, &sub, &rg, &nw, OpKind::Delete(key))
                }
                ("POST", ["packetcaptures", _, "stop"]) => {
                    let key = key(&sub, &rg, &nw, &rest_orig[1]);
                    if !state.captures.contains_key(&key) {
                        return not_found(&path);
                    }
                    lifecycle::start_operation(state, &sub, &rg, &nw, OpKind::Stop(key))
                }
                ("POST", ["packetcaptures", _, "querystatus"]) => {
                    let key = key(&sub, &rg, &nw, &rest_orig[1]);
                    match state.captures.get(&key).cloned() {
                        Some(c) => Reply::json(200, lifecycle::status_body(state, &key, &c)),
                        None => not_found(&path),
                    }
                }
                ("GET", ["operationresults", id]) => lifecycle::operation_result(state, id),
                _ => arm_error(404, "NotFound", "no such operation"),
            }
        }
        _ => arm_error(
            404,
            "InvalidResourceType",
            "the resource type could not be found",
        ),
    }
}

pub(crate) fn not_found(path: &str) -> Reply {
    arm_error(
        404,
        "ResourceNotFound",
        &format!("The Resource '{path}' was not found."),
    )
}

pub(crate) fn key(sub: &str, rg: &str, nw: &str, name: &str) -> CaptureKey {
    (
        sub.to_ascii_lowercase(),
        rg.to_ascii_lowercase(),
        nw.to_ascii_lowercase(),
        name.to_ascii_lowercase(),
    )
}

fn tracked(sub: &str, s: &SeedResource, provider: &str, kind: &str, type_name: &str) -> Value {
    json!({
        "name": s.name,
        "id": format!("/subscriptions/{sub}/resourceGroups/{}/providers/{provider}/{kind}/{}", s.resource_group, s.name),
        "type": type_name,
        "location": s.location,
        "properties": { "provisioningState": "Succeeded" },
    })
}
