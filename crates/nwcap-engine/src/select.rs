//! The filter stage: a decoded packet's five-tuple, matched against the
//! Network Watcher filters, with the counts of what was kept and dropped.

use nwcap_filter::{FilterSet, FiveTuple};
use nwcap_pcap::Packet;
use nwcap_pcap::packet::ipproto;

use crate::report::Counts;

/// The five-tuple the filters see: the innermost IP header and, for TCP and
/// UDP, its ports (none for other protocols and non-first fragments).
/// `flows`, `top`, `filter` and `analyze` all match through this.
#[inline]
pub fn five_tuple(p: &Packet<'_>) -> Option<FiveTuple> {
    let ip = p.ip?;
    let ports = match p.l4 {
        Some(l) if l.proto == ip.proto && matches!(l.proto, ipproto::TCP | ipproto::UDP) => {
            (Some(l.src_port), Some(l.dst_port))
        }
        _ => (None, None),
    };
    Some(FiveTuple {
        proto: ip.proto,
        src: ip.src,
        dst: ip.dst,
        src_port: ports.0,
        dst_port: ports.1,
    })
}

/// Whether a decoded packet goes on to the flow table, counting it in `c`.
#[inline]
pub(crate) fn keep(
    filter: Option<&FilterSet>,
    per_filter: bool,
    p: &Packet<'_>,
    c: &mut Counts,
) -> bool {
    c.read += 1;
    let t = five_tuple(p);
    if t.is_none() {
        c.not_ip += 1;
        if p.non_ip.is_none() {
            c.undecodable += 1;
        }
    }
    let Some(set) = filter else {
        c.kept += 1;
        return true;
    };
    let Some(t) = t else {
        c.dropped += 1;
        return false;
    };
    let hit = if per_filter {
        if c.per_filter.len() < set.filters().len() {
            c.per_filter.resize(set.filters().len(), 0);
        }
        let mut hit = false;
        for i in set.matching(&t) {
            hit = true;
            c.per_filter[i] += 1;
        }
        hit
    } else {
        set.matches(&t)
    };
    if hit {
        c.kept += 1;
    } else {
        c.dropped += 1;
    }
    hit
}
