//! Errors of the ARM client.
//!
//! ARM failures keep what a person needs to act or to open a support ticket:
//! the ARM error `code: message`, the HTTP status and the request ids. Request
//! and response headers are never kept (they hold the bearer token).

use std::fmt;

use crate::validate::ValidationError;

/// The request ids ARM returns, for support tickets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestIds {
    /// `x-ms-request-id`.
    pub request_id: Option<String>,
    /// `x-ms-correlation-request-id`.
    pub correlation_id: Option<String>,
}

impl fmt::Display for RequestIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.request_id, &self.correlation_id) {
            (Some(r), Some(c)) => write!(f, "request id {r}, correlation id {c}"),
            (Some(r), None) => write!(f, "request id {r}"),
            (None, Some(c)) => write!(f, "correlation id {c}"),
            (None, None) => f.write_str("no request id"),
        }
    }
}

/// Everything the ARM client can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ArmError {
    /// ARM answered with an error status and (usually) an error body.
    #[error("{code}: {message} (http {status}, {ids})")]
    Api {
        /// HTTP status.
        status: u16,
        /// ARM error code (`error.code`), or the status text when absent.
        code: String,
        /// ARM error message (`error.message`).
        message: String,
        /// Request ids from the response headers.
        ids: RequestIds,
    },
    /// A long-running operation ended as Failed or Canceled.
    #[error("operation {status}: {code}: {message} ({ids})")]
    OperationFailed {
        /// Terminal status (Failed, Canceled).
        status: String,
        /// ARM error code.
        code: String,
        /// ARM error message.
        message: String,
        /// Request ids of the last poll.
        ids: RequestIds,
    },
    /// A response body was not the JSON it should be.
    #[error("malformed response to {method} {url}: {source} ({ids})")]
    Decode {
        /// HTTP method of the request.
        method: String,
        /// URL of the request (redacted).
        url: String,
        /// Request ids.
        ids: RequestIds,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The request could not be sent or the response not read.
    #[error("request {method} {url} failed: {source}")]
    Transport {
        /// HTTP method.
        method: String,
        /// URL (redacted).
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// A long-running operation did not answer with a usable poll URL.
    #[error("bad long-running operation from {url}: {reason}")]
    Lro {
        /// URL of the request that started it.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// Polling took longer than allowed.
    #[error("timed out after {seconds} s waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// Seconds waited.
        seconds: u64,
    },
    /// A request parameter is out of the API's limits (checked before sending).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// No credential could produce a token.
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    /// A look-up found nothing (VM, scale set, network watcher).
    #[error("{0}")]
    NotFound(String),
    /// An endpoint or URL could not be parsed.
    #[error("invalid url {url}: {reason}")]
    Url {
        /// The URL (redacted).
        url: String,
        /// Why.
        reason: String,
    },
}

impl ArmError {
    /// The HTTP status of an API error, if this is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}
