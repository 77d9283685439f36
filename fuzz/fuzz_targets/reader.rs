//! The capture reader (pcap, pcapng, NetMon 2.x, gzip) on arbitrary bytes,
//! from format detection to a full decode of every record. The checks live
//! in `check/reader.rs`, shared with the replay test in
//! `crates/nwcap-pcap/tests/hostile.rs`.
#![no_main]

mod check {
    include!("check/reader.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
