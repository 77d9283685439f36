//! The packet decoder from every supported link type on arbitrary frames.
//! The checks live in `check/decode.rs`, shared with the replay test in
//! `crates/nwcap-pcap/tests/hostile.rs`.
#![no_main]

mod check {
    include!("check/decode.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
