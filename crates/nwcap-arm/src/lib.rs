//! A thin typed client for Azure Network Watcher packet captures over ARM.
//!
//! Hand-written on reqwest + serde rather than a generated SDK: the API is
//! six operations and three look-ups, and a small client lets us own what
//! matters here: open enums (a new status value is shown, not a parse
//! failure), the API's limits checked before sending with errors that name
//! the CLI flag, long-running operations, retries, and secrets that never
//! reach any output.
//!
//! Layout: [`types`] (the resource as ARM spells it), [`validate`] (limits),
//! [`auth`] (token sources, shared with the storage fetcher), `client` (HTTP,
//! retries, paging, LROs), `captures` (packetCaptures operations), `lookup`
//! (VMs, scale sets, storage accounts, network watchers), `agent` (the
//! Network Watcher agent extension: checked and installed).

mod agent;
mod captures;
mod client;
mod error;
mod lookup;
mod lro;
mod open_enum;
mod secret;

pub mod auth;
pub mod types;
pub mod validate;

pub use agent::{
    AGENT_EXTENSION_NAME, AGENT_PUBLISHER, AGENT_TYPE_HANDLER_VERSION, AgentState, TargetInfo,
    agent_type,
};
pub use captures::{DEFAULT_WATCHER_RESOURCE_GROUP, WatcherRef, create_body};
pub use client::{
    ArmClient, COMPUTE_API_VERSION, ClientOptions, DEFAULT_ENDPOINT, PollOptions, Raw, RequestLog,
    RequestObserver, RetryPolicy,
};
pub use error::{ArmError, ErrorInfo, RequestIds};
pub use lookup::STORAGE_API_VERSION;
pub use secret::{Secret, redact_text, redact_url};
pub use validate::version::{ApiVersion, DEFAULT_API_VERSION, Feature};
