//! `nwcap analyze` and `nwcap fetch --wait` end to end: a capture started
//! through the ARM test server (crates/nwcap-armtest) with filters and a
//! storage path on Azurite, a capture file built here frame by frame (a mix
//! of packets the filters match and packets they do not), then the built
//! binary waits, downloads and analyses it.

// The Azurite upload of the fetch tests, compiled here too (its module is
// private to those tests).
#[path = "fetch/setup.rs"]
#[allow(dead_code, clippy::duplicate_mod)]
mod setup;

use nwcap_testsupport::packets as frames;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use nwcap_armtest::{ArmTestServer, TEST_SUBSCRIPTION};

use crate::support::azurite::{ACCOUNT, Azurite};

const TOKEN: &str = "analyze-secret-token-51f0";
const CONTAINER: &str = "network-watcher-logs";
const BLOB_DIR: &str = "subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg2/providers/microsoft.compute/virtualmachines/vm1/2025/01/31";

/// `nwcap ARGS` with a clean environment.
fn nwcap(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nwcap"));
    cmd.args(args)
        .env_remove("AZURE_STORAGE_CONNECTION_STRING")
        .env_remove("AZURE_STORAGE_KEY")
        .env_remove("AZURE_SUBSCRIPTION_ID")
        .env_remove("NWCAP_ACCESS_TOKEN")
        .env_remove("NWCAP_ARM_ENDPOINT")
        .stdin(Stdio::null());
    cmd
}

fn run(args: &[&str]) -> Output {
    nwcap(args).output().expect("run nwcap")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn path_arg(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// The ARM flags that locate the test server's westus watcher.
fn arm_flags(arm: &ArmTestServer) -> Vec<String> {
    [
        "--subscription",
        TEST_SUBSCRIPTION,
        "--location",
        "westus",
        "--arm-endpoint",
        &arm.endpoint(),
        "--access-token",
        TOKEN,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Starts capture `name` on vm1 through `nwcap capture start`, saving to
/// `storage_path`, with `filter` (ARM JSON) if any and a 60 s time limit.
fn start_capture(arm: &ArmTestServer, name: &str, storage_path: &str, filter: Option<&str>) {
    let account = format!(
        "/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/rg2/providers/Microsoft.Storage/storageAccounts/{ACCOUNT}"
    );
    let mut args = vec![
        "capture",
        "start",
        name,
        "--vm",
        "vm1",
        "-g",
        "rg2",
        "--storage-account",
        &account,
        "--storage-path",
        storage_path,
        "--time-limit",
        "60",
    ];
    if let Some(f) = filter {
        args.extend(["--filter", f]);
    }
    let arm_args = arm_flags(arm);
    args.extend(arm_args.iter().map(String::as_str));
    let o = run(&args);
    let (so, se) = text(&o);
    assert!(o.status.success(), "capture start: {so}\n{se}");
}

/// Spawns `args`, waits until the ARM server has answered `polls` status
/// queries (the capture is Running), advances its clock past the time
/// limit, and returns the command's output.
fn run_while_stopping(arm: &ArmTestServer, args: &[&str], polls: usize) -> Output {
    let before = status_queries(arm);
    let child = nwcap(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn nwcap");
    let deadline = Instant::now() + Duration::from_secs(60);
    while status_queries(arm) < before + polls {
        assert!(Instant::now() < deadline, "nwcap never polled the status");
        std::thread::sleep(Duration::from_millis(20));
    }
    arm.advance_clock(120);
    child.wait_with_output().expect("wait nwcap")
}

fn status_queries(arm: &ArmTestServer) -> usize {
    arm.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/queryStatus"))
        .count()
}

/// `nwcap fetch CAPTURE --wait`: the capture is Running; the command polls
/// until the (test) clock passes its time limit, then downloads the file.
#[test]
fn fetch_wait_polls_until_stopped() {
    let az = Azurite::start();
    let arm = ArmTestServer::start().expect("arm test server");
    let blob = format!("{BLOB_DIR}/packetcapture_wait.cap");
    let body = frames::pcap_be(&[(1_700_000_000_000_000_000, frames::arp())]);
    setup::upload(&az, CONTAINER, &[(&blob, &body)]);
    start_capture(
        &arm,
        "capwait",
        &format!("{}/{CONTAINER}/{blob}", az.endpoint()),
        None,
    );
    let out = tempfile::tempdir().expect("tempdir");
    let dir = path_arg(out.path());
    let cs = az.connection_string();
    let mut args = vec![
        "fetch",
        "capwait",
        "-o",
        &dir,
        "--connection-string",
        &cs,
        "--wait",
        "--interval",
        "0.05",
        "--timeout",
        "60",
    ];
    let arm_args = arm_flags(&arm);
    args.extend(arm_args.iter().map(String::as_str));
    let o = run_while_stopping(&arm, &args, 3);
    let (so, se) = text(&o);
    assert!(o.status.success(), "{so}\n{se}");
    assert!(se.contains("capwait: Running (capturing)"), "{se}");
    assert!(se.contains("capwait: Stopped"), "{se}");
    assert!(so.starts_with("downloaded "), "{so}");
    let got = std::fs::read(out.path().join(&blob)).expect("downloaded file");
    assert_eq!(got, body);
    assert!(!se.contains(TOKEN) && !so.contains(TOKEN), "token leaked");
}

/// `--wait` gives up after `--timeout` with the ARM client's timeout error;
/// nothing is downloaded. Without `--wait` a running capture is refused.
#[test]
fn fetch_wait_times_out_and_running_is_refused() {
    let arm = ArmTestServer::start().expect("arm test server");
    start_capture(
        &arm,
        "capslow",
        "http://127.0.0.1:9/network-watcher-logs/x.cap",
        None,
    );
    let out = tempfile::tempdir().expect("tempdir");
    let dir = path_arg(out.path());
    let arm_args = arm_flags(&arm);
    let mut args = vec!["fetch", "capslow", "-o", &dir, "--anonymous"];
    args.extend(arm_args.iter().map(String::as_str));
    let o = run(&args);
    let se = text(&o).1;
    assert_eq!(o.status.code(), Some(2), "{se}");
    assert!(se.contains("is capturing") && se.contains("--wait"), "{se}");

    args.extend(["--wait", "--interval", "0.1", "--timeout", "1"]);
    let started = Instant::now();
    let o = run(&args);
    let se = text(&o).1;
    assert_eq!(o.status.code(), Some(2), "{se}");
    assert!(se.contains("timed out after 1 s"), "{se}");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(std::fs::read_dir(out.path()).expect("dir").next().is_none());

    // A URL has nothing to wait for.
    let o = run(&[
        "fetch",
        "http://127.0.0.1:9/c/x.cap",
        "--wait",
        "--anonymous",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("--wait needs a capture name"));
}

/// The VM's address in the test capture.
const VM_IP: &str = "10.0.0.4";
/// The capture's filters: HTTPS to the VM, and DNS it sends.
const FILTERS: &str = r#"[{"protocol":"TCP","localIPAddress":"10.0.0.4","localPort":"443"},{"protocol":"UDP","remotePort":"53"}]"#;

/// 12 packets: 7 the filters match (a TCP/443 handshake and data, 5
/// packets; a DNS query and answer, 2), 5 they do not (an SSH handshake, 3;
/// NTP, 1; ARP, 1).
fn mixed_capture() -> Vec<u8> {
    use frames::{arp, tcp4, udp4};
    let c = "10.1.0.9";
    let dns = "168.63.129.16";
    let frames = [
        tcp4(None, c, 50000, VM_IP, 443, 0x02),
        tcp4(None, VM_IP, 443, c, 50000, 0x12),
        tcp4(None, VM_IP, 22, c, 50001, 0x02),
        tcp4(None, c, 50000, VM_IP, 443, 0x10),
        udp4(None, VM_IP, 40000, dns, 53),
        arp(),
        tcp4(None, c, 50001, VM_IP, 22, 0x12),
        udp4(None, dns, 53, VM_IP, 40000),
        tcp4(None, c, 50000, VM_IP, 443, 0x18),
        udp4(None, VM_IP, 123, "10.2.0.1", 123),
        tcp4(None, VM_IP, 22, c, 50001, 0x10),
        tcp4(None, VM_IP, 443, c, 50000, 0x18),
    ];
    let base = 1_738_341_581_000_000_000i64;
    let records: Vec<(i64, Vec<u8>)> = frames
        .into_iter()
        .enumerate()
        .map(|(i, f)| (base + i as i64 * 1_000_000, f))
        .collect();
    frames::pcap_be(&records)
}

/// Data rows of a CSV flow table with the columns of [`COLUMNS`], sorted.
fn rows(csv: &str) -> Vec<String> {
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(COLUMNS), "header of:\n{csv}");
    let mut v: Vec<String> = lines.map(str::to_owned).collect();
    v.sort();
    v
}

const COLUMNS: &str = "proto,orig_h,orig_p,resp_h,resp_p,orig_pkts,resp_pkts";

/// The issue's scenario: a capture started with filters through the ARM
/// server, its file (matching and non-matching packets) in Azurite;
/// `nwcap analyze` waits for it to stop, downloads it below `--dir`, and
/// prints only the matching flows, saying on stderr which filters it
/// re-applied and how many packets they dropped.
#[test]
fn analyze_waits_fetches_and_reapplies_capture_filters() {
    let az = Azurite::start();
    let arm = ArmTestServer::start().expect("arm test server");
    let blob = format!("{BLOB_DIR}/packetcapture_14_00_00_000.cap");
    let body = mixed_capture();
    setup::upload(&az, CONTAINER, &[(&blob, &body)]);
    start_capture(
        &arm,
        "cap1",
        &format!("{}/{CONTAINER}/{blob}", az.endpoint()),
        Some(FILTERS),
    );
    let dl = tempfile::tempdir().expect("tempdir");
    let dir = path_arg(dl.path());
    let cs = az.connection_string();
    let arm_args = arm_flags(&arm);
    let mut args = vec![
        "analyze",
        "cap1",
        "--dir",
        &dir,
        "--connection-string",
        &cs,
        "--interval",
        "0.05",
        "--format",
        "csv",
        "--columns",
        COLUMNS,
    ];
    args.extend(arm_args.iter().map(String::as_str));
    let o = run_while_stopping(&arm, &args, 2);
    let (so, se) = text(&o);
    assert!(o.status.success(), "{so}\n{se}");
    // Only the flows the filters match.
    assert_eq!(
        rows(&so),
        [
            "tcp,10.1.0.9,50000,10.0.0.4,443,3,2",
            "udp,10.0.0.4,40000,168.63.129.16,53,1,1",
        ],
        "{se}"
    );
    // The report: waited, downloaded, which filters, what they dropped.
    assert!(se.contains("cap1: Running (capturing)"), "{se}");
    assert!(se.contains("cap1: Stopped"), "{se}");
    assert!(se.contains("downloaded "), "{se}");
    assert!(
        se.contains("re-applied the 2 filters of capture 'cap1' (OR-ed)"),
        "{se}"
    );
    assert!(
        se.contains(r#"filter 1 {"protocol":"TCP","localIPAddress":"10.0.0.4","localPort":"443"}: 5 packets"#),
        "{se}"
    );
    assert!(
        se.contains(r#"filter 2 {"protocol":"UDP","remotePort":"53"}: 2 packets"#),
        "{se}"
    );
    assert!(
        se.contains("12 packets read from 1 file: 7 kept, 5 dropped by the filters (1 without IP)"),
        "{se}"
    );
    assert!(!se.contains(TOKEN) && !so.contains(TOKEN), "token leaked");
    // The download, mirrored below --dir.
    let got = std::fs::read(dl.path().join(&blob)).expect("downloaded file");
    assert_eq!(got, body);

    // Again, every packet: the file is up to date, nothing waits.
    let mut again = args.clone();
    again.push("--no-capture-filters");
    let o = run(&again);
    let (so, se) = text(&o);
    assert!(o.status.success(), "{so}\n{se}");
    assert!(se.contains("up to date "), "{se}");
    assert!(
        se.contains("no filters applied: --no-capture-filters"),
        "{se}"
    );
    assert_eq!(rows(&so).len(), 4, "{so}");
}

/// A URL has no capture resource: no filters unless given; given ones
/// apply. The table can go to a file with `-o` while stdout stays empty.
#[test]
fn analyze_url_filters_only_when_given() {
    let az = Azurite::start();
    let blob = format!("{BLOB_DIR}/packetcapture_url.cap");
    let body = mixed_capture();
    setup::upload(&az, CONTAINER, &[(&blob, &body)]);
    let url = setup::container_sas_url(&az, CONTAINER, &blob);
    let dl = tempfile::tempdir().expect("tempdir");
    let dir = path_arg(dl.path());
    let base = [
        "analyze",
        url.as_str(),
        "--dir",
        &dir,
        "--format",
        "csv",
        "--columns",
        COLUMNS,
    ];
    let o = run(&base);
    let (so, se) = text(&o);
    assert!(o.status.success(), "{so}\n{se}");
    assert!(
        se.contains("no filters applied: a url has no capture resource"),
        "{se}"
    );
    assert_eq!(rows(&so).len(), 4, "{so}");
    assert!(!se.contains("sig="), "sas leaked: {se}");

    let table = dl.path().join("flows.csv");
    let table_arg = path_arg(&table);
    let mut args = base.to_vec();
    args.extend(["--protocol", "UDP", "-o", &table_arg]);
    let o = run(&args);
    let (so, se) = text(&o);
    assert!(o.status.success(), "{so}\n{se}");
    assert!(so.is_empty(), "{so}");
    assert!(
        se.contains("applied 1 filter from the command line"),
        "{se}"
    );
    assert!(
        se.contains("12 packets read from 1 file: 3 kept, 9 dropped by the filters (1 without IP)"),
        "{se}"
    );
    let csv = std::fs::read_to_string(&table).expect("table");
    assert_eq!(
        rows(&csv),
        [
            "udp,10.0.0.4,123,10.2.0.1,123,1,0",
            "udp,10.0.0.4,40000,168.63.129.16,53,1,1",
        ]
    );
    // --report draws the page from the same pass: the table is unchanged,
    // the page lists the filter and the source without its SAS.
    let page = dl.path().join("page.html");
    let page_arg = path_arg(&page);
    let mut with_page = args.clone();
    with_page.extend(["--report", &page_arg]);
    let o = run(&with_page);
    let (so, se) = text(&o);
    assert!(o.status.success(), "{so}\n{se}");
    assert_eq!(
        rows(&std::fs::read_to_string(&table).expect("table")),
        rows(&csv)
    );
    let html = std::fs::read_to_string(&page).expect("page");
    assert!(html.contains("filter 1 (OR-ed)"), "no filter on the page");
    assert!(
        html.contains("packetcapture_url.cap"),
        "no source on the page"
    );
    let sig = url
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("sig="))
        .expect("a SAS url");
    assert!(!html.contains(sig), "sas on the page");
    assert!(html.contains("sig=REDACTED"), "source not shown redacted");
    assert!(!se.contains("sig="), "sas leaked: {se}");

    // analyze counts in the engine's one pass what `nwcap filter` keeps
    // with the same filter on the same file.
    let file = path_arg(&dl.path().join(&blob));
    let extract = path_arg(&dl.path().join("udp.pcap"));
    let o = run(&["filter", &file, "--protocol", "UDP", "-o", &extract]);
    let (so, se) = text(&o);
    assert!(o.status.success(), "{so}\n{se}");
    assert!(
        se.contains("read 12 packets from 1 file, wrote 3 to"),
        "{se}"
    );
}
