//! The flow key: a compact `Copy` value, canonical for both directions.
//!
//! The endpoints are ordered with the Community ID v1 rule (smaller address
//! first, ports break ties; ICMP types are mapped to "ports" and one-way ICMP
//! messages keep their direction). Using the same rule for the table key and
//! for the Community ID means the ID is a pure function of the key.
//!
//! VLAN ids and the tunnel context are part of the key, so an inner flow of a
//! tunnel is its own flow; the tunnel endpoints are stored sorted so both
//! directions of the tunnel land in the same flow.

use std::net::IpAddr;

use nwcap_pcap::packet::{TunnelKind, ipproto};

/// The tunnel context of a flow key (endpoints sorted, not directional).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TunnelKey {
    /// Tunnel type.
    pub kind: TunnelKind,
    /// Smaller outer address.
    pub lo: IpAddr,
    /// Larger outer address.
    pub hi: IpAddr,
    /// VXLAN/Geneve VNI or GRE key.
    pub vni: Option<u32>,
}

/// Canonical bidirectional flow key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    /// First endpoint address (Community ID order).
    pub a: IpAddr,
    /// Second endpoint address.
    pub b: IpAddr,
    /// Port of `a` (ICMP: mapped type, see [`icmp_ports`]).
    pub a_port: u16,
    /// Port of `b` (ICMP: counterpart type or code).
    pub b_port: u16,
    /// IP protocol number.
    pub proto: u8,
    /// Outer VLAN id.
    pub vlan: Option<u16>,
    /// Inner VLAN id (QinQ).
    pub vlan_inner: Option<u16>,
    /// Tunnel context, when the packet was tunnelled.
    pub tunnel: Option<TunnelKey>,
}

/// True for protocols whose Community ID includes ports.
pub fn has_ports(proto: u8) -> bool {
    matches!(
        proto,
        ipproto::TCP | ipproto::UDP | ipproto::SCTP | ipproto::ICMP | ipproto::ICMPV6
    )
}

/// Maps an ICMP/ICMPv6 type and code to Community ID "ports":
/// `(type, counterpart type, false)` for request/reply pairs, else
/// `(type, code, true)` (one-way).
pub fn icmp_ports(proto: u8, icmp_type: u8, code: u8) -> (u16, u16, bool) {
    let counterpart = if proto == ipproto::ICMP {
        match icmp_type {
            8 => Some(0),
            0 => Some(8),
            13 => Some(14),
            14 => Some(13),
            15 => Some(16),
            16 => Some(15),
            10 => Some(9),
            17 => Some(18),
            18 => Some(17),
            _ => None,
        }
    } else {
        match icmp_type {
            128 => Some(129),
            129 => Some(128),
            133 => Some(134),
            134 => Some(133),
            135 => Some(136),
            136 => Some(135),
            130 => Some(131),
            131 => Some(130),
            139 => Some(140),
            140 => Some(139),
            144 => Some(145),
            145 => Some(144),
            _ => None,
        }
    };
    match counterpart {
        Some(c) => (u16::from(icmp_type), c, false),
        None => (u16::from(icmp_type), u16::from(code), true),
    }
}

/// Orders a directional tuple the Community ID way. Returns
/// `(a, a_port, b, b_port, src_is_a)`.
pub fn canonical(
    src: IpAddr,
    sport: u16,
    dst: IpAddr,
    dport: u16,
    one_way: bool,
) -> (IpAddr, u16, IpAddr, u16, bool) {
    if one_way || (src, sport) < (dst, dport) {
        (src, sport, dst, dport, true)
    } else {
        (dst, dport, src, sport, false)
    }
}

impl FlowKey {
    /// The same key with ports zeroed: what non-first IP fragments carry
    /// (the engine's own copy of this rule is
    /// [`crate::PackedKey::without_ports`]).
    pub fn without_ports(&self) -> FlowKey {
        let mut k = *self;
        if k.a_port != 0 || k.b_port != 0 {
            // Ports were part of the ordering; re-sort on addresses only.
            if k.b < k.a {
                std::mem::swap(&mut k.a, &mut k.b);
            }
            k.a_port = 0;
            k.b_port = 0;
        }
        k
    }

    /// Stable 64-bit hash (FNV-1a over a fixed serialisation), independent
    /// of the process, the platform and the thread count.
    pub fn stable_hash(&self) -> u64 {
        let mut h = Fnv::new();
        self.write_stable(&mut h);
        h.0
    }

    /// Feeds a fixed byte serialisation of the key to `out`.
    pub(crate) fn write_stable(&self, out: &mut impl ByteSink) {
        write_addr(out, self.a);
        write_addr(out, self.b);
        out.put(&self.a_port.to_be_bytes());
        out.put(&self.b_port.to_be_bytes());
        out.put(&[self.proto]);
        for v in [self.vlan, self.vlan_inner] {
            match v {
                Some(v) => out.put(&[1, (v >> 8) as u8, v as u8]),
                None => out.put(&[0]),
            }
        }
        match self.tunnel {
            Some(t) => {
                out.put(&[1, t.kind as u8]);
                write_addr(out, t.lo);
                write_addr(out, t.hi);
                match t.vni {
                    Some(v) => {
                        out.put(&[1]);
                        out.put(&v.to_be_bytes());
                    }
                    None => out.put(&[0]),
                }
            }
            None => out.put(&[0]),
        }
    }
}

/// Something bytes can be fed to (a hasher).
pub(crate) trait ByteSink {
    fn put(&mut self, bytes: &[u8]);
}

fn write_addr(out: &mut impl ByteSink, addr: IpAddr) {
    match addr {
        IpAddr::V4(a) => {
            out.put(&[4]);
            out.put(&a.octets());
        }
        IpAddr::V6(a) => {
            out.put(&[6]);
            out.put(&a.octets());
        }
    }
}

struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl ByteSink for Fnv {
    fn put(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn canonical_orders_by_address_then_port() {
        let (a, ap, b, bp, src_is_a) = canonical(ip("10.0.0.2"), 80, ip("10.0.0.1"), 1234, false);
        assert_eq!(
            (a, ap, b, bp, src_is_a),
            (ip("10.0.0.1"), 1234, ip("10.0.0.2"), 80, false)
        );
        let r = canonical(ip("10.0.0.1"), 9, ip("10.0.0.1"), 8, false);
        assert_eq!(r.1, 8);
        assert!(!r.4);
        // One-way keeps direction.
        let r = canonical(ip("10.0.0.2"), 11, ip("10.0.0.1"), 0, true);
        assert!(r.4);
    }

    #[test]
    fn icmp_mapping() {
        assert_eq!(icmp_ports(ipproto::ICMP, 8, 0), (8, 0, false));
        assert_eq!(icmp_ports(ipproto::ICMP, 3, 1), (3, 1, true));
        assert_eq!(icmp_ports(ipproto::ICMPV6, 135, 0), (135, 136, false));
        assert_eq!(icmp_ports(ipproto::ICMPV6, 1, 4), (1, 4, true));
    }

    #[test]
    fn without_ports_is_direction_free() {
        let k = FlowKey {
            a: ip("10.0.0.1"),
            b: ip("10.0.0.1"),
            a_port: 5,
            b_port: 6,
            proto: 17,
            vlan: None,
            vlan_inner: None,
            tunnel: None,
        };
        let k2 = FlowKey {
            a_port: 0,
            b_port: 0,
            ..k
        };
        assert_eq!(k.without_ports(), k2);
        assert_ne!(k.stable_hash(), k2.stable_hash());
    }
}
