//! The table in a real terminal: nwcap run in a pseudo-terminal of 220
//! columns (no `$COLUMNS`, as an interactive shell leaves it) sizes its table
//! to the terminal, not to the 100-column fallback.

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
        .stderr(Stdio::piped())
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
