//! Limits checked before sending, retries, secrets that never print, and
//! the subscription from the Azure CLI profile.

use nwcap_armtest::{ArmTestServer, Fault, FaultKind, ServerConfig, TEST_SUBSCRIPTION};

use super::{TOKEN, command, ok, put_bodies, run, start_pc1, storage_id, text};

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
