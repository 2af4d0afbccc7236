//! The line decoder on any bytes, in one chunk, with the default limits and with tight ones:
//! no panic, counters that agree with the output, rejects that point at their bytes, JSON
//! text columns that parse.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use netskope_arrow::Limits;

fuzz_target!(|data: &[u8]| {
    for (limits, batch_size) in [(Limits::default(), 8192), (common::tight_limits(), 2)] {
        let out = common::decode([data], common::options(limits.clone(), batch_size));
        common::check(data, &out, &limits);
    }
});
