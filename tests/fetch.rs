//! `nwcap fetch` against Azurite: single blob, scale-set prefix, a 200 MB
//! parallel download, a transfer cut by a proxy and resumed, SAS /
//! connection string / wrong key, a missing blob and hostile blob names.

mod proxy;
mod setup;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::azurite::{ACCOUNT, Azurite};
use setup::{container_sas_url, data, sha256, upload};

const CONTAINER: &str = "network-watcher-logs";
const VM: &str = "subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1";

fn nwcap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nwcap"))
        .args(args)
        .env_remove("AZURE_STORAGE_CONNECTION_STRING")
        .env_remove("AZURE_STORAGE_KEY")
        .env_remove("NWCAP_ACCESS_TOKEN")
        .output()
        .expect("run nwcap")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn out_arg(d: &tempfile::TempDir) -> String {
    d.path().to_string_lossy().into_owned()
}

/// Every file below `dir` (relative paths), sorted.
fn tree(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if let Ok(r) = p.strip_prefix(root) {
                out.push(r.to_path_buf());
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

#[test]
fn one_blob_with_connection_string_then_up_to_date() {
    let az = Azurite::start();
    let name = format!("{VM}/2025/01/31/packetcapture_16_39_41_077.cap");
    let body = data(300_000, 1);
    upload(&az, CONTAINER, &[(&name, &body)]);
    let out = tempfile::tempdir().expect("tempdir");
    let url = format!("{}/{CONTAINER}/{name}", az.endpoint());
    let cs = az.connection_string();
    let args = [
        "fetch",
        &url,
        "-o",
        &out_arg(&out),
        "--connection-string",
        &cs,
    ];
    let o = nwcap(&args);
    let (so, se) = text(&o);
    assert!(o.status.success(), "stdout: {so}\nstderr: {se}");
    assert!(so.starts_with("downloaded "), "{so}");
    assert_eq!(read(&out.path().join(&name)), body);
    let meta = out.path().join(format!(
        "{VM}/2025/01/31/.packetcapture_16_39_41_077.cap.nwcap.json"
    ));
    let meta = String::from_utf8(read(&meta)).expect("utf8");
    assert!(meta.contains("content_md5\": \""), "md5 recorded: {meta}");
    assert!(!se.contains("Eby8"), "key leaked: {se}");

    // Second run: nothing to do.
    let o = nwcap(&args);
    let (so, se) = text(&o);
    assert!(o.status.success(), "{se}");
    assert!(so.starts_with("up to date "), "{so}");
    assert!(se.contains("0 downloaded, 1 up to date"), "{se}");

    // A container/path under the connection string's endpoint works too.
    let out2 = tempfile::tempdir().expect("tempdir");
    let rel = format!("{CONTAINER}/{name}");
    let o = nwcap(&[
        "fetch",
        &rel,
        "-o",
        &out_arg(&out2),
        "--connection-string",
        &cs,
    ]);
    assert!(o.status.success(), "{}", text(&o).1);
    assert_eq!(read(&out2.path().join(&name)), body);
}

#[test]
fn scale_set_prefix_with_sas_and_date_range() {
    let az = Azurite::start();
    let prefix = "subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachinescalesets/vmss";
    let names = [
        format!("{prefix}/2025/01/30/packetcapture_00_00_00_001.cap"),
        format!("{prefix}/2025/01/31/packetCapture_10_00_00_001.cap"),
        format!("{prefix}/2025/01/31/packetcapture_10_00_00_002.CAP"),
        format!("{prefix}/2025/01/31/notes.json"),
        format!("{prefix}/2025/02/01/packetcapture_00_00_00_003.cap"),
    ];
    let bodies: Vec<Vec<u8>> = (0..names.len())
        .map(|i| data(50_000 + i * 1000, 10 + i as u64))
        .collect();
    let blobs: Vec<(&str, &[u8])> = names
        .iter()
        .map(String::as_str)
        .zip(bodies.iter().map(Vec::as_slice))
        .collect();
    upload(&az, CONTAINER, &blobs);

    let out = tempfile::tempdir().expect("tempdir");
    let url = container_sas_url(&az, CONTAINER, prefix);
    let o = nwcap(&[
        "fetch",
        &url,
        "-o",
        &out_arg(&out),
        "--since",
        "2025-01-31",
        "--until",
        "2025-01-31",
    ]);
    let (so, se) = text(&o);
    assert!(o.status.success(), "{so}\n{se}");
    assert!(
        !so.contains("sig=") && !se.contains("sig="),
        "sas leaked:\n{so}\n{se}"
    );
    let caps: Vec<PathBuf> = tree(out.path())
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains(".nwcap.json"))
        .collect();
    let want: Vec<PathBuf> = vec![PathBuf::from(&names[1]), PathBuf::from(&names[2])];
    assert_eq!(caps, want);
    assert_eq!(read(&out.path().join(&names[2])), bodies[2]);

    // Without a range: every *.cap (4), not the json.
    let out = tempfile::tempdir().expect("tempdir");
    let o = nwcap(&["fetch", &url, "-o", &out_arg(&out), "--files", "3"]);
    assert!(o.status.success(), "{}", text(&o).1);
    assert_eq!(
        text(&o)
            .0
            .lines()
            .filter(|l| l.starts_with("downloaded"))
            .count(),
        4
    );
}

#[test]
fn large_blob_in_parallel_ranges() {
    let az = Azurite::start();
    let name = format!("{VM}/2025/01/31/packetcapture_big.cap");
    let body = data(200 << 20, 7);
    let want = sha256(&body);
    upload(&az, CONTAINER, &[(&name, &body)]);
    drop(body);
    let out = tempfile::tempdir().expect("tempdir");
    let url = container_sas_url(&az, CONTAINER, &name);
    let o = nwcap(&[
        "fetch",
        &url,
        "-o",
        &out_arg(&out),
        "--parallel",
        "8",
        "--block-size",
        "8MiB",
    ]);
    let (so, se) = text(&o);
    assert!(o.status.success(), "{so}\n{se}");
    let got = read(&out.path().join(&name));
    assert_eq!(got.len(), 200 << 20);
    assert_eq!(sha256(&got), want);
    assert!(!out.path().join(format!("{name}.part")).exists());
    eprintln!("{se}");
}

#[test]
fn cut_transfer_resumes_to_identical_file() {
    let az = Azurite::start();
    let name = format!("{VM}/2025/01/31/packetcapture_cut.cap");
    let body = data(48 << 20, 9);
    upload(&az, CONTAINER, &[(&name, &body)]);
    let out = tempfile::tempdir().expect("tempdir");
    let proxy = proxy::CutProxy::start(az.port, 20 << 20);
    let q = container_sas_url(&az, CONTAINER, &name);
    let via_proxy = q.replace(&format!(":{}/", az.port), &format!(":{}/", proxy.port));
    let common = [
        "-o",
        out.path().to_str().expect("utf8"),
        "--parallel",
        "4",
        "--block-size",
        "4MiB",
    ];

    let mut args = vec!["fetch", via_proxy.as_str(), "--retries", "0"];
    args.extend_from_slice(&common);
    let o = nwcap(&args);
    let (so, se) = text(&o);
    assert!(
        !o.status.success(),
        "the cut must fail the first run:\n{so}\n{se}"
    );
    let part = out.path().join(format!("{name}.part"));
    let state = out.path().join(format!("{name}.part.json"));
    assert!(part.exists() && state.exists(), "{se}");
    assert!(!out.path().join(&name).exists());
    assert!(proxy.forwarded.load(std::sync::atomic::Ordering::SeqCst) >= 20 << 20);
    drop(proxy);

    let mut args = vec!["fetch", q.as_str()];
    args.extend_from_slice(&common);
    let o = nwcap(&args);
    let (so, se) = text(&o);
    assert!(o.status.success(), "{so}\n{se}");
    assert!(
        so.contains("(resumed at "),
        "second run must reuse blocks: {so}"
    );
    assert_eq!(sha256(&read(&out.path().join(&name))), sha256(&body));
    assert!(!part.exists() && !state.exists());
}

#[test]
fn wrong_key_is_403_with_hint_and_no_secret() {
    let az = Azurite::start();
    let name = format!("{VM}/2025/01/31/packetcapture_1.cap");
    upload(&az, CONTAINER, &[(&name, b"x")]);
    let out = tempfile::tempdir().expect("tempdir");
    let url = format!("{}/{CONTAINER}/{name}", az.endpoint());
    let bad = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let o = nwcap(&["fetch", &url, "-o", &out_arg(&out), "--account-key", bad]);
    let (so, se) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{so}\n{se}");
    assert!(se.contains("http 403"), "{se}");
    assert!(se.contains("hint: "), "{se}");
    assert!(
        !se.contains(bad) && !se.contains("sig=") || se.contains("sig=REDACTED"),
        "{se}"
    );
    assert!(!se.contains("AAAAAAAA"), "{se}");
    // The same with a connection string holding a wrong key.
    let cs = format!(
        "DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={bad};BlobEndpoint={};",
        az.endpoint()
    );
    let o = nwcap(&[
        "fetch",
        &url,
        "-o",
        &out_arg(&out),
        "--connection-string",
        &cs,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("http 403"));
}

#[test]
fn missing_blob_is_404_with_hint() {
    let az = Azurite::start();
    upload(&az, CONTAINER, &[("other/x.cap", b"x")]);
    let out = tempfile::tempdir().expect("tempdir");
    let url = container_sas_url(
        &az,
        CONTAINER,
        &format!("{VM}/2025/01/31/packetcapture_9.cap"),
    );
    let o = nwcap(&["fetch", &url, "-o", &out_arg(&out)]);
    let (so, se) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{so}\n{se}");
    assert!(se.contains("http 404"), "{se}");
    assert!(
        se.contains(
            "hint: no such blob: a capture file appears only after the capture has stopped"
        ),
        "{se}"
    );
    assert!(
        !se.contains("sig="),
        "the url is shown without its sas: {se}"
    );
    // A prefix with nothing in it.
    let url = container_sas_url(&az, CONTAINER, "subscriptions/none/");
    let o = nwcap(&["fetch", &url, "-o", &out_arg(&out)]);
    let se = text(&o).1;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        se.contains("no capture file") && se.contains("hint: the capture may still be running"),
        "{se}"
    );
    // Wrong container.
    let url = container_sas_url(&az, "nope", "x.cap");
    let o = nwcap(&["fetch", &url, "-o", &out_arg(&out)]);
    assert!(
        text(&o).1.contains("network-watcher-logs"),
        "{}",
        text(&o).1
    );
}

#[test]
fn hostile_blob_names_are_refused() {
    let az = Azurite::start();
    let good = "caps/2025/01/31/packetcapture_ok.cap";
    upload(
        &az,
        CONTAINER,
        &[
            (good, b"good"),
            ("caps/..\\..\\evil.cap", b"evil"),
            ("caps/CON.cap", b"evil"),
            ("caps/c:evil.cap", b"evil"),
        ],
    );
    let root = tempfile::tempdir().expect("tempdir");
    let out = root.path().join("out");
    let url = container_sas_url(&az, CONTAINER, "caps/");
    let o = nwcap(&["fetch", &url, "-o", out.to_str().expect("utf8")]);
    let (so, se) = text(&o);
    assert_eq!(o.status.code(), Some(1), "partial failure:\n{so}\n{se}");
    assert_eq!(se.matches("unsafe blob name").count(), 3, "{se}");
    assert_eq!(read(&out.join(good)), b"good");
    let all = tree(root.path());
    assert!(all.iter().all(|p| p.starts_with("out")), "{all:?}");
    assert!(
        all.iter().all(|p| !p.to_string_lossy().contains("evil")),
        "{all:?}"
    );
}

/// `nwcap fetch CAPTURE`: the storage path comes from ARM (the test server),
/// the bytes from Azurite; a running capture is refused with a hint.
#[test]
fn capture_name_resolves_storage_path() {
    use nwcap_arm::types::{PacketCaptureProperties, StorageLocation};
    use nwcap_arm::{ArmClient, ClientOptions, WatcherRef};

    let az = Azurite::start();
    let arm = nwcap_armtest::ArmTestServer::start().expect("arm test server");
    let sub = nwcap_armtest::TEST_SUBSCRIPTION;
    let name = format!("{VM}/2025/01/31/packetcapture_12_00_00_000.cap");
    let body = data(70_000, 3);
    upload(&az, CONTAINER, &[(&name, &body)]);
    let watcher = WatcherRef::default_for_region(sub, "westus");
    let props = PacketCaptureProperties {
        target: format!(
            "/subscriptions/{sub}/resourceGroups/rg2/providers/Microsoft.Compute/virtualMachines/vm1"
        ),
        time_limit_in_seconds: Some(60),
        storage_location: StorageLocation {
            storage_id: Some(format!(
                "/subscriptions/{sub}/resourceGroups/rg2/providers/Microsoft.Storage/storageAccounts/{ACCOUNT}"
            )),
            storage_path: Some(format!("{}/{CONTAINER}/{name}", az.endpoint())),
            ..Default::default()
        },
        ..Default::default()
    };
    let cred = nwcap_arm::auth::Credential::from_token(nwcap_arm::Secret::new("test-token"));
    let client = ArmClient::new(
        cred,
        ClientOptions {
            endpoint: arm.endpoint(),
            ..Default::default()
        },
    )
    .expect("client");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(client.create_capture(&watcher, "cap1", &props))
        .expect("create capture");

    let out = tempfile::tempdir().expect("tempdir");
    let cs = az.connection_string();
    let endpoint = arm.endpoint();
    let args = [
        "fetch",
        "cap1",
        "-o",
        &out_arg(&out),
        "--subscription",
        sub,
        "--location",
        "westus",
        "--arm-endpoint",
        &endpoint,
        "--access-token",
        "test-token",
        "--connection-string",
        &cs,
    ];
    // Still running: refused with a hint, nothing written.
    let o = nwcap(&args);
    let se = text(&o).1;
    assert_eq!(o.status.code(), Some(2), "{se}");
    assert!(
        se.contains("is capturing") && se.contains("hint: stop it"),
        "{se}"
    );
    assert!(tree(out.path()).is_empty());

    // Past its time limit the capture has stopped: the file is fetched.
    arm.advance_clock(120);
    let o = nwcap(&args);
    let (so, se) = text(&o);
    assert!(o.status.success(), "{so}\n{se}");
    assert_eq!(read(&out.path().join(&name)), body);
    assert!(!se.contains("test-token"), "{se}");
}

/// A `.part` left by a cut run is not reused once the blob has a new ETag:
/// the next run starts over and gets the new content, never a mix.
#[test]
fn changed_blob_is_not_resumed() {
    let az = Azurite::start();
    let name = format!("{VM}/2025/01/31/packetcapture_changed.cap");
    let old = data(24 << 20, 21);
    upload(&az, CONTAINER, &[(&name, &old)]);
    let out = tempfile::tempdir().expect("tempdir");
    let proxy = proxy::CutProxy::start(az.port, 10 << 20);
    let q = container_sas_url(&az, CONTAINER, &name);
    let via_proxy = q.replace(&format!(":{}/", az.port), &format!(":{}/", proxy.port));
    let dir = out_arg(&out);
    let common = [
        "-o",
        dir.as_str(),
        "--parallel",
        "2",
        "--block-size",
        "4MiB",
    ];
    let mut args = vec!["fetch", via_proxy.as_str(), "--retries", "0"];
    args.extend_from_slice(&common);
    assert!(!nwcap(&args).status.success());
    assert!(out.path().join(format!("{name}.part.json")).exists());
    drop(proxy);

    let new = data(24 << 20, 22);
    upload(&az, CONTAINER, &[(&name, &new)]);
    let mut args = vec!["fetch", q.as_str()];
    args.extend_from_slice(&common);
    let o = nwcap(&args);
    let (so, se) = text(&o);
    assert!(o.status.success(), "{so}\n{se}");
    assert!(!so.contains("resumed"), "{so}");
    assert_eq!(sha256(&read(&out.path().join(&name))), sha256(&new));
}

/// The library API with a counting reporter: every byte is reported once,
/// each file starts and ends exactly once.
#[test]
fn library_reports_progress() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

    use nwcap_fetch::{Credential, FetchOptions, Fetcher, FileOutcome, Reporter, SafeUrl, Source};

    #[derive(Default)]
    struct Count {
        started: AtomicUsize,
        bytes: AtomicU64,
        done: AtomicUsize,
    }
    impl Reporter for Count {
        fn on_start(&self, _id: usize, _file: &str, _size: u64, already: u64) {
            self.started.fetch_add(1, Ordering::SeqCst);
            self.bytes.fetch_add(already, Ordering::SeqCst);
        }
        fn on_progress(&self, _id: usize, bytes: u64) {
            self.bytes.fetch_add(bytes, Ordering::SeqCst);
        }
        fn on_done(&self, _id: usize, outcome: &FileOutcome) {
            assert!(
                matches!(outcome, FileOutcome::Downloaded { .. }),
                "{outcome:?}"
            );
            self.done.fetch_add(1, Ordering::SeqCst);
        }
    }

    let az = Azurite::start();
    let a = data(5 << 20, 31);
    let b = data(3 << 20, 32);
    upload(&az, CONTAINER, &[("lib/a.cap", &a), ("lib/b.cap", &b)]);
    let out = tempfile::tempdir().expect("tempdir");
    let url = SafeUrl::parse(&format!("{}/{CONTAINER}/lib/", az.endpoint())).expect("url");
    let key = nwcap_fetch::sas::AccountKey::from_base64(crate::support::azurite::KEY).expect("key");
    let cred = Credential::SharedKey {
        account: ACCOUNT.into(),
        key,
    };
    let opts = FetchOptions {
        out_dir: out.path().to_path_buf(),
        block_size: 1 << 20,
        ..FetchOptions::default()
    };
    let fetcher =
        Fetcher::new(Source::from_url(&url, None).expect("source"), cred, opts).expect("fetcher");
    let count = Arc::new(Count::default());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("rt");
    let report = rt.block_on(fetcher.fetch(count.clone())).expect("fetch");
    assert_eq!(report.files.len(), 2);
    assert_eq!(report.failed(), 0);
    assert_eq!(report.bytes_downloaded(), (8 << 20) as u64);
    assert_eq!(count.started.load(Ordering::SeqCst), 2);
    assert_eq!(count.done.load(Ordering::SeqCst), 2);
    assert_eq!(count.bytes.load(Ordering::SeqCst), (8 << 20) as u64);
    assert_eq!(read(&out.path().join("lib/b.cap")), b);
}
