//! The spec's rules for a new capture's properties, as the service applies
//! them (see `create`): the name, the properties an api-version defines,
//! number ranges, filters (values read by `nwcap-filter`, then the
//! notation rules), and URIs.

use serde_json::{Map, Value};

/// One `details[]` entry: code, message, target.
pub(crate) type Detail = (&'static str, String, &'static str);

/// The API's capture name rule.
pub(crate) fn valid_name(name: &str) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    !name.is_empty()
        && name.len() <= 80
        && name.chars().all(ok)
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Drops what `api_version` does not define (targetType and scope before
/// 2022-05-01; continuous capture before 2024-05-01), as ARM does.
pub(crate) fn strip_unsupported(props: &mut Map<String, Value>, api_version: &str) {
    let date = api_version.get(..10).unwrap_or(api_version);
    if date < "2022-05-01" {
        props.remove("targetType");
        props.remove("scope");
    }
    if date < "2024-05-01" {
        props.remove("continuousCapture");
        props.remove("captureSettings");
        if let Some(loc) = props
            .get_mut("storageLocation")
            .and_then(Value::as_object_mut)
        {
            loc.remove("localPath");
        }
    }
}

/// A number property within the schema's range.
pub(crate) fn check_number(
    obj: &Map<String, Value>,
    field: &str,
    max: u64,
    target: &'static str,
) -> Option<Detail> {
    let v = obj.get(field)?;
    if v.as_u64().is_some_and(|n| n <= max) {
        return None;
    }
    Some((
        "InvalidParameterValue",
        format!("{field} must be an integer from 0 to {max} (got {v})."),
        target,
    ))
}

/// The spec's notation rules for one address or port field.
pub(crate) fn notation_rule(text: &str) -> Option<&'static str> {
    let items: Vec<&str> = text
        .split([';', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let ranges = items
        .iter()
        .filter(|i| i.contains('-') || i.contains('/'))
        .count();
    if ranges > 1 {
        Some("Multiple ranges not currently supported.")
    } else if ranges == 1 && items.len() > 1 {
        Some("Mixing ranges with multiple entries not currently supported.")
    } else {
        None
    }
}

pub(crate) fn check_filters(props: &Map<String, Value>) -> Option<(&'static str, String, String)> {
    const KEYS: [&str; 5] = [
        "protocol",
        "localIPAddress",
        "localPort",
        "remoteIPAddress",
        "remotePort",
    ];
    let filters = props.get("filters")?.as_array()?;
    for (i, f) in filters.iter().enumerate() {
        let Some(obj) = f.as_object() else {
            return Some((
                "InvalidFilter",
                "a filter is not an object.".into(),
                format!("properties.filters[{i}]"),
            ));
        };
        let known: Map<String, Value> = obj
            .iter()
            .filter(|(k, _)| KEYS.iter().any(|n| n.eq_ignore_ascii_case(k)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Err(e) = nwcap_filter::filter_from_json(&Value::Object(known.clone()).to_string()) {
            return Some((
                "InvalidFilter",
                e.to_string(),
                format!("properties.filters[{i}]"),
            ));
        }
        for (k, v) in &known {
            if let Some(rule) = v.as_str().and_then(notation_rule) {
                return Some((
                    "UnsupportedFilterNotation",
                    format!("{k} {v}: {rule}"),
                    format!("properties.filters[{i}].{k}"),
                ));
            }
        }
    }
    None
}

pub(crate) fn is_uri(s: &str) -> bool {
    url::Url::parse(s)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}
