//! The filters of a capture, evaluated per packet.
//!
//! Filters are OR-ed and no filter keeps everything, as in Network Watcher.
//! This is the per-packet hot path: the set is compiled once (see
//! `compiled.rs` for why and how), a packet is read into integers once, and
//! nothing allocates. The command that reports per-filter counts walks
//! [`FilterSet::matching`], a lazy iterator over indices, instead of
//! receiving a bitmask that would cap the number of filters.

use crate::addr::AddrSet;
use std::net::IpAddr;

use crate::compiled::{Compiled, Key, Locals, Prepared};
use crate::filter::{FiveTuple, Orientation, PacketFilter};

/// The filters of one capture, plus the VM's addresses if known.
///
/// Immutable once built, because it holds a compiled copy of its filters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterSet {
    filters: Vec<PacketFilter>,
    local_ips: Option<AddrSet>,
    compiled: Vec<Compiled>,
    locals: Locals,
}

impl Default for FilterSet {
    fn default() -> Self {
        FilterSet::new(Vec::new(), None)
    }
}

impl FilterSet {
    /// A set of filters (OR-ed; none keeps everything) and the capture
    /// target's own addresses, used to tell local from remote (see
    /// [`Orientation::of`]); `None`: either reading of a packet counts.
    pub fn new(filters: Vec<PacketFilter>, local_ips: Option<AddrSet>) -> Self {
        let compiled = filters.iter().map(Compiled::new).collect();
        let locals = Locals::new(local_ips.as_ref());
        FilterSet {
            filters,
            local_ips,
            compiled,
            locals,
        }
    }

    /// The filters, in order (indices of [`matching`](Self::matching)).
    pub fn filters(&self) -> &[PacketFilter] {
        &self.filters
    }

    /// The capture target's addresses, if given.
    pub fn local_ips(&self) -> Option<&AddrSet> {
        self.local_ips.as_ref()
    }

    /// Whether the set keeps every packet (no filter, or one without
    /// conditions).
    pub fn is_match_all(&self) -> bool {
        self.filters.is_empty() || self.filters.iter().any(PacketFilter::is_match_all)
    }

    /// Which end(s) of the packet may be the capture target.
    pub fn orientation(&self, t: &FiveTuple) -> Orientation {
        Orientation::of(t, self.local_ips.as_ref())
    }

    /// Whether filter `i` matches the prepared packet.
    #[inline]
    fn one(&self, i: usize, p: &Prepared, t: &FiveTuple) -> bool {
        match self.compiled[i].matches(p) {
            Some(m) => m,
            None => self.filters[i].matches(t, self.local_ips.as_ref()),
        }
    }

    /// Whether the packet is kept: no filter, or any filter matches.
    #[inline]
    pub fn matches(&self, t: &FiveTuple) -> bool {
        if self.filters.is_empty() {
            return true;
        }
        // Not through `Prepared`: one branch on the family, then straight
        // integer code (measured: the enum round trip cost a third).
        match (t.src, t.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let k = Key::new(u32::from(s), u32::from(d), t, &self.locals);
                self.compiled.iter().any(|c| c.check(&k))
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                let k = Key::new(u128::from(s), u128::from(d), t, &self.locals);
                self.compiled.iter().any(|c| c.check(&k))
            }
            _ => self
                .filters
                .iter()
                .any(|f| f.matches(t, self.local_ips.as_ref())),
        }
    }

    /// Indices of the filters that match the packet, in order.
    ///
    /// Yields nothing when there is no filter, although
    /// [`matches`](Self::matches) is then true: there is no filter to count.
    #[inline]
    pub fn matching(&self, t: &FiveTuple) -> impl Iterator<Item = usize> + '_ {
        let t = *t;
        let p = Prepared::new(&t, &self.locals);
        (0..self.compiled.len()).filter(move |&i| self.one(i, &p, &t))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::json::from_filter_json;

    fn t(proto: u8, src: &str, sport: u16, dst: &str, dport: u16) -> FiveTuple {
        FiveTuple {
            proto,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            src_port: Some(sport),
            dst_port: Some(dport),
        }
    }

    #[test]
    fn no_filter_matches_everything() {
        let set = FilterSet::default();
        assert!(set.is_match_all());
        assert!(set.matches(&t(47, "1.1.1.1", 0, "2.2.2.2", 0)));
        assert_eq!(set.matching(&t(6, "1.1.1.1", 1, "2.2.2.2", 2)).count(), 0);
    }

    #[test]
    fn filters_are_ored_and_reported_by_index() {
        let filters = from_filter_json(
            r#"[{"protocol":"TCP","remotePort":"443"},
                {"protocol":"UDP","remotePort":"53"},
                {"protocol":"Any","remoteIPAddress":"8.8.8.8"}]"#,
        )
        .unwrap();
        let set = FilterSet::new(filters, Some(AddrSet::parse("x", "10.0.0.4").unwrap()));
        assert!(!set.is_match_all());
        let dns = t(17, "10.0.0.4", 40000, "8.8.8.8", 53);
        assert!(set.matches(&dns));
        assert_eq!(set.matching(&dns).collect::<Vec<_>>(), [1, 2]);
        let https = t(6, "1.2.3.4", 443, "10.0.0.4", 50000);
        assert_eq!(set.matching(&https).collect::<Vec<_>>(), [0]);
        let ssh = t(6, "1.2.3.4", 50000, "10.0.0.4", 22);
        assert!(!set.matches(&ssh));
        assert_eq!(set.matching(&ssh).count(), 0);
    }

    /// The compiled form agrees with the model on every combination of a
    /// grid of filters and packets, both families, with and without ports.
    #[test]
    fn compiled_agrees_with_the_model() {
        let filters = from_filter_json(
            r#"[{"protocol":"TCP","localPort":"80"},
                {"protocol":"UDP","remotePort":"80;443"},
                {"localIPAddress":"10.0.0.4","remotePort":"443"},
                {"remoteIPAddress":"10.0.0.4;2001:db8::4","localPort":"80-443"},
                {"localIPAddress":"2001:db8::/64","remoteIPAddress":"10.0.0.0/8"},
                {"protocol":"Any"}]"#,
        )
        .unwrap();
        let addrs = ["10.0.0.4", "10.0.0.9", "2001:db8::4", "2001:db8:1::9"];
        let ports = [None, Some(80), Some(443), Some(5000)];
        for local in [None, Some("10.0.0.4"), Some("2001:db8::4;10.0.0.9")] {
            let local = local.map(|l| AddrSet::parse("x", l).unwrap());
            let set = FilterSet::new(filters.clone(), local.clone());
            for proto in [1, 6, 17] {
                for src in addrs {
                    for dst in addrs {
                        for (sp, dp) in ports
                            .iter()
                            .flat_map(|&a| ports.iter().map(move |&b| (a, b)))
                        {
                            let t = FiveTuple {
                                proto,
                                src: src.parse().unwrap(),
                                dst: dst.parse().unwrap(),
                                src_port: sp,
                                dst_port: dp,
                            };
                            let want: Vec<usize> = (0..filters.len())
                                .filter(|&i| filters[i].matches(&t, local.as_ref()))
                                .collect();
                            assert_eq!(set.matching(&t).collect::<Vec<_>>(), want, "{t:?}");
                            assert_eq!(set.matches(&t), !want.is_empty(), "{t:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_match_all_filter_makes_the_set_match_all() {
        let set = FilterSet::new(
            from_filter_json(r#"[{"protocol":"TCP"},{}]"#).unwrap(),
            None,
        );
        assert!(set.is_match_all());
        assert!(set.matches(&t(1, "1.1.1.1", 0, "2.2.2.2", 0)));
    }
}
