//! The flow key as the engine handles it per packet: 48 bytes of plain
//! integers, compared and hashed without branches on address families.
//!
//! Addresses are 128-bit integers holding the address's bytes in network
//! order (an IPv4 address in the low 32 bits, with [`PackedKey::V6`] clear),
//! so comparing two of them as integers is the byte-string comparison the
//! Community ID ordering asks for. The tunnel context, which would triple
//! the key's size, is replaced by a small id that each shard's table assigns
//! to every distinct [`TunnelKey`] it meets ([`PackedKey::tunnel`]); the
//! full [`FlowKey`] is rebuilt once per flow, when the flow starts.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::key::{FlowKey, TunnelKey};

/// A VLAN field with no tag.
const NO_VLAN: u16 = u16::MAX;

/// Compact canonical flow key (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PackedKey {
    /// First endpoint (Community ID order).
    pub a: u128,
    /// Second endpoint.
    pub b: u128,
    /// Port of `a` (ICMP: mapped type).
    pub a_port: u16,
    /// Port of `b`.
    pub b_port: u16,
    /// Outer VLAN id, or `u16::MAX` for none.
    pub vlan: u16,
    /// Inner VLAN id, or `u16::MAX` for none.
    pub vlan_inner: u16,
    /// Shard-local tunnel id (0: not tunnelled; assigned by the table).
    pub tunnel: u32,
    /// IP protocol number.
    pub proto: u8,
    /// [`PackedKey::V6`] when the addresses are IPv6.
    pub flags: u8,
}

impl PackedKey {
    /// Flag: the addresses are IPv6.
    pub const V6: u8 = 1;

    /// Packs an address; returns (value, is IPv6).
    #[inline]
    pub fn addr(ip: IpAddr) -> (u128, bool) {
        Self::addr_of(&ip)
    }

    /// [`PackedKey::addr`] of an address read in place, for one just
    /// written by the decoder: an IPv4 address is read as the 4 bytes the
    /// decoder stored. Copying the `IpAddr` first loaded its 16-byte IPv6
    /// view too, which straddles the stores that wrote it, so the load
    /// waited for every earlier store to reach the cache (on two cores, a
    /// staged record's store can wait for its line from the other core).
    #[inline]
    pub fn addr_of(ip: &IpAddr) -> (u128, bool) {
        match ip {
            IpAddr::V4(a) => (u128::from(u32::from_be_bytes(a.octets())), false),
            IpAddr::V6(a) => (Self::v6_bits(a), true),
        }
    }

    /// An IPv6 address as an integer, out of line: see
    /// [`PackedKey::addr_of`].
    #[inline(never)]
    fn v6_bits(a: &Ipv6Addr) -> u128 {
        u128::from_be_bytes(a.octets())
    }

    /// Unpacks an address of this key.
    #[inline]
    pub fn ip(&self, v: u128) -> IpAddr {
        if self.flags & Self::V6 != 0 {
            IpAddr::V6(Ipv6Addr::from(v.to_be_bytes()))
        } else {
            // The low 32 bits hold the IPv4 address.
            IpAddr::V4(Ipv4Addr::from((v as u32).to_be_bytes()))
        }
    }

    /// Packs a VLAN field.
    #[inline]
    pub fn vlan_of(v: Option<u16>) -> u16 {
        v.map_or(NO_VLAN, |v| v & 0x0fff)
    }

    fn unvlan(v: u16) -> Option<u16> {
        (v != NO_VLAN).then_some(v)
    }

    /// The same key with ports zeroed and the addresses ordered on their
    /// own: what non-first IP fragments carry and what selects a shard (so
    /// all fragments of a datagram meet their flow).
    #[inline]
    pub fn without_ports(&self) -> PackedKey {
        let mut k = *self;
        if k.a_port != 0 || k.b_port != 0 {
            if k.b < k.a {
                std::mem::swap(&mut k.a, &mut k.b);
            }
            k.a_port = 0;
            k.b_port = 0;
        }
        k
    }

    /// Well-mixed 64-bit hash of the key, with the tunnel context given as
    /// the hash of its [`TunnelKey`] (`tunnel_hash`, 0 when none) instead of
    /// the shard-local id, so it can be computed before the id is known.
    /// The shard id is left out; equal keys of one shard have equal ids iff
    /// their tunnel keys are equal, so equal keys hash equally.
    #[inline]
    pub fn hash_with(&self, tunnel_hash: u64) -> u64 {
        // Folded 64x64->128 multiplies (as foldhash does): the four products
        // are independent, so they run in parallel instead of as a chain.
        const K: [u64; 8] = [
            0x243f_6a88_85a3_08d3,
            0x1319_8a2e_0370_7344,
            0xa409_3822_299f_31d0,
            0x082e_fa98_ec4e_6c89,
            0x4528_21e6_38d0_1377,
            0xbe54_66cf_34e9_0c6c,
            0xc0ac_29b7_c97c_50dd,
            0x3f84_d5b5_b547_0917,
        ];
        let misc = u64::from(self.a_port)
            | u64::from(self.b_port) << 16
            | u64::from(self.vlan) << 32
            | u64::from(self.vlan_inner) << 48;
        let h1 = fold(self.a as u64 ^ K[0], (self.a >> 64) as u64 ^ K[1]);
        let h2 = fold(self.b as u64 ^ K[2], (self.b >> 64) as u64 ^ K[3]);
        let h3 = fold(misc ^ K[4], tunnel_hash ^ K[5]);
        let h4 = fold(
            u64::from(self.proto) << 8 ^ u64::from(self.flags) ^ K[6],
            h3 ^ K[7],
        );
        fold(h1 ^ h4, h2.rotate_left(29) ^ K[0])
    }

    /// The shard of this key among `shards`: a hash of everything but the
    /// ports, symmetric in the two endpoints, so a key and its
    /// [`PackedKey::without_ports`] (what non-first fragments carry) always
    /// share a shard. `tunnel_hash` as for [`PackedKey::hash_with`].
    #[inline]
    pub fn shard(&self, tunnel_hash: u64, shards: usize) -> usize {
        let x = self.a ^ self.b;
        let sum = self.a.wrapping_add(self.b);
        let rest = u64::from(self.proto)
            | u64::from(self.flags) << 8
            | u64::from(self.vlan) << 16
            | u64::from(self.vlan_inner) << 32;
        let h = fold(
            x as u64 ^ (x >> 64) as u64 ^ 0x243f_6a88_85a3_08d3,
            sum as u64 ^ (sum >> 64) as u64 ^ 0x1319_8a2e_0370_7344,
        ) ^ fold(
            rest ^ 0xa409_3822_299f_31d0,
            tunnel_hash ^ 0x082e_fa98_ec4e_6c89,
        );
        shard_of_hash(h, shards)
    }

    /// The full key, given this key's tunnel context.
    pub fn to_flow_key(&self, tunnel: Option<TunnelKey>) -> FlowKey {
        FlowKey {
            a: self.ip(self.a),
            b: self.ip(self.b),
            a_port: self.a_port,
            b_port: self.b_port,
            proto: self.proto,
            vlan: Self::unvlan(self.vlan),
            vlan_inner: Self::unvlan(self.vlan_inner),
            tunnel,
        }
    }
}

/// Hash of a tunnel context for [`PackedKey::hash_with`] (never 0).
pub fn tunnel_hash(t: &TunnelKey) -> u64 {
    let (lo, _) = PackedKey::addr(t.lo);
    let (hi, _) = PackedKey::addr(t.hi);
    let k = PackedKey {
        a: lo,
        b: hi,
        a_port: t.vni.map_or(0, |v| v as u16),
        b_port: t.vni.map_or(0, |v| (v >> 16) as u16),
        vlan: u16::from(t.vni.is_some()),
        vlan_inner: u16::from(t.lo.is_ipv6()) | u16::from(t.hi.is_ipv6()) << 1,
        tunnel: 0,
        proto: t.kind as u8,
        flags: 0,
    };
    k.hash_with(0x5555_5555_5555_5555) | 1
}

/// The two halves of a 128-bit product, xored.
#[inline]
fn fold(x: u64, y: u64) -> u64 {
    let p = u128::from(x) * u128::from(y);
    p as u64 ^ (p >> 64) as u64
}

/// A shard in `0..shards` from a hash, by the high half of a product with
/// a remixed hash (no division; independent of the bits the tables use).
#[inline]
pub fn shard_of_hash(hash: u64, shards: usize) -> usize {
    let h = (hash ^ hash >> 31).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    ((u128::from(h) * shards as u128) >> 64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn integer_order_is_byte_order() {
        for (x, y) in [
            ("10.0.0.1", "10.0.0.2"),
            ("9.255.255.255", "10.0.0.0"),
            ("::1", "::2"),
            ("fe80::1", "ff02::1"),
            ("2001:db8::ffff", "2001:db8:0:1::"),
        ] {
            let (a, _) = PackedKey::addr(ip(x));
            let (b, _) = PackedKey::addr(ip(y));
            assert!(a < b, "{x} < {y}");
            assert_eq!(ip(x) < ip(y), a < b);
        }
    }

    #[test]
    fn round_trip_to_flow_key() {
        for (x, y, v6) in [
            ("10.1.2.3", "192.168.0.9", false),
            ("2001:db8::1", "::ffff:10.0.0.1", true),
        ] {
            let (a, _) = PackedKey::addr(ip(x));
            let (b, _) = PackedKey::addr(ip(y));
            let k = PackedKey {
                a,
                b,
                a_port: 1,
                b_port: 2,
                vlan: PackedKey::vlan_of(Some(0)),
                vlan_inner: PackedKey::vlan_of(None),
                tunnel: 0,
                proto: 6,
                flags: if v6 { PackedKey::V6 } else { 0 },
            };
            let f = k.to_flow_key(None);
            assert_eq!((f.a, f.b), (ip(x), ip(y)));
            assert_eq!((f.vlan, f.vlan_inner), (Some(0), None));
        }
    }

    #[test]
    fn a_key_and_its_portless_form_share_a_shard() {
        for i in 0..1000u64 {
            let k = PackedKey {
                a: u128::from(i) << 70 | 7,
                b: u128::from(i * 31 + 5),
                a_port: 1000 + i as u16,
                b_port: 443,
                proto: 6,
                ..PackedKey::default()
            };
            assert_eq!(k.shard(9, 32), k.without_ports().shard(9, 32));
        }
    }

    #[test]
    fn shards_are_in_range_and_all_used() {
        for shards in [1, 3, 32] {
            let mut seen = vec![0u32; shards];
            for i in 0..10_000u64 {
                let k = PackedKey {
                    a: u128::from(i),
                    ..PackedKey::default()
                };
                seen[shard_of_hash(k.hash_with(0), shards)] += 1;
                seen[k.shard(0, shards)] += 1;
            }
            assert!(
                seen.iter().all(|&n| n > 10_000 / shards as u32 / 2),
                "{seen:?}"
            );
        }
    }

    #[test]
    fn hash_sees_every_field() {
        let k = PackedKey {
            a: 1,
            b: 2,
            a_port: 3,
            b_port: 4,
            vlan: 5,
            vlan_inner: 6,
            tunnel: 0,
            proto: 7,
            flags: 0,
        };
        let h = k.hash_with(0);
        let variants = [
            PackedKey { a: 1 << 100, ..k },
            PackedKey { b: 3, ..k },
            PackedKey { a_port: 4, ..k },
            PackedKey { b_port: 3, ..k },
            PackedKey { vlan: 6, ..k },
            PackedKey { vlan_inner: 5, ..k },
            PackedKey { proto: 17, ..k },
            PackedKey { flags: 1, ..k },
        ];
        for v in variants {
            assert_ne!(v.hash_with(0), h, "{v:?}");
        }
        assert_ne!(k.hash_with(9), h);
        // The shard-local id is not part of the hash.
        assert_eq!(PackedKey { tunnel: 3, ..k }.hash_with(0), h);
    }
}
