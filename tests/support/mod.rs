//! Test support shared by the CLI integration tests: running the binary
//! (`cli`), captures built in the test (`pcap`), Azurite (`azurite`).

pub mod azurite;
pub mod cli;
pub mod pcap;
