//! The field cases of `../shared/cases` (README there: each file, what
//! nwcap printed, the right value and its source), one test per kind, on
//! the real files through the CLI; plus the cases its README names without
//! a file (the syn/fin columns, UDP flows split by their timeout, a
//! directory given as a capture).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn nwcap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nwcap"))
        .args(args)
        .output()
        .expect("run nwcap")
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn case(name: &str) -> Option<PathBuf> {
    Some(nwcap_testsupport::field_cases()?.join(name))
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Every flow of `file` as JSON objects.
fn flows(file: &Path) -> Vec<Value> {
    ok(nwcap(&["flows", "-q", s(file), "--format", "ndjson"]))
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson"))
        .collect()
}

/// `top --by ports` rows as (proto, resp_p) -> flows.
fn top_ports(file: &Path) -> HashMap<(String, String), u64> {
    ok(nwcap(&[
        "top",
        "-q",
        s(file),
        "--by",
        "ports",
        "--format",
        "csv",
    ]))
    .lines()
    .skip(1)
    .map(|l| {
        let c: Vec<&str> = l.split(',').collect();
        (
            (c[0].to_string(), c[1].to_string()),
            c[2].parse().expect("flows"),
        )
    })
    .collect()
}

fn u(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or_else(|| panic!("{k}: {v}"))
}

fn t(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k}: {v}"))
        .to_string()
}

#[test]
fn midstream_tcp_from_the_server_is_flipped_as_zeek_does() {
    let Some(f) = case("07-midstream-server-first.pcap") else {
        return;
    };
    let v = flows(&f);
    assert_eq!(v.len(), 1);
    assert_eq!(
        (t(&v[0], "orig_h"), u(&v[0], "orig_p")),
        ("192.0.2.10".into(), 51000)
    );
    assert_eq!(u(&v[0], "resp_p"), 443);
    assert_eq!(
        (t(&v[0], "history"), t(&v[0], "conn_state")),
        ("^dADa".into(), "OTH".into())
    );
    let top = top_ports(&f);
    assert_eq!(top.get(&("tcp".into(), "443".into())), Some(&1), "{top:?}");
    assert!(!top.keys().any(|k| k.1 == "51000"), "{top:?}");
}

#[test]
fn span_duplicates_are_retransmissions() {
    let Some(f) = case("12-span-duplicates.pcap") else {
        return;
    };
    let v = flows(&f);
    assert_eq!(v.len(), 1);
    assert_eq!(t(&v[0], "history"), "ShADTadtFf");
    assert_eq!((u(&v[0], "orig_pkts"), u(&v[0], "resp_pkts")), (12, 8));
    // tshark 4.0 marks 6 packets tcp.analysis.retransmission (the repeated
    // SYN, SYN-ACK, both data segments and the FINs' repeats), none
    // out-of-order.
    assert_eq!((u(&v[0], "retransmits"), u(&v[0], "out_of_order")), (6, 0));
}

#[test]
fn ports_cut_away_by_the_snap_length_are_unknown() {
    let Some(f) = case("14-snaplen34-ipv4-only.pcap") else {
        return;
    };
    let v = flows(&f);
    assert_eq!(v.len(), 1);
    assert!(
        v[0]["orig_p"].is_null() && v[0]["resp_p"].is_null(),
        "{}",
        v[0]
    );
    let csv = ok(nwcap(&[
        "flows",
        "-q",
        s(&f),
        "--format",
        "csv",
        "--columns",
        "orig_p,resp_p",
    ]));
    assert_eq!(csv.lines().nth(1), Some(","));
    assert_eq!(
        (u(&v[0], "orig_pkts"), u(&v[0], "orig_wire_bytes")),
        (6, 624)
    );
    assert_eq!(
        (u(&v[0], "resp_pkts"), u(&v[0], "resp_wire_bytes")),
        (4, 1416)
    );
    let top = top_ports(&f);
    assert!(!top.keys().any(|k| k.1 == "0"), "port 0 counted: {top:?}");
}

#[test]
fn erspan_type_3_carries_the_inner_flow() {
    let Some(f) = case("17-erspan3.pcap") else {
        return;
    };
    let v = flows(&f);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        (t(&v[0], "orig_h"), u(&v[0], "orig_p")),
        ("192.0.2.10".into(), 51000)
    );
    assert_eq!(
        (t(&v[0], "resp_h"), u(&v[0], "resp_p")),
        ("198.51.100.20".into(), 443)
    );
    assert_eq!((u(&v[0], "orig_pkts"), u(&v[0], "resp_pkts")), (6, 4));
    assert!(t(&v[0], "tunnel").starts_with("erspan "), "{}", v[0]);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("443.pcap");
    let msg = ok(nwcap(&[
        "filter",
        s(&f),
        "-o",
        s(&out),
        "--remote-port",
        "443",
        "--quiet",
    ]));
    let _ = msg;
    let kept = ok(nwcap(&["info", s(&out), "--format", "json"]));
    let info: Value = serde_json::from_str(&kept).expect("json");
    assert_eq!(
        info["packets"].as_u64().or(info[0]["packets"].as_u64()),
        Some(10),
        "{info}"
    );
}

#[test]
fn fragments_join_their_flow_in_any_order() {
    let (Some(rev), Some(fwd)) = (
        case("19a-frags-reversed.pcap"),
        case("19b-frags-in-order.pcap"),
    ) else {
        return;
    };
    let cols = "proto,orig_h,orig_p,resp_h,resp_p,conn_state,orig_pkts,resp_pkts,orig_ip_bytes,resp_ip_bytes";
    let a = ok(nwcap(&[
        "flows",
        "-q",
        s(&rev),
        "--format",
        "csv",
        "--columns",
        cols,
    ]));
    let b = ok(nwcap(&[
        "flows",
        "-q",
        s(&fwd),
        "--format",
        "csv",
        "--columns",
        cols,
    ]));
    assert_eq!(a, b);
    let v = flows(&rev);
    assert_eq!(v.len(), 1);
    assert_eq!((u(&v[0], "orig_pkts"), u(&v[0], "resp_pkts")), (1, 3));
    assert_eq!(u(&v[0], "resp_ip_bytes"), 3068);
    assert!(!top_ports(&rev).keys().any(|k| k.1 == "0"));
}

#[test]
fn vlan_id_0_is_no_vlan() {
    let Some(f) = case("21-vlan0-one-direction.pcap") else {
        return;
    };
    let v = flows(&f);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0]["vlan"].is_null());
    assert_eq!(t(&v[0], "conn_state"), "SF");
    assert_eq!((u(&v[0], "orig_pkts"), u(&v[0], "resp_pkts")), (6, 4));
}

#[test]
fn icmp_payload_follows_the_8_byte_header() {
    let Some(f) = case("24-icmp-echo-payload.pcap") else {
        return;
    };
    let v = flows(&f);
    assert_eq!(v.len(), 2);
    for fl in &v {
        assert_eq!(
            (u(fl, "orig_payload"), u(fl, "resp_payload")),
            (56, 56),
            "{fl}"
        );
        assert_eq!(
            (u(fl, "orig_bytes"), u(fl, "orig_len_max")),
            (56, 56),
            "{fl}"
        );
    }
    // Zeek's responder "port" is the counterpart type.
    assert_eq!(u(&v[1], "orig_p"), 128);
    assert_eq!(u(&v[1], "resp_p"), 129);
}

#[test]
fn a_flow_starts_at_its_earliest_packet() {
    let Some(f) = case("U1-time-backwards.pcap") else {
        return;
    };
    let v = flows(&f);
    let udp = v.iter().find(|f| f["proto"] == "udp").expect("udp flow");
    assert_eq!(t(udp, "ts"), "2023-11-14T22:13:20.500000Z");
    assert_eq!(udp["duration"].as_f64(), Some(0.5));
}

/// testdata/sample.pcap, from the repository root.
fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/sample.pcap")
}

#[test]
fn syn_and_fin_columns_count_their_own_flag() {
    let v = flows(&sample());
    let lone_syns: Vec<&Value> = v.iter().filter(|f| f["history"] == "S").collect();
    assert!(!lone_syns.is_empty());
    for f in lone_syns {
        assert_eq!((u(f, "syn") >= 1, u(f, "fin")), (true, 0), "{f}");
    }
    // Against tshark's counts of packets with SYN and FIN set.
    let Ok(out) = Command::new("tshark")
        .args([
            "-n",
            "-r",
            s(&sample()),
            "-T",
            "fields",
            "-e",
            "tcp.flags.syn",
            "-e",
            "tcp.flags.fin",
            "-Y",
            "tcp",
        ])
        .output()
    else {
        println!("SKIPPED: tshark not installed; syn/fin sums not compared");
        return;
    };
    let (mut syn, mut fin) = (0, 0);
    for l in String::from_utf8_lossy(&out.stdout).lines() {
        let c: Vec<&str> = l.split('\t').collect();
        syn += u64::from(c[0] == "1" || c[0] == "True");
        fin += u64::from(c.get(1).is_some_and(|x| *x == "1" || *x == "True"));
    }
    let sum = |k: &str| v.iter().map(|f| u(f, k)).sum::<u64>();
    assert_eq!((sum("syn"), sum("fin")), (syn, fin));
}

#[test]
fn udp_flows_split_by_the_timeout_keep_the_client_as_originator() {
    // 172.21.2.81:53 answered 10.39.144.178:3181 after the flow's timeout:
    // Zeek (and nwcap) keep the client as originator.
    for f in flows(&sample()) {
        if f["proto"] != "udp" {
            continue;
        }
        let (op, rp) = (u(&f, "orig_p"), u(&f, "resp_p"));
        assert!(!(op == 53 && rp > 1023), "server as originator: {f}");
    }
}

/// The case without a file: `nwcap info some-directory/` said `No such
/// device (os error 19)` (the error of mapping a directory). Every command
/// that reads captures says what the path is.
#[test]
fn a_directory_is_named_as_one_by_every_reader() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = s(dir.path());
    let out = dir.path().join("out.pcap");
    let report = dir.path().join("r.html");
    for args in [
        vec!["info", d],
        vec!["info", "--hash", d],
        vec!["filter", d, "-o", s(&out)],
        vec!["flows", d],
        vec!["top", "--by", "talkers", d],
        vec!["report", d, "-o", s(&report)],
    ] {
        let o = nwcap(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(&format!("{d}: is a directory, not a capture file")),
            "{args:?}: {err}"
        );
        assert!(!err.contains("os error"), "{args:?}: {err}");
    }
}
