#![allow(clippy::unwrap_used)]

use super::*;
use crate::{AddrSet, PortSet};

/// The body of `PacketCaptures_Get` from the ARM REST examples.
const GET_BODY: &str = r#"{
  "name": "pc1",
  "etag": "W/\"00000000-0000-0000-0000-000000000000\"",
  "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.Network/networkWatchers/nw1/packetCaptures/pc1",
  "properties": {
    "bytesToCapturePerPacket": 10000,
    "filters": [
      { "localIPAddress": "10.0.0.4", "localPort": "80", "protocol": "TCP" }
    ],
    "provisioningState": "Updating",
    "storageLocation": {
      "filePath": "D:\\capture\\pc1.cap",
      "storageId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg2/providers/Microsoft.Storage/storageAccounts/pcstore",
      "storagePath": "https://mytestaccountname.blob.core.windows.net/capture/pc1.cap"
    },
    "target": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg2/providers/Microsoft.Compute/virtualMachines/vm1",
    "timeLimitInSeconds": 100,
    "totalBytesPerSession": 100000
  }
}"#;

/// A list entry from the REST how-to: every field present and empty.
const LIST_ENTRY_FILTER: &str = r#"{
  "protocol": "Any", "localIPAddress": "", "localPort": "", "remoteIPAddress": "", "remotePort": ""
}"#;

fn tcp_80_on_10_0_0_4() -> PacketFilter {
    PacketFilter {
        protocol: Protocol::Tcp,
        local_ip: Some(AddrSet::parse("x", "10.0.0.4").unwrap()),
        local_port: Some(PortSet::single(80)),
        ..PacketFilter::default()
    }
}

#[test]
fn capture_resource_as_arm_returns_it() {
    assert_eq!(from_capture_json(GET_BODY).unwrap(), [tcp_80_on_10_0_0_4()]);
}

#[test]
fn create_request_body_and_odd_key_case() {
    let body = r#"{"Properties": {"target": "/x", "timeLimitinSeconds": "60",
        "Filters": [{"Protocol": "tcp", "LOCALIPADDRESS": "10.0.0.4", "localport": 80}]}}"#;
    assert_eq!(from_capture_json(body).unwrap(), [tcp_80_on_10_0_0_4()]);
}

#[test]
fn az_cli_flattened_bare_array_and_single_object() {
    let flat = r#"{"name": "pc1", "filters": [{"protocol": "TCP", "localIPAddress": "10.0.0.4", "localPort": "80"}]}"#;
    assert_eq!(from_capture_json(flat).unwrap(), [tcp_80_on_10_0_0_4()]);
    let arr = r#"[{"protocol": "TCP", "localIPAddress": "10.0.0.4", "localPort": "80"}]"#;
    assert_eq!(from_capture_json(arr).unwrap(), [tcp_80_on_10_0_0_4()]);
    let one = r#"{"protocol": "TCP", "localIPAddress": "10.0.0.4", "localPort": "80"}"#;
    assert_eq!(from_capture_json(one).unwrap(), [tcp_80_on_10_0_0_4()]);
    assert_eq!(from_filter_json(one).unwrap(), [tcp_80_on_10_0_0_4()]);
    assert_eq!(from_filter_json(arr).unwrap(), [tcp_80_on_10_0_0_4()]);
}

#[test]
fn capture_without_filters_has_none() {
    assert!(
        from_capture_json(r#"{"properties": {"target": "/x"}}"#)
            .unwrap()
            .is_empty()
    );
    assert!(
        from_capture_json(r#"{"properties": {"filters": null}}"#)
            .unwrap()
            .is_empty()
    );
    assert!(from_capture_json("[]").unwrap().is_empty());
}

#[test]
fn empty_strings_are_absent_fields() {
    let f = filter_from_json(LIST_ENTRY_FILTER).unwrap();
    assert!(f.is_match_all());
    assert_eq!(f.to_string(), r#"{"protocol":"Any"}"#);
    let f = filter_from_json(r#"{"protocol": "", "remotePort": null}"#).unwrap();
    assert!(f.is_match_all());
}

#[test]
fn numbers_and_arrays_for_lists() {
    let f = filter_from_json(
        r#"{"localPort": [80, "443", "8000-8080"], "remoteIPAddress": ["10.0.0.1", "10.0.0.2"]}"#,
    )
    .unwrap();
    assert_eq!(f.local_port.unwrap().to_string(), "80;443;8000-8080");
    assert_eq!(f.remote_ip.unwrap().to_string(), "10.0.0.1-10.0.0.2");
}

#[test]
fn errors_carry_the_json_path() {
    let bad = r#"{"properties": {"filters": [{"protocol": "TCP"}, {"localPort": "70000"}]}}"#;
    assert_eq!(
        from_capture_json(bad).unwrap_err().to_string(),
        r#"properties.filters[1].localPort: "70000" is not a port (0-65535)"#
    );
    assert_eq!(
        from_filter_json(r#"[{"protocol": "TCP", "localprot": "80"}]"#)
            .unwrap_err()
            .to_string(),
        "[0].localprot: unknown filter field; expected one of protocol, localIPAddress, localPort, remoteIPAddress, remotePort"
    );
    assert_eq!(
        from_capture_json(r#"{"filters": [{"localPort": true}]}"#)
            .unwrap_err()
            .to_string(),
        "filters[0].localPort: expected a string, found a boolean"
    );
    assert_eq!(
        from_capture_json(r#"{"filters": [{"localPort": [80, {}]}]}"#)
            .unwrap_err()
            .to_string(),
        "filters[0].localPort[1]: expected a string or a number, found an object"
    );
    assert_eq!(
        from_capture_json(r#"{"properties": {"filters": {"protocol": "TCP"}}}"#)
            .unwrap_err()
            .to_string(),
        "properties.filters: expected an array of filters, found an object"
    );
    assert_eq!(
        from_capture_json(r#"{"filters": ["TCP"]}"#)
            .unwrap_err()
            .to_string(),
        "filters[0]: expected a filter object, found a string"
    );
    assert_eq!(
        from_capture_json(r#"{"value": []}"#)
            .unwrap_err()
            .to_string(),
        "value: this is a list of packet captures; pass one capture"
    );
    assert!(
        from_capture_json(r#"{"name": "x"}"#)
            .unwrap_err()
            .to_string()
            .starts_with("json: no filters found")
    );
    assert!(
        from_filter_json("42")
            .unwrap_err()
            .to_string()
            .starts_with("json: expected a filter object")
    );
    let e = from_filter_json("{").unwrap_err();
    assert!(matches!(e, JsonError::Syntax(_)));
    assert!(e.to_string().starts_with("invalid json: "), "{e}");
    let e = from_filter_json(r#"{"remoteIPAddress": "10.0.0.1-::1"}"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"remoteIPAddress: "10.0.0.1-::1" mixes IPv4 and IPv6 in one range"#
    );
}

#[test]
fn serde_uses_arm_names_and_canonical_notation() {
    let f: PacketFilter =
        serde_json::from_str(r#"{"protocol": "udp", "remoteIPAddress": "10.0.0.5; 10.0.0.4;", "remotePort": "53", "futureField": 1}"#)
            .unwrap();
    assert_eq!(f.protocol, Protocol::Udp);
    assert_eq!(
        serde_json::to_value(&f).unwrap(),
        serde_json::json!({"protocol": "UDP", "remoteIPAddress": "10.0.0.4-10.0.0.5", "remotePort": "53"})
    );
    let e = serde_json::from_str::<PacketFilter>(r#"{"localPort": "x"}"#).unwrap_err();
    assert!(
        e.to_string().starts_with(r#"localPort: "x" is not a port"#),
        "{e}"
    );
    let filters: Vec<PacketFilter> =
        serde_json::from_str(&format!("[{LIST_ENTRY_FILTER}]")).unwrap();
    assert!(filters[0].is_match_all());
}

#[test]
fn protocol_serde() {
    assert_eq!(serde_json::to_string(&Protocol::Tcp).unwrap(), r#""TCP""#);
    assert_eq!(serde_json::to_string(&Protocol::Any).unwrap(), r#""Any""#);
    assert_eq!(
        serde_json::from_str::<Protocol>(r#""All""#).unwrap(),
        Protocol::Any
    );
    assert_eq!(
        serde_json::from_str::<Protocol>(r#""""#).unwrap(),
        Protocol::Any
    );
    assert!(serde_json::from_str::<Protocol>(r#""GRE""#).is_err());
}

#[test]
fn display_round_trips_through_from_str() {
    let f = tcp_80_on_10_0_0_4();
    let text = f.to_string();
    assert_eq!(
        text,
        r#"{"protocol":"TCP","localIPAddress":"10.0.0.4","localPort":"80"}"#
    );
    assert_eq!(text.parse::<PacketFilter>().unwrap(), f);
}
