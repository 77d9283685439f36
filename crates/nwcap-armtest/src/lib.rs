//! A local stand-in for Azure Resource Manager, for tests.
//!
//! No cloud is reachable from tests, so this server implements the
//! packetCaptures lifecycle the way the REST spec describes it, on a
//! loopback port: PUT answers 201 `Updating` with an `Azure-AsyncOperation`
//! that reports `InProgress` then `Succeeded`; queryStatus says `Running`
//! until the capture's `timeLimitInSeconds` has passed on a test clock the
//! test advances, then `Stopped` / `TimeExceeded`; stop and delete answer
//! 202 with `Location`. It also serves the VM, scale set and network watcher
//! look-ups, records every request (for asserting exact bodies) and can be
//! told to answer 429, 500 or a malformed body.
//!
//! It runs on its own thread with its own runtime, so blocking tests (that
//! spawn the `nwcap` binary) and async tests use it alike. Dropping it stops
//! it. Bodies mirror the examples of the REST spec (the nwcap-arm tests compare them).

mod handlers;
mod lifecycle;
mod model;

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

pub use model::{
    CLOCK_BASE_UNIX, Fault, FaultKind, RecordedRequest, SeedResource, ServerConfig, rfc3339,
};

/// Subscription id used by the tests (any id works).
pub const TEST_SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";

/// A running test server. Stops when dropped.
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
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
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
        match self.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// `http://127.0.0.1:PORT`, to pass as the ARM endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Moves the test clock forward.
    pub fn advance_clock(&self, seconds: i64) {
        self.state().clock += seconds;
    }

    /// Seconds since the clock's zero ([`CLOCK_BASE_UNIX`]).
    pub fn clock(&self) -> i64 {
        self.state().clock
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
