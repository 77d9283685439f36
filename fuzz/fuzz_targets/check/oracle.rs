// Checks of the `oracle` target, shared with the corpus test in
// `crates/nwcap-pcap/tests/oracle.rs` (included with `include!`, so plain
// comments only).
//
// Differential oracles: nwcap against two independent parsers.
// - The decoder against etherparse's lax slicing (`LaxSlicedPacket`), for
//   the link types etherparse reads (Ethernet, Linux SLL, raw IP): VLAN
//   tags, the outermost IP header's addresses, protocol, total length,
//   TTL and fragment fields, the TCP/UDP ports, TCP sequence numbers,
//   flags and window, ICMP type and code, and the transport payload
//   (the very same bytes of the frame, and its length as the headers
//   state it).
// - The capture readers against pcap-parser: record count, and per record
//   the timestamp, captured and original lengths, link type and bytes.
//
// Where the two parsers legitimately part ways (a layer only one of them
// decodes, a length one of them repairs), the comparison stops at that
// point and counts the reason; each reason is a constant below with its
// explanation. Anything else is a disagreement: the corpus test and the
// fuzz target fail on it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use etherparse::{LaxLinkExtSlice, LaxNetSlice, LaxSlicedPacket, LinkSlice, TransportSlice};
use nwcap_pcap::decode;
use nwcap_pcap::packet::{IssueKind, Packet, ipproto};
use nwcap_pcap::{Capture, LinkType};

/// IP authentication header (IPv4 protocol / IPv6 next header 51).
const AH: u8 = 51;

/// Why a frame (or part of it) is left out of the comparison.
pub mod why {
    /// etherparse has no decoder for the link type.
    pub const LINK_TYPE: &str = "link type etherparse does not slice (NULL/LOOP, 802.11, \
         radiotap, SLL2, NFLOG, PPP): decoder only checked by the other tests";
    /// etherparse stops at an ethertype it does not follow.
    pub const ETHERTYPE: &str = "ethertype etherparse does not follow (MPLS, PPPoE, \
         FabricPath, Cisco metadata, LLC...): nwcap decodes further, nothing to compare";
    /// More VLAN tags than etherparse keeps.
    pub const VLANS: &str = "more than 3 VLAN tags: etherparse's lax slicing keeps 3 \
         (LINK_EXTS_CAP) and stops";
    /// MACsec, which nwcap does not decode.
    pub const MACSEC: &str = "MACsec (802.1AE): etherparse decodes it, nwcap does not \
         (no Network Watcher or Zeek use)";
    /// The ethertype and the IP version nibble disagree.
    pub const VERSION: &str = "ethertype or link type says IPv4/IPv6, the version nibble \
         says the other: nwcap trusts the ethertype (malformed), etherparse the nibble";
    /// IPv4 total length shorter than the header but not 0.
    pub const SHORT_TOTAL: &str = "IPv4 total length 1..IHL: nwcap calls the header \
         malformed (only 0 means TSO, to the frame's end), etherparse uses the frame";
    /// IPv6 payload length 0 (a jumbogram or a TSO frame).
    pub const V6_ZERO_LEN: &str = "IPv6 payload length 0: nwcap reads the jumbo payload \
         option (RFC 2675) or takes an empty datagram, etherparse takes the frame";
    /// IPv6 chains through headers etherparse does not step over.
    pub const V6_EXT: &str = "IPv6 Mobility/HIP/Shim6 header, or hop-by-hop not first: \
         nwcap steps over it (RFC 7045 extension headers), etherparse stops";
    /// More layers than nwcap follows.
    pub const TOO_DEEP: &str = "more encapsulation layers (VLAN tags, IPv6 extension \
         headers, tunnels) than nwcap follows (decode::MAX_LAYERS): nwcap stops with a \
         too-deep issue, etherparse has no limit";
    /// More than one IPv6 fragment header.
    pub const V6_FRAGMENTS: &str = "IPv6 chain with more than one fragment header (RFC 8200 \
         allows one): nwcap's fragment fields come from the last one it steps over, \
         etherparse marks the packet fragmented if any of them fragments it";
    /// Extension header types after a later fragment's header.
    pub const V6_AFTER_FRAGMENT: &str = "IPv6 later fragment whose fragment header names \
         an extension header next: what follows is data, nwcap (as Zeek's header chain) \
         stops there, etherparse parses it as headers";
    /// IPv4 with an authentication header.
    pub const V4_AH: &str = "IPv4 AH: nwcap reports protocol 51 as the header says and \
         stops, etherparse steps over AH to the next protocol";
    /// A tunnel nwcap follows: only the outer addresses compare.
    pub const TUNNEL: &str = "tunnel (GRE, ERSPAN, VXLAN, Geneve, Teredo, AYIYA, GTP-U, \
         IP-in-IP): nwcap's IP is the inner one, the outer addresses compared";
    /// A fragment: etherparse stops at a fragmented payload.
    pub const FRAGMENT: &str = "IP fragment: etherparse does not slice a fragmented \
         payload, nwcap reads the first fragment's ports (as Zeek)";
    /// A transport header nwcap keeps partly (ports only, as tshark).
    pub const PARTIAL: &str = "transport header cut or with an impossible length: \
         etherparse rejects it, nwcap keeps what is there and reports a decode issue";
    /// IGMP, which nwcap does not decode.
    pub const IGMP: &str = "IGMP: etherparse slices it, nwcap has no IGMP fields";
    /// A pcapng if_tsoffset in a big-endian section.
    pub const BE_TSOFFSET: &str = "pcapng if_tsoffset in a big-endian section: \
         pcap-parser 0.17 reads it little-endian";
    /// An interface's timestamp option of the wrong length.
    pub const TS_OPTION_LENGTH: &str = "pcapng if_tsresol not 1 octet or if_tsoffset not 8: \
         malformed (pcapng spec 4.2; Wireshark refuses the file), nwcap ignores the \
         option, pcap-parser 0.17 reads its first bytes: timestamps not compared";
    /// A timestamp that does not fit i64 nanoseconds, with an offset.
    pub const TS_RANGE: &str = "timestamp beyond i64 nanoseconds (year 2262) with an \
         if_tsoffset, or an if_tsresol over 10^19/2^63: nwcap saturates or clamps, \
         pcap-parser has no value";
    /// A packet block naming an interface its section does not have.
    pub const NO_INTERFACE: &str = "pcapng packet block naming an interface the section \
         does not have (or a simple packet block before any): nwcap stops there with an \
         error, as Wireshark does; pcap-parser returns the block";
    /// pcap files before version 2.3 swap the two length fields.
    pub const OLD_LENGTHS: &str = "pcap version before 2.3 (or 2.3 with the captured \
         length over the original) with different lengths: the fields are swapped, as \
         libpcap and nwcap read them; pcap-parser reads them in 2.4's order and loses \
         its place: compared up to there";
    /// Interface options after opt_endofopt.
    pub const AFTER_END_OF_OPTIONS: &str = "pcapng interface with options after \
         opt_endofopt: the list ends there (pcapng spec) and nwcap stops, pcap-parser \
         reads on (an if_tsresol there changes its timestamps): timestamps not compared";
    /// A pcapng block whose length is not a multiple of 4.
    pub const UNALIGNED_BLOCK: &str = "pcapng block whose length is not a multiple of 4: \
         nwcap stops with an error (the spec's rule, as Wireshark), pcap-parser reads on";
    /// A pcapng block shorter than 12 bytes.
    pub const SHORT_BLOCK: &str = "pcapng block shorter than 12 bytes: nwcap stops with \
         an error; pcap-parser 0.17 is not given it (its length check overflows on a \
         process information block, found by the fuzz target)";
    /// A pcapng obsolete packet block (type 2).
    pub const OBSOLETE_PB: &str = "pcapng obsolete packet block (type 2): pcap-parser \
         0.17 returns it as an unknown block: its fields are not compared, nor the file's \
         record count when nwcap finds one of them damaged";
    /// The upper bits of a pcap header's link type field.
    pub const LINKTYPE_BITS: &str = "pcap header link type with its upper bits set \
         (FCS length, reserved): nwcap takes the low 16 bits as libpcap, pcap-parser \
         the whole field; the low 16 bits compared";
}

/// What the comparison saw over many frames or files.
#[derive(Debug, Default)]
pub struct Tally {
    /// Frames given.
    pub frames: u64,
    /// Frames whose IP header was compared.
    pub ip: u64,
    /// Frames whose transport header and payload were compared.
    pub transport: u64,
    /// Records compared between the readers.
    pub records: u64,
    /// Frames or records left out (fully or partly), by reason.
    pub left_out: BTreeMap<&'static str, u64>,
    /// Disagreements (each one fails the corpus test and the fuzz target).
    pub differences: Vec<String>,
}

impl Tally {
    fn skip(&mut self, why: &'static str) {
        *self.left_out.entry(why).or_default() += 1;
    }

    fn differ(&mut self, what: String) {
        if self.differences.len() < 1000 {
            self.differences.push(what);
        }
    }
}

include!("oracle_decode.rs");
include!("oracle_transport.rs");
include!("oracle_reader.rs");

/// Link types the fuzz target's first byte picks from: the ones etherparse
/// slices.
pub const LINKTYPES: [LinkType; 6] = [
    LinkType::ETHERNET,
    LinkType::RAW,
    LinkType::IPV4,
    LinkType::IPV6,
    LinkType::LINUX_SLL,
    LinkType::RAW_BSD14,
];

/// Run every check on one input: the first byte's top bit chooses between
/// a frame (the low bits pick the link type) and a capture file.
pub fn check(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let mut t = Tally::default();
    if pick & 0x80 == 0 {
        let lt = LINKTYPES[usize::from(pick) % LINKTYPES.len()];
        decode_frame(lt, rest, &mut t);
    } else {
        records("fuzz", rest, &mut t);
    }
    assert!(
        t.differences.is_empty(),
        "nwcap and the oracle disagree: {:?}",
        t.differences
    );
}
