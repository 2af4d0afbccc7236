//! Field-name lookup: the global field id of a JSON key, without hashing or `memcmp` calls for
//! the common case.
//!
//! A key is condensed into [`KeyWords`] (its length and its first and last 8 bytes, read as two
//! machine words), which decide equality for keys of up to 16 bytes and nearly always for longer
//! ones. [`KeyIndex`] is an open-addressing table over those words, built once for the schema.

/// A key condensed for comparison: its length and its first and last 8 bytes (zero-padded
/// when shorter). Two keys of at most 16 bytes are equal exactly when their words are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyWords {
    len: usize,
    head: u64,
    tail: u64,
}

impl KeyWords {
    /// The words of `key`.
    #[inline]
    pub fn of(key: &[u8]) -> Self {
        Self::within(key, 0, key.len())
    }

    /// The words of `buf[start..end]`, reading whole words from `buf` where it extends far
    /// enough (a key in a line is followed by at least its closing quote and `:`).
    #[inline(always)]
    pub fn within(buf: &[u8], start: usize, end: usize) -> Self {
        let len = end - start;
        let word = |at: usize| u64::from_le_bytes(buf[at..at + 8].try_into().expect("8 bytes"));
        let (head, tail) = if len >= 8 {
            (word(start), word(end - 8))
        } else if start + 8 <= buf.len() {
            // Mask off the bytes after the key (little-endian: the high bytes).
            (word(start) & ((1u64 << (8 * len)) - 1), 0)
        } else {
            let mut b = [0u8; 8];
            b[..len].copy_from_slice(&buf[start..end]);
            (u64::from_le_bytes(b), 0)
        };
        KeyWords { len, head, tail }
    }

    /// A slot index of `bits` bits: the high bits of a multiplicative (Fibonacci) hash, which
    /// depend on every input bit (the low bits of a product only on the low input bits).
    #[inline(always)]
    fn slot(&self, bits: u32) -> usize {
        let h = (self.head ^ self.tail.rotate_left(29) ^ (self.len as u64).rotate_right(8))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> (64 - bits)) as usize
    }
}

const EMPTY: u16 = u16::MAX;

/// Whether two keys of the same length (over 16 bytes) whose first and last 8 bytes are equal
/// have equal middles (`[8, len - 8)`), 8 bytes at a time; the last word read may overlap
/// bytes already known to be equal.
#[inline]
fn middle_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || a.len() <= 16 {
        return a == b;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    let end = a.len() - 8;
    let mut at = 8;
    while at + 8 <= end {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    at == end || word(a, end - 8) == word(b, end - 8)
}

/// Maps field names to their ids (`0..names.len()`).
pub(crate) struct KeyIndex {
    names: Vec<&'static [u8]>,
    /// The words of each name, by id.
    words: Vec<KeyWords>,
    /// Open addressing with linear probing: `EMPTY` or an id. At most a quarter full, and 2
    /// bytes a slot, so that it stays in the L1 cache with `words` (24-byte slots holding the
    /// words took 48 KiB and ran slower, waiting on loads).
    slots: Vec<u16>,
    /// `slots.len()` is `1 << bits`.
    bits: u32,
}

impl KeyIndex {
    /// An index of `names`, which must be distinct and fewer than 65,535.
    pub fn new(names: &[&'static str]) -> Self {
        assert!(names.len() < EMPTY as usize, "too many field names");
        let size = (names.len() * 4).next_power_of_two().max(16);
        let mut index = KeyIndex {
            names: names.iter().map(|n| n.as_bytes()).collect(),
            words: names.iter().map(|n| KeyWords::of(n.as_bytes())).collect(),
            slots: vec![EMPTY; size],
            bits: size.trailing_zeros(),
        };
        let mask = size - 1;
        for id in 0..names.len() {
            let mut i = index.words[id].slot(index.bits);
            while index.slots[i] != EMPTY {
                i = (i + 1) & mask;
            }
            index.slots[i] = id as u16;
        }
        index
    }

    /// The longest run of probes any name needs (1 when no two names share a slot).
    #[cfg(test)]
    fn longest_probe(&self) -> usize {
        (0..self.names.len())
            .map(|id| {
                let mut i = self.words[id].slot(self.bits);
                let mut probes = 1;
                while self.slots[i] as usize != id {
                    i = (i + 1) & (self.slots.len() - 1);
                    probes += 1;
                }
                probes
            })
            .max()
            .unwrap_or(0)
    }

    /// The index as plain slices, for hot loops: a copy in registers that writes elsewhere
    /// cannot make stale, so nothing is reloaded through the index.
    #[inline(always)]
    pub fn view(&self) -> KeyView<'_> {
        KeyView {
            names: &self.names,
            words: &self.words,
            slots: &self.slots,
            bits: self.bits,
        }
    }

    /// The id of `key`, whose words are `words`.
    #[inline]
    pub fn get(&self, key: &[u8], words: &KeyWords) -> Option<u16> {
        self.view().get(key, words)
    }

    /// Whether `key` (with words `words`) is the name of field `id`.
    #[cfg(test)]
    fn is(&self, id: u16, key: &[u8], words: &KeyWords) -> bool {
        self.view().is(id, key, words)
    }
}

/// A [`KeyIndex`] borrowed (see [`KeyIndex::view`]).
#[derive(Clone, Copy)]
pub(crate) struct KeyView<'a> {
    names: &'a [&'static [u8]],
    words: &'a [KeyWords],
    slots: &'a [u16],
    bits: u32,
}

impl KeyView<'_> {
    /// The id of `key`, whose words are `words`.
    #[inline(always)]
    pub fn get(&self, key: &[u8], words: &KeyWords) -> Option<u16> {
        let mask = self.slots.len() - 1;
        let mut i = words.slot(self.bits);
        loop {
            let id = self.slots[i & mask];
            if id == EMPTY {
                return None;
            }
            if self.is(id, key, words) {
                return Some(id);
            }
            i += 1;
        }
    }

    /// Whether `key` (with words `words`) is the name of field `id`: the name's middle is
    /// compared only for keys over 16 bytes whose words match.
    #[inline(always)]
    pub fn is(&self, id: u16, key: &[u8], words: &KeyWords) -> bool {
        self.words.get(id as usize).is_some_and(|w| {
            w == words && (words.len <= 16 || middle_eq(key, self.names[id as usize]))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_the_same_wherever_the_key_is_read_from() {
        let line = b"{\"a\":1,\"userkey\":2,\"exactly8\":3,\"a_much_longer_key_name\":4}";
        for key in [
            &b"a"[..],
            b"userkey",
            b"exactly8",
            b"a_much_longer_key_name",
        ] {
            let start = line.windows(key.len()).position(|w| w == key).unwrap();
            assert_eq!(
                KeyWords::within(line, start, start + key.len()),
                KeyWords::of(key)
            );
            // At the very end of a buffer (no bytes to read past it).
            assert_eq!(KeyWords::within(key, 0, key.len()), KeyWords::of(key));
        }
    }

    #[test]
    fn finds_every_name_and_nothing_else() {
        let names: Vec<&'static str> = vec![
            "",
            "a",
            "b",
            "ab",
            "user",
            "userkey",
            "exactly8",
            "exactly8x",
            "sixteen_bytes_ab",
            "seventeen_bytes_a",
            "a_much_longer_key_name",
            "a_much_LONGER_key_name",
            "a_much_longer_key_nam",
        ];
        let index = KeyIndex::new(&names);
        for (id, n) in names.iter().enumerate() {
            let w = KeyWords::of(n.as_bytes());
            assert_eq!(index.get(n.as_bytes(), &w), Some(id as u16), "{n}");
            assert!(index.is(id as u16, n.as_bytes(), &w));
        }
        // Same length, same first and last 8 bytes, different middle.
        for miss in [
            &b"c"[..],
            b"User",
            b"userkez",
            b"a_much_longer_kex_name",
            b"a_much_longer_key_names",
            b"\0",
            b"a\0",
        ] {
            assert_eq!(index.get(miss, &KeyWords::of(miss)), None, "{miss:?}");
        }
        let w = KeyWords::of(b"a_much_longer_kex_name");
        assert!(!index.is(10, b"a_much_longer_kex_name", &w));
    }

    #[test]
    fn middles_compare_equal_exactly_when_the_keys_do() {
        let base: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for len in 17..=40 {
            let a = &base[..len];
            assert!(middle_eq(a, a), "{len}");
            // A difference anywhere in the middle is found (the head and tail are compared
            // through the words before).
            for i in 8..len - 8 {
                let mut b = a.to_vec();
                b[i] ^= 0x20;
                assert!(!middle_eq(a, &b), "{len} {i}");
            }
            assert!(!middle_eq(a, &base[..len - 1]));
        }
    }

    #[test]
    fn the_schema_field_names_spread_over_the_slots() {
        let reg = crate::schema::registry();
        let index = KeyIndex::new(&reg.field_names);
        assert!(reg.field_names.len() > 500, "{}", reg.field_names.len());
        // At most a quarter full: with a hash that spreads, no name is far from its slot.
        let longest = index.longest_probe();
        assert!(longest <= 6, "longest probe run {longest}");
    }
}
