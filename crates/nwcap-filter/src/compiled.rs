//! The form a [`FilterSet`](crate::FilterSet) evaluates: every condition as
//! integer ranges, nothing optional.
//!
//! Measured on 2 M packets, walking the model directly (options, `IpAddr`
//! matches, short-circuits) cost three to four times a hand-written check,
//! mostly in branches whose outcome changes packet by packet. So a set is
//! compiled once: an absent field becomes the full range (it matches
//! anything), a missing port becomes `u32::MAX`, a value no `u16` range
//! holds (so a port condition refuses packets without ports, and an absent
//! one accepts them), and the protocol a mask/value pair. A packet is then
//! read once into integers, and each filter is a fixed series of compares
//! combined with `&`/`|`, with no branch that depends on the packet.

use std::net::IpAddr;

use crate::addr::AddrSet;
use crate::filter::{FiveTuple, PacketFilter};
use crate::notation;
use crate::port::PortSet;
use crate::protocol::Protocol;

/// Sorted, disjoint inclusive ranges. The first is kept inline (most
/// conditions are one value or one range, or "anything"), the others behind
/// a pointer; `first` is an impossible range when there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ranges<T> {
    first: (T, T),
    rest: Box<[(T, T)]>,
}

pub(crate) trait Bounds: Copy + Ord {
    const MIN: Self;
    const MAX: Self;
    const ONE: Self;
}

impl Bounds for u32 {
    const MIN: Self = 0;
    const MAX: Self = u32::MAX;
    const ONE: Self = 1;
}

impl Bounds for u128 {
    const MIN: Self = 0;
    const MAX: Self = u128::MAX;
    const ONE: Self = 1;
}

impl<T: Bounds> Ranges<T> {
    fn from_vec(mut v: Vec<(T, T)>) -> Self {
        if v.is_empty() {
            // start > end: holds nothing.
            return Ranges {
                first: (T::ONE, T::MIN),
                rest: Box::new([]),
            };
        }
        let first = v.remove(0);
        Ranges {
            first,
            rest: v.into(),
        }
    }

    fn all() -> Self {
        Ranges {
            first: (T::MIN, T::MAX),
            rest: Box::new([]),
        }
    }

    #[inline(always)]
    fn contains(&self, x: T) -> bool {
        let (s, e) = self.first;
        // `|`, not `||`: whether the first range holds changes per packet;
        // whether there are more ranges is fixed per filter and predicted.
        ((s <= x) & (x <= e)) | (!self.rest.is_empty() && notation::contains(&self.rest, x))
    }
}

/// An address condition for both families.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Addrs {
    v4: Ranges<u32>,
    v6: Ranges<u128>,
}

impl Addrs {
    fn new(set: Option<&AddrSet>) -> Self {
        match set {
            None => Addrs {
                v4: Ranges::all(),
                v6: Ranges::all(),
            },
            Some(set) => {
                let (mut v4, mut v6) = (Vec::new(), Vec::new());
                for r in set.ranges() {
                    match (*r.start(), *r.end()) {
                        (IpAddr::V4(s), IpAddr::V4(e)) => v4.push((s.into(), e.into())),
                        (IpAddr::V6(s), IpAddr::V6(e)) => v6.push((s.into(), e.into())),
                        // AddrSet never holds a mixed range.
                        _ => {}
                    }
                }
                Addrs {
                    v4: Ranges::from_vec(v4),
                    v6: Ranges::from_vec(v6),
                }
            }
        }
    }
}

fn ports(set: Option<&PortSet>) -> Ranges<u32> {
    match set {
        // Up to u32::MAX: also holds the "no port" value.
        None => Ranges::all(),
        Some(set) => Ranges::from_vec(
            set.ranges()
                .map(|r| (u32::from(*r.start()), u32::from(*r.end())))
                .collect(),
        ),
    }
}

/// A packet read into integers, once for all filters.
#[derive(Clone, Copy)]
pub(crate) struct Key<A> {
    /// `(src may be local, dst may be local)`.
    orient: (bool, bool),
    proto: u8,
    src: A,
    dst: A,
    sport: u32,
    dport: u32,
}

/// How a packet's address family is evaluated.
pub(crate) enum Prepared {
    V4(Key<u32>),
    V6(Key<u128>),
    /// IPv4 one end, IPv6 the other: not a real packet; the caller falls
    /// back to the model's own evaluation.
    Mixed,
}

const NO_PORT: u32 = u32::MAX;

impl<A: Family> Key<A> {
    /// Reads a packet whose addresses are `src` and `dst` in family `A`.
    #[inline(always)]
    pub(crate) fn new(src: A, dst: A, t: &FiveTuple, locals: &Locals) -> Self {
        Key {
            orient: locals.orient(src, dst),
            proto: t.proto,
            src,
            dst,
            sport: t.src_port.map_or(NO_PORT, u32::from),
            dport: t.dst_port.map_or(NO_PORT, u32::from),
        }
    }
}

impl Prepared {
    #[inline]
    pub(crate) fn new(t: &FiveTuple, locals: &Locals) -> Self {
        match (t.src, t.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => Prepared::V4(Key::new(s.into(), d.into(), t, locals)),
            (IpAddr::V6(s), IpAddr::V6(d)) => Prepared::V6(Key::new(s.into(), d.into(), t, locals)),
            _ => Prepared::Mixed,
        }
    }
}

/// The orientation set, compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Locals(Option<Addrs>);

/// The integer form of one address family.
pub(crate) trait Family: Bounds {
    fn pick(a: &Addrs) -> &Ranges<Self>;
}

impl Family for u32 {
    #[inline]
    fn pick(a: &Addrs) -> &Ranges<u32> {
        &a.v4
    }
}

impl Family for u128 {
    #[inline]
    fn pick(a: &Addrs) -> &Ranges<u128> {
        &a.v6
    }
}

impl Locals {
    pub(crate) fn new(set: Option<&AddrSet>) -> Self {
        Locals(set.map(|s| Addrs::new(Some(s))))
    }

    #[inline(always)]
    fn orient<A: Family>(&self, src: A, dst: A) -> (bool, bool) {
        let (src, dst) = match &self.0 {
            Some(a) => (A::pick(a).contains(src), A::pick(a).contains(dst)),
            None => (false, false),
        };
        let unknown = !(src | dst);
        (src | unknown, dst | unknown)
    }
}

/// One filter, compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Compiled {
    proto_mask: u8,
    proto_value: u8,
    local_ip: Addrs,
    remote_ip: Addrs,
    local_port: Ranges<u32>,
    remote_port: Ranges<u32>,
}

impl Compiled {
    pub(crate) fn new(f: &PacketFilter) -> Self {
        let (proto_mask, proto_value) = match f.protocol {
            Protocol::Tcp => (0xff, crate::IPPROTO_TCP),
            Protocol::Udp => (0xff, crate::IPPROTO_UDP),
            Protocol::Any => (0, 0),
        };
        Compiled {
            proto_mask,
            proto_value,
            local_ip: Addrs::new(f.local_ip.as_ref()),
            remote_ip: Addrs::new(f.remote_ip.as_ref()),
            local_port: ports(f.local_port.as_ref()),
            remote_port: ports(f.remote_port.as_ref()),
        }
    }

    #[inline(always)]
    pub(crate) fn check<A: Family>(&self, k: &Key<A>) -> bool {
        let (src_local, dst_local) = k.orient;
        let (l, r) = (A::pick(&self.local_ip), A::pick(&self.remote_ip));
        let out = l.contains(k.src)
            & self.local_port.contains(k.sport)
            & r.contains(k.dst)
            & self.remote_port.contains(k.dport);
        let inc = l.contains(k.dst)
            & self.local_port.contains(k.dport)
            & r.contains(k.src)
            & self.remote_port.contains(k.sport);
        ((k.proto & self.proto_mask) == self.proto_value) & ((src_local & out) | (dst_local & inc))
    }

    /// Whether the prepared packet matches; `None` for [`Prepared::Mixed`].
    #[inline]
    pub(crate) fn matches(&self, p: &Prepared) -> Option<bool> {
        match p {
            Prepared::V4(k) => Some(self.check(k)),
            Prepared::V6(k) => Some(self.check(k)),
            Prepared::Mixed => None,
        }
    }
}
