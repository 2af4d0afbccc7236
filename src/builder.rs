//! Typed Arrow columns for one table, filled one record at a time.

use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::types::{Float64Type, Int64Type, TimestampMillisecondType};
use arrow_array::{new_null_array, ArrayRef, RecordBatch, StructArray};
use arrow_buffer::NullBufferBuilder;
use arrow_schema::{DataType, SchemaRef};

use crate::coerce::{self, Coerced};
use crate::column::{FixedColumn, ListColumn, StrColumn};
use crate::json::{self, Entry, Kind, Span};
use crate::limits::Limits;
use crate::schema::{registry, ColumnKind, Table, Target, NO_COLUMN};

/// `supporting_data`: `{data_type, data_values[]}` as a struct.
struct SupportingDataBuilder {
    data_type: StringBuilder,
    /// Not padded: a row without a list is null in it.
    data_values: ListColumn,
    validity: NullBufferBuilder,
}

/// An Arrow builder that takes every row (nulls included), and the rows it holds: a column
/// absent from a record is padded with nulls when it next gets a value, or when the batch ends.
/// Used for the rare `supporting_data` struct; the others are [`StrColumn`], [`ListColumn`]
/// and [`FixedColumn`].
struct Padded<B> {
    builder: B,
    filled: usize,
}

impl<B: AppendNulls> Padded<B> {
    fn new(builder: B) -> Self {
        Padded { builder, filled: 0 }
    }

    /// Pads with nulls up to `row` (exclusive).
    fn pad_to(&mut self, row: usize) {
        if self.filled < row {
            self.builder.append_nulls(row - self.filled);
            self.filled = row;
        }
    }

    /// Pads to `rows` and starts the next batch; the builder holds the batch's rows.
    fn end_batch(&mut self, rows: usize) -> &mut B {
        self.pad_to(rows);
        self.filled = 0;
        &mut self.builder
    }
}

/// The builders a [`Padded`] column can hold.
trait AppendNulls {
    fn append_nulls(&mut self, n: usize);
}

impl AppendNulls for SupportingDataBuilder {
    fn append_nulls(&mut self, n: usize) {
        self.data_type.append_nulls(n);
        self.validity.append_n_nulls(n);
    }
}

/// One column's values for the batch being built.
///
/// The larger builders are boxed, so that the enum is no larger than a [`StrColumn`] or a
/// [`FixedColumn`] and its tag (56 bytes, not 96): each record reads the builder of every field it has,
/// and a table's builders then take ~15 KB of the L1 data cache, not ~26 KB. Boxing
/// [`ListColumn`] cut decoding's simulated L1 misses by 2.5% and its instructions by 0.7%
/// (cachegrind, 8 MB of the mixed corpus); its fastest runs were 1.00x-1.04x as fast in four
/// interleaved series (medians 0.97x-1.05x: within the machine's noise).
enum ColumnBuilder {
    /// `ColumnKind::String`.
    Str(StrColumn),
    /// `ColumnKind::Json`.
    Json(StrColumn),
    I64(FixedColumn<i64>),
    F64(FixedColumn<f64>),
    Bool(FixedColumn<bool>),
    /// `Timestamp(ms, UTC)`.
    Ts(FixedColumn<i64>),
    /// `_src_time_local`: filled from `src_time`, never from a key of its own.
    LocalTs(FixedColumn<i64>),
    /// `ColumnKind::StringList` (boxed: 96 bytes).
    List(Box<ListColumn>),
    Support(Box<Padded<SupportingDataBuilder>>),
}

// Unboxing a large builder would make every column's builder as large (see `ColumnBuilder`).
const _: () = assert!(std::mem::size_of::<ColumnBuilder>() <= 56);

impl ColumnBuilder {
    fn new(kind: ColumnKind) -> Self {
        match kind {
            ColumnKind::String => ColumnBuilder::Str(StrColumn::default()),
            ColumnKind::Json => ColumnBuilder::Json(StrColumn::default()),
            ColumnKind::Int64 => ColumnBuilder::I64(FixedColumn::default()),
            ColumnKind::Float64 => ColumnBuilder::F64(FixedColumn::default()),
            ColumnKind::Bool => ColumnBuilder::Bool(FixedColumn::default()),
            ColumnKind::Timestamp => ColumnBuilder::Ts(FixedColumn::default()),
            ColumnKind::LocalTimestamp => ColumnBuilder::LocalTs(FixedColumn::default()),
            ColumnKind::StringList => ColumnBuilder::List(Box::default()),
            ColumnKind::SupportingData => {
                ColumnBuilder::Support(Box::new(Padded::new(SupportingDataBuilder {
                    data_type: StringBuilder::new(),
                    data_values: ListColumn::default(),
                    validity: NullBufferBuilder::new(0),
                })))
            }
        }
    }

    /// Values appended in this batch (rows for the padded kinds).
    fn len(&self) -> usize {
        match self {
            ColumnBuilder::Str(c) | ColumnBuilder::Json(c) => c.len(),
            ColumnBuilder::I64(c) | ColumnBuilder::Ts(c) | ColumnBuilder::LocalTs(c) => c.len(),
            ColumnBuilder::F64(c) => c.len(),
            ColumnBuilder::Bool(c) => c.len(),
            ColumnBuilder::List(c) => c.len(),
            ColumnBuilder::Support(p) => p.filled,
        }
    }

    /// The batch's `rows` rows as an array; the column is left empty, with room for the next
    /// batch: `scale(n)` of this batch's `n` values (and bytes of text).
    fn finish(
        &mut self,
        data_type: &DataType,
        rows: usize,
        scale: impl Fn(usize) -> usize,
    ) -> ArrayRef {
        if self.len() == 0 {
            // Nothing in this batch (common in wide tables): no buffers to fill.
            return new_null_array(data_type, rows);
        }
        let next = scale(self.len());
        match self {
            ColumnBuilder::Str(c) | ColumnBuilder::Json(c) => {
                let bytes = scale(c.bytes());
                Arc::new(c.finish(rows, next, bytes))
            }
            ColumnBuilder::I64(c) => Arc::new(c.finish::<Int64Type>(rows, next)),
            ColumnBuilder::F64(c) => Arc::new(c.finish::<Float64Type>(rows, next)),
            ColumnBuilder::Bool(c) => Arc::new(c.finish_bool(rows, next)),
            ColumnBuilder::Ts(c) => Arc::new(
                c.finish::<TimestampMillisecondType>(rows, next)
                    .with_data_type(data_type.clone()),
            ),
            ColumnBuilder::LocalTs(c) => Arc::new(c.finish::<TimestampMillisecondType>(rows, next)),
            ColumnBuilder::List(c) => Arc::new(finish_list(c, data_type, rows, scale)),
            ColumnBuilder::Support(p) => {
                let s = p.end_batch(rows);
                let DataType::Struct(fields) = data_type else {
                    unreachable!("supporting_data is a struct column")
                };
                let values = finish_list(&mut s.data_values, fields[1].data_type(), rows, scale);
                let children: Vec<ArrayRef> =
                    vec![Arc::new(s.data_type.finish()), Arc::new(values)];
                Arc::new(StructArray::new(
                    fields.clone(),
                    children,
                    s.validity.finish(),
                ))
            }
        }
    }
}

/// [`ListColumn::finish`] for a column of type `data_type` (a list), with room for `scale` of
/// this batch's lists, items and text in the next.
fn finish_list(
    c: &mut ListColumn,
    data_type: &DataType,
    rows: usize,
    scale: impl Fn(usize) -> usize,
) -> arrow_array::ListArray {
    let DataType::List(item) = data_type else {
        unreachable!("a ListColumn's column type is a list")
    };
    let next = (scale(c.len()), scale(c.items()), scale(c.bytes()));
    c.finish(item.clone(), rows, next)
}

/// Reusable scratch space for one record.
pub(crate) struct Scratch {
    /// Unescaped text of a value.
    pub text: String,
}

/// Views bytes the decoder has already validated as UTF-8.
///
/// Every slice passed here is cut from a line that passed UTF-8 validation (`Decoder::line`), at
/// ASCII boundaries (quotes, structural characters, whitespace), or was built from such slices by
/// `json::push_compact` / `json::unescape_into`; so it is valid UTF-8.
#[inline]
pub(crate) fn utf8(bytes: &[u8]) -> &str {
    debug_assert!(std::str::from_utf8(bytes).is_ok());
    // SAFETY: see above; `debug_assert` checks it in every debug-build test.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

/// Decodes a string span into `scratch` if it has escapes; borrows the line otherwise.
#[inline]
pub(crate) fn str_of<'a>(span: &Span, line: &'a [u8], scratch: &'a mut String) -> &'a str {
    if span.escaped {
        scratch.clear();
        json::unescape_into(line, span, scratch);
        scratch.as_str()
    } else {
        utf8(span.bytes(line))
    }
}

/// Whether a string holds JSON text of `kind` (used for arrays and objects sent as strings).
fn embedded_json(s: &str, limits: &Limits) -> Option<Span> {
    let t = s.trim_ascii();
    if !(t.starts_with('[') || t.starts_with('{')) {
        return None;
    }
    json::scan_value(s.as_bytes(), limits)
}

/// Column values for one table, a batch at a time.
pub(crate) struct TableBuilder {
    columns: Vec<ColumnBuilder>,
    /// The table's schema: the columns' types, in order, then `_extra`.
    schema: SchemaRef,
    /// For each global field id: the column it fills in this table ([`NO_COLUMN`] for none),
    /// and whether that column is a [`ColumnBuilder::Str`].
    targets: &'static [Target],
    /// The column of `src_time` (`usize::MAX` when the table has none) and of the
    /// `_src_time_local` parsed from it.
    src_time: usize,
    src_time_local: usize,
    extra: StrColumn,
    rows: usize,
    /// Input bytes of the rows appended (see [`TableBuilder::input_bytes`]).
    input_bytes: usize,
    /// Rows a full batch has: the most the next batch's columns are sized for.
    batch_rows: usize,
}

impl TableBuilder {
    /// Columns for `table`. Each batch after the first gets room for the values and text of
    /// the batch before, plus an eighth, scaled to at most `batch_rows` rows.
    pub fn new(table: Table, batch_rows: usize) -> Self {
        let def = &registry().tables[table.index()];
        let kept: Vec<&crate::schema::Column> = def
            .columns
            .iter()
            .filter(|c| c.name != crate::schema::EXTRA_COLUMN)
            .collect();
        let position = |name: &str| kept.iter().position(|c| c.name == name);
        let (src_time, src_time_local) = match (
            position("src_time"),
            position(crate::schema::SRC_TIME_LOCAL_COLUMN),
        ) {
            (Some(s), Some(l)) => (s, l),
            _ => (usize::MAX, usize::MAX),
        };
        TableBuilder {
            columns: kept.iter().map(|c| ColumnBuilder::new(c.kind)).collect(),
            schema: def.schema.clone(),
            targets: &def.targets,
            src_time,
            src_time_local,
            extra: StrColumn::default(),
            rows: 0,
            input_bytes: 0,
            batch_rows,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Bytes of input in the rows appended since the last batch. A column's text is at most 7
    /// times that (`_extra` writes a raw control character as a 6-byte `\u` escape, plus
    /// separators), which keeps it under Arrow's 2 GiB while this stays under `MAX_BATCH_BYTES`.
    pub fn input_bytes(&self) -> usize {
        self.input_bytes
    }

    /// Appends one record. Entries flagged `keep` (unknown keys, earlier duplicates), entries
    /// without a column in this table and entries whose values cannot be coerced (flagged here)
    /// go to `_extra`.
    pub fn append(
        &mut self,
        line: &[u8],
        entries: &mut [Entry],
        limits: &Limits,
        scratch: &mut Scratch,
    ) {
        let row = self.rows as u32;
        let mut cx = Context {
            line,
            limits,
            scratch,
        };
        let (first_extra, src_time) = append_entries(
            &mut self.columns,
            self.targets,
            self.src_time,
            entries,
            row,
            &mut cx,
        );
        if let Some(v) = src_time {
            // Derived column: `_src_time_local` from `src_time`.
            let parsed = (v.kind == Kind::String)
                .then(|| coerce::parse_src_time(str_of(&v, line, &mut cx.scratch.text)))
                .flatten();
            if let (Some(secs), ColumnBuilder::LocalTs(c)) =
                (parsed, &mut self.columns[self.src_time_local])
            {
                c.push(row, secs * 1000);
            }
        }
        if first_extra < entries.len() {
            // `_extra`: the flagged entries, in input order, as one JSON object.
            let buf = self.extra.text();
            let mut sep = b'{';
            for e in entries[first_extra..].iter().filter(|e| e.keep) {
                buf.push(sep);
                sep = b',';
                // A raw control character in a key is escaped too.
                json::push_token(e.key.token(line), Kind::String, buf);
                buf.push(b':');
                json::push_token(e.value.token(line), e.value.kind, buf);
            }
            buf.push(b'}');
            self.extra.commit(row);
        }
        self.rows += 1;
        self.input_bytes += line.len();
    }

    /// Finishes the rows appended so far into a batch and resets the columns.
    pub fn finish(&mut self) -> RecordBatch {
        let rows = self.rows;
        // The next batch is sized like this one, plus an eighth, for at most `batch_rows` rows.
        let next_rows = (rows + rows / 8).clamp(1, self.batch_rows.max(1));
        let scale = |n: usize| (n as u64 * next_rows as u64 / rows.max(1) as u64) as usize;
        let mut arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .zip(self.schema.fields())
            .map(|(c, field)| c.finish(field.data_type(), rows, scale))
            .collect();
        let (values, bytes) = (scale(self.extra.len()), scale(self.extra.bytes()));
        arrays.push(Arc::new(self.extra.finish(rows, values, bytes)));
        self.rows = 0;
        self.input_bytes = 0;
        RecordBatch::try_new(self.schema.clone(), arrays)
            .expect("builders match the table schema by construction")
    }
}

/// The entries of [`TableBuilder::append`] appended at `row`: the first that goes to `_extra`
/// (flagged `keep`; `entries.len()` for none), and the value of the `src_time` column
/// (`src_time`, `usize::MAX` for none). Unknown keys tend to come last (application events'
/// `x_*` keys), so `_extra` is written from the first of them rather than from the start.
///
/// The table's columns and targets are arguments, not fields read through `&mut self`: the
/// compiler then knows that writing a value cannot change them, and keeps them in registers
/// instead of loading them again for every entry.
#[inline(always)]
fn append_entries(
    columns: &mut [ColumnBuilder],
    targets: &[Target],
    src_time: usize,
    entries: &mut [Entry],
    row: u32,
    cx: &mut Context<'_>,
) -> (usize, Option<Span>) {
    let line = cx.line;
    let mut first_extra = entries.len();
    let mut src_time_value = None;
    for (i, e) in entries.iter_mut().enumerate() {
        if e.keep {
            first_extra = first_extra.min(i);
            continue;
        }
        // Entries without a field are flagged `keep` by the decoder.
        let target = targets[e.field as usize];
        if target.column == NO_COLUMN {
            e.keep = true;
            first_extra = first_extra.min(i);
            continue;
        }
        let c = target.column as usize;
        if c == src_time {
            src_time_value = Some(e.value);
        }
        // The common case first, decided from the target and the value alone, so that the
        // branch does not wait for the column's builder to be read (often a cache miss): a
        // string without escapes into a string column.
        if target.text && e.value.kind == Kind::String && !e.value.escaped {
            if let ColumnBuilder::Str(column) = &mut columns[c] {
                let v = &e.value;
                column.push_slice(row, line, v.start as usize, v.end as usize);
                continue;
            }
        }
        if !append_value(&mut columns[c], &e.value, row, cx) {
            e.keep = true;
            first_extra = first_extra.min(i);
        }
    }
    (first_extra, src_time_value)
}

/// What appending a record's values needs besides each value: the record's line, the limits
/// for JSON text inside values, scratch space.
struct Context<'a> {
    line: &'a [u8],
    limits: &'a Limits,
    scratch: &'a mut Scratch,
}

/// Appends `v` at `row` to `column`; returns false when the value must be kept in `_extra`
/// instead (nothing is appended then). An absent value (JSON `null`, a placeholder in a typed
/// column) appends nothing: the row stays null.
#[inline(always)]
fn append_value(column: &mut ColumnBuilder, v: &Span, row: u32, cx: &mut Context<'_>) -> bool {
    let line = cx.line;
    macro_rules! put {
        ($c:expr, $coerced:expr) => {
            match $coerced {
                Coerced::Value(x) => $c.push(row, x),
                Coerced::Null => {}
                Coerced::Keep => return false,
            }
        };
    }
    match column {
        ColumnBuilder::Str(c) => match v.kind {
            Kind::String if !v.escaped => c.push_slice(row, line, v.start as usize, v.end as usize),
            Kind::String => {
                json::unescape_span(line, v, c.text());
                c.commit(row);
            }
            Kind::Number => c.push_slice(row, line, v.start as usize, v.end as usize),
            Kind::True => c.push(row, "true"),
            Kind::False => c.push(row, "false"),
            Kind::Null => {}
            Kind::Object | Kind::Array => return false,
        },
        ColumnBuilder::Json(c) => append_json(c, v, row, cx),
        ColumnBuilder::I64(c) => put!(c, coerce::int64(v, line)),
        ColumnBuilder::F64(c) => put!(c, coerce::float64(v, line)),
        ColumnBuilder::Bool(c) => put!(c, coerce::boolean(v, line)),
        ColumnBuilder::Ts(c) => put!(c, coerce::timestamp(v, line)),
        ColumnBuilder::LocalTs(_) => return false,
        ColumnBuilder::List(p) => return append_list(p, v, row, cx),
        ColumnBuilder::Support(p) => return append_support(p, v, row, cx),
    }
    true
}

/// A `Json` column's value: compact JSON text (a string holding JSON is unwrapped).
#[inline(never)]
fn append_json(c: &mut StrColumn, v: &Span, row: u32, cx: &mut Context<'_>) {
    let (line, limits, scratch) = (cx.line, cx.limits, &mut *cx.scratch);
    match v.kind {
        Kind::Null => return,
        Kind::String if coerce::is_placeholder(v.bytes(line)) => return,
        Kind::String => {
            let s = str_of(v, line, &mut scratch.text);
            if embedded_json(s, limits).is_some() {
                json::push_compact(s.as_bytes(), c.text());
            } else {
                // The literal as sent, raw control characters escaped (strict JSON).
                json::push_compact(v.token(line), c.text());
            }
        }
        _ => json::push_compact(v.token(line), c.text()),
    }
    c.commit(row);
}

/// A `List<Utf8>` column's value: an array of scalars, or a string holding one.
#[inline(never)]
fn append_list(c: &mut ListColumn, v: &Span, row: u32, cx: &mut Context<'_>) -> bool {
    let (line, limits, scratch) = (cx.line, cx.limits, &mut *cx.scratch);
    match v.kind {
        Kind::Null => {}
        Kind::Array => {
            let token = v.token(line);
            json::array_elements(token, limits, |e| list_item(c, &e, token));
            c.commit(row);
        }
        Kind::String if coerce::is_placeholder(v.bytes(line)) => {}
        Kind::String => {
            let s = str_of(v, line, &mut scratch.text);
            match embedded_json(s, limits) {
                Some(inner) if inner.kind == Kind::Array => {
                    let token = inner.token(s.as_bytes());
                    json::array_elements(token, limits, |e| list_item(c, &e, token));
                    c.commit(row);
                }
                _ => return false,
            }
        }
        _ => return false,
    }
    true
}

/// Appends one element of a list as an item (`buf` holds the element's bytes): a scalar's
/// text, a nested value's compact JSON.
#[inline]
fn list_item(c: &mut ListColumn, v: &Span, buf: &[u8]) {
    match v.kind {
        Kind::Null => return c.null_item(),
        Kind::String if v.escaped => json::unescape_span(buf, v, c.text()),
        Kind::String | Kind::Number | Kind::True | Kind::False => {
            c.text().extend_from_slice(v.bytes(buf))
        }
        Kind::Object | Kind::Array => json::push_compact(v.bytes(buf), c.text()),
    }
    c.end_item();
}

/// The `supporting_data` struct column's value.
#[inline(never)]
fn append_support(
    p: &mut Padded<SupportingDataBuilder>,
    v: &Span,
    row: u32,
    cx: &mut Context<'_>,
) -> bool {
    let (line, limits, scratch) = (cx.line, cx.limits, &mut *cx.scratch);
    let null = match v.kind {
        Kind::Null => true,
        Kind::String if coerce::is_placeholder(v.bytes(line)) => true,
        Kind::Object => false,
        _ => return false,
    };
    let token = v.token(line);
    let mut data_type = None;
    let mut data_values = None;
    if !null {
        let mut fits = true;
        json::object_entries(token, limits, |k, val| match (k.bytes(token), val.kind) {
            (b"data_type", Kind::String | Kind::Null) if data_type.is_none() => {
                data_type = Some(val)
            }
            (b"data_values", Kind::Array | Kind::Null) if data_values.is_none() => {
                data_values = Some(val)
            }
            _ => fits = false,
        });
        if !fits {
            return false;
        }
    }
    p.pad_to(row as usize);
    let s = &mut p.builder;
    if null {
        s.data_type.append_null();
        s.validity.append_null();
    } else {
        match data_type {
            Some(dt) if dt.kind == Kind::String => {
                s.data_type
                    .append_value(str_of(&dt, token, &mut scratch.text))
            }
            _ => s.data_type.append_null(),
        }
        if let Some(dv) = data_values.filter(|dv| dv.kind == Kind::Array) {
            let inner = dv.token(token);
            json::array_elements(inner, limits, |e| list_item(&mut s.data_values, &e, inner));
            s.data_values.commit(row);
        }
        s.validity.append_non_null();
    }
    p.filled = row as usize + 1;
    true
}
