//! How the fetcher authenticates, reduced to what the SDK understands.
//!
//! `azure_storage_blob` 1.x knows two things: an Entra ID token credential,
//! or no credential (anonymous, or a SAS already in the URL). An account key
//! or a connection string is therefore turned into a short-lived read+list
//! container SAS (see [`crate::sas`]) before any request is made.

use std::fmt;
use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use url::Url;

use crate::sas::{AccountKey, SasError, SasRequest};

/// A credential for reading blobs.
#[derive(Clone)]
pub enum Credential {
    /// No credential: a public container, or a SAS in the URL.
    Anonymous,
    /// Entra ID token (scope `https://storage.azure.com/.default`).
    Token(Arc<dyn TokenCredential>),
    /// Account name + key: signed locally into a read-only SAS.
    SharedKey {
        /// Account name.
        account: String,
        /// Account key.
        key: AccountKey,
    },
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Anonymous => f.write_str("Anonymous"),
            Self::Token(_) => f.write_str("Token(..)"),
            Self::SharedKey { account, .. } => write!(f, "SharedKey({account}, REDACTED)"),
        }
    }
}

impl Credential {
    /// The SAS query to append for `account`/`container`, if this is a key.
    pub(crate) fn sas_for(
        &self,
        account: &str,
        container: &str,
        ttl: time::Duration,
    ) -> Result<Option<String>, AuthError> {
        match self {
            Self::SharedKey { account: a, key } => {
                if !a.eq_ignore_ascii_case(account) {
                    return Err(AuthError::AccountMismatch {
                        key_account: a.clone(),
                        url_account: account.to_owned(),
                    });
                }
                Ok(Some(
                    SasRequest::read_container(account, container, ttl).sign(key)?,
                ))
            }
            _ => Ok(None),
        }
    }
}

/// Problems with credentials.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A connection string could not be used.
    #[error("connection string: {0}")]
    ConnectionString(&'static str),
    /// The key is for another account than the URL.
    #[error("the account key is for '{key_account}' but the url names '{url_account}'")]
    AccountMismatch {
        /// Account the key belongs to.
        key_account: String,
        /// Account in the URL.
        url_account: String,
    },
    /// Signing failed.
    #[error(transparent)]
    Sas(#[from] SasError),
}

/// The useful parts of a storage connection string. `Debug` hides the key.
#[derive(Debug, Clone)]
pub struct ConnectionString {
    /// Account name.
    pub account: String,
    /// Account key, if any.
    pub key: Option<AccountKey>,
    /// Blob service endpoint (`BlobEndpoint`, or built from the account
    /// name, protocol and suffix).
    pub blob_endpoint: Url,
    /// A SAS from `SharedAccessSignature=` (query, no `?`), if any.
    sas: Option<String>,
}

/// The Azurite development account's published key.
const DEV_ACCOUNT: &str = "devstoreaccount1";
const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

impl ConnectionString {
    /// Parse `Key=Value;...` (`UseDevelopmentStorage=true` included).
    pub fn parse(s: &str) -> Result<Self, AuthError> {
        let mut account = None;
        let mut key = None;
        let mut endpoint = None;
        let mut protocol = "https".to_owned();
        let mut suffix = "core.windows.net".to_owned();
        let mut sas = None;
        let mut dev = false;
        for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or(AuthError::ConnectionString("expected Key=Value pairs"))?;
            match k.to_ascii_lowercase().as_str() {
                "accountname" => account = Some(v.to_owned()),
                "accountkey" => key = Some(AccountKey::from_base64(v)?),
                "blobendpoint" => endpoint = Some(v.to_owned()),
                "defaultendpointsprotocol" => protocol = v.to_owned(),
                "endpointsuffix" => suffix = v.to_owned(),
                "sharedaccesssignature" => sas = Some(v.trim_start_matches('?').to_owned()),
                "usedevelopmentstorage" => dev = v.eq_ignore_ascii_case("true"),
                _ => {}
            }
        }
        if dev {
            account.get_or_insert_with(|| DEV_ACCOUNT.to_owned());
            if key.is_none() {
                key = Some(AccountKey::from_base64(DEV_KEY)?);
            }
            endpoint.get_or_insert_with(|| format!("http://127.0.0.1:10000/{DEV_ACCOUNT}"));
        }
        let endpoint = match endpoint {
            Some(e) => e,
            None => {
                let a = account.as_deref().ok_or(AuthError::ConnectionString(
                    "no AccountName or BlobEndpoint",
                ))?;
                format!("{protocol}://{a}.blob.{suffix}")
            }
        };
        let blob_endpoint = Url::parse(&endpoint)
            .map_err(|_| AuthError::ConnectionString("invalid BlobEndpoint"))?;
        let account = match account {
            Some(a) => a,
            None => crate::location::BlobLocation::parse(
                &crate::SafeUrl::new(
                    blob_endpoint
                        .join("x")
                        .unwrap_or_else(|_| blob_endpoint.clone()),
                ),
                None,
            )
            .map(|l| l.account)
            .map_err(|_| AuthError::ConnectionString("no AccountName"))?,
        };
        if key.is_none() && sas.is_none() {
            return Err(AuthError::ConnectionString(
                "no AccountKey or SharedAccessSignature",
            ));
        }
        Ok(Self {
            account,
            key,
            blob_endpoint,
            sas,
        })
    }

    /// The credential this connection string gives, and a SAS to put on URLs
    /// when it holds one instead of a key.
    pub fn credential(&self) -> (Credential, Option<String>) {
        match &self.key {
            Some(key) => (
                Credential::SharedKey {
                    account: self.account.clone(),
                    key: key.clone(),
                },
                None,
            ),
            None => (Credential::Anonymous, self.sas.clone()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_azurite_style() {
        let cs = format!(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DEV_KEY};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
        );
        let c = ConnectionString::parse(&cs).unwrap();
        assert_eq!(c.account, "devstoreaccount1");
        assert_eq!(
            c.blob_endpoint.as_str(),
            "http://127.0.0.1:10000/devstoreaccount1"
        );
        assert!(!format!("{c:?}").contains("Eby8"));
        assert!(!format!("{:?}", c.credential().0).contains("Eby8"));
    }

    #[test]
    fn parses_azure_style_and_dev() {
        let c = ConnectionString::parse(&format!(
            "AccountName=acct;AccountKey={DEV_KEY};EndpointSuffix=core.windows.net"
        ))
        .unwrap();
        assert_eq!(
            c.blob_endpoint.as_str(),
            "https://acct.blob.core.windows.net/"
        );
        let d = ConnectionString::parse("UseDevelopmentStorage=true").unwrap();
        assert_eq!(d.account, "devstoreaccount1");
        let s = ConnectionString::parse(
            "BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=sv=1&sig=x",
        )
        .unwrap();
        assert_eq!(s.account, "acct");
        assert_eq!(s.credential().1.as_deref(), Some("sv=1&sig=x"));
    }

    #[test]
    fn rejects_bad() {
        assert!(ConnectionString::parse("AccountName=a").is_err());
        assert!(ConnectionString::parse("garbage").is_err());
        assert!(ConnectionString::parse("AccountName=a;AccountKey=%%%").is_err());
        let e = ConnectionString::parse("AccountName=a;AccountKey=%%%")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("%%%"));
    }

    #[test]
    fn key_for_other_account_is_refused() {
        let c = Credential::SharedKey {
            account: "a".into(),
            key: AccountKey::from_base64(DEV_KEY).unwrap(),
        };
        assert!(c.sas_for("b", "c", time::Duration::hours(1)).is_err());
        assert!(
            c.sas_for("A", "c", time::Duration::hours(1))
                .unwrap()
                .is_some()
        );
    }
}
