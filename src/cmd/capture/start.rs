//! `nwcap capture start`: flags -> the capture's properties.
//!
//! Every parameter of the API has a flag; the target comes from `--vm` or
//! `--vmss` (looked up in `-g` for its id and region) or `--target ID`.
//! Filters are parsed by `nwcap-filter` (so `--filter` JSON and the five
//! flags accept exactly what the analysis commands accept) and sent in the
//! API's canonical notation. The API's limits are checked by `nwcap-arm`
//! before anything is sent.

use anyhow::{Context, bail};
use nwcap_arm::types::{
    CaptureFilter, CaptureSettings, PacketCaptureProperties, Scope, StorageLocation, TargetType,
    id_segment,
};
use nwcap_filter::FilterFlags;

use super::conn::Conn;

/// Flags of `start` that describe the capture.
#[derive(Debug, clap::Args)]
pub struct StartArgs {
    /// Name of the new capture.
    pub name: String,
    /// Resource group of --vm / --vmss.
    #[arg(short = 'g', long)]
    pub resource_group: Option<String>,
    /// Virtual machine to capture on (name, in -g).
    #[arg(long, group = "tgt", requires = "resource_group")]
    pub vm: Option<String>,
    /// Virtual machine scale set to capture on (name, in -g).
    #[arg(long, group = "tgt", requires = "resource_group")]
    pub vmss: Option<String>,
    /// Target resource id (VM or scale set).
    #[arg(long, group = "tgt")]
    pub target: Option<String>,
    /// Target type with --target [default: from the id].
    #[arg(long, value_name = "AzureVM|AzureVMSS")]
    pub target_type: Option<String>,
    /// Scale set instances to capture on (repeat or comma-separate).
    #[arg(long, value_delimiter = ',')]
    pub include: Vec<String>,
    /// Scale set instances to leave out (repeat or comma-separate).
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Bytes kept of each packet (0 = whole packet) [service default: 0].
    #[arg(long, value_name = "BYTES")]
    pub bytes_per_packet: Option<u64>,
    /// Session size limit [service default: 1073741824 (1 GiB)].
    #[arg(long, value_name = "BYTES")]
    pub bytes_per_session: Option<u64>,
    /// Session time limit, at most 18000 [service default: 18000].
    #[arg(long, value_name = "SECONDS")]
    pub time_limit: Option<u32>,
    /// Storage account resource id to upload the capture to.
    #[arg(long, value_name = "ID")]
    pub storage_account: Option<String>,
    /// Blob URI in that account [default: chosen by the service].
    #[arg(long, value_name = "URL")]
    pub storage_path: Option<String>,
    /// Capture file on the VM (must end in .cap; on Linux under /var/captures).
    #[arg(long, value_name = "PATH")]
    pub file_path: Option<String>,
    /// Local file on the VM for continuous capture (must end in .cap).
    #[arg(long, value_name = "PATH")]
    pub local_path: Option<String>,
    /// Continuous capture with rolling files.
    #[arg(long, value_name = "true|false")]
    pub continuous: Option<bool>,
    /// Rolling files kept (continuous capture).
    #[arg(long, value_name = "N")]
    pub file_count: Option<u32>,
    /// Size of each rolling file (continuous capture).
    #[arg(long, value_name = "BYTES")]
    pub file_size: Option<u64>,
    /// Length of the continuous session.
    #[arg(long, value_name = "SECONDS")]
    pub session_time_limit: Option<u32>,
    /// Filters as JSON: one object or an array (ARM names: protocol,
    /// localIPAddress, localPort, remoteIPAddress, remotePort).
    #[arg(long, value_name = "JSON", conflicts_with_all = ["protocol", "local_ip", "local_port", "remote_ip", "remote_port"])]
    pub filter: Option<String>,
    /// Filter: TCP, UDP or Any.
    #[arg(long)]
    pub protocol: Option<String>,
    /// Filter: addresses of the VM end (10.0.0.4, 10.0.0.1-10.0.0.9, a;b).
    #[arg(long)]
    pub local_ip: Option<String>,
    /// Filter: ports of the VM end (80, 80-120, 80;443).
    #[arg(long)]
    pub local_port: Option<String>,
    /// Filter: addresses of the other end.
    #[arg(long)]
    pub remote_ip: Option<String>,
    /// Filter: ports of the other end.
    #[arg(long)]
    pub remote_port: Option<String>,
}

/// The target as resolved: id, type and region (when known).
pub struct Target {
    /// Resource id.
    pub id: String,
    /// AzureVM or AzureVMSS.
    pub kind: TargetType,
    /// Region.
    pub location: Option<String>,
}

impl StartArgs {
    /// Finds the target's id and region.
    pub async fn target(&self, conn: &Conn) -> anyhow::Result<Target> {
        let rg = self.resource_group.as_deref().unwrap_or_default();
        if let Some(vm) = &self.vm {
            let r = conn
                .client
                .find_virtual_machine(&conn.subscription, rg, vm)
                .await
                .context("--vm")?;
            return Ok(Target {
                id: r.id,
                kind: TargetType::AzureVm,
                location: Some(r.location),
            });
        }
        if let Some(vmss) = &self.vmss {
            let r = conn
                .client
                .find_scale_set(&conn.subscription, rg, vmss)
                .await
                .context("--vmss")?;
            return Ok(Target {
                id: r.id,
                kind: TargetType::AzureVmss,
                location: Some(r.location),
            });
        }
        let Some(id) = &self.target else {
            bail!("what to capture on? give --vm NAME, --vmss NAME (with -g) or --target ID");
        };
        let kind = match &self.target_type {
            Some(t) => TargetType::parse(t),
            None if id_segment(id, "virtualMachineScaleSets").is_some() => TargetType::AzureVmss,
            None => TargetType::AzureVm,
        };
        // The region picks the watcher; when the look-up fails, --location
        // or --watcher can still say which.
        let location = conn
            .client
            .get_resource(id)
            .await
            .ok()
            .map(|r| r.value.location);
        Ok(Target {
            id: id.clone(),
            kind,
            location: location.filter(|l| !l.is_empty()),
        })
    }

    /// The filters from `--filter` or the five flags, in the API's notation.
    pub fn filters(&self) -> anyhow::Result<Option<Vec<CaptureFilter>>> {
        if let Some(json) = &self.filter {
            let parsed = nwcap_filter::from_filter_json(json).context("--filter")?;
            return Ok(Some(parsed.iter().map(CaptureFilter::from).collect()));
        }
        let flags = FilterFlags {
            protocol: self.protocol.as_deref(),
            local_ip: self.local_ip.as_deref(),
            local_port: self.local_port.as_deref(),
            remote_ip: self.remote_ip.as_deref(),
            remote_port: self.remote_port.as_deref(),
        };
        Ok(flags.filter()?.map(|f| vec![CaptureFilter::from(&f)]))
    }

    /// The capture's properties for `target`.
    pub fn properties(&self, target: &Target) -> anyhow::Result<PacketCaptureProperties> {
        let scope = if self.include.is_empty() && self.exclude.is_empty() {
            None
        } else {
            Some(Scope {
                include: self.include.clone(),
                exclude: self.exclude.clone(),
            })
        };
        let settings = CaptureSettings {
            file_count: self.file_count,
            file_size_in_bytes: self.file_size,
            session_time_limit_in_seconds: self.session_time_limit,
        };
        Ok(PacketCaptureProperties {
            target: target.id.clone(),
            target_type: Some(target.kind.clone()),
            scope,
            bytes_to_capture_per_packet: self.bytes_per_packet,
            total_bytes_per_session: self.bytes_per_session,
            time_limit_in_seconds: self.time_limit,
            storage_location: StorageLocation {
                storage_id: self.storage_account.clone(),
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
