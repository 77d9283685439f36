//! The ARM JSON models (packet capture resource, query-status result,
//! tracked resources, capture filters) on arbitrary bytes. The checks live
//! in `check/arm_json.rs`, shared with the replay test in `tests/mutation.rs`.
#![no_main]

mod check {
    include!("check/arm_json.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
