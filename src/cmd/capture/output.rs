//! Rendering of captures and statuses: aligned `key  value` lines for
//! people, or the JSON ARM returned. Text from the server goes through
//! `nwcap_pcap::escape::escape_terminal` so a hostile value cannot drive the terminal.

use std::fmt::Write as _;

use nwcap_arm::types::{CaptureFilter, PacketCapture, PacketCaptureStatus, describe_stop_reason};
use nwcap_arm::{Raw, WatcherRef};
use serde_json::Value;

use nwcap_pcap::escape::escape_terminal as terminal;

fn rows(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in pairs {
        let _ = writeln!(out, "{k:<width$}  {}", terminal(v));
    }
    out
}

fn or_dash(v: Option<String>) -> String {
    v.filter(|s| !s.is_empty())
        .unwrap_or_else(|| "-".to_owned())
}

/// One filter in words: `TCP local 10.0.0.4 port 80 remote any`.
pub fn filter_words(f: &CaptureFilter) -> String {
    let side = |ip: &Option<String>, port: &Option<String>| {
        let ip = ip.as_deref().filter(|s| !s.is_empty());
        let port = port.as_deref().filter(|s| !s.is_empty());
        match (ip, port) {
            (None, None) => "any".to_owned(),
            (Some(ip), None) => ip.to_owned(),
            (None, Some(p)) => format!("port {p}"),
            (Some(ip), Some(p)) => format!("{ip} port {p}"),
        }
    };
    format!(
        "{} local {} remote {}",
        f.protocol.as_ref().map_or("Any", |p| p.as_str()),
        side(&f.local_ip_address, &f.local_port),
        side(&f.remote_ip_address, &f.remote_port)
    )
}

/// Table of one capture.
pub fn capture_table(pc: &PacketCapture) -> String {
    let p = &pc.properties;
    let filters = match &p.filters {
        Some(f) if !f.is_empty() => f.iter().map(filter_words).collect::<Vec<_>>().join("; "),
        _ => "none (everything)".to_owned(),
    };
    let mut pairs = vec![
        ("name", or_dash(pc.name.clone())),
        (
            "provisioning",
            or_dash(p.provisioning_state.as_ref().map(ToString::to_string)),
        ),
        ("target", p.target.clone()),
        (
            "target type",
            p.target_type
                .as_ref()
                .map_or_else(|| "AzureVM".to_owned(), ToString::to_string),
        ),
    ];
    if let Some(scope) = &p.scope {
        pairs.push(("include", or_dash(Some(scope.include.join(",")))));
        pairs.push(("exclude", or_dash(Some(scope.exclude.join(",")))));
    }
    pairs.extend([
        (
            "bytes/packet",
            match p.bytes_to_capture_per_packet {
                Some(0) | None => "whole packet".to_owned(),
                Some(n) => n.to_string(),
            },
        ),
        (
            "bytes/session",
            or_dash(p.total_bytes_per_session.map(|n| n.to_string())),
        ),
        (
            "time limit",
            or_dash(p.time_limit_in_seconds.map(|n| format!("{n} s"))),
        ),
        (
            "storage account",
            or_dash(p.storage_location.storage_id.clone()),
        ),
        (
            "storage path",
            or_dash(p.storage_location.storage_path.clone()),
        ),
        ("file path", or_dash(p.storage_location.file_path.clone())),
    ]);
    if p.storage_location.local_path.is_some() {
        pairs.push(("local path", or_dash(p.storage_location.local_path.clone())));
    }
    if let Some(c) = p.continuous_capture {
        pairs.push(("continuous", c.to_string()));
    }
    if let Some(cs) = &p.capture_settings {
        pairs.push(("file count", or_dash(cs.file_count.map(|n| n.to_string()))));
        pairs.push((
            "file size",
            or_dash(cs.file_size_in_bytes.map(|n| n.to_string())),
        ));
        pairs.push((
            "session limit",
            or_dash(cs.session_time_limit_in_seconds.map(|n| format!("{n} s"))),
        ));
    }
    pairs.push(("filters", filters));
    rows(&pairs)
}

/// Table of a query-status result, in words.
pub fn status_table(st: &PacketCaptureStatus) -> String {
    let status = match &st.packet_capture_status {
        Some(s) => format!("{s} ({})", s.describe()),
        None => "- (not reported)".to_owned(),
    };
    let mut pairs = vec![
        ("name", or_dash(st.name.clone())),
        ("status", status),
        ("started", or_dash(st.capture_start_time.clone())),
    ];
    if let Some(r) = &st.stop_reason {
        pairs.push(("stop reason", format!("{r} ({})", describe_stop_reason(r))));
    }
    let errors = if st.packet_capture_error.is_empty() {
        "none".to_owned()
    } else {
        st.packet_capture_error
            .iter()
            .map(|e| format!("{e} ({})", e.describe()))
            .collect::<Vec<_>>()
            .join("; ")
    };
    pairs.push(("errors", errors));
    rows(&pairs)
}

/// Table of a list of captures, one per line; with `with_watcher`, a
/// first column says which watcher (RG/NAME) each belongs to.
pub fn list_table(items: &[(WatcherRef, Raw<PacketCapture>)], with_watcher: bool) -> String {
    let mut header = vec![
        "NAME",
        "PROVISIONING",
        "TARGET",
        "TIME LIMIT",
        "STORAGE PATH",
    ];
    if with_watcher {
        header.insert(0, "WATCHER");
    }
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    for (w, item) in items {
        let p = &item.value.properties;
        let mut line = vec![
            or_dash(item.value.name.clone()),
            or_dash(p.provisioning_state.as_ref().map(ToString::to_string)),
            p.target.rsplit('/').next().unwrap_or_default().to_owned(),
            or_dash(p.time_limit_in_seconds.map(|n| format!("{n} s"))),
            or_dash(
                p.storage_location
                    .storage_path
                    .clone()
                    .or_else(|| p.storage_location.file_path.clone()),
            ),
        ];
        if with_watcher {
            line.insert(0, format!("{}/{}", w.resource_group, w.name));
        }
        lines.push(line);
    }
    let mut widths = vec![0usize; header.len()];
    for l in &lines {
        for (w, c) in widths.iter_mut().zip(l) {
            *w = (*w).max(terminal(c).chars().count());
        }
    }
    let mut out = String::new();
    for l in &lines {
        let mut line = String::new();
        for (i, (c, w)) in l.iter().zip(&widths).enumerate() {
            if i + 1 == l.len() {
                line.push_str(&terminal(c));
            } else {
                let _ = write!(line, "{:<w$}  ", terminal(c));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Pretty JSON plus a newline.
pub fn json(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".to_owned());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_in_words() {
        let f = CaptureFilter {
            protocol: Some(nwcap_arm::types::Protocol::Tcp),
            local_ip_address: Some("10.0.0.4".into()),
            remote_port: Some("443".into()),
            ..Default::default()
        };
        assert_eq!(filter_words(&f), "TCP local 10.0.0.4 remote port 443");
    }

    #[test]
    fn status_words() {
        let st: PacketCaptureStatus = serde_json::from_str(
            r#"{"name":"pc1","packetCaptureStatus":"Stopped","stopReason":"TimeExceeded","packetCaptureError":["StorageFailed"]}"#,
        )
        .expect("json");
        let t = status_table(&st);
        assert!(
            t.contains("status       Stopped (stopped; capture files are complete)"),
            "{t}"
        );
        assert!(
            t.contains("stop reason  TimeExceeded (the time limit was reached)"),
            "{t}"
        );
        assert!(
            t.contains("StorageFailed (uploading to the storage account failed)"),
            "{t}"
        );
    }
}
