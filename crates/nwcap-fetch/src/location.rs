//! Where the blobs are: account endpoint, container, blob name or prefix.
//!
//! Azure uses host-style URLs (`https://ACCOUNT.blob.core.windows.net/C/B`),
//! Azurite and other emulators path-style ones
//! (`http://127.0.0.1:10000/ACCOUNT/C/B`). Signing a SAS needs the account
//! and the container, and listing a prefix needs the container URL, so a
//! URL is split once here and the rest of the crate works on the parts.

use url::Url;

use crate::SafeUrl;

/// A parsed storage location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobLocation {
    /// Service endpoint (`https://acct.blob.core.windows.net/` or
    /// `http://127.0.0.1:10000/devstoreaccount1/`), always ending in `/`,
    /// without query. Safe to print.
    pub endpoint: Url,
    /// Account name.
    pub account: String,
    /// Container name.
    pub container: String,
    /// Blob name or prefix inside the container (decoded; may be empty).
    pub path: String,
}

/// Why a location could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    /// Not an http(s) URL.
    #[error("not an http(s) url: {0}")]
    Scheme(SafeUrl),
    /// The URL names no container.
    #[error("no container in url: {0}")]
    NoContainer(SafeUrl),
    /// No account name could be found.
    #[error("no storage account in url: {0}")]
    NoAccount(SafeUrl),
    /// A blob path given without a URL needs an endpoint.
    #[error("'{0}' is not a url; give a full url or a connection string")]
    NotUrl(String),
}

impl BlobLocation {
    /// Split a blob, container or prefix URL. Path-style is assumed when
    /// the host is an IP address or `localhost` (emulators), or when
    /// `endpoint` (from a connection string) is a prefix of the URL.
    pub fn parse(url: &SafeUrl, endpoint: Option<&Url>) -> Result<Self, LocationError> {
        let u = url.expose();
        if !matches!(u.scheme(), "http" | "https") {
            return Err(LocationError::Scheme(url.clone()));
        }
        let mut base = url.without_query();
        base.set_path("/");
        let raw_path = u.path().trim_start_matches('/');
        let (account, endpoint_url, rest) = match endpoint {
            Some(ep) if u.as_str().starts_with(ep.as_str().trim_end_matches('/')) => {
                let ep_path = ep.path().trim_matches('/');
                let rest = raw_path
                    .strip_prefix(ep_path)
                    .unwrap_or(raw_path)
                    .trim_start_matches('/');
                let account = if ep_path.is_empty() {
                    host_account(u)
                } else {
                    ep_path.rsplit('/').next().map(str::to_owned)
                };
                let mut ep = ep.clone();
                if !ep.path().ends_with('/') {
                    let p = format!("{}/", ep.path());
                    ep.set_path(&p);
                }
                (account, ep, rest)
            }
            _ if is_path_style(u) => {
                let (acct, rest) = raw_path.split_once('/').unwrap_or((raw_path, ""));
                let mut ep = base.clone();
                ep.set_path(&format!("/{acct}/"));
                ((!acct.is_empty()).then(|| acct.to_owned()), ep, rest)
            }
            _ => (host_account(u), base, raw_path),
        };
        let account = account.ok_or_else(|| LocationError::NoAccount(url.clone()))?;
        let (container, path) = rest.split_once('/').unwrap_or((rest, ""));
        if container.is_empty() {
            return Err(LocationError::NoContainer(url.clone()));
        }
        Ok(Self {
            endpoint: endpoint_url,
            account: decode(&account),
            container: decode(container),
            path: decode(path),
        })
    }

    /// Build from an endpoint and a `container/path` string (used with a
    /// connection string, where the user gives no URL).
    pub fn from_endpoint(
        endpoint: &Url,
        account: &str,
        container_path: &str,
    ) -> Result<Self, LocationError> {
        let s = container_path.trim_start_matches('/');
        let (container, path) = s.split_once('/').unwrap_or((s, ""));
        if container.is_empty() {
            return Err(LocationError::NotUrl(container_path.to_owned()));
        }
        let mut ep = endpoint.clone();
        if !ep.path().ends_with('/') {
            let p = format!("{}/", ep.path());
            ep.set_path(&p);
        }
        Ok(Self {
            endpoint: ep,
            account: account.to_owned(),
            container: container.to_owned(),
            path: path.to_owned(),
        })
    }

    /// Container URL (no query).
    pub fn container_url(&self) -> Url {
        let mut u = self.endpoint.clone();
        if let Ok(mut segs) = u.path_segments_mut() {
            segs.pop_if_empty().push(&self.container);
        }
        u
    }

    /// URL of a blob in this container (no query), each `/`-separated part encoded.
    pub fn blob_url(&self, name: &str) -> Url {
        let mut u = self.container_url();
        if let Ok(mut segs) = u.path_segments_mut() {
            segs.extend(name.split('/'));
        }
        u
    }
}

fn is_path_style(u: &Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => true,
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

fn host_account(u: &Url) -> Option<String> {
    u.host_str()
        .and_then(|h| h.split('.').next())
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
}

fn decode(s: &str) -> String {
    percent_decode(s)
}

/// Percent-decode (lossy on invalid UTF-8, which blob names cannot hold).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(s: &str) -> BlobLocation {
        BlobLocation::parse(&SafeUrl::parse(s).unwrap(), None).unwrap()
    }

    #[test]
    fn host_style() {
        let l = parse(
            "https://acct.blob.core.windows.net/network-watcher-logs/subscriptions/S/x%20y.cap?sig=1",
        );
        assert_eq!(l.account, "acct");
        assert_eq!(l.container, "network-watcher-logs");
        assert_eq!(l.path, "subscriptions/S/x y.cap");
        assert_eq!(l.endpoint.as_str(), "https://acct.blob.core.windows.net/");
        assert_eq!(
            l.blob_url(&l.path).as_str(),
            "https://acct.blob.core.windows.net/network-watcher-logs/subscriptions/S/x%20y.cap"
        );
    }

    #[test]
    fn path_style_and_container_only() {
        let l = parse("http://127.0.0.1:10000/devstoreaccount1/c1");
        assert_eq!(l.account, "devstoreaccount1");
        assert_eq!(l.container, "c1");
        assert_eq!(l.path, "");
        assert_eq!(
            l.endpoint.as_str(),
            "http://127.0.0.1:10000/devstoreaccount1/"
        );
        assert_eq!(
            l.container_url().as_str(),
            "http://127.0.0.1:10000/devstoreaccount1/c1"
        );
    }

    #[test]
    fn with_endpoint() {
        let ep = Url::parse("http://127.0.0.1:10000/devstoreaccount1").unwrap();
        let u = SafeUrl::parse("http://127.0.0.1:10000/devstoreaccount1/c/p/").unwrap();
        let l = BlobLocation::parse(&u, Some(&ep)).unwrap();
        assert_eq!(
            (l.account.as_str(), l.container.as_str(), l.path.as_str()),
            ("devstoreaccount1", "c", "p/")
        );
        let l = BlobLocation::from_endpoint(&ep, "devstoreaccount1", "c/a/b.cap").unwrap();
        assert_eq!(
            l.blob_url("a/b.cap").as_str(),
            "http://127.0.0.1:10000/devstoreaccount1/c/a/b.cap"
        );
    }

    #[test]
    fn errors() {
        let bad = |s: &str| BlobLocation::parse(&SafeUrl::parse(s).unwrap(), None).is_err();
        assert!(bad("ftp://acct.blob.core.windows.net/c/b"));
        assert!(bad("https://acct.blob.core.windows.net/"));
        assert!(bad("http://127.0.0.1:10000/devstoreaccount1/"));
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%41"), "A");
    }
}
