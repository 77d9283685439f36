//! A string that never shows itself.
//!
//! Bearer tokens and client secrets travel through the client as [`Secret`]
//! so that no `{:?}`, `{}` or error message can leak them by accident: the
//! only way to the value is [`Secret::expose`], which is called in exactly one
//! place (building the `Authorization` header).

use std::fmt;

/// A secret string (bearer token, client secret). `Debug` and `Display` print
/// `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Only for putting on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Removes credentials from a URL before it is shown: the value of any
/// `sig=`, `code=`, `token=` or `access_token=` query parameter is replaced.
/// ARM URLs carry none, but `nextLink` and operation URLs come from the
/// server and are shown in `-v` logs, so they are scrubbed anyway.
pub fn redact_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _))
                if ["sig", "code", "token", "access_token", "client_secret"]
                    .iter()
                    .any(|k| key.eq_ignore_ascii_case(k)) =>
            {
                format!("{key}=REDACTED")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_never_formatted() {
        let s = Secret::new("eyJ0eXAi.super.secret");
        assert_eq!(format!("{s}"), "<redacted>");
        assert!(!format!("{s:?}").contains("super"));
        assert_eq!(s.expose(), "eyJ0eXAi.super.secret");
    }

    #[test]
    fn urls_lose_signatures() {
        assert_eq!(
            redact_url("https://a.blob/c?sv=1&sig=abc%2F&se=2"),
            "https://a.blob/c?sv=1&sig=REDACTED&se=2"
        );
        assert_eq!(redact_url("https://x/y"), "https://x/y");
        assert_eq!(
            redact_url("https://x/y?api-version=2025-07-01"),
            "https://x/y?api-version=2025-07-01"
        );
    }
}
