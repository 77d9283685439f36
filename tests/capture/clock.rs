//! Item 7 through the binary: the server's clock moves with a time scale,
//! so a capture reaches `TimeExceeded` while `nwcap` waits, with nobody
//! advancing it; queryStatus answered 202 with `Location`; the failure
//! statuses Network Watcher reports.

use nwcap_armtest::{ArmTestServer, BlobStorage, ServerConfig};
use serde_json::Value;

use super::{ok, run, start_pc1, text};

#[test]
fn a_capture_reaches_time_exceeded_through_the_binary() {
    // 200 s of server time per real second: a 2 s capture lasts 10 ms.
    let server = ArmTestServer::with_config(ServerConfig {
        time_scale: 200.0,
        ..Default::default()
    })
    .expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let out = run(
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
            "--time-limit",
            "2",
            "--wait",
            "--interval",
            "0.05",
            "--timeout",
            "60",
            "--format",
            "json",
        ],
    );
    let status: Value = serde_json::from_str(&ok(&out)).expect("json");
    assert_eq!(status["packetCaptureStatus"], "Stopped");
    assert_eq!(status["stopReason"], "TimeExceeded");
    assert_eq!(
        status["captureStartTime"].as_str().map(|s| s.len()),
        Some(20)
    );
    assert!(
        server.clock() >= 2,
        "the clock moved by itself: {}",
        server.clock()
    );
}

#[test]
fn query_status_answered_202_is_followed() {
    let server = ArmTestServer::with_config(ServerConfig {
        query_status_async: true,
        ..Default::default()
    })
    .expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    start_pc1(&server, home.path(), "60");
    server.advance_clock(60);
    let status = ok(&run(&server, home.path(), &["status", "pc1"]));
    assert!(
        status.contains("stop reason  TimeExceeded (the time limit was reached)"),
        "{status}"
    );
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path.contains("/operationResults/")),
        "the 202's Location was polled"
    );
}

#[test]
fn failure_statuses_are_shown_in_words() {
    // Storage that cannot be reached: the upload fails when the capture stops.
    let server = ArmTestServer::with_config(ServerConfig {
        storage: Some(BlobStorage {
            account: "pcstore".into(),
            endpoint: "http://127.0.0.1:9/pcstore".into(),
            key: "a2V5".into(),
        }),
        ..Default::default()
    })
    .expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    start_pc1(&server, home.path(), "60");
    server.advance_clock(60);
    let out = run(
        &server,
        home.path(),
        &["wait", "pc1", "--interval", "0.05", "--timeout", "20"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out).1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("status   Error (failed)")
            && stdout.contains("errors   StorageFailed (uploading to the storage account failed)"),
        "{stdout}"
    );

    super::start_pc1_named(&server, home.path(), "pc2");
    server.fail_capture("pc2", "LocalFileFailed");
    let status =
        String::from_utf8_lossy(&run(&server, home.path(), &["status", "pc2"]).stdout).into_owned();
    assert!(
        status.contains("errors   LocalFileFailed (writing the capture file on the VM failed)"),
        "{status}"
    );
}
