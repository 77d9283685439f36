//! Test data: deterministic bytes, uploaded to Azurite through the official
//! SDK with an account SAS signed by nwcap-fetch's own signer (the key never
//! travels; Azurite checks the signature like Azure does).

use std::num::NonZero;

use azure_core::http::RequestContent;
use azure_storage_blob::models::BlockBlobClientUploadOptions;
use azure_storage_blob::{BlobClient, BlobContainerClient};
use nwcap_fetch::sas::{AccountKey, SasRequest, SasScope};
use sha2::{Digest, Sha256};

use crate::support::azurite::{ACCOUNT, Azurite, KEY};

/// `n` deterministic pseudo-random bytes (xorshift64*), different per `seed`.
pub fn data(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut v = Vec::with_capacity(n + 8);
    while v.len() < n {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        v.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    v.truncate(n);
    v
}

/// Hex SHA-256.
pub fn sha256(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// A SAS query signed with the dev key.
pub fn sas(scope: SasScope, permissions: &str) -> String {
    let now = time::OffsetDateTime::now_utc();
    let req = SasRequest {
        account: ACCOUNT.into(),
        scope,
        permissions: permissions.into(),
        start: Some(now - time::Duration::minutes(5)),
        expiry: now + time::Duration::hours(2),
        protocol: None,
    };
    req.sign(&AccountKey::from_base64(KEY).expect("dev key"))
        .expect("sign")
}

/// A read + list SAS URL for a container (optionally a path in it).
pub fn container_sas_url(az: &Azurite, container: &str, path: &str) -> String {
    let q = sas(
        SasScope::Container {
            container: container.into(),
        },
        "rl",
    );
    format!("{}/{container}/{path}?{q}", az.endpoint())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Create `container` and upload `blobs` (name, bytes). Blobs up to 4 MiB
/// go in one Put Blob with Content-MD5; larger ones in parallel blocks
/// (no Content-MD5, as for files Network Watcher writes in blocks).
pub fn upload(az: &Azurite, container: &str, blobs: &[(&str, &[u8])]) {
    let account_sas = sas(
        SasScope::Account {
            resource_types: "sco".into(),
        },
        "rwdlac",
    );
    let endpoint = az.endpoint();
    runtime().block_on(async {
        let curl = url::Url::parse(&format!("{endpoint}/{container}?{account_sas}")).expect("url");
        let c = BlobContainerClient::new(curl, None, None).expect("container client");
        if let Err(e) = c.create(None).await {
            assert_eq!(
                e.http_status().map(u16::from),
                Some(409),
                "create container: {e}"
            );
        }
        for (name, bytes) in blobs {
            let mut u = url::Url::parse(&format!("{endpoint}/{container}")).expect("url");
            u.path_segments_mut().expect("base").extend(name.split('/'));
            u.set_query(Some(&account_sas));
            let b = BlobClient::new(u, None, None).expect("blob client");
            let small = bytes.len() <= 4 << 20;
            let opts = BlockBlobClientUploadOptions {
                blob_content_md5: small.then(|| md5::Md5::digest(bytes).to_vec()),
                parallel: NonZero::new(8),
                partition_size: NonZero::new(8 << 20),
                ..Default::default()
            };
            b.upload(RequestContent::from(bytes.to_vec()), Some(opts))
                .await
                .unwrap_or_else(|e| panic!("upload {name}: {e}"));
        }
    });
}
