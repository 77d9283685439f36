//! Tests of the source rule.

use super::*;

const VM: &str = "caps/subscriptions/S1/resourcegroups/rg1/providers/microsoft.compute/virtualmachines/vm1/2025/01/31/packetcapture_16_39_41_077.cap";

fn names(p: &[SourcePlan]) -> Vec<(&str, Vec<usize>)> {
    p.iter()
        .map(|s| (s.name.as_str(), s.members.clone()))
        .collect()
}

#[test]
fn layouts() {
    let l = layout_source(VM).expect("vm");
    assert_eq!(
        (l.subscription.as_str(), l.resource_group.as_str()),
        ("S1", "rg1")
    );
    assert_eq!(l.name, "vm1");
    let cases = [
        // Upper case keywords, a blob URL, an abfss path.
        (
            "https://acct.blob.core.windows.net/network-watcher-logs/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/Web1/2025/01/31/packetCapture_16_39_41_077.cap?sv=1&sig=x",
            Some("Web1"),
        ),
        (
            "abfss://network-watcher-logs@acct.dfs.core.windows.net/subscriptions/S/resourcegroups/rg/providers/microsoft.compute/virtualmachines/db1/2025/01/31/packetcapture_10_00_00_000/db1_003.cap",
            Some("db1"),
        ),
        // One instance of a scale set.
        (
            "x/providers/microsoft.compute/virtualmachinescalesets/ss/virtualMachines/3/2025/01/31/packetcapture_10_00_00_000.cap",
            Some("ss_3"),
        ),
        // Several instances: one file per instance, rolling.
        (
            "x/providers/microsoft.compute/virtualmachinescalesets/ss/2025/01/31/packetcapture_10_00_00_000/ss_12_001.cap",
            Some("ss_12"),
        ),
        (
            "x/providers/microsoft.compute/virtualmachinescalesets/ss/2025/01/31/packetcapture_10_00_00_000/SS_4f8a2c1d.cap",
            Some("SS_4f8a2c1d"),
        ),
        // No instance in the path: the file alone.
        (
            "x/providers/microsoft.compute/virtualmachinescalesets/ss/2025/01/31/packetcapture_10_00_00_000.cap",
            Some("ss/packetcapture_10_00_00_000"),
        ),
        // Not the layout.
        ("caps/vm1/a.cap", None),
        ("x/providers/microsoft.compute/virtualmachines/vm1", None),
        (
            "x/providers/microsoft.network/virtualmachines/vm1/a.cap",
            None,
        ),
        ("", None),
    ];
    for (path, want) in cases {
        assert_eq!(
            layout_source(path).map(|l| l.name).as_deref(),
            want,
            "{path}"
        );
    }
    assert!(layout_source(cases[5].0).is_some_and(|l| l.file_only));
}

#[test]
fn the_layout_rule_groups_by_vm_and_instance() {
    let v = |vm: &str, f: &str| {
        VM.replace("vm1", vm)
            .replace("packetcapture_16_39_41_077", f)
    };
    let ss = "caps/providers/microsoft.compute/virtualmachinescalesets/ss/2025/01/31/packetcapture_10_00_00_000";
    let files = [
        v("vm2", "b"),
        format!("{ss}/ss_1_000.cap"),
        v("vm1", "a"),
        "other/split_2.pcap".to_string(),
        v("vm2", "a"),
        format!("{ss}/ss_0_000.cap"),
        format!("{ss}/ss_1_001.cap"),
        "split_1.pcap".to_string(),
    ];
    let refs: Vec<&str> = files.iter().map(String::as_str).collect();
    let p = plan(&refs, &SourceRule::Layout);
    assert_eq!(
        names(&p),
        [
            ("split", vec![3, 7]),
            ("ss_0", vec![5]),
            ("ss_1", vec![1, 6]),
            ("vm1", vec![2]),
            ("vm2", vec![0, 4]),
        ]
    );
    // Given in another order: the same sources.
    let mut rev = refs.clone();
    rev.reverse();
    let q = plan(&rev, &SourceRule::Layout);
    let n: Vec<&str> = q.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(n, ["split", "ss_0", "ss_1", "vm1", "vm2"]);
}

#[test]
fn named_and_per_file() {
    let files = [VM, "a/x.pcap", "b/x.pcap", "c/y.pcap.gz"];
    let p = plan(&files, &SourceRule::Named("fleet".into()));
    assert_eq!(names(&p), [("fleet", vec![0, 1, 2, 3])]);
    assert!(plan(&[], &SourceRule::Named("x".into())).is_empty());
    let p = plan(&files, &SourceRule::PerFile);
    assert_eq!(
        names(&p),
        [
            ("vm1/packetcapture_16_39_41_077", vec![0]),
            ("x", vec![1]),
            ("x~2", vec![2]),
            ("y", vec![3]),
        ]
    );
}

#[test]
fn clashing_vm_names_are_qualified() {
    let other_rg = VM.replace("rg1", "rg2");
    let other_sub = VM.replace("S1", "S2");
    let files = [VM, other_rg.as_str(), VM];
    let p = plan(&files, &SourceRule::Layout);
    assert_eq!(names(&p), [("rg1/vm1", vec![0, 2]), ("rg2/vm1", vec![1])]);
    let files = [VM, other_sub.as_str()];
    let p = plan(&files, &SourceRule::Layout);
    assert_eq!(
        names(&p),
        [("S1/rg1/vm1", vec![0]), ("S2/rg1/vm1", vec![1])]
    );
    // A file outside the layout named like a VM.
    let files = [VM, "vm1.pcap"];
    let p = plan(&files, &SourceRule::Layout);
    assert_eq!(names(&p), [("vm1", vec![0]), ("vm1~2", vec![1])]);
}

#[test]
fn the_rest_is_named_by_its_common_beginning() {
    assert_eq!(common_name(&["a/web_1.pcap", "b/web_2.pcap"]), "web");
    assert_eq!(common_name(&["sample.pcap"]), "sample");
    assert_eq!(common_name(&["a.pcap", "b.pcap"]), "capture");
    assert_eq!(common_name(&["stdin"]), "stdin");
    assert_eq!(common_name(&["trace1.pcap", "trace2.pcap"]), "trace");
    let g = by_source(
        &[Input::Stdin, Input::from_arg("testdata/sample.pcap")],
        &SourceRule::Layout,
    );
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].name.as_deref(), Some("capture"));
    assert_eq!(g[0].inputs.len(), 2);
}
