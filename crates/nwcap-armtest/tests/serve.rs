//! `nwcap-armtest serve`: the emulator as a process (what README starts),
//! and the service's behaviours a client cannot see, over plain HTTP.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use nwcap_armtest::{ArmTestServer, TEST_SUBSCRIPTION};
use serde_json::{Value, json};

fn capture_url(endpoint: &str, name: &str, version: &str) -> String {
    format!(
        "{endpoint}/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westus/packetCaptures/{name}?api-version={version}"
    )
}

#[test]
fn serve_listens_and_answers() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nwcap-armtest"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--time-scale",
            "10",
            "--azurite",
            "10999",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let endpoint = first
        .trim()
        .strip_prefix("ARM emulator listening on ")
        .unwrap()
        .to_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (watchers, created): (Value, Value) = rt.block_on(async {
        let http = reqwest::Client::new();
        let watchers = http
            .get(format!(
                "{endpoint}/subscriptions/{TEST_SUBSCRIPTION}/providers/Microsoft.Network/networkWatchers?api-version=2025-07-01"
            ))
            .bearer_auth("anything")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let body = json!({"properties": {
            "target": format!("/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/rg2/providers/Microsoft.Compute/virtualMachines/vm1"),
            "storageLocation": {"storageId": format!("/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/rg2/providers/Microsoft.Storage/storageAccounts/devstoreaccount1")},
        }});
        let created = http
            .put(capture_url(&endpoint, "pc1", "2025-07-01"))
            .bearer_auth("anything")
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (watchers, created)
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        watchers["value"].as_array().map(Vec::len),
        Some(2),
        "{watchers}"
    );
    let path = created["properties"]["storageLocation"]["storagePath"]
        .as_str()
        .unwrap_or_default();
    assert!(
        path.starts_with(
            "http://127.0.0.1:10999/devstoreaccount1/network-watcher-logs/subscriptions/"
        ),
        "captures to Azurite's account are written there: {created}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn properties_an_older_api_version_lacks_are_dropped_as_arm_does() {
    let server = ArmTestServer::start().unwrap();
    let http = reqwest::Client::new();
    let body = json!({"properties": {
        "target": format!("/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/rg2/providers/Microsoft.Compute/virtualMachines/vm1"),
        "storageLocation": {"storageId": format!("/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/rg2/providers/Microsoft.Storage/storageAccounts/pcstore")},
        "continuousCapture": false,
        "captureSettings": {"fileCount": 2}
    }});
    let put = |version: &'static str, name: &'static str| {
        http.put(capture_url(&server.endpoint(), name, version))
            .bearer_auth("t")
            .json(&body)
            .send()
    };
    let old: Value = put("2024-03-01", "old")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        old["properties"].get("continuousCapture").is_none(),
        "{old}"
    );
    assert!(old["properties"].get("captureSettings").is_none(), "{old}");
    let new: Value = put("2024-05-01", "new")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(new["properties"]["continuousCapture"], false, "{new}");
    assert_eq!(new["properties"]["captureSettings"]["fileCount"], 2);
    let refused = put("2099-01-01", "x").await.unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    let e: Value = refused.json().await.unwrap();
    assert_eq!(e["error"]["code"], "NoRegisteredProviderFound");
    // A target of the wrong shape: details name the property.
    let bad = json!({"properties": {"target": "vm1", "storageLocation": {"filePath": "/var/captures/a.cap"}}});
    let r = http
        .put(capture_url(&server.endpoint(), "y", "2025-07-01"))
        .bearer_auth("t")
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "InvalidRequestFormat");
    assert_eq!(
        e["error"]["details"][0]["code"],
        "InvalidJsonReferenceFormat"
    );
    assert_eq!(e["error"]["details"][0]["target"], "properties.target");
}
