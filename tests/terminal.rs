//! nwcap in a real terminal: run in a pseudo-terminal of 220 columns (no
//! `$COLUMNS`, as an interactive shell leaves it) it sizes its table to the
//! terminal, not to the 100-column fallback; with stderr on a terminal,
//! `info` and `filter` draw a progress bar on a long input as `flows` does.

#![cfg(unix)]

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::process::{Command, Stdio};

use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{Winsize, tcsetwinsize};

/// Runs nwcap with standard output on a pseudo-terminal of `cols` columns;
/// what it printed there (the terminal's CR LF line ends back to LF) and its
/// exit status.
fn in_terminal(cols: u16, args: &[&str]) -> (String, std::process::ExitStatus) {
    run_in_terminal(cols, args, false)
}

/// As [`in_terminal`], with standard error on the terminal too when
/// `stderr` is true.
fn run_in_terminal(cols: u16, args: &[&str], stderr: bool) -> (String, std::process::ExitStatus) {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
    grantpt(&master).expect("grantpt");
    unlockpt(&master).expect("unlockpt");
    let name = ptsname(&master, Vec::new()).expect("ptsname");
    let slave: File = OpenOptions::new()
        .read(true)
        .write(true)
        .open(name.to_str().expect("pts path"))
        .expect("open pts");
    let size = Winsize {
        ws_row: 50,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    tcsetwinsize(&slave, size).expect("set window size");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nwcap"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("COLUMNS")
        .stdin(Stdio::null())
        .stdout(slave.try_clone().expect("dup pts"))
        .stderr(if stderr {
            Stdio::from(slave.try_clone().expect("dup pts"))
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("run nwcap");
    drop(slave);
    // Read while it writes (a full terminal buffer would block it); the
    // master reads EIO once the last writer has closed the terminal.
    let mut master = File::from(master);
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match master.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
        out
    });
    let status = child.wait().expect("wait");
    let out = reader.join().expect("reader");
    (String::from_utf8_lossy(&out).replace("\r\n", "\n"), status)
}

#[test]
fn table_takes_the_terminal_width() {
    let (text, status) = in_terminal(220, &["flows", "testdata/sample.pcap"]);
    assert!(status.success(), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 10, "{text}");
    let widest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    // Wider than the 100-column fallback, never wider than the terminal.
    assert!(
        widest > 100 && widest <= 220,
        "widest line {widest}:\n{text}"
    );
    // At 220 columns the default columns fit: one header line, names whole,
    // no column left out, the IPv6 addresses whole.
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    for name in [
        "orig_bytes",
        "resp_bytes",
        "conn_state",
        "orig_pkts",
        "resp_pkts",
    ] {
        assert!(header.contains(&name), "{name} in {header:?}");
    }
    assert!(lines[1].starts_with("---"), "{text}");
    assert!(!text.contains("not shown"), "{text}");
    assert!(!text.contains('…'), "{text}");
    assert!(text.contains("2001:db8:1::8027:a2a2"), "{text}");
}

#[test]
fn narrow_terminal_wraps_headers_and_keeps_addresses_whole() {
    let (text, status) = in_terminal(90, &["flows", "testdata/sample.pcap"]);
    assert!(status.success(), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let table: Vec<&&str> = lines.iter().filter(|l| !l.contains("not shown")).collect();
    assert!(table.iter().all(|l| l.chars().count() <= 90), "{text}");
    assert!(text.contains("2001:db8:1::8027:a2a2"), "{text}");
    // Headers are wrapped at underscores, never cut to a prefix.
    assert!(!lines.iter().take(4).any(|l| l.contains('…')), "{text}");
}

/// A classic pcap of `n` UDP packets of 1400 bytes (about 1.4 KB each).
fn big_pcap(path: &std::path::Path, n: u32) {
    use nwcap_testsupport::packets::{
        ETHERTYPE_IPV4, PCAP_HEADER, UDP, eth, ipv4, push_record, udp,
    };
    let frame = eth(
        None,
        ETHERTYPE_IPV4,
        &ipv4(
            [10, 0, 0, 1],
            [10, 0, 0, 2],
            UDP,
            &udp(12345, 53, &[0; 1358]),
        ),
    );
    let mut out = PCAP_HEADER.to_vec();
    out.reserve(n as usize * (16 + frame.len()));
    for i in 0..n {
        push_record(
            &mut out,
            1_700_000_000_000_000 + u64::from(i) * 1000,
            &frame,
        );
    }
    std::fs::write(path, out).expect("write capture");
}

#[test]
fn info_and_filter_draw_a_progress_bar_on_long_inputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.pcap");
    // 50 000 packets, 70 MB: over the 64 MB the bar waits for.
    big_pcap(&big, 50_000);
    let b = big.display().to_string();
    let out = dir.path().join("out.pcap").display().to_string();
    let runs: [&[&str]; 3] = [
        &["info", "--hash", "--decode", &b],
        &["filter", &b, "--protocol", "UDP", "-o", &out],
        &["flows", &b, "-o", &out],
    ];
    for args in runs {
        let (text, status) = run_in_terminal(120, args, true);
        assert!(status.success(), "{args:?}: {text}");
        // indicatif's bar: the byte counts of the template, MiB of the total.
        assert!(text.contains("MiB/"), "{args:?}: no bar in {text:?}");
        // --quiet: no bar.
        let mut quiet = args.to_vec();
        quiet.push("--quiet");
        let (text, status) = run_in_terminal(120, &quiet, true);
        assert!(status.success(), "{quiet:?}: {text}");
        assert!(!text.contains("MiB/"), "{quiet:?}: {text:?}");
    }
    // A small input gets no bar.
    let (text, _) = run_in_terminal(120, &["info", "--hash", "testdata/sample.pcap"], true);
    assert!(!text.contains("MiB/") && !text.contains("KiB/"), "{text:?}");
}
