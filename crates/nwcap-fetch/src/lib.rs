//! Download finished Azure Network Watcher captures from Azure Storage.
//!
//! Network Watcher writes each capture as a blob at the capture's
//! `storageLocation.storagePath` (a prefix holding several `.cap` files for
//! scale sets and continuous captures), and only once the session stops.
//! This crate takes an already resolved source (URL or container path) and
//! a credential, and mirrors the blobs under an output folder: parallel
//! ranged reads, resumable `.part` files, integrity checks, atomic renames.
//! It is built on the official `azure_storage_blob` 1.x SDK and does not
//! depend on ARM; resolving a capture name to its storage path is the
//! caller's business. Progress goes through the [`Reporter`] trait so that
//! only the CLI knows about terminals.
//!
//! Modules, in the order a fetch uses them: [`safe_url`] (redaction),
//! [`location`] (URL -> account/container/path), [`auth`] and [`sas`]
//! (credentials; keys become a short-lived SAS), `store` (SDK calls),
//! [`select`] (`*.cap`, dates), [`local_path`] (no escaping `-o DIR`),
//! `download` and `state` (ranges, `.part.json`), `fetcher` (orchestration).

pub mod auth;
mod download;
mod error;
mod fetcher;
pub mod local_path;
pub mod location;
mod progress;
pub mod safe_url;
pub mod sas;
pub mod select;
mod state;
mod store;

pub use auth::{ConnectionString, Credential};
pub use error::FetchError;
pub use fetcher::{FetchOptions, FetchReport, Fetcher, FileOutcome, FileResult, Source};
pub use progress::{NoReporter, Reporter};
pub use safe_url::SafeUrl;
pub use select::{Day, Selection};
pub use store::BlobInfo;
