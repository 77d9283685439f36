// Part of the `oracle` checks (included by `oracle.rs`, so plain comments
// only): the decoder against etherparse, the transport header and payload.

fn transport(
    frame: &[u8],
    ours: &Packet<'_>,
    e: &LaxSlicedPacket<'_>,
    th: &TheirIp,
    t: &mut Tally,
) {
    let span = |s: &[u8]| {
        let start = (s.as_ptr() as usize).wrapping_sub(frame.as_ptr() as usize);
        (start, s.len())
    };
    let (l4, tr) = match (ours.l4, e.transport.as_ref()) {
        (_, Some(TransportSlice::Igmp(_))) => {
            t.skip(why::IGMP);
            return;
        }
        (None, None) => return,
        (Some(l4), None) => {
            // etherparse is stricter about a cut header; nwcap must have
            // said something is wrong, or be at a protocol etherparse
            // does not slice.
            let sliced = matches!(
                l4.proto,
                ipproto::TCP | ipproto::UDP | ipproto::ICMP | ipproto::ICMPV6
            );
            if !sliced {
                return;
            }
            if ours.issue.is_some() || e.stop_err.is_some() {
                t.skip(why::PARTIAL);
            } else {
                t.differ(format!(
                    "{} -> {}: nwcap transport {} {}/{}, etherparse none",
                    th.src, th.dst, l4.proto, l4.src_port, l4.dst_port
                ));
            }
            return;
        }
        (None, Some(_)) => {
            t.differ(format!(
                "{} -> {}: etherparse transport, nwcap none (issue {:?})",
                th.src, th.dst, ours.issue
            ));
            return;
        }
        (Some(l4), Some(tr)) => (l4, tr),
    };
    if l4.partial {
        t.skip(why::PARTIAL);
        return;
    }
    t.transport += 1;
    let mut d = Vec::new();
    // The payload etherparse slices, and the length the headers state
    // (when etherparse could size the IP payload from the header).
    let (proto, payload, stated): (u8, &[u8], Option<u32>) = match tr {
        TransportSlice::Tcp(tcp) => {
            let flags = tcp.slice().get(13).copied().unwrap_or(0);
            if (l4.src_port, l4.dst_port) != (tcp.source_port(), tcp.destination_port()) {
                d.push(format!(
                    "ports {}/{} vs {}/{}",
                    l4.src_port,
                    l4.dst_port,
                    tcp.source_port(),
                    tcp.destination_port()
                ));
            }
            if (l4.seq, l4.ack, l4.tcp_flags, l4.window)
                != (
                    tcp.sequence_number(),
                    tcp.acknowledgment_number(),
                    flags,
                    tcp.window_size(),
                )
            {
                d.push(format!(
                    "seq/ack/flags/window {}/{}/{:#x}/{} vs {}/{}/{flags:#x}/{}",
                    l4.seq,
                    l4.ack,
                    l4.tcp_flags,
                    l4.window,
                    tcp.sequence_number(),
                    tcp.acknowledgment_number(),
                    tcp.window_size()
                ));
            }
            let stated = th.len_from_header.then(|| tcp.payload().len() as u32);
            (ipproto::TCP, tcp.payload(), stated)
        }
        TransportSlice::Udp(udp) => {
            if (l4.src_port, l4.dst_port) != (udp.source_port(), udp.destination_port()) {
                d.push(format!(
                    "ports {}/{} vs {}/{}",
                    l4.src_port,
                    l4.dst_port,
                    udp.source_port(),
                    udp.destination_port()
                ));
            }
            // The UDP length when it is sane, else the IP payload's.
            let ulen = u32::from(udp.length());
            let stated = if ulen >= 8 {
                Some(ulen - 8)
            } else {
                th.len_from_header.then(|| udp.payload().len() as u32)
            };
            (ipproto::UDP, udp.payload(), stated)
        }
        TransportSlice::Icmpv4(icmp) => {
            if (l4.icmp_type, l4.icmp_code) != (icmp.type_u8(), icmp.code_u8()) {
                d.push(format!(
                    "type/code {}/{} vs {}/{}",
                    l4.icmp_type,
                    l4.icmp_code,
                    icmp.type_u8(),
                    icmp.code_u8()
                ));
            }
            // The payload after the 8-byte header, as Zeek and tshark
            // count it (etherparse's header of a timestamp message is 20).
            let p = icmp.slice().get(8..).unwrap_or(&[]);
            (
                ipproto::ICMP,
                p,
                th.len_from_header.then_some(p.len() as u32),
            )
        }
        TransportSlice::Icmpv6(icmp) => {
            if (l4.icmp_type, l4.icmp_code) != (icmp.type_u8(), icmp.code_u8()) {
                d.push(format!(
                    "type/code {}/{} vs {}/{}",
                    l4.icmp_type,
                    l4.icmp_code,
                    icmp.type_u8(),
                    icmp.code_u8()
                ));
            }
            let p = icmp.slice().get(8..).unwrap_or(&[]);
            (
                ipproto::ICMPV6,
                p,
                th.len_from_header.then_some(p.len() as u32),
            )
        }
        TransportSlice::Igmp(_) => return,
    };
    if l4.proto != proto {
        d.push(format!("protocol {} vs {proto}", l4.proto));
    }
    if span(ours.payload) != span(payload) && !(ours.payload.is_empty() && payload.is_empty()) {
        d.push(format!(
            "payload at {:?} vs {:?}",
            span(ours.payload),
            span(payload)
        ));
    }
    if let Some(n) = stated
        && l4.payload_len != n
    {
        d.push(format!("payload length {} vs {n}", l4.payload_len));
    }
    if !d.is_empty() {
        t.differ(format!(
            "{} {} -> {}: {}",
            l4.proto,
            th.src,
            th.dst,
            d.join(", ")
        ));
    }
}
