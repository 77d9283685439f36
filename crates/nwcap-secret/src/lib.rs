//! Secrets that never print: the one owner of nwcap's redaction.
//!
//! Bearer tokens and client secrets travel as [`Secret`], so that no `{:?}`,
//! `{}` or error message can leak them by accident: the only way to the
//! value is [`Secret::expose`]. Text that may quote a credential (an ARM or
//! storage error message, a URL from a server, a `-v` log line) goes through
//! [`redact_text`] or [`redact_url`] before it is shown: SAS `sig=`, OAuth
//! `code=` / `access_token=` / `client_secret=`, a connection string's
//! `AccountKey=` / `SharedAccessSignature=`, and `Bearer` tokens.
//! `nwcap-arm` and `nwcap-fetch` (whose `SafeUrl` redacts a parsed URL with
//! [`QUERY_SECRETS`]) both use this crate.

use std::fmt;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "REDACTED";

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
/// query parameter of [`QUERY_SECRETS`] is replaced. ARM URLs carry none,
/// but `nextLink` and operation URLs come from the server and are shown in
/// `-v` logs, so they are scrubbed anyway.
pub fn redact_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if QUERY_SECRETS.iter().any(|k| key.eq_ignore_ascii_case(k)) => {
                format!("{key}={REDACTED}")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

/// Query parameters whose values are secret (compared case-insensitively):
/// a SAS signature (`sig`, `signature`), OAuth codes and tokens.
pub const QUERY_SECRETS: [&str; 6] = [
    "sig",
    "signature",
    "code",
    "token",
    "access_token",
    "client_secret",
];
/// Connection string keys whose values [`redact_text`] hides (after `;` or
/// at the start).
const CONNECTION_SECRETS: [&str; 2] = ["AccountKey", "SharedAccessSignature"];

/// Removes credentials from free text (an ARM error message, an operation
/// status): the values of `sig=`, `code=`, `token=`... in any URL it quotes,
/// `AccountKey=` / `SharedAccessSignature=` of a connection string, and the
/// token after `Bearer `. Everything else is kept as it is.
pub fn redact_text(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        let prev = if i == 0 { None } else { Some(b[i - 1]) };
        let key_len = secret_key_at(text, i, prev);
        if let Some(n) = key_len {
            out.push_str(&text[copied..i + n]);
            out.push_str(REDACTED);
            let mut j = i + n;
            while j < b.len() && !is_value_end(b[j]) {
                j += 1;
            }
            i = j;
            copied = j;
            continue;
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

/// The length of `key=` (or `Bearer `) when a secret's value starts after it at `i`.
fn secret_key_at(text: &str, i: usize, prev: Option<u8>) -> Option<usize> {
    let rest = &text.as_bytes()[i..];
    let starts = |key: &str| {
        rest.len() > key.len()
            && rest[..key.len()].eq_ignore_ascii_case(key.as_bytes())
            && rest[key.len()] == b'='
    };
    if matches!(prev, Some(b'?' | b'&'))
        && let Some(k) = QUERY_SECRETS.iter().find(|k| starts(k))
    {
        return Some(k.len() + 1);
    }
    if matches!(prev, None | Some(b';' | b' ' | b'"' | b'\''))
        && let Some(k) = CONNECTION_SECRETS.iter().find(|k| starts(k))
    {
        return Some(k.len() + 1);
    }
    let bearer = b"bearer ";
    if prev.is_none_or(|p| p.is_ascii_whitespace() || p == b'"' || p == b':')
        && rest.len() > bearer.len()
        && rest[..bearer.len()].eq_ignore_ascii_case(bearer)
        && !rest[bearer.len()].is_ascii_whitespace()
    {
        return Some(bearer.len());
    }
    None
}

fn is_value_end(c: u8) -> bool {
    c.is_ascii_whitespace() || matches!(c, b'&' | b';' | b'"' | b'\'' | b'<' | b'>' | b')' | b',')
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

    #[test]
    fn text_loses_every_kind_of_secret() {
        assert_eq!(
            redact_text("blob https://a/c?sv=1&sig=ab%2Fc&se=2 failed"),
            "blob https://a/c?sv=1&sig=REDACTED&se=2 failed"
        );
        assert_eq!(
            redact_text(
                "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k/9+==;EndpointSuffix=x"
            ),
            "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=REDACTED;EndpointSuffix=x"
        );
        assert_eq!(
            redact_text("header Authorization: Bearer eyJ0.abc.def was refused"),
            "header Authorization: Bearer REDACTED was refused"
        );
        assert_eq!(
            redact_text("error code=5 in the code"),
            "error code=5 in the code"
        );
        assert_eq!(redact_text("x?code=123"), "x?code=REDACTED");
        assert_eq!(redact_text("plain é text"), "plain é text");
    }
}
