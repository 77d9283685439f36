//! Decode a packet to layer 4: link layer by link type (Ethernet with
//! Cisco FabricPath, raw IP, loopback, Linux cooked, 802.11 with or without
//! radiotap, PPP, NFLOG), VLAN, MPLS and PPPoE, IPv4/IPv6 (options,
//! extension headers, fragments), tunnels (GRE, ERSPAN I/II/III, VXLAN,
//! Geneve, Teredo, AYIYA, GTP-U, GRE in UDP, IP-in-IP) and the transport
//! header.
//!
//! Zero-copy and allocation-free: the result is a [`Packet`] whose only
//! borrow is the transport payload. Every read is bounds-checked; a packet
//! cut by the snap length decodes as far as its bytes go and records where
//! it stopped in `Packet::issue`.
//!
//! One dispatcher owns the way from layer to layer: each layer's decoder
//! (`link`, `ip`, `transport`, `tunnel`) reads its header, fills its part
//! of the [`Packet`] and returns the next [`Step`] (which layer, at which
//! offset) instead of calling the next decoder itself. [`Decoder::run`]
//! follows the steps until one says `Done`, so the layer modules do not
//! know each other; protocol numbers and ports are in `numbers`, header
//! offsets in each module's `field` constants.
//!
//! Fragments: the first fragment of an IP datagram carries the transport
//! header and is decoded fully; non-first fragments have `ip.fragment` set
//! with a non-zero offset and no `l4` (their ports are unknown at this
//! layer; the flow engine attributes them by fragment id).
//!
//! Tunnels: the innermost IP packet is what `ip`/`l4` describe; `tunnel`
//! keeps the outermost tunnel's kind, outer endpoints and (when it rides on
//! UDP) outer UDP header, and how many tunnels were crossed.

mod ip;
mod link;
mod numbers;
mod transport;
mod tunnel;

use crate::packet::{DecodeIssue, IssueKind, Layer, OuterUdp, Packet, Tunnel, TunnelKind, ipproto};
use crate::record::LinkType;

/// Most encapsulation layers (VLAN tags, MPLS labels, tunnels) followed
/// before a packet is declared too deep.
pub const MAX_LAYERS: u8 = 16;

/// True when nwcap decodes this link type.
pub fn supported(lt: LinkType) -> bool {
    link::supported(lt)
}

/// Decode `data` (captured bytes of one record) of link type `lt`.
#[inline]
pub fn decode(lt: LinkType, data: &[u8]) -> Packet<'_> {
    let mut pkt = Packet::default();
    decode_into(lt, data, &mut pkt);
    pkt
}

/// [`decode`] into `pkt` (overwritten), for a loop over many records: the
/// packet is decoded in place. A `Packet` built elsewhere and moved was
/// copied by `memcpy` with wide loads over the narrow stores that had just
/// written it, a stall on every packet (a sixth of a flow table's time).
#[inline]
pub fn decode_into<'a>(lt: LinkType, data: &'a [u8], pkt: &mut Packet<'a>) {
    *pkt = Packet::default();
    let mut d = Decoder {
        data,
        pkt,
        layers: 0,
    };
    d.run(Step::Link(lt));
}

/// The next layer to decode and where its header starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Nothing more to decode.
    Done,
    /// The link layer of a record of this link type, at offset 0.
    Link(LinkType),
    /// An Ethernet II / 802.3 header.
    Ethernet(usize),
    /// The payload of an ethertype (VLAN tags, MPLS, PPPoE, IP...).
    EtherType(u16, usize),
    /// An MPLS label stack.
    Mpls(usize),
    /// The payload of a PPP protocol number.
    Ppp(u16, usize),
    /// A PPP frame: optional address/control bytes, then the protocol.
    PppFrame(usize),
    /// IPv4 or IPv6, by the version nibble.
    Ip(usize),
    /// An IPv4 header.
    Ipv4(usize),
    /// An IPv6 header.
    Ipv6(usize),
    /// A transport header.
    Transport(Transport),
    /// A tunnel whose inner packet starts with `inner`.
    Tunnel(TunnelKind, Option<u32>, Inner, usize),
}

/// A transport header to decode: its IP protocol, where it starts, where
/// the datagram's captured bytes end, and the transport length the IP
/// header states (header + payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transport {
    pub proto: u8,
    pub at: usize,
    pub end: usize,
    pub len: u32,
}

/// The first layer inside a tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inner {
    /// An Ethernet frame.
    Ethernet,
    /// The payload of an ethertype.
    EtherType(u16),
    /// An IPv4 header.
    Ipv4,
    /// An IPv6 header.
    Ipv6,
    /// A PPP frame.
    PppFrame,
    /// IPv4 or IPv6, by the version nibble.
    Ip,
}

impl Inner {
    fn at(self, off: usize) -> Step {
        match self {
            Inner::Ethernet => Step::Ethernet(off),
            Inner::EtherType(t) => Step::EtherType(t, off),
            Inner::Ipv4 => Step::Ipv4(off),
            Inner::Ipv6 => Step::Ipv6(off),
            Inner::PppFrame => Step::PppFrame(off),
            Inner::Ip => Step::Ip(off),
        }
    }
}

/// Decoding state: the bytes, the packet being filled, a layer budget.
pub(crate) struct Decoder<'a, 'p> {
    pub(crate) data: &'a [u8],
    pub(crate) pkt: &'p mut Packet<'a>,
    pub(crate) layers: u8,
}

impl<'a> Decoder<'a, '_> {
    /// Follows the steps from `step` until there is nothing left to decode.
    #[inline]
    fn run(&mut self, mut step: Step) {
        loop {
            step = match step {
                Step::Done => return,
                Step::Link(lt) => link::link(self, lt),
                Step::Ethernet(at) => link::ethernet(self, at),
                Step::EtherType(t, at) => link::ether_payload(self, t, at),
                Step::Mpls(at) => link::mpls(self, at),
                Step::Ppp(proto, at) => link::ppp_payload(self, proto, at),
                Step::PppFrame(at) => link::ppp_frame(self, at),
                Step::Ip(at) => ip::by_version(self, at),
                Step::Ipv4(at) => ip::ipv4(self, at),
                Step::Ipv6(at) => ip::ipv6(self, at),
                Step::Transport(t) => transport::transport(self, t),
                Step::Tunnel(kind, vni, inner, at) => {
                    self.tunnel(kind, vni, inner, at);
                    Step::Done
                }
            };
        }
    }

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

    /// Records an issue and ends the decode.
    pub(crate) fn stop(&mut self, layer: Layer, offset: usize, kind: IssueKind) -> Step {
        self.issue(layer, offset, kind);
        Step::Done
    }

    /// Marks the frame as not IP (`what`: the ethertype or protocol seen,
    /// 0 when there is none) and ends the decode.
    pub(crate) fn non_ip(&mut self, what: u16) -> Step {
        self.pkt.non_ip = Some(what);
        Step::Done
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

    /// Decode a tunnelled payload starting with `inner` at `at`, recording the tunnel if an
    /// inner IP header is reached. If none is, the outer decode is kept as
    /// it was.
    #[inline(never)]
    fn tunnel(&mut self, kind: TunnelKind, vni: Option<u32>, inner: Inner, at: usize) {
        if !self.enter(Layer::Tunnel, at) {
            return;
        }
        let Some(outer_ip) = self.pkt.ip else { return };
        let saved = *self.pkt;
        self.pkt.ip = None;
        self.pkt.l4 = None;
        self.pkt.payload = &[];
        self.run(inner.at(at));
        if self.pkt.ip.is_some() {
            // This tunnel is the outermost one so far; a tunnel found
            // inside it only adds to the depth.
            let inner_depth = self.pkt.tunnel.map_or(0, |t| t.depth);
            self.pkt.tunnel = Some(Tunnel {
                kind,
                outer_src: outer_ip.src,
                outer_dst: outer_ip.dst,
                vni,
                depth: inner_depth.saturating_add(1),
                outer_udp: saved
                    .l4
                    .filter(|l| l.proto == ipproto::UDP && !l.partial)
                    .map(|l| OuterUdp {
                        src_port: l.src_port,
                        dst_port: l.dst_port,
                        ip_len: outer_ip.total_len,
                        payload_len: l.payload_len,
                        fragment: outer_ip.fragment,
                    }),
            });
        } else {
            let issue = self.pkt.issue;
            *self.pkt = saved;
            self.pkt.issue = self.pkt.issue.or(issue);
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_links;
