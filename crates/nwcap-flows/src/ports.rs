//! Zeek's `likely_server_ports`: the ports Zeek's base scripts register
//! as server ports of an analyzer (`Analyzer::register_for_ports`) or of a
//! tunnel (`PacketAnalyzer::register_for_ports`), as a full Zeek loads
//! them. Zeek decides a connection's originator with them when the first
//! packet is not a SYN (TCP) or always (UDP): a first sender on a likely
//! server port talking to a port that is not one is taken as the
//! responder.
//!
//! A Zeek run in bare mode (`-b`) loads fewer analyzers and so has fewer
//! of these ports; nwcap follows the full set.

use nwcap_pcap::packet::ipproto;

/// TCP server ports of Zeek's base protocol scripts.
const TCP: &[u16] = &[
    21, 2811, // FTP
    22,   // SSH
    25, 587, // SMTP
    53,  // DNS
    79,  // Finger
    80, 81, 631, 1080, 3128, 8000, 8080, 8888, // HTTP (1080 also SOCKS)
    88,   // Kerberos
    135,  // DCE-RPC
    139, 445, // SMB
    143, // IMAP
    389, 3268, // LDAP
    443, 465, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223, // TLS
    502,  // Modbus
    514,  // Syslog
    1434, 3306, // MySQL
    1883, // MQTT
    3389, // RDP
    5222, 5269, // XMPP
    5432, // PostgreSQL
    6379, // Redis
    6666, 6667, 6668, 6669,  // IRC
    20000, // DNP3
];

/// UDP server ports of Zeek's base protocol and tunnel scripts.
const UDP: &[u16] = &[
    53, 137, 5353, 5355, // DNS
    67, 4011, // DHCP
    88,   // Kerberos
    123,  // NTP
    161, 162,  // SNMP
    389,  // LDAP
    443,  // DTLS, QUIC
    514,  // Syslog
    1812, // RADIUS
    2123, 2152,  // GTPv1
    3389,  // RDPEUDP
    3544,  // Teredo
    4754,  // GRE over UDP
    4789,  // VXLAN
    5060,  // SIP
    5072,  // AYIYA
    6081,  // Geneve
    20000, // DNP3
];

/// True when Zeek counts `port` of `proto` as a likely server port.
pub fn likely_server_port(proto: u8, port: u16) -> bool {
    match proto {
        ipproto::TCP => TCP.contains(&port),
        ipproto::UDP => UDP.contains(&port),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_per_protocol() {
        assert!(likely_server_port(ipproto::TCP, 443));
        assert!(likely_server_port(ipproto::UDP, 443));
        assert!(likely_server_port(ipproto::UDP, 67));
        assert!(!likely_server_port(ipproto::TCP, 67));
        assert!(!likely_server_port(ipproto::UDP, 68));
        assert!(!likely_server_port(ipproto::ICMP, 8));
    }
}
