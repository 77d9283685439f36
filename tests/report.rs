//! `nwcap report` end to end: the page is valid HTML (the Nu Html Checker,
//! `vnu-jar` from npm, on the machine's Java), loads in headless Chromium
//! (Debian's `chromium`, driven by `playwright-core`) with no console
//! message and no request, sorts and filters its table; its top lists carry
//! the numbers of `nwcap top`; empty and non-IP captures say so; strings
//! off the wire cannot inject markup.
//!
//! The pages and screenshots of the sample are kept as test artefacts in
//! `target/tmp/report/` (`CARGO_TARGET_TMPDIR`). Chromium, Java and the
//! npm packages are installed by `.ci/run` (`npm ci`, apt); without them
//! these tests fail, they do not skip.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;

use crate::support::cli::{nwcap_env, ok, s};
use crate::support::pcap::{ACK, RST, SYN, pcap};
use nwcap_testsupport::packets::{self, udp};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Where the artefacts go (kept after the run).
fn artefacts() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report");
    std::fs::create_dir_all(&d).expect("artefact folder");
    d
}

fn nwcap(args: &[&str]) -> Output {
    nwcap_env(args, &[("RAYON_NUM_THREADS", "2")])
}

/// `nwcap report ARGS -o OUT`, successful; the page.
fn report(args: &[&str], out: &Path) -> String {
    let mut a = vec!["report"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["-o", s(out)]);
    ok(&nwcap(&a));
    std::fs::read_to_string(out).expect("read page")
}

// ---- captures made here ----------------------------------------------

/// An IPv4 packet in an Ethernet frame.
fn eth_ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, l4: &[u8]) -> Vec<u8> {
    packets::eth(
        None,
        packets::ETHERTYPE_IPV4,
        &packets::ipv4(src, dst, proto, l4),
    )
}

/// A TCP segment acknowledging nothing.
fn tcp(sport: u16, dport: u16, flags: u8, seq: u32, payload: &[u8]) -> Vec<u8> {
    packets::tcp_seq(sport, dport, flags, seq, 0, payload)
}

/// An ARP request (EtherType 0x0806).
fn arp(k: u8) -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[0, 1, 2, 3, 4, k, 0x08, 0x06]);
    f.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1, 0, 1, 2, 3, 4, k, 10, 0, 0, k]);
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&[10, 0, 0, 1]);
    f
}

/// A DNS query (A, IN) for a name given as raw labels.
fn dns_query(labels: &[&[u8]]) -> Vec<u8> {
    let mut b = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for l in labels {
        b.push(l.len() as u8);
        b.extend_from_slice(l);
    }
    b.extend_from_slice(&[0, 0, 1, 0, 1]);
    b
}

/// Traffic whose rankings tie often and whose addresses sort differently
/// as text and as numbers (10.0.0.9 / 10.0.0.10), with a flow from an
/// address to itself and rejected connections.
fn tie_traffic(t0: u64, hosts: u8) -> Vec<(u64, Vec<u8>)> {
    let mut v = Vec::new();
    for h in 1..=hosts {
        let c = [10, 0, 0, h];
        let srv = [10, 0, 1, h % 3 + 8];
        let t = t0 + u64::from(h) * 7;
        v.push((t, eth_ipv4(c, srv, 6, &tcp(40000, 443, SYN, 1, b""))));
        v.push((
            t + 1,
            eth_ipv4(srv, c, 6, &tcp(443, 40000, SYN | ACK, 9, b"")),
        ));
        v.push((
            t + 2,
            eth_ipv4(c, srv, 6, &tcp(40000, 443, ACK, 2, &[7; 100])),
        ));
        v.push((
            t + 3,
            eth_ipv4(c, [10, 0, 2, 1], 17, &udp(5353, 53, &[1; 20])),
        ));
        v.push((
            t + 4,
            eth_ipv4(c, [10, 0, 3, 3], 6, &tcp(41000, 8080, SYN, 5, b"")),
        ));
        v.push((
            t + 5,
            eth_ipv4([10, 0, 3, 3], c, 6, &tcp(8080, 41000, RST | ACK, 0, b"")),
        ));
    }
    let me = [10, 0, 0, 10];
    v.push((t0 + 1, eth_ipv4(me, me, 17, &udp(1000, 2000, &[0; 10]))));
    v
}

// ---- helpers that judge a page -----------------------------------------

/// The Nu Html Checker's messages about the pages (empty: valid, no
/// warning).
fn vnu(pages: &[&Path]) -> Vec<String> {
    let jar = Path::new(ROOT).join("node_modules/vnu-jar/build/dist/vnu.jar");
    assert!(
        jar.exists(),
        "{} is missing: run `npm ci` (as .ci/run does)",
        jar.display()
    );
    let mut c = Command::new("java");
    c.arg("-jar").arg(&jar).args(["--format", "json"]);
    for p in pages {
        c.arg(p);
    }
    let o = c.output().expect("run java (installed by .ci/run)");
    let v: Value = serde_json::from_slice(&o.stderr).unwrap_or_else(|e| {
        panic!(
            "vnu output is not JSON ({e}): {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    v["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            format!(
                "{} {}: {} ({}:{})",
                m["type"], m["subType"], m["message"], m["url"], m["lastLine"]
            )
        })
        .collect()
}

/// Loads pages in headless Chromium; one JSON report per page.
fn chromium(pages: &[(&Path, &Path)]) -> Vec<Value> {
    let script = Path::new(ROOT).join("tests/support/report_browser.mjs");
    assert!(
        Path::new(ROOT)
            .join("node_modules/playwright-core")
            .exists(),
        "node_modules/playwright-core is missing: run `npm ci` (as .ci/run does)"
    );
    let mut c = Command::new("node");
    c.arg(&script).current_dir(ROOT);
    for (page, shot) in pages {
        c.arg(page).arg(shot);
    }
    let o = c.output().expect("run node");
    assert!(
        o.status.success(),
        "browser run failed (chromium installed by .ci/run?): {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

/// Asserts what every page must do in the browser.
fn loads_clean(r: &Value) {
    assert_eq!(r["console"], Value::Array(vec![]), "console: {r}");
    assert_eq!(r["errors"], Value::Array(vec![]), "page errors: {r}");
    assert_eq!(r["requests"], Value::Array(vec![]), "requests: {r}");
}

fn parse(page: &str) -> Html {
    let doc = Html::parse_document(page);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    doc
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

fn text(e: ElementRef<'_>) -> String {
    e.text().collect::<String>()
}

/// The rows of the table `#id` as JSON objects named by its header cells,
/// numbers from `data-v`, text as shown ("-" and "" as null), the bar
/// column left out.
fn table_rows(doc: &Html, id: &str) -> Vec<Value> {
    let heads: Vec<String> = doc
        .select(&sel(&format!("#{id} thead th")))
        .map(text)
        .collect();
    doc.select(&sel(&format!("#{id} tbody tr")))
        .map(|tr| {
            let mut o = serde_json::Map::new();
            for (h, td) in heads.iter().zip(tr.select(&sel("td"))) {
                if td.value().classes().any(|c| c == "bar") {
                    continue;
                }
                let v = match td.value().attr("data-v") {
                    Some(n) => Value::from(n.parse::<u64>().expect("data-v")),
                    None => match text(td).as_str() {
                        "-" | "" => Value::Null,
                        t => match (h.as_str(), t.parse::<u64>()) {
                            ("resp_p", Ok(n)) => Value::from(n),
                            _ => Value::from(t),
                        },
                    },
                };
                o.insert(h.clone(), v);
            }
            Value::Object(o)
        })
        .collect()
}

// ---- the tests -----------------------------------------------------------

#[test]
fn sample_page_is_valid_loads_offline_and_its_table_sorts_and_filters() {
    let dir = artefacts();
    let page = dir.join("sample.html");
    let shot = dir.join("sample.png");
    let _ = std::fs::remove_file(&shot);
    let html = report(&[&format!("{ROOT}/testdata/sample.pcap")], &page);
    parse(&html);
    assert_eq!(vnu(&[&page]), Vec::<String>::new());
    let r = chromium(&[(&page, &shot)]);
    loads_clean(&r[0]);
    assert_eq!(r[0]["svgs"], 6, "{}", r[0]);
    assert_eq!(r[0]["sort_ascending"], true, "{}", r[0]);
    assert_eq!(r[0]["sort_descending"], true, "{}", r[0]);
    assert_eq!(r[0]["filter_ok"], true, "{}", r[0]);
    assert_eq!(
        r[0]["filter_count"].as_str(),
        Some(r[0]["filter_rows"].to_string().as_str())
    );
    let png = std::fs::read(&shot).expect("screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    println!("artefacts: {} and {}", page.display(), shot.display());
}

#[test]
fn top_lists_carry_the_numbers_of_nwcap_top() {
    let dir = tempfile::tempdir().expect("tmp");
    // Two files of one capture, given out of time order.
    let a = dir.path().join("a.pcap");
    let b = dir.path().join("b.pcap");
    std::fs::write(&a, pcap(&tie_traffic(60_000, 40))).expect("write");
    std::fs::write(&b, pcap(&tie_traffic(0, 25))).expect("write");
    let sample = format!("{ROOT}/testdata/sample.pcap");
    let cases: Vec<Vec<&str>> = vec![
        vec![&sample],
        vec![s(&a), s(&b)],
        vec![&sample, "--remote-port", "53;443"],
    ];
    for (i, input) in cases.iter().enumerate() {
        let page = dir.path().join(format!("p{i}.html"));
        let mut args = input.clone();
        args.extend_from_slice(&["--top", "1000"]);
        let doc = parse(&report(&args, &page));
        for (by, id) in [
            ("talkers", "talkers"),
            ("conversations", "conversations"),
            ("ports", "ports"),
            ("services", "services"),
        ] {
            let mut top = vec!["top", "--by", by, "-n", "1000", "--format", "json"];
            top.extend_from_slice(input);
            let want: Value = serde_json::from_str(&ok(&nwcap(&top))).expect("top json");
            let got = Value::Array(table_rows(&doc, id));
            assert!(
                want.as_array().is_some_and(|w| !w.is_empty()),
                "{by}: no rows"
            );
            assert_eq!(got, want, "{by} of {input:?}");
        }
    }
}

#[test]
fn empty_and_non_ip_captures_give_pages_that_say_so() {
    let dir = artefacts();
    let tmp = tempfile::tempdir().expect("tmp");
    let empty = tmp.path().join("empty.pcap");
    std::fs::write(&empty, pcap(&[])).expect("write");
    let arp_only = tmp.path().join("arp.pcap");
    let frames: Vec<(u64, Vec<u8>)> = (0..12).map(|k| (k * 500, arp(k as u8))).collect();
    std::fs::write(&arp_only, pcap(&frames)).expect("write");

    let p_empty = dir.join("empty.html");
    let p_arp = dir.join("non-ip.html");
    let doc = parse(&report(&[s(&empty)], &p_empty));
    let notice = doc.select(&sel(".notice")).map(text).collect::<String>();
    assert!(notice.contains("The capture holds no packets."), "{notice}");
    let doc = parse(&report(&[s(&arp_only)], &p_arp));
    let notice = doc.select(&sel(".notice")).map(text).collect::<String>();
    assert!(
        notice.contains("No IP traffic: none of the 12 packets is IP")
            && notice.contains("0x0806 ARP 12"),
        "{notice}"
    );
    // The non-IP frames still show in the throughput chart.
    assert_eq!(doc.select(&sel("#throughput svg")).count(), 2);
    assert_eq!(doc.select(&sel("#talkers")).count(), 0);

    assert_eq!(vnu(&[&p_empty, &p_arp]), Vec::<String>::new());
    let r = chromium(&[
        (&p_empty, &dir.join("empty.png")),
        (&p_arp, &dir.join("non-ip.png")),
    ]);
    r.iter().for_each(loads_clean);
}

#[test]
fn strings_off_the_wire_are_shown_escaped_and_never_become_markup() {
    let dir = tempfile::tempdir().expect("tmp");
    let evil: &[u8] = b"<img src=x onerror=alert(1)>";
    let bidi = "x\u{202e}gpj".as_bytes();
    let frames = vec![
        (
            0,
            eth_ipv4(
                [10, 0, 0, 1],
                [10, 0, 0, 53],
                17,
                &udp(5000, 53, &dns_query(&[evil, b"example", b"com"])),
            ),
        ),
        (
            5,
            eth_ipv4(
                [10, 0, 0, 2],
                [10, 0, 0, 53],
                17,
                &udp(5001, 53, &dns_query(&[bidi, b"\x1b[31m", b"org"])),
            ),
        ),
    ];
    let cap = dir.path().join("evil.pcap");
    std::fs::write(&cap, pcap(&frames)).expect("write");
    let page = dir.path().join("evil.html");
    let html = report(&[s(&cap)], &page);
    let doc = parse(&html);
    assert_eq!(doc.select(&sel("img")).count(), 0);
    assert_eq!(doc.select(&sel("script")).count(), 1);
    let names: Vec<String> = doc
        .select(&sel("#dns-names tbody td.w"))
        .map(text)
        .collect();
    assert!(
        names.contains(&"<img src=x onerror=alert(1)>.example.com".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"x\\u{202e}gpj.\\x1b[31m.org".to_owned()),
        "{names:?}"
    );
    assert!(!html.contains('\u{202e}') && !html.contains('\x1b'));
}

#[test]
fn damage_and_unreadable_files_are_listed_and_the_rest_reported() {
    let dir = tempfile::tempdir().expect("tmp");
    let page = dir.path().join("d.html");
    let cut = format!("{ROOT}/testdata/snaplen96-cut.pcap");
    let missing = dir.path().join("missing.pcap");
    let o = nwcap(&["report", &cut, s(&missing), "-o", s(&page)]);
    assert_eq!(o.status.code(), Some(1), "partial input: exit 1");
    let doc = parse(&std::fs::read_to_string(&page).expect("page"));
    let capture = doc.select(&sel("#capture")).map(text).collect::<String>();
    assert!(capture.contains("unreadable"), "{capture}");
    assert!(capture.contains("Damage in"), "{capture}");
    assert!(doc.select(&sel("#talkers tbody tr")).count() > 0);
}
