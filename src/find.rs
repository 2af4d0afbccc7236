//! Finding where a JSON string ends: the first `"` or `\` after a position, 32 bytes at a time.
//!
//! Most Netskope values and keys are short, so the first 64 bytes are tested in registers
//! (SSE2 on x86_64, SIMD128 on wasm32 builds with it, 64-bit words elsewhere) without a call, 32
//! bytes per step: a step per 16 bytes made the loop's exit a coin toss for the many keys and
//! values of 16 to 31 bytes. A short tail is tested 16 bytes, then a byte, at a time, and only
//! long strings go on to `memchr`'s vector search, whose setup costs more than a short string.

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

/// The high bit of each byte of `word` (little-endian) that equals `b`. The lowest mark is
/// exactly the first such byte: borrows only make false marks above a true one, and none
/// without one; so `trailing_zeros() / 8` is its index.
#[inline(always)]
pub(crate) fn byte_marks(word: u64, b: u8) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    let x = word ^ (LO * u64::from(b));
    x.wrapping_sub(LO) & !x & (LO * 0x80)
}

#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
use vector::{first_in_16, first_in_32};
#[cfg(not(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
)))]
use words::{first_in_16, first_in_32};

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
}
