//! Request handling: one fallback handler that routes on lowercased path
//! segments, because ARM paths are case-insensitive (`resourceGroups` and
//! `ResourceGroups` both work) and axum's router is not.
//!
//! Each request first lets the clock act ([`crate::lifecycle::due_files`]:
//! captures past their time limit stop, stopped captures get their files
//! written to storage, outside the lock), then is answered under the lock:
//! authentication, injected faults, the api-version, then the resource.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::config::{NEWEST_API_VERSION, OLDEST_API_VERSION};
use crate::model::{FaultKind, RecordedRequest, State};
use crate::{blob, compute, lifecycle, network, storage};

pub(crate) type Shared = Arc<Mutex<State>>;

pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    match shared.lock() {
        Ok(s) => s,
        Err(poisoned) => poisoned.into_inner(),
    }
}

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
    pub(crate) fn with_body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    pub(crate) fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// An ARM error body: `{"error": {"code", "message"}}`.
pub(crate) fn arm_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(status, json!({"error": {"code": code, "message": message}}))
}

/// An ARM error body with `details[]`: `(code, message, target)` each.
pub(crate) fn arm_error_details(
    status: u16,
    code: &str,
    message: &str,
    details: &[(&str, String, &str)],
) -> Reply {
    let details: Vec<Value> = details
        .iter()
        .map(|(c, m, t)| json!({"code": c, "message": m, "target": t}))
        .collect();
    Reply::json(
        status,
        json!({"error": {"code": code, "message": message, "details": details}}),
    )
}

/// The request being answered: path segments as sent and lowercased.
pub(crate) struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// Segments as sent.
    pub seg: Vec<&'a str>,
    /// Segments lowercased.
    pub low: Vec<String>,
    pub body: Option<&'a Value>,
}

impl Request<'_> {
    /// The value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .split('&')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
    }

    /// Lowercased segments as `&str`, for slice patterns.
    pub fn lowered(&self) -> Vec<&str> {
        self.low.iter().map(String::as_str).collect()
    }
}

pub(crate) async fn handle(
    AxState(shared): AxState<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Captures that stopped get their files before anyone can see them stopped.
    let jobs = lifecycle::due_files(&mut lock(&shared));
    for job in jobs {
        let result = blob::upload(&job).await;
        lifecycle::file_written(&mut lock(&shared), &job, result);
    }
    let (reply, request_no) = {
        let mut state = lock(&shared);
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
            FaultKind::Json { status, body } => Reply::json(status, body),
        };
    }
    let seg: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let req = Request {
        method: method.as_str(),
        path: &path,
        query: &query,
        low: seg.iter().map(|s| s.to_ascii_lowercase()).collect(),
        seg,
        body: parsed_body.as_ref(),
    };
    let api_version = req.param("api-version").unwrap_or("").to_owned();
    if api_version.is_empty() {
        return arm_error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        );
    }
    let low = req.lowered();
    match low.as_slice() {
        [
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.compute",
            ..,
        ]
        | ["subscriptions", _, "providers", "microsoft.compute", ..] => compute::route(state, &req),
        [
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.storage",
            ..,
        ]
        | ["subscriptions", _, "providers", "microsoft.storage", ..] => storage::route(state, &req),
        [
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.network",
            ..,
        ]
        | ["subscriptions", _, "providers", "microsoft.network", ..] => {
            if let Some(refused) = check_network_version(&api_version) {
                return refused;
            }
            network::route(state, &req, &api_version)
        }
        ["subscriptions", _, "resourcegroups", rg] if req.method == "GET" => {
            if lifecycle::resource_group_exists(state, rg) {
                Reply::json(
                    200,
                    json!({"id": format!("/subscriptions/{}/resourceGroups/{}", req.seg[1], req.seg[3]),
                           "name": req.seg[3], "properties": {"provisioningState": "Succeeded"}}),
                )
            } else {
                rg_not_found(req.seg[3])
            }
        }
        _ => arm_error(
            404,
            "InvalidResourceType",
            "the resource type could not be found",
        ),
    }
}

/// ARM's answer to a Microsoft.Network api-version it does not know: the
/// server knows the stable versions from 2016-09-01 to 2025-07-01.
fn check_network_version(v: &str) -> Option<Reply> {
    let well_formed = v.len() >= 10
        && v.as_bytes()[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let date = v.get(..10).unwrap_or("");
    if well_formed && (OLDEST_API_VERSION..=NEWEST_API_VERSION).contains(&date) {
        return None;
    }
    Some(arm_error(
        400,
        "NoRegisteredProviderFound",
        &format!(
            "No registered resource provider found for location 'westus' and API version '{v}' \
             for type 'networkWatchers'. The supported api-versions are \
             '{OLDEST_API_VERSION}' to '{NEWEST_API_VERSION}'."
        ),
    ))
}

pub(crate) fn not_found(path: &str) -> Reply {
    arm_error(
        404,
        "ResourceNotFound",
        &format!("The Resource '{path}' was not found."),
    )
}

pub(crate) fn rg_not_found(rg: &str) -> Reply {
    arm_error(
        404,
        "ResourceGroupNotFound",
        &format!("Resource group '{rg}' could not be found."),
    )
}
