//! The page's sections, top to bottom.

use maud::{Markup, PreEscaped, html};

use super::charts::{self, PROTOCOL_COLOURS, Rate, STATE_COLOURS, Unit, css};
use super::{fmt, wire};
use crate::builder::{FAILED_STATES, conn_state_meaning};
use crate::data::ReportData;
use crate::hist::HistData;
use crate::names::NamesData;
use crate::rank::Sums;
use crate::timeline::TimelineData;

/// A numeric cell: the exact value in `data-v` (what the sorter and the
/// tests read), the formatted one shown.
fn num(v: u64) -> Markup {
    html! { td.n data-v=(v) { (fmt::int(v)) } }
}

/// A bar as wide as `v` is of `max`.
fn bar(v: u64, max: u64) -> Markup {
    let pct = if max == 0 {
        0.0
    } else {
        v as f64 * 100.0 / max as f64
    };
    html! { td.bar { span style=(format!("width:{pct:.1}%")) {} } }
}

fn chart(svg: Result<String, String>) -> Markup {
    match svg {
        Ok(s) => html! { (PreEscaped(s)) },
        Err(e) => html! { p.note { "Chart not drawn: " (e) } },
    }
}

fn legend(d: &TimelineData, palette: &[plotters::style::RGBColor], what: &str) -> Markup {
    let totals = d.totals();
    html! {
        div.legend {
            @for (k, name) in d.classes.iter().enumerate() {
                @if totals.get(k).is_some_and(|t| t.count > 0) {
                    span {
                        i style=(format!("background:{}", css(palette[k % palette.len()]))) {}
                        (name) " (" (fmt::int(totals[k].count)) " " (what) ")"
                    }
                }
            }
        }
    }
}

/// What the reader must know first: an empty capture, no IP traffic,
/// filters that kept nothing, damaged files.
pub fn notices(d: &ReportData) -> Markup {
    let p = &d.capture.packets;
    let damaged = d
        .capture
        .files
        .iter()
        .filter(|f| f.error.is_some() || f.damage.iter().any(|n| n.severity == "error"))
        .count();
    html! {
        @if p.records == 0 {
            div.notice.bad { b { "The capture holds no packets." } " There is nothing to draw." }
        } @else if p.ip == 0 {
            div.notice.bad {
                b { "No IP traffic: none of the " (fmt::int(p.records)) " packets is IP," }
                " so there are no flows."
                @if p.non_ip > 0 {
                    " " (fmt::int(p.non_ip)) " frames are not IP"
                    @if !p.non_ip_types.is_empty() {
                        " (by EtherType: "
                        @for (i, (t, n)) in p.non_ip_types.iter().take(8).enumerate() {
                            @if i > 0 { ", " }
                            (format!("0x{t:04x}")) " " (ether_name(*t)) " " (fmt::int(*n))
                        }
                        ")"
                    }
                    "."
                }
                @if p.undecoded > 0 {
                    " " (fmt::int(p.undecoded)) " frames are of a link type nwcap does not decode."
                }
            }
        } @else if d.flows.flows == 0 {
            div.notice.bad {
                b { "No flows." }
                @if let Some(n) = p.filtered_out {
                    " The filters dropped all " (fmt::int(n)) " packets."
                }
            }
        }
        @if damaged > 0 {
            div.notice {
                b { (damaged) " of " (d.capture.files.len()) " files are damaged or unreadable." }
                " Every record that could be read is counted; see " a href="#capture" { "Capture" } "."
            }
        }
    }
}

/// Names of the EtherTypes met in captures without IP.
fn ether_name(t: u16) -> &'static str {
    match t {
        0x0806 => "ARP",
        0x8035 => "RARP",
        0x88cc => "LLDP",
        0x8809 => "slow protocols (LACP)",
        0x888e => "EAPOL",
        0x88f7 => "PTP",
        0x8847 | 0x8848 => "MPLS",
        0x8100 | 0x88a8 => "VLAN",
        0x8863 | 0x8864 => "PPPoE",
        0x9000 => "loopback",
        t if t < 0x0600 => "802.3 length (LLC: STP, CDP...)",
        _ => "",
    }
}

pub fn capture(d: &ReportData) -> Markup {
    let c = &d.capture;
    let p = &c.packets;
    html! {
        section #capture {
            h2 { "Capture" }
            table {
                thead { tr {
                    th { "file" } th { "format" } th { "link types" } th.n { "packets" }
                    th.n { "wire bytes" } th.n { "cut by snaplen" } th { "first packet (UTC)" } th { "last packet (UTC)" }
                } }
                tbody {
                    @for f in &c.files {
                        tr {
                            td.w { (wire(&f.name)) }
                            @if let Some(e) = &f.error {
                                td colspan="7" { "unreadable: " (wire(e)) }
                            } @else {
                                td { (f.format.as_deref().unwrap_or("")) @if f.compressed { ", gzip" } }
                                td { (wire(&f.link_types.join(", "))) }
                                (num(f.packets)) (num(f.original_bytes)) (num(f.truncated))
                                td { (f.first_ts.map(fmt::utc).unwrap_or_default()) }
                                td { (f.last_ts.map(fmt::utc).unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
            dl.kv {
                dt { "IP packets" } dd { (fmt::int(p.ip)) }
                dt { "not IP" } dd { (fmt::int(p.non_ip)) }
                @if p.undecoded > 0 { dt { "link type not decoded" } dd { (fmt::int(p.undecoded)) } }
                @if p.untimed > 0 { dt { "without a timestamp" } dd { (fmt::int(p.untimed)) " (not in the timeline)" } }
                @if let Some(n) = p.filtered_out { dt { "dropped by the filters" } dd { (fmt::int(n)) } }
                @for (k, v) in &d.settings { dt { (wire(k)) } dd { (wire(v)) } }
            }
            @for f in &c.files {
                @if !f.damage.is_empty() {
                    h3 { "Damage in " (wire(&f.name)) }
                    ul {
                        @for n in &f.damage {
                            li { (n.severity) " at byte " (fmt::int(n.offset)) ": " (wire(&n.message)) }
                        }
                    }
                }
            }
        }
    }
}

pub fn throughput(d: &ReportData) -> Markup {
    let t = &d.throughput;
    html! {
        section #throughput {
            h2 { "Throughput" }
            @if t.is_empty() {
                p.note { "No packet with a timestamp." }
            } @else {
                (legend(t, &PROTOCOL_COLOURS, "packets"))
                figure {
                    (chart(charts::throughput(t, Rate::Bits)))
                    figcaption { "Bits per second on the wire, stacked by innermost protocol; one step per " (fmt::width(t.width_ns)) "." }
                }
                figure {
                    (chart(charts::throughput(t, Rate::Packets)))
                    figcaption { "Packets per second, stacked the same way." }
                }
            }
        }
    }
}

fn sums_cells(s: &Sums) -> Markup {
    html! { (num(s.flows)) (num(s.pkts)) (num(s.bytes)) }
}

pub fn rankings(d: &ReportData) -> Markup {
    let r = &d.rankings;
    let max = |it: &mut dyn Iterator<Item = u64>| it.max().unwrap_or(0);
    let tmax = max(&mut r.talkers.rows.iter().map(|x| x.sums.bytes));
    let cmax = max(&mut r.conversations.rows.iter().map(|x| x.sums.bytes));
    let pmax = max(&mut r.ports.rows.iter().map(|x| x.sums.bytes));
    let smax = max(&mut r.services.rows.iter().map(|x| x.sums.bytes));
    let prmax = max(&mut r.protocols.rows.iter().map(|x| x.sums.bytes));
    let of = |shown: usize, all: u64| format!("{shown} of {}", fmt::int(all));
    html! {
        section #top {
            h2 { "Top talkers, conversations, ports and services" }
            p.note { "The numbers of " code { "nwcap top --by talkers|conversations|ports|services" } ": wire bytes and packets of both directions, ordered by bytes, packets, flows, then name." }
            h3 { "Talkers (" (of(r.talkers.rows.len(), r.talkers.groups)) " addresses)" }
            table #talkers {
                thead { tr { th { "addr" } th.n { "flows" } th.n { "pkts" } th.n { "bytes" } th.n { "tx_bytes" } th.n { "rx_bytes" } th { "bytes" } } }
                tbody { @for t in &r.talkers.rows {
                    tr { td.w { (wire(&t.addr)) } (sums_cells(&t.sums)) (num(t.tx_bytes)) (num(t.rx_bytes)) (bar(t.sums.bytes, tmax)) }
                } }
            }
            h3 { "Conversations (" (of(r.conversations.rows.len(), r.conversations.groups)) " address pairs)" }
            table #conversations {
                thead { tr { th { "addr_a" } th { "addr_b" } th.n { "flows" } th.n { "pkts" } th.n { "bytes" } th.n { "bytes_a_to_b" } th.n { "bytes_b_to_a" } th { "bytes" } } }
                tbody { @for c in &r.conversations.rows {
                    tr { td.w { (wire(&c.addr_a)) } td.w { (wire(&c.addr_b)) } (sums_cells(&c.sums)) (num(c.bytes_a_to_b)) (num(c.bytes_b_to_a)) (bar(c.sums.bytes, cmax)) }
                } }
            }
            div.grid2 {
                div {
                    h3 { "Responder ports (" (of(r.ports.rows.len(), r.ports.groups)) ")" }
                    table #ports {
                        thead { tr { th { "proto" } th.n { "resp_p" } th.n { "flows" } th.n { "pkts" } th.n { "bytes" } th { "bytes" } } }
                        tbody { @for p in &r.ports.rows {
                            tr { td { (p.proto) } td.n { (p.resp_p.map(|v| v.to_string()).unwrap_or_default()) } (sums_cells(&p.sums)) (bar(p.sums.bytes, pmax)) }
                        } }
                    }
                }
                div {
                    h3 { "Services (" (of(r.services.rows.len(), r.services.groups)) ")" }
                    table #services {
                        thead { tr { th { "service" } th.n { "flows" } th.n { "pkts" } th.n { "bytes" } th { "bytes" } } }
                        tbody { @for s in &r.services.rows {
                            tr { td { (s.name.as_deref().unwrap_or("-")) } (sums_cells(&s.sums)) (bar(s.sums.bytes, smax)) }
                        } }
                    }
                    h3 { "Protocols" }
                    table #protocols {
                        thead { tr { th { "proto" } th.n { "flows" } th.n { "pkts" } th.n { "bytes" } th { "bytes" } } }
                        tbody { @for s in &r.protocols.rows {
                            tr { td { (s.name.as_deref().unwrap_or("-")) } (sums_cells(&s.sums)) (bar(s.sums.bytes, prmax)) }
                        } }
                    }
                }
            }
        }
    }
}

fn pct(part: u64, all: u64) -> String {
    if all == 0 {
        return String::new();
    }
    format!("{:.1} %", part as f64 * 100.0 / all as f64)
}

pub fn outcomes(d: &ReportData) -> Markup {
    let all = d.flows.flows;
    let smax = d.conn_states.iter().map(|s| s.1.flows).max().unwrap_or(0);
    let t = &d.tcp;
    html! {
        section #outcomes {
            h2 { "Connection outcomes" }
            div.grid2 {
                div {
                    h3 { "conn_state of all flows" }
                    table #conn-states {
                        thead { tr { th { "conn_state" } th { "meaning (Zeek)" } th.n { "flows" } th.n { "share" } th { "flows" } } }
                        tbody { @for (s, n) in &d.conn_states {
                            tr { td { (s) } td { (conn_state_meaning(s)) } (num(n.flows)) td.n { (pct(n.flows, all)) } (bar(n.flows, smax)) }
                        } }
                    }
                }
                div {
                    h3 { "TCP health" }
                    dl.kv {
                        dt { "TCP connections" } dd { (fmt::int(t.flows)) " (" (fmt::int(t.pkts)) " packets)" }
                        dt { "retransmitted segments" } dd { (fmt::int(t.retransmits)) " (" (pct(t.retransmits, t.pkts)) " of TCP packets)" }
                        dt { "connections with retransmissions" } dd { (fmt::int(t.flows_with_retransmits)) " (" (pct(t.flows_with_retransmits, t.flows)) ")" }
                        dt { "out-of-order segments" } dd { (fmt::int(t.out_of_order)) }
                        dt { "zero window advertisements" } dd { (fmt::int(t.zero_window)) " in " (fmt::int(t.flows_with_zero_window)) " connections" }
                        dt { "handshakes timed" } dd { (fmt::int(t.handshake_rtt.total())) }
                    }
                }
            }
            @if t.flows > 0 {
                h3 { "TCP connections over time, failed ones by state" }
                (legend(&d.connections, &STATE_COLOURS, "connections"))
                figure {
                    (chart(charts::connections(&d.connections)))
                    figcaption {
                        "By the time of their first packet, one bar per " (fmt::width(d.connections.width_ns)) ". Failed or aborted: "
                        @for (i, (s, m)) in FAILED_STATES.iter().enumerate() { @if i > 0 { "; " } b { (s) } " " (m) }
                        "."
                    }
                }
            }
            @if !t.handshake_rtt.bins.is_empty() {
                h3 { "Handshake round-trip times" }
                figure {
                    (chart(charts::histogram(&t.handshake_rtt, Unit::Nanoseconds, "SYN to the ACK of the SYN-ACK")))
                    figcaption { (fmt::int(t.handshake_rtt.total())) " TCP handshakes, five bins per decade." }
                }
            }
        }
    }
}

fn hist_figure(h: &HistData, unit: Unit, what: &str, zero_note: &str) -> Markup {
    html! {
        figure {
            @if h.bins.is_empty() {
                p.note { "Nothing to draw." }
            } @else {
                (chart(charts::histogram(h, unit, what)))
            }
            figcaption {
                (fmt::int(h.total())) " flows, five bins per decade."
                @if h.zero > 0 { " " (fmt::int(h.zero)) " " (zero_note) " (not drawn: a log axis has no zero)." }
            }
        }
    }
}

pub fn distributions(d: &ReportData) -> Markup {
    html! {
        section #distributions {
            h2 { "Flow durations and sizes" }
            h3 { "Duration (last packet minus first)" }
            (hist_figure(&d.durations, Unit::Nanoseconds, "duration", "flows last 0 s (a single packet, or packets with one timestamp)"))
            h3 { "Size (wire bytes, both directions)" }
            (hist_figure(&d.sizes, Unit::Bytes, "size", "flows of 0 bytes"))
        }
    }
}

fn name_table(id: &str, title: &str, n: &NamesData) -> Markup {
    let max = n.rows.first().map_or(0, |r| r.1);
    html! {
        div {
            h3 { (title) }
            @if n.rows.is_empty() {
                p.note { "None seen." }
            } @else {
                table id=(id) {
                    thead { tr { th { "name" } th.n { "flows" } th { "flows" } } }
                    tbody { @for (name, c) in &n.rows {
                        tr { td.w { (wire(name)) } (num(*c)) (bar(*c, max)) }
                    } }
                }
                p.note {
                    (fmt::int(n.flows)) " flows, " (fmt::int(n.distinct)) " distinct names."
                    @if n.capped { " Names first seen after the first " (fmt::int(n.distinct)) " were not counted (" (fmt::int(n.untracked)) " flows)." }
                }
            }
        }
    }
}

pub fn names(d: &ReportData) -> Markup {
    html! {
        section #names {
            h2 { "Names asked for" }
            p.note { "Per flow: the first DNS question, the TLS ClientHello's server name, the HTTP Host header. Shown with control and invisible characters escaped." }
            div.grid2 {
                (name_table("dns-names", "DNS questions", &d.dns))
                (name_table("tls-names", "TLS server names", &d.tls))
            }
            (name_table("http-hosts", "HTTP hosts", &d.http))
        }
    }
}

pub fn largest(d: &ReportData) -> Markup {
    let rows = &d.largest;
    let port = |p: Option<u16>| p.map(|v| v.to_string()).unwrap_or_default();
    let files = d.file_names.len() > 1;
    html! {
        section #largest-flows {
            h2 { "Largest flows" }
            p.note { "By wire bytes of both directions. Click a column to sort; type to filter." }
            input #flow-filter type="search" placeholder="filter: address, port, service, name..." aria-label="filter the largest flows";
            " " span #flow-count { (rows.len()) } " of " (rows.len()) " flows shown"
            div.scroll {
                table #largest.sortable {
                    thead { tr {
                        th { "uid" } th { "ts (UTC)" } th.n { "duration" } th { "proto" } th { "orig_h" } th.n { "orig_p" }
                        th { "resp_h" } th.n { "resp_p" } th { "service" } th { "conn_state" } th.n { "pkts" }
                        th.n { "orig_wire_bytes" } th.n { "resp_wire_bytes" } th.n { "wire_bytes" } th.n { "retransmits" } th { "name" } @if files { th { "file" } }
                    } }
                    tbody { @for r in rows {
                        tr {
                            td { code { (r.uid) } }
                            td { (fmt::utc(r.ts)) }
                            td.n data-v=(r.duration_ns) { (fmt::duration(r.duration_ns)) }
                            td { (r.proto) }
                            td { (wire(&r.orig_h)) }
                            td.n data-v=(port(r.orig_p)) { (port(r.orig_p)) }
                            td { (wire(&r.resp_h)) }
                            td.n data-v=(port(r.resp_p)) { (port(r.resp_p)) }
                            td { (r.service.as_deref().unwrap_or("")) }
                            td { (r.conn_state) }
                            (num(r.pkts())) (num(r.orig_wire_bytes)) (num(r.resp_wire_bytes)) (num(r.bytes())) (num(r.retransmits))
                            td { (wire(r.name.as_deref().unwrap_or(""))) }
                            @if files { td { (wire(d.file_names.get(r.file as usize).map_or("", String::as_str))) } }
                        }
                    } }
                }
            }
        }
    }
}
