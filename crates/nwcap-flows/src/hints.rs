//! Application hints from the first payload-carrying packets of a flow.
//!
//! Only single-packet recognisers: a DNS question, a TLS ClientHello's SNI,
//! an HTTP request's Host header, an SSH banner, a QUIC long-header packet.
//! No reassembly, so an SNI in a second TCP segment is missed (the flow is
//! still recognised as TLS). Every parser works on the captured bytes,
//! checks each length before use and gives up quietly on anything odd;
//! strings are taken verbatim (lossy UTF-8) and escaped by the output layer.
//! When no content is recognised, [`service_from_port`] names the service.

use nwcap_pcap::packet::ipproto;

/// What a payload revealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// Service name (dns, tls, http, ssh, quic).
    pub service: &'static str,
    /// DNS question name.
    pub dns_query: Option<String>,
    /// TLS server name indication.
    pub tls_sni: Option<String>,
    /// HTTP Host header.
    pub http_host: Option<String>,
}

impl Detected {
    fn service(service: &'static str) -> Self {
        Detected {
            service,
            dns_query: None,
            tls_sni: None,
            http_host: None,
        }
    }
}

const MAX_NAME: usize = 255;

fn be16(b: &[u8], at: usize) -> Option<usize> {
    let s = b.get(at..at + 2)?;
    Some(usize::from(u16::from_be_bytes([s[0], s[1]])))
}

/// Looks at one payload. `sport`/`dport` help to decide on DNS only.
pub fn detect(proto: u8, sport: u16, dport: u16, payload: &[u8]) -> Option<Detected> {
    if payload.is_empty() {
        return None;
    }
    let dns_port = |p: u16| matches!(p, 53 | 5353 | 5355);
    let on_dns_port = dns_port(sport) || dns_port(dport);
    match proto {
        ipproto::UDP => {
            if let Some(d) = quic(payload) {
                return Some(d);
            }
            dns(payload, on_dns_port)
        }
        ipproto::TCP => {
            if let Some(d) = tls(payload)
                .or_else(|| http(payload))
                .or_else(|| ssh(payload))
            {
                return Some(d);
            }
            // DNS over TCP: two-byte length prefix.
            if on_dns_port {
                return dns(payload.get(2..)?, true);
            }
            None
        }
        _ => None,
    }
}

/// A DNS message with one question; without a DNS port the header must
/// look like a plain query (no answers) with a known class.
fn dns(b: &[u8], on_dns_port: bool) -> Option<Detected> {
    let qd = be16(b, 4)?;
    let an = be16(b, 6)?;
    let opcode = (b[2] >> 3) & 0x0f;
    if qd == 0 || qd > 4 || opcode > 6 {
        return None;
    }
    let mut pos = 12;
    let mut name = String::new();
    loop {
        let len = usize::from(*b.get(pos)?);
        pos += 1;
        if len == 0 {
            break;
        }
        if len > 63 || name.len() + len + 1 > MAX_NAME {
            return None;
        }
        let label = b.get(pos..pos + len)?;
        if !name.is_empty() {
            name.push('.');
        }
        name.push_str(&String::from_utf8_lossy(label));
        pos += len;
    }
    let qclass = be16(b, pos + 2);
    if !on_dns_port {
        let class_ok = matches!(qclass.map(|c| c & 0x7fff), Some(1 | 3 | 4 | 254 | 255));
        let is_query = b[2] & 0x80 == 0;
        if !(class_ok && qd == 1 && (!is_query || an == 0)) {
            return None;
        }
    }
    if name.is_empty() {
        name.push('.');
    }
    Some(Detected {
        dns_query: Some(name),
        ..Detected::service("dns")
    })
}

/// A TLS record holding a ClientHello; the SNI when the bytes reach it.
fn tls(b: &[u8]) -> Option<Detected> {
    if b.len() < 6 || b[0] != 0x16 || b[1] != 3 || b[2] > 4 || b[5] != 1 {
        return None;
    }
    let found = Detected::service("tls");
    let sni = client_hello_sni(b.get(9..).unwrap_or(&[]));
    Some(Detected {
        tls_sni: sni,
        ..found
    })
}

fn client_hello_sni(body: &[u8]) -> Option<String> {
    // version(2) random(32)
    let mut p = 34;
    let sid = usize::from(*body.get(p)?);
    p += 1 + sid;
    let cs = be16(body, p)?;
    p += 2 + cs;
    let comp = usize::from(*body.get(p)?);
    p += 1 + comp;
    let ext_total = be16(body, p)?;
    p += 2;
    let end = p + ext_total;
    while p + 4 <= end {
        let ty = be16(body, p)?;
        let len = be16(body, p + 2)?;
        p += 4;
        if ty == 0 {
            let ext = body.get(p..p + len)?;
            // server_name_list: len(2), then type(1) len(2) name
            let mut q = 2;
            while q + 3 <= ext.len() {
                let nt = ext[q];
                let nl = be16(ext, q + 1)?;
                let name = ext.get(q + 3..q + 3 + nl)?;
                if nt == 0 && !name.is_empty() && name.len() <= MAX_NAME {
                    return Some(String::from_utf8_lossy(name).into_owned());
                }
                q += 3 + nl;
            }
            return None;
        }
        p += len;
    }
    None
}

const METHODS: &[&[u8]] = &[
    b"GET ",
    b"POST ",
    b"HEAD ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
    b"TRACE ",
];

/// An HTTP/1.x request (with its Host header) or response.
fn http(b: &[u8]) -> Option<Detected> {
    if b.starts_with(b"HTTP/1.") {
        return Some(Detected::service("http"));
    }
    if !METHODS.iter().any(|m| b.starts_with(m)) {
        return None;
    }
    let line_end = b.iter().take(4096).position(|&c| c == b'\n')?;
    let line = &b[..line_end];
    if !line.windows(6).any(|w| w == b" HTTP/") {
        return None;
    }
    let mut host = None;
    let mut rest = &b[line_end + 1..];
    while !rest.is_empty() {
        let end = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
        let header = rest[..end].strip_suffix(b"\r").unwrap_or(&rest[..end]);
        if header.is_empty() {
            break;
        }
        if header.len() >= 5 && header[..5].eq_ignore_ascii_case(b"host:") {
            let v = header[5..].trim_ascii();
            if !v.is_empty() && v.len() <= MAX_NAME {
                host = Some(String::from_utf8_lossy(v).into_owned());
            }
            break;
        }
        rest = rest.get(end + 1..).unwrap_or(&[]);
    }
    Some(Detected {
        http_host: host,
        ..Detected::service("http")
    })
}

fn ssh(b: &[u8]) -> Option<Detected> {
    b.starts_with(b"SSH-").then(|| Detected::service("ssh"))
}

/// A QUIC long-header packet of a known version.
fn quic(b: &[u8]) -> Option<Detected> {
    if b.len() < 7 || b[0] & 0xc0 != 0xc0 {
        return None;
    }
    let v = u32::from_be_bytes([b[1], b[2], b[3], b[4]]);
    let known = v == 1 || v == 0x6b33_43cf || (0xff00_001d..=0xff00_0022).contains(&v);
    // Destination connection id length is at most 20 in v1/v2.
    (known && b[5] <= 20).then(|| Detected::service("quic"))
}

/// Service name from a well-known port (the responder's first).
pub fn service_from_port(proto: u8, resp_p: u16, orig_p: u16) -> Option<&'static str> {
    let by = |p: u16| match proto {
        ipproto::TCP => match p {
            20 | 21 => Some("ftp"),
            22 => Some("ssh"),
            23 => Some("telnet"),
            25 | 587 => Some("smtp"),
            53 => Some("dns"),
            80 | 8080 | 8000 => Some("http"),
            88 => Some("kerberos"),
            110 => Some("pop3"),
            135 => Some("dce_rpc"),
            139 => Some("netbios"),
            143 => Some("imap"),
            389 | 3268 => Some("ldap"),
            443 | 8443 | 465 | 636 | 993 | 995 | 3269 => Some("tls"),
            445 => Some("smb"),
            1433 => Some("mssql"),
            3306 => Some("mysql"),
            3389 => Some("rdp"),
            5432 => Some("postgresql"),
            5985 | 5986 => Some("winrm"),
            6379 => Some("redis"),
            _ => None,
        },
        ipproto::UDP => match p {
            53 | 5353 | 5355 => Some("dns"),
            67 | 68 => Some("dhcp"),
            69 => Some("tftp"),
            88 => Some("kerberos"),
            123 => Some("ntp"),
            137 | 138 => Some("netbios"),
            161 | 162 => Some("snmp"),
            389 => Some("ldap"),
            443 => Some("quic"),
            500 | 4500 => Some("ike"),
            514 => Some("syslog"),
            1900 => Some("ssdp"),
            3478 => Some("stun"),
            4789 => Some("vxlan"),
            6081 => Some("geneve"),
            _ => None,
        },
        _ => None,
    };
    by(resp_p).or_else(|| by(orig_p))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A DNS query for `name` (A, IN).
    pub(crate) fn dns_query(name: &str) -> Vec<u8> {
        let mut b = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in name.split('.') {
            b.push(label.len() as u8);
            b.extend_from_slice(label.as_bytes());
        }
        b.extend_from_slice(&[0, 0, 1, 0, 1]);
        b
    }

    /// A minimal TLS ClientHello with an SNI extension.
    pub(crate) fn client_hello(sni: &str) -> Vec<u8> {
        let mut ext = Vec::new();
        let name = sni.as_bytes();
        let list_len = 3 + name.len();
        ext.extend_from_slice(&[0, 0]);
        ext.extend_from_slice(&((list_len + 2) as u16).to_be_bytes());
        ext.extend_from_slice(&(list_len as u16).to_be_bytes());
        ext.push(0);
        ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
        ext.extend_from_slice(name);
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7; 32]);
        body.push(0); // session id
        body.extend_from_slice(&[0, 2, 0x13, 0x01]); // cipher suites
        body.extend_from_slice(&[1, 0]); // compression
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend_from_slice(&ext);
        let mut hs = vec![1, 0, (body.len() >> 8) as u8, body.len() as u8];
        hs.extend_from_slice(&body);
        let mut rec = vec![0x16, 3, 1, (hs.len() >> 8) as u8, hs.len() as u8];
        rec.extend_from_slice(&hs);
        rec
    }

    #[test]
    fn dns_query_name() {
        let d = detect(ipproto::UDP, 5000, 53, &dns_query("www.example.com")).expect("dns");
        assert_eq!(d.service, "dns");
        assert_eq!(d.dns_query.as_deref(), Some("www.example.com"));
        // Same bytes on another port: accepted (plain query, class IN).
        assert!(detect(ipproto::UDP, 5000, 6000, &dns_query("a.b")).is_some());
        // Truncated inside the name: nothing.
        let q = dns_query("www.example.com");
        assert_eq!(detect(ipproto::UDP, 5000, 53, &q[..18]), None);
    }

    #[test]
    fn tls_sni() {
        let d = detect(ipproto::TCP, 5000, 443, &client_hello("example.org")).expect("tls");
        assert_eq!(d.service, "tls");
        assert_eq!(d.tls_sni.as_deref(), Some("example.org"));
        let ch = client_hello("example.org");
        let cut = detect(ipproto::TCP, 5000, 443, &ch[..40]).expect("tls");
        assert_eq!(cut.tls_sni, None);
    }

    #[test]
    fn http_host_and_ssh_and_quic() {
        let req = b"GET /x HTTP/1.1\r\nUser-Agent: t\r\nHOST:  example.net \r\n\r\n";
        let d = detect(ipproto::TCP, 5000, 8081, req).expect("http");
        assert_eq!(d.http_host.as_deref(), Some("example.net"));
        assert_eq!(
            detect(ipproto::TCP, 1, 2, b"SSH-2.0-OpenSSH_9\r\n").map(|d| d.service),
            Some("ssh")
        );
        assert_eq!(detect(ipproto::TCP, 1, 2, b"GETTER"), None);
        let q = [0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0];
        assert_eq!(
            detect(ipproto::UDP, 1, 443, &q).map(|d| d.service),
            Some("quic")
        );
        assert_eq!(service_from_port(ipproto::TCP, 443, 50000), Some("tls"));
        assert_eq!(service_from_port(ipproto::UDP, 50000, 53), Some("dns"));
    }
}
