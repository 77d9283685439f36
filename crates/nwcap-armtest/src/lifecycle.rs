//! The packetCaptures lifecycle: create (201 + Azure-AsyncOperation),
//! list with `nextLink` pages, queryStatus against the test clock, stop and
//! delete (202 + Location), and the operation polls that complete them.

use serde_json::{Map, Value, json};

use crate::handlers::{Reply, arm_error, key, not_found};
use crate::model::{Capture, CaptureKey, OpKind, Operation, SeedResource, State, rfc3339};

pub(crate) fn list_captures(
    state: &State,
    sub: &str,
    rg: &str,
    nw: &str,
    path: &str,
    query: &str,
) -> Reply {
    let skip: usize = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("$skipToken="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let all: Vec<Value> = state
        .captures
        .iter()
        .filter(|(k, _)| {
            k.0 == sub.to_ascii_lowercase()
                && k.1 == rg.to_ascii_lowercase()
                && k.2 == nw.to_ascii_lowercase()
        })
        .map(|(_, c)| capture_body(c))
        .collect();
    let size = state.config.page_size.max(1);
    let page: Vec<Value> = all.iter().skip(skip).take(size).cloned().collect();
    let mut body = json!({ "value": page });
    if skip + size < all.len() {
        let api = query
            .split('&')
            .find(|kv| kv.starts_with("api-version="))
            .unwrap_or("api-version=");
        body["nextLink"] = Value::String(format!(
            "{}{path}?{api}&$skipToken={}",
            state.base_url,
            skip + size
        ));
    }
    Reply::json(200, body)
}

pub(crate) fn create_capture(
    state: &mut State,
    sub: &str,
    watcher: &SeedResource,
    name: &str,
    path: &str,
    body: Option<&Value>,
) -> Reply {
    let Some(props) = body
        .and_then(|b| b.get("properties"))
        .and_then(Value::as_object)
    else {
        return arm_error(
            400,
            "InvalidRequestFormat",
            "Cannot parse the request: missing properties.",
        );
    };
    let Some(target) = props.get("target").and_then(Value::as_str) else {
        return arm_error(
            400,
            "InvalidRequestFormat",
            "Cannot parse the request: missing target.",
        );
    };
    if props
        .get("timeLimitInSeconds")
        .and_then(Value::as_u64)
        .is_some_and(|t| t > 18_000)
    {
        return arm_error(
            400,
            "InvalidRequestFormat",
            "timeLimitInSeconds must be between 0 and 18000.",
        );
    }
    let target_name = target.rsplit('/').next().unwrap_or("");
    let target_missing = !state
        .config
        .vms
        .iter()
        .chain(state.config.scale_sets.iter())
        .any(|v| v.name.eq_ignore_ascii_case(target_name));
    let mut props = props.clone();
    props.remove("provisioningState");
    fill_defaults(&mut props, sub, target, state.now_unix());
    let k = key(sub, &watcher.resource_group, &watcher.name, name);
    let etag = state.next_id();
    let capture = Capture {
        id: path.to_owned(),
        name: name.to_owned(),
        properties: Value::Object(props),
        provisioning: "Updating",
        started_at: None,
        stopped: None,
        etag,
        target_missing,
    };
    state.captures.insert(k.clone(), capture.clone());
    let op = format!("{:08x}-0000-4000-8000-{:012x}", etag, etag);
    state.operations.insert(
        op.clone(),
        Operation {
            kind: OpKind::Create(k),
            polls_left: state.config.lro_polls,
            done: false,
        },
    );
    let location = watcher.location.to_ascii_lowercase();
    let async_url = format!(
        "{}/subscriptions/{sub}/providers/Microsoft.Network/locations/{location}/operations/{op}?api-version=2025-07-01",
        state.base_url
    );
    Reply::json(201, capture_body(&capture))
        .header("azure-asyncoperation", async_url)
        .header("retry-after", state.config.retry_after_secs.to_string())
}

/// Fills what ARM fills when a parameter is absent.
pub(crate) fn fill_defaults(props: &mut Map<String, Value>, sub: &str, target: &str, now: i64) {
    props.entry("bytesToCapturePerPacket").or_insert(json!(0));
    props
        .entry("totalBytesPerSession")
        .or_insert(json!(1_073_741_824u64));
    props.entry("timeLimitInSeconds").or_insert(json!(18_000));
    props.entry("filters").or_insert(json!([]));
    let storage = props.entry("storageLocation").or_insert(json!({}));
    if let Some(storage) = storage.as_object_mut()
        && let Some(account) = storage
            .get("storageId")
            .and_then(Value::as_str)
            .and_then(|id| id.rsplit('/').next())
            .map(str::to_owned)
        && !storage.contains_key("storagePath")
    {
        let when = rfc3339(now);
        let (date, clock) = when.split_once('T').unwrap_or(("1970-01-01", "00:00:00Z"));
        let target_path = target.trim_start_matches('/').to_ascii_lowercase();
        let target_path = target_path
            .split_once("resourcegroups")
            .map(|(_, rest)| format!("resourcegroups{rest}"))
            .unwrap_or(target_path);
        storage.insert(
            "storagePath".into(),
            Value::String(format!(
                "https://{account}.blob.core.windows.net/network-watcher-logs/subscriptions/{sub}/{target_path}/{}/packetcapture_{}_000.cap",
                date.replace('-', "/"),
                clock.trim_end_matches('Z').replace(':', "_")
            )),
        );
    }
}

pub(crate) fn capture_body(c: &Capture) -> Value {
    let mut props = c.properties.clone();
    if let Some(obj) = props.as_object_mut() {
        obj.insert(
            "provisioningState".into(),
            Value::String(c.provisioning.into()),
        );
    }
    json!({
        "name": c.name,
        "id": c.id,
        "etag": format!("W/\"00000000-0000-0000-0000-{:012x}\"", c.etag),
        "properties": props,
    })
}

pub(crate) fn status_body(state: &mut State, key: &CaptureKey, c: &Capture) -> Value {
    let now = state.clock;
    let limit = c
        .properties
        .get("timeLimitInSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(18_000);
    let (status, reason, errors): (&str, Option<String>, Vec<&str>) =
        match (c.provisioning, c.started_at) {
            ("Failed", _) => ("Error", None, vec!["InternalError"]),
            (_, None) => ("NotStarted", None, vec![]),
            (_, Some(start)) => match &c.stopped {
                Some(r) => ("Stopped", Some(r.clone()), vec![]),
                None if now >= start + limit => {
                    if let Some(c) = state.captures.get_mut(key) {
                        c.stopped = Some("TimeExceeded".into());
                    }
                    ("Stopped", Some("TimeExceeded".into()), vec![])
                }
                None => ("Running", None, vec![]),
            },
        };
    let mut body = json!({
        "name": c.name,
        "id": c.id,
        "packetCaptureStatus": status,
        "packetCaptureError": errors,
    });
    if let Some(start) = c.started_at {
        body["captureStartTime"] = Value::String(rfc3339(crate::model::CLOCK_BASE_UNIX + start));
    }
    if let Some(r) = reason {
        body["stopReason"] = Value::String(r);
    }
    body
}

pub(crate) fn start_operation(
    state: &mut State,
    sub: &str,
    rg: &str,
    nw: &str,
    kind: OpKind,
) -> Reply {
    let n = state.next_id();
    let op = format!("{n:016x}");
    state.operations.insert(
        op.clone(),
        Operation {
            kind,
            polls_left: state.config.lro_polls,
            done: false,
        },
    );
    let location = format!(
        "{}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/networkWatchers/{nw}/operationResults/{op}?api-version=2025-07-01",
        state.base_url
    );
    Reply::empty(202)
        .header("location", location)
        .header("retry-after", state.config.retry_after_secs.to_string())
}

/// Advances an operation by one poll; true when it has completed.
pub(crate) fn step(state: &mut State, id: &str) -> Option<Result<bool, (String, String)>> {
    let op = state.operations.get_mut(id)?;
    if op.done {
        return Some(Ok(true));
    }
    if op.polls_left > 0 {
        op.polls_left -= 1;
        return Some(Ok(false));
    }
    op.done = true;
    let kind = op.kind.clone();
    let now = state.clock;
    Some(match kind {
        OpKind::Create(k) => match state.captures.get_mut(&k) {
            Some(c) if c.target_missing => {
                c.provisioning = "Failed";
                Err((
                    "TargetNotFound".to_owned(),
                    "The target virtual machine or scale set was not found.".to_owned(),
                ))
            }
            Some(c) => {
                c.provisioning = "Succeeded";
                c.started_at = Some(now);
                Ok(true)
            }
            None => Ok(true),
        },
        OpKind::Stop(k) => {
            if let Some(c) = state.captures.get_mut(&k)
                && c.stopped.is_none()
            {
                c.stopped = Some("Manual".into());
            }
            Ok(true)
        }
        OpKind::Delete(k) => {
            state.captures.remove(&k);
            Ok(true)
        }
    })
}

pub(crate) fn async_operation(state: &mut State, id: &str) -> Reply {
    let retry = state.config.retry_after_secs.to_string();
    match step(state, id) {
        None => not_found(id),
        Some(Ok(true)) => Reply::json(200, json!({"status": "Succeeded"})),
        Some(Ok(false)) => {
            Reply::json(200, json!({"status": "InProgress"})).header("retry-after", retry)
        }
        Some(Err((code, message))) => Reply::json(
            200,
            json!({"status": "Failed", "error": {"code": code, "message": message}}),
        ),
    }
}

pub(crate) fn operation_result(state: &mut State, id: &str) -> Reply {
    let retry = state.config.retry_after_secs.to_string();
    let self_url = |state: &State| {
        state
            .requests
            .last()
            .map(|r| format!("{}{}?{}", state.base_url, r.path, r.query))
            .unwrap_or_default()
    };
    match step(state, id) {
        None => not_found(id),
        Some(Ok(true)) => Reply::empty(200),
        Some(Ok(false)) => {
            let url = self_url(state);
            Reply::empty(202)
                .header("location", url)
                .header("retry-after", retry)
        }
        Some(Err((code, message))) => arm_error(500, &code, &message),
    }
}
