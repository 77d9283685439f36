//! `nwcap capture ...` end to end: the built binary against the local ARM
//! test server (crates/nwcap-armtest) on a loopback port. The modules
//! below take the issue's items one by one: the agent pre-flight
//! (`agent`), ARM errors and the server's checks (`errors`), the spec's
//! rules (`rules`), finding the subscription and watcher the same way in
//! capture, fetch and analyze, with every printed hint run as printed
//! (`resolution`), az's spellings (`az`), the server's clock and statuses
//! (`clock`), and the whole workflow offline with Azurite (`offline`).

mod agent;
mod az;
mod clock;
mod errors;
mod offline;
mod resolution;
mod rules;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use nwcap_armtest::{ArmTestServer, Fault, FaultKind, ServerConfig, TEST_SUBSCRIPTION};
use serde_json::{Value, json};

const TOKEN: &str = "cli-secret-token-7c1e";

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

#[test]
fn start_sends_exactly_the_flags() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let sa = storage_id();
    let out = run(
        &server,
        home.path(),
        &[
            "start",
            "pc1",
            "-g",
            "rg2",
            "--vm",
            "VM1",
            "--bytes-per-packet",
            "128",
            "--bytes-per-session",
            "5000000",
            "--time-limit",
            "600",
            "--storage-account",
            &sa,
            "--file-path",
            "/var/captures/pc1.cap",
            "--protocol",
            "tcp",
            "--local-ip",
            "10.0.0.4",
            "--local-port",
            "443,80",
            "--remote-ip",
            "10.1.0.0-10.1.0.255",
        ],
    );
    let stdout = ok(&out);
    assert!(stdout.contains("provisioning     Succeeded"), "{stdout}");
    // Sent as typed; the undocumented ',' is warned about, with the API's notation.
    assert!(
        stdout
            .contains("filters          TCP local 10.0.0.4 port 443,80 remote 10.1.0.0-10.1.0.255"),
        "{stdout}"
    );
    assert!(
        text(&out).1.contains(
            "nwcap: warning: --local-port \"443,80\": the API separates entries with ';'"
        ) && text(&out).1.contains("in the API's notation: 80;443"),
        "{}",
        text(&out).1
    );
    let expected = json!({"properties": {
        "target": vm_id("vm1"),
        "targetType": "AzureVM",
        "bytesToCapturePerPacket": 128,
        "totalBytesPerSession": 5_000_000,
        "timeLimitInSeconds": 600,
        "storageLocation": {"storageId": sa, "filePath": "/var/captures/pc1.cap"},
        "filters": [{"protocol": "TCP", "localIPAddress": "10.0.0.4", "localPort": "443,80", "remoteIPAddress": "10.1.0.0-10.1.0.255"}]
    }});
    assert_eq!(put_bodies(&server), [expected]);
    let put = server
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .expect("put");
    assert_eq!(
        put.path,
        format!(
            "/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westus/packetCaptures/pc1"
        )
    );
    assert_eq!(put.query, "api-version=2025-07-01");
    assert_eq!(
        put.authorization.as_deref(),
        Some(&*format!("Bearer {TOKEN}"))
    );
}

#[test]
fn start_by_resource_id_finds_the_regions_watcher() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let id = vm_id("vm2");
    ok(&run(
        &server,
        home.path(),
        &[
            "start",
            "pc9",
            "--target",
            &id,
            "--file-path",
            "/var/captures/pc9.cap",
        ],
    ));
    let put = server
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .expect("put");
    assert!(
        put.path
            .contains("/networkWatchers/NetworkWatcher_eastus/packetCaptures/pc9"),
        "{}",
        put.path
    );
    assert_eq!(
        put.body,
        Some(
            json!({"properties": {"target": id, "targetType": "AzureVM", "storageLocation": {"filePath": "/var/captures/pc9.cap"}}})
        )
    );
    let status = ok(&run(
        &server,
        home.path(),
        &["status", "pc9", "-l", "eastus"],
    ));
    assert!(status.contains("Running"), "{status}");
}

#[test]
fn start_on_a_scale_set_with_continuous_capture_and_json_filters() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let out = run(
        &server,
        home.path(),
        &[
            "start",
            "ss1",
            "-g",
            "rg2",
            "--vmss",
            "vmss1",
            "--include",
            "0,1",
            "--exclude",
            "3",
            "--continuous",
            "true",
            "--local-path",
            "/var/captures/ss1.cap",
            "--file-count",
            "5",
            "--file-size",
            "1048576",
            "--session-time-limit",
            "3600",
            "--filter",
            r#"[{"protocol":"UDP","remotePort":"53"},{"protocol":"Any","localIPAddress":"10.0.0.5"}]"#,
            "--api-version",
            "2024-05-01",
            "-o",
            "json",
        ],
    );
    let stdout = ok(&out);
    let shown: Value = serde_json::from_str(&stdout).expect("json output");
    assert_eq!(shown["properties"]["provisioningState"], "Succeeded");
    let expected = json!({"properties": {
        "target": format!("/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/rg2/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1"),
        "targetType": "AzureVMSS",
        "scope": {"include": ["0", "1"], "exclude": ["3"]},
        "storageLocation": {"localPath": "/var/captures/ss1.cap"},
        "continuousCapture": true,
        "captureSettings": {"fileCount": 5, "fileSizeInBytes": 1_048_576, "sessionTimeLimitInSeconds": 3600},
        "filters": [{"protocol": "UDP", "remotePort": "53"}, {"protocol": "Any", "localIPAddress": "10.0.0.5"}]
    }});
    assert_eq!(put_bodies(&server), [expected]);
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.method == "PUT" && r.query == "api-version=2024-05-01")
    );
}

#[test]
fn every_verb_through_the_lifecycle() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    start_pc1(&server, h, "100");

    let status = ok(&run(&server, h, &["status", "pc1", "-l", "westus"]));
    assert!(status.contains("status   Running (capturing)"), "{status}");
    assert!(status.contains("started  2025-07-01T12:00:00Z"), "{status}");
    server.advance_clock(100);
    let status = ok(&run(
        &server,
        h,
        &["status", "pc1", "--location", "West US"],
    ));
    assert!(
        status.contains("Stopped (stopped; capture files are complete)"),
        "{status}"
    );
    assert!(
        status.contains("stop reason  TimeExceeded (the time limit was reached)"),
        "{status}"
    );
    let json_status: Value = serde_json::from_str(&ok(&run(
        &server,
        h,
        &["status", "pc1", "-l", "westus", "-o", "json"],
    )))
    .expect("json");
    assert_eq!(json_status["packetCaptureStatus"], "Stopped");
    assert_eq!(json_status["stopReason"], "TimeExceeded");

    let show = ok(&run(
        &server,
        h,
        &["show", "pc1", "--watcher", "NetworkWatcher_westus"],
    ));
    assert!(show.contains("time limit       100 s"), "{show}");
    let shown: Value = serde_json::from_str(&ok(&run(
        &server,
        h,
        &["show", "pc1", "-l", "westus", "-o", "json"],
    )))
    .expect("json");
    assert_eq!(shown["name"], "pc1");
    assert_eq!(shown["properties"]["timeLimitInSeconds"], 100);
    assert!(shown["etag"].is_string());

    let list = ok(&run(&server, h, &["list", "-l", "westus"]));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(
        lines[0].starts_with("NAME  PROVISIONING  TARGET  TIME LIMIT  STORAGE PATH"),
        "{list}"
    );
    assert!(
        lines[1].starts_with(
            "pc1   Succeeded     vm1     100 s       https://pcstore.blob.core.windows.net/"
        ),
        "{list}"
    );
    let listed: Value = serde_json::from_str(&ok(&run(
        &server,
        h,
        &["list", "-l", "westus", "-o", "json"],
    )))
    .expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1));

    start_pc1_named(&server, h, "pc2");
    assert_eq!(
        ok(&run(&server, h, &["stop", "pc2", "-l", "westus"])),
        "stopped pc2\n"
    );
    let status = ok(&run(&server, h, &["status", "pc2", "-l", "westus"]));
    assert!(
        status.contains("stop reason  Manual (stopped by a user)"),
        "{status}"
    );

    assert_eq!(
        ok(&run(&server, h, &["delete", "pc1", "-l", "westus"])),
        "deleted pc1 (files in storage are kept)\n"
    );
    assert_eq!(server.capture_names(), ["pc2"]);
    let out = run(&server, h, &["show", "pc1", "-l", "westus"]);
    assert_eq!(out.status.code(), Some(2));
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("nwcap: error: ResourceNotFound: "),
        "{stderr}"
    );
    assert!(stderr.contains("(http 404, request id "), "{stderr}");
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

#[test]
fn wait_returns_when_the_time_limit_passes() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    start_pc1(&server, home.path(), "60");
    let child = command(
        &server,
        home.path(),
        &[
            "wait",
            "pc1",
            "-l",
            "westus",
            "--interval",
            "0.05",
            "--timeout",
            "30",
        ],
    )
    .args(["--subscription", TEST_SUBSCRIPTION, "--access-token", TOKEN])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    await_polls(&server, 2);
    server.advance_clock(60);
    let out = child.wait_with_output().expect("wait");
    let stdout = ok(&out);
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("nwcap: pc1: Running (capturing)"),
        "{stderr}"
    );
    assert!(stderr.contains("nwcap: pc1: Stopped"), "{stderr}");
    assert!(stdout.contains("stop reason  TimeExceeded"), "{stdout}");
    let polls = server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/queryStatus"))
        .count();
    assert!(polls >= 3, "only {polls} polls");

    // Timeout: the capture is still running.
    start_pc1_named(&server, home.path(), "pc2");
    let out = run(
        &server,
        home.path(),
        &[
            "wait",
            "pc2",
            "-l",
            "westus",
            "--interval",
            "0.05",
            "--timeout",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains(
            "timed out after 1 s waiting for capture pc2 to stop; it is still Running (capturing)"
        ),
        "{stderr}"
    );
    // Both suggested commands run as printed.
    let hints = hinted(&stderr);
    assert_eq!(hints.len(), 2, "{stderr}");
    assert_eq!(hints[0][..2], ["capture", "wait"]);
    let mut keep_waiting = hints[0].clone();
    keep_waiting.extend(["--timeout", "1", "--interval", "0.05"].map(String::from));
    let again = nwcap_env(&server, home.path(), &keep_waiting);
    assert!(
        text(&again).1.contains("it is still Running"),
        "{}",
        text(&again).1
    );
    let stopped = nwcap_env(&server, home.path(), &hints[1]);
    assert_eq!(ok(&stopped), "stopped pc2\n");
}

#[test]
fn start_wait_polls_to_the_end() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let sa = storage_id();
    let child = command(
        &server,
        home.path(),
        &[
            "start",
            "pc1",
            "-g",
            "rg2",
            "--vm",
            "vm1",
            "--time-limit",
            "30",
            "--storage-account",
            &sa,
            "--wait",
            "--interval",
            "0.05",
            "--timeout",
            "30",
            "-o",
            "json",
        ],
    )
    .args(["--subscription", TEST_SUBSCRIPTION, "--access-token", TOKEN])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    await_polls(&server, 2);
    server.advance_clock(30);
    let out = child.wait_with_output().expect("wait");
    let status: Value = serde_json::from_str(&ok(&out)).expect("json status");
    assert_eq!(status["packetCaptureStatus"], "Stopped");
    assert_eq!(status["stopReason"], "TimeExceeded");
}

#[test]
fn limits_are_checked_before_sending_and_name_the_flag() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let sa = storage_id();
    let cases: [(&[&str], &str); 6] = [
        (
            &["--time-limit", "18001", "--storage-account", &sa],
            "--time-limit: 18001 is out of range: the API's timeLimitInSeconds takes 0 to 18000 seconds",
        ),
        (
            &["--file-path", "/var/captures/x.pcap"],
            "--file-path: \"/var/captures/x.pcap\" must end with .cap",
        ),
        (
            &["--storage-account", &sa, "--local-port", "99999"],
            "--local-port: \"99999\" is not a port",
        ),
        (
            &["--storage-account", &sa, "--protocol", "icmp"],
            "--protocol: ",
        ),
        (
            &[
                "--storage-account",
                &sa,
                "--local-path",
                "/var/captures/x.cap",
            ],
            "--local-path: only with --continuous",
        ),
        (
            &[],
            "--storage-account: give a storage account, a --file-path on the VM, or both",
        ),
    ];
    for (extra, want) in cases {
        let mut args = vec!["start", "pc1", "-g", "rg2", "--vm", "vm1"];
        args.extend_from_slice(extra);
        let out = run(&server, home.path(), &args);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: want {want:?} in {stderr}");
    }
    assert!(put_bodies(&server).is_empty());

    let out = run(
        &server,
        home.path(),
        &[
            "start",
            "pc1",
            "-g",
            "rg2",
            "--vm",
            "nope",
            "--storage-account",
            &sa,
        ],
    );
    assert!(
        text(&out)
            .1
            .contains("--vm: no virtual machine named nope in resource group rg2"),
        "{}",
        text(&out).1
    );
    let out = run(&server, home.path(), &["status", "pc1"]);
    assert!(
        text(&out).1.contains(
            "no capture named pc1 in the 2 network watcher(s) of subscription 00000000-0000-0000-0000-000000000000"
        ),
        "{}",
        text(&out).1
    );
}

#[test]
fn throttling_and_server_errors_are_retried() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    server.inject(
        Fault::once(FaultKind::TooManyRequests {
            retry_after_secs: 1,
        })
        .on_method("PUT"),
    );
    server.inject(Fault::once(FaultKind::ServerError).on_path("/packetCaptures/pc1"));
    start_pc1(&server, home.path(), "100");
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.method == "PUT")
            .count(),
        3
    );

    server.inject(Fault::once(FaultKind::MalformedBody).on_path("/queryStatus"));
    let out = run(&server, home.path(), &["status", "pc1", "-l", "westus"]);
    assert_eq!(out.status.code(), Some(2));
    let (_, stderr) = text(&out);
    assert!(stderr.contains("malformed response to POST"), "{stderr}");
}

#[test]
fn the_token_never_appears_in_any_output() {
    let server = ArmTestServer::with_config(ServerConfig {
        required_token: Some(TOKEN.into()),
        ..Default::default()
    })
    .expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let sa = storage_id();
    let mut outputs = vec![
        run(
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
                &sa,
                "-vv",
            ],
        ),
        run(
            &server,
            h,
            &["status", "pc1", "-l", "westus", "-vv", "-o", "json"],
        ),
        run(&server, h, &["list", "-l", "westus", "-vv"]),
        run(&server, h, &["show", "nope", "-l", "westus", "-vv"]),
        run(
            &server,
            h,
            &[
                "start",
                "x",
                "-g",
                "rg2",
                "--vm",
                "vm1",
                "--time-limit",
                "99999",
                "-vv",
            ],
        ),
    ];
    server.inject(Fault::once(FaultKind::MalformedBody));
    outputs.push(run(&server, h, &["show", "pc1", "-l", "westus", "-vv"]));
    server.inject(Fault::once(FaultKind::Error {
        status: 409,
        code: "Conflict".into(),
        message: "Another operation is in progress.".into(),
    }));
    outputs.push(run(&server, h, &["stop", "pc1", "-l", "westus", "-vv"]));
    // A wrong token: 401 from the server.
    outputs.push(
        command(&server, h, &["list", "-l", "westus", "-vv"])
            .args([
                "--subscription",
                TEST_SUBSCRIPTION,
                "--access-token",
                "wrong-secret-0x99",
            ])
            .output()
            .expect("run"),
    );
    // The token from the environment.
    outputs.push(
        command(&server, h, &["list", "-l", "westus", "-vv"])
            .args(["--subscription", TEST_SUBSCRIPTION])
            .env("NWCAP_ACCESS_TOKEN", TOKEN)
            .output()
            .expect("run"),
    );
    outputs.push(
        command(&server, h, &["--help"])
            .env("NWCAP_ACCESS_TOKEN", TOKEN)
            .output()
            .expect("run"),
    );
    let mut failures = 0;
    for out in &outputs {
        let (stdout, stderr) = text(out);
        assert!(
            !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
            "token leaked:\n{stdout}\n{stderr}"
        );
        assert!(!stderr.contains("wrong-secret-0x99"), "{stderr}");
        assert!(
            !stderr.to_ascii_lowercase().contains("authorization"),
            "{stderr}"
        );
        failures += usize::from(!out.status.success());
    }
    assert_eq!(failures, 5, "the error cases must have run");
    let (_, stderr) = text(&outputs[0]);
    assert!(
        stderr.contains("nwcap: PUT http://127.0.0.1:"),
        "-v logs requests: {stderr}"
    );
    let (_, stderr) = text(&outputs[7]);
    assert!(stderr.contains("InvalidAuthenticationToken"), "{stderr}");
    let (stdout, _) = text(&outputs[8]);
    assert!(stdout.starts_with("NAME"), "env token works: {stdout}");
}

#[test]
fn subscription_comes_from_the_azure_cli_profile() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let out = command(&server, home.path(), &["list", "-l", "westus"])
        .args(["--access-token", TOKEN])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).1.contains(
            "no subscription: give --subscription, set AZURE_SUBSCRIPTION_ID, or run `az login`"
        ),
        "{}",
        text(&out).1
    );

    let dir = home.path().join(".azure");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let profile = format!(
        "\u{feff}{{\"subscriptions\": [{{\"id\": \"other\", \"isDefault\": false}}, {{\"id\": \"{TEST_SUBSCRIPTION}\", \"isDefault\": true}}]}}"
    );
    std::fs::write(dir.join("azureProfile.json"), profile).expect("write");
    let out = command(&server, home.path(), &["list", "-l", "westus"])
        .args(["--access-token", TOKEN])
        .output()
        .expect("run");
    ok(&out);
    let out = command(&server, home.path(), &["list", "-l", "westus"])
        .args(["--access-token", TOKEN])
        .env(
            "AZURE_SUBSCRIPTION_ID",
            "11111111-2222-3333-4444-555555555555",
        )
        .output()
        .expect("run");
    ok(&out);
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert!(
        paths[0].starts_with(&format!("/subscriptions/{TEST_SUBSCRIPTION}/")),
        "{paths:?}"
    );
    assert!(
        paths
            .last()
            .is_some_and(|p| p.starts_with("/subscriptions/11111111-2222-3333-4444-555555555555/")),
        "{paths:?}"
    );
}
