//! What the server is seeded with and how it behaves: the settings a test
//! (or `nwcap-armtest serve`) chooses.

use std::net::IpAddr;

/// Unix time of the test clock's zero: 2025-07-01T12:00:00Z.
pub const CLOCK_BASE_UNIX: i64 = 1_751_371_200;

/// Newest Microsoft.Network api-version the server understands; requests
/// with a later one are refused as ARM refuses an unknown version.
pub const NEWEST_API_VERSION: &str = "2025-07-01";
/// Oldest Microsoft.Network api-version with packet captures.
pub const OLDEST_API_VERSION: &str = "2016-09-01";

/// Operating system of a seeded VM or scale set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// Linux: capture files on the VM must be under `/var/captures`.
    Linux,
    /// Windows.
    Windows,
}

impl Os {
    /// As ARM spells it (`osType`).
    pub fn as_str(self) -> &'static str {
        match self {
            Os::Linux => "Linux",
            Os::Windows => "Windows",
        }
    }

    /// The Network Watcher agent's extension type for this OS.
    pub fn agent_type(self) -> &'static str {
        match self {
            Os::Linux => "NetworkWatcherAgentLinux",
            Os::Windows => "NetworkWatcherAgentWindows",
        }
    }
}

/// A seeded network watcher or storage account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedResource {
    /// Resource group.
    pub resource_group: String,
    /// Name.
    pub name: String,
    /// Region.
    pub location: String,
}

impl SeedResource {
    /// A seed.
    pub fn new(resource_group: &str, name: &str, location: &str) -> Self {
        Self {
            resource_group: resource_group.to_owned(),
            name: name.to_owned(),
            location: location.to_owned(),
        }
    }
}

/// A seeded virtual machine or scale set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedVm {
    /// Resource group.
    pub resource_group: String,
    /// Name.
    pub name: String,
    /// Region.
    pub location: String,
    /// Operating system.
    pub os: Os,
    /// Whether the Network Watcher agent extension is installed.
    pub agent: bool,
    /// The VM's private address: the "local" end of its captures.
    pub address: IpAddr,
    /// Instances (scale sets only; 0 for a VM).
    pub instances: u32,
}

impl SeedVm {
    /// A Linux VM with the agent installed.
    pub fn linux(resource_group: &str, name: &str, location: &str, address: [u8; 4]) -> Self {
        Self {
            resource_group: resource_group.to_owned(),
            name: name.to_owned(),
            location: location.to_owned(),
            os: Os::Linux,
            agent: true,
            address: IpAddr::from(address),
            instances: 0,
        }
    }

    /// The same with another OS.
    pub fn with_os(mut self, os: Os) -> Self {
        self.os = os;
        self
    }

    /// The same without the Network Watcher agent.
    pub fn without_agent(mut self) -> Self {
        self.agent = false;
        self
    }

    /// The same as a scale set of `n` instances.
    pub fn scale_set(mut self, n: u32) -> Self {
        self.instances = n;
        self
    }
}

/// What a PUT on an existing capture name does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExistingName {
    /// 409 Conflict: the capture must be deleted first.
    Conflict,
    /// The old capture is replaced (201, a new session).
    Replace,
}

/// A blob service the server writes capture files to (Azurite): files
/// of captures whose `storageId` names `account` go under `endpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobStorage {
    /// Storage account name (seeded as a storage account in `rg2`).
    pub account: String,
    /// Blob endpoint, e.g. `http://127.0.0.1:10000/devstoreaccount1`.
    pub endpoint: String,
    /// Account key (base64), used to sign a short-lived SAS for the upload.
    pub key: String,
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// When set, requests must carry `Authorization: Bearer <this>`.
    pub required_token: Option<String>,
    /// "InProgress" answers before an operation completes.
    pub lro_polls: u32,
    /// `Retry-After` on operation responses (seconds).
    pub retry_after_secs: u32,
    /// Items per list page (`nextLink` beyond).
    pub page_size: usize,
    /// Virtual machines (in every subscription).
    pub vms: Vec<SeedVm>,
    /// Scale sets.
    pub scale_sets: Vec<SeedVm>,
    /// Network watchers.
    pub watchers: Vec<SeedResource>,
    /// Storage accounts.
    pub storage_accounts: Vec<SeedResource>,
    /// Resource groups besides those of the seeds.
    pub resource_groups: Vec<String>,
    /// A PUT on an existing capture name.
    pub on_existing_name: OnExistingName,
    /// Capture sessions (resources) a watcher holds at most. Microsoft's
    /// packet capture overview once stated "a limit of 10 packet capture
    /// sessions per region per subscription"; the default here is that.
    pub session_limit: usize,
    /// queryStatus answers 202 with `Location` (the spec's
    /// `final-state-via: location`) instead of a plain 200.
    pub query_status_async: bool,
    /// Seconds of server time per real second (0: the clock only moves
    /// when the test advances it).
    pub time_scale: f64,
    /// Where capture files are written when a capture stops (none: no file).
    pub storage: Option<BlobStorage>,
    /// The capture every session replays (pcap or pcapng bytes); the
    /// bundled `testdata/sample.pcap` when `None`.
    pub capture_source: Option<Vec<u8>>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            required_token: None,
            lro_polls: 1,
            retry_after_secs: 0,
            page_size: 50,
            vms: vec![
                SeedVm::linux("rg2", "vm1", "westus", [10, 0, 0, 4]),
                SeedVm::linux("rg2", "vm2", "eastus", [10, 1, 0, 4]),
                SeedVm::linux("rg2", "win1", "westus", [10, 0, 0, 5]).with_os(Os::Windows),
                SeedVm::linux("rg2", "bare1", "westus", [10, 0, 0, 6]).without_agent(),
                SeedVm::linux("rg2", "winbare1", "westus", [10, 0, 0, 7])
                    .with_os(Os::Windows)
                    .without_agent(),
            ],
            scale_sets: vec![
                SeedVm::linux("rg2", "vmss1", "westus", [10, 0, 1, 4]).scale_set(4),
                SeedVm::linux("rg2", "vmssbare", "westus", [10, 0, 2, 4])
                    .scale_set(2)
                    .without_agent(),
            ],
            watchers: vec![
                SeedResource::new("NetworkWatcherRG", "NetworkWatcher_westus", "westus"),
                SeedResource::new("NetworkWatcherRG", "NetworkWatcher_eastus", "eastus"),
            ],
            storage_accounts: vec![
                SeedResource::new("rg2", "pcstore", "westus"),
                // Azurite's development account.
                SeedResource::new("rg2", "devstoreaccount1", "westus"),
            ],
            resource_groups: Vec::new(),
            on_existing_name: OnExistingName::Conflict,
            session_limit: 10,
            query_status_async: false,
            time_scale: 0.0,
            storage: None,
            capture_source: None,
        }
    }
}
