//! Flags of `nwcap fetch` resolved into a source, a credential and the
//! fetcher's options, before any request.
//!
//! [`StorageArgs`] holds every flag except SOURCE and the output folder, so
//! `nwcap analyze` can flatten the same flags under its own names for those
//! two (its `-o` is the flow table, not the download folder).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use nwcap_fetch::auth::ConnectionString;
use nwcap_fetch::sas::AccountKey;
use nwcap_fetch::{Credential, Day, FetchOptions, SafeUrl, Selection, Source};

use super::capture::{self, Poll};
use super::{parse_day, parse_size, token};
use crate::cmd::target::ArmArgs;

/// Download and storage flags shared by `fetch` and `analyze`.
#[derive(Debug, Clone, clap::Args)]
pub struct StorageArgs {
    /// Ranged requests in flight at once (over all files).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallel: u16,
    /// Bytes per ranged request (e.g. 4MiB, 8M, 1048576).
    #[arg(long, default_value = "8MiB", value_parser = parse_size)]
    pub block_size: u64,
    /// Files downloaded at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub files: u16,
    /// Retries of a failed request or cut transfer (exponential backoff).
    #[arg(long, default_value_t = 5)]
    pub retries: u32,
    /// Only files whose path date (…/YYYY/MM/DD/…) is on or after this day.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    pub since: Option<Day>,
    /// Only files whose path date is on or before this day.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    pub until: Option<Day>,
    /// Storage connection string (its key is signed into a short-lived read-only SAS).
    #[arg(long, env = "AZURE_STORAGE_CONNECTION_STRING", hide_env_values = true)]
    pub connection_string: Option<String>,
    /// Storage account key for the account in the URL.
    #[arg(long, env = "AZURE_STORAGE_KEY", hide_env_values = true)]
    pub account_key: Option<String>,
    /// Send no credential (public container).
    #[arg(long)]
    pub anonymous: bool,
    /// ARM: where a capture name is looked up (as `nwcap capture` does),
    /// and `--access-token` for Storage too.
    #[command(flatten)]
    pub arm: ArmArgs,
}

/// What SOURCE names, before any request.
pub(crate) enum SourceSpec {
    /// A URL or container path: ready to fetch.
    Ready(Source),
    /// A packet capture name: its storage path comes from ARM.
    Capture(String, Box<ArmArgs>),
}

/// Resolved settings.
pub(crate) struct Settings {
    pub source: SourceSpec,
    pub storage: StorageAuth,
    pub options: FetchOptions,
    /// Wait for a running capture to stop (capture name sources).
    pub wait: Option<Poll>,
}

/// How storage is reached, resolved from the flags.
pub(crate) struct StorageAuth {
    pub connection: Option<ConnectionString>,
    credential: Credential,
}

impl Settings {
    /// Resolves `source` (URL, capture name or CONTAINER/PATH), the output
    /// folder and the flags; `wait` is the polling of a running capture.
    pub fn resolve(
        source: &str,
        out_dir: PathBuf,
        args: StorageArgs,
        wait: Option<Poll>,
    ) -> anyhow::Result<Self> {
        if let (Some(s), Some(u)) = (args.since, args.until)
            && s > u
        {
            bail!("--since is after --until");
        }
        let options = FetchOptions {
            out_dir,
            parallel: usize::from(args.parallel),
            block_size: args.block_size,
            files: usize::from(args.files),
            retries: args.retries,
            selection: Selection {
                since: args.since,
                until: args.until,
            },
            sas_ttl: Duration::from_secs(3600),
        };
        let cs = args
            .connection_string
            .as_deref()
            .map(ConnectionString::parse)
            .transpose()
            .context("invalid connection string")?;
        let spec = if is_url(source) {
            let url = SafeUrl::parse(source).context("invalid source url")?;
            SourceSpec::Ready(Source::from_url(
                &url,
                cs.as_ref().map(|c| &c.blob_endpoint),
            )?)
        } else if !source.contains('/') {
            SourceSpec::Capture(source.to_owned(), Box::new(args.arm.clone()))
        } else if let Some(cs) = &cs {
            let src =
                Source::from_endpoint(&cs.blob_endpoint, &cs.account, source, cs.credential().1)?;
            SourceSpec::Ready(src)
        } else {
            bail!(
                "'{source}' is not a url; give a blob or prefix url, a capture name, or a connection string"
            );
        };
        let chain = || {
            let opts = nwcap_arm::auth::CredentialOptions {
                access_token: args.arm.access_token.clone().filter(|t| !t.is_empty()),
                arm_endpoint: Some(args.arm.arm_endpoint.clone()),
            };
            nwcap_arm::auth::Credential::from_options(&opts)
        };
        let credential = if let Some(cs) = &cs {
            cs.credential().0
        } else if let Some(key) = &args.account_key {
            // The account is known once the source is (after ARM for a capture).
            Credential::SharedKey {
                account: String::new(),
                key: AccountKey::from_base64(key).context("invalid --account-key")?,
            }
        } else if args.anonymous {
            Credential::Anonymous
        } else {
            Credential::Token(Arc::new(token::ChainCredential(chain())))
        };
        Ok(Self {
            source: spec,
            storage: StorageAuth {
                connection: cs,
                credential,
            },
            options,
            wait,
        })
    }
}

/// Whether SOURCE is an http(s) URL (else a capture name or CONTAINER/PATH).
pub(crate) fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

impl StorageAuth {
    /// The credential for `source` (an account key takes the source's account).
    pub fn for_source(&self, source: &Source) -> Credential {
        match &self.credential {
            Credential::SharedKey { account, key } if account.is_empty() => Credential::SharedKey {
                account: source.location.account.clone(),
                key: key.clone(),
            },
            c => c.clone(),
        }
    }
}

/// The capture resolved through ARM (the token chain or --access-token,
/// whatever the storage credential), then its storage path as a source.
pub(crate) async fn capture_source(
    name: &str,
    args: &ArmArgs,
    storage: &StorageAuth,
    wait: Option<Poll>,
    global: &crate::global::Global,
) -> anyhow::Result<(Source, capture::Resolved)> {
    let arm = args.connect(global, &[])?;
    let resolved = capture::resolve(name, &arm, wait, global.quiet).await?;
    let url = SafeUrl::parse(&resolved.storage_path).context("invalid storage path")?;
    if global.verbose > 0 {
        eprintln!("nwcap: capture '{name}' is at {url}");
    }
    let endpoint = storage.connection.as_ref().map(|c| &c.blob_endpoint);
    Ok((Source::from_url(&url, endpoint)?, resolved))
}
