//! A URL that never shows its secrets.
//!
//! SAS URLs carry their credential in the query string (`sig=`), so the URL
//! itself is a secret. Like uv's `DisplaySafeUrl`, [`SafeUrl`] keeps the
//! real URL for requests but redacts on `Display` and `Debug`, so it can be
//! put in errors and logs without thought. [`redact`] does the same for any
//! text that may contain a URL (for example an SDK error message); the
//! parameters and the rules come from `nwcap-secret`, the one owner of
//! redaction.

use std::fmt;

use nwcap_secret::{QUERY_SECRETS, REDACTED};
use url::Url;

/// Redacts secret query values (`sig=...` and friends), connection string
/// keys and bearer tokens in free text, for messages that come from
/// elsewhere (SDK errors): `nwcap_secret::redact_text`.
pub use nwcap_secret::redact_text as redact;

/// A URL whose `Display` and `Debug` hide credentials (`sig=`, user info).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SafeUrl(Box<Url>);

impl SafeUrl {
    /// Parse a URL.
    pub fn parse(s: &str) -> Result<Self, url::ParseError> {
        Url::parse(s).map(Self::new)
    }

    /// Wrap an already parsed URL.
    pub fn new(url: Url) -> Self {
        Self(Box::new(url))
    }

    /// The real URL, secrets included: only for sending requests.
    pub fn expose(&self) -> &Url {
        &self.0
    }

    /// Whether the query carries a SAS signature.
    pub fn has_sas(&self) -> bool {
        self.0
            .query_pairs()
            .any(|(k, _)| k.eq_ignore_ascii_case("sig"))
    }

    /// The URL without query or fragment (safe to store and print).
    pub fn without_query(&self) -> Url {
        let mut u = (*self.0).clone();
        u.set_query(None);
        u.set_fragment(None);
        u
    }

    /// The redacted text, as `Display` prints it.
    pub fn redacted(&self) -> String {
        let mut u = (*self.0).clone();
        if !u.username().is_empty() {
            let _ = u.set_username(REDACTED);
        }
        if u.password().is_some() {
            let _ = u.set_password(Some(REDACTED));
        }
        if u.query().is_some() {
            let pairs: Vec<(String, String)> = u
                .query_pairs()
                .map(|(k, v)| {
                    let secret = QUERY_SECRETS.iter().any(|s| k.eq_ignore_ascii_case(s));
                    let v = if secret {
                        REDACTED.to_owned()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            u.query_pairs_mut().clear().extend_pairs(pairs);
        }
        u.to_string()
    }
}

impl fmt::Display for SafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for SafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SafeUrl({})", self.redacted())
    }
}

impl From<Url> for SafeUrl {
    fn from(u: Url) -> Self {
        Self::new(u)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const URL: &str =
        "https://acct.blob.core.windows.net/c/b.cap?sv=2022-11-02&sr=b&sp=r&sig=abc%2Fdef%3D";

    #[test]
    fn display_and_debug_hide_sig() {
        let u = SafeUrl::parse(URL).unwrap();
        for s in [u.to_string(), format!("{u:?}"), format!("{u:#?}")] {
            assert!(!s.contains("abc"), "{s}");
            assert!(s.contains("sig=REDACTED"), "{s}");
            assert!(s.contains("sp=r"), "{s}");
        }
        assert!(u.has_sas());
        assert!(u.expose().as_str().contains("sig=abc"));
    }

    #[test]
    fn userinfo_hidden() {
        let u = SafeUrl::parse("https://user:pw@host/x").unwrap();
        assert!(!u.to_string().contains("pw"));
        assert!(!u.to_string().contains("user"));
    }

    #[test]
    fn redact_free_text() {
        let t = format!("request to {URL} failed; Authorization: Bearer eyJ0eXAi.x.y");
        let r = redact(&t);
        assert!(!r.contains("abc%2F"), "{r}");
        assert!(!r.contains("eyJ0"), "{r}");
        assert!(r.contains("sp=r"), "{r}");
        assert_eq!(redact("plain é text"), "plain é text");
        assert_eq!(redact("?SIG=x"), "?SIG=REDACTED");
    }
}
