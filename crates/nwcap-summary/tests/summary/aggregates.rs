//! `top --by ...` with hand-computed answers (see the fixture's comment).

use super::*;

fn keys(df: &DataFrame, name: &str) -> Vec<String> {
    strs(df, name)
        .into_iter()
        .map(|s| s.unwrap_or_else(|| "-".into()))
        .collect()
}

#[test]
fn talkers_sum_both_roles() {
    let out = top(&fixture::frame(), TopBy::Talkers, 10).unwrap();
    assert_eq!(
        keys(&out, "addr"),
        ["10.0.0.2", "10.0.0.3", "10.0.0.1", "8.8.8.8", "10.0.0.4"]
    );
    assert_eq!(u64s(&out, "bytes"), [13600, 7300, 6480, 180, 168].map(Some));
    assert_eq!(u64s(&out, "pkts"), [40, 13, 29, 2, 2].map(Some));
    // A flow from an address to itself counts once.
    assert_eq!(u64s(&out, "flows"), [3, 1, 3, 1, 1].map(Some));
    assert_eq!(
        u64s(&out, "tx_bytes"),
        [12200, 300, 1160, 120, 84].map(Some)
    );
    assert_eq!(u64s(&out, "rx_bytes"), [1400, 7000, 5320, 60, 84].map(Some));
    let head = top(&fixture::frame(), TopBy::Talkers, 2).unwrap();
    assert_eq!(keys(&head, "addr"), ["10.0.0.2", "10.0.0.3"]);
}

#[test]
fn ports_services_protocols() {
    let df = fixture::frame();
    let ports = top(&df, TopBy::Ports, 10).unwrap();
    assert_eq!(keys(&ports, "proto"), ["tcp", "tcp", "tcp", "udp", "icmp"]);
    let p: Vec<Option<i32>> = ports
        .column("resp_p")
        .unwrap()
        .i32()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(p, [Some(80), Some(443), Some(22), Some(53), None]);
    assert_eq!(u64s(&ports, "bytes"), [7300, 6000, 300, 180, 168].map(Some));

    let services = top(&df, TopBy::Services, 10).unwrap();
    assert_eq!(keys(&services, "service"), ["http", "ssl", "-", "dns"]);
    assert_eq!(u64s(&services, "bytes"), [7300, 6000, 468, 180].map(Some));
    assert_eq!(u64s(&services, "flows"), [1, 1, 2, 1].map(Some));

    let protocols = top(&df, TopBy::Protocols, 10).unwrap();
    assert_eq!(keys(&protocols, "proto"), ["tcp", "udp", "icmp"]);
    assert_eq!(u64s(&protocols, "bytes"), [13600, 180, 168].map(Some));
    assert_eq!(u64s(&protocols, "pkts"), [40, 2, 2].map(Some));
    assert_eq!(u64s(&protocols, "flows"), [3, 1, 1].map(Some));
}

#[test]
fn conversations_are_unordered_pairs() {
    let out = top(&fixture::frame(), TopBy::Conversations, 10).unwrap();
    assert_eq!(
        keys(&out, "addr_a"),
        ["10.0.0.2", "10.0.0.1", "10.0.0.1", "10.0.0.4"]
    );
    assert_eq!(
        keys(&out, "addr_b"),
        ["10.0.0.3", "10.0.0.2", "8.8.8.8", "10.0.0.4"]
    );
    assert_eq!(u64s(&out, "bytes"), [7300, 6300, 180, 168].map(Some));
    assert_eq!(u64s(&out, "flows"), [1, 2, 1, 1].map(Some));
    assert_eq!(u64s(&out, "bytes_a_to_b"), [7000, 1100, 60, 84].map(Some));
    assert_eq!(u64s(&out, "bytes_b_to_a"), [300, 5200, 120, 84].map(Some));
}

#[test]
fn ties_break_by_key_and_missing_columns_error() {
    let cols = vec![
        Column {
            name: "proto",
            data: fixture::s(&["udp", "tcp", "icmp"]),
        },
        Column {
            name: "orig_wire_bytes",
            data: ColumnData::I64(vec![10, 10, 10]),
        },
        Column {
            name: "resp_wire_bytes",
            data: ColumnData::I64(vec![0, 0, 0]),
        },
        Column {
            name: "orig_pkts",
            data: ColumnData::I64(vec![1, 1, 1]),
        },
        Column {
            name: "resp_pkts",
            data: ColumnData::I64(vec![0, 0, 0]),
        },
    ];
    let df = to_dataframe(cols).unwrap();
    let out = top(&df, TopBy::Protocols, 10).unwrap();
    assert_eq!(keys(&out, "proto"), ["icmp", "tcp", "udp"]);
    let err = top(&df, TopBy::Talkers, 10).unwrap_err().to_string();
    assert_eq!(
        err,
        "top by talkers needs column orig_h, which the flow table does not have"
    );
    assert_eq!("Ports".parse::<TopBy>().unwrap(), TopBy::Ports);
    assert!("hosts".parse::<TopBy>().is_err());
    // Aggregates render like any other table.
    let csv = render_text(out, &opts(Format::Csv));
    assert_eq!(csv.lines().next().unwrap(), "proto,flows,pkts,bytes");
}
