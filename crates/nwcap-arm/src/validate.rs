//! The API's limits, checked before anything is sent.
//!
//! ARM answers a bad body with a generic `InvalidRequestFormat` after a round
//! trip; checking here lets the error name the `nwcap capture start` flag
//! that is wrong. Limits are those of the packetCaptures schema
//! (api-version 2025-07-01).

use std::fmt;

use crate::types::{PacketCaptureProperties, TargetType};

/// Largest `timeLimitInSeconds` (5 hours).
pub const MAX_TIME_LIMIT_SECONDS: u32 = 18_000;
/// Default `timeLimitInSeconds` when not given.
pub const DEFAULT_TIME_LIMIT_SECONDS: u32 = 18_000;
/// Default `totalBytesPerSession` (1 GiB).
pub const DEFAULT_TOTAL_BYTES_PER_SESSION: u64 = 1_073_741_824;
/// Largest byte count fields (`bytesToCapturePerPacket`, `totalBytesPerSession`, `fileSizeInBytes`).
pub const MAX_BYTES: u64 = 4_294_967_295;
/// Largest `captureSettings.fileCount`.
pub const MAX_FILE_COUNT: u32 = 10_000;
/// Largest `captureSettings.sessionTimeLimitInSeconds` (7 days).
pub const MAX_SESSION_TIME_LIMIT_SECONDS: u32 = 604_800;

/// A request parameter outside the API's limits. `flag` names the
/// `nwcap capture start` option (or `NAME`) that set it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    /// The CLI flag at fault, e.g. `--time-limit`.
    pub flag: &'static str,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.flag, self.message)
    }
}

fn bad(flag: &'static str, message: impl Into<String>) -> ValidationError {
    ValidationError {
        flag,
        message: message.into(),
    }
}

/// Checks a packet capture name: 1-80 characters of letters, digits, `_`,
/// `.`, `-`, starting with a letter or digit and ending with a letter, digit
/// or `_`.
pub fn validate_name(name: &str) -> Result<(), ValidationError> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let last_ok = name
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    if name.is_empty() || name.len() > 80 || !ok_chars || !first_ok || !last_ok {
        return Err(bad(
            "NAME",
            format!(
                "invalid capture name {name:?}: 1-80 letters, digits, '_', '.', '-'; \
                 starts with a letter or digit, ends with a letter, digit or '_'"
            ),
        ));
    }
    Ok(())
}

fn ends_with_cap(path: &str) -> bool {
    path.len() > 4 && path.to_ascii_lowercase().ends_with(".cap")
}

/// Checks the parameters of a new packet capture against the API's limits.
pub fn validate_properties(p: &PacketCaptureProperties) -> Result<(), ValidationError> {
    let target_ok = p.target.to_ascii_lowercase().starts_with("/subscriptions/")
        && crate::types::id_segment(&p.target, "providers").is_some();
    if !target_ok {
        return Err(bad(
            "--target",
            format!(
                "{:?} is not a resource id (/subscriptions/.../providers/...)",
                p.target
            ),
        ));
    }
    let is_vmss = matches!(p.target_type, Some(TargetType::AzureVmss));
    if let Some(TargetType::Other(t)) = &p.target_type {
        return Err(bad(
            "--target-type",
            format!("{t:?} is not AzureVM or AzureVMSS"),
        ));
    }
    if p.scope.is_some() && !is_vmss {
        return Err(bad("--include/--exclude", "only for scale sets (--vmss)"));
    }
    if let Some(b) = p.bytes_to_capture_per_packet
        && b > MAX_BYTES
    {
        return Err(bad(
            "--bytes-per-packet",
            format!("at most {MAX_BYTES} (got {b})"),
        ));
    }
    if let Some(b) = p.total_bytes_per_session
        && b > MAX_BYTES
    {
        return Err(bad(
            "--bytes-per-session",
            format!("at most {MAX_BYTES} (got {b})"),
        ));
    }
    if let Some(t) = p.time_limit_in_seconds
        && t > MAX_TIME_LIMIT_SECONDS
    {
        return Err(bad(
            "--time-limit",
            format!("at most {MAX_TIME_LIMIT_SECONDS} seconds (got {t})"),
        ));
    }
    let s = &p.storage_location;
    if s.storage_id.is_none() && s.file_path.is_none() && s.local_path.is_none() {
        return Err(bad(
            "--storage-account",
            "give a storage account, a --file-path on the VM, or both",
        ));
    }
    if let Some(id) = &s.storage_id
        && !id
            .to_ascii_lowercase()
            .contains("/providers/microsoft.storage/storageaccounts/")
    {
        return Err(bad(
            "--storage-account",
            format!("{id:?} is not a storage account resource id"),
        ));
    }
    if s.storage_path.is_some() && s.storage_id.is_none() {
        return Err(bad("--storage-path", "needs --storage-account"));
    }
    if let Some(path) = &s.file_path
        && !ends_with_cap(path)
    {
        return Err(bad("--file-path", format!("{path:?} must end with .cap")));
    }
    if let Some(path) = &s.local_path {
        if p.continuous_capture.is_none() {
            return Err(bad("--local-path", "only with --continuous true|false"));
        }
        if !ends_with_cap(path) {
            return Err(bad("--local-path", format!("{path:?} must end with .cap")));
        }
    }
    if let Some(cs) = &p.capture_settings {
        if p.continuous_capture.is_none() {
            return Err(bad(
                "--file-count/--file-size/--session-time-limit",
                "only with --continuous true|false",
            ));
        }
        if let Some(n) = cs.file_count
            && n > MAX_FILE_COUNT
        {
            return Err(bad(
                "--file-count",
                format!("at most {MAX_FILE_COUNT} (got {n})"),
            ));
        }
        if let Some(b) = cs.file_size_in_bytes
            && b > MAX_BYTES
        {
            return Err(bad("--file-size", format!("at most {MAX_BYTES} (got {b})")));
        }
        if let Some(t) = cs.session_time_limit_in_seconds
            && t > MAX_SESSION_TIME_LIMIT_SECONDS
        {
            return Err(bad(
                "--session-time-limit",
                format!("at most {MAX_SESSION_TIME_LIMIT_SECONDS} seconds (got {t})"),
            ));
        }
    }
    for f in p.filters.iter().flatten() {
        // The notation is the shared filter model's; its errors name the flag.
        if let Err(e) = f.to_packet_filter_named(nwcap_filter::FieldNames::FLAGS) {
            let message = e.to_string();
            let message = message
                .strip_prefix(&format!("{}: ", e.field))
                .unwrap_or(&message)
                .to_owned();
            return Err(bad(e.field, message));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{CaptureFilter, CaptureSettings, Protocol, Scope, StorageLocation};

    fn base() -> PacketCaptureProperties {
        PacketCaptureProperties {
            target: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1".into(),
            storage_location: StorageLocation {
                storage_id: Some(
                    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st".into(),
                ),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn flag_of(p: &PacketCaptureProperties) -> &'static str {
        match validate_properties(p) {
            Err(e) => e.flag,
            Ok(()) => "ok",
        }
    }

    #[test]
    fn accepts_the_minimal_request() {
        assert_eq!(flag_of(&base()), "ok");
    }

    #[test]
    fn each_limit_names_its_flag() {
        let mut p = base();
        p.time_limit_in_seconds = Some(18_001);
        assert_eq!(flag_of(&p), "--time-limit");
        p.time_limit_in_seconds = Some(18_000);
        assert_eq!(flag_of(&p), "ok");

        let mut p = base();
        p.total_bytes_per_session = Some(MAX_BYTES + 1);
        assert_eq!(flag_of(&p), "--bytes-per-session");

        let mut p = base();
        p.storage_location.file_path = Some("/var/captures/x.pcap".into());
        assert_eq!(flag_of(&p), "--file-path");
        p.storage_location.file_path = Some("/var/captures/x.CAP".into());
        assert_eq!(flag_of(&p), "ok");

        let mut p = base();
        p.storage_location.local_path = Some("/var/captures/x.cap".into());
        assert_eq!(flag_of(&p), "--local-path");
        p.continuous_capture = Some(true);
        assert_eq!(flag_of(&p), "ok");

        let mut p = base();
        p.capture_settings = Some(CaptureSettings {
            file_count: Some(10),
            ..Default::default()
        });
        assert_eq!(flag_of(&p), "--file-count/--file-size/--session-time-limit");
        p.continuous_capture = Some(false);
        assert_eq!(flag_of(&p), "ok");
        p.capture_settings = Some(CaptureSettings {
            session_time_limit_in_seconds: Some(604_801),
            ..Default::default()
        });
        assert_eq!(flag_of(&p), "--session-time-limit");

        let mut p = base();
        p.scope = Some(Scope {
            include: vec!["0".into()],
            exclude: vec![],
        });
        assert_eq!(flag_of(&p), "--include/--exclude");
        p.target_type = Some(TargetType::AzureVmss);
        assert_eq!(flag_of(&p), "ok");

        let mut p = base();
        p.storage_location = StorageLocation::default();
        assert_eq!(flag_of(&p), "--storage-account");

        let mut p = base();
        p.target = "vm1".into();
        assert_eq!(flag_of(&p), "--target");
    }

    #[test]
    fn filters_are_checked() {
        let mut p = base();
        let f = |f: CaptureFilter| Some(vec![f]);
        p.filters = f(CaptureFilter {
            protocol: Some(Protocol::parse("ICMP")),
            ..Default::default()
        });
        assert_eq!(flag_of(&p), "--protocol");
        p.filters = f(CaptureFilter {
            local_port: Some("80-70".into()),
            ..Default::default()
        });
        assert_eq!(flag_of(&p), "--local-port");
        p.filters = f(CaptureFilter {
            remote_ip_address: Some("10.0.0.1-10.0.0.300".into()),
            ..Default::default()
        });
        assert_eq!(flag_of(&p), "--remote-ip");
        p.filters = f(CaptureFilter {
            protocol: Some(Protocol::Tcp),
            local_ip_address: Some("10.0.0.1;10.0.0.5-10.0.0.9".into()),
            local_port: Some("80;443;8000-8080".into()),
            remote_port: Some(String::new()),
            ..Default::default()
        });
        assert_eq!(flag_of(&p), "ok");
    }

    #[test]
    fn names() {
        assert!(validate_name("pc1").is_ok());
        assert!(validate_name("my.capture-2_").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("-x").is_err());
        assert!(validate_name("x.").is_err());
        assert!(validate_name("a b").is_err());
        assert!(validate_name(&"a".repeat(81)).is_err());
    }
}
