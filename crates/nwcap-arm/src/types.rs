//! The packetCaptures resource and its query-status result, as ARM spells them.
//!
//! Every optional field is `Option` and skipped when absent, so serializing
//! the properties of a request gives exactly the body that is sent (no
//! `null`s that ARM could read as "reset"). Fields this version does not know
//! are kept in `extra` so a resource read and written back loses nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::open_enum::open_enum;

open_enum! {
    /// `properties.provisioningState`.
    pub enum ProvisioningState {
        /// The capture resource exists and the capture was started.
        Succeeded = "Succeeded",
        /// Being created or changed.
        Updating = "Updating",
        /// Being deleted.
        Deleting = "Deleting",
        /// Creation failed.
        Failed = "Failed",
        /// Creation was canceled.
        Canceled = "Canceled",
    }
}

open_enum! {
    /// `properties.targetType`.
    pub enum TargetType {
        /// A virtual machine.
        AzureVm = "AzureVM",
        /// A virtual machine scale set (see `scope`).
        AzureVmss = "AzureVMSS",
    }
}

open_enum! {
    /// `packetCaptureStatus` of the query-status result.
    pub enum CaptureStatus {
        /// Not started yet.
        NotStarted = "NotStarted",
        /// Capturing.
        Running = "Running",
        /// Finished; files are in storage.
        Stopped = "Stopped",
        /// Failed; see `packetCaptureError`.
        Error = "Error",
        /// The service does not know.
        Unknown = "Unknown",
    }
}

open_enum! {
    /// An entry of `packetCaptureError`.
    pub enum CaptureError {
        /// Internal error of the service.
        InternalError = "InternalError",
        /// The Network Watcher agent on the VM stopped.
        AgentStopped = "AgentStopped",
        /// The capture itself failed.
        CaptureFailed = "CaptureFailed",
        /// Writing the local file failed.
        LocalFileFailed = "LocalFileFailed",
        /// Uploading to the storage account failed.
        StorageFailed = "StorageFailed",
    }
}

open_enum! {
    /// `protocol` of a capture filter.
    pub enum Protocol {
        /// TCP only.
        Tcp = "TCP",
        /// UDP only.
        Udp = "UDP",
        /// Any protocol.
        Any = "Any",
    }
}

open_enum! {
    /// `storageProfile.osDisk.osType` of a VM or a scale set's VM profile.
    pub enum OsType {
        /// Linux.
        Linux = "Linux",
        /// Windows.
        Windows = "Windows",
    }
}

/// One capture filter, with ARM's names. Addresses and ports are strings as
/// ARM takes them: `10.0.0.4`, `10.0.0.1-10.0.0.9`, `10.0.0.1;10.0.0.5`,
/// `80`, `80-120`, `80;443`; empty or absent means any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureFilter {
    /// TCP, UDP or Any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// Local (VM side) addresses.
    #[serde(rename = "localIPAddress", skip_serializing_if = "Option::is_none")]
    pub local_ip_address: Option<String>,
    /// Local ports.
    #[serde(rename = "localPort", skip_serializing_if = "Option::is_none")]
    pub local_port: Option<String>,
    /// Remote addresses.
    #[serde(rename = "remoteIPAddress", skip_serializing_if = "Option::is_none")]
    pub remote_ip_address: Option<String>,
    /// Remote ports.
    #[serde(rename = "remotePort", skip_serializing_if = "Option::is_none")]
    pub remote_port: Option<String>,
}

impl CaptureFilter {
    /// The filter in the shared model of `nwcap-filter` (for evaluating it on
    /// packets); errors name the ARM JSON field.
    pub fn to_packet_filter(
        &self,
    ) -> Result<nwcap_filter::PacketFilter, nwcap_filter::FilterError> {
        self.to_packet_filter_named(nwcap_filter::FieldNames::JSON)
    }

    /// As [`to_packet_filter`](Self::to_packet_filter), with errors naming
    /// fields as `names` says (e.g. the CLI flags).
    pub fn to_packet_filter_named(
        &self,
        names: nwcap_filter::FieldNames,
    ) -> Result<nwcap_filter::PacketFilter, nwcap_filter::FilterError> {
        nwcap_filter::PacketFilter::from_fields(
            names,
            self.protocol.as_ref().map(Protocol::as_str),
            self.local_ip_address.as_deref(),
            self.local_port.as_deref(),
            self.remote_ip_address.as_deref(),
            self.remote_port.as_deref(),
        )
    }
}

impl From<&nwcap_filter::PacketFilter> for CaptureFilter {
    /// The wire form of a filter from the shared model, in the API's
    /// canonical notation.
    fn from(f: &nwcap_filter::PacketFilter) -> Self {
        let text = |v: Option<String>| v.filter(|s| !s.is_empty());
        CaptureFilter {
            protocol: Some(Protocol::parse(f.protocol.as_str())),
            local_ip_address: text(f.local_ip.as_ref().map(ToString::to_string)),
            local_port: text(f.local_port.as_ref().map(ToString::to_string)),
            remote_ip_address: text(f.remote_ip.as_ref().map(ToString::to_string)),
            remote_port: text(f.remote_port.as_ref().map(ToString::to_string)),
        }
    }
}

/// Where the capture goes: a storage account, a file on the VM, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageLocation {
    /// Resource id of the storage account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_id: Option<String>,
    /// Blob URI of the capture (set by the service when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_path: Option<String>,
    /// Path of the capture file on the VM (`*.cap`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
    /// Local path on the VM for continuous capture (`*.cap`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_path: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Scale set instances to include or exclude (`AzureVMSS` targets).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Instance names or ids to capture on (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Instance names or ids to leave out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

/// Rolling files for continuous capture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureSettings {
    /// Number of files kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_count: Option<u32>,
    /// Size of each file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_size_in_bytes: Option<u64>,
    /// Length of the whole session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_time_limit_in_seconds: Option<u32>,
}

/// `properties` of a packet capture: the request parameters plus
/// `provisioningState` in responses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PacketCaptureProperties {
    /// Response only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// Resource id of the VM or scale set.
    #[serde(default)]
    pub target: String,
    /// AzureVM (default) or AzureVMSS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_type: Option<TargetType>,
    /// Scale set instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// Bytes kept of each packet; 0 = whole packet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_to_capture_per_packet: Option<u64>,
    /// Session size limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_bytes_per_session: Option<u64>,
    /// Session time limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_limit_in_seconds: Option<u32>,
    /// Where the files go.
    #[serde(default)]
    pub storage_location: StorageLocation,
    /// Filters (none = everything).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<CaptureFilter>>,
    /// Continuous (rolling files) capture.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuous_capture: Option<bool>,
    /// Rolling file settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture_settings: Option<CaptureSettings>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A `Microsoft.Network/networkWatchers/packetCaptures` resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketCapture {
    /// Capture name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Resource id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Entity tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Properties.
    #[serde(default)]
    pub properties: PacketCaptureProperties,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Result of `queryStatus`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PacketCaptureStatus {
    /// Capture name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Resource id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Start time as the service writes it (not always RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture_start_time: Option<String>,
    /// Running, Stopped, Error...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packet_capture_status: Option<CaptureStatus>,
    /// Why it stopped (free text on the wire: TimeExceeded, Manual...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    /// Errors.
    #[serde(default)]
    pub packet_capture_error: Vec<CaptureError>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A VM, scale set or network watcher as the look-ups return it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackedResource {
    /// Resource name.
    #[serde(default)]
    pub name: String,
    /// Resource id.
    #[serde(default)]
    pub id: String,
    /// Region, e.g. `westeurope`.
    #[serde(default)]
    pub location: String,
    /// Resource type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl TrackedResource {
    /// The resource group named in the id, if any.
    pub fn resource_group(&self) -> Option<&str> {
        id_segment(&self.id, "resourceGroups")
    }
}

/// The segment after `key` (case-insensitive) in an ARM resource id.
pub fn id_segment<'a>(id: &'a str, key: &str) -> Option<&'a str> {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case(key) {
            return parts.next().filter(|s| !s.is_empty());
        }
    }
    None
}

/// Normalises a region name the way ARM compares them: lowercase, no spaces
/// (`West Europe` = `westeurope`).
pub fn normalize_location(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Words for a stop reason (the wire value is free text).
pub fn describe_stop_reason(reason: &str) -> String {
    match reason.to_ascii_lowercase().as_str() {
        "timeexceeded" => "the time limit was reached".to_owned(),
        "manual" => "stopped by a user".to_owned(),
        "maxbytesexceeded" | "totalbytesexceeded" | "sizeexceeded" => {
            "the session size limit was reached".to_owned()
        }
        "vmreboot" | "vmrestarted" => "the virtual machine restarted".to_owned(),
        "" => "no reason given".to_owned(),
        other => format!("{other} (reason not known to nwcap)"),
    }
}

impl CaptureStatus {
    /// A sentence for people.
    pub fn describe(&self) -> String {
        match self {
            Self::NotStarted => "not started yet".to_owned(),
            Self::Running => "capturing".to_owned(),
            Self::Stopped => "stopped; capture files are complete".to_owned(),
            Self::Error => "failed".to_owned(),
            Self::Unknown => "state unknown to the service".to_owned(),
            Self::Other(s) => format!("{s} (status not known to nwcap)"),
        }
    }

    /// Whether the capture will not change any more.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Stopped | Self::Error)
    }
}

impl CaptureError {
    /// A sentence for people.
    pub fn describe(&self) -> String {
        match self {
            Self::InternalError => "internal error in Network Watcher".to_owned(),
            Self::AgentStopped => "the Network Watcher agent on the VM stopped".to_owned(),
            Self::CaptureFailed => "the capture failed on the VM".to_owned(),
            Self::LocalFileFailed => "writing the capture file on the VM failed".to_owned(),
            Self::StorageFailed => "uploading to the storage account failed".to_owned(),
            Self::Other(s) => format!("{s} (error not known to nwcap)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> Value {
        let path = format!("{}/tests/examples/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("example file");
        serde_json::from_str(&text).expect("example json")
    }

    #[test]
    fn example_bodies_round_trip_losslessly() {
        let get = example("NetworkWatcherPacketCaptureGet.json");
        let body = &get["responses"]["200"]["body"];
        let pc: PacketCapture = serde_json::from_value(body.clone()).expect("parse");
        assert_eq!(
            pc.properties.provisioning_state,
            Some(ProvisioningState::Updating)
        );
        assert_eq!(pc.properties.time_limit_in_seconds, Some(100));
        assert_eq!(&serde_json::to_value(&pc).expect("ser"), body);

        let status = example("NetworkWatcherPacketCaptureQueryStatus.json");
        let body = &status["responses"]["200"]["body"];
        let st: PacketCaptureStatus = serde_json::from_value(body.clone()).expect("parse");
        assert_eq!(st.packet_capture_status, Some(CaptureStatus::Stopped));
        assert_eq!(st.stop_reason.as_deref(), Some("TimeExceeded"));
        assert_eq!(&serde_json::to_value(&st).expect("ser"), body);

        let create = example("NetworkWatcherPacketCaptureCreate.json");
        let req = &create["parameters"]["parameters"];
        let pc: PacketCapture = serde_json::from_value(req.clone()).expect("parse");
        assert_eq!(&crate::create_body(&pc.properties), req);
    }

    #[test]
    fn unknown_enum_values_are_kept() {
        let v = serde_json::json!({
            "packetCaptureStatus": "Paused",
            "packetCaptureError": ["DiskFull", "StorageFailed"],
            "newField": 3
        });
        let st: PacketCaptureStatus = serde_json::from_value(v.clone()).expect("parse");
        assert_eq!(
            st.packet_capture_status,
            Some(CaptureStatus::Other("Paused".into()))
        );
        assert_eq!(st.packet_capture_error[1], CaptureError::StorageFailed);
        assert!(st.packet_capture_error[0].describe().contains("DiskFull"));
        assert_eq!(serde_json::to_value(&st).expect("ser"), v);
        assert_eq!(Protocol::parse("tcp"), Protocol::Tcp);
        assert_eq!(TargetType::parse("AzureVMSS").as_str(), "AzureVMSS");
    }

    #[test]
    fn filters_convert_to_and_from_the_shared_model() {
        let wire = CaptureFilter {
            protocol: Some(Protocol::Udp),
            local_ip_address: Some("10.0.0.5;10.0.0.4".into()),
            remote_port: Some("53".into()),
            ..Default::default()
        };
        let model = wire.to_packet_filter().expect("valid");
        let back = CaptureFilter::from(&model);
        assert_eq!(back.protocol, Some(Protocol::Udp));
        assert_eq!(back.local_ip_address.as_deref(), Some("10.0.0.4-10.0.0.5"));
        assert_eq!(back.remote_port.as_deref(), Some("53"));
        assert_eq!(back.local_port, None);
        let bad = CaptureFilter {
            local_port: Some("http".into()),
            ..Default::default()
        };
        assert_eq!(bad.to_packet_filter().expect_err("bad").field, "localPort");
    }

    #[test]
    fn ids_and_locations() {
        let id =
            "/subscriptions/s/resourceGroups/RG1/providers/Microsoft.Compute/virtualMachines/vm1";
        assert_eq!(id_segment(id, "resourcegroups"), Some("RG1"));
        assert_eq!(id_segment(id, "virtualMachines"), Some("vm1"));
        assert_eq!(normalize_location("West Europe"), "westeurope");
        assert_eq!(
            describe_stop_reason("TimeExceeded"),
            "the time limit was reached"
        );
    }
}
