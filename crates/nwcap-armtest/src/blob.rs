//! Writing a session's capture files to the blob service (Azurite), as the
//! Network Watcher agent uploads them: with the official
//! `azure_storage_blob` client and an account SAS signed by
//! `nwcap-fetch`'s signer (the key never travels).

use azure_core::http::{ClientOptions, RequestContent, RetryOptions};
use azure_storage_blob::{
    BlobClient, BlobClientOptions, BlobContainerClient, BlobContainerClientOptions,
};
use nwcap_fetch::sas::{AccountKey, SasRequest, SasScope};

use crate::lifecycle::UploadJob;

/// No retries: an unreachable service is `StorageFailed` at once, as the
/// agent reports it, rather than a request that hangs in backoff.
fn client_options() -> ClientOptions {
    ClientOptions {
        retry: RetryOptions::none(),
        ..Default::default()
    }
}

/// Uploads every file of `job`, creating its container when missing.
pub(crate) async fn upload(job: &UploadJob) -> Result<(), String> {
    let s = &job.storage;
    let key = AccountKey::from_base64(&s.key).map_err(|e| e.to_string())?;
    let now = time::OffsetDateTime::now_utc();
    let sas = SasRequest {
        account: s.account.clone(),
        scope: SasScope::Account {
            resource_types: "sco".into(),
        },
        permissions: "rwlac".into(),
        start: Some(now - time::Duration::minutes(5)),
        expiry: now + time::Duration::hours(1),
        protocol: None,
    }
    .sign(&key)
    .map_err(|e| e.to_string())?;
    let endpoint = s.endpoint.trim_end_matches('/');
    for (url, bytes) in &job.files {
        let rest = url
            .strip_prefix(endpoint)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| format!("{url} is not under {endpoint}"))?;
        let container = rest.split('/').next().unwrap_or_default();
        let curl =
            url::Url::parse(&format!("{endpoint}/{container}?{sas}")).map_err(|e| e.to_string())?;
        let options = BlobContainerClientOptions {
            client_options: client_options(),
            ..Default::default()
        };
        let client =
            BlobContainerClient::new(curl, None, Some(options)).map_err(|e| e.to_string())?;
        if let Err(e) = client.create(None).await
            && e.http_status().map(u16::from) != Some(409)
        {
            return Err(format!("create container {container}: {e}"));
        }
        let mut burl = url::Url::parse(url).map_err(|e| e.to_string())?;
        burl.set_query(Some(&sas));
        let options = BlobClientOptions {
            client_options: client_options(),
            ..Default::default()
        };
        let blob = BlobClient::new(burl, None, Some(options)).map_err(|e| e.to_string())?;
        blob.upload(RequestContent::from(bytes.clone()), None)
            .await
            .map_err(|e| format!("upload {url}: {e}"))?;
    }
    Ok(())
}
