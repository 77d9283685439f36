//! Item 2 and the server's checks: ARM errors printed whole (code,
//! message, every `details[]` entry, nested, the target, the request ids)
//! for direct and asynchronous failures, with secrets redacted; a name in
//! use (409) with a hint that runs as printed; the session limit; a
//! storage account that does not exist; an api-version the service does
//! not know.

use nwcap_armtest::{
    ArmTestServer, Fault, FaultKind, OnExistingName, ServerConfig, TEST_SUBSCRIPTION,
};
use serde_json::json;

use super::{hinted, nwcap_env, ok, run, start_pc1_named, storage_id, text};

#[test]
fn details_are_printed_whole_for_direct_and_async_failures() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    // The case: a 400 whose only useful words are in details[].
    server.inject(
        Fault::once(FaultKind::Json {
            status: 400,
            body: json!({"error": {
                "code": "InvalidRequestFormat",
                "message": "Cannot parse the request.",
                "details": [{
                    "code": "InvalidJsonReferenceFormat",
                    "message": "Reference Id /subscriptions/x/vm1 is not formatted correctly. The Id is expected to reference resources of type virtualMachines. Path properties.target.",
                    "target": "properties.target",
                    "details": [{"code": "Inner", "message": "see https://st.blob.core.windows.net/c/x?sv=1&sig=SUPERSECRET&se=2"}]
                }]
            }}),
        })
        .on_method("PUT"),
    );
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
            "vm1",
            "--storage-account",
            &sa,
        ],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    let want = "nwcap: error: starting capture pc1: InvalidRequestFormat: Cannot parse the request. (http 400, request id ";
    assert!(stderr.starts_with(want), "{stderr}");
    assert!(
        stderr.contains(
            "\n  - InvalidJsonReferenceFormat: Reference Id /subscriptions/x/vm1 is not formatted correctly. \
             The Id is expected to reference resources of type virtualMachines. Path properties.target. (target properties.target)\n    \
             - Inner: see https://st.blob.core.windows.net/c/x?sv=1&sig=REDACTED&se=2\n"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("SUPERSECRET"));

    // A failed long-running operation keeps its details too.
    server.inject(
        Fault::once(FaultKind::Json {
            status: 200,
            body: json!({"status": "Failed", "error": {
                "code": "PacketCaptureFailed",
                "message": "The capture could not start.",
                "details": [{"code": "VMAgentNotReady", "message": "The VM agent is not ready.", "target": "vm1"}]
            }}),
        })
        .on_path("/operations/"),
    );
    let out = run(
        &server,
        home.path(),
        &[
            "start",
            "pc2",
            "-g",
            "rg2",
            "--vm",
            "vm1",
            "--storage-account",
            &sa,
        ],
    );
    let (_, stderr) = text(&out);
    assert!(
        stderr.starts_with(
            "nwcap: error: starting capture pc2: operation Failed: PacketCaptureFailed: The capture could not start. (request id "
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("\n  - VMAgentNotReady: The VM agent is not ready. (target vm1)\n"),
        "{stderr}"
    );
}

#[test]
fn the_servers_own_checks_come_back_with_details() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let missing = format!(
        "/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/rg2/providers/Microsoft.Storage/storageAccounts/nosuch"
    );
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
            &missing,
        ],
    );
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("InvalidResourceReference: Resource /subscriptions/"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "\n  - ResourceNotFound: The storage account '{missing}' was not found. (target properties.storageLocation.storageId)"
        )),
        "{stderr}"
    );

    // An api-version the service does not know (well-formed, so nwcap sends it).
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
            "vm1",
            "--storage-account",
            &sa,
            "--api-version",
            "2099-01-01",
        ],
    );
    assert!(
        text(&out).1.contains("NoRegisteredProviderFound: No registered resource provider found for location 'westus' and API version '2099-01-01'"),
        "{}",
        text(&out).1
    );
}

#[test]
fn a_name_in_use_is_refused_with_a_hint_that_runs() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    start_pc1_named(&server, home.path(), "dup1");
    let sa = storage_id();
    let args = [
        "start",
        "dup1",
        "-g",
        "rg2",
        "--vm",
        "vm1",
        "--storage-account",
        &sa,
    ];
    let out = run(&server, home.path(), &args);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.starts_with(
            "nwcap: error: starting capture dup1: PacketCaptureAlreadyExists: A packet capture named 'dup1' already exists on network watcher 'NetworkWatcher_westus'."
        ),
        "{stderr}"
    );
    // The endpoint was given on the command line: the hint repeats it.
    let hints = hinted(&stderr);
    let endpoint = server.endpoint();
    let want: Vec<String> = [
        "capture",
        "delete",
        "dup1",
        "--watcher",
        "NetworkWatcherRG/NetworkWatcher_westus",
        "--subscription",
        TEST_SUBSCRIPTION,
        "--arm-endpoint",
        &endpoint,
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(hints, [want], "{stderr}");
    let deleted = nwcap_env(&server, home.path(), &hints[0]);
    assert_eq!(ok(&deleted), "deleted dup1 (files in storage are kept)\n");
    ok(&run(&server, home.path(), &args));
}

#[test]
fn the_session_limit_is_the_services() {
    let server = ArmTestServer::with_config(ServerConfig {
        session_limit: 2,
        ..Default::default()
    })
    .expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    start_pc1_named(&server, home.path(), "a1");
    start_pc1_named(&server, home.path(), "a2");
    let sa = storage_id();
    let out = run(
        &server,
        home.path(),
        &[
            "start",
            "a3",
            "-g",
            "rg2",
            "--vm",
            "vm1",
            "--storage-account",
            &sa,
        ],
    );
    assert!(
        text(&out).1.contains(
            "PacketCaptureSessionLimitReached: Network watcher 'NetworkWatcher_westus' already has 2 packet capture sessions, the most a region allows (2)"
        ),
        "{}",
        text(&out).1
    );
}

#[test]
fn a_service_that_replaces_on_an_existing_name_is_followed() {
    let server = ArmTestServer::with_config(ServerConfig {
        on_existing_name: OnExistingName::Replace,
        ..Default::default()
    })
    .expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    super::start_pc1(&server, home.path(), "100");
    server.advance_clock(100);
    assert!(ok(&run(&server, home.path(), &["status", "pc1"])).contains("TimeExceeded"));
    // The same name again: a new session replaces the old one.
    super::start_pc1(&server, home.path(), "600");
    let status = ok(&run(&server, home.path(), &["status", "pc1"]));
    assert!(status.contains("status   Running (capturing)"), "{status}");
    assert!(status.contains("started  2025-07-01T12:01:40Z"), "{status}");
    assert_eq!(server.capture_names(), ["pc1"]);
}

#[test]
fn a_target_in_a_missing_resource_group_is_an_error() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let vm = format!(
        "/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/nope/providers/Microsoft.Compute/virtualMachines/vm1"
    );
    let out = run(
        &server,
        home.path(),
        &["start", "pc1", "--vm", &vm, "--storage-account", "pcstore"],
    );
    assert!(
        text(&out).1.starts_with(&format!(
            "nwcap: error: --vm {vm}: ResourceGroupNotFound: Resource group 'nope' could not be found. (http 404"
        )),
        "{}",
        text(&out).1
    );
    assert!(server.capture_names().is_empty());
}
