//! The engine through the binary: standard input, FIFOs and gzip streams
//! read like files; a capture split into files given out of order is one
//! capture for `flows` and `filter --flow` alike; 1 and 2 threads print
//! the same bytes; bad columns, sort keys and SQL are refused before any
//! input is opened.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::cli::nwcap_stdin;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nwcap"));
    c.env_remove("COLUMNS");
    c
}

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run nwcap")
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// CSV rows without the header, sorted (the order of rows may differ
/// between a mapped file and a stream: flows that end in one block of
/// input come together, and blocks are cut differently).
fn sorted_rows(csv: &str) -> Vec<String> {
    let mut rows: Vec<String> = csv.lines().skip(1).map(str::to_string).collect();
    rows.sort();
    rows
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip")
}

fn mkfifo(path: &Path) {
    let st = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(st.success());
}

/// Every column but `file` (which names the input).
const COLS: &str = "ts,uid,community_id,orig_h,orig_p,resp_h,resp_p,proto,service,duration,\
orig_bytes,resp_bytes,conn_state,history,orig_pkts,resp_pkts,orig_ip_bytes,resp_ip_bytes,\
orig_wire_bytes,resp_wire_bytes,truncated_pkts,retransmits,iat_mean,dns_query,tls_sni";

/// Equal row sets, or the first row that differs.
fn same_rows(got: &[String], want: &[String], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: row count");
    if let Some((g, w)) = got.iter().zip(want).find(|(g, w)| g != w) {
        panic!("{what}:\n got {g}\nwant {w}");
    }
}

#[test]
fn stdin_fifo_and_gzip_streams_read_like_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["sample.pcap", "sample.pcapng", "windows-netmon.cap"] {
        let path = testdata(name);
        let file = path.to_string_lossy().into_owned();
        let csv = ["--format", "csv", "--columns", COLS];
        let mut a = vec!["flows", file.as_str()];
        a.extend(csv);
        let want = sorted_rows(&stdout(&run(&a)));
        assert!(want.len() > 3, "{name}");
        let bytes = std::fs::read(&path).expect("read");
        // `-` and /dev/stdin, plain and gzip-compressed.
        for (arg, data) in [
            ("-", bytes.clone()),
            ("-", gzip(&bytes)),
            ("/dev/stdin", gzip(&bytes)),
        ] {
            let mut a = vec!["flows", arg];
            a.extend(csv);
            let o = nwcap_stdin(&a, data);
            same_rows(
                &sorted_rows(&stdout(&o)),
                &want,
                &format!("{name} on {arg}"),
            );
        }
        // A FIFO.
        let fifo = dir.path().join(format!("{name}.fifo"));
        mkfifo(&fifo);
        let writer = {
            let (fifo, bytes) = (fifo.clone(), bytes.clone());
            std::thread::spawn(move || std::fs::write(fifo, bytes))
        };
        let f = fifo.to_string_lossy().into_owned();
        let mut a = vec!["flows", f.as_str()];
        a.extend(csv);
        let o = run(&a);
        writer.join().expect("join").expect("write fifo");
        same_rows(
            &sorted_rows(&stdout(&o)),
            &want,
            &format!("{name} on a FIFO"),
        );
        // A gzip file on disk, too.
        let gz = dir.path().join(format!("{name}.gz"));
        std::fs::write(&gz, gzip(&bytes)).expect("write gz");
        let g = gz.to_string_lossy().into_owned();
        let mut a = vec!["flows", g.as_str()];
        a.extend(csv);
        same_rows(
            &sorted_rows(&stdout(&run(&a))),
            &want,
            &format!("{name}.gz"),
        );
    }
    // The file column names standard input.
    let o = nwcap_stdin(
        &[
            "flows",
            "-",
            "--format",
            "csv",
            "--columns",
            "file",
            "--top",
            "1",
        ],
        std::fs::read(testdata("sample.pcap")).expect("read"),
    );
    assert_eq!(stdout(&o), "file\n<stdin>\n");
}

/// The records of a classic pcap file: (offset, length) of each.
fn records(pcap: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 24;
    while pos + 16 <= pcap.len() {
        let caplen =
            u32::from_le_bytes(pcap[pos + 8..pos + 12].try_into().expect("4 bytes")) as usize;
        out.push((pos, 16 + caplen));
        pos += 16 + caplen;
    }
    out
}

#[test]
fn a_capture_split_out_of_order_is_one_capture_for_flows_and_filter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(testdata("sample.pcap")).expect("read");
    let recs = records(&bytes);
    let third = recs.len() / 3;
    let mut parts = Vec::new();
    for (i, chunk) in recs.chunks(third).enumerate() {
        let mut f = bytes[..24].to_vec();
        for &(at, len) in chunk {
            f.extend_from_slice(&bytes[at..at + len]);
        }
        let p = dir.path().join(format!("part{i}.pcap"));
        std::fs::write(&p, f).expect("write part");
        parts.push(p.to_string_lossy().into_owned());
    }
    assert!(parts.len() >= 3);
    let whole = testdata("sample.pcap").to_string_lossy().into_owned();
    let cols = "uid,orig_pkts,resp_pkts,orig_ip_bytes,resp_ip_bytes";
    let want = sorted_rows(&stdout(&run(&[
        "flows",
        &whole,
        "--format",
        "csv",
        "--columns",
        cols,
    ])));
    // Given last part first.
    let mut args = vec!["flows"];
    args.extend(parts.iter().rev().map(String::as_str));
    args.extend(["--format", "csv", "--columns", cols]);
    let split = sorted_rows(&stdout(&run(&args)));
    same_rows(&split, &want, "the split capture is the capture");
    // Every uid `flows` printed is found by `filter --flow`, and the
    // extract holds exactly the packets of those flows.
    let uids: Vec<&str> = split.iter().filter_map(|r| r.split(',').next()).collect();
    let out = dir.path().join("flows.pcap");
    let out_arg = out.to_string_lossy().into_owned();
    let ids = uids.join(",");
    let mut args = vec!["filter"];
    args.extend(parts.iter().rev().map(String::as_str));
    args.extend(["--flow", &ids, "-o", &out_arg]);
    let o = run(&args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("no flow"), "{err}");
    let pkts: usize = split
        .iter()
        .map(|r| {
            let f: Vec<&str> = r.split(',').collect();
            f[1].parse::<usize>().unwrap_or(0) + f[2].parse::<usize>().unwrap_or(0)
        })
        .sum();
    assert!(
        err.contains(&format!("wrote {pkts} to")),
        "{pkts} packets: {err}"
    );
}

#[test]
fn one_and_two_threads_print_the_same_bytes() {
    for (args, name) in [
        (vec!["--format", "csv"], "csv"),
        (vec!["--format", "ndjson", "--top", "40"], "ndjson"),
        (
            vec!["--sort", "orig_bytes", "--top", "7", "--format", "csv"],
            "top-n",
        ),
    ] {
        for file in ["sample.pcap", "sample.pcapng", "zeek_mixed-vlan-mpls.pcap"] {
            let path = testdata(file).to_string_lossy().into_owned();
            let mut a = vec!["flows", path.as_str()];
            a.extend(&args);
            let one = bin()
                .args(&a)
                .env("RAYON_NUM_THREADS", "1")
                .output()
                .expect("run");
            let two = bin()
                .args(&a)
                .env("RAYON_NUM_THREADS", "2")
                .output()
                .expect("run");
            assert_eq!(stdout(&one), stdout(&two), "{file} {name}");
        }
    }
}

#[test]
fn bad_columns_sort_keys_and_sql_are_refused_before_any_input_is_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A FIFO nobody writes: opening it would block forever.
    let fifo = dir.path().join("never.fifo");
    mkfifo(&fifo);
    let f = fifo.to_string_lossy().into_owned();
    let cases: [(&[&str], &str); 5] = [
        (
            &["flows", &f, "--columns", "uid,nope"],
            "unknown column(s) nope",
        ),
        (&["flows", &f, "--sort", "bogus"], "unknown column(s) bogus"),
        (&["flows", &f, "--sql", "SELEC * FROM flows"], "sql"),
        (
            &["top", &f, "--by", "talkers", "--columns", "x"],
            "unknown column(s) x",
        ),
        (&["flows", &f, "--format", "xml"], "invalid value 'xml'"),
    ];
    for (args, want) in cases {
        let start = std::time::Instant::now();
        let o = run(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
    }
}
