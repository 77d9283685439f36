//! The client against the local ARM test server: lifecycle, long-running
//! operations, retries, errors, paging, look-ups, and the server's bodies
//! against the REST spec's examples.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nwcap_arm::auth::Credential;
use nwcap_arm::types::{CaptureStatus, PacketCapture, PacketCaptureProperties, ProvisioningState};
use nwcap_arm::{
    ArmClient, ArmError, ClientOptions, PollOptions, RequestLog, RequestObserver, RetryPolicy,
    Secret, WatcherRef,
};
use nwcap_armtest::{ArmTestServer, Fault, FaultKind, ServerConfig, TEST_SUBSCRIPTION};
use serde_json::Value;

const TOKEN: &str = "test-token-3f9a";

fn client(server: &ArmTestServer) -> ArmClient {
    client_with(server, None)
}

fn client_with(server: &ArmTestServer, observer: Option<Arc<dyn RequestObserver>>) -> ArmClient {
    ArmClient::new(
        Credential::from_token(Secret::new(TOKEN)),
        ClientOptions {
            endpoint: server.endpoint(),
            retry: RetryPolicy {
                max_retries: 3,
                initial_delay: Duration::from_millis(10),
                max_delay: Duration::from_secs(5),
            },
            poll: PollOptions {
                interval: Duration::from_millis(10),
                timeout: Duration::from_secs(20),
            },
            observer,
            ..Default::default()
        },
    )
    .unwrap()
}

fn example(name: &str) -> Value {
    let path = format!("{}/tests/examples/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The example Create request's properties, retargeted at the server's
/// seeds: `win1`, a Windows VM in westus (the example saves to `D:\capture`).
fn example_properties() -> PacketCaptureProperties {
    let create = example("NetworkWatcherPacketCaptureCreate.json");
    let pc: PacketCapture =
        serde_json::from_value(create["parameters"]["parameters"].clone()).unwrap();
    let mut p = pc.properties;
    p.target = format!(
        "/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/rg2/providers/Microsoft.Compute/virtualMachines/win1"
    );
    p
}

fn watcher() -> WatcherRef {
    WatcherRef::default_for_region(TEST_SUBSCRIPTION, "westus")
}

/// Every path of a JSON document with the kind of value there.
fn shape(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                shape(v, &format!("{prefix}/{k}"), out);
            }
        }
        Value::Array(a) => {
            out.insert(format!("{prefix}[]"));
            for v in a {
                shape(v, &format!("{prefix}[]"), out);
            }
        }
        Value::String(_) => {
            out.insert(format!("{prefix}:string"));
        }
        Value::Number(_) => {
            out.insert(format!("{prefix}:number"));
        }
        Value::Bool(_) => {
            out.insert(format!("{prefix}:bool"));
        }
        Value::Null => {
            out.insert(format!("{prefix}:null"));
        }
    }
}

fn shape_of(v: &Value) -> BTreeSet<String> {
    let mut s = BTreeSet::new();
    shape(v, "", &mut s);
    s
}

#[tokio::test(flavor = "current_thread")]
async fn full_lifecycle_follows_the_spec() {
    let server = ArmTestServer::start().unwrap();
    let c = client(&server);
    let w = watcher();
    let props = example_properties();

    let created = c.create_capture(&w, "pc1", &props).await.unwrap();
    assert_eq!(
        created.value.properties.provisioning_state,
        Some(ProvisioningState::Succeeded)
    );

    // The PUT body is the example request, and every request carries the token.
    let reqs = server.requests();
    let put = reqs.iter().find(|r| r.method == "PUT").unwrap();
    let mut expected =
        example("NetworkWatcherPacketCaptureCreate.json")["parameters"]["parameters"].clone();
    expected["properties"]["target"] = Value::String(props.target.clone());
    assert_eq!(put.body.as_ref().unwrap(), &expected);
    assert!(put.query.contains("api-version=2025-07-01"));
    assert!(
        reqs.iter()
            .all(|r| r.authorization.as_deref() == Some(&*format!("Bearer {TOKEN}")))
    );
    // PUT, one InProgress poll, the Succeeded poll, the final GET.
    let methods: Vec<&str> = reqs.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["PUT", "GET", "GET", "GET"]);

    let st = c.capture_status(&w, "pc1").await.unwrap();
    assert_eq!(st.value.packet_capture_status, Some(CaptureStatus::Running));
    assert!(st.value.capture_start_time.is_some());
    server.advance_clock(99);
    let st = c.capture_status(&w, "pc1").await.unwrap();
    assert_eq!(st.value.packet_capture_status, Some(CaptureStatus::Running));
    server.advance_clock(1);
    let st = c.capture_status(&w, "pc1").await.unwrap();
    assert_eq!(st.value.packet_capture_status, Some(CaptureStatus::Stopped));
    assert_eq!(st.value.stop_reason.as_deref(), Some("TimeExceeded"));

    let list = c.list_captures(&w).await.unwrap();
    assert_eq!(list.len(), 1);
    c.delete_capture(&w, "pc1").await.unwrap();
    assert!(c.list_captures(&w).await.unwrap().is_empty());
    let err = c.get_capture(&w, "pc1").await.unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test(flavor = "current_thread")]
async fn stop_is_polled_through_location() {
    let server = ArmTestServer::with_config(ServerConfig {
        lro_polls: 3,
        ..Default::default()
    })
    .unwrap();
    let c = client(&server);
    let w = watcher();
    c.create_capture(&w, "pc1", &example_properties())
        .await
        .unwrap();
    server.clear_requests();
    c.stop_capture(&w, "pc1").await.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs[0].method, "POST");
    assert!(reqs[0].path.ends_with("/packetCaptures/pc1/stop"));
    let polls = reqs
        .iter()
        .filter(|r| r.path.contains("/operationResults/"))
        .count();
    assert_eq!(polls, 4, "three 202 answers then the 200");
    let st = c.capture_status(&w, "pc1").await.unwrap();
    assert_eq!(st.value.packet_capture_status, Some(CaptureStatus::Stopped));
    assert_eq!(st.value.stop_reason.as_deref(), Some("Manual"));
}

#[tokio::test(flavor = "current_thread")]
async fn wait_polls_until_stopped() {
    let server = ArmTestServer::start().unwrap();
    let c = client(&server);
    let w = watcher();
    c.create_capture(&w, "pc1", &example_properties())
        .await
        .unwrap();
    let mut polls = 0;
    let done = c
        .wait_capture(
            &w,
            "pc1",
            Duration::from_millis(5),
            Duration::from_secs(10),
            |_| {
                polls += 1;
                if polls == 3 {
                    server.advance_clock(100);
                }
            },
        )
        .await
        .unwrap();
    assert_eq!(polls, 4);
    assert_eq!(
        done.value.packet_capture_status,
        Some(CaptureStatus::Stopped)
    );

    let err = c
        .wait_capture(
            &w,
            "missing",
            Duration::from_millis(5),
            Duration::from_secs(1),
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("ResourceNotFound: "), "{err}");

    c.create_capture(&w, "pc2", &example_properties())
        .await
        .unwrap();
    let err = c
        .wait_capture(
            &w,
            "pc2",
            Duration::from_millis(20),
            Duration::from_millis(100),
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ArmError::Timeout { .. }), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn throttling_honours_retry_after() {
    let server = ArmTestServer::start().unwrap();
    let c = client(&server);
    server.inject(
        Fault::once(FaultKind::TooManyRequests {
            retry_after_secs: 1,
        })
        .on_method("GET"),
    );
    let started = Instant::now();
    let list = c.list_captures(&watcher()).await.unwrap();
    assert!(list.is_empty());
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn server_errors_are_retried_then_reported() {
    let server = ArmTestServer::start().unwrap();
    let c = client(&server);
    server.inject(Fault::once(FaultKind::ServerError).on_method("PUT"));
    c.create_capture(&watcher(), "pc1", &example_properties())
        .await
        .unwrap();
    let puts = server
        .requests()
        .iter()
        .filter(|r| r.method == "PUT")
        .count();
    assert_eq!(puts, 2);

    // More 500s than retries: the ARM error is shown with the request id.
    let mut f = Fault::once(FaultKind::ServerError).on_path("/queryStatus");
    f.times = 10;
    server.inject(f);
    let err = c.capture_status(&watcher(), "pc1").await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("InternalServerError: Injected server error. (http 500, request id "),
        "{text}"
    );
    assert!(text.contains("correlation id"), "{text}");
}

#[tokio::test(flavor = "current_thread")]
async fn malformed_bodies_are_errors_not_panics() {
    let server = ArmTestServer::start().unwrap();
    let c = client(&server);
    server.inject(Fault::once(FaultKind::MalformedBody));
    let err = c.get_capture(&watcher(), "pc1").await.unwrap_err();
    assert!(matches!(err, ArmError::Decode { .. }), "{err}");
    assert!(
        err.to_string().contains("malformed response to GET"),
        "{err}"
    );
    assert!(err.to_string().contains("request id"), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn failed_operations_report_the_arm_error() {
    let server = ArmTestServer::start().unwrap();
    let c = client(&server);
    // winbare1 has no Network Watcher agent: the create operation fails.
    let mut p = example_properties();
    p.target = p.target.replace("win1", "winbare1");
    let err = c.create_capture(&watcher(), "pc1", &p).await.unwrap_err();
    assert!(matches!(err, ArmError::OperationFailed { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with(
            "operation Failed: NetworkWatcherAgentNotInstalled: Packet capture requires"
        ),
        "{text}"
    );
    assert!(text.contains("NetworkWatcherAgentWindows"), "{text}");
    let pc = c.get_capture(&watcher(), "pc1").await.unwrap();
    assert_eq!(
        pc.value.properties.provisioning_state,
        Some(ProvisioningState::Failed)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn bad_requests_carry_details_that_name_the_property() {
    let server = ArmTestServer::start().unwrap();
    let c = client(&server);
    let mut p = example_properties();
    p.target = p.target.replace("win1", "ghost");
    let err = c.create_capture(&watcher(), "pc1", &p).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    let info = err.info().unwrap();
    assert_eq!(info.code, "InvalidResourceReference");
    assert_eq!(info.details[0].code, "ResourceNotFound");
    assert_eq!(info.details[0].target.as_deref(), Some("properties.target"));
    let text = err.to_string();
    assert!(
        text.contains("\n  - ResourceNotFound: The Resource '/subscriptions/"),
        "{text}"
    );
    // vm2 is in eastus: not the westus watcher's region.
    let mut p = example_properties();
    p.target = p.target.replace("win1", "vm2");
    p.storage_location.file_path = None;
    let err = c.create_capture(&watcher(), "pc2", &p).await.unwrap_err();
    assert_eq!(
        err.info().unwrap().details[0].code,
        "TargetNotInWatcherRegion"
    );
    // A name in use: 409.
    c.create_capture(&watcher(), "pc3", &example_properties())
        .await
        .unwrap();
    let err = c
        .create_capture(&watcher(), "pc3", &example_properties())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.info().unwrap().code, "PacketCaptureAlreadyExists");
    assert_eq!(server.capture_names(), ["pc3"]);
}

#[tokio::test(flavor = "current_thread")]
async fn invalid_parameters_never_reach_the_server() {
    let server = ArmTestServer::start().unwrap();
    let c = client(&server);
    let mut p = example_properties();
    p.time_limit_in_seconds = Some(18_001);
    let err = c.create_capture(&watcher(), "pc1", &p).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "--time-limit: 18001 is out of range: the API's timeLimitInSeconds takes 0 to 18000 seconds"
    );
    let err = c
        .create_capture(&watcher(), "-bad", &example_properties())
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("NAME: "), "{err}");
    assert!(server.requests().is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn lists_follow_next_link() {
    let server = ArmTestServer::with_config(ServerConfig {
        page_size: 2,
        ..Default::default()
    })
    .unwrap();
    let c = client(&server);
    for i in 0..5 {
        c.create_capture(&watcher(), &format!("pc{i}"), &example_properties())
            .await
            .unwrap();
    }
    server.clear_requests();
    let names: Vec<String> = c
        .list_captures(&watcher())
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| r.value.name)
        .collect();
    assert_eq!(names, ["pc0", "pc1", "pc2", "pc3", "pc4"]);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test(flavor = "current_thread")]
async fn look_ups_find_targets_and_the_regions_watcher() {
    let server = ArmTestServer::start().unwrap();
    let c = client(&server);
    let vm = c
        .find_virtual_machine(TEST_SUBSCRIPTION, "rg2", "VM1")
        .await
        .unwrap();
    assert_eq!(vm.location, "westus");
    assert!(vm.id.ends_with("/virtualMachines/vm1"));
    let vmss = c
        .find_scale_set(TEST_SUBSCRIPTION, "rg2", "vmss1")
        .await
        .unwrap();
    assert!(vmss.id.ends_with("/virtualMachineScaleSets/vmss1"));
    let w = c
        .find_network_watcher(TEST_SUBSCRIPTION, "East US")
        .await
        .unwrap();
    assert_eq!(
        w,
        WatcherRef::default_for_region(TEST_SUBSCRIPTION, "eastus")
    );
    let err = c
        .find_network_watcher(TEST_SUBSCRIPTION, "northeurope")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("no network watcher in region northeurope"),
        "{err}"
    );
    let err = c
        .find_virtual_machine(TEST_SUBSCRIPTION, "rg2", "nope")
        .await
        .unwrap_err();
    assert!(matches!(err, ArmError::NotFound(_)));
    let r = c.get_resource(&vm.id).await.unwrap();
    assert_eq!(r.value.location, "westus");
}

#[tokio::test(flavor = "current_thread")]
async fn server_bodies_have_the_shape_of_the_spec_examples() {
    let server = ArmTestServer::start().unwrap();
    let c = client(&server);
    let w = watcher();
    c.create_capture(&w, "pc1", &example_properties())
        .await
        .unwrap();

    let got = c.get_capture(&w, "pc1").await.unwrap().json;
    let want = example("NetworkWatcherPacketCaptureGet.json")["responses"]["200"]["body"].clone();
    assert_eq!(shape_of(&got), shape_of(&want));

    let list = c.list_captures(&w).await.unwrap();
    let want =
        example("NetworkWatcherPacketCapturesList.json")["responses"]["200"]["body"]["value"][0]
            .clone();
    assert_eq!(shape_of(&list[0].json), shape_of(&want));

    server.advance_clock(100);
    let st = c.capture_status(&w, "pc1").await.unwrap().json;
    let want =
        example("NetworkWatcherPacketCaptureQueryStatus.json")["responses"]["200"]["body"].clone();
    assert_eq!(shape_of(&st), shape_of(&want));

    // The 201 of the PUT has the Create example's response shape.
    let create = example("NetworkWatcherPacketCaptureCreate.json");
    assert_eq!(
        create["responses"]["201"]["body"]["properties"]["provisioningState"],
        "Updating"
    );
}

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl RequestObserver for Recorder {
    fn on_request(&self, log: &RequestLog<'_>) {
        self.0.lock().unwrap().push(format!(
            "{} {} {:?} {:?}",
            log.method, log.url, log.status, log.request_id
        ));
    }
}

#[tokio::test(flavor = "current_thread")]
async fn tokens_stay_out_of_logs_and_errors() {
    let server = ArmTestServer::with_config(ServerConfig {
        required_token: Some("another-token".into()),
        ..Default::default()
    })
    .unwrap();
    let rec = Arc::new(Recorder::default());
    let c = client_with(&server, Some(rec.clone()));
    let err = c.list_captures(&watcher()).await.unwrap_err();
    let text = format!("{err} {err:?} {c:?}");
    assert!(text.contains("InvalidAuthenticationToken"), "{text}");
    assert!(!text.contains(TOKEN), "{text}");
    let logs = rec.0.lock().unwrap().join("\n");
    assert!(logs.contains("GET http://127.0.0.1"), "{logs}");
    assert!(logs.contains("Some(401)"), "{logs}");
    assert!(!logs.contains(TOKEN), "{logs}");
}

#[tokio::test(flavor = "current_thread")]
async fn connection_failures_are_retried_then_reported() {
    let server = ArmTestServer::start().unwrap();
    let endpoint = server.endpoint();
    drop(server);
    let c = ArmClient::new(
        Credential::from_token(Secret::new(TOKEN)),
        ClientOptions {
            endpoint,
            retry: RetryPolicy {
                max_retries: 2,
                initial_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(50),
            },
            ..Default::default()
        },
    )
    .unwrap();
    let err = c.list_captures(&watcher()).await.unwrap_err();
    assert!(matches!(err, ArmError::Transport { .. }), "{err}");
    assert!(!format!("{err:?}").contains(TOKEN));
}

#[tokio::test(flavor = "current_thread")]
async fn the_agent_is_read_and_installed() {
    let server = ArmTestServer::start().unwrap();
    let c = client(&server);
    let id = |kind: &str, name: &str| {
        format!(
            "/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/rg2/providers/Microsoft.Compute/{kind}/{name}"
        )
    };
    let vm1 = c
        .describe_target(&id("virtualMachines", "vm1"))
        .await
        .unwrap();
    assert_eq!(vm1.location, "westus");
    assert_eq!(vm1.os, Some(nwcap_arm::types::OsType::Linux));
    assert!(
        matches!(vm1.agent, nwcap_arm::AgentState::Installed { .. }),
        "{vm1:?}"
    );
    let bare = c
        .describe_target(&id("virtualMachines", "winbare1"))
        .await
        .unwrap();
    assert_eq!(bare.os, Some(nwcap_arm::types::OsType::Windows));
    assert_eq!(bare.agent, nwcap_arm::AgentState::Missing);
    c.install_agent(&bare).await.unwrap();
    assert!(server.agent_installed("winbare1"));
    let put = server
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    assert!(
        put.path
            .ends_with("/virtualMachines/winbare1/extensions/AzureNetworkWatcherExtension")
    );
    assert_eq!(
        put.body.unwrap()["properties"]["type"],
        "NetworkWatcherAgentWindows"
    );
    let after = c
        .describe_target(&id("virtualMachines", "winbare1"))
        .await
        .unwrap();
    assert!(matches!(
        after.agent,
        nwcap_arm::AgentState::Installed { .. }
    ));

    let ss = c
        .describe_target(&id("virtualMachineScaleSets", "vmssbare"))
        .await
        .unwrap();
    assert_eq!(ss.agent, nwcap_arm::AgentState::Missing);
    c.install_agent(&ss).await.unwrap();
    let ss = c
        .describe_target(&id("virtualMachineScaleSets", "vmssbare"))
        .await
        .unwrap();
    assert!(matches!(ss.agent, nwcap_arm::AgentState::Installed { .. }));
}

#[tokio::test(flavor = "current_thread")]
async fn storage_accounts_and_watchers_are_found_by_name() {
    let server = ArmTestServer::start().unwrap();
    let c = client(&server);
    let sa = c
        .find_storage_account(TEST_SUBSCRIPTION, "PCSTORE")
        .await
        .unwrap();
    assert!(
        sa.id
            .ends_with("/providers/Microsoft.Storage/storageAccounts/pcstore")
    );
    assert!(
        c.find_storage_account(TEST_SUBSCRIPTION, "nope")
            .await
            .is_err()
    );
    let ws = c.watchers(TEST_SUBSCRIPTION).await.unwrap();
    assert_eq!(ws.len(), 2);
    assert_eq!(ws[1].1, "eastus");
    let w = WatcherRef::from_id(&format!(
        "/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westus"
    ))
    .unwrap();
    assert_eq!(w, watcher());
}

#[tokio::test(flavor = "current_thread")]
async fn query_status_202_is_followed_to_its_location() {
    let server = ArmTestServer::with_config(ServerConfig {
        query_status_async: true,
        lro_polls: 2,
        ..Default::default()
    })
    .unwrap();
    let c = client(&server);
    c.create_capture(&watcher(), "pc1", &example_properties())
        .await
        .unwrap();
    server.clear_requests();
    server.advance_clock(100);
    let st = c.capture_status(&watcher(), "pc1").await.unwrap();
    assert_eq!(st.value.packet_capture_status, Some(CaptureStatus::Stopped));
    let polls = server
        .requests()
        .iter()
        .filter(|r| r.path.contains("/operationResults/"))
        .count();
    assert_eq!(polls, 3, "two 202 answers, then the result");
}

#[tokio::test(flavor = "current_thread")]
async fn the_service_fails_a_linux_capture_outside_var_captures() {
    // The library does not know the OS: the service's rule applies.
    let server = ArmTestServer::start().unwrap();
    let c = client(&server);
    let mut p = example_properties();
    p.target = p.target.replace("win1", "vm1");
    p.storage_location.file_path = Some("/tmp/pc1.cap".into());
    c.create_capture(&watcher(), "pc1", &p).await.unwrap();
    let st = c.capture_status(&watcher(), "pc1").await.unwrap();
    assert_eq!(st.value.packet_capture_status, Some(CaptureStatus::Error));
    assert_eq!(
        st.value.packet_capture_error,
        [nwcap_arm::types::CaptureError::LocalFileFailed]
    );
}
