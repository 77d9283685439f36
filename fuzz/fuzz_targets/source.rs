//! The streaming reader's speculative blocks (classic pcap, mapped) on
//! arbitrary bytes: the same records, damage and record count as the file
//! framed first. The checks live in `check/source.rs`, shared with the
//! replay test in `crates/nwcap-pcap/tests/source.rs`.
#![no_main]

mod check {
    include!("check/source.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
