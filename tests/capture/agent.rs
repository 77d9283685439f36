//! Item 1: the Network Watcher agent is checked before anything is
//! created; `--install-agent` installs it (the extension for the target's
//! OS, a long-running operation), then the capture starts.

use nwcap_armtest::{ArmTestServer, TEST_SUBSCRIPTION};

use super::{ok, put_bodies, run, storage_id, text};

#[test]
fn a_missing_agent_stops_start_before_anything_is_created() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let sa = storage_id();
    let args = [
        "start",
        "pc1",
        "-g",
        "rg2",
        "--vm",
        "bare1",
        "--storage-account",
        &sa,
    ];
    let out = run(&server, home.path(), &args);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        "nwcap: error: the Network Watcher agent is not installed on bare1: packet capture needs \
         the VM extension AzureNetworkWatcherExtension (Microsoft.Azure.NetworkWatcher/NetworkWatcherAgentLinux), \
         or the service fails the capture\n\
         hint: add --install-agent to install it before the capture starts, or install it with: \
         az vm extension set -g rg2 --vm-name bare1 --name NetworkWatcherAgentLinux --publisher Microsoft.Azure.NetworkWatcher\n"
    );
    assert!(put_bodies(&server).is_empty(), "nothing was created");
    assert!(server.capture_names().is_empty());

    // The same command with --install-agent: the extension, then the capture.
    let mut with = args.to_vec();
    with.push("--install-agent");
    let out = run(&server, home.path(), &with);
    let stdout = ok(&out);
    assert!(stdout.contains("provisioning     Succeeded"), "{stdout}");
    assert!(
        text(&out).1.contains(
            "nwcap: installing the Network Watcher agent (Microsoft.Azure.NetworkWatcher/NetworkWatcherAgentLinux 1.4) on bare1"
        ),
        "{}",
        text(&out).1
    );
    assert!(server.agent_installed("bare1"));
    let puts: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 2, "the extension, then the capture");
    assert_eq!(
        puts[0].path,
        format!(
            "/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/rg2/providers/Microsoft.Compute/virtualMachines/bare1/extensions/AzureNetworkWatcherExtension"
        )
    );
    let ext = puts[0].body.clone().expect("body");
    assert_eq!(ext["location"], "westus");
    assert_eq!(
        ext["properties"]["publisher"],
        "Microsoft.Azure.NetworkWatcher"
    );
    assert_eq!(ext["properties"]["type"], "NetworkWatcherAgentLinux");
    assert_eq!(ext["properties"]["autoUpgradeMinorVersion"], true);
    assert!(puts[1].path.ends_with("/packetCaptures/pc1"));
}

#[test]
fn windows_vms_and_scale_sets_get_their_own_agent() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    let sa = storage_id();
    // A Windows VM: the Windows agent.
    ok(&run(
        &server,
        home.path(),
        &[
            "start",
            "w1",
            "-g",
            "rg2",
            "--vm",
            "winbare1",
            "--storage-account",
            &sa,
            "--install-agent",
        ],
    ));
    let ext = server
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT" && r.path.contains("/extensions/"))
        .and_then(|r| r.body)
        .expect("extension put");
    assert_eq!(ext["properties"]["type"], "NetworkWatcherAgentWindows");

    // A scale set without the agent: refused, with the vmss command.
    let out = run(
        &server,
        home.path(),
        &[
            "start",
            "s1",
            "-g",
            "rg2",
            "--vmss",
            "vmssbare",
            "--storage-account",
            &sa,
        ],
    );
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains(
            "az vmss extension set -g rg2 --vmss-name vmssbare --name NetworkWatcherAgentLinux"
        ),
        "{stderr}"
    );
    let out = run(
        &server,
        home.path(),
        &[
            "start",
            "s1",
            "-g",
            "rg2",
            "--vmss",
            "vmssbare",
            "--storage-account",
            &sa,
            "--install-agent",
        ],
    );
    ok(&out);
    assert!(
        text(&out)
            .1
            .contains("(in the scale set's model; instances take it as its upgrade policy says)"),
        "{}",
        text(&out).1
    );
    assert!(server.agent_installed("vmssbare"));
}

#[test]
fn an_agent_that_stops_ends_the_capture_in_error() {
    let server = ArmTestServer::start().expect("server");
    let home = tempfile::tempdir().expect("tempdir");
    super::start_pc1(&server, home.path(), "600");
    server.stop_agent("vm1");
    let out = run(
        &server,
        home.path(),
        &["wait", "pc1", "--interval", "0.05", "--timeout", "10"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "wait exits 1 when the capture failed"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("errors   AgentStopped (the Network Watcher agent on the VM stopped)"),
        "{stdout}"
    );
    // A new capture on it is refused until the agent is back.
    let sa = storage_id();
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
    assert!(
        text(&out)
            .1
            .contains("the Network Watcher agent is not installed on vm1")
    );
}
