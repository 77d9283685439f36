//! Filters in ARM JSON: serde for [`PacketFilter`] and [`Protocol`], and the
//! readers behind `--filter JSON` and `--filters-from FILE`.
//!
//! Everything goes through `serde_json::Value` and one function,
//! [`filter_from_value`], so the serde impl and the readers accept the same
//! things: keys in any case (ARM itself is case-insensitive, and its own
//! samples write `timeLimitinSeconds`), `null` or `""` for an absent field,
//! numbers and arrays for ports and lists (`"localPort": [80, 443]`). They
//! differ in one point: serde ignores keys it does not know (forward
//! compatible with ARM responses), the readers refuse them with the JSON
//! path, because a misspelt key in hand-written JSON would otherwise widen
//! the filter silently to "everything".

use std::borrow::Cow;

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::JsonError;
use crate::filter::{FieldNames, PacketFilter};
use crate::protocol::Protocol;

const KEYS: [&str; 5] = [
    "protocol",
    "localIPAddress",
    "localPort",
    "remoteIPAddress",
    "remotePort",
];

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn shape(path: String, reason: impl Into<String>) -> JsonError {
    JsonError::Shape {
        path,
        reason: reason.into(),
    }
}

/// The text of one field value: strings as they are, numbers in decimal,
/// arrays of those joined with `;`.
fn field_text<'v>(v: &'v Value, path: &str) -> Result<Option<Cow<'v, str>>, JsonError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(Cow::Borrowed(s))),
        Value::Number(n) => Ok(Some(Cow::Owned(n.to_string()))),
        Value::Array(items) => {
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => out.push_str(s),
                    Value::Number(n) => out.push_str(&n.to_string()),
                    other => {
                        return Err(shape(
                            format!("{path}[{i}]"),
                            format!("expected a string or a number, found {}", kind(other)),
                        ));
                    }
                }
                out.push(';');
            }
            Ok(Some(Cow::Owned(out)))
        }
        other => Err(shape(
            path.to_owned(),
            format!("expected a string, found {}", kind(other)),
        )),
    }
}

/// Reads one filter object found at `path`; `strict` refuses unknown keys.
pub(crate) fn filter_from_value(
    v: &Value,
    path: &str,
    strict: bool,
) -> Result<PacketFilter, JsonError> {
    let Value::Object(obj) = v else {
        return Err(shape(
            path.to_owned(),
            format!("expected a filter object, found {}", kind(v)),
        ));
    };
    let mut texts: [Option<Cow<'_, str>>; 5] = Default::default();
    for (key, value) in obj {
        match KEYS.iter().position(|k| k.eq_ignore_ascii_case(key)) {
            Some(i) => texts[i] = field_text(value, &join(path, key))?,
            None if strict => {
                return Err(shape(
                    join(path, key),
                    format!("unknown filter field; expected one of {}", KEYS.join(", ")),
                ));
            }
            None => {}
        }
    }
    let [protocol, local_ip, local_port, remote_ip, remote_port] = &texts;
    PacketFilter::from_fields(
        FieldNames::JSON,
        protocol.as_deref(),
        local_ip.as_deref(),
        local_port.as_deref(),
        remote_ip.as_deref(),
        remote_port.as_deref(),
    )
    .map_err(|error| JsonError::Filter {
        path: path.to_owned(),
        error,
    })
}

fn filters_from_array(v: &Value, path: &str) -> Result<Vec<PacketFilter>, JsonError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| filter_from_value(item, &format!("{path}[{i}]"), true))
            .collect(),
        other => Err(shape(
            path.to_owned(),
            format!("expected an array of filters, found {}", kind(other)),
        )),
    }
}

fn get_ci<'v>(obj: &'v Map<String, Value>, name: &str) -> Option<(&'v str, &'v Value)> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(k, v)| (k.as_str(), v))
}

fn parse(text: &str) -> Result<Value, JsonError> {
    serde_json::from_str(text).map_err(JsonError::Syntax)
}

/// Reads one filter object (`{"protocol": "TCP", "localPort": "80"}`).
pub fn filter_from_json(text: &str) -> Result<PacketFilter, JsonError> {
    filter_from_value(&parse(text)?, "", true)
}

/// Reads `--filter JSON`: one filter object or an array of them.
pub fn from_filter_json(text: &str) -> Result<Vec<PacketFilter>, JsonError> {
    match parse(text)? {
        v @ Value::Array(_) => filters_from_array(&v, ""),
        v @ Value::Object(_) => Ok(vec![filter_from_value(&v, "", true)?]),
        other => Err(shape(
            String::new(),
            format!(
                "expected a filter object or an array of filters, found {}",
                kind(&other)
            ),
        )),
    }
}

/// Reads the filters of a packet capture from JSON in any of the shapes it
/// is found in:
///
/// - a capture resource as ARM returns it, or a create request body:
///   `{"properties": {"filters": [...]}}` (no `filters` = no filter);
/// - the same flattened, as `az network watcher packet-capture show`
///   prints it: `{"filters": [...], ...}`;
/// - a bare filters array, or a single filter object.
///
/// A list of captures (`{"value": [...]}`) is refused: pick one.
pub fn from_capture_json(text: &str) -> Result<Vec<PacketFilter>, JsonError> {
    let v = parse(text)?;
    let obj = match &v {
        Value::Array(_) => return filters_from_array(&v, ""),
        Value::Object(obj) => obj,
        other => {
            return Err(shape(
                String::new(),
                format!(
                    "expected a packet capture or filters, found {}",
                    kind(other)
                ),
            ));
        }
    };
    if let Some((pkey, props)) = get_ci(obj, "properties") {
        let Value::Object(props) = props else {
            return Err(shape(
                pkey.to_owned(),
                format!("expected an object, found {}", kind(props)),
            ));
        };
        return match get_ci(props, "filters") {
            Some((fkey, filters)) => filters_from_array(filters, &join(pkey, fkey)),
            None => Ok(Vec::new()),
        };
    }
    if let Some((fkey, filters)) = get_ci(obj, "filters") {
        return filters_from_array(filters, fkey);
    }
    if obj
        .keys()
        .any(|k| KEYS.iter().any(|f| f.eq_ignore_ascii_case(k)))
    {
        return Ok(vec![filter_from_value(&v, "", true)?]);
    }
    if let Some((vkey, Value::Array(_))) = get_ci(obj, "value") {
        return Err(shape(
            vkey.to_owned(),
            "this is a list of packet captures; pass one capture",
        ));
    }
    Err(shape(
        String::new(),
        "no filters found; expected a packet capture (properties.filters), a filters array or a filter object",
    ))
}

impl Serialize for PacketFilter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = 1
            + usize::from(self.local_ip.is_some())
            + usize::from(self.local_port.is_some())
            + usize::from(self.remote_ip.is_some())
            + usize::from(self.remote_port.is_some());
        let mut map = s.serialize_map(Some(n))?;
        map.serialize_entry(KEYS[0], self.protocol.as_str())?;
        if let Some(a) = &self.local_ip {
            map.serialize_entry(KEYS[1], &a.to_string())?;
        }
        if let Some(p) = &self.local_port {
            map.serialize_entry(KEYS[2], &p.to_string())?;
        }
        if let Some(a) = &self.remote_ip {
            map.serialize_entry(KEYS[3], &a.to_string())?;
        }
        if let Some(p) = &self.remote_port {
            map.serialize_entry(KEYS[4], &p.to_string())?;
        }
        map.end()
    }
}

/// Lenient: unknown keys are ignored (see the module docs).
impl<'de> Deserialize<'de> for PacketFilter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        filter_from_value(&v, "", false).map_err(D::Error::custom)
    }
}

impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Protocol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(d)?;
        if text.trim().is_empty() {
            return Ok(Protocol::Any);
        }
        Protocol::parse("protocol", &text).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests;
