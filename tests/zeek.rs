//! Zeek conformance: `nwcap flows` on the traces of Zeek's own test suite
//! (`../shared/zeek`, see its README and SOURCES.tsv), compared connection
//! by connection and field by field with the conn.log Zeek wrote for each.
//! Every difference must be listed, with its reason, in
//! `docs/zeek-differences.md`; a listed difference that no longer occurs
//! fails too, so the list stays true. The per-field agreement is printed
//! (`cargo test --test tests zeek:: -- --nocapture`).

mod compare;
mod conn;
mod listed;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use compare::{FIELDS, Outcome, informative};
use listed::Listed;

/// The list of deliberate differences.
fn differences_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/zeek-differences.md")
}

/// The trace file of a short name (`.pcap` or `.pcapng`).
fn trace_file(dir: &Path, name: &str) -> Option<PathBuf> {
    ["pcap", "pcapng"]
        .iter()
        .map(|ext| dir.join(format!("{name}.{ext}")))
        .find(|p| p.is_file())
}

/// nwcap's flows of one trace, and the optional columns it wrote.
fn nwcap_flows(trace: &Path) -> (Vec<conn::Conn>, Vec<&'static str>) {
    let out = Command::new(env!("CARGO_BIN_EXE_nwcap"))
        .arg("flows")
        .arg("-q")
        .arg(trace)
        .args(["--format", "ndjson"])
        .output()
        .expect("run nwcap");
    assert!(
        out.status.success(),
        "nwcap flows {}: exit {:?}\n{}",
        trace.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or("");
    let has: Vec<&'static str> = ["missed_bytes", "tunnel_parents"]
        .into_iter()
        .filter(|c| first.contains(&format!("\"{c}\":")))
        .collect();
    let flows = conn::parse_ndjson(&text).unwrap_or_else(|e| panic!("{}: {e}", trace.display()));
    (flows, has)
}

fn percent(a: usize, n: usize) -> String {
    if n == 0 {
        "-".to_string()
    } else {
        format!("{:.1} %", 100.0 * a as f64 / n as f64)
    }
}

fn report(title: &str, t: &Outcome) {
    println!(
        "{title}: {} connections, fully equal {} ({}), with service {} ({}); {} missing, {} extra",
        t.connections,
        t.fully_equal,
        percent(t.fully_equal, t.connections),
        t.fully_equal_with_service,
        percent(t.fully_equal_with_service, t.connections),
        t.missing,
        t.extra
    );
    let mut line = String::from("   ");
    for &f in FIELDS {
        let compared = t.compared.get(f).copied().unwrap_or(0);
        if compared == 0 {
            line.push_str(&format!(" {f} (not compared)"));
            continue;
        }
        // A connection nwcap does not have agrees in nothing.
        let n = compared + t.missing;
        let a = t.agree.get(f).copied().unwrap_or(0);
        let note = if informative(f) { " (informative)" } else { "" };
        line.push_str(&format!(" {f} {}{note}", percent(a, n)));
    }
    println!("{line}");
}

#[test]
fn flows_match_zeek_conn_logs_apart_from_listed_differences() {
    let Some(dir) = nwcap_testsupport::zeek_traces() else {
        return;
    };
    let list_text = std::fs::read_to_string(differences_file())
        .unwrap_or_else(|e| panic!("{}: {e}", differences_file().display()));
    let listed: Vec<Listed> =
        listed::parse(&list_text).unwrap_or_else(|e| panic!("docs/zeek-differences.md: {e}"));
    let sources = nwcap_testsupport::read_tsv(&dir.join("SOURCES.tsv"));
    let mut all = Outcome::default();
    let mut in_scope = Outcome::default();
    let mut used = vec![0usize; listed.len()];
    let mut unlisted = Vec::new();
    let mut per_trace = BTreeMap::new();
    for src in &sources {
        let name = src["short_name"].as_str();
        let Some(trace) = trace_file(&dir, name) else {
            panic!("{}: no trace for {name}", dir.display());
        };
        let log = std::fs::read_to_string(dir.join(format!("{name}.conn.log")))
            .unwrap_or_else(|e| panic!("{name}.conn.log: {e}"));
        let zeek = conn::parse_conn_log(&log).unwrap_or_else(|e| panic!("{name}.conn.log: {e}"));
        let (flows, has) = nwcap_flows(&trace);
        let result = compare::compare(name, &zeek, &flows, &has);
        let trace_scoped = !listed.iter().any(|l| l.trace == name && l.whole_trace());
        // Marks the rows that cover `d`; whether one of them is out of scope.
        let mut cover = |d: &compare::Difference| -> Option<bool> {
            let mut covered = None;
            for (i, l) in listed.iter().enumerate() {
                if l.covers(d) {
                    used[i] += 1;
                    covered = Some(covered.unwrap_or(false) || l.out_of_scope());
                }
            }
            if covered.is_none() {
                unlisted.push(d.clone());
            }
            covered
        };
        let (mut eq, mut n, mut scoped_n) = (0, 0, 0);
        for c in &result.conns {
            let mut scoped = trace_scoped;
            for d in &c.differences {
                scoped &= cover(d) != Some(true);
            }
            all.add(c);
            n += 1;
            eq += usize::from(c.fully_equal());
            if scoped {
                in_scope.add(c);
                scoped_n += 1;
            }
        }
        for d in &result.extra {
            let out = cover(d) == Some(true);
            all.extra += 1;
            if trace_scoped && !out {
                in_scope.extra += 1;
            }
        }
        per_trace.insert(name.to_string(), (eq, n, scoped_n));
    }
    println!(
        "Zeek conformance on {} ({} traces)",
        dir.display(),
        sources.len()
    );
    for (name, (eq, n, scoped)) in &per_trace {
        let scope = match n - scoped {
            0 => String::new(),
            k if k == *n => " (out of scope)".to_string(),
            k => format!(" ({k} out of scope)"),
        };
        println!("  {name}: {eq}/{n} fully equal{scope}");
    }
    report("all traces", &all);
    report("traces in scope", &in_scope);
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for (l, n) in listed.iter().zip(&used) {
        *by_reason.entry(l.reason.as_str()).or_default() += n;
    }
    println!("listed differences by reason:");
    for (reason, n) in &by_reason {
        println!("  {n:4}  {reason}");
    }
    let stale: Vec<&Listed> = listed
        .iter()
        .zip(&used)
        .filter(|(_, u)| **u == 0)
        .map(|(l, _)| l)
        .collect();
    for l in &stale {
        println!(
            "STALE (listed, no longer differs): line {}: {} | {} | {} | {} | {} | {}",
            l.line, l.trace, l.connection, l.field, l.zeek, l.nwcap, l.reason
        );
    }
    for d in &unlisted {
        println!("UNLISTED: {}", listed::row(d));
    }
    assert!(
        unlisted.is_empty() && stale.is_empty(),
        "{} differences from Zeek not listed in docs/zeek-differences.md, {} listed ones no longer occur (see the lines above)",
        unlisted.len(),
        stale.len()
    );
}
