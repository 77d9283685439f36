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

/// Runs `nwcap ARGS` with `input` written to its standard input (by a
/// thread: nwcap may stop reading early, and a closed pipe is fine).
pub fn nwcap_stdin(args: &[&str], input: Vec<u8>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_nwcap"))
        .args(args)
        .env_remove("COLUMNS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn nwcap");
    let mut pipe = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    out
}

/// Runs `nwcap ARGS` (standard input closed) and fails the test if it
/// has not ended after `secs` seconds (it is killed first): for runs that
/// must end before they open an input that would block.
pub fn nwcap_within(args: &[&str], secs: u64) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nwcap"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn nwcap");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nwcap {args:?} still running after {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// Makes a FIFO at `path`; false (and a printed reason) where `mkfifo` is
/// missing.
pub fn mkfifo(path: &Path) -> bool {
    let made = Command::new("mkfifo").arg(path).status();
    if matches!(made, Ok(st) if st.success()) {
        true
    } else {
        eprintln!("skipped: mkfifo is not available here");
        false
    }
}
