//! The five filter flags of the command line, as one value.
//!
//! The CLI keeps its clap struct; it lends the flag texts here and gets back
//! a filter whose errors name the flags (`--local-port: "x" is not a port`),
//! and the `--local-ip` addresses a second time as the set that orients
//! packets: whoever names the VM's address as the local one also says which
//! end of each packet is the VM.

use crate::addr::AddrSet;
use crate::error::FilterError;
use crate::filter::{FieldNames, PacketFilter};

/// `--protocol --local-ip --local-port --remote-ip --remote-port`, as typed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterFlags<'a> {
    /// `--protocol`.
    pub protocol: Option<&'a str>,
    /// `--local-ip`.
    pub local_ip: Option<&'a str>,
    /// `--local-port`.
    pub local_port: Option<&'a str>,
    /// `--remote-ip`.
    pub remote_ip: Option<&'a str>,
    /// `--remote-port`.
    pub remote_port: Option<&'a str>,
}

impl FilterFlags<'_> {
    /// Whether no flag was given.
    pub fn is_empty(&self) -> bool {
        *self == FilterFlags::default()
    }

    /// The filter the flags make together, or `None` when none was given.
    pub fn filter(&self) -> Result<Option<PacketFilter>, FilterError> {
        if self.is_empty() {
            return Ok(None);
        }
        PacketFilter::from_fields(
            FieldNames::FLAGS,
            self.protocol,
            self.local_ip,
            self.local_port,
            self.remote_ip,
            self.remote_port,
        )
        .map(Some)
    }

    /// The `--local-ip` addresses, which also orient packets
    /// ([`FilterSet::local_ips`](crate::FilterSet::local_ips)).
    pub fn local_ips(&self) -> Result<Option<AddrSet>, FilterError> {
        match self.local_ip {
            Some(text) if !text.trim().is_empty() => {
                AddrSet::parse(FieldNames::FLAGS.local_ip, text).map(Some)
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{FilterSet, FiveTuple, Protocol};

    #[test]
    fn no_flags_no_filter() {
        let flags = FilterFlags::default();
        assert!(flags.is_empty());
        assert_eq!(flags.filter().unwrap(), None);
        assert_eq!(flags.local_ips().unwrap(), None);
    }

    #[test]
    fn flags_make_one_filter_and_orient() {
        let flags = FilterFlags {
            protocol: Some("tcp"),
            local_ip: Some("10.0.0.4"),
            remote_port: Some("443, 80"),
            ..FilterFlags::default()
        };
        let f = flags.filter().unwrap().unwrap();
        assert_eq!(f.protocol, Protocol::Tcp);
        assert_eq!(f.remote_port.as_ref().unwrap().to_string(), "80;443");
        assert_eq!(
            f.to_string(),
            r#"{"protocol":"TCP","localIPAddress":"10.0.0.4","remotePort":"80;443"}"#
        );
        let set = FilterSet::new(vec![f], flags.local_ips().unwrap());
        let t = FiveTuple {
            proto: 6,
            src: "10.0.0.4".parse().unwrap(),
            dst: "1.2.3.4".parse().unwrap(),
            src_port: Some(50000),
            dst_port: Some(443),
        };
        assert!(set.matches(&t));
    }

    #[test]
    fn errors_name_the_flag() {
        let flags = FilterFlags {
            remote_ip: Some("10.0.0.9-10.0.0.1"),
            ..FilterFlags::default()
        };
        assert_eq!(
            flags.filter().unwrap_err().to_string(),
            r#"--remote-ip: "10.0.0.9-10.0.0.1" is a range whose start is after its end"#
        );
        let flags = FilterFlags {
            protocol: Some("icmp"),
            ..FilterFlags::default()
        };
        assert_eq!(flags.filter().unwrap_err().field, "--protocol");
    }
}
