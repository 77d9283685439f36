// Checks of the `filter_notation` target, shared with `tests/mutation.rs`
// (included with `include!`, so plain comments only).
//
// The filter notation (address lists, ranges and prefixes; port lists and
// ranges; protocol words) and the filter JSON shapes, on arbitrary text.
//
// Checked besides "no panic": whatever parses prints in the canonical
// notation, and that text parses back to an equal set (the property the
// ARM client relies on when it writes a filter back); the compiled filter
// set agrees with the plain evaluation on a packet taken from the input.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use nwcap_filter::{
    AddrSet, FieldNames, FilterSet, FiveTuple, PacketFilter, PortSet, from_capture_json,
    from_filter_json,
};

fn tuple(bytes: &[u8]) -> FiveTuple {
    let mut b = [0u8; 40];
    for (d, s) in b.iter_mut().zip(bytes.iter().rev()) {
        *d = *s;
    }
    let v6 = b[0] & 1 == 1;
    let (src, dst) = if v6 {
        let mut s = [0u8; 16];
        let mut d = [0u8; 16];
        s.copy_from_slice(&b[2..18]);
        d.copy_from_slice(&b[18..34]);
        (IpAddr::V6(Ipv6Addr::from(s)), IpAddr::V6(Ipv6Addr::from(d)))
    } else {
        (
            IpAddr::V4(Ipv4Addr::new(b[2], b[3], b[4], b[5])),
            IpAddr::V4(Ipv4Addr::new(b[6], b[7], b[8], b[9])),
        )
    };
    let port = |i: usize| {
        (b[1] & (1 << i) != 0).then(|| u16::from_be_bytes([b[34 + 2 * i], b[35 + 2 * i]]))
    };
    FiveTuple {
        proto: [6, 17, 1, 58][usize::from(b[1] >> 6)],
        src,
        dst,
        src_port: port(0),
        dst_port: port(1),
    }
}

/// Run every check on one input.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(a) = AddrSet::parse("ip", text) {
        let shown = a.to_string();
        let back = AddrSet::parse("ip", &shown).expect("canonical address text parses");
        assert_eq!(a, back, "address set round trip via {shown:?}");
    }
    if let Ok(p) = PortSet::parse("port", text) {
        let shown = p.to_string();
        let back = PortSet::parse("port", &shown).expect("canonical port text parses");
        assert_eq!(p, back, "port set round trip via {shown:?}");
    }
    // Five fields, one per line: protocol, local ip, local port, remote ip, remote port.
    let mut f = text.splitn(5, '\n').map(Some);
    let mut field = || f.next().flatten();
    let (proto, lip, lport, rip, rport) = (field(), field(), field(), field(), field());
    let mut filters = Vec::new();
    if let Ok(pf) = PacketFilter::from_fields(FieldNames::JSON, proto, lip, lport, rip, rport) {
        let json = pf.to_string();
        let back: PacketFilter = json.parse().expect("a filter's JSON parses");
        assert_eq!(pf, back, "filter JSON round trip via {json}");
        filters.push(pf);
    }
    for list in [from_filter_json(text), from_capture_json(text)]
        .into_iter()
        .flatten()
    {
        filters.extend(list);
    }
    filters.truncate(64);
    let locals = lip.and_then(|t| AddrSet::parse("ip", t).ok());
    let t = tuple(data);
    let set = FilterSet::new(filters.clone(), locals.clone());
    let plain = filters.is_empty() || filters.iter().any(|f| f.matches(&t, locals.as_ref()));
    assert_eq!(
        set.matches(&t),
        plain,
        "compiled and plain evaluation differ"
    );
}
