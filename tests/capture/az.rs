//! Item 5: az's spellings beside nwcap's own (`-n/--name`, `--vm NAME|ID`,
//! `--storage-account NAME|ID`, `--no-wait`, `-o json`), delete of a
//! missing capture, and `start --help` that keeps the capture's options
//! apart from the connection's.

use std::process::Stdio;

use nwcap_armtest::{ArmTestServer, TEST_SUBSCRIPTION};
use serde_json::Value;

use super::{TOKEN, command, hinted, nwcap_env, ok, put_bodies, run, storage_id, text, vm_id};

#[test]
fn az_spellings_reach_the_same_requests() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    // -n, --vm ID (no -g), --storage-account NAME.
    let vm = vm_id("vm1");
    ok(&run(
        &server,
        h,
        &[
            "start",
            "-n",
            "pc1",
            "--vm",
            &vm,
            "--storage-account",
            "pcstore",
        ],
    ));
    let body = &put_bodies(&server)[0];
    assert_eq!(body["properties"]["target"], vm.as_str());
    assert_eq!(
        body["properties"]["storageLocation"]["storageId"],
        storage_id().as_str()
    );
    // -o json (hidden alias) and --format json print the same.
    let a = ok(&run(&server, h, &["show", "-n", "pc1", "-o", "json"]));
    let b = ok(&run(&server, h, &["show", "pc1", "--format", "json"]));
    assert_eq!(a, b);
    let v: Value = serde_json::from_str(&a).expect("json");
    assert_eq!(v["name"], "pc1");
    let out = run(
        &server,
        h,
        &["show", "pc1", "-o", "json", "--format", "table"],
    );
    assert_eq!(out.status.code(), Some(2), "the two spellings conflict");
    // A name without -g is refused with what to give.
    let out = run(
        &server,
        h,
        &[
            "start",
            "pc2",
            "--vm",
            "vm1",
            "--storage-account",
            "pcstore",
        ],
    );
    assert!(
        text(&out)
            .1
            .contains("--vm vm1: a name needs -g/--resource-group (or give the resource id)"),
        "{}",
        text(&out).1
    );
    let out = run(
        &server,
        h,
        &[
            "start",
            "pc2",
            "-g",
            "rg2",
            "--vm",
            "vm1",
            "--storage-account",
            "nosuch",
        ],
    );
    assert!(
        text(&out)
            .1
            .contains("--storage-account: no storage account named nosuch in subscription"),
        "{}",
        text(&out).1
    );
}

#[test]
fn no_wait_returns_once_arm_has_accepted() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    server.clear_requests();
    let out = run(
        &server,
        h,
        &[
            "start",
            "pc1",
            "-g",
            "rg2",
            "--vm",
            "vm1",
            "--storage-account",
            "pcstore",
            "--no-wait",
        ],
    );
    let stdout = ok(&out);
    assert!(stdout.contains("provisioning     Updating"), "{stdout}");
    assert!(
        !server
            .requests()
            .iter()
            .any(|r| r.path.contains("/operations/")),
        "the operation was not polled"
    );
    // The suggested status command runs as printed.
    let hints = hinted(&text(&out).1);
    assert_eq!(hints.len(), 1, "{}", text(&out).1);
    // The operation ran in the service meanwhile: the capture is running.
    let status = ok(&nwcap_env(&server, h, &hints[0]));
    assert!(status.contains("status   Running (capturing)"), "{status}");
    // stop and delete --no-wait.
    assert_eq!(
        ok(&run(&server, h, &["stop", "pc1", "--no-wait"])),
        "stopping pc1\n"
    );
    assert!(ok(&run(&server, h, &["status", "pc1"])).contains("stop reason  Manual"));
    assert_eq!(
        ok(&run(&server, h, &["delete", "pc1", "--no-wait"])),
        "deleting pc1 (files in storage are kept)\n"
    );
    assert!(
        ok(&run(&server, h, &["list", "-l", "westus"]))
            .lines()
            .count()
            == 1
    );
}

#[test]
fn deleting_a_capture_that_does_not_exist_is_an_error_unless_if_exists() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let out = run(&server, h, &["delete", "ghost", "-l", "westus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).1.starts_with(
            "nwcap: error: no capture ghost on network watcher NetworkWatcherRG/NetworkWatcher_westus: nothing to delete (--if-exists makes a missing capture not an error): ResourceNotFound:"
        ),
        "{}",
        text(&out).1
    );
    assert_eq!(
        ok(&run(
            &server,
            h,
            &["delete", "ghost", "-l", "westus", "--if-exists"]
        )),
        "no capture ghost: nothing to delete\n"
    );
    assert_eq!(
        ok(&run(&server, h, &["delete", "ghost", "--if-exists"])),
        "no capture ghost: nothing to delete\n"
    );
    let out = run(&server, h, &["delete", "ghost"]);
    assert!(
        text(&out).1.starts_with(
            "nwcap: error: nothing to delete (--if-exists makes a missing capture not an error): no capture named ghost in the 2 network watcher(s)"
        ),
        "{}",
        text(&out).1
    );
    assert!(
        !server.requests().iter().any(|r| r.method == "DELETE"),
        "nothing was deleted"
    );
}

#[test]
fn a_wait_that_times_out_says_the_capture_is_still_running() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let out = command(
        &server,
        home.path(),
        &[
            "start",
            "pc1",
            "-g",
            "rg2",
            "--vm",
            "vm1",
            "--storage-account",
            "pcstore",
            "--wait",
            "--timeout",
            "1",
            "--interval",
            "0.05",
        ],
    )
    .args(["--subscription", TEST_SUBSCRIPTION, "--access-token", TOKEN])
    .stdin(Stdio::null())
    .output()
    .expect("run");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout.contains("provisioning     Succeeded"),
        "the capture was started: {stdout}"
    );
    assert!(
        stderr.contains(
            "timed out after 1 s waiting for capture pc1 to stop; it is still Running (capturing)"
        ),
        "{stderr}"
    );
    assert_eq!(hinted(&stderr).len(), 2, "{stderr}");
}

#[test]
fn start_help_keeps_the_captures_options_apart() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let help = ok(&run(&server, home.path(), &["start", "--help"]));
    let heading = |h: &str| {
        help.find(&format!("\n{h}:\n"))
            .unwrap_or_else(|| panic!("{h} in {help}"))
    };
    let (target, limits, storage, filters, arm, output) = (
        heading("Target"),
        heading("Limits"),
        heading("Storage"),
        heading("Filters"),
        heading("Azure Resource Manager"),
        heading("Output"),
    );
    assert!(target < limits && limits < storage && storage < filters);
    let section = |from: usize| &help[from..];
    assert!(section(target).contains("--vm <NAME|ID>"));
    assert!(section(arm).contains("--watcher <NAME|RG/NAME|ID>"));
    assert!(section(output).contains("--format <FORMAT>"));
    assert!(!help.contains("-o, --output"), "the az alias is hidden");
}
