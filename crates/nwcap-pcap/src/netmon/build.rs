//! Test-only builder of NetMon 2.x files, so every version and every kind of
//! damage is made explicit in the tests that use it.

/// One frame to write.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Time offset in µs from the capture start.
    pub delta_us: u64,
    /// Original length.
    pub origlen: u32,
    /// Captured bytes.
    pub data: Vec<u8>,
    /// Per-frame media type (2.1+).
    pub media: u16,
    /// Process index (2.2+).
    pub process: u32,
    /// UTC FILETIME (2.3).
    pub filetime: u64,
}

impl Frame {
    /// An Ethernet frame of `len` bytes whose bytes encode `n`.
    pub fn ether(n: u8, len: usize, delta_us: u64, filetime: u64) -> Frame {
        Frame {
            delta_us,
            origlen: len as u32,
            data: (0..len).map(|i| (i as u8) ^ n).collect(),
            media: 1,
            process: u32::MAX,
            filetime,
        }
    }
}

/// A comment: frame index, UTF-16 title, description bytes.
pub type CommentSpec = (usize, String, Vec<u8>);

/// File builder.
#[derive(Debug, Clone)]
pub struct Builder {
    /// Minor version.
    pub minor: u8,
    /// File media type.
    pub media: u16,
    /// SYSTEMTIME fields.
    pub systemtime: [u16; 8],
    /// Frames, in frame table order.
    pub frames: Vec<Frame>,
    /// Write frames in reverse file order (the table still lists them in order).
    pub reverse: bool,
    /// Bytes of hole after each frame.
    pub gap: usize,
    /// Comments (2.2+).
    pub comments: Vec<CommentSpec>,
    /// Raw process table bytes (version + records) and record count (2.2+).
    pub processes: Option<(Vec<u8>, u32)>,
    /// Extended info start FILETIME (2.3).
    pub extended: Option<u64>,
}

/// Where the builder put things.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// File offset of each frame (table order).
    pub frame_offsets: Vec<u32>,
    /// Frame table offset.
    pub table_offset: usize,
}

/// 2016-08-25 13:19:01.810 (a Thursday).
pub const SYSTEMTIME: [u16; 8] = [2016, 8, 4, 25, 13, 19, 1, 810];
/// The same instant in ns since the epoch.
pub const SYSTEMTIME_NS: i64 = 1_472_131_141_810_000_000;
/// The same instant as a FILETIME.
pub const SYSTEMTIME_FT: u64 = 131_166_047_418_100_000;

impl Builder {
    /// An empty file of version 2.`minor`.
    pub fn new(minor: u8) -> Builder {
        Builder {
            minor,
            media: 1,
            systemtime: SYSTEMTIME,
            frames: Vec::new(),
            reverse: false,
            gap: 0,
            comments: Vec::new(),
            processes: None,
            extended: None,
        }
    }

    fn trailer(&self) -> usize {
        match self.minor {
            0 => 0,
            1 => 2,
            2 => 6,
            _ => 15,
        }
    }

    fn frame_bytes(&self, f: &Frame) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&f.delta_us.to_le_bytes());
        b.extend_from_slice(&f.origlen.to_le_bytes());
        b.extend_from_slice(&(f.data.len() as u32).to_le_bytes());
        b.extend_from_slice(&f.data);
        let mut t = Vec::new();
        t.extend_from_slice(&f.media.to_le_bytes());
        t.extend_from_slice(&f.process.to_le_bytes());
        t.extend_from_slice(&f.filetime.to_le_bytes());
        t.push(0xFF);
        b.extend_from_slice(&t[..self.trailer()]);
        b
    }

    /// The file bytes and where things are.
    pub fn build(&self) -> (Vec<u8>, Layout) {
        let mut out = vec![0u8; 128];
        let mut layout = Layout::default();
        let mut offsets = vec![0u32; self.frames.len()];
        let order: Vec<usize> = if self.reverse {
            (0..self.frames.len()).rev().collect()
        } else {
            (0..self.frames.len()).collect()
        };
        for i in order {
            offsets[i] = out.len() as u32;
            out.extend_from_slice(&self.frame_bytes(&self.frames[i]));
            out.resize(out.len() + self.gap, 0xEE);
        }
        layout.table_offset = out.len();
        for o in &offsets {
            out.extend_from_slice(&o.to_le_bytes());
        }
        let table_len = out.len() - layout.table_offset;
        let comment_offset = out.len();
        for (frame, title, desc) in &self.comments {
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(&offsets[*frame].to_le_bytes());
            let t: Vec<u8> = title.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
            out.extend_from_slice(&(t.len() as u32).to_le_bytes());
            out.extend_from_slice(&t);
            out.extend_from_slice(&(desc.len() as u32).to_le_bytes());
            out.extend_from_slice(desc);
        }
        let comment_len = out.len() - comment_offset;
        let process_offset = out.len();
        if let Some((bytes, _)) = &self.processes {
            out.extend_from_slice(bytes);
        }
        let ext_offset = out.len();
        if let Some(ft) = self.extended {
            out.extend_from_slice(&1u16.to_le_bytes());
            out.extend_from_slice(&ft.to_le_bytes());
            out.push(0);
        }
        let ext_len = out.len() - ext_offset;
        // Header.
        out[..4].copy_from_slice(b"GMBU");
        out[4] = self.minor;
        out[5] = 2;
        out[6..8].copy_from_slice(&self.media.to_le_bytes());
        for (i, v) in self.systemtime.iter().enumerate() {
            out[8 + 2 * i..10 + 2 * i].copy_from_slice(&v.to_le_bytes());
        }
        let mut put = |at: usize, v: usize| {
            out[at..at + 4].copy_from_slice(&(v as u32).to_le_bytes());
        };
        put(24, layout.table_offset);
        put(28, table_len);
        if !self.comments.is_empty() {
            put(40, comment_offset);
            put(44, comment_len);
        }
        if let Some((_, count)) = &self.processes {
            put(48, process_offset);
            put(52, *count as usize);
        }
        if self.extended.is_some() {
            put(56, ext_offset);
            put(60, ext_len);
        }
        layout.frame_offsets = offsets;
        (out, layout)
    }
}
