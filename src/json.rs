//! A strict, allocation-free JSON scanner for one NDJSON line.
//!
//! [`scan_object`] walks a line once, validates it completely (structure, string escapes,
//! surrogate pairs, number grammar, nesting depth; raw control characters inside strings are
//! tolerated, as many producers emit them) and records the byte ranges of the
//! top-level keys and values. Nothing is decoded or allocated per value: column decoders
//! later look at the raw bytes of the values they need (see `crate::coerce`).

use crate::find;
use crate::limits::Limits;

/// The JSON type of a value, as seen in its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Number,
    True,
    False,
    Null,
    Object,
    Array,
}

/// A value's raw bytes within the line. For strings the range excludes the quotes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub start: u32,
    pub end: u32,
    pub kind: Kind,
    /// Strings only: the raw text holds at least one backslash escape.
    pub escaped: bool,
}

impl Span {
    /// The raw bytes of the value (for strings, between the quotes).
    #[inline]
    pub fn bytes<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        &line[self.start as usize..self.end as usize]
    }

    /// The complete JSON token (strings with their quotes).
    #[inline]
    pub fn token<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        if self.kind == Kind::String {
            &line[self.start as usize - 1..self.end as usize + 1]
        } else {
            self.bytes(line)
        }
    }
}

/// One top-level `"key": value` pair.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub key: Span,
    pub value: Span,
    /// The key's global field id (see `crate::schema::Registry`), [`NO_FIELD`] when no table
    /// has a column of that name.
    pub field: u16,
    /// The entry goes to `_extra` (unknown key, earlier duplicate, value that does not fit).
    pub keep: bool,
}

/// [`Entry::field`] of a key that names no field.
pub(crate) const NO_FIELD: u16 = u16::MAX;

/// Why a line is not a valid JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScanError {
    pub message: String,
    /// Byte position within the line where the problem was found.
    pub position: usize,
}

/// Boxed, so that the scanner's results stay two registers wide on the hot path.
type Result<T> = std::result::Result<T, Box<ScanError>>;

#[cold]
#[inline(never)]
fn err<T>(position: usize, message: impl Into<String>) -> Result<T> {
    Err(Box::new(ScanError {
        message: message.into(),
        position,
    }))
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The first position at or after `pos` that is not whitespace.
#[inline]
fn skip_ws(buf: &[u8], mut pos: usize) -> usize {
    while pos < buf.len() && is_ws(buf[pos]) {
        pos += 1;
    }
    pos
}

/// How the byte at `pos` reads in an error message.
fn describe(buf: &[u8], pos: usize) -> String {
    match buf.get(pos) {
        None => "end of line".to_string(),
        Some(b) if b.is_ascii_graphic() => format!("'{}'", *b as char),
        Some(b) => format!("byte 0x{b:02x}"),
    }
}

/// The error for a missing `what` at `pos`.
#[cold]
#[inline(never)]
fn unexpected<T>(buf: &[u8], pos: usize, what: &str) -> Result<T> {
    if pos >= buf.len() {
        err(
            pos,
            format!("truncated JSON: expected {what} but the line ended"),
        )
    } else {
        err(
            pos,
            format!("expected {what}, found {}", describe(buf, pos)),
        )
    }
}

/// The position after `b`, which must be the next byte after optional whitespace.
#[inline(always)]
fn expect(buf: &[u8], pos: usize, b: u8, what: &str) -> Result<usize> {
    if buf.get(pos) == Some(&b) {
        return Ok(pos + 1);
    }
    expect_after_ws(buf, pos, b, what)
}

/// [`expect`] where whitespace comes first (never in compact lines).
#[cold]
#[inline(never)]
fn expect_after_ws(buf: &[u8], pos: usize, b: u8, what: &str) -> Result<usize> {
    let pos = skip_ws(buf, pos);
    if buf.get(pos) == Some(&b) {
        Ok(pos + 1)
    } else {
        unexpected(buf, pos, what)
    }
}

/// How a scan finds the next `"` or `\` in a line: by searching its bytes ([`Search`]), or in
/// the line's bitmap of them ([`find::MarkView`]).
pub(crate) trait Find: Copy {
    /// The position of the first `"` or `\` in `buf` at or after `from`, or `buf.len()` when
    /// there is none.
    fn quote_or_backslash(self, buf: &[u8], from: usize) -> usize;
}

/// [`Find`] by searching the bytes (see [`find::quote_or_backslash`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Search;

impl Find for Search {
    #[inline(always)]
    fn quote_or_backslash(self, buf: &[u8], from: usize) -> usize {
        find::quote_or_backslash(buf, from).unwrap_or(buf.len())
    }
}

/// [`Find`] in the marks of the line searched (built by [`find::Marks::build`] from `buf`).
impl Find for find::MarkView<'_> {
    #[inline(always)]
    fn quote_or_backslash(self, buf: &[u8], from: usize) -> usize {
        debug_assert_eq!(buf.len(), self.len(), "the marks are of another line");
        find::MarkView::quote_or_backslash(self, from)
    }
}

/// The end of a string whose text starts at `from`: the position of its closing quote, and
/// whether the text holds escapes (all of which are validated).
#[inline(always)]
fn string_end(buf: &[u8], from: usize, find: impl Find) -> Result<(usize, bool)> {
    let p = find.quote_or_backslash(buf, from);
    match buf.get(p) {
        Some(b'"') => Ok((p, false)),
        Some(_) => string_end_escaped(buf, p, find),
        None => err(buf.len(), "truncated JSON: unterminated string"),
    }
}

/// [`string_end`] from the first backslash of a string, at `at`.
#[inline(never)]
fn string_end_escaped(buf: &[u8], mut at: usize, find: impl Find) -> Result<(usize, bool)> {
    loop {
        let next = escape(buf, at)?;
        let p = find.quote_or_backslash(buf, next);
        match buf.get(p) {
            Some(b'"') => return Ok((p, true)),
            Some(_) => at = p,
            None => return err(buf.len(), "truncated JSON: unterminated string"),
        }
    }
}

/// Validates the escape sequence whose backslash is at `at`; returns the position after it.
/// A simple escape is looked up in [`SIMPLE_ESCAPE`] (a jump table over the escaped byte
/// missed often on V1 records, which mix `\/`, `\\` and `\u`).
#[inline(always)]
fn escape(buf: &[u8], at: usize) -> Result<usize> {
    let c = buf.get(at + 1).copied();
    if SIMPLE_ESCAPE[usize::from(c.unwrap_or(0))] != 0 {
        return Ok(at + 2);
    }
    match c {
        Some(b'u') => {
            let hi = hex4(buf, at + 2)
                .ok_or_else(|| bad_escape(at, "\\u must be followed by 4 hex digits"))?;
            let pos = at + 6;
            if (0xDC00..0xE000).contains(&hi) {
                return err(at, format!("lone low surrogate \\u{hi:04X} in string"));
            }
            if (0xD800..0xDC00).contains(&hi) {
                let lo = if buf.get(pos) == Some(&b'\\') && buf.get(pos + 1) == Some(&b'u') {
                    hex4(buf, pos + 2)
                } else {
                    None
                };
                return match lo {
                    Some(lo) if (0xDC00..0xE000).contains(&lo) => Ok(pos + 6),
                    _ => err(at, format!("lone high surrogate \\u{hi:04X} in string")),
                };
            }
            Ok(pos)
        }
        None => err(at, "truncated JSON: unterminated string"),
        Some(_) => Err(bad_escape(at, "invalid escape sequence")),
    }
}

/// The end of the run of ASCII digits starting at `p`: the first 32 bytes in two SSE2 steps
/// on x86_64 when the buffer has them (else 16), then 8 bytes at a time. Numbers of 9 to 19
/// digits (epoch seconds and milliseconds, 63-bit IDs) are common: a step per 8 bytes made the
/// loop's exit unpredictable, and one of 16 bytes the exit after it (taken for 63-bit IDs,
/// not for times): one mispredicted branch in ten numbers in callgrind's model.
#[inline(always)]
fn digits_end(b: &[u8], p: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    if p + 16 <= b.len() {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8,
            _mm_set1_epi8, _mm_sub_epi8,
        };
        // The digits among the 16 bytes at `at` (a bit per byte).
        // SAFETY (both calls): SSE2 is part of x86_64, and `at + 16 <= b.len()`: the load
        // reads 16 bytes of `b`.
        let digits = |at: usize| unsafe {
            let v = _mm_loadu_si128(b.as_ptr().add(at) as *const __m128i);
            // A digit becomes 0..=9 (bytes below '0' wrap to 0xD0 and above), and is the
            // bytes whose maximum with 9 is 9.
            let d = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
            let nine = _mm_set1_epi8(9);
            _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(d, nine), nine)) as u32
        };
        let (other, step) = if p + 32 <= b.len() {
            (!(digits(p) | digits(p + 16) << 16), 32)
        } else {
            (!digits(p) & 0xFFFF, 16)
        };
        if other != 0 {
            return p + other.trailing_zeros() as usize;
        }
        return digits_end_words(b, p + step);
    }
    digits_end_words(b, p)
}

/// [`digits_end`] 8 bytes at a time.
#[inline(always)]
fn digits_end_words(b: &[u8], mut p: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    while p + 8 <= b.len() {
        let w = u64::from_le_bytes(b[p..p + 8].try_into().expect("8 bytes"));
        // A digit byte becomes 0..=9; adding 0x76 sets the high bit of anything above 9 (a
        // byte that already had it is marked by `| x`). Carries only leave marked bytes, so
        // the lowest mark is the first byte that is not a digit.
        let x = w ^ (ONES * 0x30);
        let marks = (x.wrapping_add(ONES * 0x76) | x) & (ONES * 0x80);
        if marks != 0 {
            return p + (marks.trailing_zeros() / 8) as usize;
        }
        p += 8;
    }
    while p < b.len() && b[p].is_ascii_digit() {
        p += 1;
    }
    p
}

/// Scans a number starting at `start`; returns the position after it.
#[inline]
fn number(b: &[u8], start: usize) -> Result<usize> {
    let mut p = start;
    if b.get(p) == Some(&b'-') {
        p += 1;
    }
    match b.get(p) {
        Some(b'0') => p += 1,
        Some(b'1'..=b'9') => p = digits_end(b, p + 1),
        _ => return err(start, "invalid number"),
    }
    if matches!(b.get(p), Some(b',' | b'}' | b']')) {
        return Ok(p);
    }
    number_rest(b, start, p)
}

/// The fraction, exponent and end checks of a number whose integer part ends at `p`.
#[inline(never)]
fn number_rest(b: &[u8], start: usize, mut p: usize) -> Result<usize> {
    if b.get(p) == Some(&b'.') {
        p += 1;
        if !matches!(b.get(p), Some(b'0'..=b'9')) {
            return err(start, "invalid number: digits expected after '.'");
        }
        p = digits_end(b, p);
    }
    if matches!(b.get(p), Some(b'e' | b'E')) {
        p += 1;
        if matches!(b.get(p), Some(b'+' | b'-')) {
            p += 1;
        }
        if !matches!(b.get(p), Some(b'0'..=b'9')) {
            return err(start, "invalid number: digits expected in exponent");
        }
        p = digits_end(b, p);
    }
    if matches!(b.get(p), Some(b'0'..=b'9' | b'x' | b'X' | b'.')) {
        return err(start, "invalid number");
    }
    Ok(p)
}

/// The string whose opening quote is at `quote`: its span and the position after it.
#[inline(always)]
fn string_at(buf: &[u8], quote: usize, find: impl Find) -> Result<(Span, usize)> {
    let start = quote + 1;
    let (end, escaped) = string_end(buf, start, find)?;
    let span = Span {
        start: start as u32,
        end: end as u32,
        kind: Kind::String,
        escaped,
    };
    Ok((span, end + 1))
}

/// The number starting at `start`: its span and the position after it.
#[inline(always)]
fn number_at(buf: &[u8], start: usize) -> Result<(Span, usize)> {
    let end = number(buf, start)?;
    let span = Span {
        start: start as u32,
        end: end as u32,
        kind: Kind::Number,
        escaped: false,
    };
    Ok((span, end))
}

/// The array whose `[` is at `open`, when its elements are all strings (or it has none, like
/// most of a record's lists): its span and the position after it, its strings' ends found with
/// `find`. `None` when it holds anything else: the caller scans it in full, from `open`, and
/// finds the same errors (any error here is one in a string that the full scan reaches, all
/// elements before it being strings).
#[inline]
fn string_array(buf: &[u8], open: usize, find: impl Find) -> Result<Option<(Span, usize)>> {
    let mut p = skip_ws(buf, open + 1);
    if buf.get(p) != Some(&b']') {
        loop {
            if buf.get(p) != Some(&b'"') {
                return Ok(None);
            }
            let (_, after) = string_at(buf, p, find)?;
            p = skip_ws(buf, after);
            match buf.get(p) {
                Some(b',') => p = skip_ws(buf, p + 1),
                Some(b']') => break,
                _ => return Ok(None),
            }
        }
    }
    let span = Span {
        start: open as u32,
        end: p as u32 + 1,
        kind: Kind::Array,
        escaped: false,
    };
    Ok(Some((span, p + 1)))
}

/// Any value at `pos` (after whitespace), scanned by the nested scanner: its span and the
/// position after it.
#[inline]
fn nested_at(buf: &[u8], pos: usize, limits: &Limits) -> Result<(Span, usize)> {
    let mut s = Scanner { buf, pos, limits };
    let v = s.value(1)?;
    Ok((v, s.pos))
}

/// The `"key":` at `pos` (whitespace allowed around it): the key's span and the position
/// after the colon.
#[inline(always)]
fn key_at(buf: &[u8], pos: usize, find: impl Find) -> Result<(Span, usize)> {
    let quote = expect(buf, pos, b'"', "a quoted object key")? - 1;
    let (key, after) = string_at(buf, quote, find)?;
    Ok((key, expect(buf, after, b':', "':' after an object key")?))
}

/// One bit per open container (1 = object, 0 = array), without allocating below 64 levels.
struct BitStack {
    len: usize,
    low: u64,
    more: Vec<u64>,
}

impl BitStack {
    fn new() -> Self {
        BitStack {
            len: 0,
            low: 0,
            more: Vec::new(),
        }
    }

    fn push(&mut self, bit: bool) {
        let (word, i) = match self.len {
            n @ 0..64 => (&mut self.low, n),
            n => {
                let w = (n - 64) / 64;
                if w == self.more.len() {
                    self.more.push(0);
                }
                (&mut self.more[w], (n - 64) % 64)
            }
        };
        *word = (*word & !(1 << i)) | (u64::from(bit) << i);
        self.len += 1;
    }

    fn last(&self) -> Option<bool> {
        let n = self.len.checked_sub(1)?;
        let word = if n < 64 {
            self.low
        } else {
            self.more[(n - 64) / 64]
        };
        Some(word >> (n % 64) & 1 == 1)
    }

    fn pop(&mut self) {
        self.len -= 1;
    }
}

/// Cursor over one line, for values other than the top-level object's strings.
struct Scanner<'a> {
    buf: &'a [u8],
    pos: usize,
    limits: &'a Limits,
}

impl<'a> Scanner<'a> {
    #[inline]
    fn skip_ws(&mut self) {
        self.pos = skip_ws(self.buf, self.pos);
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn describe(&self) -> String {
        describe(self.buf, self.pos)
    }

    /// Scans a string value whose opening quote is at the cursor.
    #[inline(always)]
    fn string_value(&mut self) -> Result<Span> {
        let (span, after) = string_at(self.buf, self.pos, Search)?;
        self.pos = after;
        Ok(span)
    }

    fn literal(&mut self, word: &[u8], kind: Kind) -> Result<Span> {
        let start = self.pos;
        if self.buf[start..].starts_with(word) {
            self.pos += word.len();
            Ok(Span {
                start: start as u32,
                end: self.pos as u32,
                kind,
                escaped: false,
            })
        } else if word.starts_with(&self.buf[start..]) {
            err(
                self.buf.len(),
                "truncated JSON: the line ended inside a literal",
            )
        } else {
            err(
                start,
                format!("unexpected {}: not a JSON value", self.describe()),
            )
        }
    }

    /// Scans any value at the cursor (after whitespace).
    #[inline(never)]
    fn value(&mut self, depth: usize) -> Result<Span> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            None => err(start, "truncated JSON: expected a value but the line ended"),
            Some(b'"') => self.string_value(),
            Some(b'-' | b'0'..=b'9') => {
                let (span, after) = number_at(self.buf, start)?;
                self.pos = after;
                Ok(span)
            }
            Some(b't') => self.literal(b"true", Kind::True),
            Some(b'f') => self.literal(b"false", Kind::False),
            Some(b'n') => self.literal(b"null", Kind::Null),
            Some(b'{' | b'[') => self.container(depth),
            Some(_) => err(
                start,
                format!("unexpected {}: not a JSON value", self.describe()),
            ),
        }
    }

    /// Scans a nested object or array iteratively (no recursion, so depth costs no stack).
    fn container(&mut self, depth: usize) -> Result<Span> {
        let start = self.pos;
        let kind = if self.buf[start] == b'{' {
            Kind::Object
        } else {
            Kind::Array
        };
        let mut stack = BitStack::new();
        loop {
            // At this point a value starts at self.pos (after ws).
            self.skip_ws();
            match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    if depth + stack.len + 1 > self.limits.max_depth {
                        return err(
                            self.pos,
                            format!(
                                "nesting deeper than the limit of {} levels (Limits::max_depth)",
                                self.limits.max_depth
                            ),
                        );
                    }
                    self.pos += 1;
                    let is_obj = open == b'{';
                    stack.push(is_obj);
                    self.skip_ws();
                    let close = if is_obj { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        stack.pop();
                    } else {
                        if is_obj {
                            self.key()?;
                        }
                        continue;
                    }
                }
                Some(b'"') => {
                    self.string_value()?;
                }
                _ => {
                    self.value(depth + stack.len)?;
                }
            }
            // After a complete value: close containers or move to the next element.
            loop {
                let Some(is_obj) = stack.last() else {
                    return Ok(Span {
                        start: start as u32,
                        end: self.pos as u32,
                        kind,
                        escaped: false,
                    });
                };
                self.skip_ws();
                let close = if is_obj { b'}' } else { b']' };
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if is_obj {
                            self.key()?;
                        }
                        break;
                    }
                    Some(c) if c == close => {
                        self.pos += 1;
                        stack.pop();
                    }
                    None => {
                        return err(
                            self.pos,
                            "truncated JSON: the line ended inside a nested value",
                        )
                    }
                    _ => {
                        let what = if is_obj { "',' or '}'" } else { "',' or ']'" };
                        return err(
                            self.pos,
                            format!("expected {what}, found {}", self.describe()),
                        );
                    }
                }
            }
        }
    }

    /// Scans `"key":` inside an object.
    #[inline]
    fn key(&mut self) -> Result<Span> {
        let (key, after) = key_at(self.buf, self.pos, Search)?;
        self.pos = after;
        Ok(key)
    }
}

#[cold]
fn bad_escape(at: usize, message: &str) -> Box<ScanError> {
    Box::new(ScanError {
        message: message.to_string(),
        position: at,
    })
}

/// The value of each byte as a hex digit, or 0xFF.
const HEX: [u8; 256] = {
    let mut t = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// The 4 hex digits at `at`, if there are 4.
#[inline]
fn hex4(buf: &[u8], at: usize) -> Option<u32> {
    let d = buf.get(at..at + 4)?;
    let (a, b, c, e) = (
        HEX[d[0] as usize],
        HEX[d[1] as usize],
        HEX[d[2] as usize],
        HEX[d[3] as usize],
    );
    // A non-digit is 0xFF: its high bit survives the `|`.
    ((a | b | c | e) & 0x80 == 0)
        .then(|| u32::from(a) << 12 | u32::from(b) << 8 | u32::from(c) << 4 | u32::from(e))
}

/// Scans `line`, which must hold exactly one JSON object (surrounding whitespace allowed),
/// and appends its top-level entries to `entries`, with no field ids (see
/// [`scan_object_with`]).
#[cfg(test)]
pub(crate) fn scan_object(line: &[u8], limits: &Limits, entries: &mut Vec<Entry>) -> Result<()> {
    scan_object_with(line, limits, Search, entries, |_, _| NO_FIELD)
}

/// [`scan_object`], naming each key's field with `field(line, key)` as it is scanned, and
/// finding the ends of the top-level keys and strings with `find` ([`Search`], or the marks of
/// `line`); nested values are searched.
///
/// This is the decoder's hot loop: the cursor stays in a register, strings are scanned here,
/// and only other values and whitespace leave it.
#[inline(always)]
pub(crate) fn scan_object_with(
    line: &[u8],
    limits: &Limits,
    find: impl Find,
    entries: &mut Vec<Entry>,
    mut field: impl FnMut(&[u8], &Span) -> u16,
) -> Result<()> {
    entries.clear();
    let mut pos = skip_ws(line, 0);
    match line.get(pos) {
        Some(b'{') => pos += 1,
        Some(b'[') => return err(pos, "not a JSON object: the line is a JSON array"),
        None => return err(0, "empty line"),
        Some(_) => {
            nested_at(line, pos, limits)?;
            return err(0, "not a JSON object: the line is a JSON scalar");
        }
    }
    pos = skip_ws(line, pos);
    if line.get(pos) == Some(&b'}') {
        pos += 1;
    } else {
        loop {
            let key;
            (key, pos) = key_at(line, pos, find)?;
            // Named before the value is scanned: the lookup's loads (often cache misses) then
            // overlap the value's scan instead of waiting at the end of the entry.
            let id = field(line, &key);
            // Most values are strings, then numbers: scanned here.
            let value = match line.get(pos) {
                Some(b'"') => {
                    let value;
                    (value, pos) = string_at(line, pos, find)?;
                    value
                }
                Some(b'0'..=b'9' | b'-') => {
                    let value;
                    (value, pos) = number_at(line, pos)?;
                    value
                }
                Some(b'[') if limits.max_depth > 1 => {
                    let value;
                    (value, pos) = match string_array(line, pos, find)? {
                        Some(scanned) => scanned,
                        None => nested_at(line, pos, limits)?,
                    };
                    value
                }
                // Not `nested_at`: with it here too, LLVM laid the dispatch above out so that
                // callgrind's model mispredicted it 3x as often (wall time did not move).
                _ => {
                    let mut s = Scanner {
                        buf: line,
                        pos,
                        limits,
                    };
                    let v = s.value(1)?;
                    pos = s.pos;
                    v
                }
            };
            if entries.len() >= limits.max_keys {
                return err(
                    key.start as usize,
                    format!(
                        "more than {} keys in one record (Limits::max_keys)",
                        limits.max_keys
                    ),
                );
            }
            entries.push(Entry {
                key,
                value,
                field: id,
                keep: false,
            });
            match line.get(pos) {
                Some(b',') => pos += 1,
                Some(b'}') => {
                    pos += 1;
                    break;
                }
                _ => {
                    let (next, end) = separator_after_ws(line, pos)?;
                    pos = next;
                    if end {
                        break;
                    }
                }
            }
        }
    }
    pos = skip_ws(line, pos);
    if pos != line.len() {
        return err(
            pos,
            format!(
                "trailing characters after the JSON object: {}",
                describe(line, pos)
            ),
        );
    }
    Ok(())
}

/// The `,` or `}` after a top-level value, after whitespace or missing: the position after it
/// and whether it closed the object.
#[cold]
#[inline(never)]
fn separator_after_ws(line: &[u8], pos: usize) -> Result<(usize, bool)> {
    let pos = skip_ws(line, pos);
    match line.get(pos) {
        Some(b',') => Ok((pos + 1, false)),
        Some(b'}') => Ok((pos + 1, true)),
        None => err(pos, "truncated JSON: the line ended inside the object"),
        _ => err(
            pos,
            format!("expected ',' or '}}', found {}", describe(line, pos)),
        ),
    }
}

/// Scans `bytes` as one complete JSON value (used for JSON carried inside strings).
pub(crate) fn scan_value(bytes: &[u8], limits: &Limits) -> Option<Span> {
    let (v, end) = nested_at(bytes, 0, limits).ok()?;
    (skip_ws(bytes, end) == bytes.len()).then_some(v)
}

/// Scans `bytes` as one JSON document (a value surrounded by optional whitespace).
pub(crate) fn scan_document(bytes: &[u8], limits: &Limits) -> Result<Span> {
    let (v, end) = nested_at(bytes, 0, limits)?;
    let end = skip_ws(bytes, end);
    if end != bytes.len() {
        return err(
            end,
            format!(
                "trailing characters after the JSON value: {}",
                describe(bytes, end)
            ),
        );
    }
    Ok(v)
}

/// Iterates over the elements of a valid JSON array token.
pub(crate) fn array_elements(token: &[u8], limits: &Limits, mut f: impl FnMut(Span)) {
    let mut s = Scanner {
        buf: token,
        pos: 1,
        limits,
    };
    s.skip_ws();
    if s.peek() == Some(b']') {
        return;
    }
    loop {
        // Strings (most elements) without the call to `Scanner::value`.
        s.skip_ws();
        let v = if s.peek() == Some(b'"') {
            s.string_value()
        } else {
            s.value(1)
        };
        let Ok(v) = v else { break };
        f(v);
        s.skip_ws();
        if s.peek() != Some(b',') {
            break;
        }
        s.pos += 1;
    }
}

/// Iterates over the entries of a valid JSON object token.
pub(crate) fn object_entries(token: &[u8], limits: &Limits, mut f: impl FnMut(Span, Span)) {
    let mut s = Scanner {
        buf: token,
        pos: 1,
        limits,
    };
    s.skip_ws();
    if s.peek() == Some(b'}') {
        return;
    }
    while let (Ok(k), Ok(v)) = (s.key(), s.value(1)) {
        f(k, v);
        s.skip_ws();
        if s.peek() != Some(b',') {
            break;
        }
        s.pos += 1;
    }
}

/// [`unescape_span`] into a `String`.
pub(crate) fn unescape_into(line: &[u8], span: &Span, out: &mut String) {
    // SAFETY: `unescape_span` appends valid UTF-8 (see `unescape_in`).
    unescape_span(line, span, unsafe { out.as_mut_vec() });
}

/// Decodes the text of the validated string `span` (escaped, between its quotes) of `line`,
/// appending valid UTF-8 to `out`. The bytes of `line` after the text are read, never used:
/// with them, the text's last bytes are loaded like any others.
#[inline]
pub(crate) fn unescape_span(line: &[u8], span: &Span, out: &mut Vec<u8>) {
    debug_assert_eq!(span.kind, Kind::String);
    unescape_in(line, span.start as usize, span.end as usize, out);
}

/// [`unescape_span`] for the text `start..end` of `line`.
///
/// The text is copied 16 bytes at a time up to each backslash (at the line's end, the text's
/// last bytes are read in overlapping loads, so that no byte-by-byte loop ends a run), and
/// each escape is decoded without a jump table: a table gives a simple escape's byte, and a
/// `\uXXXX` of the Basic Multilingual Plane is encoded as UTF-8 without a branch on its
/// length. V1 records escape every `/` and every non-ASCII character, so this decides the
/// speed of their string columns.
fn unescape_in(line: &[u8], start: usize, end: usize, buf: &mut Vec<u8>) {
    let raw = &line[start..end];
    let n = raw.len();
    let base = buf.len();
    // Decoding never lengthens (`\\x` becomes 1 byte, `\\uXXXX` at most 3, a surrogate pair
    // of 12 bytes 4, anything else is copied byte for byte), so the text read so far (`i`) is
    // never shorter than the text written (`w`): `w <= i <= n`. With 16 spare bytes, 16 bytes
    // or a 4-byte character can always be stored at `w < n`.
    buf.reserve(n + 16);
    // SAFETY (every `dst` write below): `dst` has room for `n + 16` bytes and each write is of
    // at most 16 bytes at `w < n`.
    let dst = unsafe { buf.as_mut_ptr().add(base) };
    let (mut i, mut w) = (0, 0);
    while i < n {
        // The next 16 bytes are stored whole; only those of the text before a backslash
        // count.
        let keep = (n - i).min(16);
        let backslashes = if start + i + 16 <= line.len() {
            // SAFETY: the 16 bytes at `start + i` are within `line`.
            unsafe { copy_16(line.as_ptr().add(start + i), dst.add(w)) }
        } else {
            let last = load_16(raw, i).to_le_bytes();
            unsafe { copy_16(last.as_ptr(), dst.add(w)) }
        };
        // `keep <= 16` and the marks are of 16 bytes: the bit at `keep` bounds the run.
        let run = (backslashes | 1 << keep).trailing_zeros() as usize;
        i += run;
        w += run;
        if run == keep {
            continue;
        }
        // At a backslash of the text.
        let Some(&c) = raw.get(i + 1) else {
            // A backslash that ends the text (not reachable from the scanner): as it is
            // (already stored with the run).
            w += 1;
            break;
        };
        let simple = SIMPLE_ESCAPE[c as usize];
        if simple != 0 {
            unsafe { dst.add(w).write(simple) };
            w += 1;
            i += 2;
            continue;
        }
        // `\\u`: the scanner checked the hex digits and the surrogate pairs; text it did not
        // check is still decoded without a panic (a bad escape is copied as it is, a lone
        // surrogate becomes U+FFFD).
        let Some(hi) = (c == b'u').then(|| hex4(raw, i + 2)).flatten() else {
            unsafe { dst.add(w).write(b'\\') };
            w += 1;
            i += 1;
            continue;
        };
        i += 6;
        if !(0xD800..0xE000).contains(&hi) {
            let (utf8, len) = bmp_utf8(hi);
            // SAFETY: 4 bytes at `w < n`, within the spare bytes; `len` of them count.
            unsafe { dst.add(w).cast::<u32>().write_unaligned(utf8.to_le()) };
            w += len;
            continue;
        }
        let lo = if hi < 0xDC00 && raw.get(i..i + 2) == Some(&b"\\u"[..]) {
            hex4(raw, i + 2).filter(|lo| (0xDC00..0xE000).contains(lo))
        } else {
            None
        };
        let ch = match lo {
            Some(lo) => {
                i += 6;
                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                    .expect("a surrogate pair is a supplementary-plane character")
            }
            None => '\u{FFFD}',
        };
        let mut utf8 = [0u8; 4];
        let len = ch.encode_utf8(&mut utf8).len();
        // SAFETY: 4 bytes at `w < n`, within the spare bytes; only `len` of them count (from
        // a local buffer: the spare capacity is not initialized, so no slice of it is made).
        unsafe { std::ptr::copy_nonoverlapping(utf8.as_ptr(), dst.add(w), 4) };
        w += len;
    }
    // SAFETY: the `w` bytes at `base` were written above and fit the reserved capacity.
    unsafe { buf.set_len(base + w) };
    // `raw` is valid UTF-8 (every caller cuts it from a validated line or string), its bytes
    // are copied unchanged except escapes, which start at ASCII backslashes and decode to
    // `char`s encoded as UTF-8. Checked in debug builds and the fuzzers.
    debug_assert!(std::str::from_utf8(&buf[base..]).is_ok());
}

/// The byte each simple escape (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`) stands for, by
/// the byte after its backslash; 0 for every other byte.
const SIMPLE_ESCAPE: [u8; 256] = {
    let mut t = [0; 256];
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[b'/' as usize] = b'/';
    t[b'b' as usize] = 0x08;
    t[b'f' as usize] = 0x0C;
    t[b'n' as usize] = b'\n';
    t[b'r' as usize] = b'\r';
    t[b't' as usize] = b'\t';
    t
};

/// The UTF-8 encoding of `code`, a character of the Basic Multilingual Plane that is not a
/// surrogate, as the little-endian bytes of a `u32`, and its length; with no branch on it.
#[inline(always)]
fn bmp_utf8(code: u32) -> (u32, usize) {
    debug_assert!(code < 0x10000 && !(0xD800..0xE000).contains(&code));
    let len = 1 + usize::from(code >= 0x80) + usize::from(code >= 0x800);
    let two = (0xC0 | code >> 6) | (0x80 | code & 0x3F) << 8;
    let three = (0xE0 | code >> 12) | (0x80 | code >> 6 & 0x3F) << 8 | (0x80 | code & 0x3F) << 16;
    // Masks, not a `match` or `if`: LLVM turned those into branches on the length.
    let (one_mask, two_mask) = (
        u32::from(len == 1).wrapping_neg(),
        u32::from(len == 2).wrapping_neg(),
    );
    let utf8 = code & one_mask | two & two_mask | three & !(one_mask | two_mask);
    (utf8, len)
}

/// The bytes of `raw` from `i < raw.len()`, up to 16 of them, as a little-endian `u128` with
/// zeros past the end: one load where 16 bytes are left, else an overlapping load of the
/// text's last bytes (two for a text shorter than 16 bytes).
#[inline(always)]
fn load_16(raw: &[u8], i: usize) -> u128 {
    let n = raw.len();
    debug_assert!(i < n);
    let p = raw.as_ptr();
    // SAFETY (each read): of `size_of::<T>()` bytes at an offset where that many are within
    // `raw`, by the branch's condition.
    unsafe fn read<T>(p: *const u8) -> T {
        unsafe { p.cast::<T>().read_unaligned() }
    }
    let (whole, from) = unsafe {
        if i + 16 <= n {
            return u128::from_le(read(p.add(i)));
        } else if n >= 16 {
            (u128::from_le(read(p.add(n - 16))), n - 16)
        } else if n >= 8 {
            let lo = u128::from(u64::from_le(read(p)));
            let hi = u128::from(u64::from_le(read(p.add(n - 8))));
            (lo | hi << (8 * (n - 8)), 0)
        } else if n >= 4 {
            let lo = u128::from(u32::from_le(read(p)));
            let hi = u128::from(u32::from_le(read(p.add(n - 4))));
            (lo | hi << (8 * (n - 4)), 0)
        } else {
            let (a, b, c) = (raw[0], raw[n / 2], raw[n - 1]);
            (
                u128::from(a) | u128::from(b) << (8 * (n / 2)) | u128::from(c) << (8 * (n - 1)),
                0,
            )
        }
    };
    // `i - from < 16`: the bytes before `i` shift out, zeros come in.
    whole >> (8 * (i - from))
}

/// Copies the 16 bytes at `src` to `dst` and returns a bit per backslash among them (bit `i`
/// for byte `i`): SSE2 on x86_64, SIMD128 on wasm32 builds with it, a 64-bit word at a time
/// elsewhere.
///
/// # Safety
/// 16 bytes must be readable at `src` and writable at `dst`.
#[inline(always)]
unsafe fn copy_16(src: *const u8, dst: *mut u8) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
            _mm_storeu_si128,
        };
        // SAFETY: SSE2 is part of x86_64; the caller vouches for the 16 bytes.
        unsafe {
            let v = _mm_loadu_si128(src as *const __m128i);
            _mm_storeu_si128(dst as *mut __m128i, v);
            _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8))) as u32
        }
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        use core::arch::wasm32::{
            i8x16_bitmask, i8x16_eq, i8x16_splat, v128, v128_load, v128_store,
        };
        // SAFETY: the caller vouches for the 16 bytes (unaligned access is allowed).
        unsafe {
            let v = v128_load(src as *const v128);
            v128_store(dst as *mut v128, v);
            u32::from(i8x16_bitmask(i8x16_eq(v, i8x16_splat(b'\\' as i8))))
        }
    }
    #[cfg(not(any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    )))]
    // SAFETY: the caller vouches for the 16 bytes.
    unsafe {
        copy_16_words(src, dst)
    }
}

/// [`copy_16`] with 64-bit words, for targets without the vector instructions (tested on
/// every target).
///
/// # Safety
/// As [`copy_16`].
#[cfg_attr(
    any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    ),
    allow(dead_code)
)]
#[inline(always)]
unsafe fn copy_16_words(src: *const u8, dst: *mut u8) -> u32 {
    // SAFETY: the caller vouches for the 16 bytes.
    let v = unsafe { src.cast::<u128>().read_unaligned() };
    unsafe { dst.cast::<u128>().write_unaligned(v) };
    let v = u128::from_le(v);
    // False marks lie only above a true one: the lowest bit, the only one used, is right.
    let bits = |word: u64| find::gather_marks(find::byte_marks(word, b'\\')) as u32;
    bits(v as u64) | bits((v >> 64) as u64) << 8
}

/// Appends the token of a value of `kind` as compact JSON, like [`push_compact`]: numbers and
/// literals, and strings without raw control characters, are copied as they are.
pub(crate) fn push_token(token: &[u8], kind: Kind, out: &mut Vec<u8>) {
    let copy = match kind {
        Kind::Object | Kind::Array => false,
        // Without an early exit, so that the test runs on whole vectors.
        Kind::String => !token.iter().fold(false, |ctl, &b| ctl | (b < 0x20)),
        Kind::Number | Kind::True | Kind::False | Kind::Null => true,
    };
    if copy {
        out.extend_from_slice(token);
    } else {
        push_compact(token, out);
    }
}

/// Appends `token` to `out` with the whitespace between tokens removed.
pub(crate) fn push_compact(token: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < token.len() {
        let b = token[i];
        if b == b'"' {
            // Copy the string verbatim, escapes included.
            let mut j = i + 1;
            while j < token.len() {
                match token[j] {
                    b'\\' => j += 2,
                    b'"' => break,
                    _ => j += 1,
                }
            }
            let end = (j + 1).min(token.len());
            for &c in &token[i..end] {
                if c < 0x20 {
                    // Raw control characters are accepted inside strings; written back they are
                    // escaped so the output is strict JSON.
                    out.extend_from_slice(format!("\\u{c:04x}").as_bytes());
                } else {
                    out.push(c);
                }
            }
            i = end;
        } else {
            if !is_ws(b) {
                out.push(b);
            }
            i += 1;
        }
    }
}

/// Appends `s` to `out` as a JSON string literal (quotes included).
pub(crate) fn push_json_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if esc.is_empty() {
            out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `raw` decoded as a string's whole text with nothing after it, appended to `out` (which
    /// must stay valid UTF-8).
    fn unescape_alone(raw: &[u8], out: &mut String) {
        let mut bytes = std::mem::take(out).into_bytes();
        unescape_in(raw, 0, raw.len(), &mut bytes);
        *out = String::from_utf8(bytes).expect("valid UTF-8");
    }

    fn scan(s: &str) -> std::result::Result<Vec<(String, String)>, String> {
        let (line, limits) = (s.as_bytes(), Limits::default());
        let mut v = Vec::new();
        let searched = scan_object(line, &limits, &mut v);
        // The decoder finds string ends in the line's marks: the same entries and errors.
        let (mut marks, mut by_marks) = (find::Marks::default(), Vec::new());
        let marked = scan_object_with(line, &limits, marks.build(line), &mut by_marks, |_, _| {
            NO_FIELD
        });
        assert_eq!(
            format!("{searched:?} {v:?}"),
            format!("{marked:?} {by_marks:?}"),
            "{s}"
        );
        searched.map_err(|e| e.message)?;
        Ok(v.iter()
            .map(|e| {
                (
                    String::from_utf8(e.key.bytes(s.as_bytes()).to_vec()).unwrap(),
                    String::from_utf8(e.value.token(s.as_bytes()).to_vec()).unwrap(),
                )
            })
            .collect())
    }

    #[test]
    fn scans_top_level_entries() {
        let got =
            scan(r#" {"a": 1, "b" :"x\"y", "c":[1,{"d":[]}], "e":null,"f":-0.5e3} "#).unwrap();
        assert_eq!(
            got,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), r#""x\"y""#.into()),
                ("c".into(), r#"[1,{"d":[]}]"#.into()),
                ("e".into(), "null".into()),
                ("f".into(), "-0.5e3".into()),
            ]
        );
        assert_eq!(scan("{}").unwrap(), vec![]);
    }

    /// Runs of 0 to 40 digits, at several offsets, ended by every byte next to the digits'
    /// range (and the buffer's end): the run ends where a byte-by-byte scan says.
    #[test]
    fn digit_runs_end_at_the_first_other_byte() {
        for offset in 0..3 {
            for run in 0..=40 {
                for end in [b'/', b':', b'.', b'e', b',', 0x00, 0x7F, 0x80, 0xB0, 0xFF] {
                    for pad in [0, 1, 20] {
                        let mut buf = vec![b'x'; offset];
                        buf.extend((0..run).map(|i| b'0' + (i % 10) as u8));
                        if pad > 0 {
                            buf.push(end);
                            buf.extend(std::iter::repeat_n(b'5', pad - 1));
                        }
                        let want = offset + run;
                        assert_eq!(digits_end(&buf, offset), want, "{buf:?} from {offset}");
                        assert_eq!(digits_end_words(&buf, offset), want, "{buf:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn rejects_invalid_json_with_reasons() {
        let cases = [
            (
                r#"{"a":1"#,
                "truncated JSON: the line ended inside the object",
            ),
            (r#"[1,2]"#, "not a JSON object: the line is a JSON array"),
            (r#""x""#, "not a JSON object: the line is a JSON scalar"),
            (
                r#"{"a":1} x"#,
                "trailing characters after the JSON object: 'x'",
            ),
            (r#"{"a":0x10}"#, "invalid number"),
            (r#"{"a":NaN}"#, "unexpected 'N': not a JSON value"),
            (r#"{"a":"\ud800"}"#, "lone high surrogate \\uD800 in string"),
            (r#"{"a":"\udc00"}"#, "lone low surrogate \\uDC00 in string"),
            (r#"{"a":"\q"}"#, "invalid escape sequence"),
            (r#"{"a":01}"#, "invalid number"),
            (r#"{"a":[1,2}"#, "expected ',' or ']', found '}'"),
            (
                r#"{"a":tru"#,
                "truncated JSON: the line ended inside a literal",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(scan(line).unwrap_err(), want, "line {line}");
        }
    }

    /// Arrays of strings are scanned without the nested scanner; anything else falls back to
    /// it. Either way the span, the position after it and the errors are the full scan's.
    #[test]
    fn string_arrays_scan_like_any_array() {
        let cases = [
            (r#"[]"#, true),
            (r#"[ ]"#, true),
            (r#"["a"]"#, true),
            (r#"[ "a" , "b\"c" ,"\u00e9"]"#, true),
            (r#"["",""]"#, true),
            (r#"["a",1]"#, false),
            (r#"[1,"a"]"#, false),
            (r#"[["a"]]"#, false),
            (r#"["a",]"#, false),
            (r#"[,"a"]"#, false),
            (r#"["a" "b"]"#, false),
            (r#"["a""#, false),
            (r#"["a"#, false),
            (r#"["a\x"]"#, true),
            (r#"["\ud800"]"#, true),
        ];
        let limits = Limits::default();
        for (array, fast) in cases {
            let line = format!("{array},\"next\":1}}");
            let buf = line.as_bytes();
            let mut full = Scanner {
                buf,
                pos: 0,
                limits: &limits,
            };
            let want = full.value(1).map(|v| (v.start, v.end, v.kind, full.pos));
            for got in [
                string_array(buf, 0, Search),
                string_array(buf, 0, find::Marks::default().build(buf)),
            ] {
                match got {
                    Ok(Some((v, pos))) => {
                        assert!(fast, "{array}");
                        assert_eq!(Ok((v.start, v.end, v.kind, pos)), want, "{array}");
                        assert!(!v.escaped);
                    }
                    Ok(None) => assert!(!fast, "{array}"),
                    Err(e) => {
                        assert!(fast, "{array}");
                        assert_eq!(Err(e), want, "{array}");
                    }
                }
            }
        }
        // The top-level scan takes the fast path (strings' ends from the marks) only where
        // the nesting limit allows an array at all.
        assert_eq!(
            scan(r#"{"a":["x", "y"],"b":[]}"#).unwrap(),
            [
                ("a".to_string(), r#"["x", "y"]"#.to_string()),
                ("b".to_string(), "[]".to_string())
            ]
        );
        let flat = Limits {
            max_depth: 1,
            ..Limits::default()
        };
        let e = scan_object(br#"{"a":["x"]}"#, &flat, &mut Vec::new()).unwrap_err();
        assert_eq!(e.position, 5, "{e:?}");
        assert!(e.message.starts_with("nesting deeper"), "{e:?}");
    }

    /// The elements of an array (strings take a shortcut), with their kinds and whitespace.
    #[test]
    fn array_elements_of_every_kind() {
        let token = br#"[ "a" , "b\n",1.5,{"x":[1]} ,[ ], null,true ,"" ]"#;
        let mut got = Vec::new();
        array_elements(token, &Limits::default(), |e| {
            got.push((
                e.kind,
                String::from_utf8(e.bytes(token).to_vec()).unwrap(),
                e.escaped,
            ))
        });
        let want = [
            (Kind::String, "a", false),
            (Kind::String, "b\\n", true),
            (Kind::Number, "1.5", false),
            (Kind::Object, r#"{"x":[1]}"#, false),
            (Kind::Array, "[ ]", false),
            (Kind::Null, "null", false),
            (Kind::True, "true", false),
            (Kind::String, "", false),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(k, s, e)| (*k, s.to_string(), *e))
            .collect();
        assert_eq!(got, want);
        let mut none = 0;
        array_elements(b"[ ]", &Limits::default(), |_| none += 1);
        assert_eq!(none, 0);
    }

    #[test]
    fn depth_limit_is_enforced_without_recursion() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        let e = scan(&deep).unwrap_err();
        assert!(e.starts_with("nesting deeper than the limit of 512"), "{e}");
    }

    #[test]
    fn unescapes_surrogate_pairs_and_escapes() {
        let mut out = String::new();
        unescape_alone(br#"a\/b\u00e9\ud83d\ude00\n"#, &mut out);
        assert_eq!(out, "a/b\u{e9}\u{1F600}\n");
        // Every simple escape, between long runs.
        let long = "x".repeat(100);
        let raw = format!(r#"{long}\"\\\/\b\f\n\r\t{long}\u0041{long}"#);
        let mut out = String::from("kept:");
        unescape_alone(raw.as_bytes(), &mut out);
        assert_eq!(
            out,
            format!("kept:{long}\"\\/\u{8}\u{c}\n\r\t{long}A{long}")
        );
        // Not reachable from the scanner, but copied rather than trusted or panicking.
        for (raw, want) in [
            (&br#"a"b"#[..], "a\"b"),
            (br"a\", "a\\"),
            (br"a\u", "a\\u"),
            (br"a\u12", "a\\u12"),
            (br"\z0041", "\\z0041"),
            (br"\x", "\\x"),
            (br"\ud83d", "\u{FFFD}"),
            (br"\ud83d\u0041", "\u{FFFD}A"),
            (br"\ude00x", "\u{FFFD}x"),
        ] {
            let mut out = String::new();
            unescape_alone(raw, &mut out);
            assert_eq!(out, want);
        }
    }

    /// Texts of every length up to 40 bytes with an escape at every offset (so every way
    /// `load_16` reads a text's last bytes) decode as serde_json decodes them.
    #[test]
    fn unescapes_texts_of_every_length() {
        for escape in [
            r"\/",
            r"\\",
            r"\t",
            r"\u00e9",
            r"\u6771",
            r"\ud83d\ude00",
            r"\ud83d",
        ] {
            for before in 0..34 {
                for after in 0..(40 - before) {
                    let raw = format!("{}{escape}{}", "a".repeat(before), "b".repeat(after));
                    let want: String = serde_json::from_str(&format!("\"{raw}\""))
                        .unwrap_or_else(|_| raw.replace(r"\ud83d", "\u{FFFD}"));
                    let mut out = String::from("x");
                    unescape_alone(raw.as_bytes(), &mut out);
                    assert_eq!(out, format!("x{want}"), "{raw}");
                }
            }
        }
    }

    /// A span of a line decodes as the same text alone, whatever the line holds after it
    /// (backslashes included, which must not end a run).
    #[test]
    fn unescapes_spans_whatever_follows() {
        for text in [
            r"\/",
            r"a\/b",
            r"https:\/\/example.com\/a\/b\/c.pdf",
            r"\u00e9\u00e9",
        ] {
            for tail in 0..40 {
                for fill in [b'\\', b'x'] {
                    let mut line = format!("\"{text}\"").into_bytes();
                    line.resize(line.len() + tail, fill);
                    let span = Span {
                        kind: Kind::String,
                        escaped: true,
                        start: 1,
                        end: 1 + text.len() as u32,
                    };
                    let (mut alone, mut out) = (Vec::new(), b"x".to_vec());
                    unescape_in(text.as_bytes(), 0, text.len(), &mut alone);
                    unescape_span(&line, &span, &mut out);
                    assert_eq!(out[1..], alone, "{text} + {tail} bytes");
                }
            }
        }
    }

    /// The word-at-a-time backslash marks agree with the vector ones: the first mark (the
    /// only one used) is at the first backslash, and the 16 bytes are copied.
    #[test]
    fn backslash_marks_by_words_find_the_first() {
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            let mut src = [0u8; 16];
            for b in &mut src {
                rng = rng
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                // Backslashes, bytes next to it, non-ASCII.
                *b = [b'\\', b']', b'^', b'L', b'|', 0xDC][(rng >> 59) as usize % 6];
            }
            let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
            let (va, vb) = unsafe {
                (
                    copy_16(src.as_ptr(), a.as_mut_ptr()),
                    copy_16_words(src.as_ptr(), b.as_mut_ptr()),
                )
            };
            assert_eq!((a, b), (src, src));
            let first = src
                .iter()
                .position(|&c| c == b'\\')
                .map_or(32, |p| p as u32);
            assert_eq!(va.trailing_zeros().min(32), first, "{src:?}");
            assert_eq!(vb.trailing_zeros().min(32), first, "{src:?}");
        }
    }

    /// Escapes at every offset, around the 16-byte runs copied whole, decode as serde_json
    /// decodes them.
    #[test]
    fn unescapes_at_every_offset() {
        for escape in [
            r"\n",
            r"\/",
            r"\\",
            r#"\""#,
            r"\u00e9",
            r"\u6771",
            r"\ud83d\ude00",
        ] {
            for before in 0..20 {
                for after in [0, 1, 7, 8, 9, 17] {
                    let raw = format!(
                        "{}{escape}{}{escape}",
                        "a".repeat(before),
                        "é".repeat(after)
                    );
                    let want: String = serde_json::from_str(&format!("\"{raw}\"")).unwrap();
                    let mut out = String::from("x");
                    unescape_alone(raw.as_bytes(), &mut out);
                    assert_eq!(out, format!("x{want}"), "{raw}");
                }
            }
        }
    }

    #[test]
    fn hex_digits_in_either_case_and_nothing_else() {
        for v in 0..=0xFFFFu32 {
            for text in [format!("{v:04x}"), format!("{v:04X}")] {
                assert_eq!(hex4(text.as_bytes(), 0), Some(v), "{text}");
            }
        }
        // The bytes next to the digit ranges, and non-ASCII.
        for bad in [b'/', b':', b'@', b'G', b'`', b'g', b' ', 0x80, 0xFF] {
            for at in 0..4 {
                let mut text = *b"0aF9";
                text[at] = bad;
                assert_eq!(hex4(&text, 0), None, "{text:?}");
            }
        }
        assert_eq!(hex4(b"abc", 0), None);
        assert_eq!(hex4(b"xabcd", 1), Some(0xABCD));
    }

    #[test]
    fn compacts_whitespace_outside_strings() {
        let mut out = Vec::new();
        push_compact(br#"{ "a b" : [ 1 , "x \" y" ] }"#, &mut out);
        assert_eq!(out, br#"{"a b":[1,"x \" y"]}"#);
    }
}
