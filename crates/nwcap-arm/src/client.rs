//! The HTTP core: authentication, retries and paging (long-running
//! operations are in `lro`).
//!
//! One `send` path does everything so that each rule holds for every call:
//! a fresh token per attempt (the credential caches), retries with
//! exponential backoff on 429, 5xx and connection failures, `Retry-After`
//! honoured, one observer call per attempt (the CLI's `-v`), and ARM error
//! bodies turned into `code: message` with the request ids. Tokens are only
//! sent to the configured endpoint's origin: a `nextLink` or poll URL that
//! points elsewhere is refused, not followed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::auth::{Credential, scope_for_endpoint};
use crate::error::{ArmError, ErrorInfo, RequestIds};
use crate::secret::redact_url;
use crate::validate::version::DEFAULT_API_VERSION;

/// api-version of the Microsoft.Compute look-ups.
pub const COMPUTE_API_VERSION: &str = "2024-07-01";
/// Public cloud ARM endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://management.azure.com";
/// Largest response body read (ARM bodies are kilobytes).
const MAX_BODY: usize = 32 << 20;
/// Most pages followed in one list, a guard against a server that loops.
const MAX_PAGES: usize = 10_000;

/// Retry behaviour for throttling, server errors and connection failures.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff delay; doubled each retry.
    pub initial_delay: Duration,
    /// Upper bound of any delay, `Retry-After` included.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(60),
        }
    }
}

/// Polling of long-running operations.
#[derive(Debug, Clone)]
pub struct PollOptions {
    /// Delay between polls when the server sends no `Retry-After`.
    pub interval: Duration,
    /// Give up after this long.
    pub timeout: Duration,
}

impl Default for PollOptions {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// One attempt of one request, as shown by `-v`. Never carries headers.
#[derive(Debug, Clone)]
pub struct RequestLog<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// URL with any credential query parameter redacted.
    pub url: &'a str,
    /// Status, or `None` when the request failed before a response.
    pub status: Option<u16>,
    /// `x-ms-request-id` of the response.
    pub request_id: Option<&'a str>,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// Time to the response headers.
    pub elapsed: Duration,
}

/// Receives one [`RequestLog`] per attempt (the CLI prints them with `-v`).
pub trait RequestObserver: Send + Sync {
    /// Called after each attempt.
    fn on_request(&self, log: &RequestLog<'_>);
}

/// How to build an [`ArmClient`].
#[derive(Clone)]
pub struct ClientOptions {
    /// ARM endpoint (`https://management.azure.com`, a sovereign cloud, or a test server).
    pub endpoint: String,
    /// api-version of Microsoft.Network calls.
    pub api_version: String,
    /// Token scope; derived from the endpoint when `None`.
    pub scope: Option<String>,
    /// Retries.
    pub retry: RetryPolicy,
    /// Long-running operations.
    pub poll: PollOptions,
    /// Per-request observer.
    pub observer: Option<Arc<dyn RequestObserver>>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            api_version: DEFAULT_API_VERSION.to_owned(),
            scope: None,
            retry: RetryPolicy::default(),
            poll: PollOptions::default(),
            observer: None,
        }
    }
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("endpoint", &self.endpoint)
            .field("api_version", &self.api_version)
            .field("retry", &self.retry)
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

/// A typed value together with the JSON ARM returned (for `--output json`).
#[derive(Debug, Clone)]
pub struct Raw<T> {
    /// The typed value.
    pub value: T,
    /// The body as ARM sent it.
    pub json: Value,
}

/// A response read in full. Only the headers the client acts on are kept.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub ids: RequestIds,
    pub location: Option<String>,
    pub async_operation: Option<String>,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

/// Client for the ARM REST API.
#[derive(Debug, Clone)]
pub struct ArmClient {
    http: reqwest::Client,
    endpoint: String,
    origin: String,
    api_version: String,
    scope: String,
    credential: Credential,
    pub(crate) retry: RetryPolicy,
    pub(crate) poll: PollOptions,
    observer: Option<ObserverHandle>,
}

#[derive(Clone)]
struct ObserverHandle(Arc<dyn RequestObserver>);

impl std::fmt::Debug for ObserverHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestObserver")
    }
}

fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    if host.is_empty()
        || !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http"))
    {
        return None;
    }
    Some(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    ))
}

impl ArmClient {
    /// A client for `options.endpoint`, authenticating with `credential`.
    pub fn new(credential: Credential, options: ClientOptions) -> Result<Self, ArmError> {
        let endpoint = options.endpoint.trim_end_matches('/').to_owned();
        let origin = origin_of(&endpoint).ok_or_else(|| ArmError::Url {
            url: redact_url(&endpoint),
            reason: "expected http(s)://host[:port]".to_owned(),
        })?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("nwcap/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(20))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| ArmError::Transport {
                method: "INIT".to_owned(),
                url: endpoint.clone(),
                source: e,
            })?;
        let scope = options
            .scope
            .clone()
            .unwrap_or_else(|| scope_for_endpoint(&endpoint));
        Ok(Self {
            http,
            endpoint,
            origin,
            api_version: options.api_version,
            scope,
            credential,
            retry: options.retry,
            poll: options.poll,
            observer: options.observer.map(ObserverHandle),
        })
    }

    /// The same client with other polling settings.
    pub fn with_poll(mut self, poll: PollOptions) -> Self {
        self.poll = poll;
        self
    }

    /// The ARM endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The api-version used for Microsoft.Network calls.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The token scope.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Full URL of an ARM path with an api-version.
    pub(crate) fn url(&self, path: &str, api_version: &str) -> String {
        format!("{}{}?api-version={}", self.endpoint, path, api_version)
    }

    fn check_origin(&self, url: &str) -> Result<(), ArmError> {
        match origin_of(url) {
            Some(o) if o == self.origin => Ok(()),
            _ => Err(ArmError::Url {
                url: redact_url(url),
                reason: format!("refusing to send the token outside {}", self.origin),
            }),
        }
    }

    /// Sends a request with retries. Error statuses become [`ArmError::Api`].
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Response, ArmError> {
        self.check_origin(url)?;
        let shown = redact_url(url);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let token = self.credential.token(&self.scope).await?;
            let mut req = self
                .http
                .request(method.clone(), url)
                .bearer_auth(token.expose())
                .header("accept", "application/json");
            if let Some(b) = body {
                req = req.json(b);
            }
            let started = Instant::now();
            let result = req.send().await;
            let can_retry = attempt <= self.retry.max_retries;
            let resp = match result {
                Ok(r) => r,
                Err(e) => {
                    self.log(&method, &shown, None, None, attempt, started);
                    if can_retry && (e.is_connect() || e.is_timeout() || e.is_request()) {
                        tokio::time::sleep(self.backoff(attempt, None)).await;
                        continue;
                    }
                    return Err(ArmError::Transport {
                        method: method.to_string(),
                        url: shown,
                        source: e,
                    });
                }
            };
            let status = resp.status().as_u16();
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let ids = RequestIds {
                request_id: header("x-ms-request-id"),
                correlation_id: header("x-ms-correlation-request-id"),
            };
            let retry_after = parse_retry_after(
                header("retry-after-ms").as_deref(),
                header("x-ms-retry-after-ms").as_deref(),
                header("retry-after").as_deref(),
            );
            let location = header("location");
            let async_operation = header("azure-asyncoperation");
            self.log(
                &method,
                &shown,
                Some(status),
                ids.request_id.as_deref(),
                attempt,
                started,
            );
            let body = match read_body(resp).await {
                Ok(Some(b)) => b,
                Ok(None) => {
                    return Err(ArmError::Url {
                        url: shown,
                        reason: format!("response body larger than {MAX_BODY} bytes"),
                    });
                }
                Err(e) => {
                    if can_retry {
                        tokio::time::sleep(self.backoff(attempt, None)).await;
                        continue;
                    }
                    return Err(ArmError::Transport {
                        method: method.to_string(),
                        url: shown,
                        source: e,
                    });
                }
            };
            if can_retry && (status == 429 || status >= 500) {
                tokio::time::sleep(self.backoff(attempt, retry_after)).await;
                continue;
            }
            if status >= 400 {
                return Err(api_error(status, &body, ids));
            }
            return Ok(Response {
                status,
                ids,
                location,
                async_operation,
                retry_after,
                body,
            });
        }
    }

    fn log(
        &self,
        method: &Method,
        url: &str,
        status: Option<u16>,
        request_id: Option<&str>,
        attempt: u32,
        started: Instant,
    ) {
        if let Some(ObserverHandle(o)) = &self.observer {
            o.on_request(&RequestLog {
                method: method.as_str(),
                url,
                status,
                request_id,
                attempt,
                elapsed: started.elapsed(),
            });
        }
    }

    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .retry
            .initial_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        retry_after.unwrap_or(exp).min(self.retry.max_delay)
    }

    /// GET and decode JSON.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<Raw<T>, ArmError> {
        let resp = self.send(Method::GET, url, None).await?;
        decode(&Method::GET, url, &resp)
    }

    /// GET every page of a list (`value` + `nextLink`).
    pub(crate) async fn list_json<T: DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<Vec<Raw<T>>, ArmError> {
        let mut out = Vec::new();
        let mut next = Some(url.to_owned());
        let mut pages = 0usize;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(ArmError::Url {
                    url: redact_url(&url),
                    reason: format!("more than {MAX_PAGES} pages"),
                });
            }
            let resp = self.send(Method::GET, &url, None).await?;
            let page: Raw<Value> = decode(&Method::GET, &url, &resp)?;
            let items = match page.json.get("value") {
                Some(Value::Array(items)) => items.clone(),
                None | Some(Value::Null) => Vec::new(),
                Some(_) => {
                    return Err(decode_error(
                        &Method::GET,
                        &url,
                        &resp,
                        "`value` is not an array",
                    ));
                }
            };
            for item in items {
                let value = serde_json::from_value(item.clone()).map_err(|e| ArmError::Decode {
                    method: "GET".to_owned(),
                    url: redact_url(&url),
                    ids: resp.ids.clone(),
                    source: e,
                })?;
                out.push(Raw { value, json: item });
            }
            next = page
                .json
                .get("nextLink")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned);
        }
        Ok(out)
    }
}

/// Reads a body chunk by chunk, `None` past [`MAX_BODY`] (no allocation
/// from a length the server claims).
async fn read_body(mut resp: reqwest::Response) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// Decodes a JSON body.
pub(crate) fn decode<T: DeserializeOwned>(
    method: &Method,
    url: &str,
    resp: &Response,
) -> Result<Raw<T>, ArmError> {
    let err = |e| ArmError::Decode {
        method: method.to_string(),
        url: redact_url(url),
        ids: resp.ids.clone(),
        source: e,
    };
    let json: Value = serde_json::from_slice(&resp.body).map_err(err)?;
    let value = serde_json::from_value(json.clone()).map_err(err)?;
    Ok(Raw { value, json })
}

fn decode_error(method: &Method, url: &str, resp: &Response, what: &str) -> ArmError {
    let source = <serde_json::Error as serde::de::Error>::custom(what);
    ArmError::Decode {
        method: method.to_string(),
        url: redact_url(url),
        ids: resp.ids.clone(),
        source,
    }
}

/// Builds an [`ArmError::Api`] from an error body (`{"error": {...}}`, or
/// the older top-level `code`/`message`), keeping its `details` whole.
fn api_error(status: u16, body: &[u8], ids: RequestIds) -> ArmError {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let info = json
        .as_ref()
        .and_then(|j| ErrorInfo::from_json(j.get("error").unwrap_or(j)));
    let error = info.unwrap_or_else(|| {
        let code = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("HttpError")
            .replace(' ', "");
        let message = if body.is_empty() {
            "empty response body"
        } else {
            "response body is not an ARM error"
        };
        ErrorInfo::new(code, message)
    });
    ArmError::Api {
        status,
        error: Box::new(error),
        ids,
    }
}

/// `retry-after-ms` / `x-ms-retry-after-ms` (milliseconds) win over
/// `Retry-After` (seconds; an HTTP date is ignored and backoff used instead).
fn parse_retry_after(ms: Option<&str>, xms: Option<&str>, secs: Option<&str>) -> Option<Duration> {
    ms.or(xms)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
        .or_else(|| {
            secs.and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            parse_retry_after(None, None, Some("3")),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after(Some("250"), None, Some("3")),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            parse_retry_after(None, None, Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            None
        );
    }

    #[test]
    fn arm_error_bodies() {
        let e = api_error(
            400,
            br#"{"error":{"code":"InvalidRequestFormat","message":"bad target"}}"#,
            RequestIds {
                request_id: Some("r1".into()),
                correlation_id: None,
            },
        );
        assert_eq!(
            e.to_string(),
            "InvalidRequestFormat: bad target (http 400, request id r1)"
        );
        let e = api_error(503, b"<html>", RequestIds::default());
        assert!(e.to_string().starts_with("ServiceUnavailable: "), "{e}");
    }

    #[test]
    fn tokens_go_only_to_the_endpoint() {
        let c = ArmClient::new(
            Credential::from_token(crate::Secret::new("t")),
            ClientOptions {
                endpoint: "https://management.azure.com/".into(),
                ..Default::default()
            },
        )
        .expect("client");
        assert!(
            c.check_origin("https://management.azure.com/subscriptions?x")
                .is_ok()
        );
        let err = c
            .check_origin("https://evil.example/next?sig=abc")
            .expect_err("other host");
        assert_eq!(
            err.to_string(),
            "invalid url https://evil.example/next?sig=REDACTED: refusing to send the token outside https://management.azure.com"
        );
        assert!(
            c.check_origin("https://management.azure.com.evil.example/")
                .is_err()
        );
        assert_eq!(c.scope(), "https://management.azure.com/.default");
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://Management.azure.com/subscriptions?x=1").as_deref(),
            Some("https://management.azure.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("ftp://x"), None);
    }
}
