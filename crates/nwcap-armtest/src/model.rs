//! The server's state: the captures created through it, pending
//! operations, the agents' state, the clock, recorded requests and
//! injected faults.
//!
//! Everything sits behind one mutex: the server answers one request at a
//! time and simplicity beats throughput here.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Instant;

use serde_json::Value;

use crate::config::ServerConfig;

/// What an injected fault answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// 429 with `Retry-After: secs`.
    TooManyRequests {
        /// Seconds in `Retry-After`.
        retry_after_secs: u32,
    },
    /// 500 with an ARM error body.
    ServerError,
    /// 200 with a truncated JSON body.
    MalformedBody,
    /// Any status with any JSON body (an ARM error with `details`, a
    /// failed operation status...).
    Json {
        /// HTTP status.
        status: u16,
        /// The body.
        body: Value,
    },
    /// Any status with an ARM error body.
    Error {
        /// HTTP status.
        status: u16,
        /// ARM error code.
        code: String,
        /// ARM error message.
        message: String,
    },
}

/// A fault answered instead of the real response by the next `times`
/// requests that match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// What to answer.
    pub kind: FaultKind,
    /// Only requests with this method (e.g. `PUT`); any when `None`.
    pub method: Option<String>,
    /// Only requests whose path contains this (case-insensitive); any when `None`.
    pub path_contains: Option<String>,
    /// How many requests it hits.
    pub times: u32,
}

impl Fault {
    /// A fault for the next request of any kind.
    pub fn once(kind: FaultKind) -> Self {
        Self {
            kind,
            method: None,
            path_contains: None,
            times: 1,
        }
    }

    /// Restricts the fault to one method.
    pub fn on_method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Restricts the fault to paths containing `part`.
    pub fn on_path(mut self, part: &str) -> Self {
        self.path_contains = Some(part.to_ascii_lowercase());
        self
    }

    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.to_ascii_lowercase().contains(p))
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Query string (without `?`).
    pub query: String,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The body as JSON (a JSON string when it was not JSON); `None` when empty.
    pub body: Option<Value>,
}

/// Key of a capture: subscription, resource group, watcher, name (lowercase).
pub(crate) type CaptureKey = (String, String, String, String);

/// One capture session.
#[derive(Debug, Clone)]
pub(crate) struct Capture {
    pub id: String,
    pub name: String,
    /// `properties` as stored (defaults filled, fields the api-version
    /// lacks dropped).
    pub properties: Value,
    pub provisioning: &'static str,
    /// Server time the capture started (create completed).
    pub started_at: Option<i64>,
    /// Server time it stopped, and why.
    pub stopped: Option<(i64, String)>,
    /// `packetCaptureError` entries; any makes the status Error.
    pub errors: Vec<String>,
    /// Whether its files were made (or their making failed).
    pub finalized: bool,
    /// Blob URLs of the files written for it.
    pub files: Vec<String>,
    pub etag: u64,
    /// Lowercase id of the target VM or scale set.
    pub target: String,
}

#[derive(Debug, Clone)]
pub(crate) enum OpKind {
    Create(CaptureKey),
    Stop(CaptureKey),
    Delete(CaptureKey),
    /// Install the agent extension on a VM or scale set (lowercase id).
    InstallAgent(String),
    /// queryStatus computed asynchronously: the body is ready.
    Status(Value),
}

#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub kind: OpKind,
    pub polls_left: u32,
    pub done: bool,
}

/// The test clock: seconds since `CLOCK_BASE_UNIX`, moved by hand
/// ([`Clock::advance`]) and, with a time scale, by real time.
#[derive(Debug)]
pub(crate) struct Clock {
    manual: i64,
    scale: f64,
    started: Instant,
}

impl Clock {
    pub fn new(scale: f64) -> Self {
        Self {
            manual: 0,
            scale: if scale.is_finite() && scale > 0.0 {
                scale
            } else {
                0.0
            },
            started: Instant::now(),
        }
    }

    /// Whole seconds since the clock's zero.
    pub fn now(&self) -> i64 {
        let scaled = self.started.elapsed().as_secs_f64() * self.scale;
        self.manual.saturating_add(scaled as i64)
    }

    pub fn advance(&mut self, seconds: i64) {
        self.manual = self.manual.saturating_add(seconds);
    }
}

#[derive(Debug)]
pub(crate) struct State {
    pub config: ServerConfig,
    pub base_url: String,
    pub clock: Clock,
    pub captures: BTreeMap<CaptureKey, Capture>,
    pub operations: HashMap<String, Operation>,
    /// Lowercase VM / scale set id -> agent installed (and running).
    pub agents: HashMap<String, bool>,
    pub requests: Vec<RecordedRequest>,
    pub faults: VecDeque<Fault>,
    /// Storage uploads fail (StorageFailed) while set.
    pub storage_down: bool,
    pub counter: u64,
}

impl State {
    pub fn new(config: ServerConfig, base_url: String) -> Self {
        let clock = Clock::new(config.time_scale);
        Self {
            config,
            base_url,
            clock,
            captures: BTreeMap::new(),
            operations: HashMap::new(),
            agents: HashMap::new(),
            requests: Vec::new(),
            faults: VecDeque::new(),
            storage_down: false,
            counter: 0,
        }
    }

    pub fn next_id(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// Takes the first fault matching the request, if any.
    pub fn take_fault(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        let idx = self.faults.iter().position(|f| f.matches(method, path))?;
        let fault = self.faults.get_mut(idx)?;
        let kind = fault.kind.clone();
        fault.times = fault.times.saturating_sub(1);
        if fault.times == 0 {
            self.faults.remove(idx);
        }
        Some(kind)
    }
}

/// RFC 3339 text of a unix time.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
