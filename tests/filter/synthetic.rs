//! Captures built here, byte by byte: VLAN and tunnel matching, byte
//! identity, merges, time windows, flows, stdout, errors.

use super::frames::*;
use super::{TempDir, nwcap, ok, read, s, tshark, tshark_agrees};

const SEC: i64 = 1_000_000_000;

/// Ten packets: DNS plain, DNS under VLAN 7, DNS inside VXLAN, HTTPS flows,
/// ARP, all at distinct times.
fn mixed() -> Vec<(i64, Vec<u8>)> {
    let t0 = 1_700_000_000 * SEC;
    vec![
        (t0, udp4(None, "10.0.0.4", 50000, "8.8.8.8", 53)),
        (t0 + SEC, udp4(None, "8.8.8.8", 53, "10.0.0.4", 50000)),
        (
            t0 + 2 * SEC,
            udp4(Some(7), "10.0.0.5", 50001, "1.1.1.1", 53),
        ),
        (
            t0 + 3 * SEC,
            vxlan(
                "192.0.2.1",
                "192.0.2.2",
                &udp4(None, "10.9.0.1", 5353, "10.9.0.2", 53),
            ),
        ),
        (
            t0 + 4 * SEC,
            tcp4(None, "10.0.0.4", 40000, "20.1.1.1", 443, 0x02),
        ),
        (
            t0 + 5 * SEC,
            tcp4(None, "20.1.1.1", 443, "10.0.0.4", 40000, 0x12),
        ),
        (
            t0 + 6 * SEC,
            tcp4(Some(7), "10.0.0.4", 40000, "20.1.1.1", 443, 0x10),
        ),
        (t0 + 7 * SEC, arp()),
        (
            t0 + 8 * SEC,
            vxlan(
                "192.0.2.1",
                "192.0.2.2",
                &tcp4(None, "10.9.0.1", 40001, "10.9.0.3", 22, 0x02),
            ),
        ),
        (
            t0 + 9 * SEC,
            tcp4(None, "10.0.0.4", 40002, "20.1.1.1", 80, 0x02),
        ),
    ]
}

#[test]
fn vlan_and_tunnelled_packets_match_on_their_inner_addresses_and_ports() {
    let dir = TempDir::new("inner");
    let input = dir.path("in.pcap");
    let packets = mixed();
    let bytes = pcap_be(&packets);
    std::fs::write(&input, &bytes).expect("write");
    let out = dir.path("dns.pcap");
    let stderr = ok(&[
        s(&input),
        "-o",
        s(&out),
        "--protocol",
        "UDP",
        "--remote-port",
        "53",
    ]);
    let got = read(&out);
    let want: Vec<_> = [0, 1, 2, 3].iter().map(|&i| packets[i].1.clone()).collect();
    assert_eq!(got.iter().map(|r| r.2.clone()).collect::<Vec<_>>(), want);
    assert!(stderr.contains("read 10 packets"), "{stderr}");
    assert!(stderr.contains("wrote 4"), "{stderr}");

    // The tunnelled SSH SYN is found by its inner address and port only.
    let out = dir.path("ssh.pcap");
    ok(&[
        s(&input),
        "-o",
        s(&out),
        "--remote-ip",
        "10.9.0.3",
        "--remote-port",
        "22",
    ]);
    assert_eq!(read(&out).len(), 1);
    assert_eq!(read(&out)[0].2, packets[8].1);
    let out = dir.path("outer.pcap");
    ok(&[s(&input), "-o", s(&out), "--remote-ip", "192.0.2.2"]);
    assert!(
        read(&out).is_empty(),
        "outer tunnel addresses are not the packet's"
    );
}

#[test]
fn the_output_is_the_input_header_plus_the_matching_records_verbatim() {
    let dir = TempDir::new("verbatim");
    let input = dir.path("in.pcap");
    let bytes = pcap_be(&mixed());
    std::fs::write(&input, &bytes).expect("write");
    let out = dir.path("https.pcap");
    ok(&[
        s(&input),
        "-o",
        s(&out),
        "--filter",
        r#"{"protocol":"TCP","remotePort":"443"}"#,
    ]);
    // Records of 10.0.0.4 <-> 20.1.1.1:443: the 5th, 6th and 7th.
    let mut want = bytes[..24].to_vec();
    let mut at = 24;
    for (i, (_, f)) in mixed().iter().enumerate() {
        let len = 16 + f.len();
        if (4..=6).contains(&i) {
            want.extend_from_slice(&bytes[at..at + len]);
        }
        at += len;
    }
    assert_eq!(std::fs::read(&out).expect("read"), want);
    if tshark() {
        tshark_agrees(&out);
    }
}

/// `-o` naming a FIFO (as `/dev/null` or `/dev/stdout` would be): the bytes
/// go through it and the FIFO stays a FIFO. Renaming a temp file over it, as
/// for a regular file, would replace the node (as root, `-o /dev/null`
/// once turned the machine's `/dev/null` into a plain file).
#[cfg(unix)]
#[test]
fn an_output_that_is_a_fifo_is_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = TempDir::new("fifo");
    let input = dir.path("in.pcap");
    let bytes = pcap_be(&mixed());
    std::fs::write(&input, &bytes).expect("write");
    let fifo = dir.path("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !matches!(made, Ok(st) if st.success()) {
        eprintln!("skipped: mkfifo is not available here");
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(std::fs::read(fifo).expect("read fifo")));
        rx
    };
    ok(&[
        s(&input),
        "-o",
        s(&fifo),
        "--filter",
        r#"{"protocol":"UDP"}"#,
    ]);
    let kind = std::fs::symlink_metadata(&fifo).expect("meta").file_type();
    assert!(kind.is_fifo(), "the FIFO was replaced by {kind:?}");
    let got = reader
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("nothing came through the FIFO");
    assert_eq!(&got[..24], &bytes[..24], "pcap header through the FIFO");
    assert!(got.len() > 24);
    assert_eq!(std::fs::read_dir(&dir.0).expect("ls").count(), 2);
}

#[test]
fn several_inputs_merge_in_time_order_and_mixed_formats_become_pcapng() {
    let dir = TempDir::new("merge");
    let all = mixed();
    let even: Vec<_> = all.iter().step_by(2).cloned().collect();
    let odd: Vec<_> = all.iter().skip(1).step_by(2).cloned().collect();
    let (a, b, c) = (dir.path("a.pcap"), dir.path("b.pcap"), dir.path("c.pcapng"));
    std::fs::write(&a, pcap_be(&even)).expect("write");
    std::fs::write(&b, pcap_be(&odd)).expect("write");
    std::fs::write(&c, pcapng(&odd)).expect("write");

    let out = dir.path("ab.pcap");
    ok(&[s(&b), s(&a), "-o", s(&out)]);
    let got = read(&out);
    assert_eq!(
        std::fs::read(&out).expect("read")[..4],
        [0xa1, 0xb2, 0xc3, 0xd4]
    );
    assert_eq!(
        got.iter().map(|r| r.2.clone()).collect::<Vec<_>>(),
        all.iter().map(|p| p.1.clone()).collect::<Vec<_>>()
    );
    assert!(got.windows(2).all(|w| w[0].0 <= w[1].0));

    let out = dir.path("ac.pcapng");
    let stderr = ok(&[s(&a), s(&c), "-o", s(&out)]);
    assert!(stderr.contains("pcapng, 2 interfaces"), "{stderr}");
    let cap = nwcap_pcap::Capture::open(&out).expect("open");
    assert_eq!(cap.format(), nwcap_pcap::Format::PcapNg);
    let got = read(&out);
    assert_eq!(got.len(), all.len());
    for (g, w) in got.iter().zip(&all) {
        assert_eq!((g.0, &g.2), (w.0, &w.1));
    }
    if tshark() {
        tshark_agrees(&out);
    }
}

#[test]
fn the_time_window_is_from_inclusive_to_exclusive() {
    let dir = TempDir::new("window");
    let input = dir.path("in.pcapng");
    std::fs::write(&input, pcapng(&mixed())).expect("write");
    let out = dir.path("w.pcapng");
    let from = "2023-11-14T22:13:22Z"; // t0 + 2 s
    let stderr = ok(&[
        s(&input),
        "-o",
        s(&out),
        "--from",
        from,
        "--to",
        "1700000005",
    ]);
    let got = read(&out);
    let t0 = 1_700_000_000 * SEC;
    assert_eq!(
        got.iter().map(|r| r.0).collect::<Vec<_>>(),
        [2, 3, 4].map(|i| t0 + i * SEC)
    );
    assert!(stderr.contains("7 packets outside"), "{stderr}");
    // pcapng input stays pcapng, blocks copied: the output holds the same EPBs.
    let input_bytes = std::fs::read(&input).expect("read");
    let out_bytes = std::fs::read(&out).expect("read");
    let epbs = |b: &[u8]| -> Vec<Vec<u8>> {
        let mut at = 0;
        let mut v = Vec::new();
        while at + 8 <= b.len() {
            let len = u32::from_le_bytes(b[at + 4..at + 8].try_into().expect("len")) as usize;
            if b[at..at + 4] == [6, 0, 0, 0] {
                v.push(b[at..at + len].to_vec());
            }
            at += len;
        }
        v
    };
    assert_eq!(epbs(&out_bytes), epbs(&input_bytes)[2..5].to_vec());
}

#[test]
fn flow_ids_select_the_packets_of_their_flows() {
    use nwcap_flows::ident::{community_id_of_key, uid};
    let dir = TempDir::new("flows");
    let input = dir.path("in.pcap");
    let packets = mixed();
    std::fs::write(&input, pcap_be(&packets)).expect("write");
    // The flows as the engine sees them (what `nwcap flows` prints).
    let mut out = nwcap_engine::Collect::default();
    nwcap_engine::run(
        &[nwcap_engine::Group::new([&input])],
        &nwcap_engine::Settings::default(),
        None,
        &mut out,
    )
    .expect("engine");
    let https = out
        .flows
        .iter()
        .find(|f| f.key.b_port == 443 || f.key.a_port == 443)
        .expect("https flow");
    let id = uid(&https.key, https.ts, https.orig_is_a);
    let dns = out
        .flows
        .iter()
        .find(|f| {
            f.key.vlan.is_none()
                && (f.key.a_port == 53 || f.key.b_port == 53)
                && f.key.tunnel.is_none()
        })
        .expect("dns flow");
    let cid = community_id_of_key(0, &dns.key);

    // The HTTPS flow without VLAN: packets 5 and 6 (the VLAN-7 ACK is another flow).
    let o = dir.path("uid.pcap");
    ok(&[s(&input), "-o", s(&o), "--flow", &id]);
    assert_eq!(
        read(&o).iter().map(|r| r.2.clone()).collect::<Vec<_>>(),
        vec![packets[4].1.clone(), packets[5].1.clone()]
    );

    let o = dir.path("both.pcap");
    ok(&[s(&input), "-o", s(&o), "--flow", &format!("{id},{cid}")]);
    assert_eq!(read(&o).len(), 4);

    let o = dir.path("none.pcap");
    let res = nwcap(&[s(&input), "-o", s(&o), "--flow", "C000000000000000000"]);
    assert_eq!(res.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&res.stderr).contains("no flow C000000000000000000"));
    assert!(read(&o).is_empty());
}

#[test]
fn stdout_gets_the_same_bytes_as_a_file() {
    let dir = TempDir::new("stdout");
    let input = dir.path("in.pcap");
    std::fs::write(&input, pcap_be(&mixed())).expect("write");
    let out = dir.path("f.pcap");
    ok(&[s(&input), "-o", s(&out), "--local-ip", "10.0.0.4"]);
    let res = nwcap(&[s(&input), "-o", "-", "--local-ip", "10.0.0.4", "--quiet"]);
    assert!(res.status.success());
    assert!(res.stderr.is_empty());
    assert_eq!(res.stdout, std::fs::read(&out).expect("read"));
    assert_eq!(read(&out).len(), 6);
}

/// `-` and a FIFO are read whole: a pipe in, a pipe out (`tcpdump -r -
/// -w -` style), the same bytes as from the file. `--flow` must read its
/// input twice, so it refuses a stream before opening it (a FIFO nobody
/// writes would block forever).
#[test]
fn standard_input_and_fifos_filter_like_files_and_flow_refuses_them() {
    use crate::support::cli::{mkfifo, nwcap_stdin, nwcap_within};
    let dir = TempDir::new("stdin");
    let input = dir.path("in.pcap");
    let bytes = pcap_be(&mixed());
    std::fs::write(&input, &bytes).expect("write");
    let args = ["-o", "-", "--local-ip", "10.0.0.4", "--quiet"];
    let want = nwcap(&[&[s(&input)][..], &args].concat());
    assert!(want.status.success());
    let want_file = dir.path("want.pcap");
    std::fs::write(&want_file, &want.stdout).expect("write");
    assert_eq!(read(&want_file).len(), 6);
    let got = nwcap_stdin(&[&["filter", "-"][..], &args].concat(), bytes.clone());
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert_eq!(got.stdout, want.stdout, "standard input");
    let fifo = dir.path("in.fifo");
    if !mkfifo(&fifo) {
        return;
    }
    let writer = {
        let (fifo, bytes) = (fifo.clone(), bytes.clone());
        std::thread::spawn(move || std::fs::write(fifo, bytes))
    };
    let got = nwcap_within(&[&["filter", s(&fifo)][..], &args].concat(), 60);
    writer.join().expect("join").expect("write fifo");
    assert_eq!(got.stdout, want.stdout, "a FIFO");
    // Nobody writes the FIFO now.
    let out = dir.path("flow.pcap");
    for input in [s(&fifo), "-"] {
        let o = nwcap_within(
            &[
                "filter",
                input,
                "-o",
                s(&out),
                "--flow",
                "CAAAAAAAAAAAAAAAAAA",
            ],
            20,
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("--flow reads each input twice"), "{err}");
        assert!(!out.exists());
    }
}

#[test]
fn filters_from_a_capture_resource_are_ored() {
    let dir = TempDir::new("resource");
    let input = dir.path("in.pcap");
    std::fs::write(&input, pcap_be(&mixed())).expect("write");
    let json = dir.path("capture.json");
    std::fs::write(
        &json,
        r#"{"name":"pc1","properties":{"target":"/subscriptions/x/vm1","filters":[
            {"protocol":"TCP","remotePort":"80"},
            {"protocol":"UDP","localPort":"5353"}]}}"#,
    )
    .expect("write");
    let out = dir.path("r.pcap");
    let stderr = ok(&[s(&input), "-o", s(&out), "--filters-from", s(&json)]);
    assert_eq!(read(&out).len(), 2);
    assert!(
        stderr.contains(r#"filter 1 {"protocol":"TCP","remotePort":"80"}: 1 packets"#),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#"filter 2 {"protocol":"UDP","localPort":"5353"}: 1 packets"#),
        "{stderr}"
    );
}

#[test]
fn errors_leave_no_output_behind() {
    let dir = TempDir::new("errors");
    let input = dir.path("in.pcap");
    std::fs::write(&input, pcap_be(&mixed())).expect("write");
    let out = dir.path("o.pcap");
    let res = nwcap(&[s(&input), "-o", s(&out), "--remote-port", "http"]);
    assert_eq!(res.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&res.stderr).contains("--remote-port"));
    let res = nwcap(&[s(&input), "-o", s(&out), "--from", "soon"]);
    assert_eq!(res.status.code(), Some(2));
    let res = nwcap(&[s(&input), "-o", s(&input)]);
    assert_eq!(res.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&res.stderr).contains("overwrite an input"));
    let not_capture = dir.path("notes.txt");
    std::fs::write(&not_capture, "hello").expect("write");
    let res = nwcap(&[s(&not_capture), "-o", s(&out)]);
    assert_eq!(res.status.code(), Some(2));
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}
