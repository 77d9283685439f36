//! `PUT .../packetCaptures/NAME`: the checks the service makes before it
//! accepts a capture, each answered as ARM answers a bad request (a 400
//! `InvalidRequestFormat` whose `details[]` name the property at fault, a
//! 400 `InvalidResourceReference` for a target or storage account that
//! does not exist or is in another region, 409 for a name in use), then
//! the capture resource (201, `Updating`) and its `Azure-AsyncOperation`.
//!
//! Rules from the spec (`PacketCaptureParameters`): value ranges, filePath
//! invalid with continuous capture, localPath only with it, a storage
//! account or a local file, storagePath a well-formed URI, targetType
//! matching the target, filter notation without several ranges or ranges
//! mixed with lists. Properties an older api-version does not define are
//! dropped, as ARM drops them. Error codes the spec does not give are this
//! server's own (`PacketCaptureAlreadyExists`,
//! `PacketCaptureSessionLimitReached`, `InvalidFilter`...).

use serde_json::Value;

use crate::compute;
use crate::config::{OnExistingName, SeedResource};
use crate::handlers::{Reply, Request, arm_error, arm_error_details};
use crate::lifecycle::{self, capture_body, key};
use crate::model::{Capture, OpKind, State};
use crate::ops;
use crate::rules::{check_filters, check_number, is_uri, strip_unsupported, valid_name};

fn bad_format(details: &[(&str, String, &str)]) -> Reply {
    arm_error_details(
        400,
        "InvalidRequestFormat",
        "Cannot parse the request.",
        details,
    )
}

fn bad_reference(target: &str, capture_id: &str, detail: (&str, String, &str)) -> Reply {
    arm_error_details(
        400,
        "InvalidResourceReference",
        &format!(
            "Resource {target} referenced by resource {capture_id} was not found. Please make sure \
             that the referenced resource exists, and that both resources are in the same region."
        ),
        &[detail],
    )
}

pub(crate) fn create_capture(
    state: &mut State,
    sub: &str,
    watcher: &SeedResource,
    name: &str,
    req: &Request<'_>,
    api_version: &str,
) -> Reply {
    let capture_id = req.path;
    if !valid_name(name) {
        return arm_error(
            400,
            "InvalidResourceName",
            &format!(
                "Resource name {name} is invalid. The name can be up to 80 characters long. It must \
                 begin with a word character, and it must end with a word character or with '_'. \
                 The name may contain word characters or '.', '-', '_'."
            ),
        );
    }
    let Some(props) = req
        .body
        .and_then(|b| b.get("properties"))
        .and_then(Value::as_object)
    else {
        return bad_format(&[(
            "MissingJsonProperty",
            "Required property 'properties' is missing.".into(),
            "properties",
        )]);
    };
    let mut props = props.clone();
    props.remove("provisioningState");
    strip_unsupported(&mut props, api_version);

    // The target.
    let Some(target) = props
        .get("target")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return bad_format(&[(
            "MissingJsonProperty",
            "Required property 'target' is missing.".into(),
            "properties.target",
        )]);
    };
    let parts: Vec<String> = target
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let shape_ok = parts.len() == 8
        && parts[0] == "subscriptions"
        && parts[2] == "resourcegroups"
        && parts[4] == "providers"
        && parts[5] == "microsoft.compute"
        && matches!(
            parts[6].as_str(),
            "virtualmachines" | "virtualmachinescalesets"
        );
    if !shape_ok {
        return bad_format(&[(
            "InvalidJsonReferenceFormat",
            format!(
                "Reference Id {target} is not formatted correctly. The Id is expected to reference \
                 resources of type virtualMachines or virtualMachineScaleSets. Path properties.target."
            ),
            "properties.target",
        )]);
    }
    let scale_set = parts[6] == "virtualmachinescalesets";
    if scale_set && api_version.get(..10).unwrap_or(api_version) < "2022-05-01" {
        return bad_format(&[(
            "UnsupportedTargetType",
            format!("api-version {api_version} captures on virtual machines only."),
            "properties.target",
        )]);
    }
    let target_type = props
        .get("targetType")
        .and_then(Value::as_str)
        .unwrap_or("AzureVM");
    let type_ok = if scale_set {
        target_type == "AzureVMSS"
    } else {
        target_type == "AzureVM"
    };
    if !type_ok {
        return bad_format(&[(
            "InvalidPacketCaptureTargetType",
            format!("targetType {target_type} does not match the target {target}."),
            "properties.targetType",
        )]);
    }

    // Numbers within the schema's ranges.
    let u32_max = u64::from(u32::MAX);
    let settings = props
        .get("captureSettings")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let number_errors = [
        check_number(
            &props,
            "bytesToCapturePerPacket",
            u32_max,
            "properties.bytesToCapturePerPacket",
        ),
        check_number(
            &props,
            "totalBytesPerSession",
            u32_max,
            "properties.totalBytesPerSession",
        ),
        check_number(
            &props,
            "timeLimitInSeconds",
            18_000,
            "properties.timeLimitInSeconds",
        ),
        check_number(
            &settings,
            "fileCount",
            10_000,
            "properties.captureSettings.fileCount",
        ),
        check_number(
            &settings,
            "fileSizeInBytes",
            u32_max,
            "properties.captureSettings.fileSizeInBytes",
        ),
        check_number(
            &settings,
            "sessionTimeLimitInSeconds",
            604_800,
            "properties.captureSettings.sessionTimeLimitInSeconds",
        ),
    ];
    if let Some(d) = number_errors.into_iter().flatten().next() {
        return bad_format(&[d]);
    }

    // Storage.
    let Some(loc) = props
        .get("storageLocation")
        .and_then(Value::as_object)
        .cloned()
    else {
        return bad_format(&[(
            "MissingJsonProperty",
            "Required property 'storageLocation' is missing.".into(),
            "properties.storageLocation",
        )]);
    };
    let has = |k: &str| {
        loc.get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    let continuous = props
        .get("continuousCapture")
        .is_some_and(Value::is_boolean);
    if has("filePath") && continuous {
        return bad_format(&[(
            "InvalidStorageLocation",
            "filePath is invalid when continuousCapture is provided with true or false; use localPath.".into(),
            "properties.storageLocation.filePath",
        )]);
    }
    if has("localPath") && !continuous {
        return bad_format(&[(
            "InvalidStorageLocation",
            "localPath is valid only when continuousCapture is provided with true or false.".into(),
            "properties.storageLocation.localPath",
        )]);
    }
    if !has("storageId") && !has("filePath") && !has("localPath") {
        return bad_format(&[(
            "InvalidStorageLocation",
            "storageId is required when no filePath or localPath is provided.".into(),
            "properties.storageLocation",
        )]);
    }
    if let Some(p) = loc.get("storagePath").and_then(Value::as_str)
        && !is_uri(p)
    {
        return bad_format(&[(
            "InvalidStorageLocation",
            format!(
                "storagePath '{p}' must be a well-formed URI describing the location to save the packet capture."
            ),
            "properties.storageLocation.storagePath",
        )]);
    }
    if let Some((code, message, target_field)) = check_filters(&props) {
        let target_field: &str = &target_field;
        return bad_format(&[(code, message, target_field)]);
    }

    // References: the target's group and resource, the region, the account.
    if !lifecycle::resource_group_exists(state, &parts[3]) {
        let rg = target.split('/').nth(4).unwrap_or_default();
        return bad_reference(
            &target,
            capture_id,
            (
                "ResourceGroupNotFound",
                format!("Resource group '{rg}' could not be found."),
                "properties.target",
            ),
        );
    }
    let Some((seed, _)) = compute::seed_of_id(state, &target) else {
        return bad_reference(
            &target,
            capture_id,
            (
                "ResourceNotFound",
                format!("The Resource '{target}' was not found."),
                "properties.target",
            ),
        );
    };
    let norm = |l: &str| l.replace(' ', "").to_ascii_lowercase();
    if norm(&seed.location) != norm(&watcher.location) {
        return bad_reference(
            &target,
            capture_id,
            (
                "TargetNotInWatcherRegion",
                format!(
                    "The target is in {}; network watcher {} is in {}: a capture runs through the watcher of its target's region.",
                    seed.location, watcher.name, watcher.location
                ),
                "properties.target",
            ),
        );
    }
    if let Some(id) = loc.get("storageId").and_then(Value::as_str) {
        let account = id.rsplit('/').next().unwrap_or_default();
        let exists = id
            .to_ascii_lowercase()
            .contains("/providers/microsoft.storage/storageaccounts/")
            && state
                .config
                .storage_accounts
                .iter()
                .any(|a| a.name.eq_ignore_ascii_case(account));
        if !exists {
            return bad_reference(
                id,
                capture_id,
                (
                    "ResourceNotFound",
                    format!("The storage account '{id}' was not found."),
                    "properties.storageLocation.storageId",
                ),
            );
        }
    }

    // The name and the session limit.
    let k = key(sub, &watcher.resource_group, &watcher.name, name);
    if state.captures.contains_key(&k) && state.config.on_existing_name == OnExistingName::Conflict
    {
        return arm_error(
            409,
            "PacketCaptureAlreadyExists",
            &format!(
                "A packet capture named '{name}' already exists on network watcher '{}'. \
                 Delete it first or choose another name.",
                watcher.name
            ),
        );
    }
    let sessions = state
        .captures
        .keys()
        .filter(|c| c.0 == k.0 && c.1 == k.1 && c.2 == k.2 && **c != k)
        .count();
    if sessions >= state.config.session_limit {
        return arm_error(
            400,
            "PacketCaptureSessionLimitReached",
            &format!(
                "Network watcher '{}' already has {sessions} packet capture sessions, the most a \
                 region allows ({}); delete finished sessions first.",
                watcher.name, state.config.session_limit
            ),
        );
    }

    let now = state.clock.now();
    let prefix_form = scale_set || continuous;
    lifecycle::fill_defaults(state, &mut props, sub, prefix_form, now);
    let etag = state.next_id();
    let capture = Capture {
        id: capture_id.to_owned(),
        name: name.to_owned(),
        properties: Value::Object(props),
        provisioning: "Updating",
        started_at: None,
        stopped: None,
        errors: Vec::new(),
        finalized: false,
        files: Vec::new(),
        etag,
        target: target.to_ascii_lowercase(),
    };
    let body = capture_body(&capture);
    state.captures.insert(k.clone(), capture);
    let op = ops::register(state, OpKind::Create(k));
    let url = ops::async_url(state, sub, "Microsoft.Network", &watcher.location, &op);
    Reply::json(201, body)
        .header("azure-asyncoperation", url)
        .header("retry-after", state.config.retry_after_secs.to_string())
}
