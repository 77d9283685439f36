//! `nwcap top`: aggregates of bytes, packets and flows, like
//! `tshark -z endpoints,ip` or `nfdump -s ip/bytes`.
//!
//! Every aggregate is a polars lazy query over the flow table, so it scales
//! with the table and stays in one engine. Bytes are wire bytes
//! (`orig_wire_bytes + resp_wire_bytes`), packets likewise. Results are sorted by
//! bytes, then packets, then flows (all descending), then the key columns
//! ascending, so equal rows always come out in the same order.

use std::fmt;
use std::str::FromStr;

use polars::prelude::*;

use crate::error::{Error, Result};

/// What `top` groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopBy {
    /// Per IP address, both roles summed: `addr, flows, pkts, bytes,
    /// tx_bytes, rx_bytes` (tx = bytes the address sent).
    Talkers,
    /// Per `(proto, resp_p)`: `proto, resp_p, flows, pkts, bytes`.
    Ports,
    /// Per detected service (null when none): `service, flows, pkts, bytes`.
    Services,
    /// Per transport protocol: `proto, flows, pkts, bytes`.
    Protocols,
    /// Per unordered address pair: `addr_a, addr_b, flows, pkts, bytes,
    /// bytes_a_to_b, bytes_b_to_a` (`addr_a` is the smaller as text).
    Conversations,
}

impl TopBy {
    /// All aggregates.
    pub const ALL: [TopBy; 5] = [
        TopBy::Talkers,
        TopBy::Ports,
        TopBy::Services,
        TopBy::Protocols,
        TopBy::Conversations,
    ];

    /// The lowercase name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            TopBy::Talkers => "talkers",
            TopBy::Ports => "ports",
            TopBy::Services => "services",
            TopBy::Protocols => "protocols",
            TopBy::Conversations => "conversations",
        }
    }

    /// The columns of the aggregate table.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            TopBy::Talkers => &["addr", "flows", "pkts", "bytes", "tx_bytes", "rx_bytes"],
            TopBy::Ports => &["proto", "resp_p", "flows", "pkts", "bytes"],
            TopBy::Services => &["service", "flows", "pkts", "bytes"],
            TopBy::Protocols => &["proto", "flows", "pkts", "bytes"],
            TopBy::Conversations => &[
                "addr_a",
                "addr_b",
                "flows",
                "pkts",
                "bytes",
                "bytes_a_to_b",
                "bytes_b_to_a",
            ],
        }
    }

    /// The flow table's columns the aggregate reads.
    pub fn needs(self) -> &'static [&'static str] {
        const COUNTS: [&str; 4] = [
            "orig_wire_bytes",
            "resp_wire_bytes",
            "orig_pkts",
            "resp_pkts",
        ];
        match self {
            TopBy::Talkers | TopBy::Conversations => &[
                "orig_h", "resp_h", COUNTS[0], COUNTS[1], COUNTS[2], COUNTS[3],
            ],
            TopBy::Ports => &[
                "proto", "resp_p", COUNTS[0], COUNTS[1], COUNTS[2], COUNTS[3],
            ],
            TopBy::Services => &["service", COUNTS[0], COUNTS[1], COUNTS[2], COUNTS[3]],
            TopBy::Protocols => &["proto", COUNTS[0], COUNTS[1], COUNTS[2], COUNTS[3]],
        }
    }
}

impl fmt::Display for TopBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TopBy {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        TopBy::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| Error::UnknownTopBy(s.to_string()))
    }
}

fn total(a: &str, b: &str) -> Expr {
    col(a).cast(DataType::Int64) + col(b).cast(DataType::Int64)
}

fn sums(extra: &[&str]) -> Vec<Expr> {
    let mut aggs = vec![
        len().cast(DataType::Int64).alias("flows"),
        col("pkts").sum().alias("pkts"),
        col("bytes").sum().alias("bytes"),
    ];
    aggs.extend(extra.iter().map(|c| col(*c).sum().alias(*c)));
    aggs
}

/// The `n` largest groups of `by` (all when `n` exceeds their number).
pub fn top(df: &DataFrame, by: TopBy, n: usize) -> Result<DataFrame> {
    let schema = df.schema();
    if let Some(missing) = by.needs().iter().find(|c| !schema.contains(c)) {
        return Err(Error::MissingColumn {
            by: by.name(),
            column: missing,
        });
    }
    let base = df.clone().lazy().with_columns([
        total("orig_wire_bytes", "resp_wire_bytes").alias("bytes"),
        total("orig_pkts", "resp_pkts").alias("pkts"),
    ]);
    let (grouped, keys): (LazyFrame, &[&str]) = match by {
        TopBy::Talkers => {
            let pick = |addr: &str, tx: &str, rx: &str| {
                [
                    col(addr).alias("addr"),
                    col("pkts"),
                    col("bytes"),
                    col(tx).cast(DataType::Int64).alias("tx_bytes"),
                    col(rx).cast(DataType::Int64).alias("rx_bytes"),
                ]
            };
            let as_orig = base
                .clone()
                .select(pick("orig_h", "orig_wire_bytes", "resp_wire_bytes"));
            // A flow whose two ends are the same address counts once.
            let as_resp = base
                .filter(col("resp_h").neq_missing(col("orig_h")))
                .select(pick("resp_h", "resp_wire_bytes", "orig_wire_bytes"));
            let both = concat([as_orig, as_resp], UnionArgs::default())
                .map_err(Error::polars("aggregating talkers"))?;
            let agg = both
                .group_by([col("addr")])
                .agg(sums(&["tx_bytes", "rx_bytes"]));
            (agg, &["addr"])
        }
        TopBy::Conversations => {
            let a_is_orig = col("orig_h").lt_eq(col("resp_h"));
            let pick = |if_orig: &str, if_resp: &str| {
                when(a_is_orig.clone())
                    .then(col(if_orig))
                    .otherwise(col(if_resp))
            };
            let agg = base
                .select([
                    pick("orig_h", "resp_h").alias("addr_a"),
                    pick("resp_h", "orig_h").alias("addr_b"),
                    col("pkts"),
                    col("bytes"),
                    pick("orig_wire_bytes", "resp_wire_bytes")
                        .cast(DataType::Int64)
                        .alias("bytes_a_to_b"),
                    pick("resp_wire_bytes", "orig_wire_bytes")
                        .cast(DataType::Int64)
                        .alias("bytes_b_to_a"),
                ])
                .group_by([col("addr_a"), col("addr_b")])
                .agg(sums(&["bytes_a_to_b", "bytes_b_to_a"]));
            (agg, &["addr_a", "addr_b"])
        }
        TopBy::Ports => (
            base.group_by([col("proto"), col("resp_p")]).agg(sums(&[])),
            &["proto", "resp_p"],
        ),
        TopBy::Services => (base.group_by([col("service")]).agg(sums(&[])), &["service"]),
        TopBy::Protocols => (base.group_by([col("proto")]).agg(sums(&[])), &["proto"]),
    };
    let mut order = vec!["bytes", "pkts", "flows"];
    order.extend_from_slice(keys);
    let mut descending = vec![true; 3];
    descending.extend(std::iter::repeat_n(false, keys.len()));
    grouped
        .sort(
            order,
            SortMultipleOptions::new()
                .with_order_descending_multi(descending)
                .with_nulls_last(true)
                .with_maintain_order(true),
        )
        .limit(IdxSize::try_from(n).unwrap_or(IdxSize::MAX))
        .collect()
        .map_err(Error::polars("aggregating flows"))
}
