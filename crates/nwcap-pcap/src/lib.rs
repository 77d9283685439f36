//! Read packet captures (pcap, pcapng, gzip-compressed, Network Monitor 2.x)
//! and decode packets to layer 4.
//!
//! Organised by format: [`pcap`], [`pcapng`] and [`netmon`] each hold their
//! header, records, first pass (index), block framing and writer pieces;
//! [`decode`] turns a record's bytes into a [`Packet`]. Two ways to read:
//!
//! - [`Source`] ([`source`]): an input opened once (a regular file mapped
//!   block by block, a pipe, FIFO or stdin read, gzip decompressed as it
//!   streams) and read as [`Block`]s of whole records, found on every core;
//!   what the flow engine reads.
//! - [`Capture`] and [`Index`] ([`capture`]): a whole file mapped and
//!   indexed in one pass, for random access (`nwcap info`, the byte-exact
//!   copies of `nwcap filter`).
//!
//! Either way records borrow their bytes (nothing is copied per packet) and
//! a chunk's records are read by its format's own loop.

pub mod bytes;
pub mod capture;
pub mod census;
pub mod damage;
pub mod decode;
pub mod error;
pub mod escape;
pub mod input;
pub mod netmon;
pub mod packet;
pub mod pcap;
pub mod pcapng;
pub mod prefetch;
pub mod record;
pub mod sniff;
pub mod source;
pub mod stats;
pub mod timefmt;
pub mod write;

pub use capture::{Capture, Chunk, ChunkRecords, Format, Index};
pub use damage::{Damage, Severity};
pub use error::OpenError;
pub use input::Input;
pub use packet::Packet;
pub use record::{LinkType, Record, TimestampNs};
pub use source::{Block, Source};
