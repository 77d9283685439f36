//! Round trips: build captures byte by byte, write them through a plan,
//! read the output back with the reader and compare record by record.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::bytes::Endian;
use crate::capture::Capture;
use crate::pcapng::write as ngw;
use crate::source::Bytes;

fn be_or_le(e: Endian, v: u32) -> [u8; 4] {
    match e {
        Endian::Little => v.to_le_bytes(),
        Endian::Big => v.to_be_bytes(),
    }
}

/// A classic pcap: (seconds, fraction, data) records.
fn pcap(
    e: Endian,
    nanos: bool,
    linktype: u32,
    snaplen: u32,
    recs: &[(u32, u32, &[u8])],
) -> Vec<u8> {
    let magic = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    let mut b = Vec::new();
    b.extend_from_slice(&be_or_le(e, magic));
    b.extend_from_slice(&match e {
        Endian::Little => [2, 0, 4, 0],
        Endian::Big => [0, 2, 0, 4],
    });
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&be_or_le(e, snaplen));
    b.extend_from_slice(&be_or_le(e, linktype));
    for (s, f, d) in recs {
        b.extend_from_slice(&be_or_le(e, *s));
        b.extend_from_slice(&be_or_le(e, *f));
        b.extend_from_slice(&be_or_le(e, d.len() as u32));
        b.extend_from_slice(&be_or_le(e, d.len() as u32 + 10));
        b.extend_from_slice(d);
    }
    b
}

/// A pcapng with `ifaces` (linktype, tsresol option) and EPBs (iface, ticks, data, comment).
fn pcapng(
    e: Endian,
    ifaces: &[(u16, Option<u8>)],
    epbs: &[(u32, u64, &[u8], Option<&str>)],
) -> Vec<u8> {
    let mut b = Vec::new();
    ngw::shb(&mut b, e);
    for (lt, res) in ifaces {
        let start = b.len();
        b.extend_from_slice(&be_or_le(e, 1));
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&match e {
            Endian::Little => lt.to_le_bytes(),
            Endian::Big => lt.to_be_bytes(),
        });
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&be_or_le(e, 65535));
        if let Some(r) = res {
            encode_opt(&mut b, e, 9, &[*r]);
        }
        encode_opt(&mut b, e, 2, b"eth-test");
        b.extend_from_slice(&[0; 4]);
        finish(&mut b, e, start);
    }
    for (i, ticks, d, comment) in epbs {
        let start = b.len();
        b.extend_from_slice(&be_or_le(e, 6));
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&be_or_le(e, *i));
        b.extend_from_slice(&be_or_le(e, (ticks >> 32) as u32));
        b.extend_from_slice(&be_or_le(e, *ticks as u32));
        b.extend_from_slice(&be_or_le(e, d.len() as u32));
        b.extend_from_slice(&be_or_le(e, d.len() as u32));
        b.extend_from_slice(d);
        while !b.len().is_multiple_of(4) {
            b.push(0);
        }
        if let Some(c) = comment {
            encode_opt(&mut b, e, 1, c.as_bytes());
            b.extend_from_slice(&[0; 4]);
        }
        finish(&mut b, e, start);
    }
    b
}

fn encode_opt(b: &mut Vec<u8>, e: Endian, code: u16, v: &[u8]) {
    let (c, l) = match e {
        Endian::Little => (code.to_le_bytes(), (v.len() as u16).to_le_bytes()),
        Endian::Big => (code.to_be_bytes(), (v.len() as u16).to_be_bytes()),
    };
    b.extend_from_slice(&c);
    b.extend_from_slice(&l);
    b.extend_from_slice(v);
    while !b.len().is_multiple_of(4) {
        b.push(0);
    }
}

fn finish(b: &mut Vec<u8>, e: Endian, start: usize) {
    let len = (b.len() - start + 4) as u32;
    b.extend_from_slice(&be_or_le(e, len));
    b[start + 4..start + 8].copy_from_slice(&be_or_le(e, len));
}

fn open(name: &str, bytes: Vec<u8>) -> Capture {
    Capture::from_bytes(name, Bytes::Owned(bytes)).unwrap()
}

/// Writes every record of `caps` (input order, then file order).
fn write_all(caps: &[&Capture]) -> (Vec<u8>, WriteStats, Plan) {
    let idxs: Vec<_> = caps.iter().map(|c| c.index()).collect();
    let refs: Vec<_> = idxs.iter().collect();
    let plan = Plan::new(&refs);
    let mut w = CaptureWriter::new(Vec::new(), plan.clone()).unwrap();
    for (i, idx) in idxs.iter().enumerate() {
        for r in idx.all_records() {
            w.write(i, idx, &r).unwrap();
        }
    }
    let (out, stats) = w.finish().unwrap();
    (out, stats, plan)
}

type Seen = Vec<(i64, u32, Vec<u8>, u16)>;

fn records(bytes: Vec<u8>) -> Seen {
    let cap = open("out", bytes);
    let idx = cap.index();
    assert!(idx.damage.is_empty(), "{:?}", idx.damage);
    idx.all_records()
        .map(|r| (r.ts, r.origlen, r.data.to_vec(), r.linktype.0 as u16))
        .collect()
}

fn seen(cap: &Capture) -> Seen {
    cap.index()
        .all_records()
        .map(|r| (r.ts, r.origlen, r.data.to_vec(), r.linktype.0 as u16))
        .collect()
}

#[test]
fn pcap_is_copied_byte_for_byte_in_both_orders_and_resolutions() {
    for e in [Endian::Little, Endian::Big] {
        for nanos in [false, true] {
            let input = pcap(
                e,
                nanos,
                101,
                1500,
                &[(10, 5, b"abc"), (11, 999, b"\x45defgh")],
            );
            let cap = open("in.pcap", input.clone());
            let (out, stats, plan) = write_all(&[&cap]);
            assert_eq!(plan.format(), OutputFormat::Pcap);
            assert_eq!(out, input, "{e:?} nanos={nanos}");
            assert_eq!(stats.copied, 2);
            assert_eq!(stats.bytes, input.len() as u64);
        }
    }
}

#[test]
fn a_subset_of_pcap_records_keeps_header_and_record_bytes() {
    let input = pcap(
        Endian::Big,
        false,
        1,
        96,
        &[(1, 0, b"one"), (2, 0, b"two"), (3, 0, b"three")],
    );
    let cap = open("in.pcap", input.clone());
    let idx = cap.index();
    let plan = Plan::new(&[&idx]);
    let mut w = CaptureWriter::new(Vec::new(), plan).unwrap();
    let recs: Vec<_> = idx.all_records().collect();
    w.write(0, &idx, &recs[1]).unwrap();
    let (out, _) = w.finish().unwrap();
    let mut want = input[..24].to_vec();
    want.extend_from_slice(record_bytes(&idx, &recs[1]).unwrap());
    assert_eq!(out, want);
    assert_eq!(out.len(), 24 + 16 + 3);
}

#[test]
fn pcapng_is_copied_with_its_interfaces_and_options() {
    for e in [Endian::Little, Endian::Big] {
        let input = pcapng(
            e,
            &[(1, None), (101, Some(9))],
            &[
                (0, 1_000_000, b"frame-0", Some("hello")),
                (1, 5_000_000_000, b"x", None),
            ],
        );
        let cap = open("in.pcapng", input.clone());
        let (out, stats, plan) = write_all(&[&cap]);
        assert_eq!(plan.format(), OutputFormat::PcapNg);
        assert_eq!(stats.copied, 2);
        assert_eq!(stats.encoded + stats.renumbered, 0);
        // Everything after our own SHB is the input's bytes.
        let their_shb = e.u32(&input, 4).unwrap() as usize;
        let our_shb = e.u32(&out, 4).unwrap() as usize;
        assert_eq!(out[our_shb..], input[their_shb..]);
        assert_eq!(records(out), seen(&cap));
    }
}

#[test]
fn merging_pcapng_files_renumbers_interfaces() {
    let a = open(
        "a.pcapng",
        pcapng(Endian::Little, &[(1, None)], &[(0, 10, b"a0", None)]),
    );
    let b = open(
        "b.pcapng",
        pcapng(
            Endian::Little,
            &[(101, Some(9))],
            &[(0, 20, b"b0", Some("c"))],
        ),
    );
    let (out, stats, plan) = write_all(&[&a, &b]);
    assert_eq!(plan.interfaces(), 2);
    assert_eq!((stats.copied, stats.renumbered), (1, 1));
    let cap = open("out", out);
    let idx = cap.index();
    let recs: Vec<_> = idx.all_records().collect();
    assert_eq!(recs.len(), 2);
    assert_eq!((recs[1].interface, recs[1].linktype.0), (1, 101));
    assert_eq!(recs[1].ts, 20);
    assert_eq!(recs[1].data, b"b0");
}

#[test]
fn mixed_formats_become_pcapng_with_one_interface_per_input() {
    let a = open(
        "a.pcap",
        pcap(Endian::Big, false, 1, 65535, &[(7, 8, b"eth")]),
    );
    let b = open(
        "b.pcap",
        pcap(Endian::Little, true, 101, 65535, &[(9, 10, b"raw")]),
    );
    let c = open(
        "c.pcapng",
        pcapng(Endian::Big, &[(1, None)], &[(0, 3, b"ng", None)]),
    );
    let (out, stats, plan) = write_all(&[&a, &b, &c]);
    assert_eq!(plan.format(), OutputFormat::PcapNg);
    assert_eq!(plan.endian(), Endian::Big);
    assert_eq!(plan.interfaces(), 3);
    assert!(!plan.notes().is_empty());
    assert_eq!((stats.encoded, stats.renumbered), (2, 1));
    let got = records(out);
    let mut want = seen(&a);
    want.extend(seen(&b));
    want.extend(seen(&c));
    assert_eq!(got, want);
    assert_eq!(got[0].0, 7_000_008_000);
    assert_eq!(got[1].0, 9_000_000_010);
}

#[test]
fn a_section_in_the_other_byte_order_is_re_encoded_exactly() {
    let a = open(
        "a.pcapng",
        pcapng(Endian::Little, &[(1, None)], &[(0, 1, b"le", None)]),
    );
    let b = open(
        "b.pcapng",
        pcapng(Endian::Big, &[(1, Some(3))], &[(0, 1234, b"be", None)]),
    );
    let (out, stats, _) = write_all(&[&a, &b]);
    assert_eq!((stats.copied, stats.encoded), (1, 1));
    let got = records(out);
    assert_eq!(got[1].0, 1_234_000_000);
    assert_eq!(got[1].2, b"be");
}

#[test]
fn pcap_inputs_with_other_snaplen_stay_pcap_with_the_largest() {
    let a = open(
        "a.pcap",
        pcap(Endian::Little, false, 1, 100, &[(1, 0, b"a")]),
    );
    let b = open(
        "b.pcap",
        pcap(Endian::Little, false, 1, 9000, &[(2, 0, b"b")]),
    );
    let (out, _, plan) = write_all(&[&a, &b]);
    assert_eq!(plan.format(), OutputFormat::Pcap);
    assert_eq!(u32::from_le_bytes(out[16..20].try_into().unwrap()), 9000);
    assert_eq!(records(out).len(), 2);
}

#[test]
fn records_from_another_input_are_refused() {
    let a = open(
        "a.pcap",
        pcap(Endian::Little, false, 1, 100, &[(1, 0, b"a")]),
    );
    let idx = a.index();
    let plan = Plan::new(&[&idx]);
    let mut w = CaptureWriter::new(Vec::new(), plan).unwrap();
    let r = idx.all_records().next().unwrap();
    assert!(matches!(
        w.write(3, &idx, &r),
        Err(WriteError::UnknownInput(3))
    ));
    let bogus = crate::record::Record {
        offset: 1 << 40,
        ..r
    };
    assert!(matches!(
        w.write(0, &idx, &bogus),
        Err(WriteError::NoRecord { .. })
    ));
}

#[test]
fn shaped_records_are_encoded_from_their_fields() {
    let e_in = [Endian::Little, Endian::Big];
    for e in e_in {
        for nanos in [false, true] {
            let input = pcap(e, nanos, 1, 1500, &[(10, 5, b"abcdef"), (11, 7, b"ghij")]);
            let cap = open("in.pcap", input);
            let idx = cap.index();
            let plan = Plan::new(&[&idx]);
            let mut w = CaptureWriter::new(Vec::new(), plan).unwrap();
            for r in idx.all_records() {
                let shaped = Record {
                    ts: r.ts + 1_000_000_000,
                    data: &r.data[..3],
                    ..r
                };
                assert!(w.write_shaped(0, &shaped).unwrap());
            }
            let (out, stats) = w.finish().unwrap();
            assert_eq!(stats.encoded, 2);
            let unit = if nanos { 1 } else { 1000 };
            assert_eq!(
                records(out),
                vec![
                    (11_000_000_000 + 5 * unit, 16, b"abc".to_vec(), 1),
                    (12_000_000_000 + 7 * unit, 14, b"ghi".to_vec(), 1),
                ],
                "{e:?} nanos={nanos}"
            );
        }
    }
    // pcapng inputs get enhanced packet blocks.
    let input = pcapng(
        Endian::Little,
        &[(1, None)],
        &[(0, 5_000_000, b"xyz1", None)],
    );
    let cap = open("in.pcapng", input);
    let idx = cap.index();
    let mut w = CaptureWriter::new(Vec::new(), Plan::new(&[&idx])).unwrap();
    for r in idx.all_records() {
        w.write_shaped(
            0,
            &Record {
                data: &r.data[..2],
                ..r
            },
        )
        .unwrap();
    }
    let (out, _) = w.finish().unwrap();
    let got = records(out);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].2, b"xy".to_vec());
    assert_eq!(got[0].1, 4);
}
