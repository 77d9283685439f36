//! Entra ID for Storage through nwcap-arm's credential chain.
//!
//! ARM and Storage share one chain (CLI, managed identity, workload
//! identity, client secret, or `--access-token`); this adapter lets the
//! Storage SDK ask it for the `https://storage.azure.com/.default` scope.

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;

/// nwcap-arm's credential as an `azure_core` token credential.
#[derive(Debug, Clone)]
pub struct ChainCredential(pub nwcap_arm::auth::Credential);

#[async_trait::async_trait]
impl TokenCredential for ChainCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let scope = scopes
            .first()
            .copied()
            .unwrap_or("https://storage.azure.com/.default");
        let token =
            self.0.token(scope).await.map_err(|e| {
                azure_core::Error::with_message(ErrorKind::Credential, e.to_string())
            })?;
        // The chain caches tokens itself; a short expiry makes the SDK ask
        // again soon, and the chain answers from its cache.
        let expires = time::OffsetDateTime::now_utc() + time::Duration::minutes(5);
        Ok(AccessToken::new(
            Secret::new(token.expose().to_owned()),
            expires,
        ))
    }
}
