//! One captured packet as it sits in the file: borrowed, never copied.

/// Link-layer type of a packet (the pcap LINKTYPE_ number space).
///
/// NetMon media types are mapped into this space by the NetMon reader
/// (Ethernet -> 1, raw IPv4 -> 228, raw IPv6 -> 229, 802.11 -> 105); NetMon's
/// own non-network frames use [`LinkType::NETMON_INFO`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback (family field in host byte order of the writer).
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP (BSD value 12).
    pub const RAW_BSD12: LinkType = LinkType(12);
    /// Raw IP (BSD value 14).
    pub const RAW_BSD14: LinkType = LinkType(14);
    /// Raw IP.
    pub const RAW: LinkType = LinkType(101);
    /// IEEE 802.11 (Wi-Fi) without radio header.
    pub const IEEE802_11: LinkType = LinkType(105);
    /// OpenBSD loopback (family field in network byte order).
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux netfilter log messages.
    pub const NFLOG: LinkType = LinkType(239);
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: LinkType = LinkType(276);
    /// Network Monitor's own information/event frames (not network
    /// frames). A private value outside the registered LINKTYPE range.
    pub const NETMON_INFO: LinkType = LinkType(0xFFFF_0001);
}

/// Nanoseconds since the Unix epoch (UTC). Covers 1677..2262, so pcapng
/// timestamps past 2106 (beyond 32-bit seconds) are representable.
pub type TimestampNs = i64;

/// One packet record, borrowing its bytes from the capture.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Capture time in ns since the epoch.
    pub ts: TimestampNs,
    /// Length of the packet on the wire (original length).
    pub origlen: u32,
    /// Captured bytes (`data.len()` is the captured length).
    pub data: &'a [u8],
    /// Global interface index (see `Capture::interfaces`).
    pub interface: u32,
    /// Link type of the interface.
    pub linktype: LinkType,
    /// Byte offset of the record header in the (decompressed) file.
    pub offset: u64,
}

impl Record<'_> {
    /// Captured length.
    pub fn caplen(&self) -> u32 {
        // A record's data never exceeds u32::MAX: every reader checks it.
        u32::try_from(self.data.len()).unwrap_or(u32::MAX)
    }

    /// True when the packet was cut by the snap length.
    pub fn truncated(&self) -> bool {
        self.caplen() < self.origlen
    }
}

impl LinkType {
    /// Short name as libpcap/tshark spell it ("ether", "raw", "linux-sll"...).
    pub fn name(self) -> String {
        let s = match self {
            LinkType::NULL => "null",
            LinkType::ETHERNET => "ether",
            LinkType::RAW_BSD12 | LinkType::RAW_BSD14 | LinkType::RAW => "raw",
            LinkType::IEEE802_11 => "ieee-802-11",
            LinkType::LOOP => "loop",
            LinkType::LINUX_SLL => "linux-sll",
            LinkType::IPV4 => "rawip4",
            LinkType::IPV6 => "rawip6",
            LinkType::LINUX_SLL2 => "linux-sll2",
            LinkType::NFLOG => "nflog",
            LinkType::NETMON_INFO => "netmon-info",
            LinkType(n) if n >= 0xFFFF_0000 => return format!("netmon-media-0x{:04x}", n & 0xFFFF),
            LinkType(n) => return format!("linktype-{n}"),
        };
        s.to_string()
    }
}
