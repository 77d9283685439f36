//! Capture sources and datasets through the binary: `nwcap sources`, the
//! `source` column of `flows`, and `flows --dataset` (layout, re-runs that
//! replace exactly their own files, failed runs that change nothing).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nwcap_summary::polars::prelude::*;
use serde_json::{Value, json};

use crate::support::cli::{nwcap, ok, s};
use crate::support::pcap::{pcap, traffic};

const VMS: &str = "subscriptions/S/resourcegroups/rg/providers/microsoft.compute/virtualmachines";

/// Writes `bytes` at `root/rel`, folders included.
fn put(root: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(&p, bytes).expect("write");
    p
}

/// Every file below `root`, hidden ones too: relative path -> bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("ls") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).expect("below").to_string_lossy();
                out.insert(rel.into_owned(), std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

fn read_parquet(p: &Path) -> DataFrame {
    let f = std::fs::File::open(p).expect("open part");
    ParquetReader::new(f).finish().expect("read part")
}

#[test]
fn sources_follow_the_storage_layout() {
    let names = [
        format!("caps/{VMS}/web1/2025/01/31/packetcapture_10_00_00_000.cap"),
        "https://acct.blob.core.windows.net/network-watcher-logs/subscriptions/S/resourcegroups/rg/providers/microsoft.compute/virtualmachinescalesets/ss/2025/01/31/packetcapture_10_00_00_000/ss_1_000.cap?sv=x&sig=secret".to_string(),
        "abfss://network-watcher-logs@acct.dfs.core.windows.net/subscriptions/S/resourcegroups/rg/providers/microsoft.compute/virtualmachines/web1/2025/01/31/packetcapture_11_00_00_000.cap".to_string(),
        "local/a.pcap".to_string(),
    ];
    let mut args = vec!["sources", "--format", "json"];
    args.extend(names.iter().map(String::as_str));
    let v: Value = serde_json::from_str(&ok(&nwcap(&args))).expect("json");
    assert_eq!(
        v,
        json!([
            {"source": "capture", "files": [names[3]]},
            {"source": "ss_1", "files": [names[1]]},
            {"source": "web1", "files": [names[0], names[2]]},
        ])
    );
    let text = ok(&nwcap(&[
        "sources", "--source", "fleet", &names[0], &names[3],
    ]));
    assert_eq!(text, format!("fleet\t{}\nfleet\t{}\n", names[0], names[3]));
    let text = ok(&nwcap(&[
        "sources",
        "--source-per-file",
        &names[0],
        &names[3],
    ]));
    assert_eq!(
        text,
        format!(
            "a\t{}\nweb1/packetcapture_10_00_00_000\t{}\n",
            names[3], names[0]
        )
    );
    let o = nwcap(&["sources", "--source", "x", "--source-per-file", "a.cap"]);
    assert!(!o.status.success());
    let o = nwcap(&["sources", "--source", " ", "a.cap"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--source"));
}

#[test]
fn two_vms_capturing_one_conversation_give_two_rows() {
    let d = tempfile::tempdir().expect("tmp");
    let bytes = pcap(&traffic(3, 0, 1));
    let a = put(
        d.path(),
        &format!("{VMS}/vma/2025/01/31/packetcapture_1.cap"),
        &bytes,
    );
    let b = put(
        d.path(),
        &format!("{VMS}/vmb/2025/01/31/packetcapture_1.cap"),
        &bytes,
    );
    let cols = "source,community_id,orig_p,orig_pkts";
    let out = ok(&nwcap(&[
        "flows",
        "--format",
        "csv",
        "--columns",
        cols,
        "--sort",
        "orig_p:asc,source:asc",
        s(&a),
        s(&b),
    ]));
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 12, "{out}");
    for pair in rows.chunks(2) {
        let (x, y) = (pair[0], pair[1]);
        assert!(x.starts_with("vma,") && y.starts_with("vmb,"), "{x} / {y}");
        assert_eq!(x["vma,".len()..], y["vmb,".len()..]);
    }
    // One source named on the command line: one stream. Each UDP exchange
    // is one row with every packet counted twice; the TCP connections,
    // closed by their FIN, start again at the second copy's SYN (as Zeek).
    let out = ok(&nwcap(&[
        "flows",
        "--format",
        "csv",
        "--columns",
        cols,
        "--source",
        "both",
        s(&a),
        s(&b),
    ]));
    assert!(out.lines().skip(1).all(|l| l.starts_with("both,")), "{out}");
    let udp: Vec<&str> = out.lines().filter(|l| l.contains(",500")).collect();
    assert_eq!(udp.len(), 3, "{out}");
    assert!(udp.iter().all(|l| l.ends_with(",2")), "{out}");
    assert_eq!(out.lines().count(), 1 + 3 + 6, "{out}");
    // top over both sources sums what each saw.
    let top = ok(&nwcap(&[
        "top",
        "--by",
        "protocols",
        "--format",
        "csv",
        s(&a),
        s(&b),
    ]));
    assert!(top.contains("tcp,6,"), "{top}");
}

#[test]
fn a_dataset_is_partitioned_replaced_by_its_own_run_and_kept_when_a_run_fails() {
    let d = tempfile::tempdir().expect("tmp");
    let caps = d.path().join("caps");
    // vma: two hours (22:13 and 23:13 UTC); vmb: one.
    let a1 = put(
        &caps,
        &format!("{VMS}/vma/x/packetcapture_1.cap"),
        &pcap(&traffic(50, 0, 1)),
    );
    let a2 = put(
        &caps,
        &format!("{VMS}/vma/x/packetcapture_2.cap"),
        &pcap(&traffic(30, 3_600_000, 2)),
    );
    let b1 = put(
        &caps,
        &format!("{VMS}/vmb/x/packetcapture_1.cap"),
        &pcap(&traffic(20, 0, 3)),
    );
    let ds = d.path().join("ds");
    let run = |files: &[&Path]| {
        let mut args = vec!["flows", "--dataset", s(&ds)];
        args.extend(files.iter().map(|p| s(p)));
        nwcap(&args)
    };
    ok(&run(&[&a1, &a2, &b1]));
    let first = tree(&ds);
    let names: Vec<&str> = first.keys().map(String::as_str).collect();
    let tag = |src: &str| {
        use sha2::Digest;
        let h = sha2::Sha256::digest(src.as_bytes());
        h.iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let (ta, tb) = (tag("vma"), tag("vmb"));
    assert_eq!(
        names,
        [
            format!("source=vma/date=2023-11-14/hour=22/part-00000-{ta}.parquet"),
            format!("source=vma/date=2023-11-14/hour=23/part-00000-{ta}.parquet"),
            format!("source=vmb/date=2023-11-14/hour=22/part-00000-{tb}.parquet"),
        ]
    );
    let df = read_parquet(&ds.join(names[0]));
    assert_eq!(df.height(), 100, "50 TCP + 50 UDP flows");
    let cols: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert!(
        !cols.contains(&"source".to_string()),
        "a partition column stays in the path"
    );
    assert!(cols.contains(&"uid".to_string()) && cols.contains(&"file".to_string()));
    assert!(matches!(
        df.column("ts").expect("ts").dtype(),
        DataType::Datetime(TimeUnit::Microseconds, Some(_))
    ));

    // The same captures again: the same bytes.
    ok(&run(&[&a1, &a2, &b1]));
    assert_eq!(tree(&ds), first);

    // vma alone, without its second file: its hour 23 goes, vmb stays.
    ok(&run(&[&a1]));
    let now = tree(&ds);
    assert_eq!(now.len(), 2);
    assert!(!ds.join("source=vma/date=2023-11-14/hour=23").exists());
    assert_eq!(now.get(names[2]), first.get(names[2]), "vmb untouched");

    // A run that reads nothing changes nothing.
    let bad = put(
        &caps,
        &format!("{VMS}/vma/x/packetcapture_9.cap"),
        b"not a capture",
    );
    let o = run(&[&bad]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(tree(&ds), now);
    // A damaged input next to a good one: exit 1, the rows of the rest.
    let o = run(&[&bad, &a1, &a2]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(tree(&ds).len(), 3);
}

#[test]
fn partitions_and_columns_are_chosen_and_checked() {
    let d = tempfile::tempdir().expect("tmp");
    let caps = d.path().join("caps");
    let a = put(
        &caps,
        &format!("{VMS}/vma/x/1.cap"),
        &pcap(&traffic(5, 0, 1)),
    );
    let b = put(&caps, "rg2/vm:b/other.cap", &pcap(&traffic(5, 0, 2)));
    let ds = d.path().join("ds");
    ok(&nwcap(&[
        "flows",
        "--dataset",
        s(&ds),
        "--partition-by",
        "date",
        "--columns",
        "source,uid,proto",
        s(&a),
        s(&b),
    ]));
    let t = tree(&ds);
    assert_eq!(t.len(), 2, "{:?}", t.keys());
    let mut sources = Vec::new();
    for name in t.keys() {
        assert!(name.starts_with("date=2023-11-14/part-00000-"), "{name}");
        let df = read_parquet(&ds.join(name));
        let cols: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(cols, ["source", "uid", "proto"]);
        let src = df
            .column("source")
            .expect("source")
            .str()
            .expect("str")
            .get(0)
            .map(str::to_string);
        sources.push(src.unwrap_or_default());
    }
    sources.sort();
    assert_eq!(sources, ["other", "vma"]);
    // A source name with characters a folder name cannot hold as is.
    let ds2 = d.path().join("ds2");
    ok(&nwcap(&[
        "flows",
        "--dataset",
        s(&ds2),
        "--source",
        "rg2/vm:b",
        s(&b),
    ]));
    assert!(ds2.join("source=rg2%2Fvm%3Ab").is_dir());

    for (args, want) in [
        (vec!["--partition-by", "proto"], "unknown partition column"),
        (vec!["--format", "csv"], "cannot be used with"),
        (vec!["--columns", "nope"], "unknown column"),
        (vec!["--sort", "ts"], "cannot be used with"),
    ] {
        let mut all = vec!["flows", "--dataset", s(&ds)];
        all.extend(args);
        all.push(s(&a));
        let o = nwcap(&all);
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{err}");
    }
}
