//! NetMon media types ("MacType", per file in 2.0, per frame from 2.1 on)
//! mapped into the pcap LINKTYPE space, following Wireshark's
//! `wiretap/netmon.c`.
//!
//! One function, [`classify`], serves both the interface pass at parse time
//! and `frame()`, so a frame's link type and its interface index can never
//! disagree. It never allocates: the Wi-Fi metadata header is stripped by
//! narrowing the borrowed slice.

use crate::record::LinkType;

/// Base of the "converted pcap" media types: `0xE000 | LINKTYPE`.
pub const PCAP_BASE: u16 = 0xE000;
/// Event Tracing for Windows event (NDIS, Winsock, ... providers).
pub const NET_EVENT: u16 = 0xFFE0;
/// List of the adapters the capture ran on (extended form).
pub const NETWORK_INFO_EX: u16 = 0xFFFB;
/// Header of a frame NetMon built by reassembly.
pub const PAYLOAD_HEADER: u16 = 0xFFFC;
/// List of the adapters the capture ran on.
pub const NETWORK_INFO: u16 = 0xFFFD;
/// Resolved names (DNS cache) NetMon saved with the capture.
pub const DNS_CACHE: u16 = 0xFFFE;
/// Capture or display filter string.
pub const NETMON_FILTER: u16 = 0xFFFF;

/// Prefix of the link type given to media types nwcap cannot map:
/// `LinkType(UNKNOWN_BASE | media)`. The values lie outside the registered
/// LINKTYPE range, so a decoder reports them as unsupported instead of
/// misreading them; the low 16 bits keep the media type for messages.
/// (`0xFFFF_0001`, [`LinkType::NETMON_INFO`], cannot collide: media type 1 is
/// Ethernet.)
pub const UNKNOWN_BASE: u32 = 0xFFFF_0000;

/// Link type for an unmapped media type.
pub fn unknown(media: u16) -> LinkType {
    LinkType(UNKNOWN_BASE | u32::from(media))
}

/// True for NetMon's own information frames (not network traffic): they map
/// to [`LinkType::NETMON_INFO`].
pub fn is_info(media: u16) -> bool {
    matches!(
        media,
        NET_EVENT | NETWORK_INFO_EX | PAYLOAD_HEADER | NETWORK_INFO | DNS_CACHE | NETMON_FILTER
    )
}

/// True for the frames Wireshark (tshark, capinfos) silently skips: payload
/// headers, network info and DNS cache frames. nwcap keeps them as
/// [`LinkType::NETMON_INFO`] frames; a caller who wants capinfos' packet count
/// leaves them out.
pub fn hidden_by_wireshark(media: u16) -> bool {
    matches!(media, PAYLOAD_HEADER | NETWORK_INFO | DNS_CACHE)
}

/// NetMon 802.11 metadata header: version (1), length (2), then radio fields;
/// the 802.11 frame starts `length` bytes in.
const WIFI_META_MIN: usize = 3;

/// Link type and the packet bytes/original length to present for a frame of
/// media type `media` whose captured bytes are `data`.
#[inline]
pub fn classify(media: u16, data: &[u8], origlen: u32) -> (LinkType, &[u8], u32) {
    let lt = match media {
        // NetMon 3.4 VPN captures use 0 with Ethernet headers (Wireshark maps it so).
        0 | 1 => LinkType::ETHERNET,
        2 => LinkType(6),  // Token Ring (LINKTYPE_IEEE802_5)
        3 => LinkType(10), // FDDI (LINKTYPE_FDDI)
        // NetMon 802.11 with its metadata header: strip the header.
        6 => return wifi(data, origlen),
        // "Tunneling interfaces", "Wireless WAN", "Raw IP frames": raw IPv4 or
        // IPv6, told apart by the version nibble (LINKTYPE_RAW).
        7..=9 => LinkType::RAW,
        // Exported by Message Analyzer: "WiFi Message" is a bare 802.11 frame.
        0xE080 => LinkType::IEEE802_11,
        // Other Message Analyzer types (WFP, ETW Wi-Fi, Fiddler...).
        0xE081..=0xE08A => unknown(media),
        // Converted pcap file: LINKTYPE in the low 12 bits (raw IPv4 = 0xE0E4...).
        m if m & 0xF000 == PCAP_BASE => LinkType(u32::from(m & 0x0FFF)),
        m if is_info(m) => LinkType::NETMON_INFO,
        // 4: NDIS WAN (ATM with a NetMon pseudo-header), 5, 10, 11 and the rest.
        m => unknown(m),
    };
    (lt, data, origlen)
}

#[inline]
fn wifi(data: &[u8], origlen: u32) -> (LinkType, &[u8], u32) {
    let len = data
        .get(1..3)
        .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])));
    match len {
        Some(len) if (WIFI_META_MIN..=data.len()).contains(&len) => {
            let cut = u32::try_from(len).unwrap_or(u32::MAX);
            (
                LinkType::IEEE802_11,
                &data[len..],
                origlen.saturating_sub(cut),
            )
        }
        // Metadata header cut or inconsistent: keep the bytes, say it is unknown.
        _ => (unknown(6), data, origlen),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_media_types() {
        let d = [0u8; 4];
        assert_eq!(classify(1, &d, 4).0, LinkType::ETHERNET);
        assert_eq!(classify(0, &d, 4).0, LinkType::ETHERNET);
        assert_eq!(classify(9, &d, 4).0, LinkType::RAW);
        assert_eq!(classify(0xE0E4, &d, 4).0, LinkType::IPV4);
        assert_eq!(classify(0xE0E5, &d, 4).0, LinkType::IPV6);
        assert_eq!(classify(0xE001, &d, 4).0, LinkType::ETHERNET);
        assert_eq!(classify(0xE080, &d, 4).0, LinkType::IEEE802_11);
        assert_eq!(classify(0xE083, &d, 4).0, LinkType(0xFFFF_E083));
        for m in [0xFFE0, 0xFFFB, 0xFFFC, 0xFFFD, 0xFFFE, 0xFFFF] {
            assert_eq!(classify(m, &d, 4).0, LinkType::NETMON_INFO, "{m:#x}");
        }
        assert_eq!(classify(4, &d, 4).0, LinkType(0xFFFF_0004));
        assert_eq!(classify(0xFFF0, &d, 4).0, LinkType(0xFFFF_FFF0));
        assert!(hidden_by_wireshark(0xFFFD) && !hidden_by_wireshark(0xFFE0));
    }

    #[test]
    fn strips_wifi_metadata() {
        let mut d = vec![2u8, 32, 0];
        d.resize(32, 0);
        d.extend_from_slice(&[0x08, 0x02, 0xAA]);
        let (lt, data, orig) = classify(6, &d, 40);
        assert_eq!(lt, LinkType::IEEE802_11);
        assert_eq!(data, &[0x08, 0x02, 0xAA]);
        assert_eq!(orig, 8);
        // Header length past the captured bytes: kept whole, unknown.
        let (lt, data, _) = classify(6, &[2, 200, 0, 1], 4);
        assert_eq!((lt, data.len()), (LinkType(0xFFFF_0006), 4));
        let (lt, _, _) = classify(6, &[2], 1);
        assert_eq!(lt, LinkType(0xFFFF_0006));
    }
}
