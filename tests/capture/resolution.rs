//! Item 4: one way to find the subscription and the watcher for `capture`,
//! `fetch` and `analyze`: the target's region's watcher by default (as az),
//! one `--watcher` syntax (NAME, RG/NAME or id), `-l`, the same
//! environment and Azure CLI profile fallbacks; every hint runs as printed.

use std::path::Path;
use std::process::Output;

use nwcap_armtest::{ArmTestServer, SeedResource, ServerConfig, TEST_SUBSCRIPTION};

use super::{hinted, nwcap_env, ok, run, storage_id, text};

/// A server whose westus watcher was moved and renamed: `rg-net/nw-west`.
fn moved_watcher() -> ArmTestServer {
    ArmTestServer::with_config(ServerConfig {
        watchers: vec![
            SeedResource::new("rg-net", "nw-west", "westus"),
            SeedResource::new("NetworkWatcherRG", "NetworkWatcher_eastus", "eastus"),
        ],
        ..Default::default()
    })
    .expect("server")
}

fn words(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// `nwcap ARGS` with the subscription from the Azure CLI profile only.
fn with_profile(server: &ArmTestServer, home: &Path, args: &[&str]) -> Output {
    let dir = home.join(".azure");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("azureProfile.json"),
        format!(
            "{{\"subscriptions\": [{{\"id\": \"{TEST_SUBSCRIPTION}\", \"isDefault\": true}}]}}"
        ),
    )
    .expect("profile");
    nwcap_env(server, home, &words(args))
}

#[test]
fn capture_fetch_and_analyze_find_the_same_watcher() {
    let server = moved_watcher();
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let sa = storage_id();
    // No -l: the VM's region's watcher, wherever it lives.
    ok(&run(
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
            "--time-limit",
            "600",
        ],
    ));
    let put = server
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .expect("put");
    assert!(
        put.path.contains("/resourceGroups/rg-net/providers/Microsoft.Network/networkWatchers/nw-west/packetCaptures/pc1"),
        "{}",
        put.path
    );
    let id = format!(
        "/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/rg-net/providers/Microsoft.Network/networkWatchers/nw-west"
    );
    let ways: [&[&str]; 5] = [
        &["-l", "westus"],
        &["--location", "West US"],
        &["--watcher", "nw-west"],
        &["--watcher", "rg-net/nw-west"],
        &["--watcher", &id],
    ];
    for way in ways.iter().copied().chain([&[][..]]) {
        // capture: every way, and none (the watcher that has pc1).
        let mut args = vec!["capture", "status", "pc1"];
        args.extend_from_slice(way);
        let out = with_profile(&server, h, &args);
        assert!(ok(&out).contains("status   Running (capturing)"), "{way:?}");
        // fetch: the same flags find the same capture (running: refused with a hint).
        let mut args = vec!["fetch", "pc1", "-o"];
        let dir = h.join("dl");
        let dir = dir.to_string_lossy().into_owned();
        args.push(&dir);
        args.extend_from_slice(way);
        let out = with_profile(&server, h, &args);
        let (_, stderr) = text(&out);
        assert!(
            stderr.contains("capture 'pc1' is capturing: its file appears only after it stops"),
            "fetch {way:?}: {stderr}"
        );
        // analyze: found, then waited for (briefly).
        let mut args = vec![
            "analyze",
            "pc1",
            "--timeout",
            "0",
            "--interval",
            "0.01",
            "--dir",
        ];
        args.push(&dir);
        args.extend_from_slice(way);
        let out = with_profile(&server, h, &args);
        let (_, stderr) = text(&out);
        assert!(
            stderr.contains("timed out after 0 s waiting for capture 'pc1' to stop; it is still Running (capturing)"),
            "analyze {way:?}: {stderr}"
        );
    }

    // analyze's hints when its wait timed out: kept for after the stop.
    let out = with_profile(
        &server,
        h,
        &["analyze", "pc1", "--timeout", "0", "--interval", "0.01"],
    );
    let analyze_hints = hinted(&text(&out).1);
    assert_eq!(analyze_hints.len(), 2, "{}", text(&out).1);

    // fetch's hint runs as printed: it stops the capture.
    let out = with_profile(&server, h, &["fetch", "pc1", "-l", "westus"]);
    let hints = hinted(&text(&out).1);
    assert_eq!(
        hints,
        [words(&[
            "capture",
            "stop",
            "pc1",
            "--watcher",
            "rg-net/nw-west",
            "--subscription",
            TEST_SUBSCRIPTION
        ])],
        "{}",
        text(&out).1
    );
    assert_eq!(ok(&nwcap_env(&server, h, &hints[0])), "stopped pc1\n");
    // analyze's: wait (the capture has stopped: it returns), stop (a no-op now).
    let waited = ok(&nwcap_env(&server, h, &analyze_hints[0]));
    assert!(
        waited.contains("stop reason  Manual (stopped by a user)"),
        "{waited}"
    );
    assert_eq!(
        ok(&nwcap_env(&server, h, &analyze_hints[1])),
        "stopped pc1\n"
    );
}

#[test]
fn a_region_or_watcher_that_is_not_the_targets_is_refused() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let sa = storage_id();
    // vm2 is in eastus.
    let out = run(
        &server,
        home.path(),
        &[
            "start",
            "pc1",
            "-g",
            "rg2",
            "--vm",
            "vm2",
            "--storage-account",
            &sa,
            "-l",
            "westus",
        ],
    );
    assert!(
        text(&out).1.contains(
            "--location westus, but vm2 is in eastus: a capture runs through the network watcher of its target's region (leave out -l, or give -l eastus)"
        ),
        "{}",
        text(&out).1
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
            "vm2",
            "--storage-account",
            &sa,
            "--watcher",
            "NetworkWatcher_westus",
        ],
    );
    assert!(
        text(&out).1.contains(
            "--watcher NetworkWatcherRG/NetworkWatcher_westus is in westus, but vm2 is in eastus"
        ),
        "{}",
        text(&out).1
    );
    let out = run(
        &server,
        home.path(),
        &["status", "pc1", "--watcher", "nope"],
    );
    assert!(
        text(&out)
            .1
            .contains("--watcher nope: no such network watcher in subscription"),
        "{}",
        text(&out).1
    );
    assert!(server.capture_names().is_empty());
}

#[test]
fn the_subscription_comes_from_the_profile_for_every_command() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    // Without any subscription, capture and fetch say the same.
    for args in [
        words(&["capture", "list"]),
        words(&["fetch", "pc1"]),
        words(&["analyze", "pc1"]),
    ] {
        let out = nwcap_env(&server, h, &args);
        assert!(
            text(&out).1.contains(
                "no subscription: give --subscription, set AZURE_SUBSCRIPTION_ID, or run `az login`"
            ),
            "{args:?}: {}",
            text(&out).1
        );
    }
    // With the profile alone, both reach the subscription.
    let out = with_profile(&server, h, &["capture", "list"]);
    assert!(ok(&out).starts_with("WATCHER"), "every watcher is listed");
    let out = with_profile(&server, h, &["fetch", "pc1"]);
    assert!(
        text(&out).1.contains("no capture named pc1 in the 2 network watcher(s) of subscription 00000000-0000-0000-0000-000000000000"),
        "{}",
        text(&out).1
    );
    // A resource id's subscription is the subscription.
    let other = "11111111-2222-3333-4444-555555555555";
    let vm = format!(
        "/subscriptions/{other}/resourceGroups/rg2/providers/Microsoft.Compute/virtualMachines/vm1"
    );
    let sa = format!(
        "/subscriptions/{other}/resourceGroups/rg2/providers/Microsoft.Storage/storageAccounts/pcstore"
    );
    let out = nwcap_env(
        &server,
        h,
        &words(&[
            "capture",
            "start",
            "x1",
            "--vm",
            &vm,
            "--storage-account",
            &sa,
        ]),
    );
    ok(&out);
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.method == "PUT" && r.path.starts_with(&format!("/subscriptions/{other}/"))),
        "the capture went to the VM's subscription"
    );
}
