//! Column buffers for sparse columns: each value is stored with its row number, and the nulls
//! between values are filled in once, when the batch is finished.
//!
//! A wide table has ~700 columns and a record sets ~140 of them, so most of a column's rows are
//! null. Padding every column with nulls as rows go by (what Arrow's builders need) cost a call
//! and a fill per present value, spread over hundreds of buffers; here a value costs two pushes
//! and the fill is one pass over each column at the end of the batch, which also makes the
//! column's memory writes sequential.

use std::sync::Arc;

use arrow_array::types::ArrowPrimitiveType;
use arrow_array::{BooleanArray, ListArray, PrimitiveArray, StringArray};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::FieldRef;

/// `len` copies of `value`, in memory allocated unzeroed and then filled.
///
/// Not `vec![value; len]`: for a zero `value` that is a zeroed allocation, and jemalloc zeroes a
/// reused large block by handing its pages back to the system, so each page faults again when
/// written (12,900 page faults against 5,550 when a batch's fixed-width columns were built that
/// way, 256 MiB of application events; 3-8% of the time). `black_box` keeps the compiler from
/// merging the allocation and the fill back into a zeroed allocation.
fn filled<T: Copy>(len: usize, value: T) -> Vec<T> {
    let mut v = std::hint::black_box(Vec::with_capacity(len));
    v.resize(len, value);
    v
}

/// The validity of `rows` rows of which the `count` in `present` (increasing) have values;
/// `None` when all do.
fn nulls(present: impl Iterator<Item = u32>, count: usize, rows: usize) -> Option<NullBuffer> {
    if count == rows {
        return None;
    }
    let mut bits = filled(rows.div_ceil(8), 0u8);
    for r in present {
        bits[r as usize / 8] |= 1 << (r % 8);
    }
    Some(NullBuffer::new(BooleanBuffer::new(
        Buffer::from_vec(bits),
        0,
        rows,
    )))
}

/// The offsets and validity of `rows` rows of which those in `cells` (row, end; both
/// increasing) have values: a row without one ends where the value before it does.
fn row_offsets(cells: &[(u32, u32)], rows: usize) -> (Vec<i32>, Option<NullBuffer>) {
    let nulls = nulls(cells.iter().map(|c| c.0), cells.len(), rows);
    let mut offsets: Vec<i32> = Vec::with_capacity(rows + 1);
    offsets.push(0);
    match &nulls {
        // Every row has a value: the offsets are the values' ends.
        None => offsets.extend(cells.iter().map(|&(_, end)| end as i32)),
        // A row ends where the last value at or before it ends: the `k`th value's end,
        // `k` counting the valid rows so far (0 before the first value). Counted from the
        // validity bits, without a branch per row: whether a row has a value is as good
        // as random, and a branch on it (a running maximum over the ends compiles to one)
        // missed half the time.
        //
        // A wide table's columns are mostly empty or mostly full, so 64 rows at a time
        // come first: a run of 64 rows without values repeats the last end, one with 64
        // values copies their ends.
        Some(valid) => {
            let mut ends = Vec::with_capacity(cells.len() + 1);
            ends.push(0i32);
            ends.extend(cells.iter().map(|&(_, end)| end as i32));
            debug_assert_eq!(valid.offset(), 0);
            let bits = valid.inner().values();
            let mut k = 0usize;
            let (whole, rest) = bits.split_at(rows / 64 * 8);
            for word in whole.chunks_exact(8) {
                let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
                match word {
                    0 => offsets.resize(offsets.len() + 64, ends[k]),
                    u64::MAX => {
                        offsets.extend_from_slice(&ends[k + 1..k + 65]);
                        k += 64;
                    }
                    _ => offsets.extend((0..64).map(|bit| {
                        k += (word >> bit & 1) as usize;
                        ends[k]
                    })),
                }
            }
            offsets.extend((0..rows % 64).map(|r| {
                k += usize::from(rest[r / 8] >> (r % 8) & 1);
                ends[k]
            }));
        }
    }
    (offsets, nulls)
}

/// Bytes [`StrColumn::push_slice`] copies at once for a short value, and so the spare
/// capacity it needs after the text.
const WORD: usize = 32;

/// A `Utf8` column under construction.
#[derive(Debug, Default)]
pub(crate) struct StrColumn {
    /// Row of each value (increasing) and where its text ends in `values`.
    cells: Vec<(u32, u32)>,
    /// The values' text, concatenated.
    values: Vec<u8>,
}

impl StrColumn {
    /// Values appended since the last [`StrColumn::finish`].
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Bytes of text appended since the last [`StrColumn::finish`].
    pub fn bytes(&self) -> usize {
        self.values.len()
    }

    /// The text buffer, to append one value's text to in place; [`StrColumn::commit`] ends it.
    /// The text appended must be valid UTF-8.
    #[inline(always)]
    pub fn text(&mut self) -> &mut Vec<u8> {
        &mut self.values
    }

    /// Ends the value whose text was appended through [`StrColumn::text`], at `row` (after the
    /// rows of the values before it).
    #[inline(always)]
    pub fn commit(&mut self, row: u32) {
        debug_assert!(self.cells.last().is_none_or(|&(r, _)| r < row));
        self.cells.push((row, self.values.len() as u32));
    }

    /// Appends `s` at `row`.
    #[inline(always)]
    pub fn push(&mut self, row: u32, s: &str) {
        self.values.extend_from_slice(s.as_bytes());
        self.commit(row);
    }

    /// Appends `buf[start..end]`, which must be valid UTF-8, at `row`. Short values are
    /// copied as 32 bytes (two 16-byte words) where `buf` has 32 bytes from `start`, with no
    /// `memcpy` call and no branch on the length below 32, which most values have (at 16 the
    /// branch was mispredicted for about one string value in six in callgrind's model).
    #[inline(always)]
    pub fn push_slice(&mut self, row: u32, buf: &[u8], start: usize, end: usize) {
        let n = end - start;
        if n <= WORD && start + WORD <= buf.len() {
            self.values.reserve(WORD);
            let len = self.values.len();
            // SAFETY: `start + WORD <= buf.len()`, so WORD bytes can be read at `start`;
            // `reserve` made room for WORD bytes after `len`, which are written (the `n` that
            // belong to the value become part of it, the rest stay spare capacity). The regions
            // cannot overlap: `values` is owned by the column.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    buf.as_ptr().add(start),
                    self.values.as_mut_ptr().add(len),
                    WORD,
                );
                self.values.set_len(len + n);
            }
        } else {
            self.values.extend_from_slice(&buf[start..end]);
        }
        self.commit(row);
    }

    /// The `rows` rows appended so far as an array (rows without a value are null); the
    /// column is left empty, with room for `next_values` values and `next_bytes` bytes, plus
    /// the [`WORD`] that a short value's copy needs after the text: without it, a column whose
    /// text in the next batch grew by less than that doubled its buffer at its last value.
    ///
    /// # Panics
    /// When the text passes 2 GiB (`i32` offsets), like Arrow's `StringBuilder`. The decoder
    /// closes batches long before (`MAX_BATCH_BYTES`).
    pub fn finish(&mut self, rows: usize, next_values: usize, next_bytes: usize) -> StringArray {
        debug_assert!(std::str::from_utf8(&self.values).is_ok());
        debug_assert!(self.cells.last().is_none_or(|&(r, _)| (r as usize) < rows));
        i32::try_from(self.values.len()).expect("byte array offset overflow");
        let (offsets, nulls) = row_offsets(&self.cells, rows);
        let values = std::mem::replace(&mut self.values, Vec::with_capacity(next_bytes + WORD));
        self.cells.clear();
        self.cells.reserve(next_values);
        // SAFETY: the offsets start at 0, never decrease and end at `values.len()` (each value
        // end is the length of `values` after an append, and the last one is the whole
        // length), and `values` is a concatenation of UTF-8 texts (checked in debug builds),
        // so every slice between two offsets is valid UTF-8.
        unsafe {
            let offsets = OffsetBuffer::new_unchecked(ScalarBuffer::from(offsets));
            StringArray::new_unchecked(offsets, Buffer::from_vec(values), nulls)
        }
    }
}

/// A `List<Utf8>` column under construction: like [`StrColumn`], each value (a list) is
/// stored with its row, and its items' text is concatenated. Arrow's `ListBuilder` took a call
/// per item and per list, and nulls for every row without a list; it also started each batch
/// with no room.
#[derive(Debug, Default)]
pub(crate) struct ListColumn {
    /// Row of each list (increasing) and the number of items up to its end.
    cells: Vec<(u32, u32)>,
    /// Where each item's text ends in `values`.
    items: Vec<u32>,
    /// Indices of the items that are null (JSON `null` elements, rare).
    null_items: Vec<u32>,
    values: Vec<u8>,
}

impl ListColumn {
    /// Lists appended since the last [`ListColumn::finish`].
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Items appended since the last [`ListColumn::finish`].
    pub fn items(&self) -> usize {
        self.items.len()
    }

    /// Bytes of item text appended since the last [`ListColumn::finish`].
    pub fn bytes(&self) -> usize {
        self.values.len()
    }

    /// The text buffer, to append an item's text to in place (valid UTF-8);
    /// [`ListColumn::end_item`] ends the item.
    #[inline]
    pub fn text(&mut self) -> &mut Vec<u8> {
        &mut self.values
    }

    /// Ends the item whose text was appended through [`ListColumn::text`].
    #[inline]
    pub fn end_item(&mut self) {
        self.items.push(self.values.len() as u32);
    }

    /// Appends a null item.
    pub fn null_item(&mut self) {
        self.null_items.push(self.items.len() as u32);
        self.end_item();
    }

    /// Ends the list whose items were appended since the last one, at `row` (after the rows
    /// of the lists before it).
    #[inline]
    pub fn commit(&mut self, row: u32) {
        debug_assert!(self.cells.last().is_none_or(|&(r, _)| r < row));
        self.cells.push((row, self.items.len() as u32));
    }

    /// The `rows` rows appended so far as a list array whose items are `item` (a nullable
    /// `Utf8` field); rows without a list are null. The column is left empty, with room for
    /// `next` lists, items and bytes.
    ///
    /// # Panics
    /// When the text passes 2 GiB (`i32` offsets), or `item` is not a `Utf8` field.
    pub fn finish(
        &mut self,
        item: FieldRef,
        rows: usize,
        next: (usize, usize, usize),
    ) -> ListArray {
        debug_assert!(std::str::from_utf8(&self.values).is_ok());
        debug_assert!(self.cells.last().is_none_or(|&(r, _)| (r as usize) < rows));
        i32::try_from(self.values.len()).expect("byte array offset overflow");
        let (offsets, nulls) = row_offsets(&self.cells, rows);
        let count = self.items.len();
        let item_nulls = (!self.null_items.is_empty()).then(|| {
            let mut valid = filled(count, true);
            for &i in &self.null_items {
                valid[i as usize] = false;
            }
            NullBuffer::from(valid)
        });
        let mut item_offsets = Vec::with_capacity(count + 1);
        item_offsets.push(0i32);
        item_offsets.extend(self.items.iter().map(|&end| end as i32));
        let values = std::mem::replace(&mut self.values, Vec::with_capacity(next.2));
        self.cells.clear();
        self.cells.reserve(next.0);
        self.items.clear();
        self.items.reserve(next.1);
        self.null_items.clear();
        // SAFETY: as in `StrColumn::finish`: the item offsets start at 0, never decrease and
        // end at `values.len()`, and `values` is a concatenation of UTF-8 texts; the list
        // offsets are item counts, never decreasing, the last one `count`.
        let (strings, offsets) = unsafe {
            let item_offsets = OffsetBuffer::new_unchecked(ScalarBuffer::from(item_offsets));
            (
                StringArray::new_unchecked(item_offsets, Buffer::from_vec(values), item_nulls),
                OffsetBuffer::new_unchecked(ScalarBuffer::from(offsets)),
            )
        };
        ListArray::new(item, offsets, Arc::new(strings), nulls)
    }
}

/// A column of fixed-width values (integers, floats, timestamps, booleans) under construction.
#[derive(Debug, Default)]
pub(crate) struct FixedColumn<T> {
    /// Row of each value, increasing.
    rows: Vec<u32>,
    values: Vec<T>,
}

impl<T: Copy + Default> FixedColumn<T> {
    /// Values appended since the last finish.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Appends `v` at `row` (after the rows of the values before it).
    #[inline(always)]
    pub fn push(&mut self, row: u32, v: T) {
        debug_assert!(self.rows.last().is_none_or(|&r| r < row));
        self.rows.push(row);
        self.values.push(v);
    }

    /// The values of `rows` rows (a default where a row has none) and their validity; the
    /// column is left empty with room for `next_values` values.
    fn take(&mut self, rows: usize, next_values: usize) -> (Vec<T>, Option<NullBuffer>) {
        debug_assert!(self.rows.last().is_none_or(|&r| (r as usize) < rows));
        let dense = if self.rows.len() == rows {
            std::mem::replace(&mut self.values, Vec::with_capacity(next_values))
        } else {
            // Filled with defaults, then each value written at its row: no branch per value
            // (whether a row has one is often random).
            let mut dense = filled(rows, T::default());
            for (&row, &v) in self.rows.iter().zip(&self.values) {
                dense[row as usize] = v;
            }
            self.values.clear();
            self.values.reserve(next_values);
            dense
        };
        let nulls = nulls(self.rows.iter().copied(), self.rows.len(), rows);
        self.rows.clear();
        self.rows.reserve(next_values);
        (dense, nulls)
    }
}

impl<T: arrow_buffer::ArrowNativeType> FixedColumn<T> {
    /// The `rows` rows appended so far as a primitive array of type `P`.
    pub fn finish<P>(&mut self, rows: usize, next_values: usize) -> PrimitiveArray<P>
    where
        P: ArrowPrimitiveType<Native = T>,
    {
        let (dense, nulls) = self.take(rows, next_values);
        PrimitiveArray::new(ScalarBuffer::from(dense), nulls)
    }
}

impl FixedColumn<bool> {
    /// The `rows` rows appended so far as a boolean array.
    pub fn finish_bool(&mut self, rows: usize, next_values: usize) -> BooleanArray {
        let (dense, nulls) = self.take(rows, next_values);
        BooleanArray::new(BooleanBuffer::from(dense), nulls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::{BooleanBuilder, Int64Builder, StringBuilder};
    use arrow_array::types::Int64Type;
    use arrow_array::Array;

    /// Rows as the table builder fills them: some with a value, the rest null.
    fn patterns() -> Vec<Vec<Option<u32>>> {
        vec![
            vec![],
            vec![Some(7)],
            vec![None, None, None],
            vec![Some(1), Some(2), Some(3)],
            (0..70).map(|i| (i % 3 == 0).then_some(i)).collect(),
            (0..70).map(|i| (i % 17 == 5).then_some(i)).collect(),
            (0..9).map(|i| (i != 8).then_some(i)).collect(),
            (0..9).map(|i| (i != 0).then_some(i)).collect(),
            // Runs of 64 rows that are empty, full or mixed, and a partial run after them.
            (0..300)
                .map(|i| match i / 64 {
                    0 | 3 => (i % 5 == 1).then_some(i),
                    1 => None,
                    _ => Some(i),
                })
                .collect(),
            (0..128).map(|i| (i < 64).then_some(i)).collect(),
            (0..129).map(|i| (i >= 64).then_some(i)).collect(),
        ]
    }

    /// The same rows give arrays equal to Arrow's builders (values, nulls, and no null buffer
    /// when every row has a value), and the columns are reusable after `finish`.
    #[test]
    fn match_arrow_builders() {
        let words = [
            "",
            "é",
            "short",
            "exactly sixteen!",
            "a value longer than sixteen bytes",
            "a value of exactly 32 bytes: ok!",
            "a value longer than thirty-two bytes, copied by extend",
        ];
        let mut text = StrColumn::default();
        let mut ints = FixedColumn::<i64>::default();
        let mut flags = FixedColumn::<bool>::default();
        for rows in patterns() {
            let (mut s, mut i, mut b) = (
                StringBuilder::new(),
                Int64Builder::new(),
                BooleanBuilder::new(),
            );
            for (row, cell) in rows.iter().enumerate() {
                let row32 = row as u32;
                match cell {
                    Some(v) => {
                        let word = words[*v as usize % words.len()];
                        // Both ways of appending text: from a slice of a longer buffer (the
                        // 16-byte copy) and through `text` + `commit`.
                        if v % 2 == 0 {
                            let line = format!("{word}{}", "~".repeat(*v as usize % 20));
                            text.push_slice(row32, line.as_bytes(), 0, word.len());
                        } else {
                            text.text().extend_from_slice(word.as_bytes());
                            text.commit(row32);
                        }
                        s.append_value(word);
                        ints.push(row32, i64::from(*v) - 35);
                        i.append_value(i64::from(*v) - 35);
                        flags.push(row32, v % 2 == 1);
                        b.append_value(v % 2 == 1);
                    }
                    None => {
                        s.append_null();
                        i.append_null();
                        b.append_null();
                    }
                }
            }
            let n = rows.len();
            let (ours, theirs) = (text.finish(n, 4, 16), s.finish());
            assert_eq!(ours, theirs, "{rows:?}");
            assert_eq!(ours.nulls().is_some(), theirs.null_count() > 0, "{rows:?}");
            let (ours, theirs) = (ints.finish::<Int64Type>(n, 0), i.finish());
            assert_eq!(ours, theirs, "{rows:?}");
            assert_eq!(ours.nulls().is_some(), theirs.null_count() > 0, "{rows:?}");
            assert_eq!(flags.finish_bool(n, 1), b.finish(), "{rows:?}");
            assert_eq!(
                (text.len(), text.bytes(), ints.len(), flags.len()),
                (0, 0, 0, 0)
            );
        }
    }

    /// Lists (empty, with null items, long) at the rows of every pattern give the arrays of
    /// Arrow's `ListBuilder`, batch after batch.
    #[test]
    fn lists_match_arrow_builders() {
        use arrow_array::builder::ListBuilder;
        use arrow_schema::{DataType, Field};
        let item = Arc::new(Field::new("item", DataType::Utf8, true));
        let mut ours = ListColumn::default();
        for rows in patterns() {
            let mut theirs = ListBuilder::new(StringBuilder::new()).with_field(item.clone());
            for (row, cell) in rows.iter().enumerate() {
                let Some(v) = cell else {
                    theirs.append_null();
                    continue;
                };
                // `v % 4` items (none for some rows): nulls, and "é" repeated up to 12 times
                // (empty when `v % 7` is 0).
                for i in 0..v % 4 {
                    match (v + i) % 3 {
                        0 => {
                            ours.null_item();
                            theirs.values().append_null();
                        }
                        k => {
                            let text = "é".repeat(k as usize * (*v as usize % 7));
                            ours.text().extend_from_slice(text.as_bytes());
                            ours.end_item();
                            theirs.values().append_value(&text);
                        }
                    }
                }
                ours.commit(row as u32);
                theirs.append(true);
            }
            let (n, ours_array, theirs_array) = (
                rows.len(),
                ours.finish(item.clone(), rows.len(), (1, 2, 3)),
                theirs.finish(),
            );
            assert_eq!(ours_array, theirs_array, "{rows:?}");
            assert_eq!(ours_array.len(), n);
            assert_eq!(
                ours_array.nulls().is_some(),
                theirs_array.null_count() > 0,
                "{rows:?}"
            );
            assert_eq!((ours.len(), ours.items(), ours.bytes()), (0, 0, 0));
        }
    }

    /// A short value at the very end of its buffer is copied without reading past it.
    #[test]
    fn short_values_at_the_end_of_a_buffer() {
        let mut text = StrColumn::default();
        let line = b"{\"a\":\"xyz\"}";
        text.push_slice(0, line, 6, 9);
        text.push_slice(1, line, 0, line.len());
        text.push_slice(2, line, 11, 11);
        let array = text.finish(3, 0, 0);
        assert_eq!(array.value(0), "xyz");
        assert_eq!(array.value(1), "{\"a\":\"xyz\"}");
        assert_eq!(array.value(2), "");
        assert_eq!(array.null_count(), 0);
    }
}
