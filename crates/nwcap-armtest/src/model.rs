//! The server's state: seeded VMs, scale sets and watchers, the captures
//! created through it, pending operations, the test clock, recorded requests
//! and injected faults.
//!
//! Everything sits behind one mutex: the server answers one test at a time
//! and simplicity beats throughput here.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde_json::Value;

/// Unix time of the test clock's zero: 2025-07-01T12:00:00Z.
pub const CLOCK_BASE_UNIX: i64 = 1_751_371_200;

/// A seeded VM, scale set or network watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedResource {
    /// Resource group.
    pub resource_group: String,
    /// Name.
    pub name: String,
    /// Region.
    pub location: String,
}

impl SeedResource {
    /// A seed.
    pub fn new(resource_group: &str, name: &str, location: &str) -> Self {
        Self {
            resource_group: resource_group.to_owned(),
            name: name.to_owned(),
            location: location.to_owned(),
        }
    }
}

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

#[derive(Debug, Clone)]
pub(crate) struct Capture {
    pub id: String,
    pub name: String,
    pub properties: Value,
    pub provisioning: &'static str,
    pub started_at: Option<i64>,
    pub stopped: Option<String>,
    pub etag: u64,
    pub target_missing: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum OpKind {
    Create(CaptureKey),
    Stop(CaptureKey),
    Delete(CaptureKey),
}

#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub kind: OpKind,
    pub polls_left: u32,
    pub done: bool,
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// When set, requests must carry `Authorization: Bearer <this>`.
    pub required_token: Option<String>,
    /// "InProgress" answers before an operation completes.
    pub lro_polls: u32,
    /// `Retry-After` on operation responses (seconds).
    pub retry_after_secs: u32,
    /// Items per list page (`nextLink` beyond).
    pub page_size: usize,
    /// Virtual machines (in every subscription).
    pub vms: Vec<SeedResource>,
    /// Scale sets.
    pub scale_sets: Vec<SeedResource>,
    /// Network watchers.
    pub watchers: Vec<SeedResource>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            required_token: None,
            lro_polls: 1,
            retry_after_secs: 0,
            page_size: 50,
            vms: vec![
                SeedResource::new("rg2", "vm1", "westus"),
                SeedResource::new("rg2", "vm2", "eastus"),
            ],
            scale_sets: vec![SeedResource::new("rg2", "vmss1", "westus")],
            watchers: vec![
                SeedResource::new("NetworkWatcherRG", "NetworkWatcher_westus", "westus"),
                SeedResource::new("NetworkWatcherRG", "NetworkWatcher_eastus", "eastus"),
            ],
        }
    }
}

#[derive(Debug)]
pub(crate) struct State {
    pub config: ServerConfig,
    pub base_url: String,
    pub clock: i64,
    pub captures: BTreeMap<CaptureKey, Capture>,
    pub operations: HashMap<String, Operation>,
    pub requests: Vec<RecordedRequest>,
    pub faults: VecDeque<Fault>,
    pub counter: u64,
}

impl State {
    pub fn new(config: ServerConfig, base_url: String) -> Self {
        Self {
            config,
            base_url,
            clock: 0,
            captures: BTreeMap::new(),
            operations: HashMap::new(),
            requests: Vec::new(),
            faults: VecDeque::new(),
            counter: 0,
        }
    }

    pub fn next_id(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// The test clock as unix seconds.
    pub fn now_unix(&self) -> i64 {
        CLOCK_BASE_UNIX + self.clock
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
