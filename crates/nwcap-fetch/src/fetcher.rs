//! The entry point: a resolved source + credential + options -> files.
//!
//! The fetcher knows nothing about ARM: whoever resolves a packet capture
//! to its `storagePath` hands over a URL (or a `container/path` under a
//! connection string's endpoint) and a [`Credential`]. A source is a single
//! blob, or a prefix whose `*.cap` blobs are all fetched (scale sets and
//! continuous captures write several files). Files are fetched several at a
//! time; `parallel` bounds the ranged requests in flight across all of them.
//! A failed file does not stop the others: it is reported in its
//! [`FileResult`] and the caller decides the exit status.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::Semaphore;
use url::Url;

use crate::download::{self, Job};
use crate::location::BlobLocation;
use crate::select::Selection;
use crate::store::{BlobInfo, Store};
use crate::{Credential, FetchError, Reporter, SafeUrl, local_path};

/// Tuning and output options.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Output folder; blob paths are mirrored below it.
    pub out_dir: PathBuf,
    /// Ranged requests in flight at once, over all files.
    pub parallel: usize,
    /// Bytes per ranged request.
    pub block_size: u64,
    /// Files downloaded at once.
    pub files: usize,
    /// Retries of a failed request or cut body (with exponential backoff).
    pub retries: u32,
    /// Which blobs under a prefix are taken.
    pub selection: Selection,
    /// Lifetime of a SAS signed from an account key.
    pub sas_ttl: Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            out_dir: PathBuf::from("."),
            parallel: 8,
            block_size: 8 << 20,
            files: 4,
            retries: 5,
            selection: Selection::default(),
            sas_ttl: Duration::from_secs(3600),
        }
    }
}

/// Where to fetch from: a location and the SAS that came with it, if any.
#[derive(Clone)]
pub struct Source {
    /// Account, container and blob name or prefix.
    pub location: BlobLocation,
    sas: Option<String>,
    prefix_hint: bool,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("location", &self.location)
            .field("sas", &self.sas.as_ref().map(|_| "REDACTED"))
            .finish()
    }
}

impl Source {
    /// A blob, container or prefix URL. A SAS in its query is kept and used.
    /// `endpoint` (from a connection string) helps split path-style URLs.
    pub fn from_url(url: &SafeUrl, endpoint: Option<&Url>) -> Result<Self, FetchError> {
        let location = BlobLocation::parse(url, endpoint)?;
        let sas = url
            .has_sas()
            .then(|| url.expose().query().unwrap_or_default().to_owned());
        let prefix_hint = url.expose().path().ends_with('/');
        Ok(Self {
            location,
            sas,
            prefix_hint,
        })
    }

    /// `container/path` under an endpoint (connection string), with an optional SAS.
    pub fn from_endpoint(
        endpoint: &Url,
        account: &str,
        container_path: &str,
        sas: Option<String>,
    ) -> Result<Self, FetchError> {
        let location = BlobLocation::from_endpoint(endpoint, account, container_path)?;
        Ok(Self {
            location,
            sas,
            prefix_hint: container_path.ends_with('/'),
        })
    }

    /// The source as a printable URL (never shows the SAS).
    pub fn display_url(&self) -> SafeUrl {
        let mut u = self.location.blob_url(&self.location.path);
        if self.location.path.is_empty() {
            u = self.location.container_url();
        }
        SafeUrl::new(u)
    }
}

/// How one file ended.
#[derive(Debug)]
pub enum FileOutcome {
    /// Downloaded (`bytes` this run, `resumed` already on disk from before).
    Downloaded {
        /// Local path.
        path: PathBuf,
        /// Bytes transferred this run.
        bytes: u64,
        /// Bytes reused from an interrupted run.
        resumed: u64,
    },
    /// Already complete locally (same size and ETag).
    Skipped {
        /// Local path.
        path: PathBuf,
    },
    /// Failed; the others went on.
    Failed(FetchError),
}

/// One blob's result.
#[derive(Debug)]
pub struct FileResult {
    /// Blob name.
    pub blob: String,
    /// Blob size.
    pub size: u64,
    /// What happened.
    pub outcome: FileOutcome,
}

/// The result of a fetch.
#[derive(Debug)]
pub struct FetchReport {
    /// One entry per selected blob, in listing order.
    pub files: Vec<FileResult>,
    /// Wall time.
    pub elapsed: Duration,
}

impl FetchReport {
    /// Bytes transferred in this run.
    pub fn bytes_downloaded(&self) -> u64 {
        self.files
            .iter()
            .map(|f| match f.outcome {
                FileOutcome::Downloaded { bytes, .. } => bytes,
                _ => 0,
            })
            .sum()
    }

    /// Number of failed files.
    pub fn failed(&self) -> usize {
        self.files
            .iter()
            .filter(|f| matches!(f.outcome, FileOutcome::Failed(_)))
            .count()
    }
}

/// Fetches one source.
pub struct Fetcher {
    store: Arc<Store>,
    options: FetchOptions,
    prefix_hint: bool,
}

impl Fetcher {
    /// Prepare clients; an account key is signed into a SAS here.
    pub fn new(
        source: Source,
        credential: Credential,
        options: FetchOptions,
    ) -> Result<Self, FetchError> {
        let loc = source.location.clone();
        let ttl = time::Duration::try_from(options.sas_ttl).unwrap_or(time::Duration::HOUR);
        // A SAS that came with the URL wins over any other credential.
        let (sas, token) = match (&source.sas, &credential) {
            (Some(s), _) => (Some(s.clone()), None),
            (None, Credential::Token(t)) => (None, Some(t.clone())),
            (None, c) => (c.sas_for(&loc.account, &loc.container, ttl)?, None),
        };
        let store = Store::new(loc, sas, token, options.retries);
        Ok(Self {
            store: Arc::new(store),
            options,
            prefix_hint: source.prefix_hint,
        })
    }

    /// The blobs this source names: the blob itself, or the selected `*.cap`
    /// blobs under the prefix. A name without `.cap` that exists as a blob is
    /// taken as a blob; otherwise as a prefix.
    pub async fn plan(&self) -> Result<Vec<BlobInfo>, FetchError> {
        let path = self.store.loc.path.clone();
        if !path.is_empty() && !self.prefix_hint {
            match self.store.properties(&path).await {
                Ok(info) => return Ok(vec![info]),
                Err(e) if e.status() == Some(404) && !Selection::is_capture(&path) => {}
                Err(e) => return Err(e),
            }
        }
        let all = self.store.list(&path).await?;
        let listed = all.len();
        let mut picked: Vec<BlobInfo> = all
            .into_iter()
            .filter(|b| self.options.selection.matches(&b.name))
            .collect();
        if picked.is_empty() {
            let url = SafeUrl::new(self.store.loc.blob_url(&path));
            return Err(FetchError::NoCaptures { url, listed });
        }
        // A listing without ETag or size (unusual) is completed by a HEAD.
        for b in &mut picked {
            if b.etag.is_empty() {
                *b = self.store.properties(&b.name).await?;
            }
        }
        Ok(picked)
    }

    /// Fetch everything [`plan`](Self::plan) returns.
    pub async fn fetch(&self, reporter: Arc<dyn Reporter>) -> Result<FetchReport, FetchError> {
        let blobs = self.plan().await?;
        Ok(self.fetch_blobs(blobs, reporter).await)
    }

    /// Fetch a given list of blobs (each failure is kept in its result).
    pub async fn fetch_blobs(
        &self,
        blobs: Vec<BlobInfo>,
        reporter: Arc<dyn Reporter>,
    ) -> FetchReport {
        let start = Instant::now();
        let permits = Arc::new(Semaphore::new(self.options.parallel.max(1)));
        let jobs = blobs.into_iter().enumerate().map(|(id, blob)| {
            let permits = permits.clone();
            let reporter = reporter.clone();
            async move {
                let outcome = match local_path::local_path(&self.options.out_dir, &blob.name) {
                    Err(e) => FileOutcome::Failed(e.into()),
                    Ok(dest) => {
                        let job = Job {
                            store: self.store.clone(),
                            blob: blob.clone(),
                            dest,
                            block_size: self.options.block_size.max(1),
                            retries: self.options.retries,
                            permits,
                            reporter: reporter.clone(),
                            id,
                        };
                        download::run(job).await.unwrap_or_else(FileOutcome::Failed)
                    }
                };
                reporter.on_done(id, &outcome);
                FileResult {
                    blob: blob.name,
                    size: blob.size,
                    outcome,
                }
            }
        });
        let mut files: Vec<(usize, FileResult)> =
            futures::stream::iter(jobs.enumerate().map(|(i, f)| async move { (i, f.await) }))
                .buffer_unordered(self.options.files.max(1))
                .collect()
                .await;
        files.sort_by_key(|(i, _)| *i);
        FetchReport {
            files: files.into_iter().map(|(_, f)| f).collect(),
            elapsed: start.elapsed(),
        }
    }
}
