//! The escapers of strings that came off the wire live in
//! [`nwcap_pcap::escape`] (one owner, shared with the HTML report, which has
//! no polars); the writers here use them through this module.

pub use nwcap_pcap::escape::{escape_csv_cell, escape_terminal};
