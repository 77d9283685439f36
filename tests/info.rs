//! `nwcap info` end to end, on the captures in `testdata/` and on damaged
//! copies made here.

use std::process::{Command, Output};

use serde_json::Value;

use crate::support::cli::{mkfifo, nwcap, nwcap_stdin, nwcap_within, s, testdata};

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("info --format json prints JSON")
}

#[test]
fn info_json_describes_a_pcap() {
    let f = testdata("sample.pcap");
    let out = nwcap(&["info", "--format", "json", f.to_str().expect("utf-8 path")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["format"], "pcap");
    assert_eq!(v["byte_order"], "little-endian");
    assert_eq!(v["packets"], 3000);
    assert_eq!(v["captured_bytes"], 1_404_623);
    assert_eq!(v["original_bytes"], 1_404_623);
    assert_eq!(v["interfaces"][0]["linktype"], 1);
    assert_eq!(v["in_order"], true);
    assert_eq!(v["damage"].as_array().map(Vec::len), Some(0));
    assert!(v["first_ts"].as_str().is_some_and(|s| s.ends_with('Z')));
    assert!(v.get("sha256").is_none(), "hashing is off by default");
}

#[test]
fn info_reports_snaplen_cuts_and_a_cut_tail_without_failing() {
    let f = testdata("snaplen96-cut.pcap");
    let out = nwcap(&["info", "--format", "json", f.to_str().expect("utf-8 path")]);
    assert!(
        out.status.success(),
        "a cut tail is a warning, not an error"
    );
    let v = json(&out);
    assert_eq!(v["packets"], 498);
    assert_eq!(v["truncated_packets"], 356);
    assert_eq!(v["interfaces"][0]["snaplen"], 96);
    let d = &v["damage"][0];
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["offset"], 52_139);
    assert!(
        d["message"]
            .as_str()
            .is_some_and(|m| m.contains("33 bytes left over"))
    );
}

#[test]
fn info_reads_netmon_and_pcapng_and_hashes_on_request() {
    let nm = testdata("windows-netmon.cap");
    let ng = testdata("sample.pcapng");
    let out = nwcap(&[
        "info",
        "--format",
        "json",
        "--hash",
        nm.to_str().expect("utf-8"),
        ng.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success());
    let v = json(&out);
    assert_eq!(v[0]["format"], "netmon2");
    assert_eq!(v[0]["version"], "2.3");
    assert_eq!(v[0]["packets"], 184);
    assert_eq!(v[0]["first_ts_display"], "2016-08-02 09:55:06.782349700");
    assert_eq!(v[1]["format"], "pcapng");
    assert_eq!(v[1]["packets"], 1002);
    for r in v.as_array().expect("array") {
        assert_eq!(r["sha256"].as_str().map(str::len), Some(64));
    }
}

#[test]
fn one_bad_file_does_not_stop_the_others_and_the_exit_status_tells() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = dir.path().join("notes.cap");
    std::fs::write(&text, "this is not a capture\n").expect("write");
    let mut corrupt = std::fs::read(testdata("sample.pcap")).expect("read");
    // Third record's captured length becomes impossible.
    let first_len = u32::from_le_bytes(corrupt[32..36].try_into().expect("4 bytes")) as usize;
    let second = 24 + 16 + first_len;
    let second_len = u32::from_le_bytes(
        corrupt[second + 8..second + 12]
            .try_into()
            .expect("4 bytes"),
    ) as usize;
    let third = second + 16 + second_len;
    corrupt[third + 8..third + 12].copy_from_slice(&0x4000_0000u32.to_le_bytes());
    let bad = dir.path().join("corrupt.pcap");
    std::fs::write(&bad, &corrupt).expect("write");
    let good = testdata("tcpdump_vxlan.pcap");
    let out = nwcap(&[
        "info",
        "--format",
        "json",
        text.to_str().expect("utf-8"),
        bad.to_str().expect("utf-8"),
        good.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("notes.cap: not a capture file: it looks like text"),
        "{stderr}"
    );
    let v = json(&out);
    assert_eq!(v.as_array().map(Vec::len), Some(2));
    assert_eq!(v[0]["packets"], 2, "every packet before the damage is kept");
    assert_eq!(v[0]["damage"][0]["severity"], "error");
    assert_eq!(v[0]["damage"][0]["offset"], third as u64);
    assert_eq!(v[1]["packets"], 10);
}

#[test]
fn info_table_is_readable_and_decode_counts_protocols() {
    let f = testdata("tcpdump_vxlan.pcap");
    let out = nwcap(&["info", "--decode", f.to_str().expect("utf-8")]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Packets:              10"), "{text}");
    assert!(
        text.contains("First packet:         2013-05-18 20:21:44.837063"),
        "{text}"
    );
    assert!(text.contains("tunnelled 8"), "{text}");
}

#[test]
fn gzip_captures_are_read_transparently() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = std::fs::read(testdata("sample.pcapng")).expect("read");
    let gz_path = dir.path().join("sample.pcapng.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).expect("compress");
    std::fs::write(&gz_path, gz.finish().expect("finish")).expect("write");
    let out = nwcap(&["info", "--format", "json", gz_path.to_str().expect("utf-8")]);
    assert!(out.status.success());
    let v = json(&out);
    assert_eq!(v["compressed"], true);
    assert_eq!(v["packets"], 1002);
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    // `nwcap info ... | head -1`: the reader is gone before nwcap writes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_nwcap"))
        .arg("info")
        .arg(testdata("sample.pcap"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn nwcap");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait for nwcap");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "status {:?}, stderr {stderr}",
        out.status
    );
    assert!(!stderr.to_lowercase().contains("pipe"), "{stderr}");
}

/// `info --format json --hash` of `arg`, `input` on standard input.
fn info_stdin(arg: &str, input: Vec<u8>) -> Value {
    let out = nwcap_stdin(&["info", "--format", "json", "--hash", arg], input);
    assert!(
        out.status.success(),
        "{arg}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out)
}

#[test]
fn standard_input_and_fifos_are_read_whole_and_hashed_as_stored() {
    use std::io::Write;
    let twice = nwcap_stdin(
        &["info", "-", "-"],
        std::fs::read(testdata("sample.pcap")).expect("read"),
    );
    assert_eq!(twice.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&twice.stderr)
            .contains("standard input (-) is given more than once")
    );
    // An endless stream that is no capture fails at once, not at the size
    // bound.
    if std::path::Path::new("/dev/zero").exists() {
        let zero = nwcap_within(&["info", "/dev/zero"], 30);
        assert_eq!(zero.status.code(), Some(2));
        let err = String::from_utf8_lossy(&zero.stderr);
        assert!(err.contains("/dev/zero: not a capture file"), "{err}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["sample.pcap", "sample.pcapng", "windows-netmon.cap"] {
        let path = testdata(name);
        let raw = std::fs::read(&path).expect("read");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).expect("compress");
        let gz = gz.finish().expect("finish");
        let gz_path = dir.path().join(format!("{name}.gz"));
        std::fs::write(&gz_path, &gz).expect("write");
        for (file, bytes) in [(path, raw), (gz_path, gz)] {
            let out = nwcap(&["info", "--format", "json", "--hash", s(&file)]);
            let mut want = json(&out);
            let got = info_stdin("-", bytes.clone());
            assert_eq!(got["file"], "<stdin>");
            assert_eq!(got["sha256"], want["sha256"], "{name}: the stored bytes");
            want["file"] = got["file"].clone();
            assert_eq!(got, want, "{} on standard input", file.display());
            // A FIFO: a path that is not a regular file.
            let fifo = dir.path().join(format!("{name}.fifo"));
            let _ = std::fs::remove_file(&fifo);
            if !mkfifo(&fifo) {
                return;
            }
            let writer = {
                let fifo = fifo.clone();
                std::thread::spawn(move || std::fs::write(fifo, bytes))
            };
            let out = nwcap_within(&["info", "--format", "json", "--hash", s(&fifo)], 60);
            writer.join().expect("join").expect("write fifo");
            let mut got = json(&out);
            got["file"] = want["file"].clone();
            assert_eq!(got, want, "{} through a FIFO", file.display());
        }
    }
}
