//! `nwcap top` as flows stream by: exact integer sums per key, then the
//! table sorted as [`crate::top`] sorts it (bytes, then packets, then
//! flows, all descending, then the key ascending, nulls last). Memory is
//! one entry per key (address, pair, port...), not one per flow. Bytes are
//! wire bytes of both directions (`orig_wire_bytes + resp_wire_bytes`).

use std::collections::HashMap;

use nwcap_engine::{FlowSink, SinkError};
use nwcap_flows::Flow;
use nwcap_flows::schema::proto_name;
use polars::prelude::*;

use crate::error::{Error, Result};
use crate::top::TopBy;

/// The sums of one key.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    flows: i64,
    pkts: i64,
    bytes: i64,
    /// Talkers: sent/received; conversations: a to b / b to a.
    x: i64,
    y: i64,
}

/// A key: up to two texts and a port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key {
    a: Option<String>,
    b: Option<String>,
    port: Option<i32>,
}

/// Aggregates flows by `by`; the table comes from [`TopAgg::table`].
pub struct TopAgg {
    by: TopBy,
    sums: HashMap<Key, Sums>,
}

fn i(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn proto(f: &Flow) -> Option<String> {
    Some(proto_name(f.key.proto).to_string())
}

impl TopAgg {
    /// An empty aggregate.
    pub fn new(by: TopBy) -> TopAgg {
        TopAgg {
            by,
            sums: HashMap::new(),
        }
    }

    fn add(&mut self, key: Key, s: Sums) {
        let e = self.sums.entry(key).or_default();
        e.flows += s.flows;
        e.pkts += s.pkts;
        e.bytes += s.bytes;
        e.x += s.x;
        e.y += s.y;
    }

    /// Adds one flow.
    pub fn add_flow(&mut self, f: &Flow) {
        let (ob, rb) = (i(f.orig.bytes), i(f.resp.bytes));
        let base = Sums {
            flows: 1,
            pkts: i(f.orig.pkts + f.resp.pkts),
            bytes: ob + rb,
            x: 0,
            y: 0,
        };
        let key = |a: Option<String>, b: Option<String>, port: Option<i32>| Key { a, b, port };
        match self.by {
            TopBy::Talkers => {
                let (o, r) = (f.orig_h().to_string(), f.resp_h().to_string());
                let same = o == r;
                self.add(
                    key(Some(o), None, None),
                    Sums {
                        x: ob,
                        y: rb,
                        ..base
                    },
                );
                // A flow from an address to itself counts once.
                if !same {
                    self.add(
                        key(Some(r), None, None),
                        Sums {
                            x: rb,
                            y: ob,
                            ..base
                        },
                    );
                }
            }
            TopBy::Conversations => {
                let (o, r) = (f.orig_h().to_string(), f.resp_h().to_string());
                let (a, b, ab, ba) = if o <= r {
                    (o, r, ob, rb)
                } else {
                    (r, o, rb, ob)
                };
                self.add(
                    key(Some(a), Some(b), None),
                    Sums {
                        x: ab,
                        y: ba,
                        ..base
                    },
                );
            }
            TopBy::Ports => {
                let port = f.resp_p().map(i32::from);
                self.add(key(proto(f), None, port), base);
            }
            TopBy::Services => self.add(key(f.service().map(str::to_string), None, None), base),
            TopBy::Protocols => self.add(key(proto(f), None, None), base),
        }
    }

    /// The `n` largest groups, sorted.
    pub fn table(&self, n: usize) -> Result<DataFrame> {
        let mut rows: Vec<(&Key, &Sums)> = self.sums.iter().collect();
        rows.sort_by(|(ka, a), (kb, b)| {
            b.bytes
                .cmp(&a.bytes)
                .then(b.pkts.cmp(&a.pkts))
                .then(b.flows.cmp(&a.flows))
                .then_with(|| key_cmp(ka, kb))
        });
        rows.truncate(n);
        let strs = |f: fn(&Key) -> Option<&str>| -> Vec<Option<&str>> {
            rows.iter().map(|(k, _)| f(k)).collect()
        };
        let nums = |f: fn(&Sums) -> i64| -> Vec<i64> { rows.iter().map(|(_, s)| f(s)).collect() };
        let a = || Column::new("".into(), strs(|k| k.a.as_deref()));
        let mut cols: Vec<Column> = match self.by {
            TopBy::Talkers => vec![a().with_name("addr".into())],
            TopBy::Conversations => vec![
                a().with_name("addr_a".into()),
                Column::new("addr_b".into(), strs(|k| k.b.as_deref())),
            ],
            TopBy::Ports => vec![
                a().with_name("proto".into()),
                Column::new(
                    "resp_p".into(),
                    rows.iter().map(|(k, _)| k.port).collect::<Vec<_>>(),
                ),
            ],
            TopBy::Services => vec![a().with_name("service".into())],
            TopBy::Protocols => vec![a().with_name("proto".into())],
        };
        cols.push(Column::new("flows".into(), nums(|s| s.flows)));
        cols.push(Column::new("pkts".into(), nums(|s| s.pkts)));
        cols.push(Column::new("bytes".into(), nums(|s| s.bytes)));
        match self.by {
            TopBy::Talkers => {
                cols.push(Column::new("tx_bytes".into(), nums(|s| s.x)));
                cols.push(Column::new("rx_bytes".into(), nums(|s| s.y)));
            }
            TopBy::Conversations => {
                cols.push(Column::new("bytes_a_to_b".into(), nums(|s| s.x)));
                cols.push(Column::new("bytes_b_to_a".into(), nums(|s| s.y)));
            }
            _ => {}
        }
        DataFrame::new(rows.len(), cols).map_err(Error::polars("aggregating flows"))
    }
}

/// Keys ascending, nulls last.
fn key_cmp(a: &Key, b: &Key) -> std::cmp::Ordering {
    fn opt<T: Ord>(a: &Option<T>, b: &Option<T>) -> std::cmp::Ordering {
        match (a, b) {
            (Some(x), Some(y)) => x.cmp(y),
            (None, None) => std::cmp::Ordering::Equal,
            (None, _) => std::cmp::Ordering::Greater,
            (_, None) => std::cmp::Ordering::Less,
        }
    }
    opt(&a.a, &b.a)
        .then_with(|| opt(&a.b, &b.b))
        .then_with(|| opt(&a.port, &b.port))
}

impl FlowSink for TopAgg {
    fn flows(&mut self, batch: &mut Vec<Flow>) -> std::result::Result<(), SinkError> {
        for f in batch.iter() {
            self.add_flow(f);
        }
        Ok(())
    }
}
