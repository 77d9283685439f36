//! The capture file a session produces: a replay of a source capture
//! (the bundled `testdata/sample.pcap`, or the file `serve --capture`
//! names) shaped as Network Watcher would have captured it on the VM:
//!
//! - only the packets the capture's filters keep (evaluated by
//!   `nwcap-filter`, the VM's address as the local end);
//! - each cut to `bytesToCapturePerPacket` (0: whole packets; the original
//!   length is kept, as a snap length does);
//! - no more than the session's length (from its start to when it stopped)
//!   and `totalBytesPerSession` bytes of file;
//! - moved in time so that the first packet is at the capture's start;
//! - for a scale set, instance `i` of `n` sees every `n`-th packet; a
//!   continuous capture rolls files of `captureSettings.fileSizeInBytes`,
//!   keeping the last `fileCount`.
//!
//! Written with `nwcap-pcap`'s writer, in the source's own format.

use std::collections::VecDeque;
use std::net::IpAddr;

use nwcap_filter::{AddrSet, FilterSet};
use nwcap_pcap::decode::decode;
use nwcap_pcap::source::Bytes;
use nwcap_pcap::write::{CaptureWriter, Plan};
use nwcap_pcap::{Capture, Record};
use serde_json::Value;

/// The bundled source capture (3000 packets, 601 s; see testdata/README.md).
pub const SAMPLE: &[u8] = include_bytes!("../../../testdata/sample.pcap");

/// How one file set is shaped.
#[derive(Debug, Clone)]
pub struct ShapeSpec {
    /// The capture's filters (none: everything).
    pub filters: Vec<nwcap_filter::PacketFilter>,
    /// The VM's address: the local end.
    pub local: IpAddr,
    /// Bytes kept of each packet (0: all).
    pub bytes_per_packet: u64,
    /// File bytes at most (headers included).
    pub total_bytes: u64,
    /// Unix seconds of the capture's start.
    pub start_unix: i64,
    /// Seconds the session lasted.
    pub duration: i64,
    /// `(instance, instances)` for a scale set.
    pub instance: Option<(u32, u32)>,
    /// Rolling files: `(fileSizeInBytes, fileCount)` of a continuous capture.
    pub rolling: Option<(u64, u32)>,
}

impl ShapeSpec {
    /// The shape of a capture from its stored `properties`.
    pub fn new(
        props: &Value,
        local: IpAddr,
        start_unix: i64,
        duration: i64,
        instance: Option<(u32, u32)>,
    ) -> Self {
        let filters = nwcap_filter::from_capture_json(
            &serde_json::json!({ "properties": props }).to_string(),
        )
        .unwrap_or_default();
        let rolling = props["continuousCapture"].is_boolean().then(|| {
            let s = &props["captureSettings"];
            (
                s["fileSizeInBytes"].as_u64().unwrap_or(104_857_600),
                s["fileCount"]
                    .as_u64()
                    .map_or(10, |n| n.min(u64::from(u32::MAX)) as u32),
            )
        });
        Self {
            filters,
            local,
            bytes_per_packet: props["bytesToCapturePerPacket"].as_u64().unwrap_or(0),
            total_bytes: props["totalBytesPerSession"].as_u64().unwrap_or(1 << 30),
            start_unix,
            duration: duration.max(0),
            instance,
            rolling,
        }
    }
}

/// The instances a scale set capture runs on (`scope.include` /
/// `scope.exclude` by instance id, `0`, or by name ending in `_0`).
pub fn instances(scope: &Value, n: u32) -> Vec<Option<u32>> {
    let names = |k: &str| -> Vec<String> {
        scope[k]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (include, exclude) = (names("include"), names("exclude"));
    let is = |list: &[String], i: u32| {
        list.iter()
            .any(|e| *e == i.to_string() || e.ends_with(&format!("_{i}")))
    };
    (0..n)
        .filter(|&i| (include.is_empty() || is(&include, i)) && !is(&exclude, i))
        .map(Some)
        .collect()
}

/// The files of one session: one, or the rolling files of a continuous capture.
pub fn shape(source: &[u8], spec: &ShapeSpec) -> Result<Vec<Vec<u8>>, String> {
    let cap = Capture::from_bytes("capture-source", Bytes::Owned(source.to_vec()))
        .map_err(|e| e.to_string())?;
    let idx = cap.index();
    let plan = Plan::new(&[&idx]);
    let header = plan.header().len() as u64;
    let set = FilterSet::new(spec.filters.clone(), Some(AddrSet::single(spec.local)));
    let new_writer = || CaptureWriter::new(Vec::new(), plan.clone()).map_err(|e| e.to_string());
    let mut writer = new_writer()?;
    let mut done: VecDeque<Vec<u8>> = VecDeque::new();
    let mut total = header;
    let mut first: Option<i64> = None;
    let span = spec.duration.saturating_mul(1_000_000_000);
    for (i, rec) in idx.all_records().enumerate() {
        if let Some((inst, n)) = spec.instance
            && n > 0
            && i as u64 % u64::from(n) != u64::from(inst)
        {
            continue;
        }
        let t0 = *first.get_or_insert(rec.ts);
        let offset = rec.ts - t0;
        if offset >= span {
            break;
        }
        if !set.is_match_all() {
            let keep = nwcap_engine::five_tuple(&decode(rec.linktype, rec.data))
                .is_some_and(|t| set.matches(&t));
            if !keep {
                continue;
            }
        }
        let keep = match spec.bytes_per_packet {
            0 => rec.data.len(),
            n => rec.data.len().min(usize::try_from(n).unwrap_or(usize::MAX)),
        };
        let shaped = Record {
            ts: spec
                .start_unix
                .saturating_mul(1_000_000_000)
                .saturating_add(offset),
            data: &rec.data[..keep],
            ..rec
        };
        let size = 16 + keep as u64;
        if total + size > spec.total_bytes {
            break;
        }
        if let Some((file_size, count)) = spec.rolling
            && writer.stats().records > 0
            && writer.stats().bytes + size > file_size
        {
            let full = std::mem::replace(&mut writer, new_writer()?);
            done.push_back(full.finish().map_err(|e| e.to_string())?.0);
            while done.len() >= count.max(1) as usize {
                done.pop_front();
            }
            total += header;
        }
        writer.write_shaped(0, &shaped).map_err(|e| e.to_string())?;
        total += size;
    }
    done.push_back(writer.finish().map_err(|e| e.to_string())?.0);
    Ok(done.into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(bytes: Vec<u8>) -> Vec<(i64, u32, usize)> {
        let cap = Capture::from_bytes("t", Bytes::Owned(bytes)).unwrap();
        let idx = cap.index();
        idx.all_records()
            .map(|r| (r.ts, r.origlen, r.data.len()))
            .collect()
    }

    fn spec(props: Value, duration: i64) -> ShapeSpec {
        ShapeSpec::new(
            &props,
            "10.0.0.4".parse().unwrap(),
            1_751_371_200,
            duration,
            None,
        )
    }

    #[test]
    fn filters_limits_and_start_time_shape_the_file() {
        let all = shape(SAMPLE, &spec(json!({}), 100_000)).unwrap();
        assert_eq!(all.len(), 1);
        let all = read(all.into_iter().next().unwrap());
        assert_eq!(all.len(), 3000);
        assert_eq!(all[0].0, 1_751_371_200 * 1_000_000_000);

        let tcp443 = json!({"filters": [{"protocol": "TCP", "localPort": "443"}]});
        let some = read(shape(SAMPLE, &spec(tcp443, 100_000)).unwrap().remove(0));
        assert!(!some.is_empty() && some.len() < 3000, "{}", some.len());

        let cut = json!({"bytesToCapturePerPacket": 60, "totalBytesPerSession": 10_000});
        let file = shape(SAMPLE, &spec(cut, 100_000)).unwrap().remove(0);
        assert!(
            file.len() <= 10_000 && file.len() > 10_000 - 76,
            "{}",
            file.len()
        );
        let cut = read(file);
        assert!(cut.iter().all(|r| r.2 <= 60));
        assert!(cut.iter().any(|r| r.1 > 60), "original lengths are kept");

        let short = read(shape(SAMPLE, &spec(json!({}), 10)).unwrap().remove(0));
        let last = short.last().unwrap().0 - short[0].0;
        assert!(last < 10_000_000_000 && short.len() < 3000);
    }

    #[test]
    fn scale_set_instances_and_rolling_files() {
        assert_eq!(instances(&json!({}), 3), [Some(0), Some(1), Some(2)]);
        assert_eq!(
            instances(&json!({"include": ["0", "vmss1_2"]}), 4),
            [Some(0), Some(2)]
        );
        assert_eq!(instances(&json!({"exclude": ["1"]}), 3), [Some(0), Some(2)]);
        let mut s = spec(json!({}), 100_000);
        s.instance = Some((1, 4));
        assert_eq!(read(shape(SAMPLE, &s).unwrap().remove(0)).len(), 750);
        let rolling = json!({"continuousCapture": true,
            "captureSettings": {"fileSizeInBytes": 200_000, "fileCount": 3}});
        let files = shape(SAMPLE, &spec(rolling, 100_000)).unwrap();
        assert_eq!(files.len(), 3, "the last three files are kept");
        assert!(files.iter().all(|f| f.len() <= 200_000));
    }
}
