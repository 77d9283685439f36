//! The reader on files built here: every pcap flavour, pcapng with several
//! sections and interfaces, gzip, and damage of each kind.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write;

use nwcap_pcap::source::Bytes;
use nwcap_pcap::{Capture, Format, LinkType, Severity};

/// A frame of `len` bytes whose first byte tells it apart.
fn frame(i: u32, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    if len > 0 {
        v[0] = i as u8;
    }
    v
}

struct PcapSpec {
    big: bool,
    nanos: bool,
    modified: bool,
    version: (u16, u16),
    linktype: u32,
    snaplen: u32,
}

fn pcap(spec: &PcapSpec, records: &[(u32, u32, Vec<u8>, u32)]) -> Vec<u8> {
    let w32 = |v: &mut Vec<u8>, x: u32| {
        v.extend_from_slice(&if spec.big {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        })
    };
    let w16 = |v: &mut Vec<u8>, x: u16| {
        v.extend_from_slice(&if spec.big {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        })
    };
    let mut v = Vec::new();
    let magic = if spec.modified {
        0xa1b2_cd34
    } else if spec.nanos {
        0xa1b2_3c4d
    } else {
        0xa1b2_c3d4
    };
    w32(&mut v, magic);
    w16(&mut v, spec.version.0);
    w16(&mut v, spec.version.1);
    w32(&mut v, 0);
    w32(&mut v, 0);
    w32(&mut v, spec.snaplen);
    w32(&mut v, spec.linktype);
    for (sec, frac, data, orig) in records {
        w32(&mut v, *sec);
        w32(&mut v, *frac);
        let (a, b) = if spec.version < (2, 3) {
            (*orig, data.len() as u32)
        } else {
            (data.len() as u32, *orig)
        };
        w32(&mut v, a);
        w32(&mut v, b);
        if spec.modified {
            v.extend_from_slice(&[0; 8]);
        }
        v.extend_from_slice(data);
    }
    v
}

fn open(name: &str, bytes: Vec<u8>) -> Capture {
    Capture::from_bytes(name, Bytes::Owned(bytes)).unwrap()
}

fn recs() -> Vec<(u32, u32, Vec<u8>, u32)> {
    (0..5)
        .map(|i| {
            (
                1_700_000_000 + i,
                250 + i,
                frame(i, 60 + i as usize),
                60 + i + 10 * (i % 2),
            )
        })
        .collect()
}

#[test]
fn every_pcap_flavour_reads_the_same_records() {
    for big in [false, true] {
        for (nanos, modified) in [(false, false), (true, false), (false, true)] {
            for version in [(2, 4), (2, 2)] {
                let spec = PcapSpec {
                    big,
                    nanos,
                    modified,
                    version,
                    linktype: 1,
                    snaplen: 65535,
                };
                let cap = open("x.pcap", pcap(&spec, &recs()));
                assert_eq!(cap.format(), Format::Pcap);
                let idx = cap.index();
                assert!(idx.damage.iter().all(|d| d.severity == Severity::Warning));
                let got: Vec<_> = idx.all_records().collect();
                assert_eq!(got.len(), 5);
                for (r, (sec, frac, data, orig)) in got.iter().zip(recs()) {
                    let unit = if nanos { 1 } else { 1000 };
                    assert_eq!(
                        r.ts,
                        i64::from(sec) * 1_000_000_000 + i64::from(frac) * unit
                    );
                    assert_eq!(r.data, &data[..]);
                    assert_eq!(r.origlen, orig);
                    assert_eq!(r.linktype, LinkType::ETHERNET);
                }
                assert_eq!(idx.stats.truncated, 2);
            }
        }
    }
}

#[test]
fn a_tail_cut_mid_record_keeps_every_complete_packet() {
    let spec = PcapSpec {
        big: false,
        nanos: false,
        modified: false,
        version: (2, 4),
        linktype: 1,
        snaplen: 65535,
    };
    let full = pcap(&spec, &recs());
    for cut in 1..70 {
        let cap = open("cut.pcap", full[..full.len() - cut].to_vec());
        let idx = cap.index();
        assert_eq!(idx.stats.packets, 4, "cut {cut}");
        let d = &idx.damage[0];
        assert_eq!(d.severity, Severity::Warning);
        assert!(d.message.contains("bytes left over"), "{d}");
        assert_eq!(d.offset, full.len() as u64 - (64 + 16) as u64);
    }
}

#[test]
fn an_impossible_length_stops_with_its_offset() {
    let spec = PcapSpec {
        big: false,
        nanos: false,
        modified: false,
        version: (2, 4),
        linktype: 1,
        snaplen: 65535,
    };
    let mut bytes = pcap(&spec, &recs());
    // Third record's caplen := 0x7fffffff.
    let third = 24 + (16 + 60) + (16 + 61);
    bytes[third + 8..third + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let cap = open("bad.pcap", bytes);
    let idx = cap.index();
    assert_eq!(idx.stats.packets, 2);
    assert_eq!(idx.damage.len(), 1);
    assert_eq!(idx.damage[0].severity, Severity::Error);
    assert_eq!(idx.damage[0].offset, third as u64);
    assert!(idx.has_error());
}

#[test]
fn gzip_is_read_transparently() {
    let spec = PcapSpec {
        big: false,
        nanos: true,
        modified: false,
        version: (2, 4),
        linktype: 101,
        snaplen: 65535,
    };
    let raw = pcap(&spec, &recs());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    let gz = gz.finish().unwrap();
    let cap = open("x.pcap.gz", gz.clone());
    assert!(cap.compressed());
    assert_eq!(cap.index().stats.packets, 5);
    // A cut gzip stream keeps what decompressed before the cut.
    let cap = open("cut.pcap.gz", gz[..gz.len() - 20].to_vec());
    let idx = cap.index();
    assert!(idx.stats.packets >= 1);
    assert!(!idx.damage.is_empty());
}

#[test]
fn non_captures_are_named() {
    for (bytes, words) in [
        (&b""[..], "empty"),
        (b"hello, this is text\n", "text"),
        (b"GMBU\x02\x03", "Network Monitor"),
        (b"\x7fELF\x02\x01\x01\x00\x00", "ELF"),
    ] {
        match Capture::from_bytes("f", Bytes::Owned(bytes.to_vec())) {
            Err(e) => assert!(
                e.to_string().contains(words) || e.to_string().contains("at byte"),
                "{e}"
            ),
            Ok(c) => {
                // GMBU with a cut header opens, then reports damage.
                assert_eq!(c.format(), Format::NetMon);
                assert!(c.index().has_error());
            }
        }
    }
}

/// pcapng builder: blocks in little or big endian.
struct Ng {
    big: bool,
    out: Vec<u8>,
}

impl Ng {
    fn u16(&self, x: u16) -> [u8; 2] {
        if self.big {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    }
    fn u32(&self, x: u32) -> [u8; 4] {
        if self.big {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    }
    fn block(&mut self, kind: u32, body: &[u8]) {
        let mut body = body.to_vec();
        while !body.len().is_multiple_of(4) {
            body.push(0);
        }
        let len = (body.len() + 12) as u32;
        let (k, l) = (self.u32(kind), self.u32(len));
        self.out.extend_from_slice(&k);
        self.out.extend_from_slice(&l);
        self.out.extend_from_slice(&body);
        self.out.extend_from_slice(&l);
    }
    fn opt(&self, code: u16, v: &[u8]) -> Vec<u8> {
        let mut o = self.u16(code).to_vec();
        o.extend_from_slice(&self.u16(v.len() as u16));
        o.extend_from_slice(v);
        while !o.len().is_multiple_of(4) {
            o.push(0);
        }
        o
    }
    fn shb(&mut self, comment: &str) {
        let mut b = self.u32(0x1A2B_3C4D).to_vec();
        b.extend_from_slice(&self.u16(1));
        b.extend_from_slice(&self.u16(0));
        b.extend_from_slice(&[0xff; 8]);
        b.extend(self.opt(1, comment.as_bytes()));
        b.extend_from_slice(&[0; 4]);
        self.block(0x0A0D_0D0A, &b);
    }
    fn idb(&mut self, lt: u16, snaplen: u32, tsresol: Option<u8>) {
        let mut b = self.u16(lt).to_vec();
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&self.u32(snaplen));
        if let Some(r) = tsresol {
            b.extend(self.opt(9, &[r]));
            b.extend_from_slice(&[0; 4]);
        }
        self.block(1, &b);
    }
    fn epb(&mut self, iface: u32, ticks: u64, data: &[u8], orig: u32) {
        let mut b = self.u32(iface).to_vec();
        b.extend_from_slice(&self.u32((ticks >> 32) as u32));
        b.extend_from_slice(&self.u32(ticks as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(&self.u32(orig));
        b.extend_from_slice(data);
        self.block(6, &b);
    }
}

#[test]
fn pcapng_sections_interfaces_and_resolutions() {
    for big in [false, true] {
        let mut ng = Ng {
            big,
            out: Vec::new(),
        };
        ng.shb("first section");
        ng.idb(1, 65535, None); // microseconds
        ng.idb(101, 128, Some(9)); // nanoseconds
        ng.epb(0, 1_700_000_000_000_000, &frame(1, 60), 60);
        ng.epb(1, 1_700_000_000_500_000_000, &frame(2, 40), 100);
        ng.block(0x0BAD, &[1, 2, 3, 4]); // unknown block: skipped
        ng.block(3, &{
            let mut b = ng.u32(64).to_vec();
            b.extend(frame(3, 64));
            b
        }); // simple packet block, interface 0
        ng.shb("second section");
        ng.idb(276, 0, Some(0x80 | 10)); // 2^-10 s
        ng.epb(0, 1024 * 1_700_000_001, &frame(4, 30), 30);
        let cap = open("x.pcapng", ng.out.clone());
        assert_eq!(cap.format(), Format::PcapNg);
        let idx = cap.index();
        assert!(idx.damage.is_empty(), "{:?}", idx.damage);
        assert_eq!(idx.interfaces.len(), 3);
        assert_eq!(idx.sections.len(), 2);
        assert_eq!(idx.comments, vec!["first section", "second section"]);
        let got: Vec<_> = idx.all_records().collect();
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].ts, 1_700_000_000_000_000_000);
        assert_eq!(got[1].ts, 1_700_000_000_500_000_000);
        assert_eq!(got[1].linktype, LinkType::RAW);
        assert_eq!(got[1].origlen, 100);
        assert_eq!(got[2].ts, nwcap_pcap::pcapng::NO_TIMESTAMP);
        assert_eq!(got[3].interface, 2);
        assert_eq!(got[3].linktype, LinkType::LINUX_SLL2);
        assert_eq!(got[3].ts, 1_700_000_001_000_000_000);
        assert_eq!(idx.stats.packets, 4);
        assert_eq!(idx.stats.no_timestamp, 1);
    }
}

#[test]
fn pcapng_damage_is_located() {
    let mut ng = Ng {
        big: false,
        out: Vec::new(),
    };
    ng.shb("s");
    ng.idb(1, 0, None);
    ng.epb(0, 1, &frame(1, 60), 60);
    let good_end = ng.out.len();
    ng.epb(0, 2, &frame(2, 60), 60);
    // Length not a multiple of 4.
    let mut bad = ng.out.clone();
    bad[good_end + 4..good_end + 8].copy_from_slice(&83u32.to_le_bytes());
    let idx_cap = open("bad.pcapng", bad);
    let idx = idx_cap.index();
    assert_eq!(idx.stats.packets, 1);
    assert_eq!(idx.damage[0].offset, good_end as u64);
    assert_eq!(idx.damage[0].severity, Severity::Error);
    // Length past the end: a cut tail.
    let cut = open("cut.pcapng", ng.out[..ng.out.len() - 10].to_vec());
    let idx = cut.index();
    assert_eq!(idx.stats.packets, 1);
    assert!(idx.damage[0].message.contains("left over"));
    // An EPB naming an interface that does not exist.
    let mut ng2 = Ng {
        big: false,
        out: Vec::new(),
    };
    ng2.shb("s");
    ng2.idb(1, 0, None);
    ng2.epb(7, 1, &frame(1, 60), 60);
    let c = open("iface.pcapng", ng2.out);
    assert!(c.index().damage[0].message.contains("interface 7"));
    // 100 000 interfaces: read, bounded by the file.
    let mut many = Ng {
        big: false,
        out: Vec::new(),
    };
    many.shb("s");
    for _ in 0..100_000 {
        many.idb(1, 0, None);
    }
    many.epb(99_999, 5, &frame(1, 20), 20);
    let c = open("many.pcapng", many.out);
    let idx = c.index();
    assert_eq!(idx.interfaces.len(), 100_000);
    assert_eq!(idx.all_records().next().unwrap().interface, 99_999);
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let spec = PcapSpec {
        big: false,
        nanos: false,
        modified: false,
        version: (2, 4),
        linktype: 1,
        snaplen: 65535,
    };
    let records: Vec<_> = (0..20_000u32)
        .map(|i| (i, 0, frame(i, 60 + (i % 700) as usize), 1000))
        .collect();
    let cap = open("big.pcap", pcap(&spec, &records));
    let idx = cap.index();
    assert!(
        idx.chunks.len() > 4,
        "needs several chunks, got {}",
        idx.chunks.len()
    );
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let per_chunk = idx
                .map_chunks(|_, recs| recs.map(|r| (r.offset, r.data.len())).collect::<Vec<_>>());
            (per_chunk.concat(), nwcap_pcap::census::census(&idx))
        })
    };
    let (one, c1) = run(1);
    let (two, c2) = run(2);
    assert_eq!(one.len(), 20_000);
    assert_eq!(one, two);
    assert_eq!(c1, c2);
    let seq: Vec<_> = idx
        .all_records()
        .map(|r| (r.offset, r.data.len()))
        .collect();
    assert_eq!(seq, one);
}
