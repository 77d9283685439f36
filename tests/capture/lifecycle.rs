//! The verbs through a capture's life, as the first version of these tests
//! pinned them: exact request bodies, the regions' watchers, scale sets and
//! continuous capture, waiting.

use std::process::Stdio;

use nwcap_armtest::{ArmTestServer, TEST_SUBSCRIPTION};
use serde_json::{Value, json};

use super::{
    TOKEN, await_polls, command, hinted, nwcap_env, ok, put_bodies, run, start_pc1,
    start_pc1_named, storage_id, text, vm_id,
};

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
