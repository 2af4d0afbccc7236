//! A `Utf8` column builder for sparse columns: a run of nulls costs one fill of the offsets.
//!
//! Most of a wide table's ~700 columns are empty in most rows, and every row of every column
//! needs an offset, so the cost of null runs decides. Arrow's `StringBuilder` also appends to a
//! validity bitmap (materialized once the first null arrives) and checks capacities per call;
//! here the bitmap only has bits set for values and is sized when the column is finished.

use arrow_array::StringArray;
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};

/// Builds one [`StringArray`] at a time.
#[derive(Debug)]
pub(crate) struct StringColumn {
    /// `rows + 1` offsets into `values`, starting at 0.
    offsets: Vec<i32>,
    values: Vec<u8>,
    /// Bit `i` is set when row `i` has a value; bytes past the last value are not stored.
    valid: Vec<u8>,
    nulls: usize,
}

impl StringColumn {
    /// An empty column with room for `rows` rows and `bytes` bytes of text.
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StringColumn {
            offsets,
            values: Vec::with_capacity(bytes),
            valid: Vec::with_capacity(rows.div_ceil(8)),
            nulls: 0,
        }
    }

    /// Rows appended since the last [`StringColumn::finish`].
    #[inline]
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The text appended since the last [`StringColumn::finish`].
    pub fn values_slice(&self) -> &[u8] {
        &self.values
    }

    /// Appends one value.
    ///
    /// # Panics
    /// When the column's text passes 2 GiB (`i32` offsets), like Arrow's `StringBuilder`.
    #[inline(always)]
    pub fn append_value(&mut self, v: &str) {
        let row = self.len();
        self.values.extend_from_slice(v.as_bytes());
        let end = i32::try_from(self.values.len()).expect("byte array offset overflow");
        self.offsets.push(end);
        let byte = row / 8;
        if byte >= self.valid.len() {
            self.valid.resize(byte + 1, 0);
        }
        self.valid[byte] |= 1 << (row % 8);
    }

    /// Appends one null.
    #[inline]
    pub fn append_null(&mut self) {
        self.append_nulls(1);
    }

    /// Appends `n` nulls.
    #[inline]
    pub fn append_nulls(&mut self, n: usize) {
        let end = *self.offsets.last().expect("offsets start with 0");
        self.offsets.resize(self.offsets.len() + n, end);
        self.nulls += n;
    }

    /// The rows appended so far as an array; the column is left empty.
    pub fn finish(&mut self) -> StringArray {
        let rows = self.len();
        let nulls = (self.nulls > 0).then(|| {
            let mut bits = std::mem::take(&mut self.valid);
            bits.resize(rows.div_ceil(8), 0);
            NullBuffer::new(BooleanBuffer::new(Buffer::from_vec(bits), 0, rows))
        });
        self.valid.clear();
        self.nulls = 0;
        let offsets = std::mem::replace(&mut self.offsets, vec![0]);
        let values = Buffer::from_vec(std::mem::take(&mut self.values));
        // SAFETY: the offsets start at 0, never decrease and end at `values.len()` (each is
        // the length of `values` after an append), and `values` is a concatenation of `&str`s,
        // so every slice between two offsets is valid UTF-8.
        unsafe {
            let offsets = OffsetBuffer::new_unchecked(ScalarBuffer::from(offsets));
            StringArray::new_unchecked(offsets, values, nulls)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::StringBuilder;
    use arrow_array::Array;

    /// The same appends give an array equal to Arrow's builder, with or without nulls, and
    /// the column is reusable after `finish`.
    #[test]
    fn matches_arrow_string_builder() {
        let ops: Vec<Vec<Option<&str>>> = vec![
            vec![],
            vec![Some("a")],
            vec![None, None, None],
            vec![Some(""), Some("é"), Some("x".repeat(40).leak())],
            (0..70)
                .map(|i| (i % 3 == 0).then_some(["one", "", "three"][i % 3]))
                .collect(),
            (0..70).map(|i| (i % 17 == 5).then_some("v")).collect(),
        ];
        let mut ours = StringColumn::with_capacity(4, 4);
        for rows in ops {
            let mut theirs = StringBuilder::new();
            let mut i = 0;
            while i < rows.len() {
                match rows[i] {
                    Some(v) => {
                        ours.append_value(v);
                        theirs.append_value(v);
                        i += 1;
                    }
                    None => {
                        // Null runs as the table builder pads them.
                        let n = rows[i..].iter().take_while(|r| r.is_none()).count();
                        ours.append_nulls(n);
                        theirs.append_nulls(n);
                        i += n;
                    }
                }
            }
            assert_eq!(ours.len(), rows.len());
            let (a, b) = (ours.finish(), theirs.finish());
            assert_eq!(a, b, "{rows:?}");
            assert_eq!(a.null_count(), b.null_count());
            assert_eq!(a.nulls().is_some(), b.nulls().is_some());
            assert_eq!(ours.len(), 0);
        }
    }
}
