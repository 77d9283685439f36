//! [`ReportData`] as one HTML page that needs nothing but itself.
//!
//! The page is written with `maud`, whose templates escape every value
//! for HTML unless it is marked as markup (only the SVG that `plotters`
//! draws is). Strings that came off the wire or from the command line go
//! through [`wire`] first, which makes control, invisible and
//! bidirectional characters visible (a DNS name with a right-to-left
//! override would otherwise read backwards on the page too).
//!
//! The Content-Security-Policy in the page forbids every fetch (no
//! `default-src`), inline styles aside, and allows one script: the table
//! sorter below, by its SHA-256. So even a string that escaped escaping
//! could neither run a script nor call out.

mod charts;
mod fmt;
mod sections;

use std::borrow::Cow;

use base64::Engine as _;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest, Sha256};

use crate::data::ReportData;

const STYLE: &str = include_str!("style.css");
/// The table sorter. Its trailing newline is cut: the Nu Html Checker
/// hashes the script without it (browsers hash it as written), and the
/// policy must name the one hash both compute.
fn script() -> &'static str {
    include_str!("table.js").trim_end()
}

/// Text from packets, files or the command line, made safe to show.
pub(crate) fn wire(s: &str) -> Cow<'_, str> {
    nwcap_pcap::escape::escape_terminal(s)
}

fn csp() -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script()));
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; \
         base-uri 'none'; form-action 'none'"
    )
}

/// The HTML page of a report.
pub fn render(d: &ReportData) -> String {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(csp());
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content=(d.generator);
                title { (wire(&d.title)) " - nwcap report" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    (header(d))
                    (sections::notices(d))
                    (sections::capture(d))
                    @if d.flows.flows > 0 || !d.throughput.is_empty() {
                        (sections::throughput(d))
                    }
                    @if d.flows.flows > 0 {
                        (sections::rankings(d))
                        (sections::outcomes(d))
                        (sections::distributions(d))
                        (sections::names(d))
                        (sections::largest(d))
                    }
                    footer {
                        "Made by " (d.generator) " from the capture files alone; this page loads nothing from anywhere. "
                        "Bytes are wire bytes (original frame lengths); times are UTC."
                    }
                }
                script { (PreEscaped(script())) }
            }
        }
    };
    page.into_string()
}

fn header(d: &ReportData) -> Markup {
    let p = &d.capture.packets;
    let span = match (p.first_ts, p.last_ts) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    let failed: u64 = d
        .connections
        .totals()
        .iter()
        .take(crate::FAILED_STATES.len())
        .map(|c| c.count)
        .sum();
    html! {
        header {
            h1 { (wire(&d.title)) }
            p.sub {
                @if let Some((a, b)) = span {
                    (fmt::utc(a)) " to " (fmt::utc(b)) " UTC (" (fmt::duration(b - a)) ")"
                } @else {
                    "No packet times."
                }
            }
            nav {
                a href="#capture" { "capture" }
                @if !d.throughput.is_empty() { a href="#throughput" { "throughput" } }
                @if d.flows.flows > 0 {
                    a href="#top" { "top lists" }
                    a href="#outcomes" { "connection outcomes" }
                    a href="#distributions" { "durations and sizes" }
                    a href="#names" { "names" }
                    a href="#largest-flows" { "largest flows" }
                }
            }
            div.cards {
                (card(&fmt::int(p.records), "packets"))
                (card(&fmt::bytes(p.wire_bytes), "on the wire"))
                (card(&fmt::int(d.flows.flows), "flows"))
                (card(&fmt::int(d.rankings.talkers.groups), "IP addresses"))
                (card(&fmt::int(d.tcp.flows), "TCP connections"))
                (card(&fmt::int(failed), "failed or aborted"))
            }
        }
    }
}

fn card(value: &str, what: &str) -> Markup {
    html! { div.card { b { (value) } span { (what) } } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_script_by_its_hash() {
        let page = render(&ReportData::default());
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script()));
        assert!(page.contains(&format!("'sha256-{hash}'")));
        assert!(page.contains(&format!("<script>{}</script>", script())));
    }
}
