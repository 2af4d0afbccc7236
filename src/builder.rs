//! Typed Arrow column builders for one table, filled one record at a time.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, ListBuilder, StringBuilder,
    TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch, StructArray};
use arrow_buffer::NullBufferBuilder;
use arrow_schema::{Field, Fields};

use crate::coerce::{self, Coerced};
use crate::json::{self, Entry, Kind, Span};
use crate::limits::Limits;
use crate::schema::{registry, supporting_data_fields, ColumnKind, Table, UTC};
use crate::string_column::StringColumn;

/// `supporting_data`: `{data_type, data_values[]}` as a struct.
struct SupportingDataBuilder {
    data_type: StringBuilder,
    data_values: ListBuilder<StringBuilder>,
    validity: NullBufferBuilder,
}

enum ColumnBuilder {
    Str(StringColumn),
    I64(Int64Builder),
    F64(Float64Builder),
    Bool(BooleanBuilder),
    Ts(TimestampMillisecondBuilder),
    LocalTs(TimestampMillisecondBuilder),
    List(ListBuilder<StringBuilder>),
    Support(Box<SupportingDataBuilder>),
}

fn list_builder(capacity: usize) -> ListBuilder<StringBuilder> {
    ListBuilder::with_capacity(StringBuilder::new(), capacity).with_field(Arc::new(Field::new(
        "item",
        arrow_schema::DataType::Utf8,
        true,
    )))
}

impl ColumnBuilder {
    fn new(kind: ColumnKind, capacity: usize) -> Self {
        match kind {
            ColumnKind::String | ColumnKind::Json => {
                ColumnBuilder::Str(StringColumn::with_capacity(capacity, 0))
            }
            ColumnKind::Int64 => ColumnBuilder::I64(Int64Builder::with_capacity(capacity)),
            ColumnKind::Float64 => ColumnBuilder::F64(Float64Builder::with_capacity(capacity)),
            ColumnKind::Bool => ColumnBuilder::Bool(BooleanBuilder::with_capacity(capacity)),
            ColumnKind::Timestamp => ColumnBuilder::Ts(
                TimestampMillisecondBuilder::with_capacity(capacity).with_timezone(UTC),
            ),
            ColumnKind::LocalTimestamp => {
                ColumnBuilder::LocalTs(TimestampMillisecondBuilder::with_capacity(capacity))
            }
            ColumnKind::StringList => ColumnBuilder::List(list_builder(capacity)),
            ColumnKind::SupportingData => ColumnBuilder::Support(Box::new(SupportingDataBuilder {
                data_type: StringBuilder::new(),
                data_values: list_builder(capacity),
                validity: NullBufferBuilder::new(capacity),
            })),
        }
    }

    fn append_nulls(&mut self, n: usize) {
        match self {
            ColumnBuilder::Str(b) => b.append_nulls(n),
            ColumnBuilder::I64(b) => b.append_nulls(n),
            ColumnBuilder::F64(b) => b.append_nulls(n),
            ColumnBuilder::Bool(b) => b.append_nulls(n),
            ColumnBuilder::Ts(b) => b.append_nulls(n),
            ColumnBuilder::LocalTs(b) => b.append_nulls(n),
            ColumnBuilder::List(b) => b.append_nulls(n),
            ColumnBuilder::Support(s) => {
                s.data_type.append_nulls(n);
                s.data_values.append_nulls(n);
                s.validity.append_n_nulls(n);
            }
        }
    }

    /// Bytes of string data appended since the last `finish` (string columns only).
    fn value_bytes(&self) -> usize {
        match self {
            ColumnBuilder::Str(b) => b.values_slice().len(),
            _ => 0,
        }
    }

    /// Gives a finished builder (left empty, without capacity) room for `rows` rows and
    /// `bytes` bytes of string data, so that the next batch grows no buffer (growing them from
    /// nothing cost a realloc and a copy per doubling). Lists and structs keep growing.
    fn reserve(&mut self, rows: usize, bytes: usize) {
        match self {
            ColumnBuilder::Str(b) => *b = StringColumn::with_capacity(rows, bytes),
            ColumnBuilder::I64(b) => *b = Int64Builder::with_capacity(rows),
            ColumnBuilder::F64(b) => *b = Float64Builder::with_capacity(rows),
            ColumnBuilder::Bool(b) => *b = BooleanBuilder::with_capacity(rows),
            ColumnBuilder::Ts(b) => {
                *b = TimestampMillisecondBuilder::with_capacity(rows).with_timezone(UTC)
            }
            ColumnBuilder::LocalTs(b) => *b = TimestampMillisecondBuilder::with_capacity(rows),
            ColumnBuilder::List(_) | ColumnBuilder::Support(_) => {}
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Str(b) => Arc::new(b.finish()),
            ColumnBuilder::I64(b) => Arc::new(b.finish()),
            ColumnBuilder::F64(b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Ts(b) => Arc::new(b.finish()),
            ColumnBuilder::LocalTs(b) => Arc::new(b.finish()),
            ColumnBuilder::List(b) => Arc::new(b.finish()),
            ColumnBuilder::Support(s) => {
                let fields = Fields::from(supporting_data_fields());
                let children: Vec<ArrayRef> = vec![
                    Arc::new(s.data_type.finish()),
                    Arc::new(s.data_values.finish()),
                ];
                Arc::new(StructArray::new(fields, children, s.validity.finish()))
            }
        }
    }
}

/// Reusable scratch space for one record.
pub(crate) struct Scratch {
    pub text: String,
    pub bytes: Vec<u8>,
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
    let raw = span.bytes(line);
    if span.escaped {
        scratch.clear();
        json::unescape_into(raw, scratch);
        scratch.as_str()
    } else {
        utf8(raw)
    }
}

/// Appends one JSON element of a list (`buf` holds the element bytes).
fn append_list_item(
    list: &mut ListBuilder<StringBuilder>,
    v: &Span,
    buf: &[u8],
    scratch: &mut Scratch,
) {
    let values = list.values();
    match v.kind {
        Kind::Null => values.append_null(),
        Kind::String => values.append_value(str_of(v, buf, &mut scratch.text)),
        Kind::Number | Kind::True | Kind::False => values.append_value(utf8(v.bytes(buf))),
        Kind::Object | Kind::Array => {
            scratch.bytes.clear();
            json::push_compact(v.bytes(buf), &mut scratch.bytes);
            values.append_value(utf8(&scratch.bytes))
        }
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

/// One column's builder and how many rows it holds. Columns absent from a record are not
/// touched: they are padded with nulls when they next get a value, or when the batch ends, so a
/// record costs time in proportion to its keys, not to the table's width.
struct Column {
    builder: ColumnBuilder,
    kind: ColumnKind,
    filled: usize,
}

impl Column {
    #[inline]
    fn pad_to(&mut self, row: usize) {
        if self.filled < row {
            self.builder.append_nulls(row - self.filled);
            self.filled = row;
        }
    }
}

/// Builders for all columns of one table.
pub(crate) struct TableBuilder {
    table: Table,
    columns: Vec<Column>,
    /// Indexes of `_src_time_local` and of the `src_time` it is parsed from, when the table
    /// has them.
    src_time_local: Option<(usize, usize)>,
    extra: StringColumn,
    rows: usize,
    /// Rows a full batch has: the most the next batch's builders are sized for.
    batch_rows: usize,
}

impl TableBuilder {
    /// Builders for `table`, with room for `capacity` rows in the first batch. Each later
    /// batch gets room for the rows and string bytes of the batch before, plus an eighth, up
    /// to `batch_rows` rows.
    pub fn new(table: Table, capacity: usize, batch_rows: usize) -> Self {
        let def = &registry().tables[table.index()];
        let columns = def
            .columns
            .iter()
            .filter(|c| c.name != crate::schema::EXTRA_COLUMN)
            .map(|c| Column {
                builder: ColumnBuilder::new(c.kind, capacity),
                kind: c.kind,
                filled: 0,
            })
            .collect();
        let position = |name: &str| def.columns.iter().position(|c| c.name == name);
        let src_time_local =
            position(crate::schema::SRC_TIME_LOCAL_COLUMN).zip(position("src_time"));
        TableBuilder {
            table,
            columns,
            src_time_local,
            extra: StringColumn::with_capacity(capacity, 0),
            rows: 0,
            batch_rows,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Appends one record. `column_of(entry)` gives the column an entry fills in this table,
    /// `None` when the table has no such column. Entries flagged in `keep` (unknown keys, earlier
    /// duplicates), entries without a column and entries whose values cannot be coerced all go
    /// to `_extra`.
    pub fn append(
        &mut self,
        line: &[u8],
        entries: &[Entry],
        column_of: impl Fn(usize) -> Option<u16>,
        keep: &mut [bool],
        limits: &Limits,
        scratch: &mut Scratch,
    ) {
        let row = self.rows;
        let mut src_time = None;
        for (i, e) in entries.iter().enumerate() {
            if keep[i] {
                continue;
            }
            let Some(c) = column_of(i) else {
                keep[i] = true;
                continue;
            };
            let col = &mut self.columns[c as usize];
            col.pad_to(row);
            if append_value(&mut col.builder, col.kind, &e.value, line, limits, scratch) {
                col.filled = row + 1;
            } else {
                keep[i] = true;
            }
            if self.src_time_local.is_some_and(|(_, s)| s == c as usize) {
                src_time = Some(e.value);
            }
        }
        if let Some((c, _)) = self.src_time_local {
            // Derived column: `_src_time_local` from `src_time`.
            let parsed = src_time
                .filter(|v| v.kind == Kind::String)
                .and_then(|v| coerce::parse_src_time(str_of(&v, line, &mut scratch.text)));
            if let Some(secs) = parsed {
                let col = &mut self.columns[c];
                col.pad_to(row);
                if let ColumnBuilder::LocalTs(b) = &mut col.builder {
                    b.append_value(secs * 1000);
                    col.filled = row + 1;
                }
            }
        }
        // `_extra`: the flagged entries, in input order, as one JSON object.
        let buf = &mut scratch.bytes;
        buf.clear();
        for (i, e) in entries.iter().enumerate() {
            if !keep[i] {
                continue;
            }
            buf.push(if buf.is_empty() { b'{' } else { b',' });
            // Through push_compact: a raw control character in a key is escaped too.
            json::push_compact(e.key.token(line), buf);
            buf.push(b':');
            json::push_compact(e.value.token(line), buf);
        }
        if buf.is_empty() {
            self.extra.append_null();
        } else {
            buf.push(b'}');
            self.extra.append_value(utf8(buf));
        }
        self.rows += 1;
    }

    /// Finishes the rows appended so far into a batch and resets the builders.
    pub fn finish(&mut self) -> RecordBatch {
        let rows = self.rows;
        // The next batch is sized like this one, plus an eighth.
        let next = (rows + rows / 8).clamp(1, self.batch_rows.max(1));
        let scaled = |bytes: usize| (bytes as u64 * next as u64 / rows.max(1) as u64) as usize;
        let mut arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .map(|c| {
                c.pad_to(rows);
                c.filled = 0;
                let bytes = c.builder.value_bytes();
                let array = c.builder.finish();
                c.builder.reserve(next, scaled(bytes));
                array
            })
            .collect();
        let bytes = self.extra.values_slice().len();
        arrays.push(Arc::new(self.extra.finish()));
        self.extra = StringColumn::with_capacity(next, scaled(bytes));
        self.rows = 0;
        RecordBatch::try_new(self.table.schema(), arrays)
            .expect("builders match the table schema by construction")
    }
}

/// Appends `v` to `builder`; returns false when the value must be kept in `_extra` instead
/// (nothing is appended then).
fn append_value(
    builder: &mut ColumnBuilder,
    kind: ColumnKind,
    v: &Span,
    line: &[u8],
    limits: &Limits,
    scratch: &mut Scratch,
) -> bool {
    macro_rules! put {
        ($b:expr, $c:expr) => {
            match $c {
                Coerced::Value(x) => $b.append_value(x),
                Coerced::Null => $b.append_null(),
                Coerced::Keep => return false,
            }
        };
    }
    match (builder, kind) {
        (ColumnBuilder::Str(b), ColumnKind::String) => match v.kind {
            Kind::String => b.append_value(str_of(v, line, &mut scratch.text)),
            Kind::Number => b.append_value(utf8(v.bytes(line))),
            Kind::True => b.append_value("true"),
            Kind::False => b.append_value("false"),
            Kind::Null => b.append_null(),
            Kind::Object | Kind::Array => return false,
        },
        (ColumnBuilder::Str(b), _) => match v.kind {
            // Json columns.
            Kind::Null => b.append_null(),
            Kind::String => {
                if coerce::is_placeholder(v.bytes(line)) {
                    b.append_null();
                } else {
                    let s = str_of(v, line, &mut scratch.text);
                    if embedded_json(s, limits).is_some() {
                        scratch.bytes.clear();
                        json::push_compact(s.as_bytes(), &mut scratch.bytes);
                        b.append_value(utf8(&scratch.bytes));
                    } else {
                        // The literal as sent, raw control characters escaped (strict JSON).
                        scratch.bytes.clear();
                        json::push_compact(v.token(line), &mut scratch.bytes);
                        b.append_value(utf8(&scratch.bytes));
                    }
                }
            }
            _ => {
                scratch.bytes.clear();
                json::push_compact(v.token(line), &mut scratch.bytes);
                b.append_value(utf8(&scratch.bytes));
            }
        },
        (ColumnBuilder::I64(b), _) => put!(b, coerce::int64(v, line)),
        (ColumnBuilder::F64(b), _) => put!(b, coerce::float64(v, line)),
        (ColumnBuilder::Bool(b), _) => put!(b, coerce::boolean(v, line)),
        (ColumnBuilder::Ts(b), _) => put!(b, coerce::timestamp(v, line)),
        (ColumnBuilder::LocalTs(_), _) => return false,
        (ColumnBuilder::List(b), _) => match v.kind {
            Kind::Null => b.append_null(),
            Kind::Array => {
                let token = v.token(line);
                json::array_elements(token, limits, |e| append_list_item(b, &e, token, scratch));
                b.append(true);
            }
            Kind::String => {
                if coerce::is_placeholder(v.bytes(line)) {
                    b.append_null();
                } else {
                    let s = str_of(v, line, &mut scratch.text).to_owned();
                    match embedded_json(&s, limits) {
                        Some(inner) if inner.kind == Kind::Array => {
                            let token = inner.token(s.as_bytes());
                            json::array_elements(token, limits, |e| {
                                append_list_item(b, &e, token, scratch)
                            });
                            b.append(true);
                        }
                        _ => return false,
                    }
                }
            }
            _ => return false,
        },
        (ColumnBuilder::Support(s), _) => match v.kind {
            Kind::Null => {
                s.data_type.append_null();
                s.data_values.append_null();
                s.validity.append_null();
            }
            Kind::String if coerce::is_placeholder(v.bytes(line)) => {
                s.data_type.append_null();
                s.data_values.append_null();
                s.validity.append_null();
            }
            Kind::Object => {
                let token = v.token(line);
                let mut data_type = None;
                let mut data_values = None;
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
                match data_type {
                    Some(dt) if dt.kind == Kind::String => {
                        s.data_type
                            .append_value(str_of(&dt, token, &mut scratch.text))
                    }
                    _ => s.data_type.append_null(),
                }
                match data_values {
                    Some(dv) if dv.kind == Kind::Array => {
                        let inner = dv.token(token);
                        json::array_elements(inner, limits, |e| {
                            append_list_item(&mut s.data_values, &e, inner, scratch)
                        });
                        s.data_values.append(true);
                    }
                    _ => s.data_values.append_null(),
                }
                s.validity.append_non_null();
            }
            _ => return false,
        },
    }
    true
}
