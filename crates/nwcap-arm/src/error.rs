//! Errors of the ARM client.
//!
//! ARM failures keep everything a person needs to act or to open a support
//! ticket: the ARM error object whole (`code: message`, its `target`, every
//! entry of `details[]` however deep, `additionalInfo`), the HTTP status and
//! the request ids. A 400 whose only useful words are in `details[]` ("which
//! reference is malformed") must not print as a bare "Cannot parse the
//! request". Request and response headers are never kept (they hold the
//! bearer token), and text from the server goes through [`redact_text`]
//! before it is stored, since ARM messages sometimes quote URLs with a SAS.

use std::fmt;

use serde_json::Value;

use crate::secret::redact_text;
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

/// An ARM error object (`{"error": {...}}` of a failed request or of a
/// failed long-running operation), with its nested `details`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorInfo {
    /// `code`.
    pub code: String,
    /// `message` (secrets redacted).
    pub message: String,
    /// `target`: the part of the request at fault, e.g. `properties.target`.
    pub target: Option<String>,
    /// `details[]`, each an error object itself.
    pub details: Vec<ErrorInfo>,
    /// `additionalInfo[]`: `(type, info as compact JSON)`.
    pub additional_info: Vec<(String, String)>,
}

/// Deepest `details` nesting kept (a guard against a server that loops).
const MAX_DEPTH: usize = 8;

impl ErrorInfo {
    /// Reads an ARM error object (the value of `error`, or an older body
    /// with `code`/`message` at the top). `None` when it has neither.
    pub fn from_json(v: &Value) -> Option<Self> {
        Self::read(v, 0)
    }

    fn read(v: &Value, depth: usize) -> Option<Self> {
        let text = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(redact_text)
        };
        let code = text("code");
        let message = text("message");
        if code.is_none() && message.is_none() {
            return None;
        }
        let details = if depth < MAX_DEPTH {
            v.get("details")
                .and_then(Value::as_array)
                .map(|d| d.iter().filter_map(|e| Self::read(e, depth + 1)).collect())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let additional_info = v
            .get("additionalInfo")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|i| {
                        let kind = i.get("type").and_then(Value::as_str).unwrap_or("info");
                        let info = i.get("info").map_or_else(String::new, Value::to_string);
                        (kind.to_owned(), redact_text(&info))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Self {
            code: code.unwrap_or_else(|| "Error".to_owned()),
            message: message.unwrap_or_else(|| "no message".to_owned()),
            target: text("target"),
            details,
            additional_info,
        })
    }

    /// An error object with only a code and a message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: redact_text(&message.into()),
            ..Self::default()
        }
    }

    /// Whether this error or any of its details has `code` (case-insensitive).
    pub fn has_code(&self, code: &str) -> bool {
        self.code.eq_ignore_ascii_case(code) || self.details.iter().any(|d| d.has_code(code))
    }

    /// `code: message`, and ` (target X)` when there is a target.
    fn head(&self) -> String {
        match &self.target {
            Some(t) => format!("{}: {} (target {t})", self.code, self.message),
            None => format!("{}: {}", self.code, self.message),
        }
    }

    /// The details and additional information, one indented line each.
    fn write_tail(&self, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
        let pad = "  ".repeat(depth + 1);
        for (kind, info) in &self.additional_info {
            write!(f, "\n{pad}info ({kind}): {info}")?;
        }
        for d in &self.details {
            write!(f, "\n{pad}- {}", d.head())?;
            d.write_tail(f, depth + 1)?;
        }
        Ok(())
    }
}

/// Formats an [`ErrorInfo`] as its head line, the http status and ids, then
/// one line per detail.
struct Whole<'a> {
    error: &'a ErrorInfo,
    what: String,
}

impl fmt::Display for Whole<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.error.head(), self.what)?;
        self.error.write_tail(f, 0)
    }
}

/// Everything the ARM client can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ArmError {
    /// ARM answered with an error status and (usually) an error body.
    #[error("{}", Whole { error, what: format!("http {status}, {ids}") })]
    Api {
        /// HTTP status.
        status: u16,
        /// The ARM error object; the code is the status text when the body
        /// has none.
        error: Box<ErrorInfo>,
        /// Request ids from the response headers.
        ids: RequestIds,
    },
    /// A long-running operation ended as Failed or Canceled.
    #[error("operation {status}: {}", Whole { error, what: ids.to_string() })]
    OperationFailed {
        /// Terminal status (Failed, Canceled).
        status: String,
        /// The operation's ARM error object.
        error: Box<ErrorInfo>,
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

    /// The ARM error object of an API error or a failed operation.
    pub fn info(&self) -> Option<&ErrorInfo> {
        match self {
            Self::Api { error, .. } | Self::OperationFailed { error, .. } => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_printed_whole_and_nested() {
        let body = serde_json::json!({
            "code": "InvalidRequestFormat",
            "message": "Cannot parse the request.",
            "details": [{
                "code": "InvalidJsonReferenceFormat",
                "message": "Reference Id vm1 is not formatted correctly.",
                "target": "properties.target",
                "details": [{"code": "Inner", "message": "deeper"}]
            }, {
                "code": "LinkedAuthorizationFailed",
                "message": "see https://a.blob.core.windows.net/c?sv=1&sig=SECRET%2F&se=2",
                "additionalInfo": [{"type": "PolicyViolation", "info": {"policy": "p1"}}]
            }]
        });
        let error = ErrorInfo::from_json(&body).expect("error object");
        assert!(error.has_code("inner"));
        let e = ArmError::Api {
            status: 400,
            error: Box::new(error),
            ids: RequestIds {
                request_id: Some("r1".into()),
                correlation_id: None,
            },
        };
        assert_eq!(
            e.to_string(),
            "InvalidRequestFormat: Cannot parse the request. (http 400, request id r1)\n  \
             - InvalidJsonReferenceFormat: Reference Id vm1 is not formatted correctly. (target properties.target)\n    \
             - Inner: deeper\n  \
             - LinkedAuthorizationFailed: see https://a.blob.core.windows.net/c?sv=1&sig=REDACTED&se=2\n    \
             info (PolicyViolation): {\"policy\":\"p1\"}"
        );
    }

    #[test]
    fn bodies_without_code_or_message_are_not_errors() {
        assert_eq!(ErrorInfo::from_json(&serde_json::json!({"x": 1})), None);
        let e = ErrorInfo::from_json(&serde_json::json!({"message": "m"})).expect("message");
        assert_eq!(e.code, "Error");
    }

    #[test]
    fn nesting_is_bounded() {
        let mut v = serde_json::json!({"code": "C", "message": "m"});
        for _ in 0..100 {
            v = serde_json::json!({"code": "C", "message": "m", "details": [v]});
        }
        let e = ErrorInfo::from_json(&v).expect("error");
        let mut depth = 0;
        let mut cur = &e;
        while let Some(d) = cur.details.first() {
            depth += 1;
            cur = d;
        }
        assert_eq!(depth, MAX_DEPTH);
    }
}
