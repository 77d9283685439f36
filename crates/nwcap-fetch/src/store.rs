//! The storage side: one container, reached through `azure_storage_blob`.
//!
//! Everything that talks to the service is here, so the download logic sees
//! three operations (list, properties, ranged read) and [`FetchError`]s.
//! One HTTP transport is shared by every client, so connections are pooled
//! across blobs. The SDK's own retry policy handles failed requests; the
//! download loop retries bodies cut mid-way (which the SDK cannot, as the
//! response has already been handed over).

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use azure_core::http::Etag;
use azure_core::http::response::AsyncResponseBody;
use azure_core::http::{
    ClientOptions, ExponentialRetryOptions, HttpClientOptions, RetryOptions, Transport,
    new_http_client,
};
use azure_storage_blob::models::{
    BlobClientDownloadOptions, BlobClientGetPropertiesResultHeaders,
    BlobContainerClientListBlobsOptions, HttpRange,
};
use azure_storage_blob::{
    BlobClient, BlobClientOptions, BlobContainerClient, BlobContainerClientOptions,
};
use base64::Engine as _;
use futures::StreamExt;
use url::Url;

use crate::location::BlobLocation;
use crate::{FetchError, SafeUrl};

/// A blob to download, as listed or probed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    /// Name inside the container.
    pub name: String,
    /// Length in bytes.
    pub size: u64,
    /// ETag (quoted, as the service sends it).
    pub etag: String,
    /// Base64 Content-MD5, when the blob has one.
    pub content_md5: Option<String>,
}

/// Clients for one container, with the credential applied.
pub(crate) struct Store {
    pub loc: BlobLocation,
    sas: Option<String>,
    credential: Option<Arc<dyn TokenCredential>>,
    options: ClientOptions,
}

impl Store {
    pub fn new(
        loc: BlobLocation,
        sas: Option<String>,
        credential: Option<Arc<dyn TokenCredential>>,
        sdk_retries: u32,
    ) -> Self {
        // Ranged reads must see the bytes as stored: no transparent decompression.
        #[allow(clippy::needless_update)] // the options struct may grow fields
        let http = HttpClientOptions {
            automatic_decompression: false,
            ..Default::default()
        };
        let transport = Transport::new(new_http_client(Some(http)));
        let retry = if sdk_retries == 0 {
            RetryOptions::none()
        } else {
            RetryOptions::exponential(ExponentialRetryOptions {
                max_retries: sdk_retries,
                ..Default::default()
            })
        };
        let options = ClientOptions {
            transport: Some(transport),
            retry,
            ..Default::default()
        };
        Self {
            loc,
            sas,
            credential,
            options,
        }
    }

    fn with_sas(&self, mut u: Url) -> Url {
        if let Some(q) = &self.sas {
            u.set_query(Some(q));
        }
        u
    }

    /// URL of a blob, SAS included (redacted when shown).
    pub fn blob_url(&self, name: &str) -> SafeUrl {
        SafeUrl::new(self.with_sas(self.loc.blob_url(name)))
    }

    fn container_url(&self) -> SafeUrl {
        SafeUrl::new(self.with_sas(self.loc.container_url()))
    }

    fn blob_client(&self, name: &str) -> Result<(BlobClient, SafeUrl), FetchError> {
        let url = self.blob_url(name);
        let opts = BlobClientOptions {
            client_options: self.options.clone(),
            ..Default::default()
        };
        let c = BlobClient::new(url.expose().clone(), self.credential.clone(), Some(opts))
            .map_err(|e| FetchError::from_sdk("open", &url, &e))?;
        Ok((c, url))
    }

    /// Length, ETag and MD5 of one blob.
    pub async fn properties(&self, name: &str) -> Result<BlobInfo, FetchError> {
        let (c, url) = self.blob_client(name)?;
        let op = "get properties";
        let rsp = c
            .get_properties(None)
            .await
            .map_err(|e| FetchError::from_sdk(op, &url, &e))?;
        let size = rsp
            .content_length()
            .ok()
            .flatten()
            .ok_or(FetchError::MissingHeader {
                url: url.clone(),
                header: "content-length",
            })?;
        let etag = rsp.etag().ok().flatten().ok_or(FetchError::MissingHeader {
            url: url.clone(),
            header: "etag",
        })?;
        let md5 = rsp.content_md5().ok().flatten().filter(|m| !m.is_empty());
        Ok(BlobInfo {
            name: name.to_owned(),
            size,
            etag: etag.to_string(),
            content_md5: md5.map(|m| base64::engine::general_purpose::STANDARD.encode(m)),
        })
    }

    /// Every blob under `prefix`, in service order (flat listing).
    pub async fn list(&self, prefix: &str) -> Result<Vec<BlobInfo>, FetchError> {
        let url = self.container_url();
        let opts = BlobContainerClientOptions {
            client_options: self.options.clone(),
            ..Default::default()
        };
        let op = "list";
        let c = BlobContainerClient::new(url.expose().clone(), self.credential.clone(), Some(opts))
            .map_err(|e| FetchError::from_sdk(op, &url, &e))?;
        let list_opts = BlobContainerClientListBlobsOptions {
            prefix: (!prefix.is_empty()).then(|| prefix.to_owned()),
            ..Default::default()
        };
        let mut pages = c
            .list_blobs(Some(list_opts))
            .map_err(|e| FetchError::from_sdk(op, &url, &e))?
            .into_pages();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| FetchError::from_sdk(op, &url, &e))?;
            let body = page
                .into_model()
                .map_err(|e| FetchError::from_sdk(op, &url, &e))?;
            for item in body.blob_items {
                let Some(name) = item.name else { continue };
                let props = item.properties;
                let (size, etag, md5) = match props {
                    Some(p) => (
                        p.content_length,
                        p.etag.map(|e| e.to_string()),
                        p.content_md5,
                    ),
                    None => (None, None, None),
                };
                out.push(BlobInfo {
                    name,
                    size: size.unwrap_or(0),
                    etag: etag.unwrap_or_default(),
                    content_md5: md5
                        .filter(|m| !m.is_empty())
                        .map(|m| base64::engine::general_purpose::STANDARD.encode(m)),
                });
            }
        }
        Ok(out)
    }

    /// Start a ranged read of `len` bytes at `offset`, only if the ETag still matches.
    pub async fn read_range(
        &self,
        blob: &BlobInfo,
        offset: u64,
        len: u64,
    ) -> Result<AsyncResponseBody, FetchError> {
        let (c, url) = self.blob_client(&blob.name)?;
        let part = usize::try_from(len.max(1))
            .ok()
            .and_then(std::num::NonZero::new);
        let opts = BlobClientDownloadOptions {
            range: Some(HttpRange::new(offset, len)),
            if_match: Some(Etag::from(blob.etag.clone())),
            parallel: std::num::NonZero::new(1),
            partition_size: part,
            ..Default::default()
        };
        let rsp = c
            .download(Some(opts))
            .await
            .map_err(|e| FetchError::from_sdk("read", &url, &e))?;
        Ok(rsp.body)
    }
}
