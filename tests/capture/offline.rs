//! Item 8: the seed workflow on one machine. The ARM emulator with Azurite
//! as its blob service and a clock running 60 times faster: `nwcap capture
//! start`, `status`, `wait`, then `fetch` and `analyze` of the capture file
//! the emulator wrote when the capture stopped (the bundled sample replayed
//! through the capture's filters), all through the binary and the
//! environment, as README shows it.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use nwcap_armtest::{ArmTestServer, BlobStorage, ServerConfig, TEST_SUBSCRIPTION};

use super::{TOKEN, ok, text};
use crate::support::azurite::{ACCOUNT, Azurite, KEY};

fn nwcap(server: &ArmTestServer, az: &Azurite, dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nwcap"))
        .args(args)
        .current_dir(dir)
        .env("NWCAP_ARM_ENDPOINT", server.endpoint())
        .env("NWCAP_ACCESS_TOKEN", TOKEN)
        .env("AZURE_SUBSCRIPTION_ID", TEST_SUBSCRIPTION)
        .env("AZURE_STORAGE_CONNECTION_STRING", az.connection_string())
        .env("HOME", dir)
        .env("COLUMNS", "140")
        .stdin(Stdio::null())
        .output()
        .expect("run nwcap")
}

#[test]
fn start_status_wait_fetch_analyze_on_one_machine() {
    let az = Azurite::start();
    let server = ArmTestServer::with_config(ServerConfig {
        time_scale: 60.0,
        storage: Some(BlobStorage {
            account: ACCOUNT.into(),
            endpoint: az.endpoint(),
            key: KEY.into(),
        }),
        ..Default::default()
    })
    .expect("server");
    let work = tempfile::tempdir().expect("tempdir");
    let w = work.path();
    let run = |args: &[&str]| nwcap(&server, &az, w, args);

    let out = run(&[
        "capture",
        "start",
        "web1",
        "-g",
        "rg2",
        "--vm",
        "vm1",
        "--storage-account",
        ACCOUNT,
        "--time-limit",
        "60",
        "--protocol",
        "TCP",
        "--local-port",
        "443",
    ]);
    let started = ok(&out);
    let path_line = started
        .lines()
        .find(|l| l.starts_with("storage path"))
        .expect("storage path");
    let blob_dir = format!(
        "subscriptions/{TEST_SUBSCRIPTION}/resourcegroups/rg2/providers/microsoft.compute/virtualmachines/vm1/2025/07/01/packetcapture_12_"
    );
    assert!(
        path_line.starts_with(&format!(
            "storage path     {}/network-watcher-logs/{blob_dir}",
            az.endpoint()
        )),
        "the emulator's storage path is on Azurite: {path_line}"
    );
    assert!(ok(&run(&["capture", "status", "web1"])).contains("Running (capturing)"));

    let waited = run(&[
        "capture",
        "wait",
        "web1",
        "--interval",
        "0.1",
        "--timeout",
        "60",
    ]);
    let stdout = ok(&waited);
    assert!(
        stdout.contains("stop reason  TimeExceeded (the time limit was reached)"),
        "{stdout}"
    );
    let files = server.capture_files("web1");
    assert_eq!(files.len(), 1, "one file written to Azurite: {files:?}");

    let fetched = run(&["fetch", "web1", "-o", "captures"]);
    let stdout = ok(&fetched);
    assert!(
        stdout.starts_with(&format!("downloaded captures/{blob_dir}")),
        "{stdout}"
    );
    let local = stdout
        .split_whitespace()
        .nth(1)
        .expect("downloaded path")
        .to_owned();

    // The file: only TCP to or from port 443, the first packet at the capture's start.
    let info = ok(&run(&["info", &local]));
    assert!(
        info.contains("First packet:         2025-07-01 12:00:"),
        "{info}"
    );
    let flows = ok(&run(&[
        "flows",
        &local,
        "--format",
        "csv",
        "--columns",
        "proto,orig_p,resp_p",
    ]));
    let rows: Vec<&str> = flows.lines().skip(1).collect();
    assert!(!rows.is_empty(), "{flows}");
    assert!(
        rows.iter()
            .all(|r| r.starts_with("tcp,") && (r.ends_with(",443") || r.contains(",443,"))),
        "{flows}"
    );

    let analyzed = run(&[
        "analyze",
        "web1",
        "--dir",
        "captures",
        "--format",
        "csv",
        "--columns",
        "proto,resp_p",
    ]);
    let (stdout, stderr) = text(&analyzed);
    assert!(analyzed.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "nwcap analyze: re-applied the 1 filter of capture 'web1' (OR-ed)\n  filter 1 {\"protocol\":\"TCP\",\"localPort\":\"443\"}: "
        ),
        "{stderr}"
    );
    // The emulator applied the same filter: analyze drops nothing.
    assert!(
        stderr.contains(" kept, 0 dropped by the filters"),
        "{stderr}"
    );
    assert!(stdout.starts_with("proto,resp_p\n"), "{stdout}");
    assert_eq!(
        stdout.lines().count(),
        rows.len() + 1,
        "analyze sees what flows sees"
    );
}
