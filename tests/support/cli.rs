//! Running the `nwcap` binary from the integration tests, and reading
//! what it printed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Runs `nwcap ARGS` with `env` set and standard input closed.
pub fn nwcap_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nwcap"));
    c.args(args).stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run nwcap")
}

/// Runs `nwcap ARGS` with standard input closed.
pub fn nwcap(args: &[&str]) -> Output {
    nwcap_env(args, &[])
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard output of a run that must have succeeded (else the test
/// fails with the exit status and standard error).
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    stdout(o)
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A capture of `testdata/`.
pub fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}
