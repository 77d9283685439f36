//! `nwcap capture start`: flags -> the capture's properties (the
//! pre-flight checks of the target are in `preflight`).
//!
//! Every parameter of the API has a flag, spelt as `az` spells it where
//! `az` has one (`-n/--name`, `--vm NAME|ID`, `--storage-account NAME|ID`,
//! `--no-wait`). Before the PUT: the target is read (region, OS, and
//! whether the Network Watcher agent extension is on it: without it the
//! service would accept the capture and fail it later; `--install-agent`
//! installs it), the storage account name is resolved, every rule of the
//! spec is checked by `nwcap-arm` (errors name the flag), and the watcher
//! of the target's region is found. Filter text is sent as typed: the
//! service decides what it means; notation it does not document is warned
//! about with its documented equivalent.

use anyhow::{Context, bail};
use nwcap_arm::types::{
    CaptureFilter, CaptureSettings, PacketCaptureProperties, Protocol, Scope, StorageLocation,
    TargetType,
};
use nwcap_arm::validate::{self, MAX_BYTES, MAX_FILE_COUNT, MAX_SESSION_TIME_LIMIT_SECONDS};
use nwcap_arm::{ArmError, Feature, TargetInfo};
use serde_json::Value;

use super::NameArg;
use super::conn::Conn;

/// A whole number as typed (negative and huge ones included: the range
/// is the API's to check, with its own message).
fn int(s: &str) -> Result<i128, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number"))
}

/// Flags of `start` that describe the capture.
#[derive(Debug, clap::Args)]
pub struct StartArgs {
    #[command(flatten)]
    pub name: NameArg,
    /// Resource group of --vm / --vmss given by name.
    #[arg(short = 'g', long, help_heading = "Target")]
    pub resource_group: Option<String>,
    /// Virtual machine to capture on: its name (with -g) or resource id.
    #[arg(long, value_name = "NAME|ID", group = "tgt", help_heading = "Target")]
    pub vm: Option<String>,
    /// Virtual machine scale set to capture on: its name (with -g) or resource id.
    #[arg(long, value_name = "NAME|ID", group = "tgt", help_heading = "Target")]
    pub vmss: Option<String>,
    /// Target resource id (VM or scale set).
    #[arg(long, value_name = "ID", group = "tgt", help_heading = "Target")]
    pub target: Option<String>,
    /// Target type with --target [default: from the id].
    #[arg(long, value_name = "AzureVM|AzureVMSS", help_heading = "Target")]
    pub target_type: Option<String>,
    /// Scale set instances to capture on (repeat or comma-separate).
    #[arg(long, value_delimiter = ',', help_heading = "Target")]
    pub include: Vec<String>,
    /// Scale set instances to leave out (repeat or comma-separate).
    #[arg(long, value_delimiter = ',', help_heading = "Target")]
    pub exclude: Vec<String>,
    /// Install the Network Watcher agent extension on the target first when
    /// it is missing (a long-running operation).
    #[arg(long, help_heading = "Target")]
    pub install_agent: bool,
    /// Bytes kept of each packet, 0-4294967295 (0 = whole packet) [service default: 0].
    #[arg(long, visible_alias = "capture-size", value_name = "BYTES", value_parser = int, allow_negative_numbers = true, help_heading = "Limits")]
    pub bytes_per_packet: Option<i128>,
    /// Session size limit, 0-4294967295 [service default: 1073741824 (1 GiB)].
    #[arg(long, visible_alias = "capture-limit", value_name = "BYTES", value_parser = int, allow_negative_numbers = true, help_heading = "Limits")]
    pub bytes_per_session: Option<i128>,
    /// Session time limit, 0-18000 [service default: 18000].
    #[arg(long, value_name = "SECONDS", value_parser = int, allow_negative_numbers = true, help_heading = "Limits")]
    pub time_limit: Option<i128>,
    /// Storage account to upload the capture to: its name (found in the
    /// subscription) or resource id.
    #[arg(long, value_name = "NAME|ID", help_heading = "Storage")]
    pub storage_account: Option<String>,
    /// Blob URI in that account [default: chosen by the service].
    #[arg(long, value_name = "URL", help_heading = "Storage")]
    pub storage_path: Option<String>,
    /// Capture file on the VM (must end in .cap; on Linux under /var/captures).
    #[arg(long, value_name = "PATH", help_heading = "Storage")]
    pub file_path: Option<String>,
    /// Local file on the VM for continuous capture (must end in .cap).
    #[arg(long, value_name = "PATH", help_heading = "Storage")]
    pub local_path: Option<String>,
    /// Continuous capture with rolling files (api-version 2024-05-01 or later).
    #[arg(long, value_name = "true|false", help_heading = "Continuous capture")]
    pub continuous: Option<bool>,
    /// Rolling files kept, 0-10000.
    #[arg(long, value_name = "N", value_parser = int, allow_negative_numbers = true, help_heading = "Continuous capture")]
    pub file_count: Option<i128>,
    /// Size of each rolling file, 0-4294967295.
    #[arg(long, value_name = "BYTES", value_parser = int, allow_negative_numbers = true, help_heading = "Continuous capture")]
    pub file_size: Option<i128>,
    /// Length of the continuous session, 0-604800.
    #[arg(long, value_name = "SECONDS", value_parser = int, allow_negative_numbers = true, help_heading = "Continuous capture")]
    pub session_time_limit: Option<i128>,
    /// Filters as JSON: one object or an array (ARM names: protocol,
    /// localIPAddress, localPort, remoteIPAddress, remotePort).
    #[arg(long, visible_alias = "filters", value_name = "JSON", help_heading = "Filters", conflicts_with_all = ["protocol", "local_ip", "local_port", "remote_ip", "remote_port"])]
    pub filter: Option<String>,
    /// Filter: TCP, UDP or Any.
    #[arg(long, help_heading = "Filters")]
    pub protocol: Option<String>,
    /// Filter: addresses of the VM end (10.0.0.4, 10.0.0.1-10.0.0.9, a;b).
    #[arg(long, help_heading = "Filters")]
    pub local_ip: Option<String>,
    /// Filter: ports of the VM end (80, 80-120, 80;443).
    #[arg(long, help_heading = "Filters")]
    pub local_port: Option<String>,
    /// Filter: addresses of the other end.
    #[arg(long, help_heading = "Filters")]
    pub remote_ip: Option<String>,
    /// Filter: ports of the other end.
    #[arg(long, help_heading = "Filters")]
    pub remote_port: Option<String>,
}

impl StartArgs {
    /// The resource ids given on the command line (their subscription is
    /// the default one).
    pub fn ids(&self) -> Vec<&str> {
        [&self.vm, &self.vmss, &self.target]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(|s| s.starts_with('/'))
            .collect()
    }

    /// The target's resource id and the flag it came from.
    pub(super) async fn target_id(&self, conn: &Conn) -> anyhow::Result<(String, &'static str)> {
        let arm = &conn.arm;
        let by_name = |flag: &'static str, name: &str| -> anyhow::Result<String> {
            self.resource_group.clone().with_context(|| {
                format!("{flag} {name}: a name needs -g/--resource-group (or give the resource id)")
            })
        };
        if let Some(vm) = &self.vm {
            if vm.starts_with('/') {
                return Ok((vm.clone(), "--vm"));
            }
            let rg = by_name("--vm", vm)?;
            let r = arm
                .client
                .find_virtual_machine(&arm.subscription, &rg, vm)
                .await
                .context("--vm")?;
            return Ok((r.id, "--vm"));
        }
        if let Some(vmss) = &self.vmss {
            if vmss.starts_with('/') {
                return Ok((vmss.clone(), "--vmss"));
            }
            let rg = by_name("--vmss", vmss)?;
            let r = arm
                .client
                .find_scale_set(&arm.subscription, &rg, vmss)
                .await
                .context("--vmss")?;
            return Ok((r.id, "--vmss"));
        }
        match &self.target {
            Some(id) => Ok((id.clone(), "--target")),
            None => bail!("what to capture on? give --vm NAME|ID, --vmss NAME|ID or --target ID"),
        }
    }

    /// The filters from `--filter` or the five flags, as typed (protocol
    /// spelt as the API's enum).
    pub fn filters(&self) -> anyhow::Result<Option<Vec<CaptureFilter>>> {
        if let Some(json) = &self.filter {
            // nwcap-filter reads it first: its errors carry the JSON path.
            nwcap_filter::from_filter_json(json).context("--filter")?;
            let v: Value = serde_json::from_str(json).context("--filter")?;
            let items = match v {
                Value::Array(items) => items,
                one => vec![one],
            };
            return Ok(Some(items.iter().map(raw_filter).collect()));
        }
        let text = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        let protocol = match self.protocol.as_deref().filter(|p| !p.trim().is_empty()) {
            Some(p) => Some(canonical_protocol("--protocol", p)?),
            None => None,
        };
        let f = CaptureFilter {
            protocol,
            local_ip_address: text(&self.local_ip),
            local_port: text(&self.local_port),
            remote_ip_address: text(&self.remote_ip),
            remote_port: text(&self.remote_port),
        };
        Ok((f != CaptureFilter::default()).then(|| vec![f]))
    }

    /// The storage account id: `--storage-account ID`, or the account of
    /// that name in the subscription.
    async fn storage_id(&self, conn: &Conn) -> anyhow::Result<Option<String>> {
        let Some(sa) = self.storage_account.as_deref().filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        if sa.contains('/') {
            return Ok(Some(sa.to_owned()));
        }
        let arm = &conn.arm;
        let r = arm
            .client
            .find_storage_account(&arm.subscription, sa)
            .await
            .context("--storage-account")?;
        Ok(Some(r.id))
    }

    /// The capture's properties for `target`; the API's numeric ranges are
    /// checked here, where the typed value is still known.
    pub async fn properties(
        &self,
        conn: &Conn,
        target: &TargetInfo,
    ) -> anyhow::Result<PacketCaptureProperties> {
        let num = |flag: &'static str, field: &str, v: Option<i128>, max: u64, unit: &str| {
            v.map(|v| validate::limit(flag, field, v, max, unit))
                .transpose()
        };
        let u32_of = |v: Option<u64>| v.map(|v| u32::try_from(v).unwrap_or(u32::MAX));
        let scope = if self.include.is_empty() && self.exclude.is_empty() {
            None
        } else {
            Some(Scope {
                include: self.include.clone(),
                exclude: self.exclude.clone(),
            })
        };
        let settings = CaptureSettings {
            file_count: u32_of(num(
                "--file-count",
                "fileCount",
                self.file_count,
                MAX_FILE_COUNT.into(),
                "",
            )?),
            file_size_in_bytes: num(
                "--file-size",
                "fileSizeInBytes",
                self.file_size,
                MAX_BYTES,
                " bytes",
            )?,
            session_time_limit_in_seconds: u32_of(num(
                "--session-time-limit",
                "sessionTimeLimitInSeconds",
                self.session_time_limit,
                MAX_SESSION_TIME_LIMIT_SECONDS.into(),
                " seconds",
            )?),
        };
        let kind = match &self.target_type {
            Some(t) => TargetType::parse(t),
            None => target.kind.clone(),
        };
        // targetType is the default meaning for a VM; versions before it had none.
        let target_type = (kind != TargetType::AzureVm
            || conn.arm.api_version.supports(Feature::ScaleSets))
        .then_some(kind);
        Ok(PacketCaptureProperties {
            target: target.id.clone(),
            target_type,
            scope,
            bytes_to_capture_per_packet: num(
                "--bytes-per-packet",
                "bytesToCapturePerPacket",
                self.bytes_per_packet,
                MAX_BYTES,
                " bytes",
            )?,
            total_bytes_per_session: num(
                "--bytes-per-session",
                "totalBytesPerSession",
                self.bytes_per_session,
                MAX_BYTES,
                " bytes",
            )?,
            time_limit_in_seconds: u32_of(num(
                "--time-limit",
                "timeLimitInSeconds",
                self.time_limit,
                validate::MAX_TIME_LIMIT_SECONDS.into(),
                " seconds",
            )?),
            storage_location: StorageLocation {
                storage_id: self.storage_id(conn).await?,
                storage_path: self.storage_path.clone(),
                file_path: self.file_path.clone(),
                local_path: self.local_path.clone(),
                ..Default::default()
            },
            filters: self.filters()?,
            continuous_capture: self.continuous,
            capture_settings: (settings != CaptureSettings::default()).then_some(settings),
            ..Default::default()
        })
    }
}

/// The API's spelling of a protocol (`tcp` -> `TCP`); anything else is an
/// error naming the flag.
fn canonical_protocol(flag: &str, p: &str) -> anyhow::Result<Protocol> {
    let parsed = Protocol::parse(p.trim());
    if !parsed.is_known() {
        bail!("{flag}: {p:?} is not a protocol (TCP, UDP or Any)");
    }
    Ok(parsed)
}

/// A filter object as typed: strings kept, numbers in decimal, arrays
/// joined with `;` (the API takes strings), the protocol spelt as its enum.
fn raw_filter(v: &Value) -> CaptureFilter {
    let field = |name: &str| -> Option<String> {
        let (_, value) = v
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))?;
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(";"),
            _ => return None,
        };
        Some(text).filter(|t| !t.trim().is_empty())
    };
    CaptureFilter {
        protocol: field("protocol").map(|p| Protocol::parse(p.trim())),
        local_ip_address: field("localIPAddress"),
        local_port: field("localPort"),
        remote_ip_address: field("remoteIPAddress"),
        remote_port: field("remotePort"),
    }
}

/// Whether an error is ARM's answer to a name in use.
pub fn is_name_conflict(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<ArmError>().is_some_and(|a| {
            a.status() == Some(409)
                || a.info()
                    .is_some_and(|i| i.has_code("PacketCaptureAlreadyExists"))
        })
    })
}
