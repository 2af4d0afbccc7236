//! Finding where a JSON string ends: the first `"` or `\` at or after a position.
//!
//! Two ways, which find the same positions:
//! - [`Marks`]: the decoder marks every `"` and `\` of a record's line in a bitmap first, in one
//!   pass (AVX2 where the processor has it, chosen at run time; SSE2 on other x86_64; SIMD128 on
//!   wasm32 builds with it; 64-bit words elsewhere). Each string's end is then a shift and a
//!   bit count, with no loop whose exit depends on the string's length. Against the search
//!   below, on 8 MB of the generated corpora (callgrind): 2.1% fewer instructions and 6% fewer
//!   mispredicted branches on application events, 1.8% and 10% on the mixed corpus.
//! - [`quote_or_backslash`]: a search from the position, for nested objects and arrays and for
//!   JSON text inside values. The first 64 bytes are tested in registers without a call, 32
//!   bytes per step: a step per 16 bytes made the loop's exit a coin toss for the many keys and
//!   values of 16 to 31 bytes. A short tail is tested 16 bytes, then a byte, at a time, and only
//!   long strings go on to `memchr`'s vector search, whose setup costs more than a short string.

/// The position of the first `"` or `\` in `buf` at or after `from`.
#[inline(always)]
pub(crate) fn quote_or_backslash(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    let stop = buf.len().min(from + 64);
    while i + 32 <= stop {
        // SAFETY: `i + 32 <= stop <= buf.len()`, so the 32 bytes at `i` are within `buf`
        // (`[u8; 32]` has the alignment of `u8`). Slicing costs a bounds check per step here.
        let bytes = unsafe { &*(buf.as_ptr().add(i) as *const [u8; 32]) };
        if let Some(p) = first_in_32(bytes) {
            return Some(i + p);
        }
        i += 32;
    }
    if buf.len() - i < 32 {
        if buf.len() - i >= 16 {
            // SAFETY: as above, with 16 bytes.
            let bytes = unsafe { &*(buf.as_ptr().add(i) as *const [u8; 16]) };
            if let Some(p) = first_in_16(bytes) {
                return Some(i + p);
            }
            i += 16;
        }
        return buf[i..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\')
            .map(|p| i + p);
    }
    memchr::memchr2(b'"', b'\\', &buf[i..]).map(|p| i + p)
}

/// The `"` and `\` bytes of one line as a bitmap (bit `i % 64` of word `i / 64` for byte
/// `i`), plus a mark just past the line's end. One bit per byte of the line: kept between
/// lines, and given back after a line of more than 4 MiB.
#[derive(Debug, Default)]
pub(crate) struct Marks {
    words: Vec<u64>,
}

impl Marks {
    /// Marks the bytes of `line`, replacing the marks of the previous line.
    pub fn build(&mut self, line: &[u8]) -> MarkView<'_> {
        const KEEP_WORDS: usize = 1 << 16;
        if self.words.capacity() > KEEP_WORDS && line.len() / 64 < KEEP_WORDS {
            self.words = Vec::new();
        }
        self.words.clear();
        // A word per 64 bytes, one for the rest (possibly empty) and a zero word after it, so
        // that the two words read at any position up to `line.len()` exist.
        self.words.reserve(line.len() / 64 + 2);
        let whole = line.len() / 64 * 64;
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2.
            unsafe { avx2::push_masks(&line[..whole], &mut self.words) };
        } else {
            push_masks(&line[..whole], &mut self.words);
        }
        #[cfg(not(target_arch = "x86_64"))]
        push_masks(&line[..whole], &mut self.words);
        let rest = &line[whole..];
        let mut last = [0u8; 64];
        last[..rest.len()].copy_from_slice(rest);
        // The line's end is marked too, so that a search always ends at a mark.
        self.words.push(mask_64(&last) | 1 << rest.len());
        self.words.push(0);
        MarkView {
            words: &self.words,
            len: line.len(),
        }
    }
}

/// Appends the marks of each 64 bytes of `blocks` (a multiple of 64 bytes long) to `words`.
fn push_masks(blocks: &[u8], words: &mut Vec<u64>) {
    for block in blocks.chunks_exact(64) {
        words.push(mask_64(block.try_into().expect("64 bytes")));
    }
}

/// [`push_masks`] with AVX2, chosen at run time.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8,
    };

    /// [`super::push_masks`].
    ///
    /// # Safety
    /// The processor must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn push_masks(blocks: &[u8], words: &mut Vec<u64>) {
        let (quote, backslash) = (_mm256_set1_epi8(b'"' as i8), _mm256_set1_epi8(b'\\' as i8));
        for block in blocks.chunks_exact(64) {
            // SAFETY: the loads read the block's two halves of 32 bytes.
            let (lo, hi) = unsafe {
                let p = block.as_ptr() as *const __m256i;
                (_mm256_loadu_si256(p), _mm256_loadu_si256(p.add(1)))
            };
            let lo = _mm256_or_si256(
                _mm256_cmpeq_epi8(lo, quote),
                _mm256_cmpeq_epi8(lo, backslash),
            );
            let hi = _mm256_or_si256(
                _mm256_cmpeq_epi8(hi, quote),
                _mm256_cmpeq_epi8(hi, backslash),
            );
            let (lo, mut hi) = (
                _mm256_movemask_epi8(lo) as u32,
                _mm256_movemask_epi8(hi) as u32,
            );
            // An empty `asm!` hides where `hi` came from: LLVM otherwise merges the two masks
            // into one of 64 lanes, which AVX2 has no instruction for, and builds it a bit at
            // a time (~200 instructions).
            // SAFETY: the assembly is empty.
            unsafe { std::arch::asm!("/* {0:e} */", inout(reg) hi, options(pure, nomem, nostack)) };
            words.push(u64::from(lo) | u64::from(hi) << 32);
        }
    }
}

/// The marks of one line (see [`Marks::build`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MarkView<'a> {
    words: &'a [u64],
    /// The line's length, to check (in debug builds) that a search is in the line marked.
    len: usize,
}

impl MarkView<'_> {
    /// The length of the line marked.
    pub fn len(self) -> usize {
        self.len
    }

    /// The position of the first `"` or `\` at or after `from` (at most the line's length), or
    /// the line's length when there is none.
    #[inline(always)]
    pub fn quote_or_backslash(self, from: usize) -> usize {
        let (w, s) = (from / 64, (from % 64) as u32);
        // The 64 bits from `from` on, across two words: no branch on where the word ends.
        let hi = self.words[w + 1];
        // SAFETY: `w < w + 1`, which was in bounds.
        let lo = unsafe { *self.words.get_unchecked(w) };
        let window = lo >> s | (hi << 1) << (63 - s);
        if window != 0 {
            return from + window.trailing_zeros() as usize;
        }
        self.after(from + 64)
    }

    /// [`MarkView::quote_or_backslash`] for a string of 64 bytes or more.
    #[inline(never)]
    fn after(self, mut from: usize) -> usize {
        loop {
            let w = from / 64;
            // The mark at the line's end stops the search before the words run out.
            let m = self.words[w] >> (from % 64);
            if m != 0 {
                return from + m.trailing_zeros() as usize;
            }
            from = (w + 1) * 64;
        }
    }
}

/// The high bit of each byte of `word` (little-endian) that equals `b`. The lowest mark is
/// exactly the first such byte: borrows only make false marks above a true one, and none
/// without one; so `trailing_zeros() / 8` is its index.
#[inline(always)]
pub(crate) fn byte_marks(word: u64, b: u8) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    let x = word ^ (LO * u64::from(b));
    x.wrapping_sub(LO) & !x & (LO * 0x80)
}

/// The high bits of the 8 bytes of `marks` (bits 7, 15, ..., 63) gathered into bits 0-7, bit
/// `i` for byte `i`: the multiplication moves each to the top byte, without carries.
#[inline(always)]
pub(crate) fn gather_marks(marks: u64) -> u64 {
    (marks >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
use vector::{first_in_16, first_in_32, mask_64};
#[cfg(not(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
)))]
use words::{first_in_16, first_in_32, mask_64};

/// The searches with SSE2 (x86_64) or SIMD128 (wasm32 builds with it).
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
mod vector {
    /// A bit per byte of `bytes` that is `"` or `\` (bit `i` for byte `i`).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn mask_16(bytes: &[u8; 16]) -> u32 {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
            _mm_set1_epi8,
        };
        // SAFETY: SSE2 is part of x86_64, and the load reads the 16 bytes of `bytes`.
        let m = unsafe {
            let v = _mm_loadu_si128(bytes.as_ptr() as *const __m128i);
            _mm_movemask_epi8(_mm_or_si128(
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8)),
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8)),
            ))
        };
        m as u32
    }

    /// A bit per byte of `bytes` that is `"` or `\` (bit `i` for byte `i`).
    #[cfg(target_arch = "wasm32")]
    #[inline(always)]
    fn mask_16(bytes: &[u8; 16]) -> u32 {
        use core::arch::wasm32::{i8x16_bitmask, i8x16_eq, i8x16_splat, v128, v128_load, v128_or};
        // SAFETY: the load reads the 16 bytes of `bytes` (unaligned loads are allowed).
        let v = unsafe { v128_load(bytes.as_ptr() as *const v128) };
        u32::from(i8x16_bitmask(v128_or(
            i8x16_eq(v, i8x16_splat(b'"' as i8)),
            i8x16_eq(v, i8x16_splat(b'\\' as i8)),
        )))
    }

    /// A bit per byte of `bytes` that is `"` or `\` (bit `i` for byte `i`).
    #[inline(always)]
    pub(super) fn mask_64(bytes: &[u8; 64]) -> u64 {
        let part = |i: usize| u64::from(mask_16(bytes[i..i + 16].try_into().expect("16 bytes")));
        part(0) | part(16) << 16 | part(32) << 32 | part(48) << 48
    }

    /// The first `"` or `\` among 16 bytes.
    #[inline(always)]
    pub(super) fn first_in_16(bytes: &[u8; 16]) -> Option<usize> {
        let m = mask_16(bytes);
        (m != 0).then(|| m.trailing_zeros() as usize)
    }

    /// The first `"` or `\` among 32 bytes: both halves are tested before a branch.
    #[inline(always)]
    pub(super) fn first_in_32(bytes: &[u8; 32]) -> Option<usize> {
        let (lo, hi) = bytes.split_at(16);
        let lo: &[u8; 16] = lo.try_into().expect("16 bytes");
        let hi: &[u8; 16] = hi.try_into().expect("16 bytes");
        let m = mask_16(lo) | mask_16(hi) << 16;
        (m != 0).then(|| m.trailing_zeros() as usize)
    }
}

/// The searches with 64-bit words and no vector instructions (tested on every target).
#[cfg(any(
    test,
    not(any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    ))
))]
mod words {
    use super::byte_marks;

    /// A bit per byte of `bytes` that is `"` or `\` (bit `i` for byte `i`).
    pub(super) fn mask_64(bytes: &[u8; 64]) -> u64 {
        const LO7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
        // The high bit of each byte of `w` that is zero, exactly (no carry crosses a byte).
        let zeros = |w: u64| !(((w & LO7) + LO7) | w | LO7);
        let mut m = 0;
        for (i, chunk) in bytes.chunks_exact(8).enumerate() {
            let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            let marks = zeros(w ^ 0x2222_2222_2222_2222) | zeros(w ^ 0x5C5C_5C5C_5C5C_5C5C);
            m |= super::gather_marks(marks) << (8 * i);
        }
        m
    }

    /// The first `"` or `\` among 16 bytes.
    #[inline(always)]
    pub(super) fn first_in_16(bytes: &[u8; 16]) -> Option<usize> {
        for half in [0, 8] {
            let w = u64::from_le_bytes(bytes[half..half + 8].try_into().expect("8 bytes"));
            let m = byte_marks(w, b'"') | byte_marks(w, b'\\');
            if m != 0 {
                return Some(half + (m.trailing_zeros() / 8) as usize);
            }
        }
        None
    }

    /// The first `"` or `\` among 32 bytes.
    #[inline(always)]
    pub(super) fn first_in_32(bytes: &[u8; 32]) -> Option<usize> {
        let (lo, hi) = bytes.split_at(16);
        first_in_16(lo.try_into().expect("16 bytes"))
            .or_else(|| first_in_16(hi.try_into().expect("16 bytes")).map(|p| p + 16))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_quote_or_backslash_at_any_alignment() {
        let naive = |buf: &[u8], from: usize| {
            buf[from..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\')
                .map(|p| p + from)
        };
        let mut seed = 7u64;
        for round in 0..3000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = (seed >> 33) as usize % 150;
            // Bytes around the targets (0x22, 0x5C) and their +-1 / 0x80 neighbours, which
            // break carry-based tricks.
            let alphabet = [
                b'a', b'"', b'\\', 0x21, 0x23, 0x5B, 0x5D, 0xA2, 0xDC, 0x00, 0xFF,
            ];
            let buf: Vec<u8> = (0..len)
                .map(|i| {
                    let r = seed.rotate_left(i as u32 * 7) ^ (i as u64 * 0x9E37);
                    // Mostly filler, so that matches land at every position.
                    if r % 23 == 0 || round % 10 == 0 {
                        alphabet[(r >> 8) as usize % alphabet.len()]
                    } else {
                        alphabet[3 + (r >> 8) as usize % 8]
                    }
                })
                .collect();
            for from in 0..=len.min(40) {
                let want = naive(&buf, from);
                assert_eq!(quote_or_backslash(&buf, from), want, "{buf:?} from {from}");
                if from + 16 <= len {
                    let in_16 = want.filter(|&p| p < from + 16).map(|p| p - from);
                    let bytes: &[u8; 16] = buf[from..from + 16].try_into().unwrap();
                    assert_eq!(first_in_16(bytes), in_16, "{buf:?} from {from}");
                    assert_eq!(words::first_in_16(bytes), in_16, "{buf:?} from {from}");
                }
                if from + 32 <= len {
                    let in_32 = want.filter(|&p| p < from + 32).map(|p| p - from);
                    let bytes: &[u8; 32] = buf[from..from + 32].try_into().unwrap();
                    assert_eq!(first_in_32(bytes), in_32, "{buf:?} from {from}");
                    assert_eq!(words::first_in_32(bytes), in_32, "{buf:?} from {from}");
                }
            }
        }
    }

    /// The marks of a line find what a search finds, from every position (including the
    /// line's end), and every way of building them marks the same bytes.
    #[test]
    fn marks_find_what_a_search_finds() {
        let mut seed = 11u64;
        let mut built = Marks::default();
        for round in 0..400 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = (seed >> 33) as usize % 400;
            let dense = round % 4 == 0;
            let buf: Vec<u8> = (0..len)
                .map(|i| {
                    let r = (seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).rotate_left(17)
                        >> 40;
                    match r % if dense { 4 } else { 40 } {
                        0 => b'"',
                        1 => b'\\',
                        // Neighbours of the marked bytes and bytes with the high bit set.
                        2 => [0x21, 0x23, 0x5B, 0x5D, 0xA2, 0xDC][(r >> 8) as usize % 6],
                        _ => b'a' + (r >> 8) as u8 % 26,
                    }
                })
                .collect();
            let mut words = Vec::new();
            push_masks(&buf[..len / 64 * 64], &mut words);
            for (i, block) in buf.chunks_exact(64).enumerate() {
                let block: &[u8; 64] = block.try_into().unwrap();
                let naive = (0..64).fold(0u64, |m, j| {
                    m | u64::from(block[j] == b'"' || block[j] == b'\\') << j
                });
                assert_eq!(words[i], naive, "{block:?}");
                assert_eq!(words::mask_64(block), naive, "{block:?}");
            }
            // `build` takes the AVX2 path where the processor has it: the same words.
            let marks = built.build(&buf);
            assert_eq!(marks.words[..len / 64], words[..]);
            assert_eq!(marks.words.len(), len / 64 + 2);
            assert_eq!(marks.words[len / 64] >> (len % 64), 1, "the end is marked");
            for from in 0..=len {
                let want = buf[from..]
                    .iter()
                    .position(|&b| b == b'"' || b == b'\\')
                    .map(|p| p + from);
                let want = want.unwrap_or(len);
                assert_eq!(marks.quote_or_backslash(from), want, "{buf:?} from {from}");
            }
        }
    }
}
