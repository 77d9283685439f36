//! `nwcap filter` end to end: the built binary on captures built here
//! (VLAN, tunnels, merges, flows, time windows) and on the real captures of
//! the shared corpus, checked against tshark's own per-packet fields.

mod corpus;
mod synthetic;

use nwcap_testsupport::packets as frames;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `nwcap filter ARGS`, stdin closed.
fn nwcap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nwcap"))
        .arg("filter")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run nwcap")
}

/// Runs and asserts success; returns stderr.
fn ok(args: &[&str]) -> String {
    let out = nwcap(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "nwcap filter {args:?}: exit {:?}\n{stderr}",
        out.status
    );
    stderr
}

/// A fresh directory under the target dir, removed by the caller's `Drop`.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("nwcap-filter-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// (timestamp ns, original length, bytes) of every record of a capture.
type Rec = (i64, u32, Vec<u8>);

fn read(path: &Path) -> Vec<Rec> {
    let cap = nwcap_pcap::Capture::open(path).expect("open output");
    let idx = cap.index();
    assert!(
        idx.damage.is_empty(),
        "{}: {:?}",
        path.display(),
        idx.damage
    );
    idx.all_records()
        .map(|r| (r.ts, r.origlen, r.data.to_vec()))
        .collect()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Whether tshark can be run here.
fn tshark() -> bool {
    Command::new("tshark")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// "1368908504.837063000" -> ns (saturating, as nwcap's reader).
fn epoch_ns(t: &str) -> i64 {
    let (sec, frac) = t.split_once('.').unwrap_or((t, "0"));
    let frac = format!("{frac:0<9}");
    let neg = sec.starts_with('-');
    let sec: i128 = sec.parse().expect("seconds");
    let frac: i128 = frac[..9].parse().expect("frac");
    let ns = if neg {
        sec * 1_000_000_000 - frac
    } else {
        sec * 1_000_000_000 + frac
    };
    i64::try_from(ns).unwrap_or(i64::MAX)
}

/// tshark's reading of a capture: (time, captured length, length).
fn tshark_read(path: &Path) -> Vec<(i64, usize, u32)> {
    let out = Command::new("tshark")
        .args(["-n", "-r", s(path), "-T", "fields"])
        .args([
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.cap_len",
            "-e",
            "frame.len",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark cannot read {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                epoch_ns(f[0]),
                f[1].parse().expect("cap_len"),
                f[2].parse().expect("len"),
            )
        })
        .collect()
}

/// Asserts tshark reads `path` with the same packets nwcap reads.
fn tshark_agrees(path: &Path) {
    let ours: Vec<(i64, usize, u32)> = read(path)
        .into_iter()
        .map(|(ts, len, data)| (ts, data.len(), len))
        .collect();
    assert_eq!(tshark_read(path), ours, "{}", path.display());
}
