//! The rules of `validate`, one case per rule.

use super::*;
use crate::types::{CaptureFilter, CaptureSettings, Protocol, Scope, StorageLocation};

fn base() -> PacketCaptureProperties {
    PacketCaptureProperties {
        target:
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
                .into(),
        storage_location: StorageLocation {
            storage_id: Some(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"
                    .into(),
            ),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn flag_of(p: &PacketCaptureProperties) -> &'static str {
    match validate_properties(p, &version::ApiVersion::default()) {
        Err(e) => e.flag,
        Ok(()) => "ok",
    }
}

#[test]
fn accepts_the_minimal_request() {
    assert_eq!(flag_of(&base()), "ok");
}

#[test]
fn each_limit_names_its_flag() {
    let mut p = base();
    p.time_limit_in_seconds = Some(18_001);
    assert_eq!(flag_of(&p), "--time-limit");
    p.time_limit_in_seconds = Some(18_000);
    assert_eq!(flag_of(&p), "ok");

    let mut p = base();
    p.total_bytes_per_session = Some(MAX_BYTES + 1);
    assert_eq!(flag_of(&p), "--bytes-per-session");

    let mut p = base();
    p.storage_location.file_path = Some("/var/captures/x.pcap".into());
    assert_eq!(flag_of(&p), "--file-path");
    p.storage_location.file_path = Some("/var/captures/x.CAP".into());
    assert_eq!(flag_of(&p), "ok");

    let mut p = base();
    p.storage_location.local_path = Some("/var/captures/x.cap".into());
    assert_eq!(flag_of(&p), "--local-path");
    p.continuous_capture = Some(true);
    assert_eq!(flag_of(&p), "ok");
    p.storage_location.file_path = Some("/var/captures/y.cap".into());
    assert_eq!(
        flag_of(&p),
        "--file-path",
        "filePath is invalid with continuous capture"
    );
    p.storage_location.file_path = None;
    let old = version::ApiVersion::parse("2024-03-01").expect("version");
    assert_eq!(
        validate_properties(&p, &old).expect_err("old").flag,
        "--continuous"
    );

    let mut p = base();
    p.capture_settings = Some(CaptureSettings {
        file_count: Some(10),
        ..Default::default()
    });
    assert_eq!(flag_of(&p), "--file-count/--file-size/--session-time-limit");
    p.continuous_capture = Some(false);
    assert_eq!(flag_of(&p), "ok");
    p.capture_settings = Some(CaptureSettings {
        session_time_limit_in_seconds: Some(604_801),
        ..Default::default()
    });
    assert_eq!(flag_of(&p), "--session-time-limit");

    let mut p = base();
    p.scope = Some(Scope {
        include: vec!["0".into()],
        exclude: vec![],
    });
    assert_eq!(flag_of(&p), "--include/--exclude");
    p.target_type = Some(TargetType::AzureVmss);
    p.target = p
        .target
        .replace("virtualMachines/vm1", "virtualMachineScaleSets/ss1");
    assert_eq!(flag_of(&p), "ok");

    let mut p = base();
    p.storage_location = StorageLocation::default();
    assert_eq!(flag_of(&p), "--storage-account");

    let mut p = base();
    p.target = "vm1".into();
    assert_eq!(flag_of(&p), "--target");

    let mut p = base();
    p.storage_location.storage_path = Some("pc1.cap".into());
    assert_eq!(flag_of(&p), "--storage-path");
    p.storage_location.storage_path = Some("https://st.blob.core.windows.net/c/pc1.cap".into());
    assert_eq!(flag_of(&p), "ok");

    let mut p = base();
    p.target = p
        .target
        .replace("virtualMachines/vm1", "virtualMachineScaleSets/ss1");
    p.target_type = Some(TargetType::AzureVm);
    assert_eq!(flag_of(&p), "--target-type");
    p.target_type = Some(TargetType::AzureVmss);
    assert_eq!(flag_of(&p), "ok");
    let old = version::ApiVersion::parse("2022-01-01").expect("version");
    assert_eq!(
        validate_properties(&p, &old).expect_err("old").flag,
        "--target-type"
    );
    let mut p = base();
    p.target_type = Some(TargetType::AzureVmss);
    assert_eq!(flag_of(&p), "--target-type");
}

#[test]
fn numbers_as_typed_are_checked_against_the_schema() {
    assert_eq!(
        limit("--time-limit", "timeLimitInSeconds", 18_000, 18_000, " s"),
        Ok(18_000)
    );
    let e = limit(
        "--time-limit",
        "timeLimitInSeconds",
        99_999_999_999,
        18_000,
        " seconds",
    )
    .expect_err("huge");
    assert_eq!(
        e.to_string(),
        "--time-limit: 99999999999 is out of range: the API's timeLimitInSeconds takes 0 to 18000 seconds"
    );
    assert!(limit("--time-limit", "timeLimitInSeconds", -5, 18_000, " seconds").is_err());
}

#[test]
fn linux_paths_must_be_under_var_captures() {
    let mut p = base();
    p.storage_location.file_path = Some("/tmp/x.cap".into());
    let linux = crate::types::OsType::Linux;
    assert_eq!(
        check_paths_for_os(&p, &linux).expect_err("tmp").flag,
        "--file-path"
    );
    assert!(check_paths_for_os(&p, &crate::types::OsType::Windows).is_ok());
    p.storage_location.file_path = Some("/var/captures/x.cap".into());
    assert!(check_paths_for_os(&p, &linux).is_ok());
}

#[test]
fn filters_are_checked() {
    let mut p = base();
    let f = |f: CaptureFilter| Some(vec![f]);
    p.filters = f(CaptureFilter {
        protocol: Some(Protocol::parse("ICMP")),
        ..Default::default()
    });
    assert_eq!(flag_of(&p), "--protocol");
    p.filters = f(CaptureFilter {
        local_port: Some("80-70".into()),
        ..Default::default()
    });
    assert_eq!(flag_of(&p), "--local-port");
    p.filters = f(CaptureFilter {
        remote_ip_address: Some("10.0.0.1-10.0.0.300".into()),
        ..Default::default()
    });
    assert_eq!(flag_of(&p), "--remote-ip");
    p.filters = f(CaptureFilter {
        protocol: Some(Protocol::Tcp),
        local_ip_address: Some("10.0.0.1;10.0.0.5-10.0.0.9".into()),
        ..Default::default()
    });
    assert_eq!(flag_of(&p), "--local-ip", "mixing a range with a list");
    p.filters = f(CaptureFilter {
        protocol: Some(Protocol::Tcp),
        local_ip_address: Some("10.0.0.1;10.0.0.5".into()),
        local_port: Some("8000-8080".into()),
        remote_port: Some(String::new()),
        ..Default::default()
    });
    assert_eq!(flag_of(&p), "ok");
    p.filters = Some(vec![
        CaptureFilter::default(),
        CaptureFilter {
            remote_port: Some("1-2;5-6".into()),
            ..Default::default()
        },
    ]);
    let e = validate_properties(&p, &version::ApiVersion::default()).expect_err("two ranges");
    assert_eq!(e.flag, "--filter");
    assert!(
        e.message
            .starts_with("filters[1].remotePort \"1-2;5-6\" has 2 ranges"),
        "{e}"
    );
}

#[test]
fn names() {
    assert!(validate_name("pc1").is_ok());
    assert!(validate_name("my.capture-2_").is_ok());
    assert!(validate_name("").is_err());
    assert!(validate_name("-x").is_err());
    assert!(validate_name("x.").is_err());
    assert!(validate_name("a b").is_err());
    assert!(validate_name(&"a".repeat(81)).is_err());
}
