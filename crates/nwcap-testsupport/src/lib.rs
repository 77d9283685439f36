//! Helpers shared by the tests of every crate: the captures tests build
//! themselves ([`packets`]), and the way to the shared references: the
//! corpus (`../shared/corpus`: real captures from other open-source
//! projects with tshark/capinfos reference outputs), Zeek's traces
//! (`../shared/zeek`) and the field cases (`../shared/cases`). A
//! dev-dependency only: nothing here is part of nwcap itself.
//!
//! Test code: the helpers panic, with the path, when a reference file that
//! the corpus lists cannot be read.

pub mod packets;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Runs every committed input of fuzz target `target` through `check`
/// (the target's own checks, included from `fuzz/fuzz_targets/check/`),
/// failing with the input's path: `fuzz/seeds/<target>/`, and
/// `fuzz/regressions/<target>/` for every input that ever failed, in path
/// order. At least `min` inputs must be there (the seeds are committed).
pub fn replay_fuzz_inputs(target: &str, min: usize, check: fn(&[u8])) {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut paths = Vec::new();
    for kind in ["seeds", "regressions"] {
        if let Ok(dir) = std::fs::read_dir(fuzz.join(kind).join(target)) {
            paths.extend(dir.filter_map(Result::ok).map(|e| e.path()));
        }
    }
    paths.sort();
    assert!(paths.len() >= min, "fuzz/seeds/{target} is missing");
    for path in paths {
        let data = std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let r = std::panic::catch_unwind(|| check(&data));
        assert!(r.is_ok(), "{target} check failed on {}", path.display());
    }
}

/// One row of a tab-separated reference file: column name -> value.
pub type Row = HashMap<String, String>;

/// The corpus directory: `NWCAP_CORPUS` if set, else `shared/corpus` beside
/// the repository. `None`, after printing a `SKIPPED:` line that says where
/// it looked, when it holds no `MANIFEST.tsv` (a user's fresh clone); the
/// caller's test then returns without checking anything.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("NWCAP_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        });
    if dir.join("MANIFEST.tsv").is_file() {
        Some(dir)
    } else {
        println!(
            "SKIPPED: corpus not found at {} (set NWCAP_CORPUS); corpus test not run",
            dir.display()
        );
        None
    }
}

/// Zeek's conformance traces: `NWCAP_ZEEK` if set, else `shared/zeek`
/// beside the repository (traces and the conn.log Zeek wrote for each, see
/// its README). `None`, after printing a `SKIPPED:` line, when it holds no
/// `SOURCES.tsv`.
pub fn zeek_traces() -> Option<PathBuf> {
    let dir = std::env::var_os("NWCAP_ZEEK")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/zeek"));
    if dir.join("SOURCES.tsv").is_file() {
        Some(dir)
    } else {
        println!(
            "SKIPPED: Zeek traces not found at {} (set NWCAP_ZEEK); Zeek conformance test not run",
            dir.display()
        );
        None
    }
}

/// The field cases: `NWCAP_CASES` if set, else `shared/cases` beside the
/// repository (small captures of situations nwcap got wrong, with the
/// right values in its README). `None`, after printing a `SKIPPED:` line,
/// when it holds no `README.md`.
pub fn field_cases() -> Option<PathBuf> {
    let dir = std::env::var_os("NWCAP_CASES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/cases"));
    if dir.join("README.md").is_file() {
        Some(dir)
    } else {
        println!(
            "SKIPPED: field cases not found at {} (set NWCAP_CASES); field case tests not run",
            dir.display()
        );
        None
    }
}

/// Parses tab-separated text with a header line; short lines get empty
/// values for their missing columns.
pub fn tsv(text: &str) -> Vec<Row> {
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    lines
        .map(|l| {
            head.iter()
                .zip(l.split('\t').chain(std::iter::repeat("")))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Reads and parses a tab-separated file (see [`tsv`]); panics with the
/// path when it cannot be read.
pub fn read_tsv(path: &Path) -> Vec<Row> {
    match std::fs::read_to_string(path) {
        Ok(text) => tsv(&text),
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_get_empty_values() {
        let rows = tsv("a\tb\tc\n1\t2\t3\n4\n");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["c"], "3");
        assert_eq!(rows[1]["a"], "4");
        assert_eq!(rows[1]["b"], "");
    }

    #[test]
    fn no_header_no_rows() {
        assert!(tsv("").is_empty());
    }
}
