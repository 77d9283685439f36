//! The subscription when no flag or id names it: `AZURE_SUBSCRIPTION_ID`,
//! else the Azure CLI's default subscription (`azureProfile.json` in
//! `$AZURE_CONFIG_DIR` or `~/.azure`), as `az` finds it.

use std::path::PathBuf;

use anyhow::{Context, bail};

fn azure_config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("AZURE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(|h| PathBuf::from(h).join(".azure"))
}

/// `AZURE_SUBSCRIPTION_ID`, else the default subscription of the Azure CLI profile.
pub(super) fn default_subscription() -> anyhow::Result<String> {
    if let Ok(s) = std::env::var("AZURE_SUBSCRIPTION_ID")
        && !s.is_empty()
    {
        return Ok(s);
    }
    let hint = "give --subscription, set AZURE_SUBSCRIPTION_ID, or run `az login`";
    let Some(dir) = azure_config_dir() else {
        bail!("no subscription: {hint}");
    };
    let path = dir.join("azureProfile.json");
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!("no subscription: {hint}"),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    profile_default(&text)
        .with_context(|| format!("{}", path.display()))?
        .with_context(|| format!("no default subscription in {}: {hint}", path.display()))
}

/// The `id` of the `isDefault` subscription of an azureProfile.json (which
/// the CLI writes with a UTF-8 BOM).
fn profile_default(bytes: &[u8]) -> anyhow::Result<Option<String>> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let v: serde_json::Value = serde_json::from_slice(bytes).context("not JSON")?;
    Ok(v.get("subscriptions")
        .and_then(|s| s.as_array())
        .and_then(|subs| {
            subs.iter()
                .find(|s| s.get("isDefault").and_then(|d| d.as_bool()) == Some(true))
        })
        .and_then(|s| s.get("id"))
        .and_then(|id| id.as_str())
        .map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_profile_default_with_bom() {
        let text = b"\xef\xbb\xbf{\"subscriptions\": [{\"id\": \"a\", \"isDefault\": false}, {\"id\": \"b\", \"isDefault\": true}]}";
        assert_eq!(profile_default(text).ok().flatten().as_deref(), Some("b"));
        assert_eq!(profile_default(b"{}").ok().flatten(), None);
        assert!(profile_default(b"nope").is_err());
    }
}
