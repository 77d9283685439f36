//! Bounds-checked integer reads. Every read returns `None` instead of
//! panicking when the slice is too short.

/// Byte order of a capture file or section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    /// Little endian.
    Little,
    /// Big endian.
    Big,
}

impl Endian {
    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Endian::Little => "little-endian",
            Endian::Big => "big-endian",
        }
    }

    /// Read a u16 at `at`.
    #[inline]
    pub fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u16::from_le_bytes(s),
            Endian::Big => u16::from_be_bytes(s),
        })
    }

    /// Read a u32 at `at`.
    #[inline]
    pub fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u32::from_le_bytes(s),
            Endian::Big => u32::from_be_bytes(s),
        })
    }

    /// Read a u64 at `at`.
    #[inline]
    pub fn u64(self, b: &[u8], at: usize) -> Option<u64> {
        let s: [u8; 8] = b.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u64::from_le_bytes(s),
            Endian::Big => u64::from_be_bytes(s),
        })
    }
}

/// Big-endian u16 (network order).
#[inline]
pub fn be16(b: &[u8], at: usize) -> Option<u16> {
    Endian::Big.u16(b, at)
}

/// Big-endian u32 (network order).
#[inline]
pub fn be32(b: &[u8], at: usize) -> Option<u32> {
    Endian::Big.u32(b, at)
}
