//! The builder over flows made by the real engine from frames built here.

use nwcap_flows::{Flow, FlowConfig, FlowTable};
use nwcap_pcap::{LinkType, Record};
use nwcap_testsupport::packets::{ETHERTYPE_IPV4, TCP, eth, ipv4, tcp};

use crate::{ReportBuilder, ReportContext, ReportData, ReportOptions, render};

const MS: i64 = 1_000_000;
const T0: i64 = 1_700_000_000_000 * MS;

/// A TCP segment of `len` payload bytes in IPv4 in Ethernet.
fn frame(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, flags: u8, len: usize) -> Vec<u8> {
    let seg = tcp(sport, dport, flags, &vec![0x61; len]);
    eth(None, ETHERTYPE_IPV4, &ipv4(src, dst, TCP, &seg))
}

/// Flows of `n` clients talking to three servers, some rejected, sizes
/// and times all different, plus ties.
fn flows(n: u8) -> Vec<Flow> {
    let mut t = FlowTable::new(FlowConfig::default());
    for i in 0..n {
        let c = [10, 0, 0, i];
        let s = [10, 9, 0, i % 3];
        let at = T0 + i64::from(i) * 40 * MS;
        let sport = 40_000 + u16::from(i);
        let mut pkts = vec![(at, frame(c, s, sport, 443, 0x02, 0))];
        if i % 5 == 0 {
            pkts.push((at + MS, frame(s, c, 443, sport, 0x14, 0)));
        } else {
            pkts.push((at + MS, frame(s, c, 443, sport, 0x12, 0)));
            pkts.push((at + 2 * MS, frame(c, s, sport, 443, 0x10, 0)));
            let size = usize::from(i % 7) * 100;
            pkts.push((at + 3 * MS, frame(s, c, 443, sport, 0x18, size)));
        }
        for (k, (ts, f)) in pkts.iter().enumerate() {
            let r = Record {
                ts: *ts,
                origlen: f.len() as u32,
                data: f,
                interface: 0,
                linktype: LinkType::ETHERNET,
                offset: k as u64,
            };
            let p = nwcap_pcap::decode::decode(r.linktype, r.data);
            t.push(0, &r, &p);
        }
    }
    t.finish().0
}

fn build(flows: &[Flow], opts: ReportOptions) -> ReportData {
    let mut b = ReportBuilder::new(opts);
    for f in flows {
        b.add_flow(f);
    }
    b.finish(ReportContext::default())
}

#[test]
fn the_data_does_not_depend_on_the_order_flows_arrive_in() {
    let mut fl = flows(60);
    assert_eq!(fl.len(), 60);
    let opts = ReportOptions {
        top: 5,
        largest: 7,
        ..ReportOptions::default()
    };
    let a = build(&fl, opts);
    fl.reverse();
    let b = build(&fl, opts);
    fl.rotate_left(17);
    let c = build(&fl, opts);
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(a.largest.len(), 7);
    assert_eq!(a.rankings.talkers.rows.len(), 5);
    // 12 of 60 connections were rejected (every fifth).
    let rej = a.conn_states.iter().find(|(s, _)| s == "REJ");
    assert_eq!(rej.map(|r| r.1.flows), Some(12));
    let failed: u64 = a.connections.totals()[..crate::FAILED_STATES.len()]
        .iter()
        .map(|c| c.count)
        .sum();
    assert_eq!(failed, 12);
    assert_eq!(a.tcp.flows, 60);
    assert_eq!(a.durations.total(), 60);
}

#[test]
fn largest_flows_are_the_largest_in_order() {
    let fl = flows(60);
    let d = build(&fl, ReportOptions::default());
    let mut sizes: Vec<u64> = fl.iter().map(|f| f.orig.bytes + f.resp.bytes).collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    let got: Vec<u64> = d.largest.iter().map(|r| r.bytes()).collect();
    assert_eq!(got, sizes);
}

#[test]
fn a_report_without_anything_renders() {
    let page = render(&build(&[], ReportOptions::default()));
    assert!(page.contains("The capture holds no packets."));
    assert!(!page.contains("<svg"));
}
