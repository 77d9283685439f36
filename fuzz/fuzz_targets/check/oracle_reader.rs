// Part of the `oracle` checks (included by `oracle.rs`, so plain comments
// only): the capture readers against pcap-parser.

/// One record as pcap-parser reads it.
#[derive(Debug, PartialEq, Eq)]
struct TheirRecord {
    /// pcap-parser decoded the record's fields (not an obsolete block).
    known: bool,
    ts: Option<i64>,
    caplen: u32,
    origlen: u32,
    linktype: u32,
    data: Vec<u8>,
}

/// A pcapng interface as pcap-parser reads it.
struct TheirIface {
    linktype: u32,
    snaplen: u32,
    /// Ticks per second (None when if_tsresol is out of range).
    resolution: Option<u64>,
    offset: i64,
}

/// How pcap-parser's pass over a file ended.
enum TheirEnd {
    /// The format is not one pcap-parser reads (NetMon, gzip, garbage).
    NotRecognised,
    /// Read to the end.
    Clean,
    /// Stopped at an error after the records it returned.
    Error,
}

/// Nanoseconds since the epoch of `ticks` at `per_sec` per second plus
/// `offset_s` seconds, rounded down. Beyond i64 (the year 2262), nwcap
/// saturates: i64::MAX when there is no offset; None (not compared) with
/// an offset, where the order of saturation matters.
fn exact_ns(ticks: u128, per_sec: u128, offset_s: i128) -> Option<i64> {
    let ns = (ticks / per_sec) as i128 * 1_000_000_000
        + ((ticks % per_sec) * 1_000_000_000 / per_sec) as i128
        + offset_s * 1_000_000_000;
    match i64::try_from(ns) {
        Ok(ns) => Some(ns),
        Err(_) if offset_s == 0 => Some(i64::MAX),
        Err(_) => None,
    }
}

/// Every record pcap-parser reads from `data`, and how it ended.
/// Where pcap-parser 0.17 must stop reading a pcapng file: at a block
/// shorter than 12 bytes, its length check (against the block type's
/// smallest header, 4 bytes for a process information block) lets one
/// through and `block_len1 - 12` overflows (a panic with debug assertions;
/// found by the fuzz target). nwcap stops there too, with an error.
fn pcap_parser_safe_len(data: &[u8]) -> usize {
    const SHB: u32 = 0x0A0D_0D0A;
    if data.len() < 8 || data[..4] != SHB.to_le_bytes() {
        return data.len();
    }
    let mut pos = 0usize;
    let mut big = false;
    while let Some(head) = data.get(pos..pos + 8) {
        if head[..4] == SHB.to_le_bytes() {
            big = data.get(pos + 8..pos + 12) == Some(&[0x1A, 0x2B, 0x3C, 0x4D]);
        }
        let l = [head[4], head[5], head[6], head[7]];
        let len = if big {
            u32::from_be_bytes(l)
        } else {
            u32::from_le_bytes(l)
        } as usize;
        if len < 12 {
            return pos;
        }
        if !len.is_multiple_of(4) {
            break;
        }
        pos += len;
    }
    data.len()
}

fn their_records(data: &[u8], t: &mut Tally) -> (Vec<TheirRecord>, TheirEnd) {
    use pcap_parser::{Block, PcapBlockOwned, PcapError};
    let mut out = Vec::new();
    let safe = pcap_parser_safe_len(data);
    let cut = safe < data.len();
    if cut {
        t.skip(why::SHORT_BLOCK);
    }
    let data = &data[..safe];
    // The whole file in the buffer: no block is ever larger than it.
    let Ok(mut rd) = pcap_parser::create_reader((data.len() + 1).max(1 << 16), data) else {
        return (out, TheirEnd::NotRecognised);
    };
    let mut legacy: Option<(u32, bool)> = None;
    let mut old_lengths = false;
    let mut ifaces: Vec<TheirIface> = Vec::new();
    let mut big_endian = false;
    let mut refilled = false;
    loop {
        let used = match rd.next() {
            Ok((used, block)) => {
                // pcapng blocks are a multiple of 4 bytes long.
                if matches!(block, PcapBlockOwned::NG(_)) && used % 4 != 0 {
                    t.skip(why::UNALIGNED_BLOCK);
                    return (out, TheirEnd::Error);
                }
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        let lt = h.network.0 as u32;
                        if lt > 0xFFFF {
                            t.skip(why::LINKTYPE_BITS);
                        }
                        legacy = Some((lt & 0xFFFF, h.is_nanosecond_precision()));
                        old_lengths = (h.version_major, h.version_minor) <= (2, 3);
                    }
                    PcapBlockOwned::Legacy(b) => {
                        if old_lengths && b.caplen != b.origlen {
                            t.skip(why::OLD_LENGTHS);
                            return (out, TheirEnd::Error);
                        }
                        let (lt, nano) = legacy.unwrap_or((0, false));
                        let per_sec: u128 = if nano { 1_000_000_000 } else { 1_000_000 };
                        // A sub-second field of a second or more carries
                        // into the seconds, as nwcap reads it (pcap-parser
                        // gives the two fields as they are).
                        let ts = exact_ns(
                            u128::from(b.ts_sec) * per_sec + u128::from(b.ts_usec),
                            per_sec,
                            0,
                        );
                        out.push(TheirRecord {
                            known: true,
                            ts,
                            caplen: b.caplen,
                            origlen: b.origlen,
                            linktype: lt,
                            data: b.data.to_vec(),
                        });
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
                        ifaces.clear();
                        big_endian = shb.big_endian();
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        let end = pcap_parser::pcapng::OptionCode::EndOfOpt;
                        let read_on = idb
                            .options
                            .iter()
                            .position(|o| o.code == end)
                            .is_some_and(|i| i + 1 < idb.options.len());
                        if read_on {
                            t.skip(why::AFTER_END_OF_OPTIONS);
                        }
                        let bad_ts_option = idb.options.iter().any(|o| {
                            use pcap_parser::pcapng::OptionCode as C;
                            (o.code == C::IfTsresol && o.len != 1)
                                || (o.code == C::IfTsoffset && o.len != 8)
                        });
                        if bad_ts_option {
                            t.skip(why::TS_OPTION_LENGTH);
                        }
                        ifaces.push(TheirIface {
                            linktype: idb.linktype.0 as u32,
                            snaplen: idb.snaplen,
                            resolution: idb
                                .ts_resolution()
                                .filter(|_| !read_on && !bad_ts_option),
                            offset: idb.if_tsoffset,
                        });
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let iface = ifaces.get(epb.if_id as usize);
                        if iface.is_none() {
                            t.skip(why::NO_INTERFACE);
                            return (out, TheirEnd::Error);
                        }
                        let ticks = (u128::from(epb.ts_high) << 32) | u128::from(epb.ts_low);
                        let ts = match iface {
                            Some(i) if big_endian && i.offset != 0 => {
                                t.skip(why::BE_TSOFFSET);
                                None
                            }
                            Some(i) => {
                                let ns = i.resolution.and_then(|r| {
                                    exact_ns(ticks, u128::from(r), i128::from(i.offset))
                                });
                                if ns.is_none() {
                                    t.skip(why::TS_RANGE);
                                }
                                ns
                            }
                            None => None,
                        };
                        let caplen = epb.caplen;
                        out.push(TheirRecord {
                            known: true,
                            ts,
                            caplen,
                            origlen: epb.origlen,
                            linktype: iface.map_or(u32::MAX, |i| i.linktype),
                            data: epb.data.get(..caplen as usize).unwrap_or(epb.data).to_vec(),
                        });
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        let iface = ifaces.first();
                        if iface.is_none() {
                            t.skip(why::NO_INTERFACE);
                            return (out, TheirEnd::Error);
                        }
                        let mut caplen = (spb.origlen as usize).min(spb.data.len());
                        if let Some(i) = iface
                            && i.snaplen != 0
                        {
                            caplen = caplen.min(i.snaplen as usize);
                        }
                        out.push(TheirRecord {
                            known: true,
                            ts: None,
                            caplen: caplen as u32,
                            origlen: spb.origlen,
                            linktype: iface.map_or(u32::MAX, |i| i.linktype),
                            data: spb.data[..caplen].to_vec(),
                        });
                    }
                    // (pcap-parser reads the type little-endian in either
                    // byte order.)
                    PcapBlockOwned::NG(Block::Unknown(u))
                        if u.block_type == if big_endian { 2u32.swap_bytes() } else { 2 } =>
                    {
                        // Its first field, the interface id (2 bytes).
                        let id = match u.data.get(..2) {
                            Some(&[a, b]) if big_endian => u16::from_be_bytes([a, b]),
                            Some(&[a, b]) => u16::from_le_bytes([a, b]),
                            _ => u16::MAX,
                        };
                        if usize::from(id) >= ifaces.len() {
                            t.skip(why::NO_INTERFACE);
                            return (out, TheirEnd::Error);
                        }
                        t.skip(why::OBSOLETE_PB);
                        out.push(TheirRecord {
                            known: false,
                            ts: None,
                            caplen: 0,
                            origlen: 0,
                            linktype: 0,
                            data: Vec::new(),
                        });
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                Ok(used)
            }
            Err(PcapError::Eof) if cut => return (out, TheirEnd::Error),
            Err(PcapError::Eof) => return (out, TheirEnd::Clean),
            Err(PcapError::Incomplete(_)) if !refilled => Err(()),
            Err(_) => return (out, TheirEnd::Error),
        };
        match used {
            Ok(used) => rd.consume(used),
            Err(()) => {
                // The file is all in the buffer: one refill finds the end.
                refilled = true;
                if rd.refill().is_err() {
                    return (out, TheirEnd::Error);
                }
            }
        }
    }
}

/// Compare nwcap's reading of a capture file's bytes (decompressed) with
/// pcap-parser's.
pub fn records(name: &str, data: &[u8], t: &mut Tally) {
    let (theirs, end) = their_records(data, t);
    let cap = match Capture::from_bytes_with_limit(
        name,
        nwcap_pcap::source::Bytes::Owned(data.to_vec()),
        16 << 20,
    ) {
        Ok(c) => c,
        Err(e) => {
            if !theirs.is_empty() {
                t.differ(format!(
                    "{name}: pcap-parser reads {} records, nwcap refuses: {e}",
                    theirs.len()
                ));
            }
            return;
        }
    };
    if matches!(end, TheirEnd::NotRecognised) {
        return;
    }
    let idx = cap.index();
    let ours: Vec<_> = idx.all_records().collect();
    // Past blocks pcap-parser does not parse (obsolete packet blocks),
    // which nwcap may find damaged, the counts are not compared.
    let unparsed = theirs.iter().any(|r| !r.known) && !idx.damage.is_empty();
    match end {
        _ if unparsed => {}
        TheirEnd::Clean if ours.len() != theirs.len() => t.differ(format!(
            "{name}: {} records, pcap-parser {} (read to the end)",
            ours.len(),
            theirs.len()
        )),
        TheirEnd::Error if ours.len() < theirs.len() => t.differ(format!(
            "{name}: {} records, pcap-parser {} before its error",
            ours.len(),
            theirs.len()
        )),
        _ => {}
    }
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        if !b.known {
            continue;
        }
        t.records += 1;
        let ts_ok = match b.ts {
            Some(ts) => a.ts == ts,
            None => true,
        };
        let same = ts_ok
            && a.caplen() == b.caplen
            && a.origlen == b.origlen
            && a.linktype.0 == b.linktype
            && a.data == b.data.as_slice();
        if !same {
            t.differ(format!(
                "{name} record {}: nwcap ts {} caplen {} origlen {} link type {}, \
                 pcap-parser ts {:?} caplen {} origlen {} link type {}{}",
                i + 1,
                a.ts,
                a.caplen(),
                a.origlen,
                a.linktype.0,
                b.ts,
                b.caplen,
                b.origlen,
                b.linktype,
                if a.data == b.data.as_slice() {
                    ""
                } else {
                    ", bytes differ"
                }
            ));
            return;
        }
    }
}
