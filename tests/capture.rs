//! `nwcap capture ...` end to end: the built binary against the local ARM
//! test server (crates/nwcap-armtest) on a loopback port. The modules
//! below take the items one by one: the agent pre-flight
//! (`agent`), ARM errors and the server's checks (`errors`), the spec's
//! rules (`rules`), finding the subscription and watcher the same way in
//! capture, fetch and analyze, with every printed hint run as printed
//! (`resolution`), az's spellings (`az`), the server's clock and statuses
//! (`clock`), and the whole workflow offline with Azurite (`offline`).

mod agent;
mod az;
mod clock;
mod errors;
mod lifecycle;
mod offline;
mod resolution;
mod rules;
mod safety;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use nwcap_armtest::{ArmTestServer, TEST_SUBSCRIPTION};
use serde_json::Value;

pub(crate) const TOKEN: &str = "cli-secret-token-7c1e";

pub(crate) fn storage_id() -> String {
    format!(
        "/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/rg2/providers/Microsoft.Storage/storageAccounts/pcstore"
    )
}

pub(crate) fn vm_id(name: &str) -> String {
    format!(
        "/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/rg2/providers/Microsoft.Compute/virtualMachines/{name}"
    )
}

/// `nwcap capture ARGS` against `server`, with a clean environment (no
/// Azure variables, HOME in `home`).
pub(crate) fn command(server: &ArmTestServer, home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nwcap"));
    cmd.arg("capture")
        .args(args)
        .args(["--arm-endpoint", &server.endpoint()])
        .env("HOME", home)
        .env("AZURE_CONFIG_DIR", home.join(".azure"))
        .env_remove("AZURE_SUBSCRIPTION_ID")
        .env_remove("NWCAP_ACCESS_TOKEN")
        .env_remove("NWCAP_ARM_ENDPOINT")
        .stdin(Stdio::null());
    cmd
}

pub(crate) fn run(server: &ArmTestServer, home: &Path, args: &[&str]) -> Output {
    command(server, home, args)
        .args(["--subscription", TEST_SUBSCRIPTION, "--access-token", TOKEN])
        .output()
        .expect("run nwcap")
}

pub(crate) fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub(crate) fn ok(out: &Output) -> String {
    let (stdout, stderr) = text(out);
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    stdout
}

pub(crate) fn start_pc1(server: &ArmTestServer, home: &Path, time_limit: &str) -> String {
    let sa = storage_id();
    ok(&run(
        server,
        home,
        &[
            "start",
            "pc1",
            "-g",
            "rg2",
            "--vm",
            "vm1",
            "--time-limit",
            time_limit,
            "--storage-account",
            &sa,
        ],
    ))
}

/// Waits until the server has answered `n` queryStatus polls (a spawned
/// `wait` is then known to be polling), failing after 30 s.
pub(crate) fn await_polls(server: &ArmTestServer, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let polls = server
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/queryStatus"))
            .count();
        if polls >= n {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {polls} polls after 30 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) fn put_bodies(server: &ArmTestServer) -> Vec<Value> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.path.contains("/packetCaptures/"))
        .filter_map(|r| r.body)
        .collect()
}

/// `nwcap ARGS` (any subcommand) reaching `server` through the
/// environment only (NWCAP_ARM_ENDPOINT, NWCAP_ACCESS_TOKEN), with HOME in
/// `home` and no subscription set: how a person runs a printed hint.
pub(crate) fn nwcap_env(server: &ArmTestServer, home: &Path, args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nwcap"))
        .args(args)
        .env("NWCAP_ARM_ENDPOINT", server.endpoint())
        .env("NWCAP_ACCESS_TOKEN", TOKEN)
        .env("HOME", home)
        .env("AZURE_CONFIG_DIR", home.join(".azure"))
        .env_remove("AZURE_SUBSCRIPTION_ID")
        .env_remove("AZURE_STORAGE_CONNECTION_STRING")
        .stdin(Stdio::null())
        .output()
        .expect("run nwcap")
}

/// The commands a message suggests: every `'nwcap ...'` in it, split into
/// words (the hints quote nothing in these tests' names).
pub(crate) fn hinted(stderr: &str) -> Vec<Vec<String>> {
    stderr
        .split("'nwcap ")
        .skip(1)
        .filter_map(|rest| rest.split_once('\''))
        .map(|(cmd, _)| cmd.split_whitespace().map(str::to_owned).collect())
        .collect()
}

pub(crate) fn start_pc1_named(server: &ArmTestServer, home: &Path, name: &str) {
    let sa = storage_id();
    ok(&run(
        server,
        home,
        &[
            "start",
            name,
            "-g",
            "rg2",
            "--vm",
            "vm1",
            "--storage-account",
            &sa,
        ],
    ));
}
