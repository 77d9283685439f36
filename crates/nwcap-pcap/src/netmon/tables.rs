//! The optional tables a NetMon file points to from its header: comments
//! (2.2+), process info (2.2+) and extended info (2.3: the capture start as a
//! UTC FILETIME).
//!
//! They are read once at parse time, so they may allocate (titles and paths
//! are UTF-16 and become `String`s). Every length is checked against the bytes
//! actually present before use; a damaged table yields what was read before
//! the damage plus one [`FrameDamage`], never an error for the whole file.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::damage::{DamageKind, FrameDamage};
use super::header::{filetime_ns, le16, le32, le64};

/// A comment NetMon attached to one frame (title and RTF description).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment<'a> {
    /// File offset of the frame the comment belongs to (NetMon's key).
    pub frame_offset: u32,
    /// Index of that frame in the frame table, when one starts at `frame_offset`.
    pub frame_index: Option<usize>,
    /// Title (decoded from UTF-16).
    pub title: String,
    /// Description as stored: RTF text, usually ANSI.
    pub description: &'a [u8],
}

/// One entry of the process info table (2.2+): which process owned the
/// traffic of the frames whose trailer points at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    /// Executable path (decoded from UTF-16).
    pub path: String,
    /// Process id.
    pub pid: u32,
    /// Local port.
    pub local_port: u16,
    /// Remote port.
    pub remote_port: u16,
    /// Local address.
    pub local_addr: IpAddr,
    /// Remote address.
    pub remote_addr: IpAddr,
}

/// Longest process path accepted (bytes), as in Wireshark: 32767 UTF-16
/// units plus a NUL.
const MAX_PATH_BYTES: u32 = 65_536;
/// Smallest process info record: path size, icon size, pid, 2 ports with
/// padding, IPv6 flag, 2 addresses.
const MIN_PROCESS_RECORD: usize = 4 + 4 + 4 + 8 + 4 + 32;

fn table_damage(offset: usize, table: &'static str, problem: &'static str) -> FrameDamage {
    FrameDamage {
        offset: offset as u64,
        frame_index: None,
        kind: DamageKind::Table { table, problem },
    }
}

/// The bytes of a table at `offset..offset+len` (to the end of the file when
/// the length is not known), cut to the file (with damage when cut); `None`
/// when it starts past the end.
fn table_bytes<'a>(
    data: &'a [u8],
    offset: u32,
    len: Option<u32>,
    table: &'static str,
    damage: &mut Vec<FrameDamage>,
) -> Option<&'a [u8]> {
    let start = usize::try_from(offset).ok()?;
    let Some(rest) = data.get(start..) else {
        damage.push(table_damage(start, table, "starts past end of file"));
        return None;
    };
    match len.map(|l| l as usize) {
        None => Some(rest),
        Some(l) if l <= rest.len() => Some(&rest[..l]),
        Some(_) => {
            damage.push(table_damage(start, table, "cut by end of file"));
            Some(rest)
        }
    }
}

/// UTF-16LE up to the first NUL; bad surrogates become U+FFFD.
pub fn utf16(b: &[u8]) -> String {
    let units = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0);
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Read the comment table (`length` bytes at `offset`).
pub fn comments<'a>(
    data: &'a [u8],
    offset: u32,
    length: u32,
    damage: &mut Vec<FrameDamage>,
) -> Vec<Comment<'a>> {
    const T: &str = "comment table";
    let mut out = Vec::new();
    if length == 0 {
        return out;
    }
    let Some(table) = table_bytes(data, offset, Some(length), T, damage) else {
        return out;
    };
    let base = offset as usize;
    let mut pos = 0usize;
    // Wireshark's loop condition: anything of 16 bytes or less is padding.
    while table.len() - pos > 16 {
        let at = base + pos;
        let (Some(frame_offset), Some(title_len)) = (le32(table, pos + 4), le32(table, pos + 8))
        else {
            damage.push(table_damage(at, T, "comment header cut"));
            break;
        };
        let title_len = title_len as usize;
        if title_len == 0 {
            damage.push(table_damage(at, T, "comment title length is 0"));
            break;
        }
        let title_start = pos + 12;
        let Some(title) = title_start
            .checked_add(title_len)
            .and_then(|end| table.get(title_start..end))
        else {
            damage.push(table_damage(at, T, "comment title runs past the table"));
            break;
        };
        let desc_at = title_start + title_len;
        let Some(desc_len) = le32(table, desc_at) else {
            damage.push(table_damage(at, T, "comment description length cut"));
            break;
        };
        let desc_start = desc_at + 4;
        let Some(description) = desc_start
            .checked_add(desc_len as usize)
            .and_then(|end| table.get(desc_start..end))
        else {
            damage.push(table_damage(
                at,
                T,
                "comment description runs past the table",
            ));
            break;
        };
        out.push(Comment {
            frame_offset,
            frame_index: None,
            title: utf16(title),
            description,
        });
        pos = desc_start + description.len();
    }
    out
}

/// Read `count` process info records at `offset`.
pub fn processes(
    data: &[u8],
    offset: u32,
    count: u32,
    damage: &mut Vec<FrameDamage>,
) -> Vec<ProcessInfo> {
    const T: &str = "process info table";
    if offset == 0 || count == 0 {
        return Vec::new();
    }
    let Some(table) = table_bytes(data, offset, None, T, damage) else {
        return Vec::new();
    };
    let base = offset as usize;
    // Capacity from what the bytes can hold, never from the count alone.
    let fit = table.len().saturating_sub(2) / MIN_PROCESS_RECORD;
    let mut out = Vec::with_capacity(fit.min(count as usize));
    let mut pos = 2; // u16 version, not interpreted
    for _ in 0..count {
        match process(table, pos) {
            Ok((p, next)) => {
                out.push(p);
                pos = next;
            }
            Err(problem) => {
                damage.push(table_damage(base + pos, T, problem));
                break;
            }
        }
    }
    out
}

fn process(t: &[u8], mut pos: usize) -> Result<(ProcessInfo, usize), &'static str> {
    const CUT: &str = "process record cut by end of file";
    let path_len = le32(t, pos).ok_or(CUT)?;
    if path_len > MAX_PATH_BYTES {
        return Err("process path longer than 65536 bytes");
    }
    pos += 4;
    let path = t.get(pos..pos + path_len as usize).ok_or(CUT)?;
    pos += path_len as usize;
    let icon_len = le32(t, pos).ok_or(CUT)? as usize;
    pos = pos
        .checked_add(4 + icon_len)
        .filter(|&p| p <= t.len())
        .ok_or(CUT)?;
    let pid = le32(t, pos).ok_or(CUT)?;
    let local_port = le16(t, pos + 4).ok_or(CUT)?;
    let remote_port = le16(t, pos + 8).ok_or(CUT)?;
    let ipv6 = le32(t, pos + 12).ok_or(CUT)? != 0;
    let addrs = t.get(pos + 16..pos + 48).ok_or(CUT)?;
    let addr = |b: &[u8]| -> IpAddr {
        let mut a = [0u8; 16];
        a.copy_from_slice(b);
        if ipv6 {
            IpAddr::V6(Ipv6Addr::from(a))
        } else {
            IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3]))
        }
    };
    let p = ProcessInfo {
        path: utf16(path),
        pid,
        local_port,
        remote_port,
        local_addr: addr(&addrs[..16]),
        remote_addr: addr(&addrs[16..]),
    };
    Ok((p, pos + 48))
}

/// Capture start from the 2.3 extended info (u16 version, FILETIME, ...).
pub fn extended_start(
    data: &[u8],
    offset: u32,
    length: u32,
    damage: &mut Vec<FrameDamage>,
) -> Option<i64> {
    const T: &str = "extended info";
    if offset == 0 {
        return None;
    }
    let t = table_bytes(data, offset, Some(length), T, damage)?;
    let Some(ft) = le64(t, 2) else {
        damage.push(table_damage(
            offset as usize,
            T,
            "too short for a start time",
        ));
        return None;
    };
    let ns = filetime_ns(ft);
    if ns.is_none() {
        damage.push(table_damage(offset as usize, T, "start time out of range"));
    }
    ns
}
