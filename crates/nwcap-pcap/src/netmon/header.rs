//! The fixed file header and the two time representations NetMon uses.
//!
//! The header is a C struct of little-endian fields at fixed offsets (one
//! table of offsets below). NetMon pads it to 128 bytes when writing, but
//! Network Monitor 3.x files put the first frame right after the 72 bytes it
//! uses, so only the 64 bytes up to the network/extended info fields are
//! required.

/// Bytes of header that must be present.
pub const HEADER_LEN: usize = 64;

// Field offsets (from the start of the file, magic included).
const MINOR: usize = 4;
const MAJOR: usize = 5;
const MEDIA: usize = 6;
const SYSTEMTIME: usize = 8;
const FRAME_TABLE_OFFSET: usize = 24;
const FRAME_TABLE_LENGTH: usize = 28;
const COMMENT_OFFSET: usize = 40;
const COMMENT_LENGTH: usize = 44;
const PROCESS_OFFSET: usize = 48;
const PROCESS_COUNT: usize = 52;
/// NetworkInfoOffset before 2.3, ExtendedInfoOffset from 2.3 on.
const EXTENDED_OFFSET: usize = 56;
const EXTENDED_LENGTH: usize = 60;

/// 100 ns intervals between 1601-01-01 (FILETIME epoch) and 1970-01-01.
const FILETIME_UNIX: i128 = 116_444_736_000_000_000;

/// The header fields the reader uses.
#[derive(Debug, Clone, Copy)]
pub struct Header {
    /// Major version (2).
    pub major: u8,
    /// Minor version (0..=3, more is read as 3).
    pub minor: u8,
    /// File media type (per frame from 2.1 on, where it is 1 for compatibility).
    pub media: u16,
    /// SYSTEMTIME fields: year, month, day of week, day, hour, minute, second, ms.
    pub systemtime: [u16; 8],
    /// Frame table offset.
    pub frame_table_offset: u32,
    /// Frame table length in bytes.
    pub frame_table_length: u32,
    /// Comment table offset.
    pub comment_offset: u32,
    /// Comment table length in bytes.
    pub comment_length: u32,
    /// Process info table offset.
    pub process_offset: u32,
    /// Number of process info records.
    pub process_count: u32,
    /// Extended info offset (2.3).
    pub extended_offset: u32,
    /// Extended info length (2.3).
    pub extended_length: u32,
}

/// Little-endian u16 at `at`, `None` past the end.
#[inline]
pub fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

/// Little-endian u32 at `at`, `None` past the end.
#[inline]
pub fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// Little-endian u64 at `at`, `None` past the end.
#[inline]
pub fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

impl Header {
    /// Read the header; `None` when `data` is shorter than [`HEADER_LEN`].
    pub fn read(data: &[u8]) -> Option<Header> {
        let h = data.get(..HEADER_LEN)?;
        let mut systemtime = [0u16; 8];
        for (i, v) in systemtime.iter_mut().enumerate() {
            *v = le16(h, SYSTEMTIME + 2 * i)?;
        }
        Some(Header {
            major: h[MAJOR],
            minor: h[MINOR],
            media: le16(h, MEDIA)?,
            systemtime,
            frame_table_offset: le32(h, FRAME_TABLE_OFFSET)?,
            frame_table_length: le32(h, FRAME_TABLE_LENGTH)?,
            comment_offset: le32(h, COMMENT_OFFSET)?,
            comment_length: le32(h, COMMENT_LENGTH)?,
            process_offset: le32(h, PROCESS_OFFSET)?,
            process_count: le32(h, PROCESS_COUNT)?,
            extended_offset: le32(h, EXTENDED_OFFSET)?,
            extended_length: le32(h, EXTENDED_LENGTH)?,
        })
    }

    /// The SYSTEMTIME as ns since the Unix epoch, read as UTC; `None` when a
    /// field is out of range.
    pub fn systemtime_ns(&self) -> Option<i64> {
        let [year, month, _dow, day, hour, min, sec, ms] = self.systemtime;
        if !(1..=12).contains(&month)
            || !(1..=31).contains(&day)
            || hour > 23
            || min > 59
            || sec > 60
            || ms > 999
        {
            return None;
        }
        let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
        let date =
            time::Date::from_calendar_date(i32::from(year), month, u8::try_from(day).ok()?).ok()?;
        let days = i64::from(
            date.to_julian_day() - time::OffsetDateTime::UNIX_EPOCH.date().to_julian_day(),
        );
        let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(min) * 60 + i64::from(sec);
        secs.checked_mul(1_000_000_000)?
            .checked_add(i64::from(ms) * 1_000_000)
    }
}

/// FILETIME (100 ns since 1601-01-01 UTC) as ns since the Unix epoch; `None`
/// outside what an `i64` of ns holds (1677..2262).
#[inline]
pub fn filetime_ns(ft: u64) -> Option<i64> {
    i64::try_from((i128::from(ft) - FILETIME_UNIX) * 100).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime() {
        assert_eq!(filetime_ns(116_444_736_000_000_000), Some(0));
        assert_eq!(
            filetime_ns(131_166_047_418_108_127),
            Some(1_472_131_141_810_812_700)
        );
        assert_eq!(filetime_ns(0), None);
        assert_eq!(filetime_ns(u64::MAX), None);
    }
}
