//! Connections as the comparison sees them, from both sides: a Zeek
//! conn.log (TSV with `#fields`) and `nwcap flows --format ndjson`.

use std::collections::HashMap;
use std::net::IpAddr;

use serde_json::Value;

/// One connection, with the fields compared, as text in Zeek's notation
/// (`None`: the field is unset, Zeek's `-`).
#[derive(Debug, Clone)]
pub struct Conn {
    /// The connection's uid (Zeek's or nwcap's: they differ).
    pub uid: String,
    /// tcp, udp, icmp or unknown_transport (Zeek's `proto`).
    pub proto: String,
    /// The IP protocol number (Zeek's `ip_proto`).
    pub ip_proto: Option<u64>,
    pub orig_h: IpAddr,
    pub orig_p: u16,
    pub resp_h: IpAddr,
    pub resp_p: u16,
    /// Microseconds; `None` when Zeek leaves it unset (duration 0).
    pub duration_us: Option<i64>,
    pub orig_bytes: Option<u64>,
    pub resp_bytes: Option<u64>,
    pub conn_state: String,
    pub history: String,
    pub orig_pkts: u64,
    pub resp_pkts: u64,
    pub orig_ip_bytes: u64,
    pub resp_ip_bytes: u64,
    pub missed_bytes: Option<u64>,
    pub service: String,
    /// uids of the connections this one was tunnelled in.
    pub tunnel_parents: Vec<String>,
}

impl Conn {
    /// `tcp 10.0.0.1:1234 > 10.0.0.2:80`: the connection's name in the
    /// list of differences.
    pub fn name(&self) -> String {
        format!(
            "{} {} > {}",
            self.proto,
            endpoint(self.orig_h, self.orig_p),
            endpoint(self.resp_h, self.resp_p)
        )
    }
}

fn endpoint(h: IpAddr, p: u16) -> String {
    match h {
        IpAddr::V4(_) => format!("{h}:{p}"),
        IpAddr::V6(_) => format!("[{h}]:{p}"),
    }
}

/// Parses a Zeek conn.log (any column order, `#fields` header).
pub fn parse_conn_log(text: &str) -> Result<Vec<Conn>, String> {
    let mut fields: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            fields = f.split('\t').collect();
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let row: HashMap<&str, &str> = fields.iter().copied().zip(line.split('\t')).collect();
        let get = |k: &str| -> Result<&str, String> {
            row.get(k)
                .copied()
                .ok_or_else(|| format!("conn.log line without {k}: {line}"))
        };
        let opt = |k: &str| -> Result<Option<&str>, String> {
            Ok(match row.get(k).copied() {
                None | Some("-") => None,
                Some(v) => Some(v),
            })
        };
        let num = |k: &str| -> Result<Option<u64>, String> {
            opt(k)?
                .map(|v| v.parse::<u64>().map_err(|e| format!("{k} {v}: {e}")))
                .transpose()
        };
        let ip = |k: &str| -> Result<IpAddr, String> {
            get(k)?.parse().map_err(|e| format!("{k}: {e} in {line}"))
        };
        let port = |k: &str| -> Result<u16, String> {
            get(k)?.parse().map_err(|e| format!("{k}: {e} in {line}"))
        };
        out.push(Conn {
            uid: get("uid")?.to_string(),
            proto: get("proto")?.to_string(),
            ip_proto: num("ip_proto")?,
            orig_h: ip("id.orig_h")?,
            orig_p: port("id.orig_p")?,
            resp_h: ip("id.resp_h")?,
            resp_p: port("id.resp_p")?,
            duration_us: opt("duration")?.map(seconds_to_us).transpose()?,
            orig_bytes: num("orig_bytes")?,
            resp_bytes: num("resp_bytes")?,
            conn_state: opt("conn_state")?.unwrap_or("").to_string(),
            history: opt("history")?.unwrap_or("").to_string(),
            orig_pkts: num("orig_pkts")?.unwrap_or(0),
            resp_pkts: num("resp_pkts")?.unwrap_or(0),
            orig_ip_bytes: num("orig_ip_bytes")?.unwrap_or(0),
            resp_ip_bytes: num("resp_ip_bytes")?.unwrap_or(0),
            missed_bytes: num("missed_bytes")?,
            service: opt("service")?.unwrap_or("").to_string(),
            tunnel_parents: opt("tunnel_parents")?
                .map(|v| v.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
        });
    }
    Ok(out)
}

/// `6.159326` -> 6159326 (exact: Zeek prints intervals with 6 decimals).
fn seconds_to_us(v: &str) -> Result<i64, String> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    let mut frac = frac.to_string();
    if frac.len() > 6 {
        return Err(format!("duration {v}: more than 6 decimals"));
    }
    while frac.len() < 6 {
        frac.push('0');
    }
    let i: i64 = int.parse().map_err(|e| format!("duration {v}: {e}"))?;
    let f: i64 = frac.parse().map_err(|e| format!("duration {v}: {e}"))?;
    Ok(i * 1_000_000 + f)
}

/// Zeek's `proto` for nwcap's: protocols without a Zeek analyzer (SCTP)
/// are `unknown_transport` (nwcap's `proto` names SCTP).
fn zeek_proto(p: &str) -> &str {
    match p {
        "tcp" | "udp" | "icmp" => p,
        "icmp6" => "icmp",
        _ => "unknown_transport",
    }
}

/// Parses `nwcap flows --format ndjson` output. Zeek's payload bytes are
/// nwcap's `orig_bytes` once wire bytes have their own column
/// (`orig_wire_bytes`), before that `orig_payload`.
pub fn parse_ndjson(text: &str) -> Result<Vec<Conn>, String> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let n = |k: &str| v.get(k).and_then(Value::as_u64);
        let ip = |k: &str| -> Result<IpAddr, String> {
            s(k).parse().map_err(|e| format!("{k}: {e} in {line}"))
        };
        let payload_col = if v.get("orig_wire_bytes").is_some() {
            ("orig_bytes", "resp_bytes")
        } else {
            ("orig_payload", "resp_payload")
        };
        let duration = v.get("duration").and_then(Value::as_f64).unwrap_or(0.0);
        out.push(Conn {
            uid: s("uid"),
            proto: zeek_proto(&s("proto")).to_string(),
            ip_proto: n("ip_proto"),
            orig_h: ip("orig_h")?,
            orig_p: n("orig_p").unwrap_or(0) as u16,
            resp_h: ip("resp_h")?,
            resp_p: n("resp_p").unwrap_or(0) as u16,
            duration_us: Some((duration * 1e6).round() as i64),
            orig_bytes: n(payload_col.0),
            resp_bytes: n(payload_col.1),
            conn_state: s("conn_state"),
            history: s("history"),
            orig_pkts: n("orig_pkts").unwrap_or(0),
            resp_pkts: n("resp_pkts").unwrap_or(0),
            orig_ip_bytes: n("orig_ip_bytes").unwrap_or(0),
            resp_ip_bytes: n("resp_ip_bytes").unwrap_or(0),
            missed_bytes: n("missed_bytes"),
            service: s("service"),
            tunnel_parents: v
                .get("tunnel_parents")
                .and_then(Value::as_str)
                .map(|t| t.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
        });
    }
    Ok(out)
}

#[test]
fn conn_log_durations_are_exact() {
    assert_eq!(seconds_to_us("6.159326"), Ok(6_159_326));
    assert_eq!(seconds_to_us("0.000001"), Ok(1));
    assert_eq!(seconds_to_us("12"), Ok(12_000_000));
    assert!(seconds_to_us("1.0000001").is_err());
}
