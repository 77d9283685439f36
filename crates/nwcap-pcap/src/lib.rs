//! Read packet captures (pcap, pcapng, gzip-compressed, Network Monitor 2.x)
//! and decode packets to layer 4.
//!
//! The reader maps the file (or the decompressed bytes of a gzip file) into
//! memory once; records borrow from it, so nothing is copied per packet.
//! Parallel reading cuts the record sequence into chunks at record
//! boundaries; see [`capture`].

pub mod bytes;
pub mod capture;
pub mod census;
pub mod damage;
pub mod decode;
pub mod error;
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
pub mod write;

pub use capture::{Capture, Chunk, ChunkRecords, Format, Index};
pub use damage::{Damage, Severity};
pub use error::OpenError;
pub use input::Input;
pub use packet::Packet;
pub use record::{LinkType, Record, TimestampNs};
pub use source::{Block, Source};
