//! Numbers that name the next layer: ethertypes, PPP protocols, address
//! families, IPv6 extension headers and the UDP ports of tunnels. (IP
//! protocol numbers are public: [`crate::packet::ipproto`]; link types are
//! [`crate::record::LinkType`].)

/// Ethertypes nwcap follows.
pub(crate) mod ethertype {
    /// Smallest value that is an ethertype; below it, an 802.3 length.
    pub const MIN: u16 = 0x0600;
    pub const IPV4: u16 = 0x0800;
    pub const IPV6: u16 = 0x86DD;
    pub const VLAN: u16 = 0x8100;
    pub const QINQ: u16 = 0x88A8;
    pub const QINQ_OLD: u16 = 0x9100;
    pub const MPLS: u16 = 0x8847;
    pub const MPLS_MC: u16 = 0x8848;
    pub const PPPOE: u16 = 0x8864;
    /// Transparent Ethernet bridging (an Ethernet frame follows).
    pub const TEB: u16 = 0x6558;
    /// ERSPAN Type II (GRE protocol).
    pub const ERSPAN2: u16 = 0x88BE;
    /// PPP (GRE protocol, PPTP).
    pub const PPP: u16 = 0x880B;
    pub const CISCO_METADATA: u16 = 0x8909;
    /// Cisco FabricPath: a 16-byte header before the inner Ethernet frame.
    pub const FABRICPATH: u16 = 0x8903;
    /// ERSPAN Type III (GRE protocol).
    pub const ERSPAN3: u16 = 0x22EB;
}

/// Link types decoded here that [`crate::record::LinkType`] does not name.
pub(crate) mod linktype {
    use crate::record::LinkType;
    /// PPP (RFC 1661), with or without HDLC-like framing.
    pub const PPP: LinkType = LinkType(9);
    /// PPP in HDLC-like framing (RFC 1662).
    pub const PPP_HDLC: LinkType = LinkType(50);
    /// Radiotap header, then an IEEE 802.11 frame.
    pub const RADIOTAP: LinkType = LinkType(127);
}

/// PPP protocol numbers.
pub(crate) mod ppp {
    pub const IPV4: u16 = 0x0021;
    pub const IPV6: u16 = 0x0057;
}

/// BSD loopback address families (IPv6's differs between systems).
pub(crate) mod family {
    pub const INET: u32 = 2;
    /// Linux.
    pub const INET6_LINUX: u32 = 10;
    /// NetBSD, OpenBSD.
    pub const INET6_BSD: u32 = 24;
    /// FreeBSD.
    pub const INET6_FREEBSD: u32 = 28;
    /// macOS.
    pub const INET6_DARWIN: u32 = 30;
}

/// IPv6 extension headers (next-header values).
pub(crate) mod ext {
    pub const HOP_BY_HOP: u8 = 0;
    pub const ROUTING: u8 = 43;
    pub const FRAGMENT: u8 = 44;
    pub const AUTH: u8 = 51;
    pub const DEST_OPTS: u8 = 60;
    pub const MOBILITY: u8 = 135;
    pub const HIP: u8 = 139;
    pub const SHIM6: u8 = 140;
}

/// UDP ports that carry tunnels (Teredo is also recognised on others).
pub(crate) mod port {
    pub const VXLAN: u16 = 4789;
    pub const GENEVE: u16 = 6081;
    pub const TEREDO: u16 = 3544;
    pub const AYIYA: u16 = 5072;
    /// GTP-U (user plane) and GTP-C.
    pub const GTP_U: u16 = 2152;
    pub const GTP_C: u16 = 2123;
    /// GRE in UDP (RFC 8086).
    pub const GRE: u16 = 4754;
}
