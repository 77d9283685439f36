//! A local stand-in for Azure Resource Manager: the Network Watcher packet
//! capture API and what it relies on, for tests and for trying the whole
//! workflow offline (`nwcap-armtest serve`, paired with Azurite).
//!
//! No cloud is reachable from tests, so this server implements what the
//! public REST API spec and its examples describe, on a loopback port:
//!
//! - **packetCaptures** ([`create`], [`lifecycle`]): PUT checks the spec's
//!   rules and answers ARM errors with `details[]`, 409 on a name in use (or
//!   replaces, [`OnExistingName`]), a per-region session limit, then 201
//!   `Updating` with an `Azure-AsyncOperation` that reports `InProgress`
//!   then `Succeeded`, or `Failed` when the Network Watcher agent is not on
//!   the target; queryStatus (200, or 202 with `Location`) says `Running`
//!   until the session's time limit has passed on the server's clock, then
//!   `Stopped` / `TimeExceeded`, or `Error` with `AgentStopped`,
//!   `LocalFileFailed`, `StorageFailed`; stop and delete answer 202 with
//!   `Location`; api-versions are checked and properties an older version
//!   lacks are dropped, as ARM does.
//! - **the agent** ([`compute`]): VMs and scale sets with their OS and
//!   extensions; installing `NetworkWatcherAgentLinux`/`Windows` is a
//!   long-running operation.
//! - **storage accounts** ([`storage`]) and **network watchers**
//!   ([`network`]), listed and read.
//! - **capture files** ([`capfile`], [`blob`]): when a session stops, a
//!   real capture file (a replay of `testdata/sample.pcap` shaped by the
//!   session's filters, byte limits and length) is written to the blob at
//!   its `storagePath`, when a blob service is configured.
//!
//! The clock starts at [`CLOCK_BASE_UNIX`] and moves when a test advances
//! it, and with [`ServerConfig::time_scale`] also with real time, so a
//! command run through the binary sees a capture reach `TimeExceeded`.
//! Every request is recorded (for asserting exact bodies), and faults
//! (429, 500, malformed bodies, any ARM error) can be injected.
//!
//! It runs on its own thread with its own runtime, so blocking tests (that
//! spawn the `nwcap` binary) and async tests use it alike. Dropping it stops it.

mod blob;
mod capfile;
mod compute;
mod config;
mod create;
mod handlers;
mod lifecycle;
mod model;
mod network;
mod ops;
mod rules;
mod storage;

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

pub use capfile::SAMPLE;
pub use compute::{AGENT_EXTENSION_NAME, AGENT_PUBLISHER};
pub use config::{
    BlobStorage, CLOCK_BASE_UNIX, NEWEST_API_VERSION, OLDEST_API_VERSION, OnExistingName, Os,
    SeedResource, SeedVm, ServerConfig,
};
pub use model::{Fault, FaultKind, RecordedRequest, rfc3339};

/// Subscription id used by the tests (any id works).
pub const TEST_SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";

/// A running server. Stops when dropped.
#[derive(Debug)]
pub struct ArmTestServer {
    addr: SocketAddr,
    state: Arc<Mutex<model::State>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ArmTestServer {
    /// Starts a server with the default seeds on 127.0.0.1 (a free port).
    pub fn start() -> std::io::Result<Self> {
        Self::with_config(ServerConfig::default())
    }

    /// Starts a server with `config` on 127.0.0.1 (a free port).
    pub fn with_config(config: ServerConfig) -> std::io::Result<Self> {
        Self::bind(config, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Starts a server with `config` on `addr`.
    pub fn bind(config: ServerConfig, addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(model::State::new(
            config,
            format!("http://{addr}"),
        )));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name("arm-test-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let app = axum::Router::new()
                        .fallback(handlers::handle)
                        .with_state(shared);
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = rx.await;
                        })
                        .await;
                });
            })?;
        Ok(Self {
            addr,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    fn state(&self) -> MutexGuard<'_, model::State> {
        handlers::lock(&self.state)
    }

    /// `http://127.0.0.1:PORT`, to pass as the ARM endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Moves the clock forward.
    pub fn advance_clock(&self, seconds: i64) {
        self.state().clock.advance(seconds);
    }

    /// Seconds since the clock's zero ([`CLOCK_BASE_UNIX`]).
    pub fn clock(&self) -> i64 {
        self.state().clock.now()
    }

    /// Queues a fault.
    pub fn inject(&self, fault: Fault) {
        self.state().faults.push_back(fault);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.state().requests.clear();
    }

    /// Names of the captures that exist now.
    pub fn capture_names(&self) -> Vec<String> {
        self.state()
            .captures
            .values()
            .map(|c| c.name.clone())
            .collect()
    }

    /// Blob URLs of the files written for capture `name`.
    pub fn capture_files(&self, name: &str) -> Vec<String> {
        self.state()
            .captures
            .values()
            .filter(|c| c.name.eq_ignore_ascii_case(name))
            .flat_map(|c| c.files.clone())
            .collect()
    }

    /// Makes capture `name` fail with `error` (a `packetCaptureError`
    /// value: `AgentStopped`, `CaptureFailed`, `InternalError`...).
    pub fn fail_capture(&self, name: &str, error: &str) {
        for c in self.state().captures.values_mut() {
            if c.name.eq_ignore_ascii_case(name) {
                c.errors.push(error.to_owned());
            }
        }
    }

    /// The Network Watcher agent stops on the VM or scale set named
    /// `target`: its running captures end in `AgentStopped`, and new ones
    /// fail to start until the agent is installed again.
    pub fn stop_agent(&self, target: &str) {
        let mut state = self.state();
        let suffix = format!("/{}", target.to_ascii_lowercase());
        let ids: Vec<String> = state
            .config
            .vms
            .iter()
            .map(|v| (v, "virtualmachines"))
            .chain(
                state
                    .config
                    .scale_sets
                    .iter()
                    .map(|v| (v, "virtualmachinescalesets")),
            )
            .filter(|(v, _)| v.name.eq_ignore_ascii_case(target))
            .map(|(v, kind)| {
                format!(
                    "/subscriptions/{}/resourcegroups/{}/providers/microsoft.compute/{kind}/{}",
                    TEST_SUBSCRIPTION,
                    v.resource_group.to_ascii_lowercase(),
                    v.name.to_ascii_lowercase()
                )
            })
            .collect();
        for id in ids {
            state.agents.insert(id, false);
        }
        for c in state.captures.values_mut() {
            if c.target.ends_with(&suffix) && c.started_at.is_some() && c.stopped.is_none() {
                c.errors.push("AgentStopped".to_owned());
            }
        }
    }

    /// Whether the agent runs on the VM or scale set named `target` (in
    /// [`TEST_SUBSCRIPTION`]).
    pub fn agent_installed(&self, target: &str) -> bool {
        let state = self.state();
        let found = state
            .config
            .vms
            .iter()
            .map(|v| (v, "virtualmachines"))
            .chain(
                state
                    .config
                    .scale_sets
                    .iter()
                    .map(|v| (v, "virtualmachinescalesets")),
            )
            .find(|(v, _)| v.name.eq_ignore_ascii_case(target));
        found.is_some_and(|(v, kind)| {
            let id = format!(
                "/subscriptions/{}/resourcegroups/{}/providers/microsoft.compute/{kind}/{}",
                TEST_SUBSCRIPTION,
                v.resource_group.to_ascii_lowercase(),
                v.name.to_ascii_lowercase()
            );
            compute::agent_installed(&state, &id, v)
        })
    }

    /// While set, writing capture files fails: stopping captures end in
    /// `StorageFailed`.
    pub fn set_storage_down(&self, down: bool) {
        self.state().storage_down = down;
    }
}

impl Drop for ArmTestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
