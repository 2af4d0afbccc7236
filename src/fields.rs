//! Field ids of a record's keys, found while the record is scanned.
//!
//! Netskope exports interleave a few record kinds, each with a stable key order, so the field
//! that followed a key last time is tried first ([`FieldIds::next_field`]); otherwise the key
//! is looked up in the schema's [`KeyIndex`](crate::keys::KeyIndex). Either way the key is
//! compared by its length and first and last 8 bytes ([`KeyWords`]), read while its bytes are
//! still in registers from scanning.

use crate::json::{self, Entry, Span, NO_FIELD};
use crate::keys::KeyWords;
use crate::limits::Limits;
use crate::schema::registry;

/// Per-decoder state of the key lookup.
pub(crate) struct FieldIds {
    /// Per global field id, and at the end for the start of a record: the field that followed
    /// it the last time (`NO_FIELD` when none yet).
    next_field: Vec<u16>,
    /// Unescaped text of a key with escapes.
    key_scratch: String,
}

impl FieldIds {
    pub fn new() -> Self {
        FieldIds {
            next_field: vec![NO_FIELD; registry().field_names.len() + 1],
            key_scratch: String::new(),
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
        let (next_field, key_scratch) = (&mut self.next_field[..], &mut self.key_scratch);
        // The field before the current key; the start of a record is the last slot.
        let mut before = next_field.len() - 1;
        json::scan_object_with(line, limits, entries, |line, key| {
            let found = if key.escaped {
                escaped_key(line, key, key_scratch)
            } else {
                let (start, end) = (key.start as usize, key.end as usize);
                let words = KeyWords::within(line, start, end);
                let bytes = &line[start..end];
                let guess = next_field[before];
                if keys.is(guess, bytes, &words) {
                    Some(guess)
                } else {
                    keys.get(bytes, &words)
                }
            };
            match found {
                Some(g) => {
                    next_field[before] = g;
                    before = g as usize;
                    g
                }
                None => NO_FIELD,
            }
        })
    }
}

/// The field of a key written with escapes (`"\u0074ype"`), decoded first.
#[cold]
#[inline(never)]
fn escaped_key(line: &[u8], key: &Span, scratch: &mut String) -> Option<u16> {
    scratch.clear();
    json::unescape_into(key.bytes(line), scratch);
    registry().global_id(scratch.as_bytes())
}
