//! The flow table as named, typed columns: the hand-off between the flow
//! engine and the summary/output layer (polars), which needs no knowledge of
//! flow internals.

/// Typed data of one column; every column of a table has the same length.
/// One variant per [`crate::schema::Kind`].
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Signed 64-bit integers, never null (counts of packets and bytes).
    I64(Vec<i64>),
    /// Optional signed 32-bit integers (ports, VLAN ids, windows, sizes).
    I32Opt(Vec<Option<i32>>),
    /// Optional floats (seconds, means, rates); NaN never appears.
    F64Opt(Vec<Option<f64>>),
    /// Optional text in one buffer (no allocation per cell).
    Text(Texts),
    /// Instants in nanoseconds since the Unix epoch, UTC (written to the
    /// microsecond).
    TimestampNs(Vec<i64>),
}

impl ColumnData {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::I64(v) | ColumnData::TimestampNs(v) => v.len(),
            ColumnData::I32Opt(v) => v.len(),
            ColumnData::F64Opt(v) => v.len(),
            ColumnData::Text(t) => t.len(),
        }
    }

    /// Makes room for `n` more rows.
    pub fn reserve(&mut self, n: usize) {
        match self {
            ColumnData::I64(v) | ColumnData::TimestampNs(v) => v.reserve(n),
            ColumnData::I32Opt(v) => v.reserve(n),
            ColumnData::F64Opt(v) => v.reserve(n),
            ColumnData::Text(t) => t.reserve(n),
        }
    }

    /// Makes room for exactly `n` more rows (text: its cells exactly, its
    /// bytes as [`Texts::reserve`]).
    pub fn reserve_exact(&mut self, n: usize) {
        match self {
            ColumnData::I64(v) | ColumnData::TimestampNs(v) => v.reserve_exact(n),
            ColumnData::I32Opt(v) => v.reserve_exact(n),
            ColumnData::F64Opt(v) => v.reserve_exact(n),
            ColumnData::Text(t) => t.reserve_exact(n),
        }
    }

    /// Appends the rows of `other`, a column of the same type (a column of
    /// another type is a caller bug and is ignored).
    pub fn append(&mut self, other: ColumnData) {
        match (self, other) {
            (ColumnData::I64(a), ColumnData::I64(b))
            | (ColumnData::TimestampNs(a), ColumnData::TimestampNs(b)) => a.extend(b),
            (ColumnData::I32Opt(a), ColumnData::I32Opt(b)) => a.extend(b),
            (ColumnData::F64Opt(a), ColumnData::F64Opt(b)) => a.extend(b),
            (ColumnData::Text(a), ColumnData::Text(b)) => a.append(&b),
            _ => debug_assert!(false, "append: column types differ"),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One named column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Stable snake_case name (documented in README).
    pub name: &'static str,
    /// The values.
    pub data: ColumnData,
}

/// Optional text cells stored back to back in one buffer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Texts {
    bytes: String,
    /// End of each cell in `bytes`.
    ends: Vec<usize>,
    /// False for an absent (null) cell.
    valid: Vec<bool>,
}

impl Texts {
    /// Room for `cells` cells.
    pub fn with_capacity(cells: usize) -> Self {
        Texts {
            bytes: String::with_capacity(cells * 16),
            ends: Vec::with_capacity(cells),
            valid: Vec::with_capacity(cells),
        }
    }

    /// Adds one cell: `write` appends its text to the buffer and returns
    /// whether the cell has a value (text written for an absent cell is
    /// dropped).
    pub fn push_with(&mut self, write: impl FnOnce(&mut String) -> bool) {
        let start = self.bytes.len();
        let present = write(&mut self.bytes);
        if !present {
            self.bytes.truncate(start);
        }
        self.ends.push(self.bytes.len());
        self.valid.push(present);
    }

    /// Adds one cell.
    pub fn push(&mut self, cell: Option<&str>) {
        self.push_with(|b| match cell {
            Some(s) => {
                b.push_str(s);
                true
            }
            None => false,
        });
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no cells.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// True when some cell is absent.
    pub fn has_nulls(&self) -> bool {
        self.valid.contains(&false)
    }

    /// Cell `i` (`None` when absent or out of range).
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        if self.valid[i] {
            self.bytes.get(start..end)
        } else {
            None
        }
    }

    /// The cells in order.
    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Makes room for `n` more cells.
    pub fn reserve(&mut self, n: usize) {
        self.reserve_text(n);
        self.ends.reserve(n);
        self.valid.reserve(n);
    }

    /// Room for the text of `n` more cells at the mean length of the cells
    /// so far (16 bytes before any).
    fn reserve_text(&mut self, n: usize) {
        let per = match self.ends.len() {
            0 => 16,
            cells => self.bytes.len().div_ceil(cells),
        };
        self.bytes.reserve(n.saturating_mul(per));
    }

    /// Makes room for exactly `n` more cells; the text as
    /// [`Texts::reserve`] does (its length is not known).
    pub fn reserve_exact(&mut self, n: usize) {
        self.reserve_text(n);
        self.ends.reserve_exact(n);
        self.valid.reserve_exact(n);
    }

    /// Appends the cells of `other`.
    pub fn append(&mut self, other: &Texts) {
        let base = self.bytes.len();
        self.bytes.push_str(&other.bytes);
        self.ends.extend(other.ends.iter().map(|e| e + base));
        self.valid.extend_from_slice(&other.valid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_keep_cells_nulls_and_order_across_appends() {
        let mut a = Texts::with_capacity(2);
        a.push(Some("tcp"));
        a.push(None);
        a.push_with(|b| {
            b.push_str("dropped");
            false
        });
        let mut b = Texts::default();
        b.push(Some(""));
        b.push(Some("10.0.0.1"));
        a.append(&b);
        let cells: Vec<Option<&str>> = a.iter().collect();
        assert_eq!(cells, [Some("tcp"), None, None, Some(""), Some("10.0.0.1")]);
        assert!(a.has_nulls());
        assert_eq!(a.get(9), None);
        assert!(!b.has_nulls());
    }
}
