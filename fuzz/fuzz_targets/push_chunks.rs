//! The push decoder fed the same bytes at fuzzer-chosen chunk boundaries gives exactly what it
//! gives for one chunk: batches, rejects (line, offset, reason, raw bytes) and counters. The
//! first byte seeds the boundaries; tight limits put over-long lines and documents across
//! chunks.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use netskope_arrow::Limits;

fuzz_target!(|data: &[u8]| {
    let Some(&seed) = data.first() else {
        return;
    };
    // Chunk sizes from 1 to 2^k bytes, k from the seed's low bits.
    let max = 1usize << (seed & 7);
    let mut x = (u64::from(seed) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ data.len() as u64;
    let mut chunks = Vec::new();
    let mut at = 0;
    while at < data.len() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = 1 + (x as usize) % max;
        chunks.push(&data[at..(at + n).min(data.len())]);
        at += n;
    }
    for (limits, batch_size) in [(Limits::default(), 8192), (common::tight_limits(), 3)] {
        let whole = common::decode([data], common::options(limits.clone(), batch_size));
        let split = common::decode(
            chunks.iter().copied(),
            common::options(limits.clone(), batch_size),
        );
        assert_eq!(whole, split, "chunked at most {max} bytes");
        common::check(data, &split, &limits);
    }
});
