//! Capture sources: which inputs are read as one stream ([`Group`]).
//!
//! A capture source is one VM or one scale-set instance. Its files follow
//! each other in time and are read as one stream (a flow crossing files is
//! one flow); files of different sources are never merged, so the two ends
//! of one conversation captured on two VMs stay two flows.
//!
//! **The rule** ([`by_source`]), by precedence:
//!
//! 1. [`SourceRule::Named`] (`--source NAME`): every input is one source.
//! 2. [`SourceRule::PerFile`] (`--source-per-file`): every input is its own
//!    source, named by its file name without extension (prefixed with its
//!    layout source, below, when it has one: `vm1/packetcapture_12_00_00_000`).
//! 3. [`SourceRule::Layout`] (the default): the source comes from Network
//!    Watcher's storage layout, read from the path (a local copy made by
//!    `nwcap fetch`, a blob URL or an `abfss://` path alike; keywords in any
//!    case):
//!    - `.../providers/microsoft.compute/virtualmachines/VM/...`: `VM`
//!      (one capture, or every rolling file of a continuous capture under
//!      its session folder);
//!    - `.../virtualmachinescalesets/SS/virtualmachines/ID/...`: `SS_ID`
//!      (a capture of one instance);
//!    - `.../virtualmachinescalesets/SS/...` holding a file or folder named
//!      `SS_ID...` (a capture of several instances writes one file per
//!      instance below the session's folder): `SS_ID`, the instance's
//!      name (`vmss1_0_000.cap` and `vmss1_0_001.cap` are both `vmss1_0`);
//!    - `.../virtualmachinescalesets/SS/...` with no instance in the path:
//!      the file is its own source, `SS/STEM`;
//!    - any other input (and standard input) belongs to one source with
//!      the other such inputs, as a capture split into files: named by the
//!      common beginning of their file names (`web_1.pcap`, `web_2.pcap`:
//!      `web`; `sample.pcap`: `sample`), or `capture` when it is shorter
//!      than 3 characters.
//!
//! Names are unique in a run: two VMs of one name in different resource
//! groups become `RG/VM`, in different subscriptions `SUB/RG/VM`; any other
//! clash gets `~2`, `~3`... in input order. Sources come in name order.

use std::collections::BTreeMap;

use nwcap_pcap::Input;

use crate::group::Group;

/// How inputs are put into sources (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SourceRule {
    /// From Network Watcher's storage layout; other inputs form one
    /// source together.
    #[default]
    Layout,
    /// Every input is one source with this name.
    Named(String),
    /// Every input is its own source.
    PerFile,
}

/// Where an input sits in Network Watcher's storage layout.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LayoutSource {
    /// Subscription id, when the path has one.
    pub subscription: String,
    /// Resource group, when the path has one.
    pub resource_group: String,
    /// The source's short name: `VM`, `SS_ID`, or `SS/STEM`.
    pub name: String,
    /// True for a scale-set capture whose instance is not in the path (the
    /// file is its own source).
    pub file_only: bool,
}

/// Splits a path, URL or `abfss://` name into its segments (`/` and `\`).
fn segments(name: &str) -> Vec<&str> {
    let path = name.split(['?', '#']).next().unwrap_or(name);
    path.split(['/', '\\']).filter(|s| !s.is_empty()).collect()
}

/// A file name without its extension(s) (`a.cap` -> `a`, `a.pcap.gz` ->
/// `a`).
fn stem(file: &str) -> &str {
    file.split('.')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(file)
}

fn after<'a>(segs: &[&'a str], key: &str) -> Option<&'a str> {
    let i = segs.iter().position(|s| s.eq_ignore_ascii_case(key))?;
    segs.get(i + 1).copied()
}

/// The instance named by `seg` of scale set `ss`: `SS_ID` where `seg`
/// begins with `SS_` and `ID` is its next run of letters and digits.
fn instance_in(seg: &str, ss: &str) -> Option<String> {
    let head = seg.get(..ss.len())?;
    if !head.eq_ignore_ascii_case(ss) {
        return None;
    }
    let rest = seg.get(ss.len()..)?.strip_prefix('_')?;
    let id: String = rest
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    (!id.is_empty()).then(|| format!("{head}_{id}"))
}

/// The source of `name` in Network Watcher's storage layout, if it is in
/// one (see the module documentation).
pub fn layout_source(name: &str) -> Option<LayoutSource> {
    let segs = segments(name);
    let file = *segs.last()?;
    // `providers/microsoft.compute/<kind>/<name>/...`, a file below it.
    let at = segs.windows(2).rposition(|w| {
        w[0].eq_ignore_ascii_case("providers") && w[1].eq_ignore_ascii_case("microsoft.compute")
    })?;
    let kind = *segs.get(at + 2)?;
    let target = *segs.get(at + 3)?;
    let below = segs.get(at + 4..segs.len())?;
    if below.is_empty() {
        return None;
    }
    let subscription = after(&segs[..at], "subscriptions").unwrap_or_default();
    let resource_group = after(&segs[..at], "resourcegroups").unwrap_or_default();
    let (name, file_only) = if kind.eq_ignore_ascii_case("virtualmachines") {
        (target.to_string(), false)
    } else if kind.eq_ignore_ascii_case("virtualmachinescalesets") {
        match below {
            [vms, id, _, ..] if vms.eq_ignore_ascii_case("virtualmachines") => {
                (format!("{target}_{id}"), false)
            }
            _ => match below.iter().find_map(|s| instance_in(s, target)) {
                Some(inst) => (inst, false),
                None => (format!("{target}/{}", stem(file)), true),
            },
        }
    } else {
        return None;
    };
    Some(LayoutSource {
        subscription: subscription.to_string(),
        resource_group: resource_group.to_string(),
        name,
        file_only,
    })
}

/// One source of a plan: its name and the positions of its inputs in the
/// list given (in that order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePlan {
    /// The source's name (unique in the plan).
    pub name: String,
    /// Indexes into the names given to [`plan`].
    pub members: Vec<usize>,
}

/// The common beginning of the file names of `names` (without extension),
/// trimmed of separators; `capture` when that is shorter than 3
/// characters.
fn common_name(names: &[&str]) -> String {
    let stems: Vec<&str> = names
        .iter()
        .map(|n| segments(n).last().map_or("", |f| stem(f)))
        .collect();
    let mut prefix: &str = stems.first().copied().unwrap_or("");
    for s in &stems[1.min(stems.len())..] {
        let n = prefix
            .char_indices()
            .zip(s.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8());
        prefix = &prefix[..n];
    }
    let trimmed = prefix.trim_end_matches(['_', '-', '.', ' ']);
    if trimmed.chars().count() < 3 {
        "capture".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Display name of an input for the rule (`-` for standard input).
fn input_name(i: &Input) -> String {
    match i {
        Input::Path(p) => p.to_string_lossy().into_owned(),
        Input::Stdin => "stdin".to_string(),
    }
}

/// Candidate keys of a source, most specific last; the first that is
/// unique among sources sharing a short name is used.
type Key = (String, String, String, bool);

/// Puts `names` (paths, URLs, `abfss://` names) into sources by `rule`.
/// Works on the names alone: nothing is opened, so a driver can plan
/// sources of files it cannot read.
pub fn plan(names: &[&str], rule: &SourceRule) -> Vec<SourcePlan> {
    match rule {
        SourceRule::Named(n) => {
            if names.is_empty() {
                return Vec::new();
            }
            vec![SourcePlan {
                name: n.clone(),
                members: (0..names.len()).collect(),
            }]
        }
        SourceRule::PerFile => {
            let wanted: Vec<(Key, Vec<usize>)> = names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let file = segments(n).last().map_or("", |f| stem(f)).to_string();
                    let key = match layout_source(n) {
                        Some(l) if l.file_only => (l.subscription, l.resource_group, l.name, true),
                        Some(l) => (
                            l.subscription,
                            l.resource_group,
                            format!("{}/{file}", l.name),
                            true,
                        ),
                        None => (String::new(), String::new(), file, false),
                    };
                    (key, vec![i])
                })
                .collect();
            finish(wanted)
        }
        SourceRule::Layout => {
            let mut by_key: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
            let mut rest = Vec::new();
            for (i, n) in names.iter().enumerate() {
                match layout_source(n) {
                    Some(l) => by_key
                        .entry((l.subscription, l.resource_group, l.name, true))
                        .or_default()
                        .push(i),
                    None => rest.push(i),
                }
            }
            let mut wanted: Vec<(Key, Vec<usize>)> = by_key.into_iter().collect();
            if !rest.is_empty() {
                let rest_names: Vec<&str> = rest.iter().map(|&i| names[i]).collect();
                let key = (
                    String::new(),
                    String::new(),
                    common_name(&rest_names),
                    false,
                );
                wanted.push((key, rest));
            }
            finish(wanted)
        }
    }
}

/// Unique names for the keys (see the module documentation), in name
/// order.
fn finish(wanted: Vec<(Key, Vec<usize>)>) -> Vec<SourcePlan> {
    // Only sources from the layout are qualified by resource group and
    // subscription, among themselves.
    let mut by_short: BTreeMap<&str, Vec<&Key>> = BTreeMap::new();
    for (k, _) in wanted.iter().filter(|(k, _)| k.3) {
        by_short.entry(k.2.as_str()).or_default().push(k);
    }
    let named = |k: &Key| -> String {
        let peers = by_short.get(k.2.as_str()).map_or(&[][..], Vec::as_slice);
        let distinct = |f: &dyn Fn(&Key) -> String| {
            let mut v: Vec<String> = peers.iter().map(|p| f(p)).collect();
            v.sort();
            v.dedup();
            v.len() == peers.len()
        };
        if peers.len() <= 1 || !k.3 {
            return k.2.clone();
        }
        if distinct(&|p: &Key| format!("{}/{}", p.1, p.2)) {
            format!("{}/{}", k.1, k.2)
        } else {
            format!("{}/{}/{}", k.0, k.1, k.2)
        }
    };
    let mut out: Vec<SourcePlan> = wanted
        .iter()
        .map(|(k, m)| SourcePlan {
            name: named(k),
            members: m.clone(),
        })
        .collect();
    // Whatever still clashes (per-file names, a file named like a VM)
    // gets a counter, in input order.
    out.sort_by_key(|p| p.members.first().copied());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for p in &mut out {
        let n = seen.entry(p.name.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            p.name = format!("{}~{n}", p.name);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The groups of `inputs` by `rule` (see the module documentation), in
/// name order; each group named by its source.
pub fn by_source(inputs: &[Input], rule: &SourceRule) -> Vec<Group> {
    let names: Vec<String> = inputs.iter().map(input_name).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    plan(&refs, rule)
        .into_iter()
        .map(|p| Group {
            name: Some(p.name),
            inputs: p.members.iter().map(|&i| inputs[i].clone()).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
