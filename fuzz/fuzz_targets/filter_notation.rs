//! The filter notation (address lists, ranges and prefixes; port lists and
//! ranges; protocol words) and the filter JSON shapes, on arbitrary text.
//! The checks live in `check/filter_notation.rs`, shared with the replay
//! test in `tests/mutation.rs`.
#![no_main]

mod check {
    include!("check/filter_notation.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
