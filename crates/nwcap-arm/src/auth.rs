//! Tokens for ARM (and for Storage: the fetch crate asks the same chain for
//! another scope).
//!
//! Two ways to authenticate:
//! - a bearer token given directly (`--access-token`, `NWCAP_ACCESS_TOKEN`),
//!   for scripts and tests: used as is, for any scope;
//! - a chain of `azure_identity` credentials tried in order, the first that
//!   yields a token wins and is remembered for the rest of the run:
//!   1. client secret from `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` + `AZURE_CLIENT_SECRET`;
//!   2. workload identity when `AZURE_FEDERATED_TOKEN_FILE` is set (AKS, GitHub OIDC);
//!   3. managed identity (IMDS, App Service; `AZURE_CLIENT_ID` selects a
//!      user-assigned identity), given at most 5 s, since off Azure the
//!      probe would otherwise hang;
//!   4. the Azure CLI (`az account get-access-token`).
//!
//! Tokens are cached per scope until five minutes before they expire. They
//! only ever exist as [`Secret`], and errors carry the credential's message,
//! never a token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use azure_identity::{
    AzureCliCredential, ClientSecretCredential, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
};
use time::OffsetDateTime;

use crate::secret::Secret;

/// Environment variable holding a bearer token to use as is.
pub const ACCESS_TOKEN_ENV: &str = "NWCAP_ACCESS_TOKEN";

/// How long the managed identity credential may take before the chain moves on.
const MANAGED_IDENTITY_TIMEOUT: Duration = Duration::from_secs(5);

/// No credential produced a token.
#[derive(Debug, thiserror::Error)]
#[error("no credential produced a token for {scope}: {}", attempts.join("; "))]
pub struct AuthError {
    /// The scope asked for.
    pub scope: String,
    /// One line per credential tried: `name: why`.
    pub attempts: Vec<String>,
}

/// How to build a [`Credential`].
#[derive(Debug, Clone, Default)]
pub struct CredentialOptions {
    /// A bearer token to use as is (skips the chain).
    pub access_token: Option<Secret>,
    /// The ARM endpoint, used to pick the sovereign cloud's authority.
    pub arm_endpoint: Option<String>,
}

/// A source of bearer tokens: a fixed token or the credential chain.
#[derive(Debug, Clone)]
pub struct Credential {
    inner: Arc<Inner>,
}

#[derive(Debug)]
enum Inner {
    Static(Secret),
    Chain {
        cloud: Option<Arc<azure_core::cloud::CloudConfiguration>>,
        cache: Mutex<HashMap<String, (Secret, OffsetDateTime)>>,
        winner: Mutex<Option<usize>>,
    },
}

/// Names of the chain's credentials, in order.
pub const CHAIN: [&str; 4] = [
    "client secret (AZURE_CLIENT_SECRET)",
    "workload identity (AZURE_FEDERATED_TOKEN_FILE)",
    "managed identity",
    "azure cli",
];

impl Credential {
    /// A credential from options: the given token, else the chain.
    pub fn from_options(options: &CredentialOptions) -> Self {
        let inner = match &options.access_token {
            Some(token) => Inner::Static(token.clone()),
            None => Inner::Chain {
                cloud: options.arm_endpoint.as_deref().and_then(cloud_for_endpoint),
                cache: Mutex::new(HashMap::new()),
                winner: Mutex::new(None),
            },
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// A credential that always answers `token`.
    pub fn from_token(token: Secret) -> Self {
        Self {
            inner: Arc::new(Inner::Static(token)),
        }
    }

    /// Whether this is a fixed token rather than the chain.
    pub fn is_static(&self) -> bool {
        matches!(*self.inner, Inner::Static(_))
    }

    /// A bearer token for `scope` (e.g. `https://management.azure.com/.default`).
    pub async fn token(&self, scope: &str) -> Result<Secret, AuthError> {
        match &*self.inner {
            Inner::Static(token) => Ok(token.clone()),
            Inner::Chain {
                cloud,
                cache,
                winner,
            } => {
                let now = OffsetDateTime::now_utc();
                if let Ok(cache) = cache.lock()
                    && let Some((token, expires)) = cache.get(scope)
                    && *expires - time::Duration::minutes(5) > now
                {
                    return Ok(token.clone());
                }
                let first = winner.lock().ok().and_then(|w| *w);
                let order: Vec<usize> = match first {
                    Some(i) => vec![i],
                    None => (0..CHAIN.len()).collect(),
                };
                let mut attempts = Vec::new();
                for i in order {
                    match try_credential(i, cloud.clone(), scope).await {
                        Ok((token, expires)) => {
                            if let Ok(mut w) = winner.lock() {
                                *w = Some(i);
                            }
                            if let Ok(mut c) = cache.lock() {
                                c.insert(scope.to_owned(), (token.clone(), expires));
                            }
                            return Ok(token);
                        }
                        Err(why) => attempts.push(format!("{}: {why}", CHAIN[i])),
                    }
                }
                Err(AuthError {
                    scope: scope.to_owned(),
                    attempts,
                })
            }
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

async fn try_credential(
    index: usize,
    cloud: Option<Arc<azure_core::cloud::CloudConfiguration>>,
    scope: &str,
) -> Result<(Secret, OffsetDateTime), String> {
    let client_options = azure_core::http::ClientOptions {
        cloud,
        ..Default::default()
    };
    let credential: Arc<dyn TokenCredential> = match index {
        0 => {
            let (Some(tenant), Some(client), Some(secret)) = (
                env("AZURE_TENANT_ID"),
                env("AZURE_CLIENT_ID"),
                env("AZURE_CLIENT_SECRET"),
            ) else {
                return Err("not configured".to_owned());
            };
            let options = azure_identity::ClientSecretCredentialOptions { client_options };
            ClientSecretCredential::new(&tenant, client, secret.into(), Some(options))
                .map_err(|e| e.to_string())?
        }
        1 => {
            if env("AZURE_FEDERATED_TOKEN_FILE").is_none() {
                return Err("not configured".to_owned());
            }
            let mut options = azure_identity::WorkloadIdentityCredentialOptions::default();
            options.credential_options.client_options = client_options;
            WorkloadIdentityCredential::new(Some(options)).map_err(|e| e.to_string())?
        }
        2 => {
            let options = ManagedIdentityCredentialOptions {
                user_assigned_id: env("AZURE_CLIENT_ID").map(UserAssignedId::ClientId),
                client_options,
            };
            ManagedIdentityCredential::new(Some(options)).map_err(|e| e.to_string())?
        }
        _ => AzureCliCredential::new(None).map_err(|e| e.to_string())?,
    };
    let scopes = [scope];
    let fut = credential.get_token(&scopes, None);
    let token = if index == 2 {
        tokio::time::timeout(MANAGED_IDENTITY_TIMEOUT, fut)
            .await
            .map_err(|_| "no answer within 5 s (not on Azure?)".to_owned())?
    } else {
        fut.await
    }
    .map_err(|e| first_line(&e.to_string()))?;
    Ok((Secret::new(token.token.secret()), token.expires_on))
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_owned()
}

/// The token scope for an ARM endpoint: `{endpoint}/.default`.
pub fn scope_for_endpoint(endpoint: &str) -> String {
    format!("{}/.default", endpoint.trim_end_matches('/'))
}

/// The sovereign cloud of an ARM endpoint, so that the credentials ask the
/// right authority. `None` for the public cloud and unknown hosts, where
/// `azure_identity` reads `AZURE_AUTHORITY_HOST`.
fn cloud_for_endpoint(endpoint: &str) -> Option<Arc<azure_core::cloud::CloudConfiguration>> {
    let e = endpoint.to_ascii_lowercase();
    if e.contains("usgovcloudapi.net") {
        Some(Arc::new(
            azure_core::cloud::CloudConfiguration::AzureGovernment,
        ))
    } else if e.contains("chinacloudapi.cn") {
        Some(Arc::new(azure_core::cloud::CloudConfiguration::AzureChina))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_the_endpoint() {
        assert_eq!(
            scope_for_endpoint("https://management.azure.com/"),
            "https://management.azure.com/.default"
        );
        assert_eq!(
            scope_for_endpoint("https://management.usgovcloudapi.net"),
            "https://management.usgovcloudapi.net/.default"
        );
        assert!(cloud_for_endpoint("https://management.chinacloudapi.cn").is_some());
        assert!(cloud_for_endpoint("https://management.azure.com").is_none());
    }

    #[test]
    fn static_token_is_returned_and_hidden() {
        let c = Credential::from_token(Secret::new("tok-123"));
        assert!(c.is_static());
        assert!(!format!("{c:?}").contains("tok-123"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let t = rt.block_on(c.token("x/.default")).expect("token");
        assert_eq!(t.expose(), "tok-123");
    }
}
