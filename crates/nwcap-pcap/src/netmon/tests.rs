//! NetMon files of every version and every kind of damage, built in memory.

#![allow(clippy::unwrap_used)]

use super::build::{Builder, Frame, SYSTEMTIME_FT, SYSTEMTIME_NS};
use super::*;

fn frames3() -> Vec<Frame> {
    vec![
        Frame::ether(1, 60, 0, SYSTEMTIME_FT + 3),
        Frame::ether(2, 1514, 1_500, SYSTEMTIME_FT + 15_007),
        Frame::ether(3, 42, 2_000_000, SYSTEMTIME_FT + 20_000_009),
    ]
}

fn all<'a>(nm: &NetmonFile<'a>) -> Vec<Result<Record<'a>, FrameDamage>> {
    (0..nm.frame_count()).map(|i| nm.frame(i)).collect()
}

#[test]
fn version_2_0_uses_start_plus_offset() {
    let mut b = Builder::new(0);
    b.frames = frames3();
    let (bytes, layout) = b.build();
    let nm = NetmonFile::parse(&bytes).unwrap();
    assert_eq!(nm.version(), (2, 0));
    assert_eq!(nm.frame_count(), 3);
    assert!(nm.damage().is_empty(), "{:?}", nm.damage());
    assert_eq!(nm.interfaces(), &[LinkType::ETHERNET]);
    assert_eq!(nm.start_time_ns(), SYSTEMTIME_NS);
    assert_eq!(nm.ticks_per_second(), 1_000_000);
    for (i, f) in b.frames.iter().enumerate() {
        let r = nm.frame(i).unwrap();
        assert_eq!(r.ts, SYSTEMTIME_NS + f.delta_us as i64 * 1000);
        assert_eq!(r.data, &f.data[..]);
        assert_eq!(r.origlen, f.origlen);
        assert_eq!((r.linktype, r.interface), (LinkType::ETHERNET, 0));
        assert_eq!(r.offset, u64::from(layout.frame_offsets[i]));
        assert_eq!(nm.frame_info(i).unwrap().media_type, 1);
    }
    assert!(nm.comments().is_empty() && nm.processes().is_empty());
}

#[test]
fn version_2_1_per_frame_media_types() {
    let mut b = Builder::new(1);
    b.frames = frames3();
    let mut ev = Frame::ether(4, 80, 10, 0);
    ev.media = media::NET_EVENT;
    let mut ip = Frame::ether(5, 40, 20, 0);
    ip.media = 9; // raw IP frames
    let mut ip6 = Frame::ether(6, 60, 30, 0);
    ip6.media = 0xE0E5; // converted pcap, LINKTYPE_IPV6
    let mut odd = Frame::ether(7, 20, 40, 0);
    odd.media = 0x0B; // NDIS IrDA: unsupported
    b.frames.insert(1, ev);
    b.frames.extend([ip, ip6, odd]);
    b.media = 1;
    let (bytes, _) = b.build();
    let nm = NetmonFile::parse(&bytes).unwrap();
    let want = [
        LinkType::ETHERNET,
        LinkType::NETMON_INFO,
        LinkType::RAW,
        LinkType::IPV6,
        LinkType(0xFFFF_000B),
    ];
    assert_eq!(nm.interfaces(), &want);
    let lts: Vec<(LinkType, u32)> = all(&nm)
        .into_iter()
        .map(|r| r.map(|r| (r.linktype, r.interface)).unwrap())
        .collect();
    assert_eq!(lts[1], (LinkType::NETMON_INFO, 1));
    assert_eq!(lts[4], (LinkType::RAW, 2));
    assert_eq!(lts[5], (LinkType::IPV6, 3));
    assert_eq!(lts[6], (LinkType(0xFFFF_000B), 4));
    assert_eq!(nm.frame_info(1).unwrap().media_type, 0xFFE0);
    assert_eq!(nm.frame_info(1).unwrap().process_index, None);
    // 2.1 has no UTC stamp: start + offset.
    assert_eq!(nm.frame(4).unwrap().ts, SYSTEMTIME_NS + 20_000);
}

fn process_record(path: &str, pid: u32, ipv6: bool) -> Vec<u8> {
    let mut r = Vec::new();
    let p: Vec<u8> = path
        .encode_utf16()
        .chain([0])
        .flat_map(|u| u.to_le_bytes())
        .collect();
    r.extend_from_slice(&(p.len() as u32).to_le_bytes());
    r.extend_from_slice(&p);
    r.extend_from_slice(&3u32.to_le_bytes());
    r.extend_from_slice(&[9, 9, 9]); // icon
    r.extend_from_slice(&pid.to_le_bytes());
    r.extend_from_slice(&[0xBB, 0x01, 0, 0, 0x50, 0xC3, 0, 0]); // 443, 50000
    r.extend_from_slice(&u32::from(ipv6).to_le_bytes());
    let mut a = [0u8; 32];
    a[..4].copy_from_slice(&[10, 0, 0, 1]);
    a[16..20].copy_from_slice(&[192, 168, 1, 2]);
    if ipv6 {
        a[15] = 1;
    }
    r.extend_from_slice(&a);
    r
}

#[test]
fn version_2_2_process_index_and_comments() {
    let mut b = Builder::new(2);
    b.frames = frames3();
    b.frames[1].process = 1;
    let mut table = 1u16.to_le_bytes().to_vec();
    table.extend(process_record("C:\\svc.exe", 4242, false));
    table.extend(process_record("C:\\édge.exe", 77, true));
    b.processes = Some((table, 2));
    b.comments = vec![
        (2, "Step 2: reply".into(), b"{\\rtf1 hi}".to_vec()),
        (0, "First".into(), Vec::new()),
    ];
    let (bytes, layout) = b.build();
    let nm = NetmonFile::parse(&bytes).unwrap();
    assert!(nm.damage().is_empty(), "{:?}", nm.damage());
    assert_eq!(nm.frame_info(1).unwrap().process_index, Some(1));
    assert_eq!(nm.frame_info(0).unwrap().process_index, None);
    assert_eq!(nm.frame_info(0).unwrap().utc_filetime, None);
    let p = nm.processes();
    assert_eq!(p.len(), 2);
    assert_eq!((p[0].path.as_str(), p[0].pid), ("C:\\svc.exe", 4242));
    assert_eq!((p[0].local_port, p[0].remote_port), (443, 50000));
    assert_eq!(p[0].local_addr.to_string(), "10.0.0.1");
    assert_eq!(p[0].remote_addr.to_string(), "192.168.1.2");
    assert_eq!(p[1].path, "C:\\édge.exe");
    assert!(p[1].local_addr.is_ipv6());
    let c = nm.comments();
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].title, "Step 2: reply");
    assert_eq!(c[0].description, b"{\\rtf1 hi}");
    assert_eq!(c[0].frame_offset, layout.frame_offsets[2]);
    assert_eq!(c[0].frame_index, Some(2));
    assert_eq!(c[1].frame_index, Some(0));
    assert_eq!(nm.frame(2).unwrap().ts, SYSTEMTIME_NS + 2_000_000_000);
}

#[test]
fn version_2_3_uses_utc_filetime() {
    let mut b = Builder::new(3);
    b.frames = frames3();
    // A frame whose FILETIME cannot be represented: start + offset instead.
    b.frames.push(Frame::ether(9, 64, 5_000_000, 0));
    b.extended = Some(SYSTEMTIME_FT - 8 * 3600 * 10_000_000);
    b.reverse = true;
    b.gap = 7;
    let (bytes, layout) = b.build();
    let nm = NetmonFile::parse(&bytes).unwrap();
    assert!(nm.damage().is_empty(), "{:?}", nm.damage());
    assert_eq!(nm.ticks_per_second(), 10_000_000);
    let ext_start = SYSTEMTIME_NS - 8 * 3600 * 1_000_000_000;
    assert_eq!(nm.start_time_ns(), ext_start);
    let r = all(&nm);
    assert_eq!(r[0].unwrap().ts, SYSTEMTIME_NS + 300);
    assert_eq!(r[1].unwrap().ts, SYSTEMTIME_NS + 1_500_700);
    assert_eq!(r[2].unwrap().ts, SYSTEMTIME_NS + 2_000_000_900);
    assert_eq!(r[3].unwrap().ts, ext_start + 5_000_000_000);
    // Frames are in reverse file order with holes; the table decides.
    assert!(layout.frame_offsets[0] > layout.frame_offsets[3]);
    assert_eq!(r[1].unwrap().data.len(), 1514);
    let info = nm.frame_info(1).unwrap();
    assert_eq!(info.utc_filetime, Some(SYSTEMTIME_FT + 15_007));
    assert_eq!(
        (info.timezone_index, info.time_offset_us),
        (Some(0xFF), 1_500)
    );
}

#[test]
fn negative_offset_as_wireshark() {
    // µs offset "negative" as Microsoft documents: u64 scaled by 10, then signed.
    let mut b = Builder::new(0);
    b.frames = vec![Frame::ether(1, 60, 0u64.wrapping_sub(1000), 0)];
    let (bytes, _) = b.build();
    let nm = NetmonFile::parse(&bytes).unwrap();
    assert_eq!(nm.frame(0).unwrap().ts, SYSTEMTIME_NS - 1_000_000);
}

#[test]
fn wifi_frames_lose_their_metadata_header() {
    let mut b = Builder::new(1);
    let mut meta = vec![2u8, 32, 0];
    meta.resize(32, 0);
    meta.extend_from_slice(&[0x80, 0, 1, 2]);
    b.frames = vec![Frame {
        delta_us: 0,
        origlen: 36,
        data: meta,
        media: 6,
        process: 0,
        filetime: 0,
    }];
    let (bytes, _) = b.build();
    let nm = NetmonFile::parse(&bytes).unwrap();
    let r = nm.frame(0).unwrap();
    assert_eq!(
        (r.linktype, r.data, r.origlen),
        (LinkType::IEEE802_11, &[0x80, 0, 1, 2][..], 4)
    );
    assert_eq!(nm.interfaces(), &[LinkType::IEEE802_11]);
}

#[test]
fn header_errors() {
    assert_eq!(
        NetmonFile::parse(b"RTSS").unwrap_err(),
        NetmonError::NotNetmon
    );
    let (bytes, _) = Builder::new(3).build();
    let err = NetmonFile::parse(&bytes[..40]).unwrap_err();
    assert_eq!(err, NetmonError::TruncatedHeader { len: 40 });
    assert_eq!(
        err.to_string(),
        "network monitor header cut: 40 of 64 bytes"
    );
    let mut v1 = bytes.clone();
    v1[5] = 1;
    assert!(matches!(
        NetmonFile::parse(&v1),
        Err(NetmonError::UnsupportedVersion { major: 1, minor: 3 })
    ));
}

#[test]
fn newer_minor_is_read_as_2_3() {
    let mut b = Builder::new(3);
    b.frames = frames3();
    let (mut bytes, _) = b.build();
    bytes[4] = 4;
    let nm = NetmonFile::parse(&bytes).unwrap();
    assert_eq!(nm.version(), (2, 4));
    assert_eq!(
        nm.damage()[0].kind,
        DamageKind::NewerMinorVersion { minor: 4 }
    );
    assert_eq!(nm.frame(1).unwrap().ts, SYSTEMTIME_NS + 1_500_700);
}

fn set32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn frame_table_past_eof() {
    let mut b = Builder::new(3);
    b.frames = frames3();
    let (mut bytes, _) = b.build();
    let len = bytes.len() as u32;
    set32(&mut bytes, 24, len + 100);
    let nm = NetmonFile::parse(&bytes).unwrap();
    assert_eq!(nm.frame_count(), 0);
    let d = nm.damage()[0];
    assert_eq!(d.offset, u64::from(len + 100));
    assert!(matches!(d.kind, DamageKind::FrameTableOutsideFile { .. }));
    assert!(d.lost_frames());
    assert!(matches!(
        nm.frame(0).unwrap_err().kind,
        DamageKind::NoSuchFrame { count: 0 }
    ));
}

#[test]
fn frame_table_cut_and_absurd_count() {
    let mut b = Builder::new(3);
    b.frames = frames3();
    let (bytes, layout) = b.build();
    // Cut in the middle of the third entry: two frames left.
    let cut = &bytes[..layout.table_offset + 10];
    let nm = NetmonFile::parse(cut).unwrap();
    assert_eq!(nm.frame_count(), 2);
    assert_eq!(
        nm.damage()[0].kind,
        DamageKind::FrameTableTruncated {
            entries: 3,
            readable: 2
        }
    );
    assert!(all(&nm).iter().all(Result::is_ok));
    // A table claiming a billion entries: only what the file holds is read,
    // nothing is allocated from the claim.
    let mut absurd = bytes.clone();
    set32(&mut absurd, 28, 0xFFFF_FFFC);
    let nm = NetmonFile::parse(&absurd).unwrap();
    let readable = (bytes.len() - layout.table_offset) / 4;
    assert_eq!(nm.frame_count(), readable);
    assert_eq!(
        nm.damage()[0].kind,
        DamageKind::FrameTableTruncated {
            entries: 0x3FFF_FFFF,
            readable: readable as u64
        }
    );
    let ok = all(&nm).iter().filter(|r| r.is_ok()).count();
    assert!(ok >= 3, "the three real frames are read");
    // Length not a multiple of 4.
    let mut odd = bytes.clone();
    set32(&mut odd, 28, 14);
    let nm = NetmonFile::parse(&odd).unwrap();
    assert_eq!(nm.frame_count(), 3);
    assert_eq!(
        nm.damage()[0].kind,
        DamageKind::FrameTableLength { length: 14 }
    );
    // Empty table.
    let mut empty = bytes;
    set32(&mut empty, 28, 0);
    let nm = NetmonFile::parse(&empty).unwrap();
    assert_eq!(
        (nm.frame_count(), nm.damage()[0].kind),
        (0, DamageKind::EmptyFrameTable)
    );
}

#[test]
fn frame_offset_and_length_past_eof() {
    let mut b = Builder::new(2);
    b.frames = frames3();
    let (mut bytes, layout) = b.build();
    let len = bytes.len();
    // Frame 0 points past the end; frame 2 claims more bytes than the file has.
    set32(&mut bytes, layout.table_offset, len as u32 + 5);
    set32(&mut bytes, layout.frame_offsets[2] as usize + 12, 1 << 30);
    let nm = NetmonFile::parse(&bytes).unwrap();
    assert!(nm.damage().is_empty());
    let r = all(&nm);
    let e0 = r[0].unwrap_err();
    assert_eq!((e0.offset, e0.frame_index), (len as u64 + 5, Some(0)));
    assert_eq!(e0.kind, DamageKind::HeaderPastEnd { available: 0 });
    assert_eq!(
        e0.to_string(),
        format!(
            "frame 1 at byte {}: frame header past end of file (16 bytes needed, 0 left)",
            len + 5
        )
    );
    assert_eq!(r[1].unwrap().data.len(), 1514);
    let e2 = r[2].unwrap_err();
    assert_eq!(e2.offset, u64::from(layout.frame_offsets[2]));
    assert!(matches!(
        e2.kind,
        DamageKind::DataPastEnd {
            caplen: 0x4000_0000,
            ..
        }
    ));
    // The interface pass skipped the bad frames without failing.
    assert_eq!(nm.interfaces(), &[LinkType::ETHERNET]);
    let d: crate::damage::Damage = e2.into();
    assert_eq!(d.severity, crate::damage::Severity::Warning);
}

#[test]
fn trailer_cut_by_eof() {
    let mut b = Builder::new(3);
    b.frames = frames3();
    let (bytes, layout) = b.build();
    // Put the table in front by pointing entry 0 at a frame cut before its trailer.
    let mut bytes = bytes;
    let last = layout.frame_offsets[2] as usize;
    let cut_at = last + 16 + 42 + 5; // inside the 15-byte trailer
    let table: Vec<u8> = bytes[layout.table_offset..layout.table_offset + 12].to_vec();
    bytes.truncate(cut_at);
    // Move the table into the header padding (bytes 64..128 are unused).
    bytes[72..84].copy_from_slice(&table);
    set32(&mut bytes, 24, 72);
    let nm = NetmonFile::parse(&bytes).unwrap();
    let r = all(&nm);
    assert!(r[0].is_ok() && r[1].is_ok());
    assert_eq!(
        r[2].unwrap_err().kind,
        DamageKind::TrailerPastEnd {
            needed: 15,
            available: 5
        }
    );
}

#[test]
fn damaged_comment_table_keeps_what_it_can() {
    let mut b = Builder::new(3);
    b.frames = frames3();
    b.comments = vec![
        (0, "one".into(), b"a".to_vec()),
        (1, "two".into(), b"b".to_vec()),
    ];
    let (mut bytes, _) = b.build();
    let off = u32::from_le_bytes(bytes[40..44].try_into().unwrap()) as usize;
    let first = 12 + 6 + 4 + 1;
    set32(&mut bytes, off + first + 8, 0x7FFF_FFFF); // second title length
    let nm = NetmonFile::parse(&bytes).unwrap();
    assert_eq!(nm.comments().len(), 1);
    assert_eq!(nm.comments()[0].title, "one");
    let d = nm.damage()[0];
    assert_eq!(d.offset, (off + first) as u64);
    assert_eq!(
        d.to_string(),
        format!(
            "at byte {}: comment table: comment title runs past the table",
            off + first
        )
    );
    assert_eq!(nm.frame_count(), 3);
}

#[test]
fn damaged_process_table_keeps_what_it_can() {
    let mut b = Builder::new(2);
    b.frames = frames3();
    let mut table = 1u16.to_le_bytes().to_vec();
    table.extend(process_record("a", 1, false));
    let mut second = process_record("b", 2, false);
    second[..4].copy_from_slice(&0x0010_0000u32.to_le_bytes()); // path too long
    table.extend(second);
    b.processes = Some((table, 1_000_000)); // absurd count
    let (bytes, _) = b.build();
    let nm = NetmonFile::parse(&bytes).unwrap();
    assert_eq!(nm.processes().len(), 1);
    assert!(matches!(
        nm.damage()[0].kind,
        DamageKind::Table {
            table: "process info table",
            ..
        }
    ));
}

/// Every prefix of valid files of each version, and single-byte corruptions,
/// parse and read without panicking; damage never hides a good frame.
#[test]
fn truncations_and_corruptions_never_panic() {
    for minor in 0..=3 {
        let mut b = Builder::new(minor);
        b.frames = frames3();
        b.comments = vec![(1, "c".into(), b"d".to_vec())];
        b.extended = Some(SYSTEMTIME_FT);
        let (bytes, _) = b.build();
        for n in 0..=bytes.len() {
            if let Ok(nm) = NetmonFile::parse(&bytes[..n]) {
                for i in 0..nm.frame_count() + 1 {
                    let _ = nm.frame(i);
                    let _ = nm.frame_info(i);
                }
            }
        }
        for at in 0..bytes.len() {
            for v in [0x00, 0x7F, 0xFF] {
                let mut c = bytes.clone();
                c[at] = v;
                if let Ok(nm) = NetmonFile::parse(&c) {
                    let ok = (0..nm.frame_count())
                        .filter(|&i| nm.frame(i).is_ok())
                        .count();
                    assert!(ok <= nm.frame_count());
                }
            }
        }
    }
}
