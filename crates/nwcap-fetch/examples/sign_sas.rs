//! Print a SAS query signed locally with an account key (used by
//! `benches/fetch_bench.sh` to upload to Azurite and to fetch with curl).
//!
//! Usage: `sign_sas ACCOUNT CONTAINER PERMISSIONS [account]`; the key is read
//! from `AZURE_STORAGE_KEY` so it never appears in a process listing.

use nwcap_fetch::sas::{AccountKey, SasRequest, SasScope};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [account, container, perms, rest @ ..] = args.as_slice() else {
        return Err("usage: sign_sas ACCOUNT CONTAINER PERMISSIONS [account]".into());
    };
    let key = AccountKey::from_base64(&std::env::var("AZURE_STORAGE_KEY")?)?;
    let now = time::OffsetDateTime::now_utc();
    let scope = if rest.first().is_some_and(|s| s == "account") {
        SasScope::Account {
            resource_types: "sco".into(),
        }
    } else {
        SasScope::Container {
            container: container.clone(),
        }
    };
    let req = SasRequest {
        account: account.clone(),
        scope,
        permissions: perms.clone(),
        start: Some(now - time::Duration::minutes(5)),
        expiry: now + time::Duration::hours(2),
        protocol: None,
    };
    println!("{}", req.sign(&key)?);
    Ok(())
}
