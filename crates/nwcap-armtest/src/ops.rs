//! Long-running operations, as the spec declares them: create answers
//! `Azure-AsyncOperation` (polled until `Succeeded` or `Failed`), stop,
//! delete and an asynchronous queryStatus answer 202 with `Location`
//! (polled until it stops answering 202). Installing the agent extension
//! is a Microsoft.Compute operation with `Azure-AsyncOperation`. Each
//! operation answers "in progress" `lro_polls` times, then completes.

use serde_json::{Value, json};

use crate::handlers::{Reply, arm_error, not_found};
use crate::lifecycle;
use crate::model::{OpKind, Operation, State};

/// Registers an operation; its id.
pub(crate) fn register(state: &mut State, kind: OpKind) -> String {
    let n = state.next_id();
    let id = format!("{n:08x}-0000-4000-8000-{n:012x}");
    let polls_left = state.config.lro_polls;
    state.operations.insert(
        id.clone(),
        Operation {
            kind,
            polls_left,
            done: false,
        },
    );
    id
}

/// The `Azure-AsyncOperation` URL of an operation of `provider` in `location`.
pub(crate) fn async_url(
    state: &State,
    sub: &str,
    provider: &str,
    location: &str,
    id: &str,
) -> String {
    format!(
        "{}/subscriptions/{sub}/providers/{provider}/locations/{}/operations/{id}?api-version={}",
        state.base_url,
        location.to_ascii_lowercase(),
        if provider == "Microsoft.Compute" {
            "2024-07-01"
        } else {
            crate::config::NEWEST_API_VERSION
        }
    )
}

/// 202 with `Location` on the watcher's `operationResults`.
pub(crate) fn start_location_operation(
    state: &mut State,
    (sub, rg, nw): (&str, &str, &str),
    kind: OpKind,
) -> Reply {
    let id = register(state, kind);
    let location = format!(
        "{}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/networkWatchers/{nw}/operationResults/{id}?api-version={}",
        state.base_url,
        crate::config::NEWEST_API_VERSION
    );
    Reply::empty(202)
        .header("location", location)
        .header("retry-after", state.config.retry_after_secs.to_string())
}

/// What one poll of an operation found.
enum Step {
    Pending,
    Done(Option<Value>),
    Failed(String, String),
}

/// Completes the operations on the captures of watcher `k` (its name part
/// ignored when `whole_watcher`) that nobody polled: an operation runs by
/// itself in the service, so a client that did not wait (`--no-wait`)
/// sees its effect when it next reads the capture.
pub(crate) fn settle(state: &mut State, k: &crate::model::CaptureKey, whole_watcher: bool) {
    let same = |c: &crate::model::CaptureKey| {
        c.0 == k.0 && c.1 == k.1 && c.2 == k.2 && (whole_watcher || c.3 == k.3)
    };
    let pending: Vec<String> = state
        .operations
        .iter()
        .filter(|(_, op)| !op.done)
        .filter(|(_, op)| match &op.kind {
            OpKind::Create(c) | OpKind::Stop(c) | OpKind::Delete(c) => same(c),
            _ => false,
        })
        .map(|(id, _)| id.clone())
        .collect();
    for id in pending {
        if let Some(op) = state.operations.get_mut(&id) {
            op.polls_left = 0;
        }
        let _ = step(state, &id);
    }
}

/// Advances an operation by one poll.
fn step(state: &mut State, id: &str) -> Option<Step> {
    let op = state.operations.get_mut(id)?;
    if op.done {
        return Some(match &op.kind {
            OpKind::Status(body) => Step::Done(Some(body.clone())),
            _ => Step::Done(None),
        });
    }
    if op.polls_left > 0 {
        op.polls_left -= 1;
        return Some(Step::Pending);
    }
    op.done = true;
    let kind = op.kind.clone();
    Some(match kind {
        OpKind::Create(k) => match lifecycle::complete_create(state, &k) {
            Ok(()) => Step::Done(None),
            Err((code, message)) => Step::Failed(code, message),
        },
        OpKind::Stop(k) => {
            lifecycle::stop(state, &k, "Manual");
            Step::Done(None)
        }
        OpKind::Delete(k) => {
            state.captures.remove(&k);
            Step::Done(None)
        }
        OpKind::InstallAgent(target) => {
            state.agents.insert(target, true);
            Step::Done(None)
        }
        OpKind::Status(body) => Step::Done(Some(body)),
    })
}

/// `GET .../locations/{loc}/operations/{id}`: the operation's status.
pub(crate) fn async_operation(state: &mut State, id: &str) -> Reply {
    let retry = state.config.retry_after_secs.to_string();
    match step(state, id) {
        None => not_found(id),
        Some(Step::Done(_)) => Reply::json(200, json!({"status": "Succeeded"})),
        Some(Step::Pending) => {
            Reply::json(200, json!({"status": "InProgress"})).header("retry-after", retry)
        }
        Some(Step::Failed(code, message)) => Reply::json(
            200,
            json!({"status": "Failed", "error": {"code": code, "message": message}}),
        ),
    }
}

/// `GET .../operationResults/{id}`: 202 while running, then the result.
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
        Some(Step::Done(Some(body))) => Reply::json(200, body),
        Some(Step::Done(None)) => Reply::empty(200),
        Some(Step::Pending) => {
            let url = self_url(state);
            Reply::empty(202)
                .header("location", url)
                .header("retry-after", retry)
        }
        Some(Step::Failed(code, message)) => arm_error(500, &code, &message),
    }
}
