//! Fetch errors, with the context a user needs and a `hint` where they can act.
//!
//! SDK errors are never passed through as they are: their text may hold a
//! request URL with its SAS. They are reduced to status + service error code
//! (HTTP) or a redacted message (transport), next to a [`SafeUrl`].

use std::path::PathBuf;

use azure_core::error::ErrorKind;

use crate::SafeUrl;
use crate::auth::AuthError;
use crate::local_path::UnsafeName;
use crate::location::LocationError;
use crate::safe_url::redact;

/// Everything that can go wrong while fetching.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The service answered with an error status.
    #[error("{op} {url}: http {status}{}", code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Http {
        /// What was attempted (`list`, `get properties`, `read`).
        op: &'static str,
        /// The resource, SAS redacted.
        url: SafeUrl,
        /// HTTP status.
        status: u16,
        /// Service error code (`BlobNotFound`, `AuthenticationFailed`...).
        code: Option<String>,
    },
    /// The request failed before a status (connection, body cut, credential).
    #[error("{op} {url}: {message}")]
    Transport {
        /// What was attempted.
        op: &'static str,
        /// The resource, SAS redacted.
        url: SafeUrl,
        /// Redacted cause.
        message: String,
    },
    /// Local file system error.
    #[error("{}: {source}", path.display())]
    Io {
        /// File concerned.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A blob name that would escape the output folder.
    #[error(transparent)]
    UnsafeName(#[from] UnsafeName),
    /// The source could not be understood.
    #[error(transparent)]
    Location(#[from] LocationError),
    /// Credentials could not be used.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Content-MD5 of the downloaded file differs from the blob's.
    #[error("{blob}: md5 mismatch (blob {expected}, file {actual})")]
    Md5Mismatch {
        /// Blob name.
        blob: String,
        /// Base64 MD5 announced by the service.
        expected: String,
        /// Base64 MD5 of the local file.
        actual: String,
    },
    /// The server sent fewer or more bytes than the range asked for.
    #[error("{blob}: range at offset {offset}: expected {expected} bytes, got {got}")]
    ShortRange {
        /// Blob name.
        blob: String,
        /// Range start.
        offset: u64,
        /// Bytes asked for.
        expected: u64,
        /// Bytes received.
        got: u64,
    },
    /// The blob changed (new ETag) while it was being downloaded.
    #[error("{blob}: the blob changed during the download")]
    Changed {
        /// Blob name.
        blob: String,
    },
    /// A prefix holds no capture file.
    #[error("no capture file (*.cap) under {url} ({listed} blobs listed)")]
    NoCaptures {
        /// The prefix, SAS redacted.
        url: SafeUrl,
        /// How many blobs the prefix holds in total.
        listed: usize,
    },
    /// The service did not send a header that is needed.
    #[error("{url}: the response has no {header}")]
    MissingHeader {
        /// The resource.
        url: SafeUrl,
        /// Header name.
        header: &'static str,
    },
    /// A `.part.json` or metadata file could not be read or written.
    #[error("{}: {message}", path.display())]
    State {
        /// File concerned.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl FetchError {
    /// Reduce an SDK error to status/code or a redacted message; the URL is
    /// shown without its query (the SAS is noise in a message, and secret).
    pub(crate) fn from_sdk(op: &'static str, url: &SafeUrl, e: &azure_core::Error) -> Self {
        match e.kind() {
            ErrorKind::HttpResponse {
                status, error_code, ..
            } => Self::Http {
                op,
                url: SafeUrl::new(url.without_query()),
                status: u16::from(*status),
                code: error_code.clone(),
            },
            _ => Self::Transport {
                op,
                url: SafeUrl::new(url.without_query()),
                message: redact(&error_chain(e)),
            },
        }
    }

    /// The HTTP status, if the service answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether trying again may help (network trouble, throttling, 5xx,
    /// a cut body). Used by the retry loop around each range.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Http { status, .. } => matches!(status, 408 | 429 | 500..=599),
            Self::Transport { .. } | Self::ShortRange { .. } => true,
            _ => false,
        }
    }

    /// What the user can do about it, if anything obvious.
    pub fn hint(&self) -> Option<String> {
        let s = |x: &str| Some(x.to_owned());
        match self {
            Self::Http {
                status: 403, code, ..
            } => match code.as_deref() {
                Some("KeyBasedAuthenticationNotPermitted") => s(
                    "shared key access is disabled on this account: sign in with Entra ID instead of a key or connection string",
                ),
                Some("AuthorizationPermissionMismatch") => s(
                    "the identity has no data access: grant it 'Storage Blob Data Reader' on the account or container",
                ),
                Some("AuthorizationFailure") => s(
                    "not authorized: check the key or SAS (permissions sp=, expiry se=), and the account's firewall / private endpoint rules",
                ),
                Some("AuthenticationFailed") => s(
                    "the signature was refused: check the account key, or the SAS expiry (se=) and permissions (sp= needs r, and l for a prefix)",
                ),
                _ => s(
                    "access denied: check the SAS or key, or whether key access is disabled on the account (then use Entra ID)",
                ),
            },
            Self::Http {
                status: 404, code, ..
            } => match code.as_deref() {
                Some("ContainerNotFound") => {
                    s("wrong container? Network Watcher writes captures to 'network-watcher-logs'")
                }
                Some("ResourceNotFound") => {
                    s("wrong account or path? check the storage path of the capture")
                }
                _ => s(
                    "no such blob: a capture file appears only after the capture has stopped (nwcap capture status NAME tells whether it has)",
                ),
            },
            Self::Http { status: 412, .. } | Self::Changed { .. } => {
                s("the blob was replaced: run the command again to fetch the new version")
            }
            Self::NoCaptures { .. } => s(
                "the capture may still be running: files appear only after it stops; or check the prefix and --since/--until",
            ),
            Self::Md5Mismatch { .. } | Self::ShortRange { .. } => {
                s("the download was damaged: run the command again (the file is fetched anew)")
            }
            _ => None,
        }
    }
}

/// The error and its sources, one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_hints() {
        let url =
            SafeUrl::parse("https://a.blob.core.windows.net/c/b.cap?sv=1&sig=SECRET").unwrap();
        let e = FetchError::Http {
            op: "read",
            url: url.clone(),
            status: 404,
            code: Some("BlobNotFound".into()),
        };
        let m = e.to_string();
        assert!(m.contains("http 404 (BlobNotFound)"), "{m}");
        assert!(!m.contains("SECRET"));
        assert!(e.hint().unwrap().contains("after the capture has stopped"));
        assert!(!e.is_transient());
        let e = FetchError::Http {
            op: "read",
            url,
            status: 503,
            code: None,
        };
        assert!(e.is_transient());
        let e = FetchError::from_sdk(
            "read",
            &SafeUrl::parse("http://h/c/b?sig=SECRET").unwrap(),
            &azure_core::Error::with_message(ErrorKind::Io, "failed http://h/c/b?sig=SECRET"),
        );
        assert!(!e.to_string().contains("SECRET"), "{e}");
        assert!(e.is_transient());
    }
}
