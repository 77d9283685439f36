//! The inputs of one capture source, opened once and put in capture order.
//!
//! **The ordering rule**: a group's inputs are read as one stream, in order
//! of the time of their first record (the record first in the file, not
//! the earliest); inputs without any record go last; equal times keep the
//! order they were given in. So a connection that continues in the next
//! file of a continuous capture stays one flow, and the files of a capture
//! may be given in any order.
//!
//! Every input is opened once. A regular file's head is read to learn its
//! format and first time; when a group has many files (a day of
//! continuous capture is thousands), regular files are closed again after
//! that and reopened when their turn comes, so the run never holds more
//! than [`KEEP_OPEN`] descriptors. Pipes, FIFOs and standard input stay
//! open: their head is buffered in the [`Source`] and nothing is read
//! twice.

use nwcap_pcap::{Input, Source};

use crate::report::FileReport;

/// Groups with at most this many inputs keep every input open.
pub const KEEP_OPEN: usize = 256;

/// The inputs of one capture source (a VM or a scale-set instance): read
/// as one stream, in capture order. Inputs of different groups are never
/// merged into one flow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    /// The source's name, when it has one (it becomes the flows' source).
    pub name: Option<String>,
    /// The inputs, in any order.
    pub inputs: Vec<Input>,
}

impl Group {
    /// A group without a name.
    pub fn new(inputs: impl IntoIterator<Item = impl Into<Input>>) -> Group {
        Group {
            name: None,
            inputs: inputs.into_iter().map(Into::into).collect(),
        }
    }
}

/// An input waiting for its turn.
pub(crate) struct Pending {
    pub(crate) input: Input,
    pub(crate) name: String,
    pub(crate) first_ts: Option<i64>,
    pub(crate) source: Option<Source>,
    pub(crate) size: Option<u64>,
}

impl Pending {
    /// The source, opening it again if it was closed; a file that cannot
    /// be opened the second time is reported as an error.
    pub(crate) fn take(&mut self) -> Result<Source, String> {
        match self.source.take() {
            Some(s) => Ok(s),
            None => Source::open(&self.input).map_err(|e| e.to_string()),
        }
    }
}

/// Opens every input of `group` and orders them; inputs that cannot be
/// opened are reported in `failed` (in the order given).
pub(crate) fn open(group: &Group, index: usize) -> (Vec<Pending>, Vec<FileReport>) {
    let keep_all = group.inputs.len() <= KEEP_OPEN;
    let mut ok = Vec::with_capacity(group.inputs.len());
    let mut failed = Vec::new();
    for input in &group.inputs {
        match Source::open(input) {
            Ok(s) => {
                let regular = input.is_regular_file();
                ok.push(Pending {
                    input: input.clone(),
                    name: input.name(),
                    first_ts: s.first_ts(),
                    size: s.size(),
                    source: (keep_all || !regular).then_some(s),
                });
            }
            Err(e) => failed.push(FileReport {
                group: index,
                name: input.name(),
                format: None,
                compressed: false,
                records: 0,
                damage: Vec::new(),
                error: Some(e.to_string()),
            }),
        }
    }
    // Stable: equal times (and inputs without records) keep their order.
    ok.sort_by_key(|p| (p.first_ts.is_none(), p.first_ts));
    (ok, failed)
}
