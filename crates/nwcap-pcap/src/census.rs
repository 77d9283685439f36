//! Count packets by their innermost protocol: a full decode of every record,
//! in parallel over chunks (what `nwcap info --decode` shows, and the
//! decoder benchmark).

use crate::capture::Index;
use crate::decode;
use crate::packet::{IssueKind, ipproto};

/// Packets per innermost protocol. A tunnelled packet counts at its
/// innermost layer; non-first fragments count under their IP protocol.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Census {
    /// TCP packets.
    pub tcp: u64,
    /// UDP packets.
    pub udp: u64,
    /// ICMP packets.
    pub icmp: u64,
    /// ICMPv6 packets.
    pub icmpv6: u64,
    /// SCTP packets.
    pub sctp: u64,
    /// Other IP protocols (GRE not carrying IP, ESP...).
    pub other_ip: u64,
    /// IPv4 packets (innermost header).
    pub ipv4: u64,
    /// IPv6 packets (innermost header).
    pub ipv6: u64,
    /// Packets inside a tunnel.
    pub tunnelled: u64,
    /// Packets with at least one VLAN tag.
    pub vlan: u64,
    /// IP fragments (first or not).
    pub fragments: u64,
    /// Frames that are not IP (ARP, STP, LLDP...).
    pub non_ip: u64,
    /// Frames of a link type nwcap does not decode.
    pub undecoded: u64,
    /// Packets whose headers were cut by the snap length.
    pub cut_headers: u64,
    /// Packets with a malformed or too deeply nested header.
    pub malformed: u64,
}

impl Census {
    /// Add another census.
    pub fn merge(&mut self, o: &Census) {
        self.tcp += o.tcp;
        self.udp += o.udp;
        self.icmp += o.icmp;
        self.icmpv6 += o.icmpv6;
        self.sctp += o.sctp;
        self.other_ip += o.other_ip;
        self.ipv4 += o.ipv4;
        self.ipv6 += o.ipv6;
        self.tunnelled += o.tunnelled;
        self.vlan += o.vlan;
        self.fragments += o.fragments;
        self.non_ip += o.non_ip;
        self.undecoded += o.undecoded;
        self.cut_headers += o.cut_headers;
        self.malformed += o.malformed;
    }
}

/// Decode every record of an indexed capture and count.
pub fn census(idx: &Index<'_>) -> Census {
    let parts = idx.map_chunks(|_, records| {
        let mut c = Census::default();
        for r in records {
            if !decode::supported(r.linktype) {
                c.undecoded += 1;
                continue;
            }
            let p = decode::decode(r.linktype, r.data);
            if let Some(issue) = p.issue {
                match issue.kind {
                    IssueKind::Truncated => c.cut_headers += 1,
                    _ => c.malformed += 1,
                }
            }
            c.vlan += u64::from(p.vlan.is_some());
            c.tunnelled += u64::from(p.tunnel.is_some());
            let Some(ip) = p.ip else {
                c.non_ip += u64::from(p.non_ip.is_some());
                continue;
            };
            match ip.src {
                std::net::IpAddr::V4(_) => c.ipv4 += 1,
                std::net::IpAddr::V6(_) => c.ipv6 += 1,
            }
            c.fragments += u64::from(ip.fragment.is_some());
            match ip.proto {
                ipproto::TCP => c.tcp += 1,
                ipproto::UDP => c.udp += 1,
                ipproto::ICMP => c.icmp += 1,
                ipproto::ICMPV6 => c.icmpv6 += 1,
                ipproto::SCTP => c.sctp += 1,
                _ => c.other_ip += 1,
            }
        }
        c
    });
    let mut total = Census::default();
    for p in &parts {
        total.merge(p);
    }
    total
}
