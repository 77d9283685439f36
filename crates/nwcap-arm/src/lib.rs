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
//! (VMs, scale sets, network watchers).

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

pub use captures::{DEFAULT_WATCHER_RESOURCE_GROUP, WatcherRef, create_body};
pub use client::{
    ArmClient, COMPUTE_API_VERSION, ClientOptions, DEFAULT_ENDPOINT, PollOptions, Raw, RequestLog,
    RequestObserver, RetryPolicy,
};
pub use error::{ArmError, ErrorInfo, RequestIds};
pub use secret::{Secret, redact_text, redact_url};
pub use validate::version::{ApiVersion, DEFAULT_API_VERSION, Feature};
