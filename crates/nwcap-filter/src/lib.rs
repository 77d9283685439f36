//! Network Watcher packet capture filters: the notation, the ARM JSON, and
//! the evaluation on a packet.
//!
//! One model shared by the ARM client (which reads and writes filters in
//! capture resources) and the analysis commands (which apply a capture's
//! filters, or the user's, to packets read offline). The model follows the
//! API: a [`PacketFilter`] has a protocol and four optional fields, local and
//! remote meaning the capture target's end and the other end; a
//! [`FilterSet`] ORs filters and keeps everything when empty.
//!
//! The crate does not know the packet decoder: callers fill a small
//! [`FiveTuple`] per packet. Evaluation allocates nothing; parsing happens
//! once, normalising address and port lists into sorted, merged ranges so
//! that equal sets compare equal and print in one canonical notation, the
//! one the API documents (`10.0.0.1-10.0.0.255`, `80;443`).
//!
//! ```
//! use nwcap_filter::{FilterSet, FiveTuple, from_capture_json};
//!
//! let filters = from_capture_json(
//!     r#"{"properties": {"filters": [{"protocol": "TCP", "localPort": "80;443"}]}}"#,
//! )?;
//! let set = FilterSet::new(filters, None);
//! let packet = FiveTuple {
//!     proto: 6,
//!     src: "203.0.113.9".parse()?,
//!     dst: "10.0.0.4".parse()?,
//!     src_port: Some(51000),
//!     dst_port: Some(443),
//! };
//! assert!(set.matches(&packet));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod addr;
mod compiled;
mod error;
mod filter;
mod flags;
mod json;
mod notation;
mod port;
mod protocol;
mod set;

pub use addr::AddrSet;
pub use error::{FilterError, JsonError, Reason};
pub use filter::{FieldNames, FiveTuple, Orientation, PacketFilter};
pub use flags::FilterFlags;
pub use json::{filter_from_json, from_capture_json, from_filter_json};
pub use port::PortSet;
pub use protocol::{IPPROTO_TCP, IPPROTO_UDP, Protocol};
pub use set::FilterSet;
