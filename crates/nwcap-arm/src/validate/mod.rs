//! The API's rules, checked before anything is sent.
//!
//! ARM answers a bad body with a generic `InvalidRequestFormat` after a round
//! trip (or, for a property the api-version lacks, silently drops it);
//! checking here lets the error name the `nwcap capture start` flag that is
//! wrong and the rule it breaks. Rules and limits are those of the
//! packet-capture schema of the public REST API specs
//! (`PacketCaptureParameters` and friends in `networkWatcher.json`, stable
//! api-versions up to 2025-07-01): value ranges, which storage fields go
//! together, `.cap` file names, the filter notation ([`notation`]), and the
//! fields each api-version has ([`version`]).

pub mod notation;
pub mod version;

use std::fmt;

use crate::types::{CaptureFilter, PacketCaptureProperties, TargetType};

/// Largest `timeLimitInSeconds` (5 hours; the schema's `maximum`).
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

pub(crate) fn bad(flag: &'static str, message: impl Into<String>) -> ValidationError {
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

/// A numeric flag as typed (it may be negative or huge), checked against
/// the schema's `minimum` 0 and `maximum`; `field` is the API's name.
pub fn limit(
    flag: &'static str,
    field: &str,
    value: i128,
    max: u64,
    unit: &str,
) -> Result<u64, ValidationError> {
    u64::try_from(value)
        .ok()
        .filter(|v| *v <= max)
        .ok_or_else(|| {
            bad(
                flag,
                format!("{value} is out of range: the API's {field} takes 0 to {max}{unit}"),
            )
        })
}

/// Whether a resource id names a scale set.
fn is_scale_set_id(id: &str) -> bool {
    crate::types::id_segment(id, "virtualMachineScaleSets").is_some()
}

/// Checks the parameters of a new packet capture against the API's rules
/// for `version`. Returns warnings (notation the API does not document,
/// sent as typed) when nothing is wrong.
pub fn check_properties(
    p: &PacketCaptureProperties,
    version: &version::ApiVersion,
) -> Result<Vec<String>, ValidationError> {
    use version::Feature;
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
    match &p.target_type {
        Some(TargetType::Other(t)) => {
            return Err(bad(
                "--target-type",
                format!("{t:?} is not AzureVM or AzureVMSS"),
            ));
        }
        Some(TargetType::AzureVm) | None if is_scale_set_id(&p.target) => {
            return Err(bad(
                "--target-type",
                "the target is a scale set (virtualMachineScaleSets) but the target type is AzureVM: \
                 use AzureVMSS (targetType must match the target's resource type)",
            ));
        }
        Some(TargetType::AzureVmss) if !is_scale_set_id(&p.target) => {
            return Err(bad(
                "--target-type",
                "AzureVMSS needs a scale set id (.../virtualMachineScaleSets/NAME); \
                 the target is not one",
            ));
        }
        _ => {}
    }
    if p.target_type.is_some() || p.scope.is_some() {
        let flag = if p.scope.is_some() {
            "--include/--exclude"
        } else {
            "--target-type"
        };
        version.require(Feature::ScaleSets, flag)?;
    }
    if p.scope.is_some() && !is_vmss {
        return Err(bad("--include/--exclude", "only for scale sets (--vmss)"));
    }
    if let Some(b) = p.bytes_to_capture_per_packet {
        limit(
            "--bytes-per-packet",
            "bytesToCapturePerPacket",
            b.into(),
            MAX_BYTES,
            " bytes",
        )?;
    }
    if let Some(b) = p.total_bytes_per_session {
        limit(
            "--bytes-per-session",
            "totalBytesPerSession",
            b.into(),
            MAX_BYTES,
            " bytes",
        )?;
    }
    if let Some(t) = p.time_limit_in_seconds {
        limit(
            "--time-limit",
            "timeLimitInSeconds",
            t.into(),
            MAX_TIME_LIMIT_SECONDS.into(),
            " seconds",
        )?;
    }
    let continuous = p.continuous_capture.is_some();
    if continuous {
        version.require(Feature::ContinuousCapture, "--continuous")?;
    }
    let s = &p.storage_location;
    if s.storage_id.is_none() && s.file_path.is_none() && s.local_path.is_none() {
        return Err(bad(
            "--storage-account",
            "give a storage account, a --file-path on the VM, or both \
             (storageId is required when no filePath or localPath is given)",
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
    if let Some(path) = &s.storage_path {
        if s.storage_id.is_none() {
            return Err(bad("--storage-path", "needs --storage-account"));
        }
        let uri_ok = reqwest::Url::parse(path).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        });
        if !uri_ok {
            return Err(bad(
                "--storage-path",
                format!(
                    "{path:?} is not a URI: storagePath \"must be a well-formed URI describing \
                     the location to save the packet capture\" (https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH)"
                ),
            ));
        }
    }
    if let Some(path) = &s.file_path {
        if continuous {
            return Err(bad(
                "--file-path",
                "not with --continuous: filePath \"is invalid if 'Continuous Capture' is provided \
                 with 'true' or 'false'\"; use --local-path",
            ));
        }
        if !ends_with_cap(path) {
            return Err(bad("--file-path", format!("{path:?} must end with .cap")));
        }
    }
    if let Some(path) = &s.local_path {
        if !continuous {
            return Err(bad(
                "--local-path",
                "only with --continuous true|false (localPath \"is valid if 'Continuous Capture' \
                 is provided\"); use --file-path",
            ));
        }
        version.require(Feature::ContinuousCapture, "--local-path")?;
        if !ends_with_cap(path) {
            return Err(bad("--local-path", format!("{path:?} must end with .cap")));
        }
    }
    if let Some(cs) = &p.capture_settings {
        if !continuous {
            return Err(bad(
                "--file-count/--file-size/--session-time-limit",
                "only with --continuous true|false",
            ));
        }
        version.require(
            Feature::ContinuousCapture,
            "--file-count/--file-size/--session-time-limit",
        )?;
        if let Some(n) = cs.file_count {
            limit(
                "--file-count",
                "fileCount",
                n.into(),
                MAX_FILE_COUNT.into(),
                "",
            )?;
        }
        if let Some(b) = cs.file_size_in_bytes {
            limit(
                "--file-size",
                "fileSizeInBytes",
                b.into(),
                MAX_BYTES,
                " bytes",
            )?;
        }
        if let Some(t) = cs.session_time_limit_in_seconds {
            limit(
                "--session-time-limit",
                "sessionTimeLimitInSeconds",
                t.into(),
                MAX_SESSION_TIME_LIMIT_SECONDS.into(),
                " seconds",
            )?;
        }
    }
    check_filters(p.filters.as_deref().unwrap_or_default())
}

/// Checks filters: each value with `nwcap-filter` (the notation the
/// analysis commands read), then the API's own notation rules as typed.
/// With one filter the errors name the flags (`--local-port`); with several
/// (from `--filter JSON`) they name `--filter` and the filter's index.
pub fn check_filters(filters: &[CaptureFilter]) -> Result<Vec<String>, ValidationError> {
    let single = filters.len() == 1;
    let mut warnings = Vec::new();
    for (i, f) in filters.iter().enumerate() {
        let names = if single {
            nwcap_filter::FieldNames::FLAGS
        } else {
            nwcap_filter::FieldNames::JSON
        };
        if let Err(e) = f.to_packet_filter_named(names) {
            let message = e.to_string();
            if single {
                let message = message
                    .strip_prefix(&format!("{}: ", e.field))
                    .unwrap_or(&message)
                    .to_owned();
                return Err(bad(e.field, message));
            }
            return Err(bad("--filter", format!("filters[{i}].{message}")));
        }
        let fields = [
            ("--local-ip", "localIPAddress", &f.local_ip_address, true),
            ("--local-port", "localPort", &f.local_port, false),
            ("--remote-ip", "remoteIPAddress", &f.remote_ip_address, true),
            ("--remote-port", "remotePort", &f.remote_port, false),
        ];
        for (flag, json, value, addresses) in fields {
            let Some(text) = value.as_deref().filter(|t| !t.trim().is_empty()) else {
                continue;
            };
            let (flag, label) = if single {
                (flag, flag.to_owned())
            } else {
                ("--filter", format!("filters[{i}].{json}"))
            };
            warnings.extend(notation::check_field(flag, &label, json, text, addresses)?);
        }
    }
    Ok(warnings)
}

/// [`check_properties`] without the warnings.
pub fn validate_properties(
    p: &PacketCaptureProperties,
    version: &version::ApiVersion,
) -> Result<(), ValidationError> {
    check_properties(p, version).map(|_| ())
}

/// The rule of the spec that depends on the target's operating system:
/// on Linux, `filePath` and `localPath` "must start with /var/captures".
pub fn check_paths_for_os(
    p: &PacketCaptureProperties,
    os: &crate::types::OsType,
) -> Result<(), ValidationError> {
    if !matches!(os, crate::types::OsType::Linux) {
        return Ok(());
    }
    let s = &p.storage_location;
    for (flag, path) in [
        ("--file-path", &s.file_path),
        ("--local-path", &s.local_path),
    ] {
        if let Some(path) = path
            && !(path == "/var/captures" || path.starts_with("/var/captures/"))
        {
            return Err(bad(
                flag,
                format!(
                    "{path:?}: the target runs Linux, where the capture file \"must start with \
                     /var/captures\" (e.g. /var/captures/capture.cap)"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
