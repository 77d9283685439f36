//! One Network Watcher filter and its evaluation on one packet.
//!
//! A filter is five optional conditions that must all hold. "Local" and
//! "remote" are relative to the capture target (the VM), which a packet does
//! not say; [`Orientation`] carries the caller's answer (which end may be the
//! VM) so that it is worked out once per packet, not once per filter.
//!
//! Packets without ports (ICMP, other protocols, and IP fragments after the
//! first, whose transport header is in the first fragment) never match a
//! filter with a port condition, and still match one without: the same
//! choice as BPF's `port 80`, which skips non-first fragments, and the only
//! one that does not guess. A `TCP` filter without ports keeps every
//! fragment of a TCP datagram, since each carries the protocol number.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::addr::AddrSet;
use crate::error::{FilterError, JsonError};
use crate::port::PortSet;
use crate::protocol::Protocol;

/// What the filter sees of a packet; the caller fills it from its decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FiveTuple {
    /// IP protocol number of the transport (after IPv6 extension headers).
    pub proto: u8,
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Source port, when the packet has one (TCP/UDP, first fragment).
    pub src_port: Option<u16>,
    /// Destination port, when the packet has one.
    pub dst_port: Option<u16>,
}

/// Which end(s) of a packet may be the capture target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Orientation {
    /// The source may be local (the packet leaves the VM).
    pub src_local: bool,
    /// The destination may be local (the packet enters the VM).
    pub dst_local: bool,
}

impl Orientation {
    /// Decides orientation from the VM's addresses.
    ///
    /// With `local_ips`, an end is local when its address is in the set.
    /// Without it, or when neither end is in it (a broadcast from a peer,
    /// an address of the VM that was not listed), both orientations are
    /// tried: a filter then matches when either reading of the packet
    /// matches it.
    #[inline]
    pub fn of(t: &FiveTuple, local_ips: Option<&AddrSet>) -> Self {
        let (src, dst) = match local_ips {
            Some(set) => (set.contains(t.src), set.contains(t.dst)),
            None => (false, false),
        };
        // Computed without branches: the answer changes packet by packet.
        let unknown = !(src | dst);
        Orientation {
            src_local: src | unknown,
            dst_local: dst | unknown,
        }
    }
}

/// One capture filter: all present conditions must hold.
///
/// `None` (a missing or empty field) matches anything. (De)serialises with
/// the ARM JSON names (`protocol`, `localIPAddress`, `localPort`,
/// `remoteIPAddress`, `remotePort`), values as strings in canonical notation.
/// `Display` is that compact JSON, which [`FromStr`] and `--filter` read back.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PacketFilter {
    /// Transport protocol.
    pub protocol: Protocol,
    /// Addresses of the VM end.
    pub local_ip: Option<AddrSet>,
    /// Ports of the VM end.
    pub local_port: Option<PortSet>,
    /// Addresses of the other end.
    pub remote_ip: Option<AddrSet>,
    /// Ports of the other end.
    pub remote_port: Option<PortSet>,
}

/// The names of the five fields, as errors should call them.
#[derive(Clone, Copy, Debug)]
pub struct FieldNames {
    /// Name of the protocol field.
    pub protocol: &'static str,
    /// Name of the local address field.
    pub local_ip: &'static str,
    /// Name of the local port field.
    pub local_port: &'static str,
    /// Name of the remote address field.
    pub remote_ip: &'static str,
    /// Name of the remote port field.
    pub remote_port: &'static str,
}

impl FieldNames {
    /// The ARM JSON names.
    pub const JSON: FieldNames = FieldNames {
        protocol: "protocol",
        local_ip: "localIPAddress",
        local_port: "localPort",
        remote_ip: "remoteIPAddress",
        remote_port: "remotePort",
    };
    /// The command-line flag names.
    pub const FLAGS: FieldNames = FieldNames {
        protocol: "--protocol",
        local_ip: "--local-ip",
        local_port: "--local-port",
        remote_ip: "--remote-ip",
        remote_port: "--remote-port",
    };
}

/// Blank (only spaces and separators) counts as absent, like `""` in ARM.
fn present(text: Option<&str>) -> Option<&str> {
    text.filter(|t| {
        !t.trim_matches(|c: char| c == ';' || c == ',' || c.is_whitespace())
            .is_empty()
    })
}

impl PacketFilter {
    /// Builds a filter from the five fields' texts; `None` or blank text
    /// means the field is absent (protocol absent = `Any`).
    pub fn from_fields(
        names: FieldNames,
        protocol: Option<&str>,
        local_ip: Option<&str>,
        local_port: Option<&str>,
        remote_ip: Option<&str>,
        remote_port: Option<&str>,
    ) -> Result<Self, FilterError> {
        Ok(PacketFilter {
            protocol: match present(protocol) {
                Some(p) => Protocol::parse(names.protocol, p)?,
                None => Protocol::Any,
            },
            local_ip: present(local_ip)
                .map(|t| AddrSet::parse(names.local_ip, t))
                .transpose()?,
            local_port: present(local_port)
                .map(|t| PortSet::parse(names.local_port, t))
                .transpose()?,
            remote_ip: present(remote_ip)
                .map(|t| AddrSet::parse(names.remote_ip, t))
                .transpose()?,
            remote_port: present(remote_port)
                .map(|t| PortSet::parse(names.remote_port, t))
                .transpose()?,
        })
    }

    /// Whether the filter has no condition at all (it keeps every packet).
    pub fn is_match_all(&self) -> bool {
        *self == PacketFilter::default()
    }

    /// Whether the packet matches, with `local_ips` orienting it (see
    /// [`Orientation::of`]).
    #[inline]
    pub fn matches(&self, t: &FiveTuple, local_ips: Option<&AddrSet>) -> bool {
        self.matches_oriented(t, Orientation::of(t, local_ips))
    }

    /// Whether the packet matches in one of the allowed orientations.
    #[inline]
    pub fn matches_oriented(&self, t: &FiveTuple, o: Orientation) -> bool {
        // Non-short-circuit `&`/`|`: both readings are a few compares, and
        // evaluating both is cheaper than mispredicting which one applies.
        self.protocol.matches(t.proto)
            & ((o.src_local & self.matches_ends(t.src, t.src_port, t.dst, t.dst_port))
                | (o.dst_local & self.matches_ends(t.dst, t.dst_port, t.src, t.src_port)))
    }

    #[inline]
    fn matches_ends(
        &self,
        local: IpAddr,
        local_port: Option<u16>,
        remote: IpAddr,
        remote_port: Option<u16>,
    ) -> bool {
        addr_ok(self.local_ip.as_ref(), local)
            & port_ok(self.local_port.as_ref(), local_port)
            & addr_ok(self.remote_ip.as_ref(), remote)
            & port_ok(self.remote_port.as_ref(), remote_port)
    }
}

#[inline]
fn addr_ok(set: Option<&AddrSet>, ip: IpAddr) -> bool {
    set.is_none_or(|s| s.contains(ip))
}

#[inline]
fn port_ok(set: Option<&PortSet>, port: Option<u16>) -> bool {
    match set {
        None => true,
        // A missing port reads as 0 and is then refused: no branch on it.
        Some(s) => port.is_some() & s.contains(port.unwrap_or(0)),
    }
}

impl fmt::Display for PacketFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let json = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&json)
    }
}

/// Reads one filter object in ARM JSON (what `Display` writes).
impl FromStr for PacketFilter {
    type Err = JsonError;

    fn from_str(s: &str) -> Result<Self, JsonError> {
        crate::json::filter_from_json(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn tcp(src: &str, sport: u16, dst: &str, dport: u16) -> FiveTuple {
        FiveTuple {
            proto: 6,
            src: ip(src),
            dst: ip(dst),
            src_port: Some(sport),
            dst_port: Some(dport),
        }
    }

    fn filter(p: &str, lip: &str, lport: &str, rip: &str, rport: &str) -> PacketFilter {
        PacketFilter::from_fields(
            FieldNames::JSON,
            Some(p),
            Some(lip),
            Some(lport),
            Some(rip),
            Some(rport),
        )
        .unwrap()
    }

    #[test]
    fn empty_fields_match_anything() {
        let f = filter("", "", " ", ";", "");
        assert!(f.is_match_all());
        let icmp = FiveTuple {
            proto: 1,
            src: ip("10.0.0.4"),
            dst: ip("8.8.8.8"),
            src_port: None,
            dst_port: None,
        };
        assert!(f.matches(&icmp, None));
    }

    #[test]
    fn fields_are_anded() {
        let f = filter("TCP", "10.0.0.4", "80", "", "");
        let vm = ip("10.0.0.4");
        let local = AddrSet::single(vm);
        assert!(f.matches(&tcp("1.2.3.4", 5000, "10.0.0.4", 80), Some(&local)));
        assert!(f.matches(&tcp("10.0.0.4", 80, "1.2.3.4", 5000), Some(&local)));
        assert!(!f.matches(&tcp("1.2.3.4", 5000, "10.0.0.4", 81), Some(&local)));
        assert!(!f.matches(&tcp("1.2.3.4", 5000, "10.0.0.5", 80), Some(&local)));
        let mut udp = tcp("1.2.3.4", 5000, "10.0.0.4", 80);
        udp.proto = 17;
        assert!(!f.matches(&udp, Some(&local)));
    }

    #[test]
    fn local_ips_decide_orientation() {
        // remotePort 80: the VM is a client of a web server.
        let f = filter("TCP", "", "", "", "80");
        let local = AddrSet::single(ip("10.0.0.4"));
        let to_server = tcp("10.0.0.4", 50000, "1.2.3.4", 80);
        let from_server = tcp("1.2.3.4", 80, "10.0.0.4", 50000);
        assert!(f.matches(&to_server, Some(&local)));
        assert!(f.matches(&from_server, Some(&local)));
        // The VM serving on port 80 is the other way round: no match.
        let to_vm_server = tcp("1.2.3.4", 50000, "10.0.0.4", 80);
        assert!(!f.matches(&to_vm_server, Some(&local)));
        // Without local_ips either reading is allowed.
        assert!(f.matches(&to_vm_server, None));
        // Neither end local: both readings, as without local_ips.
        assert!(f.matches(&tcp("1.2.3.4", 50000, "5.6.7.8", 80), Some(&local)));
        // Both ends local (the VM talks to itself): both readings.
        let both = AddrSet::parse("x", "10.0.0.4;10.0.0.5").unwrap();
        assert!(f.matches(&tcp("10.0.0.4", 80, "10.0.0.5", 50000), Some(&both)));
        assert!(f.matches(&tcp("10.0.0.4", 50000, "10.0.0.5", 80), Some(&both)));
    }

    #[test]
    fn local_and_remote_must_hold_in_the_same_reading() {
        let f = filter("Any", "10.0.0.4", "", "", "443");
        // 10.0.0.4 local, remote port is 5000: no; other reading needs dst 10.0.0.4.
        assert!(!f.matches(&tcp("10.0.0.4", 443, "1.2.3.4", 5000), None));
        assert!(f.matches(&tcp("10.0.0.4", 5000, "1.2.3.4", 443), None));
        assert!(f.matches(&tcp("1.2.3.4", 443, "10.0.0.4", 5000), None));
    }

    #[test]
    fn packets_without_ports() {
        let frag = FiveTuple {
            proto: 6,
            src: ip("10.0.0.4"),
            dst: ip("1.2.3.4"),
            src_port: None,
            dst_port: None,
        };
        assert!(filter("TCP", "10.0.0.4", "", "", "").matches(&frag, None));
        assert!(!filter("TCP", "", "80", "", "").matches(&frag, None));
        assert!(!filter("Any", "", "", "", "0-65535").matches(&frag, None));
        let icmp = FiveTuple { proto: 1, ..frag };
        assert!(filter("Any", "", "", "1.2.3.4", "").matches(&icmp, None));
        assert!(!filter("TCP", "", "", "", "").matches(&icmp, None));
    }

    #[test]
    fn ipv6_packets() {
        let f = filter("UDP", "2001:db8::/64", "", "", "53");
        let t = FiveTuple {
            proto: 17,
            src: ip("2001:db8::10"),
            dst: ip("2001:4860::8888"),
            src_port: Some(40000),
            dst_port: Some(53),
        };
        assert!(f.matches(&t, None));
        assert!(!filter("UDP", "10.0.0.0/8", "", "", "53").matches(&t, None));
    }

    #[test]
    fn flag_names_in_errors() {
        let e = PacketFilter::from_fields(FieldNames::FLAGS, None, None, Some("x"), None, None)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"--local-port: "x" is not a port (0-65535)"#
        );
    }
}
