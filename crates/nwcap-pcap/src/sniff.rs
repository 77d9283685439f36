//! Say what a file that is not a capture looks like, so the error helps.

/// Describe bytes that matched no capture magic.
pub fn describe(data: &[u8]) -> String {
    if data.is_empty() {
        return "the file is empty".into();
    }
    let starts = |m: &[u8]| data.starts_with(m);
    let known: &[(&[u8], &str)] = &[
        (b"GMBU", "Network Monitor 2.x capture"),
        (
            b"RTSS",
            "Network Monitor 1.x capture (not supported; convert with editcap)",
        ),
        (
            b"snoop\0\0\0",
            "Solaris snoop capture (not supported; convert with editcap)",
        ),
        (b"PK\x03\x04", "a zip archive (unpack it first)"),
        (b"BZh", "bzip2-compressed data (decompress it first)"),
        (b"\xfd7zXZ\0", "xz-compressed data (decompress it first)"),
        (
            b"\x28\xb5\x2f\xfd",
            "zstd-compressed data (decompress it first)",
        ),
        (b"\x7fELF", "an ELF executable"),
        (b"MZ", "a Windows executable"),
        (b"%PDF", "a PDF document"),
    ];
    for (magic, what) in known {
        if starts(magic) {
            return format!("it looks like {what}");
        }
    }
    if data.len() >= 8 {
        let t = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
        if matches!(t, 1..=6) {
            return "it starts like a pcapng block but has no section header block (a fragment of a pcapng file?)".into();
        }
        // ETW trace buffers (.etl from pktmon / netsh trace) start with the
        // buffer size, a power of two of at least 4 KiB, and the file is a
        // whole number of buffers.
        if t.is_power_of_two()
            && (4096..=16 << 20).contains(&t)
            && data.len().is_multiple_of(t as usize)
        {
            return "it looks like an ETW trace (.etl from pktmon or netsh trace); convert it with `pktmon etl2pcap` first".into();
        }
    }
    let head = &data[..data.len().min(512)];
    let text = head
        .iter()
        .all(|&b| b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7f).contains(&b) || b >= 0x80);
    if text {
        let trimmed = String::from_utf8_lossy(head);
        let t = trimmed.trim_start();
        if t.starts_with('{') || t.starts_with('[') {
            return "it looks like JSON text".into();
        }
        if t.starts_with('<') {
            return "it looks like XML or HTML text".into();
        }
        return "it looks like text".into();
    }
    let shown: Vec<String> = data.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("unknown format (first bytes {})", shown.join(" "))
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn names_common_non_captures() {
        assert_eq!(describe(b""), "the file is empty");
        assert!(describe(b"hello world\n").contains("text"));
        assert!(describe(b"{\"a\": 1}").contains("JSON"));
        assert!(describe(b"PK\x03\x04....").contains("zip"));
        assert!(describe(&[6, 0, 0, 0, 0xa0, 0, 0, 0, 1]).contains("pcapng block"));
        let mut etl = vec![0u8; 65536 * 2];
        etl[..4].copy_from_slice(&65536u32.to_le_bytes());
        assert!(describe(&etl).contains("ETW"));
        assert!(
            describe(&[0x00, 0x01, 0x02, 0x99, 0xfe, 0x00, 0x00, 0x00, 0x01]).contains("unknown")
        );
    }
}
