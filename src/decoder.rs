//! The push decoder: NDJSON bytes in (in chunks of any size), typed record batches and rejects out.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

use arrow_array::RecordBatch;

use crate::builder::{Scratch, TableBuilder};
use crate::fields::FieldIds;
use crate::json::{self, Entry, Kind, NO_FIELD};
use crate::limits::Limits;
use crate::reject::Reject;
use crate::route::{route, RouteKeys, Truthy};
use crate::schema::{registry, Table};

/// Options of a [`Decoder`].
///
/// ```
/// use netskope_arrow::{DecoderOptions, Table};
/// let opts = DecoderOptions { table: Some(Table::Application), ..Default::default() };
/// assert_eq!(opts.batch_size, 8192);
/// ```
#[derive(Debug, Clone)]
pub struct DecoderOptions {
    /// Rows per output batch, at most (default 8192).
    pub batch_size: usize,
    /// Input bytes per output batch, at most (default 8 MiB, [`DEFAULT_BATCH_BYTES`]): a
    /// table's batch also closes before its rows would hold more than this many bytes of
    /// input lines. Wide records (application events are ~700 columns, ~3.8 KB a line) then
    /// make batches of ~2,000 rows, whose columns stay in the CPU's cache while they are
    /// built. Values over 256 MiB count as 256 MiB (a column's text must stay under Arrow's
    /// 2 GiB), and a record longer than the limit makes a batch of its own.
    pub batch_bytes: usize,
    /// Put every record into this table instead of routing it (for files whose endpoint is
    /// known, e.g. an export of `/events/application` that holds `alert: "yes"` rows).
    pub table: Option<Table>,
    /// Resource limits per line.
    pub limits: Limits,
}

impl Default for DecoderOptions {
    fn default() -> Self {
        DecoderOptions {
            batch_size: 8192,
            batch_bytes: DEFAULT_BATCH_BYTES,
            table: None,
            limits: Limits::default(),
        }
    }
}

/// Counters of a conversion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Rows written per table, indexed like [`Table::ALL`].
    pub rows: [u64; Table::ALL.len()],
    /// Lines (or envelope elements) that were rejected.
    pub rejects: u64,
    /// Lines holding only whitespace, skipped.
    pub blank_lines: u64,
    /// Bytes of (decompressed) input consumed.
    pub bytes_in: u64,
    /// Lines seen, blank ones included.
    pub lines: u64,
    /// Records that came out of an API response envelope (`{"ok":1,"result":[...]}`).
    pub unwrapped: u64,
}

impl Stats {
    /// Rows written to `table`.
    pub fn rows_in(&self, table: Table) -> u64 {
        self.rows[table.index()]
    }

    /// Rows written to all tables.
    pub fn total_rows(&self) -> u64 {
        self.rows.iter().sum()
    }

    /// Adds the counters of `other` (another decoder's share of the same input).
    pub fn add(&mut self, other: &Stats) {
        for (a, b) in self.rows.iter_mut().zip(other.rows) {
            *a += b;
        }
        self.rejects += other.rejects;
        self.blank_lines += other.blank_lines;
        self.bytes_in += other.bytes_in;
        self.lines += other.lines;
        self.unwrapped += other.unwrapped;
    }
}

/// Global ids of the fields routing looks at.
struct RouteIds {
    type_: Option<u16>,
    record_type: Option<u16>,
    alert: Option<u16>,
    alert_type: Option<u16>,
    dlp_match_info: Option<u16>,
    dlp_incident_id: Option<u16>,
}

/// Per-record working state, reused between records.
struct Row {
    entries: Vec<Entry>,
    fields: FieldIds,
    /// Per global field id: (generation, entry index) of its last entry in the current record.
    slots: Vec<(u32, u32)>,
    generation: u32,
    scratch: Scratch,
}

/// The default [`DecoderOptions::batch_bytes`]: 8 MiB, the size of the blocks the
/// multi-threaded readers decode (`ReadOptions::block_bytes`), so batches have about the same
/// size on any number of threads.
pub const DEFAULT_BATCH_BYTES: usize = 8 << 20;

/// The largest [`DecoderOptions::batch_bytes`], and the longest record
/// ([`Limits::max_line_bytes`] is at most this): a column's text, at most 7 times the input
/// (see `TableBuilder::input_bytes`), stays under Arrow's 2 GiB offsets.
pub(crate) const MAX_BATCH_BYTES: usize = 256 << 20;

/// A push decoder for Netskope NDJSON.
///
/// Feed bytes with [`Decoder::push`] in chunks of any size (records may be split across
/// chunks), call [`Decoder::finish`] at the end, and drain [`Decoder::next_batch`] and
/// [`Decoder::take_rejects`] as you go: memory stays bounded by the batch size and the longest
/// line.
///
/// ```
/// use netskope_arrow::{Decoder, DecoderOptions, Table};
/// let mut d = Decoder::new(DecoderOptions::default());
/// d.push(b"{\"type\":\"admin_audit_logs\",\"timestamp\":1736151783,\"us");
/// d.push(b"er\":\"a@example.com\"}\n\nnot json\n");
/// d.finish();
/// let (table, batch) = d.next_batch().unwrap();
/// assert_eq!(table, Table::Audit);
/// assert_eq!(batch.num_rows(), 1);
/// let rejects = d.take_rejects();
/// assert_eq!((rejects[0].line, rejects[0].offset), (3, 75));
/// assert_eq!(d.stats().blank_lines, 1);
/// ```
pub struct Decoder {
    options: DecoderOptions,
    builders: Vec<Option<TableBuilder>>,
    row: Row,
    route_ids: RouteIds,
    /// Bytes of an incomplete line carried over from the previous chunk.
    partial: Vec<u8>,
    /// Length of an over-long line being skipped (its first bytes are in `partial`).
    skipping: Option<u64>,
    /// A pretty-printed JSON document (a saved API response) being collected; see
    /// [`Decoder::push`].
    document: Option<Document>,
    /// Whether the current source has had a non-blank line.
    source_started: bool,
    source: Arc<str>,
    line_no: u64,
    /// Offset in the current source of the first byte not yet framed into a line.
    offset: u64,
    out: VecDeque<(Table, RecordBatch)>,
    rejects: Vec<Reject>,
    stats: Stats,
}

impl Decoder {
    /// Creates a decoder. The source name used in rejects is `<input>` until
    /// [`Decoder::start_source`] names one.
    pub fn new(mut options: DecoderOptions) -> Self {
        // Byte positions within a line or document are 32-bit; a record fits in a batch.
        let limits = &mut options.limits;
        limits.max_line_bytes = limits.max_line_bytes.min(MAX_BATCH_BYTES);
        limits.max_document_bytes = limits.max_document_bytes.min(u32::MAX as usize - 1);
        options.batch_bytes = options.batch_bytes.clamp(1, MAX_BATCH_BYTES);
        let reg = registry();
        let g = |name: &str| reg.global_id(name.as_bytes());
        Decoder {
            builders: (0..Table::ALL.len()).map(|_| None).collect(),
            row: Row {
                entries: Vec::new(),
                fields: FieldIds::new(),
                slots: vec![(0, 0); reg.field_names.len()],
                generation: 0,
                scratch: Scratch {
                    text: String::new(),
                },
            },
            route_ids: RouteIds {
                type_: g("type"),
                record_type: g("record_type"),
                alert: g("alert"),
                alert_type: g("alert_type"),
                dlp_match_info: g("dlp_match_info"),
                dlp_incident_id: g("dlp_incident_id"),
            },
            options,
            partial: Vec::new(),
            skipping: None,
            document: None,
            source_started: false,
            source: Arc::from("<input>"),
            line_no: 0,
            offset: 0,
            out: VecDeque::new(),
            rejects: Vec::new(),
            stats: Stats::default(),
        }
    }

    /// Ends the current source (its last line needs no newline) and starts counting lines and
    /// offsets of a new one, named `name` in rejects. Batches keep filling across sources.
    pub fn start_source(&mut self, name: &str) {
        self.end_source();
        self.source = Arc::from(name);
        self.line_no = 0;
        self.offset = 0;
        self.source_started = false;
    }

    /// Continues a source at a line boundary: the next byte pushed is at `offset` in `source`,
    /// after `line` lines; `started` says whether the source has had a non-blank line (only
    /// the first one can open a pretty-printed document). Used by the block pipeline, which
    /// decodes blocks of one source on several decoders.
    pub(crate) fn resume_source(
        &mut self,
        source: &Arc<str>,
        line: u64,
        offset: u64,
        started: bool,
    ) {
        debug_assert!(self.at_line_boundary());
        self.source = source.clone();
        self.line_no = line;
        self.offset = offset;
        self.source_started = started;
    }

    /// Where the decoder stands in the current source: lines read, offset of the next byte,
    /// whether a non-blank line was seen (see [`Decoder::resume_source`]).
    pub(crate) fn position(&self) -> (u64, u64, bool) {
        (self.line_no, self.offset, self.source_started)
    }

    /// Whether the current source is a pretty-printed document being collected.
    pub(crate) fn in_document(&self) -> bool {
        self.document.is_some()
    }

    /// Whether no line or document is in progress.
    pub(crate) fn at_line_boundary(&self) -> bool {
        self.partial.is_empty() && self.skipping.is_none() && self.document.is_none()
    }

    /// Processes the line left without a final newline, if any, or the document collected
    /// from the current source.
    pub fn end_source(&mut self) {
        if let Some(doc) = self.document.take() {
            self.document(doc);
        } else if self.skipping.is_some() || !self.partial.is_empty() {
            let partial = std::mem::take(&mut self.partial);
            self.line(&partial);
            self.partial = partial;
            self.partial.clear();
        }
    }

    /// Feeds a chunk of input.
    ///
    /// Input is NDJSON: one record per line. A source whose first non-blank line is a lone `{`
    /// or `[` is a pretty-printed JSON document instead (a saved API response, or an array of
    /// records): it is collected up to [`Limits::max_document_bytes`] and decoded when the
    /// source ends ([`Decoder::end_source`], [`Decoder::start_source`], [`Decoder::finish`]).
    pub fn push(&mut self, mut chunk: &[u8]) {
        self.stats.bytes_in += chunk.len() as u64;
        if self.document.is_some() {
            self.document_push(chunk);
            return;
        }
        if self.skipping.is_some() || !self.partial.is_empty() {
            match memchr::memchr(b'\n', chunk) {
                None => {
                    self.carry(chunk);
                    return;
                }
                Some(nl) => {
                    self.carry(&chunk[..nl]);
                    let partial = std::mem::take(&mut self.partial);
                    self.line(&partial);
                    self.partial = partial;
                    self.partial.clear();
                    self.offset += 1;
                    chunk = &chunk[nl + 1..];
                }
            }
        }
        while self.document.is_none() {
            let Some(nl) = memchr::memchr(b'\n', chunk) else {
                break;
            };
            self.line(&chunk[..nl]);
            self.offset += 1;
            chunk = &chunk[nl + 1..];
        }
        if self.document.is_some() {
            self.document_push(chunk);
        } else {
            self.carry(chunk);
        }
    }

    /// Adds bytes to the document being collected.
    fn document_push(&mut self, bytes: &[u8]) {
        let limits = &self.options.limits;
        let Some(doc) = &mut self.document else {
            return;
        };
        doc.len += bytes.len() as u64;
        if let Some(&last) = bytes.last() {
            doc.last_byte = last;
        }
        if doc.len > limits.max_document_bytes as u64 {
            let room = limits.max_reject_raw_bytes.saturating_sub(doc.bytes.len());
            let keep = room.min(bytes.len());
            doc.bytes.extend_from_slice(&bytes[..keep]);
            // Lines are counted over the bytes not kept too.
            doc.dropped_newlines += memchr::memchr_iter(b'\n', &bytes[keep..]).count() as u64;
        } else {
            doc.bytes.extend_from_slice(bytes);
        }
    }

    /// Decodes a collected document: an API response envelope, an array of records, or one
    /// record.
    fn document(&mut self, doc: Document) {
        let bytes = &doc.bytes[..];
        let lines = memchr::memchr_iter(b'\n', bytes).count() as u64
            + doc.dropped_newlines
            + u64::from(doc.last_byte != b'\n');
        // The first line was counted when it was read.
        self.stats.lines += lines.saturating_sub(1);
        self.line_no = doc.line + lines.saturating_sub(1);
        let limits = self.options.limits.clone();
        if doc.len > limits.max_document_bytes as u64 {
            let msg = format!(
                "JSON document of {} bytes is larger than the limit of {} bytes (Limits::max_document_bytes)",
                doc.len, limits.max_document_bytes
            );
            self.reject(doc.line, doc.offset, msg, bytes, true);
            return;
        }
        let line_at =
            |pos: usize| doc.line + memchr::memchr_iter(b'\n', &bytes[..pos]).count() as u64;
        let scanned = match simdutf8::compat::from_utf8(bytes) {
            Err(e) => Err((e.valid_up_to(), "invalid UTF-8".to_string())),
            Ok(_) => json::scan_document(bytes, &limits)
                .map_err(|e| (e.position.min(bytes.len()), e.message)),
        };
        let value = match scanned {
            Ok(v) => v,
            Err((position, message)) => {
                let msg = format!(
                    "invalid JSON document: {message} (line {})",
                    line_at(position)
                );
                self.reject(doc.line, doc.offset, msg, bytes, false);
                return;
            }
        };
        let token = value.token(bytes);
        let base = value.start as usize;
        match value.kind {
            Kind::Array => self.records_in_array(bytes, value, doc.offset, doc.line, &limits),
            _ => {
                let mut entries = std::mem::take(&mut self.row.entries);
                match self.row.fields.scan(token, &limits, &mut entries) {
                    Ok(()) => match envelope(token, &entries) {
                        Some(records) => {
                            let records = json::Span {
                                start: records.start + base as u32,
                                end: records.end + base as u32,
                                ..records
                            };
                            self.records_in_array(bytes, records, doc.offset, doc.line, &limits)
                        }
                        None => {
                            let at = doc.offset + base as u64;
                            if !self.rejected_as_too_long(token, doc.line, at) {
                                self.record(token, &mut entries);
                            }
                        }
                    },
                    Err(e) => {
                        let msg = format!("{} (line {})", e.message, line_at(base + e.position));
                        self.reject(doc.line, doc.offset + base as u64, msg, token, false);
                    }
                }
                self.row.entries = entries;
            }
        }
    }

    /// Keeps the start of a line that continues in the next chunk.
    fn carry(&mut self, bytes: &[u8]) {
        if let Some(len) = &mut self.skipping {
            *len += bytes.len() as u64;
            return;
        }
        if self.partial.len() + bytes.len() > self.options.limits.max_line_bytes {
            let keep = self
                .options
                .limits
                .max_reject_raw_bytes
                .saturating_sub(self.partial.len())
                .min(bytes.len());
            self.skipping = Some((self.partial.len() + bytes.len()) as u64);
            self.partial.extend_from_slice(&bytes[..keep]);
            self.partial
                .truncate(self.options.limits.max_reject_raw_bytes);
            return;
        }
        self.partial.extend_from_slice(bytes);
    }

    /// Flushes everything: the last unterminated line and all partly filled batches.
    pub fn finish(&mut self) {
        self.end_source();
        self.flush_all();
    }

    /// Finishes the partly filled batches of every table, without ending the source (a line
    /// in progress stays in progress).
    pub(crate) fn flush_all(&mut self) {
        for t in Table::ALL {
            self.flush_table(t);
        }
    }

    /// The next finished batch, if any.
    pub fn next_batch(&mut self) -> Option<(Table, RecordBatch)> {
        self.out.pop_front()
    }

    /// Takes the rejects collected so far.
    pub fn take_rejects(&mut self) -> Vec<Reject> {
        std::mem::take(&mut self.rejects)
    }

    /// Counters so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The options this decoder was made with.
    pub fn options(&self) -> &DecoderOptions {
        &self.options
    }

    fn flush_table(&mut self, t: Table) {
        if let Some(b) = &mut self.builders[t.index()] {
            if b.rows() > 0 {
                let batch = b.finish();
                self.out.push_back((t, batch));
            }
        }
    }

    /// Records a reject. `raw` is the line without its `\n`; a final `\r` is dropped too.
    /// `truncated` says that `raw` is already only the start of the line.
    fn reject(&mut self, line: u64, offset: u64, error: String, raw: &[u8], truncated: bool) {
        let raw = if truncated {
            raw
        } else {
            raw.strip_suffix(b"\r").unwrap_or(raw)
        };
        let max = self.options.limits.max_reject_raw_bytes;
        let cut = raw.len() > max;
        self.stats.rejects += 1;
        self.rejects.push(Reject {
            source: self.source.clone(),
            line,
            offset,
            error,
            raw: raw[..raw.len().min(max)].to_vec(),
            raw_truncated: truncated || cut,
        });
    }

    /// Handles one complete line (without its `\n`). Advances `offset` past it.
    fn line(&mut self, raw_line: &[u8]) {
        self.line_no += 1;
        self.stats.lines += 1;
        let start = self.offset;
        self.offset += match self.skipping {
            Some(len) => len,
            None => raw_line.len() as u64,
        };
        let too_long = match self.skipping.take() {
            Some(len) => Some(len),
            None if raw_line.len() > self.options.limits.max_line_bytes => {
                Some(raw_line.len() as u64)
            }
            None => None,
        };
        if let Some(len) = too_long {
            let msg = too_long_reason("line", len, self.options.limits.max_line_bytes);
            let kept_all = raw_line.len() as u64 == len;
            self.reject(self.line_no, start, msg, raw_line, !kept_all);
            return;
        }
        let mut l = raw_line;
        if let Some(rest) = l.strip_suffix(b"\r") {
            l = rest;
        }
        let mut lead = 0u64;
        if let Some(rest) = l.strip_prefix(b"\xEF\xBB\xBF") {
            l = rest;
            lead = 3;
        }
        let kind = LineKind::of(l);
        if kind == LineKind::Blank {
            self.stats.blank_lines += 1;
            return;
        }
        if !std::mem::replace(&mut self.source_started, true) && kind == LineKind::Opener {
            let mut bytes = l.to_vec();
            bytes.push(b'\n');
            self.document = Some(Document {
                len: bytes.len() as u64,
                bytes,
                line: self.line_no,
                offset: start + lead,
                dropped_newlines: 0,
                last_byte: b'\n',
            });
            return;
        }
        if let Err(e) = simdutf8::compat::from_utf8(l) {
            let msg = format!(
                "invalid UTF-8 at byte {} of the line",
                e.valid_up_to() + lead as usize
            );
            self.reject(self.line_no, start, msg, raw_line, false);
            return;
        }
        let limits = self.options.limits.clone();
        let mut entries = std::mem::take(&mut self.row.entries);
        match self.row.fields.scan(l, &limits, &mut entries) {
            Err(e) => {
                let msg = format!(
                    "{} (at byte {} of the line)",
                    e.message,
                    e.position + lead as usize
                );
                self.reject(self.line_no, start, msg, raw_line, false);
            }
            Ok(()) => {
                if let Some(records) = envelope(l, &entries) {
                    self.records_in_array(l, records, start + lead, self.line_no, &limits);
                } else {
                    self.record(l, &mut entries);
                }
            }
        }
        self.row.entries = entries;
    }

    /// Each element of an array of records (a saved API response's `result` / `data`, or a
    /// document that is an array) becomes a record. `buf` starts at source offset `offset` and
    /// source line `line`.
    fn records_in_array(
        &mut self,
        buf: &[u8],
        array: json::Span,
        offset: u64,
        line: u64,
        limits: &Limits,
    ) {
        let token = array.token(buf);
        let base = array.start as usize;
        let mut elements = Vec::new();
        json::array_elements(token, limits, |e| elements.push(e));
        let mut entries = Vec::new();
        let (mut line, mut counted) = (line, 0usize);
        for e in elements {
            let bytes = e.token(token);
            let start = base + e.start as usize - usize::from(e.kind == Kind::String);
            line += memchr::memchr_iter(b'\n', &buf[counted..start]).count() as u64;
            counted = start;
            let at = offset + start as u64;
            if e.kind != Kind::Object {
                let msg = "array element is not a JSON object".to_string();
                self.reject(line, at, msg, bytes, false);
                continue;
            }
            if self.rejected_as_too_long(bytes, line, at) {
                continue;
            }
            match self.row.fields.scan(bytes, limits, &mut entries) {
                Ok(()) => {
                    self.stats.unwrapped += 1;
                    self.record(bytes, &mut entries);
                }
                Err(err) => self.reject(line, at, err.message, bytes, false),
            }
        }
    }

    /// Rejects a record taken from a pretty-printed document (not cut from a line, so not
    /// checked yet) that is longer than `max_line_bytes`; says whether it did.
    fn rejected_as_too_long(&mut self, record: &[u8], line: u64, offset: u64) -> bool {
        let limit = self.options.limits.max_line_bytes;
        if record.len() <= limit {
            return false;
        }
        let msg = too_long_reason("record", record.len() as u64, limit);
        self.reject(line, offset, msg, record, false);
        true
    }

    /// Routes and appends one scanned record.
    fn record(&mut self, line: &[u8], entries: &mut [Entry]) {
        let row = &mut self.row;
        row.generation = row.generation.wrapping_add(1);
        if row.generation == 0 {
            row.slots.iter_mut().for_each(|s| *s = (0, 0));
            row.generation = 1;
        }
        let gen = row.generation;
        for i in 0..entries.len() {
            let g = entries[i].field;
            if g == NO_FIELD {
                entries[i].keep = true;
                continue;
            }
            let slot = &mut row.slots[g as usize];
            if slot.0 == gen {
                // Duplicate key: the last value wins, earlier ones go to `_extra`.
                entries[slot.1 as usize].keep = true;
            }
            *slot = (gen, i as u32);
        }
        let table = match self.options.table {
            Some(t) => t,
            None => route_record(line, entries, &row.slots, gen, &self.route_ids),
        };
        let full = self.builders[table.index()]
            .as_ref()
            .is_some_and(|b| b.input_bytes() + line.len() > self.options.batch_bytes);
        if full {
            self.flush_table(table);
        }
        let batch_rows = self.options.batch_size;
        let builder = self.builders[table.index()]
            .get_or_insert_with(|| TableBuilder::new(table, batch_rows));
        builder.append(line, entries, &self.options.limits, &mut self.row.scratch);
        self.stats.rows[table.index()] += 1;
        if builder.rows() >= self.options.batch_size.max(1) {
            self.flush_table(table);
        }
    }
}

/// The table of a record whose entries' last occurrences are in `slots` (for `gen`).
fn route_record(
    line: &[u8],
    entries: &[Entry],
    slots: &[(u32, u32)],
    gen: u32,
    ids: &RouteIds,
) -> Table {
    let value = |id: Option<u16>| {
        let s = slots[id? as usize];
        (s.0 == gen)
            .then(|| entries[s.1 as usize].value)
            .filter(|v| v.kind != Kind::Null)
    };
    // String values, unescaped (escapes in these short values are rare).
    let text = |id: Option<u16>| -> Option<Cow<'_, [u8]>> {
        let v = value(id).filter(|v| v.kind == Kind::String)?;
        Some(if v.escaped {
            let mut text = Vec::new();
            json::unescape_span(line, &v, &mut text);
            Cow::Owned(text)
        } else {
            Cow::Borrowed(v.bytes(line))
        })
    };
    let alert = value(ids.alert).map(|v| match v.kind {
        Kind::True => Truthy::Yes,
        Kind::String => Truthy::from_str_bytes(&text(ids.alert).unwrap_or_default()),
        Kind::Number if v.bytes(line) == b"1" => Truthy::Yes,
        _ => Truthy::No,
    });
    let (type_, record_type, alert_type) =
        (text(ids.type_), text(ids.record_type), text(ids.alert_type));
    let keys = RouteKeys {
        type_: type_.as_deref(),
        record_type: record_type.as_deref(),
        alert,
        alert_type: alert_type.as_deref(),
        has_incident_fields: value(ids.dlp_match_info).is_some()
            || value(ids.dlp_incident_id).is_some(),
    };
    route(&keys)
}

/// The reason of a reject for a `what` ("line", "record") of `len` bytes over `limit`.
fn too_long_reason(what: &str, len: u64, limit: usize) -> String {
    format!(
        "{what} of {len} bytes is longer than the limit of {limit} bytes (Limits::max_line_bytes)"
    )
}

/// What a line (without `\n`, `\r` and BOM) is, for the start of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    /// Only spaces, tabs or `\r`: skipped.
    Blank,
    /// A lone `{` or `[`: as a source's first non-blank line, it opens a pretty-printed document.
    Opener,
    /// Anything else.
    Other,
}

impl LineKind {
    pub(crate) fn of(l: &[u8]) -> Self {
        if l.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r')) {
            LineKind::Blank
        } else if matches!(l.trim_ascii(), b"{" | b"[") {
            LineKind::Opener
        } else {
            LineKind::Other
        }
    }

    /// The kind of a raw line (without its `\n`) as [`Decoder`] sees it: a final `\r` and a
    /// leading BOM are dropped; `None` for a line over `max_line_bytes` (rejected unread).
    pub(crate) fn of_raw(raw: &[u8], max_line_bytes: usize) -> Option<Self> {
        if raw.len() > max_line_bytes {
            return None;
        }
        let l = raw.strip_suffix(b"\r").unwrap_or(raw);
        Some(Self::of(l.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(l)))
    }
}

/// A pretty-printed JSON document being collected.
struct Document {
    /// The document's bytes (only the first `max_reject_raw_bytes` once it is over the limit).
    bytes: Vec<u8>,
    /// Its full length.
    len: u64,
    /// Line and offset of its first line in the source.
    line: u64,
    offset: u64,
    /// Newlines in the bytes not kept (over the limit), and the last byte seen: the line
    /// count stays exact.
    dropped_newlines: u64,
    last_byte: u8,
}

/// Recognizes a saved API response: v2 `{"ok":1,"result":[...],"wait_time":..,"timestamp_hwm":..}`
/// or v1 `{"status":"success","msg":"","data":[...]}`. Returns the span of the record array.
fn envelope(line: &[u8], entries: &[Entry]) -> Option<json::Span> {
    const V2: &[&[u8]] = &[b"ok", b"result", b"wait_time", b"timestamp_hwm"];
    const V1: &[&[u8]] = &[b"status", b"msg", b"data"];
    if entries.is_empty() || entries.len() > 4 {
        return None;
    }
    let keys: Vec<&[u8]> = entries.iter().map(|e| e.key.bytes(line)).collect();
    let (allowed, marker, array) = if keys.contains(&&b"ok"[..]) {
        (V2, &b"ok"[..], &b"result"[..])
    } else {
        (V1, &b"status"[..], &b"data"[..])
    };
    if !keys.iter().all(|k| allowed.contains(k)) || !keys.contains(&marker) {
        return None;
    }
    entries
        .iter()
        .find(|e| e.key.bytes(line) == array && e.value.kind == Kind::Array)
        .map(|e| e.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of one table in each batch, and the rejects' lines and reasons.
    fn decode(d: &mut Decoder, input: &[u8]) -> (Vec<usize>, Vec<(u64, String)>) {
        d.push(input);
        d.finish();
        let rows = std::iter::from_fn(|| d.next_batch())
            .map(|(_, b)| b.num_rows())
            .collect();
        let rejects = d
            .take_rejects()
            .into_iter()
            .map(|r| (r.line, r.error))
            .collect();
        (rows, rejects)
    }

    /// A batch closes before its records would hold more than `batch_bytes` of input, so
    /// that no column's text can reach Arrow's 2 GiB offsets, however few rows it has.
    #[test]
    fn batches_close_on_input_bytes() {
        let line = |v: &str| format!("{{\"type\":\"admin_audit_logs\",\"user\":\"{v}\"}}\n");
        let rec = line("x").len();
        let bytes = |batch_bytes| {
            Decoder::new(DecoderOptions {
                batch_bytes,
                ..Default::default()
            })
        };
        // Three records, without their newlines.
        let input: String = (0..7).map(|_| line("x")).collect();
        assert_eq!(
            decode(&mut bytes(3 * (rec - 1)), input.as_bytes()).0,
            vec![3, 3, 1]
        );
        assert_eq!(
            decode(&mut bytes(3 * (rec - 1) - 1), input.as_bytes()).0,
            vec![2, 2, 2, 1]
        );
        // A record longer than the limit still makes a batch of its own.
        let input = format!("{}{}{}", line("x"), line(&"y".repeat(50)), line("x"));
        assert_eq!(decode(&mut bytes(rec), input.as_bytes()).0, vec![1, 1, 1]);
        assert_eq!(decode(&mut bytes(0), input.as_bytes()).0, vec![1, 1, 1]);
        // The default, and the cap that keeps text under 2 GiB.
        assert_eq!(DecoderOptions::default().batch_bytes, 8 << 20);
        assert_eq!(bytes(usize::MAX).options().batch_bytes, MAX_BATCH_BYTES);
        assert_eq!(bytes(0).options().batch_bytes, 1);
    }

    /// `max_line_bytes` is at most `MAX_BATCH_BYTES`, and records inside a pretty-printed
    /// document are held to it like lines.
    #[test]
    fn records_are_held_to_the_line_limit() {
        let options = |max_line_bytes| DecoderOptions {
            limits: Limits {
                max_line_bytes,
                ..Default::default()
            },
            ..Default::default()
        };
        let d = Decoder::new(options(usize::MAX));
        assert_eq!(d.options().limits.max_line_bytes, MAX_BATCH_BYTES);
        let big = format!(
            "{{\"type\":\"admin_audit_logs\",\"user\":\"{}\"}}",
            "y".repeat(60)
        );
        let small = "{\"type\":\"admin_audit_logs\"}";
        let doc = format!("{{\n\"ok\": 1,\n\"result\": [\n{small},\n{big}\n]\n}}\n");
        let (rows, rejects) = decode(&mut Decoder::new(options(40)), doc.as_bytes());
        assert_eq!(rows, vec![1]);
        assert_eq!(
            rejects,
            vec![(
                5,
                format!(
                    "record of {} bytes is longer than the limit of 40 bytes (Limits::max_line_bytes)",
                    big.len()
                )
            )]
        );
        // A document that is one record.
        let doc = big.replacen('{', "{\n", 1);
        let (rows, rejects) = decode(&mut Decoder::new(options(40)), doc.as_bytes());
        assert_eq!(rows, Vec::<usize>::new());
        assert_eq!(rejects.len(), 1);
        let want = format!("record of {} bytes is longer", doc.trim_end().len());
        assert!(rejects[0].1.starts_with(&want), "{rejects:?}");
    }
}
