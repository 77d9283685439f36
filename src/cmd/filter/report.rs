//! The summary printed on stderr after an extract.

use std::io::{self, Write};

use nwcap_pcap::write::WriteStats;

use super::settings::Settings;
use nwcap_engine::extract::Selection;
use nwcap_pcap::timefmt;

pub(super) fn counts(
    err: &mut impl Write,
    settings: &Settings,
    selections: &[Selection<'_>],
    kept: u64,
    flows: Option<usize>,
    stats: &WriteStats,
) -> io::Result<()> {
    for (i, f) in settings.filters.filters().iter().enumerate() {
        let n: u64 = selections.iter().map(|s| s.per_filter[i]).sum();
        writeln!(err, "  filter {} {f}: {n} packets", i + 1)?;
    }
    if let Some(ips) = settings.filters.local_ips() {
        writeln!(err, "  local end: {ips}")?;
    }
    if !settings.window.is_all() {
        let outside: u64 = selections.iter().map(|s| s.outside_window).sum();
        let show = |t: Option<i64>| t.map_or_else(|| "-".to_string(), timefmt::rfc3339);
        writeln!(
            err,
            "  time window {} .. {}: {outside} packets outside",
            show(settings.window.from),
            show(settings.window.to)
        )?;
    }
    let not_ip: u64 = selections.iter().map(|s| s.not_ip).sum();
    if not_ip > 0 {
        writeln!(err, "  {not_ip} packets without IP not kept")?;
    }
    if let (Some(ids), Some(n)) = (&settings.flows, flows) {
        writeln!(err, "  flows: {n} selected for {} ids", ids.len())?;
    }
    writeln!(
        err,
        "  records: {kept} kept, {} copied byte for byte, {} with interface renumbered, {} re-encoded, {} not writable",
        stats.copied, stats.renumbered, stats.encoded, stats.skipped
    )
}
