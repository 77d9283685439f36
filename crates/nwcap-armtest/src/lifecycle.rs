//! The packetCaptures lifecycle after creation: list with `nextLink`
//! pages, the create operation's outcome (the agent must run on the
//! target), queryStatus against the clock, stop, and what happens when a
//! capture stops: its capture files are made ([`crate::capfile`]) and
//! written to the blob at its `storagePath` ([`crate::blob`]) before any
//! answer shows it stopped.

use serde_json::{Value, json};

use crate::compute::{self, AGENT_EXTENSION_NAME, AGENT_PUBLISHER};
use crate::config::{BlobStorage, CLOCK_BASE_UNIX, Os};
use crate::handlers::{Reply, Request};
use crate::model::{Capture, CaptureKey, State, rfc3339};
use crate::{capfile, storage};

pub(crate) fn key(sub: &str, rg: &str, nw: &str, name: &str) -> CaptureKey {
    (
        sub.to_ascii_lowercase(),
        rg.to_ascii_lowercase(),
        nw.to_ascii_lowercase(),
        name.to_ascii_lowercase(),
    )
}

/// Whether a resource group (any case) exists: one of the seeds' groups,
/// or one listed in the configuration.
pub(crate) fn resource_group_exists(state: &State, rg: &str) -> bool {
    let c = &state.config;
    c.vms
        .iter()
        .chain(&c.scale_sets)
        .map(|v| &v.resource_group)
        .chain(c.watchers.iter().map(|w| &w.resource_group))
        .chain(c.storage_accounts.iter().map(|a| &a.resource_group))
        .chain(&c.resource_groups)
        .any(|g| g.eq_ignore_ascii_case(rg))
}

/// The captures of the watcher in `k` (its name part ignored), paged.
pub(crate) fn list_captures(state: &State, k: &CaptureKey, req: &Request<'_>) -> Reply {
    let skip: usize = req
        .param("$skipToken")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let all: Vec<Value> = state
        .captures
        .iter()
        .filter(|(c, _)| c.0 == k.0 && c.1 == k.1 && c.2 == k.2)
        .map(|(_, c)| capture_body(c))
        .collect();
    let size = state.config.page_size.max(1);
    let page: Vec<Value> = all.iter().skip(skip).take(size).cloned().collect();
    let mut body = json!({ "value": page });
    if skip + size < all.len() {
        let api = req.param("api-version").unwrap_or_default();
        body["nextLink"] = Value::String(format!(
            "{}{}?api-version={api}&$skipToken={}",
            state.base_url,
            req.path,
            skip + size
        ));
    }
    Reply::json(200, body)
}

/// The create operation completes: the capture starts, or fails when the
/// Network Watcher agent does not run on the target.
pub(crate) fn complete_create(state: &mut State, k: &CaptureKey) -> Result<(), (String, String)> {
    let now = state.clock.now();
    let Some(target) = state.captures.get(k).map(|c| c.target.clone()) else {
        return Ok(());
    };
    let (os, agent) = match compute::seed_of_id(state, &target) {
        Some((seed, _)) => (seed.os, compute::agent_installed(state, &target, seed)),
        None => (Os::Linux, false),
    };
    let Some(c) = state.captures.get_mut(k) else {
        return Ok(());
    };
    if !agent {
        c.provisioning = "Failed";
        return Err((
            "NetworkWatcherAgentNotInstalled".to_owned(),
            format!(
                "Packet capture requires the Network Watcher agent VM extension \
                 {AGENT_EXTENSION_NAME} ({AGENT_PUBLISHER}/{}), which is not installed on {}.",
                os.agent_type(),
                c.properties["target"].as_str().unwrap_or_default()
            ),
        ));
    }
    c.provisioning = "Succeeded";
    c.started_at = Some(now);
    if os == Os::Linux {
        let loc = &c.properties["storageLocation"];
        let outside = ["filePath", "localPath"].iter().any(|f| {
            loc[*f]
                .as_str()
                .is_some_and(|p| !p.starts_with("/var/captures/"))
        });
        if outside {
            // The agent cannot write outside /var/captures on Linux.
            c.errors.push("LocalFileFailed".to_owned());
        }
    }
    Ok(())
}

/// Stops a running capture for `reason` (a no-op once it has stopped or failed).
pub(crate) fn stop(state: &mut State, k: &CaptureKey, reason: &str) {
    let now = state.clock.now();
    if let Some(c) = state.captures.get_mut(k)
        && c.started_at.is_some()
        && c.stopped.is_none()
        && c.errors.is_empty()
    {
        c.stopped = Some((now, reason.to_owned()));
    }
}

/// The session's length: `timeLimitInSeconds`, or for a continuous
/// capture `captureSettings.sessionTimeLimitInSeconds`.
fn time_limit(props: &Value) -> i64 {
    if props["continuousCapture"].is_boolean() {
        return props["captureSettings"]["sessionTimeLimitInSeconds"]
            .as_i64()
            .unwrap_or(86_400);
    }
    props["timeLimitInSeconds"].as_i64().unwrap_or(18_000)
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

/// The queryStatus result of a capture, as it is now.
pub(crate) fn status_body(c: &Capture) -> Value {
    let (status, reason, errors): (&str, Option<&str>, Vec<String>) = if c.provisioning == "Failed"
    {
        ("Error", None, vec!["InternalError".to_owned()])
    } else if !c.errors.is_empty() {
        ("Error", None, c.errors.clone())
    } else {
        match (c.started_at, &c.stopped) {
            (None, _) => ("NotStarted", None, vec![]),
            (Some(_), Some((_, r))) => ("Stopped", Some(r.as_str()), vec![]),
            (Some(_), None) => ("Running", None, vec![]),
        }
    };
    let mut body = json!({
        "name": c.name,
        "id": c.id,
        "packetCaptureStatus": status,
        "packetCaptureError": errors,
    });
    if let Some(start) = c.started_at {
        body["captureStartTime"] = Value::String(rfc3339(CLOCK_BASE_UNIX + start));
    }
    if let Some(r) = reason {
        body["stopReason"] = Value::String(r.to_owned());
    }
    body
}

/// Files to write for a capture that stopped: blob URLs (no query) and bytes.
#[derive(Debug)]
pub(crate) struct UploadJob {
    pub key: CaptureKey,
    pub files: Vec<(String, Vec<u8>)>,
    pub storage: BlobStorage,
}

/// Lets the clock act: captures past their time limit stop
/// (`TimeExceeded`, at the moment the limit was reached), and each capture
/// that stopped gets its files made, once. Files are only made when a blob
/// service is configured; a capture whose storage it cannot reach fails
/// with `StorageFailed`.
pub(crate) fn due_files(state: &mut State) -> Vec<UploadJob> {
    let now = state.clock.now();
    for c in state.captures.values_mut() {
        if let (Some(start), None, true) = (c.started_at, &c.stopped, c.errors.is_empty()) {
            let end = start.saturating_add(time_limit(&c.properties));
            if now >= end {
                c.stopped = Some((end, "TimeExceeded".to_owned()));
            }
        }
    }
    let due: Vec<CaptureKey> = state
        .captures
        .iter()
        .filter(|(_, c)| c.stopped.is_some() && !c.finalized && c.errors.is_empty())
        .map(|(k, _)| k.clone())
        .collect();
    due.into_iter().filter_map(|k| finalize(state, k)).collect()
}

fn finalize(state: &mut State, k: CaptureKey) -> Option<UploadJob> {
    let storage = state.config.storage.clone();
    let down = state.storage_down;
    let c = state.captures.get_mut(&k)?;
    c.finalized = true;
    let storage = storage?;
    let loc = c.properties["storageLocation"].clone();
    let account = loc["storageId"].as_str()?.rsplit('/').next()?.to_owned();
    let path = loc["storagePath"].as_str().unwrap_or_default().to_owned();
    let reachable = account.eq_ignore_ascii_case(&storage.account)
        && path.starts_with(&format!("{}/", storage.endpoint.trim_end_matches('/')));
    if down || !reachable {
        c.errors.push("StorageFailed".to_owned());
        return None;
    }
    let c = state.captures.get(&k)?;
    let (seed, scale_set) = compute::seed_of_id(state, &c.target)?;
    let (start, (end, _)) = (c.started_at?, c.stopped.clone()?);
    let source = state
        .config
        .capture_source
        .as_deref()
        .unwrap_or(capfile::SAMPLE);
    let instances = if scale_set {
        capfile::instances(&c.properties["scope"], seed.instances)
    } else {
        vec![None]
    };
    let prefix_form = scale_set || c.properties["continuousCapture"].is_boolean();
    let mut files = Vec::new();
    for inst in instances {
        let spec = capfile::ShapeSpec::new(
            &c.properties,
            seed.address,
            CLOCK_BASE_UNIX + start,
            end - start,
            inst.map(|i| (i, seed.instances)),
        );
        let shaped = match capfile::shape(source, &spec) {
            Ok(f) => f,
            Err(_) => {
                let c = state.captures.get_mut(&k)?;
                c.errors.push("CaptureFailed".to_owned());
                return None;
            }
        };
        for (n, bytes) in shaped.into_iter().enumerate() {
            let url = if prefix_form {
                let source_name = match inst {
                    Some(i) => format!("{}_{i}", seed.name),
                    None => seed.name.clone(),
                };
                format!("{}/{source_name}_{n:03}.cap", path.trim_end_matches('/'))
            } else {
                path.clone()
            };
            files.push((url, bytes));
        }
    }
    Some(UploadJob {
        key: k,
        files,
        storage,
    })
}

/// Records the outcome of an upload: the files written, or `StorageFailed`.
pub(crate) fn file_written(state: &mut State, job: &UploadJob, result: Result<(), String>) {
    if let Some(c) = state.captures.get_mut(&job.key) {
        match result {
            Ok(()) => c.files.extend(job.files.iter().map(|(u, _)| u.clone())),
            Err(_) => c.errors.push("StorageFailed".to_owned()),
        }
    }
}

/// Fills what the service fills when a parameter is absent; the blob of a
/// capture to a storage account is under `network-watcher-logs`, at the
/// target's path and the start time (a prefix for scale sets and
/// continuous captures, which write several files).
pub(crate) fn fill_defaults(
    state: &State,
    props: &mut serde_json::Map<String, Value>,
    sub: &str,
    prefix_form: bool,
    now: i64,
) {
    let target = props
        .get("target")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    props.entry("bytesToCapturePerPacket").or_insert(json!(0));
    props
        .entry("totalBytesPerSession")
        .or_insert(json!(1_073_741_824u64));
    props.entry("timeLimitInSeconds").or_insert(json!(18_000));
    props.entry("filters").or_insert(json!([]));
    if props
        .get("continuousCapture")
        .is_some_and(Value::is_boolean)
    {
        let settings = props.entry("captureSettings").or_insert(json!({}));
        if let Some(s) = settings.as_object_mut() {
            s.entry("fileCount").or_insert(json!(10));
            s.entry("fileSizeInBytes").or_insert(json!(104_857_600));
            s.entry("sessionTimeLimitInSeconds")
                .or_insert(json!(86_400));
        }
    }
    let storage = props.entry("storageLocation").or_insert(json!({}));
    if let Some(storage_obj) = storage.as_object_mut()
        && let Some(account) = storage_obj
            .get("storageId")
            .and_then(Value::as_str)
            .and_then(|id| id.rsplit('/').next())
            .map(str::to_owned)
        && !storage_obj.contains_key("storagePath")
    {
        let when = rfc3339(CLOCK_BASE_UNIX + now);
        let (date, clock) = when.split_once('T').unwrap_or(("1970-01-01", "00:00:00Z"));
        let target_path = target.trim_start_matches('/').to_ascii_lowercase();
        let target_path = target_path
            .split_once("resourcegroups")
            .map(|(_, rest)| format!("resourcegroups{rest}"))
            .unwrap_or(target_path);
        let stem = format!(
            "{}network-watcher-logs/subscriptions/{sub}/{target_path}/{}/packetcapture_{}_000",
            storage::blob_endpoint(state, &account),
            date.replace('-', "/"),
            clock.trim_end_matches('Z').replace(':', "_")
        );
        let path = if prefix_form {
            stem
        } else {
            format!("{stem}.cap")
        };
        storage_obj.insert("storagePath".into(), Value::String(path));
    }
}
