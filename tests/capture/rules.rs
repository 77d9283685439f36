//! Items 3 and 6: every rule of the spec is checked before anything is
//! sent, each with a message naming the flag and the rule; the user's
//! filter text is sent as typed; features the api-version lacks are refused.

use nwcap_armtest::{ArmTestServer, TEST_SUBSCRIPTION};
use serde_json::json;

use super::{ok, put_bodies, run, storage_id, text};

fn vmss_id() -> String {
    format!(
        "/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/rg2/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1"
    )
}

#[test]
fn each_rule_names_its_flag_and_nothing_is_sent() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let sa = storage_id();
    let vmss = vmss_id();
    let vm = ["start", "pc1", "-g", "rg2", "--vm", "vm1"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "--storage-account",
                &sa,
                "--continuous",
                "true",
                "--file-path",
                "/var/captures/x.cap",
            ],
            "--file-path: not with --continuous: filePath \"is invalid if 'Continuous Capture' is provided with 'true' or 'false'\"; use --local-path",
        ),
        (
            vec!["--storage-account", &sa, "--storage-path", "pc1.cap"],
            "--storage-path: \"pc1.cap\" is not a URI: storagePath \"must be a well-formed URI",
        ),
        (
            vec!["--storage-account", &sa, "--local-port", "80-85;90-95"],
            "--local-port: \"80-85;90-95\" has 2 ranges (80-85, 90-95); the API's localPort takes one: \"Multiple ranges not currently supported\"",
        ),
        (
            vec![
                "--storage-account",
                &sa,
                "--remote-ip",
                "10.0.0.1;10.0.0.5-10.0.0.9",
            ],
            "--remote-ip: \"10.0.0.1;10.0.0.5-10.0.0.9\" mixes the range 10.0.0.5-10.0.0.9 with other entries; the API's remoteIPAddress does not: \"Mixing ranges with multiple entries not currently supported\"",
        ),
        (
            vec!["--storage-account", &sa, "--time-limit", "99999999999"],
            "--time-limit: 99999999999 is out of range: the API's timeLimitInSeconds takes 0 to 18000 seconds",
        ),
        (
            vec!["--storage-account", &sa, "--time-limit", "-5"],
            "--time-limit: -5 is out of range: the API's timeLimitInSeconds takes 0 to 18000 seconds",
        ),
        (
            vec!["--storage-account", &sa, "--bytes-per-packet", "4294967296"],
            "--bytes-per-packet: 4294967296 is out of range: the API's bytesToCapturePerPacket takes 0 to 4294967295 bytes",
        ),
        (
            vec![
                "--storage-account",
                &sa,
                "--continuous",
                "false",
                "--file-count",
                "10001",
            ],
            "--file-count: 10001 is out of range: the API's fileCount takes 0 to 10000",
        ),
        (
            vec![
                "--storage-account",
                &sa,
                "--continuous",
                "false",
                "--session-time-limit",
                "604801",
            ],
            "--session-time-limit: 604801 is out of range: the API's sessionTimeLimitInSeconds takes 0 to 604800 seconds",
        ),
        (
            vec!["--file-path", "/tmp/x.cap"],
            "--file-path: \"/tmp/x.cap\": the target runs Linux, where the capture file \"must start with /var/captures\"",
        ),
        (
            vec![
                "--storage-account",
                &sa,
                "--continuous",
                "true",
                "--api-version",
                "2024-03-01",
            ],
            "--continuous: api-version 2024-03-01 has no continuousCapture, captureSettings, storageLocation.localPath (the packet-capture schema has them since 2024-05-01; ARM would drop them silently): use --api-version 2024-05-01 or later",
        ),
        (
            vec!["--storage-account", &sa, "--api-version", "latest"],
            "--api-version: \"latest\" is not an api-version (YYYY-MM-DD, e.g. 2025-07-01)",
        ),
        (
            vec!["--storage-account", "pc/store"],
            "--storage-account: \"pc/store\" is not a storage account resource id",
        ),
    ];
    for (extra, want) in cases {
        let mut args = vm.to_vec();
        args.extend(extra);
        let out = run(&server, home.path(), &args);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(want),
            "{args:?}:\nwant {want}\nin   {stderr}"
        );
        assert!(!stderr.contains("tip:"), "no clap hint: {stderr}");
    }

    // A scale set id with targetType AzureVM; scale sets before 2022-05-01.
    let out = run(
        &server,
        home.path(),
        &[
            "start",
            "pc1",
            "--target",
            &vmss,
            "--target-type",
            "AzureVM",
            "--storage-account",
            &sa,
        ],
    );
    assert!(
        text(&out).1.contains("--target-type: the target is a scale set (virtualMachineScaleSets) but the target type is AzureVM"),
        "{}",
        text(&out).1
    );
    let out = run(
        &server,
        home.path(),
        &[
            "start",
            "pc1",
            "--vmss",
            &vmss,
            "--storage-account",
            &sa,
            "--api-version",
            "2022-01-01",
        ],
    );
    assert!(
        text(&out).1.contains("--target-type: api-version 2022-01-01 has no targetType, scope (the packet-capture schema has them since 2022-05-01"),
        "{}",
        text(&out).1
    );
    assert!(
        put_bodies(&server).is_empty(),
        "nothing reached the service"
    );
}

#[test]
fn filter_text_is_sent_as_typed_with_warnings_for_undocumented_notation() {
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
            "vm1",
            "--storage-account",
            &sa,
            "--protocol",
            "tcp",
            "--local-ip",
            "10.0.0.5;10.0.0.4",
            "--remote-ip",
            "10.0.0.0/24",
        ],
    );
    ok(&out);
    let (_, stderr) = text(&out);
    assert_eq!(
        stderr,
        "nwcap: warning: --remote-ip \"10.0.0.0/24\": a CIDR prefix is not in the API's notation \
         (one entry (80), one range (80-85) or a list (80;443)); it is sent as typed and the service \
         may refuse it; the same addresses as a range: 10.0.0.0-10.0.0.255\n"
    );
    assert_eq!(
        put_bodies(&server)[0]["properties"]["filters"],
        json!([{"protocol": "TCP", "localIPAddress": "10.0.0.5;10.0.0.4", "remoteIPAddress": "10.0.0.0/24"}])
    );

    // --filter JSON: as typed too (numbers and arrays become the API's strings).
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
            "--filter",
            r#"[{"protocol":"udp","remotePort":53},{"localPort":["80","443"]}]"#,
        ],
    );
    ok(&out);
    assert_eq!(
        put_bodies(&server)[1]["properties"]["filters"],
        json!([{"protocol": "UDP", "remotePort": "53"}, {"localPort": "80;443"}])
    );
    let out = run(
        &server,
        home.path(),
        &[
            "start",
            "pc3",
            "-g",
            "rg2",
            "--vm",
            "vm1",
            "--storage-account",
            &sa,
            "--filter",
            r#"[{"protocol":"TCP"},{"remotePort":"1-2;5-6"}]"#,
        ],
    );
    assert!(
        text(&out)
            .1
            .contains("--filter: filters[1].remotePort \"1-2;5-6\" has 2 ranges"),
        "{}",
        text(&out).1
    );
}
