// Checks of the `decode` target, shared with the replay test in
// `crates/nwcap-pcap/tests/hostile.rs` (included with `include!`, so plain
// comments only).
//
// The packet decoder from every link type it supports (and two it does
// not): the first byte picks the link type, the rest is the frame. Besides
// "no panic": the payload is a slice of the frame, encapsulation depths stay
// within the decoder's layer budget, and decoding is deterministic.

use nwcap_pcap::LinkType;
use nwcap_pcap::decode::{self, MAX_LAYERS};

/// The link types the first byte chooses from (`fuzz/tools/make_seeds.py`
/// writes seeds with these indexes).
pub const LINKTYPES: [LinkType; 14] = [
    LinkType::NULL,
    LinkType::ETHERNET,
    LinkType::RAW_BSD12,
    LinkType::RAW_BSD14,
    LinkType::RAW,
    LinkType::IEEE802_11,
    LinkType::LOOP,
    LinkType::LINUX_SLL,
    LinkType::IPV4,
    LinkType::IPV6,
    LinkType::NFLOG,
    LinkType::LINUX_SLL2,
    LinkType(147),
    LinkType::NETMON_INFO,
];

/// Run every check on one input.
pub fn check(data: &[u8]) {
    let Some((&pick, frame)) = data.split_first() else {
        return;
    };
    let lt = LINKTYPES[usize::from(pick) % LINKTYPES.len()];
    let p = decode::decode(lt, frame);
    if !p.payload.is_empty() {
        let f = frame.as_ptr_range();
        let s = p.payload.as_ptr_range();
        assert!(
            f.start <= s.start && s.end <= f.end,
            "payload outside the frame"
        );
    }
    assert!(u32::from(p.vlan_depth) + u32::from(p.mpls_depth) <= u32::from(MAX_LAYERS));
    if let Some(t) = p.tunnel {
        assert!(t.depth <= MAX_LAYERS);
    }
    let again = decode::decode(lt, frame);
    assert_eq!(
        format!("{p:?}"),
        format!("{again:?}"),
        "decode is not deterministic"
    );
}
