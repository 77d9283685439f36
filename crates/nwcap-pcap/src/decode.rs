//! Decode a packet to layer 4: link layer by link type, VLAN and MPLS,
//! IPv4/IPv6 (options, extension headers, fragments), tunnels (GRE, VXLAN,
//! Geneve, Teredo, IP-in-IP) and the transport header.
//!
//! Zero-copy and allocation-free: the result is a [`Packet`] whose only
//! borrow is the transport payload. Every read is bounds-checked; a packet
//! cut by the snap length decodes as far as its bytes go and records where
//! it stopped in `Packet::issue`.
//!
//! Fragments: the first fragment of an IP datagram carries the transport
//! header and is decoded fully; non-first fragments have `ip.fragment` set
//! with a non-zero offset and no `l4` (their ports are unknown at this
//! layer; the flow engine attributes them by fragment id).
//!
//! Tunnels: the innermost IP packet is what `ip`/`l4` describe; `tunnel`
//! keeps the outermost tunnel's kind and outer endpoints.

mod ip;
mod link;
mod transport;

use crate::packet::{DecodeIssue, IssueKind, Layer, Packet, Tunnel, TunnelKind};
use crate::record::LinkType;

/// Most encapsulation layers (VLAN tags, MPLS labels, tunnels) followed
/// before a packet is declared too deep.
pub const MAX_LAYERS: u8 = 16;

/// True when nwcap decodes this link type.
pub fn supported(lt: LinkType) -> bool {
    matches!(
        lt,
        LinkType::NULL
            | LinkType::ETHERNET
            | LinkType::RAW_BSD12
            | LinkType::RAW_BSD14
            | LinkType::RAW
            | LinkType::IEEE802_11
            | LinkType::LOOP
            | LinkType::LINUX_SLL
            | LinkType::IPV4
            | LinkType::IPV6
            | LinkType::LINUX_SLL2
            | LinkType::NFLOG
    )
}

/// Decode `data` (captured bytes of one record) of link type `lt`.
#[inline]
pub fn decode(lt: LinkType, data: &[u8]) -> Packet<'_> {
    let mut d = Decoder {
        data,
        pkt: Packet::default(),
        layers: 0,
    };
    link::dispatch(&mut d, lt);
    d.pkt
}

/// Decoding state: the bytes, the packet being filled, a layer budget.
pub(crate) struct Decoder<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) pkt: Packet<'a>,
    pub(crate) layers: u8,
}

impl<'a> Decoder<'a> {
    /// Record where decoding stopped (first issue wins).
    pub(crate) fn issue(&mut self, layer: Layer, offset: usize, kind: IssueKind) {
        if self.pkt.issue.is_none() {
            self.pkt.issue = Some(DecodeIssue {
                layer,
                offset: offset as u32,
                kind,
            });
        }
    }

    /// Spend one layer of the budget; false (and an issue) when exhausted.
    pub(crate) fn enter(&mut self, layer: Layer, offset: usize) -> bool {
        self.layers += 1;
        if self.layers > MAX_LAYERS {
            self.issue(layer, offset, IssueKind::TooDeep);
            return false;
        }
        true
    }

    /// Decode a tunnelled payload with `inner` (which decodes from `off`),
    /// recording the tunnel if an inner IP header is reached. If none is,
    /// the outer decode is kept as it was.
    pub(crate) fn tunnel(
        &mut self,
        kind: TunnelKind,
        vni: Option<u32>,
        off: usize,
        inner: impl FnOnce(&mut Decoder<'a>, usize),
    ) {
        if !self.enter(Layer::Tunnel, off) {
            return;
        }
        let Some(outer_ip) = self.pkt.ip else { return };
        let saved = self.pkt;
        self.pkt.ip = None;
        self.pkt.l4 = None;
        self.pkt.payload = &[];
        inner(self, off);
        if self.pkt.ip.is_some() {
            self.pkt.tunnel = Some(match saved.tunnel {
                Some(mut t) => {
                    t.depth = t.depth.saturating_add(1);
                    t
                }
                None => Tunnel {
                    kind,
                    outer_src: outer_ip.src,
                    outer_dst: outer_ip.dst,
                    vni,
                    depth: 1,
                },
            });
        } else {
            let issue = self.pkt.issue;
            self.pkt = saved;
            self.pkt.issue = self.pkt.issue.or(issue);
        }
    }
}

#[cfg(test)]
mod tests;
