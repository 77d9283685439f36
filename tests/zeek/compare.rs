//! Pairs Zeek's connections with nwcap's flows and lists every field that
//! differs.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use super::conn::Conn;

/// The fields compared, in report order. `service` is reported but is
/// neither part of "fully equal" nor a difference that must be listed:
/// Zeek's depends on the analyzers a test loads and on full protocol
/// parsing, nwcap's is a hint from the first payload bytes.
pub const FIELDS: &[&str] = &[
    "originator",
    "conn_state",
    "history",
    "pkts",
    "ip_bytes",
    "payload",
    "duration",
    "missed_bytes",
    "tunnel_parents",
    "service",
];

/// A field that is reported but does not decide "fully equal".
pub fn informative(field: &str) -> bool {
    field == "service"
}

/// One difference: the trace, the connection (Zeek's name for it, or
/// nwcap's for a flow Zeek does not have), the field and both values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub trace: String,
    pub connection: String,
    pub field: String,
    pub zeek: String,
    pub nwcap: String,
}

/// One Zeek connection compared: per field whether it agreed, and the
/// differences (a connection nwcap does not have is one difference,
/// `missing`).
#[derive(Debug, Default)]
pub struct ConnResult {
    /// The fields compared and whether they agreed.
    pub fields: Vec<(&'static str, bool)>,
    /// nwcap has no flow for it.
    pub missing: bool,
    /// Differences in fields that decide "fully equal".
    pub differences: Vec<Difference>,
}

impl ConnResult {
    /// Equal in every field but the informative ones.
    pub fn fully_equal(&self) -> bool {
        !self.missing && self.differences.is_empty()
    }

    /// Equal in every field.
    pub fn fully_equal_with_service(&self) -> bool {
        self.fully_equal() && self.fields.iter().all(|f| f.1)
    }
}

/// One trace compared: its Zeek connections, and nwcap's flows Zeek does
/// not have (`extra` differences).
#[derive(Debug, Default)]
pub struct TraceResult {
    pub conns: Vec<ConnResult>,
    pub extra: Vec<Difference>,
}

/// Totals over connections.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Zeek's connections.
    pub connections: usize,
    /// Connections equal in every field but the informative ones.
    pub fully_equal: usize,
    /// Connections equal in every field.
    pub fully_equal_with_service: usize,
    /// Per field: connections that agree (a missing connection agrees in
    /// nothing).
    pub agree: BTreeMap<&'static str, usize>,
    /// Per field: connections where it was compared.
    pub compared: BTreeMap<&'static str, usize>,
    pub missing: usize,
    pub extra: usize,
}

impl Outcome {
    /// Counts one connection.
    pub fn add(&mut self, c: &ConnResult) {
        self.connections += 1;
        self.fully_equal += usize::from(c.fully_equal());
        self.fully_equal_with_service += usize::from(c.fully_equal_with_service());
        self.missing += usize::from(c.missing);
        for &(f, same) in &c.fields {
            *self.compared.entry(f).or_default() += 1;
            *self.agree.entry(f).or_default() += usize::from(same);
        }
    }
}

/// Pairs connections on protocol and both endpoints (either direction),
/// then what is left on protocol and addresses only; in each group, in
/// order (Zeek writes connections of one 5-tuple in the order they end,
/// nwcap in the order they start, which is the same order).
fn pair(zeek: &[Conn], nwcap: &[Conn]) -> (Vec<(usize, Option<usize>)>, Vec<usize>) {
    type Key = (String, Option<u64>, Vec<(IpAddr, u16)>);
    let key_ports = |c: &Conn| -> Key {
        let mut e = vec![(c.orig_h, c.orig_p), (c.resp_h, c.resp_p)];
        e.sort();
        (c.proto.clone(), c.ip_proto, e)
    };
    let key_addrs = |c: &Conn| -> Key {
        let mut e = vec![(c.orig_h, 0), (c.resp_h, 0)];
        e.sort();
        (c.proto.clone(), c.ip_proto, e)
    };
    let mut paired: Vec<Option<usize>> = vec![None; zeek.len()];
    let mut used = vec![false; nwcap.len()];
    for key in [&key_ports as &dyn Fn(&Conn) -> Key, &key_addrs] {
        let mut free: HashMap<Key, Vec<usize>> = HashMap::new();
        for (i, c) in nwcap.iter().enumerate().rev() {
            if !used[i] {
                free.entry(key(c)).or_default().push(i);
            }
        }
        for (z, c) in zeek.iter().enumerate() {
            if paired[z].is_some() {
                continue;
            }
            if let Some(i) = free.get_mut(&key(c)).and_then(Vec::pop) {
                paired[z] = Some(i);
                used[i] = true;
            }
        }
    }
    let extra = (0..nwcap.len()).filter(|&i| !used[i]).collect();
    (paired.into_iter().enumerate().collect(), extra)
}

fn pair_text(a: impl ToString, b: impl ToString) -> String {
    format!("{}/{}", a.to_string(), b.to_string())
}

fn duration_text(us: Option<i64>) -> String {
    match us {
        None | Some(0) => "-".to_string(),
        Some(us) => format!("{}.{:06}", us / 1_000_000, us % 1_000_000),
    }
}

/// The names of a connection's tunnel parents on its own side; a parent
/// that is no connection of the log (a GRE or IP-in-IP tunnel, which Zeek
/// names in tunnel.log) is `(tunnel)`.
fn parents(c: &Conn, by_uid: &HashMap<&str, &Conn>) -> String {
    let mut names: Vec<String> = c
        .tunnel_parents
        .iter()
        .map(|u| {
            by_uid
                .get(u.as_str())
                .map_or_else(|| "(tunnel)".to_string(), |p| p.name())
        })
        .collect();
    names.sort();
    if names.is_empty() {
        "-".to_string()
    } else {
        names.join(", ")
    }
}

/// Compares one trace. `nwcap_has` says which optional columns nwcap
/// wrote (`missed_bytes`, `tunnel_parents`); fields it does not have are
/// not compared.
pub fn compare(trace: &str, zeek: &[Conn], nwcap: &[Conn], nwcap_has: &[&str]) -> TraceResult {
    let mut out = TraceResult::default();
    let zeek_uids: HashMap<&str, &Conn> = zeek.iter().map(|c| (c.uid.as_str(), c)).collect();
    let nwcap_uids: HashMap<&str, &Conn> = nwcap.iter().map(|c| (c.uid.as_str(), c)).collect();
    let (pairs, extra) = pair(zeek, nwcap);
    let diff = |connection: String, field: &str, zeek: String, nwcap: String| Difference {
        trace: trace.to_string(),
        connection,
        field: field.to_string(),
        zeek,
        nwcap,
    };
    for (zi, ni) in pairs {
        let z = &zeek[zi];
        let mut r = ConnResult::default();
        let Some(ni) = ni else {
            r.missing = true;
            r.differences.push(diff(
                z.name(),
                "missing",
                format!("{} {}", z.conn_state, z.history),
                "-".to_string(),
            ));
            out.conns.push(r);
            continue;
        };
        let n = &nwcap[ni];
        for &field in FIELDS {
            let (zv, nv) = match field {
                "originator" => (z.name(), n.name()),
                "conn_state" => (z.conn_state.clone(), n.conn_state.clone()),
                "history" => (z.history.clone(), n.history.clone()),
                "pkts" => (
                    pair_text(z.orig_pkts, z.resp_pkts),
                    pair_text(n.orig_pkts, n.resp_pkts),
                ),
                "ip_bytes" => (
                    pair_text(z.orig_ip_bytes, z.resp_ip_bytes),
                    pair_text(n.orig_ip_bytes, n.resp_ip_bytes),
                ),
                "payload" => {
                    // Zeek logs sizes only when the duration is not 0.
                    let (Some(zo), Some(zr)) = (z.orig_bytes, z.resp_bytes) else {
                        continue;
                    };
                    let opt = |v: Option<u64>| v.map_or("-".into(), |v| v.to_string());
                    (
                        pair_text(zo, zr),
                        pair_text(opt(n.orig_bytes), opt(n.resp_bytes)),
                    )
                }
                "duration" => (duration_text(z.duration_us), duration_text(n.duration_us)),
                "missed_bytes" if nwcap_has.contains(&field) => (
                    z.missed_bytes.unwrap_or(0).to_string(),
                    n.missed_bytes.unwrap_or(0).to_string(),
                ),
                "tunnel_parents" if nwcap_has.contains(&field) => {
                    (parents(z, &zeek_uids), parents(n, &nwcap_uids))
                }
                "service" => {
                    let dash = |s: &str| {
                        if s.is_empty() {
                            "-".to_string()
                        } else {
                            s.to_string()
                        }
                    };
                    (dash(&z.service), dash(&n.service))
                }
                _ => continue,
            };
            let same = zv == nv;
            r.fields.push((field, same));
            if !same && !informative(field) {
                r.differences.push(diff(z.name(), field, zv, nv));
            }
        }
        out.conns.push(r);
    }
    for i in extra {
        let n = &nwcap[i];
        out.extra.push(diff(
            n.name(),
            "extra",
            "-".to_string(),
            format!("{} {}", n.conn_state, n.history),
        ));
    }
    out
}
