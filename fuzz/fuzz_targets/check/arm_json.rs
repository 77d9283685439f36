// Checks of the `arm_json` target, shared with `tests/mutation.rs` (which
// replays seeds and regressions): included with `include!`, so plain
// comments only.
//
// What deserialises serialises, reads back, and is equal, with one
// tolerance: serde_json does not promise that a float survives a text
// round trip bit for bit (fuzzing found 1.0000666666666667e+59 coming back
// as ...668e+59 in an unknown field), so numbers are compared as JSON
// values with a relative tolerance of 1e-15. Filter conversion, validation
// and the descriptions run on whatever was read.

use nwcap_arm::types::{PacketCapture, PacketCaptureStatus, TrackedResource};
use serde_json::Value;

/// JSON values equal, floats within a relative 1e-15.
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x.is_f64() || y.is_f64() {
                let (x, y) = (
                    x.as_f64().unwrap_or(f64::NAN),
                    y.as_f64().unwrap_or(f64::NAN),
                );
                x == y || (x - y).abs() <= 1e-15 * x.abs().max(y.abs())
            } else {
                x == y
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

fn round_trip<T>(what: &str, value: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let json = serde_json::to_value(value).expect("serialises");
    let text = json.to_string();
    let back: T = serde_json::from_str(&text).expect("its JSON reads back");
    let again = serde_json::to_value(&back).expect("serialises again");
    assert!(
        same_json(&json, &again),
        "{what} round trip changed:\n{json}\n{again}"
    );
}

/// Run every check on one input.
pub fn check(data: &[u8]) {
    if let Ok(pc) = serde_json::from_slice::<PacketCapture>(data) {
        round_trip("capture", &pc);
        for version in ["2025-07-01", "2022-01-01"] {
            if let Ok(v) = nwcap_arm::ApiVersion::parse(version) {
                let _ = nwcap_arm::validate::check_properties(&pc.properties, &v);
            }
        }
        if let Some(name) = &pc.name {
            let _ = nwcap_arm::validate::validate_name(name);
        }
        for f in pc.properties.filters.iter().flatten() {
            let _ = f.to_packet_filter();
        }
    }
    if let Ok(st) = serde_json::from_slice::<PacketCaptureStatus>(data) {
        round_trip("status", &st);
        let _ = st.packet_capture_status.as_ref().map(|s| s.describe());
        for e in &st.packet_capture_error {
            let _ = e.describe();
        }
        if let Some(r) = &st.stop_reason {
            let _ = nwcap_arm::types::describe_stop_reason(r);
        }
    }
    if let Ok(r) = serde_json::from_slice::<TrackedResource>(data) {
        round_trip("resource", &r);
        let _ = r.resource_group();
        let _ = nwcap_arm::types::normalize_location(&r.location);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = nwcap_filter::from_capture_json(text);
    }
}
