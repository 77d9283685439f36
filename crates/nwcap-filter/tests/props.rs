//! Property tests: printed filters parse back to themselves, and set
//! membership agrees with a brute-force reading of the ranges as written.

#![allow(clippy::unwrap_used, missing_docs)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use nwcap_filter::{
    AddrSet, FilterSet, FiveTuple, PacketFilter, PortSet, Protocol, from_filter_json,
};
use proptest::prelude::*;

fn sep() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![";", "; ", ",", ", ", " ", " ;"])
}

/// Ranges near each other so that overlaps and neighbours happen often.
fn port_ranges() -> impl Strategy<Value = Vec<(u16, u16)>> {
    let bound = prop_oneof![0u16..200, 65400u16..=65535, any::<u16>()];
    prop::collection::vec((bound, 0u16..40), 1..6).prop_map(|v| {
        v.into_iter()
            .map(|(s, len)| (s, s.saturating_add(len)))
            .collect()
    })
}

fn write_list<T: std::fmt::Display + PartialEq>(
    ranges: &[(T, T)],
    seps: &[&str],
    dash: &str,
) -> String {
    let mut out = String::new();
    for (i, (s, e)) in ranges.iter().enumerate() {
        if i > 0 {
            out.push_str(seps[i % seps.len()]);
        }
        if s == e {
            out.push_str(&s.to_string());
        } else {
            out.push_str(&format!("{s}{dash}{e}"));
        }
    }
    out
}

fn v4_ranges() -> impl Strategy<Value = Vec<(u32, u32)>> {
    let base = prop_oneof![0x0a00_0000u32..0x0a00_0100, any::<u32>()];
    prop::collection::vec((base, 0u32..64), 1..5).prop_map(|v| {
        v.into_iter()
            .map(|(s, len)| (s, s.saturating_add(len)))
            .collect()
    })
}

fn v6_ranges() -> impl Strategy<Value = Vec<(u128, u128)>> {
    let base = prop_oneof![
        (0u128..512).prop_map(|x| 0x2001_0db8_u128 << 96 | x),
        any::<u128>()
    ];
    prop::collection::vec((base, 0u128..64), 0..4).prop_map(|v| {
        v.into_iter()
            .map(|(s, len)| (s, s.saturating_add(len)))
            .collect()
    })
}

fn addr_text(v4: &[(u32, u32)], v6: &[(u128, u128)], seps: &[&str]) -> String {
    let mut items: Vec<(IpAddr, IpAddr)> = v4
        .iter()
        .map(|&(s, e)| (Ipv4Addr::from(s).into(), Ipv4Addr::from(e).into()))
        .collect();
    items.extend(
        v6.iter()
            .map(|&(s, e)| (Ipv6Addr::from(s).into(), Ipv6Addr::from(e).into())),
    );
    // Interleave the families: a list may mix them.
    items.reverse();
    write_list(&items, seps, " - ")
}

fn in_ranges<T: PartialOrd + Copy>(ranges: &[(T, T)], x: T) -> bool {
    ranges.iter().any(|&(s, e)| s <= x && x <= e)
}

fn addr_set() -> impl Strategy<Value = AddrSet> {
    (v4_ranges(), v6_ranges(), prop::collection::vec(sep(), 1..3))
        .prop_map(|(v4, v6, seps)| AddrSet::parse("a", &addr_text(&v4, &v6, &seps)).unwrap())
}

fn port_set() -> impl Strategy<Value = PortSet> {
    (port_ranges(), prop::collection::vec(sep(), 1..3))
        .prop_map(|(r, seps)| PortSet::parse("p", &write_list(&r, &seps, "-")).unwrap())
}

fn protocol() -> impl Strategy<Value = Protocol> {
    prop::sample::select(vec![Protocol::Tcp, Protocol::Udp, Protocol::Any])
}

fn packet_filter() -> impl Strategy<Value = PacketFilter> {
    (
        protocol(),
        prop::option::of(addr_set()),
        prop::option::of(port_set()),
        prop::option::of(addr_set()),
        prop::option::of(port_set()),
    )
        .prop_map(
            |(protocol, local_ip, local_port, remote_ip, remote_port)| PacketFilter {
                protocol,
                local_ip,
                local_port,
                remote_ip,
                remote_port,
            },
        )
}

proptest! {
    #[test]
    fn port_set_agrees_with_brute_force(ranges in port_ranges(), seps in prop::collection::vec(sep(), 1..3)) {
        let text = write_list(&ranges, &seps, "-");
        let set = PortSet::parse("localPort", &text).unwrap();
        for p in 0..=u16::MAX {
            prop_assert_eq!(set.contains(p), in_ranges(&ranges, p), "port {} in {:?}", p, text);
        }
        prop_assert_eq!(PortSet::parse("localPort", &set.to_string()).unwrap(), set);
    }

    #[test]
    fn addr_set_agrees_with_brute_force(
        v4 in v4_ranges(),
        v6 in v6_ranges(),
        seps in prop::collection::vec(sep(), 1..3),
        probes4 in prop::collection::vec(any::<u32>(), 16),
        probes6 in prop::collection::vec(any::<u128>(), 16),
    ) {
        let text = addr_text(&v4, &v6, &seps);
        let set = AddrSet::parse("remoteIPAddress", &text).unwrap();
        // Every bound, its neighbours, and random points.
        let mut p4 = probes4;
        for &(s, e) in &v4 {
            p4.extend([s, e, s.wrapping_sub(1), e.wrapping_add(1)]);
        }
        let mut p6 = probes6;
        for &(s, e) in &v6 {
            p6.extend([s, e, s.wrapping_sub(1), e.wrapping_add(1)]);
        }
        for x in p4 {
            prop_assert_eq!(set.contains(Ipv4Addr::from(x).into()), in_ranges(&v4, x));
        }
        for x in p6 {
            prop_assert_eq!(set.contains(Ipv6Addr::from(x).into()), in_ranges(&v6, x));
        }
        prop_assert_eq!(AddrSet::parse("remoteIPAddress", &set.to_string()).unwrap(), set);
    }

    #[test]
    fn filter_display_parses_back(f in packet_filter()) {
        let text = f.to_string();
        prop_assert_eq!(&text.parse::<PacketFilter>().unwrap(), &f);
        let json = serde_json::to_string(&f).unwrap();
        prop_assert_eq!(serde_json::from_str::<PacketFilter>(&json).unwrap(), f);
    }

    #[test]
    fn parsers_never_panic(text in "[0-9a-fA-F.:;, /\\[\\]-]{0,40}", any_text in ".{0,40}") {
        for t in [&text, &any_text] {
            let _ = PortSet::parse("p", t);
            let _ = AddrSet::parse("a", t);
            let _ = Protocol::parse("protocol", t);
            let _ = from_filter_json(t);
        }
    }

    #[test]
    fn set_matching_agrees_with_the_definition(
        filters in prop::collection::vec(packet_filter(), 0..4),
        local in prop::option::of(addr_set()),
        proto in prop::sample::select(vec![1u8, 6, 17, 58]),
        src in prop::sample::select(vec!["10.0.0.4", "10.0.0.40", "2001:db8::5", "203.0.113.7"]),
        dst in prop::sample::select(vec!["10.0.0.5", "10.0.0.200", "2001:db8::100", "8.8.8.8"]),
        ports in prop::option::of((0u16..200, 0u16..200)),
    ) {
        let t = FiveTuple {
            proto,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            src_port: ports.map(|p| p.0),
            dst_port: ports.map(|p| p.1),
        };
        // The definition, spelt out independently of the crate's code.
        let field_ok = |f: &PacketFilter, l: IpAddr, lp: Option<u16>, r: IpAddr, rp: Option<u16>| {
            f.local_ip.as_ref().is_none_or(|s| s.contains(l))
                && f.remote_ip.as_ref().is_none_or(|s| s.contains(r))
                && f.local_port.as_ref().is_none_or(|s| lp.is_some_and(|p| s.contains(p)))
                && f.remote_port.as_ref().is_none_or(|s| rp.is_some_and(|p| s.contains(p)))
        };
        let (src_local, dst_local) = match &local {
            Some(l) if l.contains(t.src) || l.contains(t.dst) => (l.contains(t.src), l.contains(t.dst)),
            _ => (true, true),
        };
        let want: Vec<usize> = filters
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                let proto_ok = match f.protocol {
                    Protocol::Tcp => proto == 6,
                    Protocol::Udp => proto == 17,
                    Protocol::Any => true,
                };
                proto_ok
                    && ((src_local && field_ok(f, t.src, t.src_port, t.dst, t.dst_port))
                        || (dst_local && field_ok(f, t.dst, t.dst_port, t.src, t.src_port)))
            })
            .map(|(i, _)| i)
            .collect();
        let set = FilterSet::new(filters.clone(), local);
        prop_assert_eq!(set.matching(&t).collect::<Vec<_>>(), want.clone());
        prop_assert_eq!(set.matches(&t), filters.is_empty() || !want.is_empty());
    }
}
