//! Differential oracles: nwcap's decoder against etherparse's lax slicing,
//! nwcap's capture readers against pcap-parser. The checks live in
//! `check/oracle.rs`, shared with `crates/nwcap-pcap/tests/oracle.rs`.
#![no_main]

mod check {
    include!("check/oracle.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
