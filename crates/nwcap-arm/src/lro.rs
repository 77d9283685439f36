//! Long-running operations: `Azure-AsyncOperation` (poll the operation
//! until `Succeeded`, `Failed` or `Canceled`) or `Location` (poll until it
//! stops answering 202), `Retry-After` honoured, bounded by the poll timeout.
//! Poll URLs come from the server, so they go through the same `send` and its
//! same-origin check as every other request.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use crate::client::{ArmClient, Raw, Response, decode};
use crate::error::{ArmError, ErrorInfo};
use crate::secret::redact_url;

impl ArmClient {
    /// Waits for a long-running operation started by `resp` to finish.
    pub(crate) async fn wait_lro(
        &self,
        url: &str,
        resp: &Response,
    ) -> Result<Option<Vec<u8>>, ArmError> {
        let deadline = Instant::now() + self.poll.timeout;
        if let Some(op) = &resp.async_operation {
            let mut delay = resp.retry_after.unwrap_or(self.poll.interval);
            loop {
                self.sleep_until_deadline(delay, deadline, url).await?;
                let poll = self.send(Method::GET, op, None).await?;
                let body: Raw<Value> = decode(&Method::GET, op, &poll)?;
                let status = body
                    .json
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                match status.to_ascii_lowercase().as_str() {
                    "succeeded" => return Ok(None),
                    "failed" | "canceled" | "cancelled" => {
                        let error = body
                            .json
                            .get("error")
                            .and_then(ErrorInfo::from_json)
                            .unwrap_or_else(|| ErrorInfo::new("OperationFailed", "no message"));
                        return Err(ArmError::OperationFailed {
                            status: status.to_owned(),
                            error: Box::new(error),
                            ids: poll.ids,
                        });
                    }
                    _ => delay = poll.retry_after.unwrap_or(self.poll.interval),
                }
            }
        }
        if let Some(loc) = &resp.location {
            let mut delay = resp.retry_after.unwrap_or(self.poll.interval);
            loop {
                self.sleep_until_deadline(delay, deadline, url).await?;
                let poll = self.send(Method::GET, loc, None).await?;
                if poll.status != 202 {
                    return Ok(Some(poll.body));
                }
                delay = poll.retry_after.unwrap_or(self.poll.interval);
            }
        }
        if resp.status == 202 {
            return Err(ArmError::Lro {
                url: redact_url(url),
                reason: "202 without Azure-AsyncOperation or Location".to_owned(),
            });
        }
        Ok(None)
    }

    async fn sleep_until_deadline(
        &self,
        delay: Duration,
        deadline: Instant,
        url: &str,
    ) -> Result<(), ArmError> {
        let now = Instant::now();
        if now >= deadline {
            return Err(ArmError::Timeout {
                what: format!("operation on {}", redact_url(url)),
                seconds: self.poll.timeout.as_secs(),
            });
        }
        tokio::time::sleep(delay.min(deadline - now)).await;
        Ok(())
    }
}
