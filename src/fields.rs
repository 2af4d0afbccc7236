//! Field ids of a record's keys, found while the record is scanned.
//!
//! Each key is looked up in the schema's [`KeyIndex`](crate::keys::KeyIndex), compared by its
//! length, first 16 and last 8 bytes ([`KeyWords`]), read while its bytes are still in
//! registers from scanning, and before its value is scanned (see `json::scan_object_with`).
//!
//! Earlier versions first tried the field that followed the previous key last time (right for
//! nearly every key of an export whose records share one key order). Dropping that guess was
//! faster on every input measured, although it runs up to 3% more instructions: 1.01x-1.05x on
//! the bundled samples repeated, 1.08x on generated application events, 1.04x-1.08x on the
//! generated mixed corpus (fastest of 11-15 interleaved runs over 64 MB). A guess that misses
//! costs a mispredicted branch and a cache miss before the index is searched anyway; one that
//! hits saves a multiply, a load and a few compares, which the processor overlaps with the
//! scan of the next value.

use crate::find::Marks;
use crate::json::{self, Entry, Span, NO_FIELD};
use crate::keys::KeyWords;
use crate::limits::Limits;
use crate::schema::registry;

/// Per-decoder state of the key lookup.
pub(crate) struct FieldIds {
    /// Unescaped text of a key with escapes.
    key_scratch: String,
    /// The `"` and `\` bytes of the line being scanned.
    marks: Marks,
}

impl FieldIds {
    pub fn new() -> Self {
        FieldIds {
            key_scratch: String::new(),
            marks: Marks::default(),
        }
    }

    /// Scans one record (see [`json::scan_object`]), naming each entry's field.
    pub fn scan(
        &mut self,
        line: &[u8],
        limits: &Limits,
        entries: &mut Vec<Entry>,
    ) -> Result<(), Box<json::ScanError>> {
        let keys = registry().keys.view();
        let key_scratch = &mut self.key_scratch;
        let marks = self.marks.build(line);
        json::scan_object_with(line, limits, marks, entries, |line, key| {
            let found = if key.escaped {
                escaped_key(line, key, key_scratch)
            } else {
                let (start, end) = (key.start as usize, key.end as usize);
                keys.get(&line[start..end], &KeyWords::within(line, start, end))
            };
            found.unwrap_or(NO_FIELD)
        })
    }
}

/// The field of a key written with escapes (`"\u0074ype"`), decoded first.
#[cold]
#[inline(never)]
fn escaped_key(line: &[u8], key: &Span, scratch: &mut String) -> Option<u16> {
    scratch.clear();
    json::unescape_into(line, key, scratch);
    registry().global_id(scratch.as_bytes())
}
