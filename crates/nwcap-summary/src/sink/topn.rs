//! `--sort KEYS --top N` without holding the table: a bounded heap keeps
//! the N best flows seen so far (ties: the earlier flow in output order
//! wins, as a stable sort would keep it), then they are written sorted.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use nwcap_engine::{FlowSink, GroupInfo, SinkError};
use nwcap_flows::columns::ColumnData;
use nwcap_flows::schema::{ColumnSpec, Kind};
use nwcap_flows::{Flow, to_columns};

use crate::error::Result;
use crate::flowframe::GroupNames;
use crate::options::{SortKey, SortOrder};
use crate::sink::writer::FlowWriter;

/// One sort value; nulls sort last in either direction.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
}

fn cmp_val(a: &Val, b: &Val, desc: bool) -> Ordering {
    let o = match (a, b) {
        (Val::Null, Val::Null) => return Ordering::Equal,
        (Val::Null, _) => return Ordering::Greater,
        (_, Val::Null) => return Ordering::Less,
        (Val::Int(x), Val::Int(y)) => x.cmp(y),
        (Val::Float(x), Val::Float(y)) => x.total_cmp(y),
        (Val::Text(x), Val::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => Ordering::Equal,
    };
    if desc { o.reverse() } else { o }
}

/// A kept flow: its sort values and its position in the output order.
struct Entry {
    vals: Vec<Val>,
    seq: u64,
    desc: std::sync::Arc<Vec<bool>>,
    flow: Flow,
    group: std::sync::Arc<GroupNames>,
}

impl Entry {
    fn key_cmp(&self, o: &Entry) -> Ordering {
        for ((a, b), d) in self.vals.iter().zip(&o.vals).zip(self.desc.iter()) {
            let c = cmp_val(a, b, *d);
            if c != Ordering::Equal {
                return c;
            }
        }
        self.seq.cmp(&o.seq)
    }
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.key_cmp(o) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> Ordering {
        self.key_cmp(o)
    }
}

/// Keeps the first `n` flows by `keys`, then writes them.
pub struct TopN {
    n: usize,
    specs: Vec<&'static ColumnSpec>,
    desc: std::sync::Arc<Vec<bool>>,
    heap: BinaryHeap<Entry>,
    seq: u64,
    group: std::sync::Arc<GroupNames>,
    writer: FlowWriter,
}

impl TopN {
    /// `keys` name columns of the column table (checked by the caller).
    pub fn new(
        keys: &[SortKey],
        specs: Vec<&'static ColumnSpec>,
        n: usize,
        writer: FlowWriter,
    ) -> TopN {
        let desc = keys
            .iter()
            .zip(&specs)
            .map(|(k, s)| match k.order {
                SortOrder::Asc => false,
                SortOrder::Desc => true,
                SortOrder::Auto => matches!(s.kind, Kind::Count | Kind::Int | Kind::Float),
            })
            .collect();
        TopN {
            n,
            specs,
            desc: std::sync::Arc::new(desc),
            heap: BinaryHeap::new(),
            seq: 0,
            group: std::sync::Arc::new(GroupNames::default()),
            writer,
        }
    }

    fn values(&self, flows: &[Flow]) -> Vec<Vec<Val>> {
        let opts = self.group.options();
        let cols = to_columns(flows, &self.specs, &opts);
        let mut rows: Vec<Vec<Val>> = (0..flows.len())
            .map(|_| Vec::with_capacity(cols.len()))
            .collect();
        for c in cols {
            match c.data {
                ColumnData::I64(v) | ColumnData::TimestampNs(v) => {
                    for (r, x) in rows.iter_mut().zip(v) {
                        r.push(Val::Int(x));
                    }
                }
                ColumnData::I32Opt(v) => {
                    for (r, x) in rows.iter_mut().zip(v) {
                        r.push(x.map_or(Val::Null, |x| Val::Int(i64::from(x))));
                    }
                }
                ColumnData::F64Opt(v) => {
                    for (r, x) in rows.iter_mut().zip(v) {
                        r.push(x.map_or(Val::Null, Val::Float));
                    }
                }
                ColumnData::Text(t) => {
                    for (i, r) in rows.iter_mut().enumerate() {
                        r.push(t.get(i).map_or(Val::Null, |s| Val::Text(s.to_string())));
                    }
                }
            }
        }
        rows
    }

    fn write(&mut self) -> Result<()> {
        let kept = std::mem::take(&mut self.heap).into_sorted_vec();
        // The file and source columns name each flow's own group's files
        // and source: flows of one group are written with that group's.
        let mut batch: Vec<Flow> = Vec::new();
        let mut group: Option<std::sync::Arc<GroupNames>> = None;
        for e in kept {
            if group
                .as_ref()
                .is_some_and(|g| !std::sync::Arc::ptr_eq(g, &e.group))
            {
                self.writer.push(&batch)?;
                batch.clear();
            }
            if !group
                .as_ref()
                .is_some_and(|g| std::sync::Arc::ptr_eq(g, &e.group))
            {
                self.writer.set_group(e.group.as_ref().clone())?;
                group = Some(std::sync::Arc::clone(&e.group));
            }
            batch.push(e.flow);
        }
        self.writer.push(&batch)?;
        self.writer.finish()
    }
}

impl FlowSink for TopN {
    fn begin(&mut self, group: &GroupInfo) -> std::result::Result<(), SinkError> {
        self.group = std::sync::Arc::new(group.into());
        Ok(())
    }

    fn flows(&mut self, batch: &mut Vec<Flow>) -> std::result::Result<(), SinkError> {
        if self.n == 0 {
            return Ok(());
        }
        let vals = self.values(batch);
        for (flow, vals) in batch.drain(..).zip(vals) {
            let e = Entry {
                vals,
                seq: self.seq,
                desc: std::sync::Arc::clone(&self.desc),
                flow,
                group: std::sync::Arc::clone(&self.group),
            };
            self.seq += 1;
            if self.heap.len() < self.n {
                self.heap.push(e);
            } else if self.heap.peek().is_some_and(|worst| e < *worst) {
                self.heap.pop();
                self.heap.push(e);
            }
        }
        Ok(())
    }

    fn end(&mut self) -> std::result::Result<(), SinkError> {
        Ok(self.write()?)
    }
}
