//! Rejected lines: everything that could not become a row, with where it was and why.

use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, BooleanBuilder, StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::json::push_json_string;

/// A line (or an element of an API response envelope) that is not a usable JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// Name of the input (file path, `-` for stdin, or what the caller named it).
    pub source: Arc<str>,
    /// 1-based line number in the (decompressed) source.
    pub line: u64,
    /// Byte offset of the line's first byte in the (decompressed) source.
    pub offset: u64,
    /// What is wrong, e.g. `truncated JSON: the line ended inside the object (at byte 31 of the line)`.
    pub error: String,
    /// The raw bytes of the line, without its line end (cut at `Limits::max_reject_raw_bytes`).
    pub raw: Vec<u8>,
    /// Whether `raw` is only the start of the line.
    pub raw_truncated: bool,
}

impl Reject {
    /// The reject as one JSON object (no newline): `source`, `line`, `offset`, `error`, `raw`,
    /// plus `raw_truncated` when the line was cut and `raw_base64` when the line is not UTF-8
    /// (then `raw` holds a lossy copy with U+FFFD).
    ///
    /// ```
    /// # use netskope_arrow::Reject;
    /// let r = Reject { source: "a.ndjson".into(), line: 3, offset: 91, error: "bad".into(),
    ///                  raw: b"{\"x\"".to_vec(), raw_truncated: false };
    /// assert_eq!(r.to_json(), r#"{"source":"a.ndjson","line":3,"offset":91,"error":"bad","raw":"{\"x\""}"#);
    /// ```
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(self.raw.len() + 128);
        out.extend_from_slice(b"{\"source\":");
        push_json_string(&self.source, &mut out);
        out.extend_from_slice(
            format!(
                ",\"line\":{},\"offset\":{},\"error\":",
                self.line, self.offset
            )
            .as_bytes(),
        );
        push_json_string(&self.error, &mut out);
        out.extend_from_slice(b",\"raw\":");
        let text = String::from_utf8_lossy(&self.raw);
        push_json_string(&text, &mut out);
        if self.raw_truncated {
            out.extend_from_slice(b",\"raw_truncated\":true");
        }
        if std::str::from_utf8(&self.raw).is_err() {
            out.extend_from_slice(b",\"raw_base64\":\"");
            out.extend_from_slice(base64(&self.raw).as_bytes());
            out.push(b'"');
        }
        out.push(b'}');
        String::from_utf8(out).expect("JSON text built from UTF-8 parts")
    }
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// The Arrow schema of the rejects table: `source`, `line`, `offset`, `error`, `raw` (binary,
/// exact bytes), `raw_truncated`.
pub fn rejects_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("line", DataType::UInt64, false),
        Field::new("offset", DataType::UInt64, false),
        Field::new("error", DataType::Utf8, false),
        Field::new("raw", DataType::Binary, false),
        Field::new("raw_truncated", DataType::Boolean, false),
    ]))
}

/// Builds the rejects table from a list of rejects.
pub fn rejects_batch(rejects: &[Reject]) -> RecordBatch {
    let mut source = StringBuilder::new();
    let mut line = UInt64Builder::new();
    let mut offset = UInt64Builder::new();
    let mut error = StringBuilder::new();
    let mut raw = BinaryBuilder::new();
    let mut truncated = BooleanBuilder::new();
    for r in rejects {
        source.append_value(&r.source);
        line.append_value(r.line);
        offset.append_value(r.offset);
        error.append_value(&r.error);
        raw.append_value(&r.raw);
        truncated.append_value(r.raw_truncated);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(source.finish()),
        Arc::new(line.finish()),
        Arc::new(offset.finish()),
        Arc::new(error.finish()),
        Arc::new(raw.finish()),
        Arc::new(truncated.finish()),
    ];
    RecordBatch::try_new(rejects_schema(), columns).expect("rejects columns match their schema")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn invalid_utf8_keeps_exact_bytes_in_base64() {
        let r = Reject {
            source: "s".into(),
            line: 1,
            offset: 0,
            error: "e".into(),
            raw: vec![b'{', 0xff],
            raw_truncated: false,
        };
        assert_eq!(r.to_json(), "{\"source\":\"s\",\"line\":1,\"offset\":0,\"error\":\"e\",\"raw\":\"{\u{fffd}\",\"raw_base64\":\"e/8=\"}");
    }
}
