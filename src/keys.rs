//! Field-name lookup: the global field id of a JSON key, without hashing or `memcmp` calls for
//! the common case.
//!
//! A key is condensed into [`KeyWords`] (its length and its first, second and last 8 bytes,
//! read as three machine words), which decide equality for keys of up to 24 bytes (nearly all
//! field names) and nearly always for longer ones. [`KeyIndex`] is a perfect hash table over
//! those words, built once for the schema.

/// A key condensed for comparison: its length, its first 16 bytes as two words (zero-padded
/// after the key when shorter), and its last 8 bytes (zero-padded before the key when
/// shorter). Two keys of at most 24 bytes are equal exactly when their words are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyWords {
    len: usize,
    head: u64,
    mid: u64,
    tail: u64,
}

/// `PREFIX_MASKS[n]` keeps the first `n` bytes of a little-endian 16-byte word.
static PREFIX_MASKS: [u128; 17] = {
    let mut masks = [u128::MAX; 17];
    let mut n = 0;
    while n < 16 {
        masks[n] = (1u128 << (8 * n)) - 1;
        n += 1;
    }
    masks
};

/// `SUFFIX_MASKS[n]` keeps the last `n` bytes of a little-endian 8-byte word.
static SUFFIX_MASKS: [u64; 9] = {
    let mut masks = [0; 9];
    let mut n = 1;
    while n <= 8 {
        masks[n] = u64::MAX << (8 * (8 - n));
        n += 1;
    }
    masks
};

impl KeyWords {
    /// The words of `key`.
    #[inline]
    pub fn of(key: &[u8]) -> Self {
        Self::within(key, 0, key.len())
    }

    /// The words of `buf[start..end]`, reading whole words from `buf` where it extends far
    /// enough (a key in a line is followed by at least its closing quote, `:` and a value).
    #[inline(always)]
    pub fn within(buf: &[u8], start: usize, end: usize) -> Self {
        let len = end - start;
        let word = |at: usize| u64::from_le_bytes(buf[at..at + 8].try_into().expect("8 bytes"));
        if start + 16 <= buf.len() && end >= 8 {
            // Without a branch on the length (keys of under and over 8 or 16 bytes alternate
            // at random, so such a branch is mispredicted often): the first 16 bytes are
            // masked to the key's (little-endian: the low ones), and the 8 bytes that end where
            // the key does to the key's (the high ones), by masks from tables: the compiler
            // turns a mask computed from a comparison into a branch that skips the load.
            let first = u128::from_le_bytes(buf[start..start + 16].try_into().expect("16 bytes"))
                & PREFIX_MASKS[len.min(16)];
            return KeyWords {
                len,
                head: first as u64,
                mid: (first >> 64) as u64,
                tail: word(end - 8) & SUFFIX_MASKS[len.min(8)],
            };
        }
        let mut padded = [0u8; 24];
        let first = len.min(24);
        padded[..first].copy_from_slice(&buf[start..start + first]);
        let at = |i: usize| u64::from_le_bytes(padded[i..i + 8].try_into().expect("8 bytes"));
        let mut last = [0u8; 8];
        let n = len.min(8);
        last[8 - n..].copy_from_slice(&buf[end - n..end]);
        KeyWords {
            len,
            head: at(0),
            mid: at(8),
            tail: u64::from_le_bytes(last),
        }
    }

    /// A hash of the words: a multiplicative (Fibonacci) hash, whose high bits depend on every
    /// input bit.
    #[inline(always)]
    fn hash(&self) -> u64 {
        (self.head ^ self.tail.rotate_left(29) ^ (self.len as u64).rotate_right(8))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

/// Whether two keys of the same length (over 24 bytes) whose words are equal have equal
/// middles (`[16, len - 8)`), 8 bytes at a time; the last word read may overlap bytes already
/// known to be equal.
#[inline]
fn middle_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || a.len() <= 24 {
        return a == b;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    let end = a.len() - 8;
    let mut at = 16;
    while at + 8 <= end {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    at == end || word(a, end - 8) == word(b, end - 8)
}

/// One slot of [`KeyIndex`]: a name's words and its id, so that a lookup reads one slot of 32
/// bytes, aligned so that it never straddles two cache lines.
#[derive(Debug, Clone, Copy)]
#[repr(align(32))]
struct Slot {
    head: u64,
    mid: u64,
    tail: u64,
    /// The name's length; `u32::MAX` in an empty slot, which no key matches.
    len: u32,
    id: u32,
}

const EMPTY_SLOT: Slot = Slot {
    head: 0,
    mid: 0,
    tail: 0,
    len: u32::MAX,
    id: 0,
};

/// The slot of hash `h` in a table of `1 << bits` slots, once displaced by `d`.
#[inline(always)]
fn displaced(h: u64, d: u16, bits: u32) -> usize {
    let x = h.wrapping_add(u64::from(d).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    (x.rotate_left(32).wrapping_mul(0xD6E8_FEB8_6659_FD93) >> (64 - bits)) as usize
}

/// Maps field names to their ids (`0..names.len()`) with a perfect hash (hash and displace):
/// a name's hash picks a bucket, the bucket's displacement (a table of 2 bytes per two names,
/// which stays in the L1 cache) moves the hash to a slot that no other name holds, and the
/// slot holds the name's words and id. A lookup reads one slot and never probes further.
pub(crate) struct KeyIndex {
    names: Vec<&'static [u8]>,
    /// Per bucket: the displacement of its names' slots.
    disp: Vec<u16>,
    /// `disp.len()` is `1 << bucket_bits`.
    bucket_bits: u32,
    /// At most three quarters full.
    slots: Vec<Slot>,
    /// `slots.len()` is `1 << slot_bits`.
    slot_bits: u32,
}

impl KeyIndex {
    /// An index of `names`, which must be distinct and fewer than 65,535.
    ///
    /// # Panics
    /// When `names` repeats a name, or (never seen) when no displacement separates a bucket's
    /// names.
    pub fn new(names: &[&'static str]) -> Self {
        assert!(names.len() < u16::MAX as usize, "too many field names");
        let slot_count = (names.len() * 4 / 3 + 1).next_power_of_two().max(16);
        let bucket_count = (names.len() / 2).next_power_of_two().max(4);
        let (slot_bits, bucket_bits) = (slot_count.trailing_zeros(), bucket_count.trailing_zeros());
        let words: Vec<KeyWords> = names.iter().map(|n| KeyWords::of(n.as_bytes())).collect();
        let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); bucket_count];
        for (id, w) in words.iter().enumerate() {
            buckets[(w.hash() >> (64 - bucket_bits)) as usize].push(id);
        }
        // The fullest buckets first, while most slots are free.
        let mut order: Vec<usize> = (0..bucket_count).collect();
        order.sort_by_key(|&b| std::cmp::Reverse(buckets[b].len()));
        let mut index = KeyIndex {
            names: names.iter().map(|n| n.as_bytes()).collect(),
            disp: vec![0; bucket_count],
            bucket_bits,
            slots: vec![EMPTY_SLOT; slot_count],
            slot_bits,
        };
        let mut taken = Vec::new();
        for b in order {
            let ids = &buckets[b];
            if ids.is_empty() {
                continue;
            }
            let d = (0..=u16::MAX)
                .find(|&d| {
                    taken.clear();
                    ids.iter().all(|&id| {
                        let s = displaced(words[id].hash(), d, slot_bits);
                        let free = index.slots[s].len == u32::MAX && !taken.contains(&s);
                        taken.push(s);
                        free
                    })
                })
                .expect("distinct field names, and a displacement that separates them");
            index.disp[b] = d;
            for &id in ids {
                let w = &words[id];
                index.slots[displaced(w.hash(), d, slot_bits)] = Slot {
                    head: w.head,
                    mid: w.mid,
                    tail: w.tail,
                    len: w.len as u32,
                    id: id as u32,
                };
            }
        }
        index
    }

    /// The index as plain slices, for hot loops: a copy in registers that writes elsewhere
    /// cannot make stale, so nothing is reloaded through the index.
    #[inline(always)]
    pub fn view(&self) -> KeyView<'_> {
        KeyView {
            names: &self.names,
            disp: &self.disp,
            bucket_bits: self.bucket_bits,
            slots: &self.slots,
            slot_bits: self.slot_bits,
        }
    }

    /// The id of `key`, whose words are `words`.
    #[inline]
    pub fn get(&self, key: &[u8], words: &KeyWords) -> Option<u16> {
        self.view().get(key, words)
    }
}

/// A [`KeyIndex`] borrowed (see [`KeyIndex::view`]).
#[derive(Clone, Copy)]
pub(crate) struct KeyView<'a> {
    names: &'a [&'static [u8]],
    disp: &'a [u16],
    bucket_bits: u32,
    slots: &'a [Slot],
    slot_bits: u32,
}

impl KeyView<'_> {
    /// The id of `key`, whose words are `words`: the name's middle is compared only for keys
    /// over 24 bytes whose words match.
    #[inline(always)]
    pub fn get(&self, key: &[u8], words: &KeyWords) -> Option<u16> {
        let h = words.hash();
        let bucket = (h >> (64 - self.bucket_bits)) as usize;
        debug_assert!(bucket < self.disp.len());
        // SAFETY: `disp` has `1 << bucket_bits` entries (`KeyIndex::new`), and `bucket` is the
        // top `bucket_bits` bits of a `u64`.
        let d = unsafe { *self.disp.get_unchecked(bucket) };
        let slot = displaced(h, d, self.slot_bits);
        debug_assert!(slot < self.slots.len());
        // SAFETY: `slots` has `1 << slot_bits` entries, and `displaced` keeps the top
        // `slot_bits` bits of a `u64`.
        let s = unsafe { *self.slots.get_unchecked(slot) };
        let found = s.head == words.head
            && s.mid == words.mid
            && s.tail == words.tail
            && s.len as usize == words.len;
        (found && (words.len <= 24 || middle_eq(key, self.names[s.id as usize])))
            .then_some(s.id as u16)
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

    /// Every key length at every position, with bytes after the key or none: the words are
    /// the key's first 16 bytes (zero-padded after it) and its last 8 bytes (zero-padded
    /// before it), wherever the key is read from.
    #[test]
    fn words_of_every_length_at_every_position() {
        let text: Vec<u8> = (0..60u8).map(|i| b'a' + i % 26).collect();
        let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap());
        for start in 0..=12 {
            for len in 0..=30 {
                let key = &text[start..start + len];
                let mut head = [0u8; 8];
                head[..len.min(8)].copy_from_slice(&key[..len.min(8)]);
                let want = KeyWords {
                    len,
                    head: word(&head),
                    mid: if len > 8 {
                        let mut mid = [0u8; 8];
                        mid[..len.min(16) - 8].copy_from_slice(&key[8..len.min(16)]);
                        word(&mid)
                    } else {
                        0
                    },
                    tail: {
                        let mut last = [0u8; 8];
                        last[8 - len.min(8)..].copy_from_slice(&key[len - len.min(8)..]);
                        word(&last)
                    },
                };
                for end_of_buffer in [start + len, start + len + 3, text.len()] {
                    let got = KeyWords::within(&text[..end_of_buffer], start, start + len);
                    assert_eq!(got, want, "start {start}, len {len}");
                }
            }
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
            "a_name_of_thirty_two_bytes_xyzw",
            "a_name_of_thirty_two_bytes_xyzwv",
        ];
        let index = KeyIndex::new(&names);
        for (id, n) in names.iter().enumerate() {
            let w = KeyWords::of(n.as_bytes());
            assert_eq!(index.get(n.as_bytes(), &w), Some(id as u16), "{n}");
        }
        // Same length, and the same first 16 or last 8 bytes, or both, but another key.
        for miss in [
            &b"c"[..],
            b"User",
            b"userkez",
            b"a_much_longer_kex_name",
            b"a_much_longer_key_names",
            b"a_much_longer_kex_nam",
            b"a_much_lonGer_key_name",
            b"a_name_of_thirty_tWo_bytes_xyzw",
            b"a_name_of_thirty_two_Bytes_xyzwv",
            b"\0",
            b"a\0",
        ] {
            assert_eq!(index.get(miss, &KeyWords::of(miss)), None, "{miss:?}");
        }
    }

    #[test]
    fn middles_compare_equal_exactly_when_the_keys_do() {
        let base: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for len in 25..=40 {
            let a = &base[..len];
            assert!(middle_eq(a, a), "{len}");
            // A difference anywhere in the middle is found (the first 16 and last 8 bytes are
            // compared through the words before).
            for i in 16..len - 8 {
                let mut b = a.to_vec();
                b[i] ^= 0x20;
                assert!(!middle_eq(a, &b), "{len} {i}");
            }
            assert!(!middle_eq(a, &base[..len - 1]));
        }
    }

    #[test]
    fn the_schema_field_names_each_have_a_slot() {
        let reg = crate::schema::registry();
        let index = KeyIndex::new(&reg.field_names);
        let n = reg.field_names.len();
        assert!(n > 500, "{n}");
        // Every name sits in its own slot (the lookups above find each one), the table is at
        // most three quarters full, and the displacements stay in the L1 cache.
        let full = index.slots.iter().filter(|s| s.len != u32::MAX).count();
        assert_eq!(full, n);
        assert!(
            n * 4 <= index.slots.len() * 3,
            "{n} names in {}",
            index.slots.len()
        );
        assert!(index.disp.len() * 2 <= 2048, "{}", index.disp.len());
        for (id, name) in reg.field_names.iter().enumerate() {
            let w = KeyWords::of(name.as_bytes());
            assert_eq!(index.get(name.as_bytes(), &w), Some(id as u16), "{name}");
        }
    }

    /// Any set of distinct names gets a perfect hash, including sets of one and none.
    #[test]
    fn builds_for_any_number_of_names() {
        let pool: Vec<&'static str> = (0..3000)
            .map(|i| &*Box::leak(format!("field_{i}_x").into_boxed_str()))
            .collect();
        for n in [0, 1, 2, 3, 17, 100, 1000, 3000] {
            let index = KeyIndex::new(&pool[..n]);
            for (id, name) in pool[..n].iter().enumerate() {
                let w = KeyWords::of(name.as_bytes());
                assert_eq!(index.get(name.as_bytes(), &w), Some(id as u16), "{name}");
            }
            let miss = b"field_3001_x";
            assert_eq!(index.get(miss, &KeyWords::of(miss)), None);
        }
    }
}
