//! Where a row of a dataset goes: its partition folder
//! (`source=<name>/date=<yyyy-mm-dd>/hour=<hh>`, Hive's layout) and the
//! names of its source's part files.

use std::path::{Path, PathBuf};

use nwcap_flows::Flow;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A partition column of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// The capture source (the `source` column, left out of the files).
    Source,
    /// The UTC day of the flow's `ts`, `yyyy-mm-dd`.
    Date,
    /// The UTC hour of the flow's `ts`, `00`..`23`.
    Hour,
}

impl Partition {
    /// The column's name (the folder's `name=`).
    pub fn name(self) -> &'static str {
        match self {
            Partition::Source => "source",
            Partition::Date => "date",
            Partition::Hour => "hour",
        }
    }

    /// The default partitioning: source, date, hour.
    pub fn default_list() -> Vec<Partition> {
        vec![Partition::Source, Partition::Date, Partition::Hour]
    }

    /// Parses `source,date,hour` (any subset, in the order wanted; `none`
    /// or an empty string for no partitions).
    pub fn parse_list(s: &str) -> Result<Vec<Partition>> {
        let s = s.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("none") {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim) {
            let p = match part {
                "source" => Partition::Source,
                "date" => Partition::Date,
                "hour" => Partition::Hour,
                _ => {
                    return Err(Error::InvalidPartition(format!(
                        "unknown partition column {part:?}: expected source, date, hour (comma-separated), or none"
                    )));
                }
            };
            if out.contains(&p) {
                return Err(Error::InvalidPartition(format!(
                    "partition column {part:?} given twice"
                )));
            }
            out.push(p);
        }
        Ok(out)
    }
}

/// A partition value as Hive and Spark write it in a folder name: the
/// characters Spark escapes (`ExternalCatalogUtils.escapePathName`:
/// control characters, `"#%'*/:=?\{[]^` and DEL) as `%XX`; an empty value
/// is `__HIVE_DEFAULT_PARTITION__`. Spark, pyarrow and DuckDB decode it.
pub fn escape_value(v: &str) -> String {
    if v.is_empty() {
        return "__HIVE_DEFAULT_PARTITION__".to_string();
    }
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        let escaped = matches!(
            c,
            '\u{0}'
                ..='\u{1f}'
                    | '"'
                    | '#'
                    | '%'
                    | '\''
                    | '*'
                    | '/'
                    | ':'
                    | '='
                    | '?'
                    | '\\'
                    | '\u{7f}'
                    | '{'
                    | '['
                    | ']'
                    | '^'
        );
        if escaped {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The partition folder (relative) of a flow of source `source`.
pub fn folder(parts: &[Partition], source: &str, flow: &Flow) -> PathBuf {
    let mut p = PathBuf::new();
    let mut when: Option<String> = None;
    for part in parts {
        let value = match part {
            Partition::Source => escape_value(source),
            Partition::Date | Partition::Hour => {
                let t = when.get_or_insert_with(|| nwcap_pcap::timefmt::utc(flow.ts, 0));
                match part {
                    Partition::Date => t.get(..10).unwrap_or_default().to_string(),
                    _ => t.get(11..13).unwrap_or_default().to_string(),
                }
            }
        };
        p.push(format!("{}={value}", part.name()));
    }
    p
}

/// The tag of a source's part files: 16 hex digits of SHA-256 of its
/// name. A run replaces the files with its sources' tags, and only them.
pub fn tag(source: &str) -> String {
    let d = Sha256::digest(source.as_bytes());
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Part file `n` of a source in a partition folder:
/// `part-<nnnnn>-<tag>.parquet`.
pub fn part_name(n: u32, tag: &str) -> String {
    format!("part-{n:05}-{tag}.parquet")
}

/// True when `file` is a part file of the source tagged `tag`, or a
/// temporary file one left behind.
pub fn is_own(file: &str, tag: &str) -> bool {
    let suffix = format!("-{tag}.parquet");
    let part = |s: &str| {
        s.strip_prefix("part-")
            .and_then(|r| r.strip_suffix(&suffix))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    if part(file) {
        return true;
    }
    // `.part-00000-<tag>.parquet.XXXXXX.tmp` (temporary, hidden).
    file.strip_prefix('.')
        .and_then(|r| r.strip_suffix(".tmp"))
        .and_then(|r| r.rsplit_once('.'))
        .is_some_and(|(name, _)| part(name))
}

/// The folder a source's files can be in: its `source=` folder when the
/// source is the first partition column, else the whole dataset.
pub fn scope(dir: &Path, parts: &[Partition], source: &str) -> PathBuf {
    match parts.first() {
        Some(Partition::Source) => dir.join(format!("source={}", escape_value(source))),
        _ => dir.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_as_spark_does() {
        assert_eq!(escape_value("vm1"), "vm1");
        assert_eq!(escape_value("rg2/vm1"), "rg2%2Fvm1");
        assert_eq!(escape_value("a=b:c%"), "a%3Db%3Ac%25");
        assert_eq!(escape_value("sp ace é"), "sp ace é");
        assert_eq!(escape_value(""), "__HIVE_DEFAULT_PARTITION__");
        assert_eq!(escape_value("\n"), "%0A");
    }

    #[test]
    fn partition_lists() {
        assert_eq!(
            Partition::parse_list("source,date,hour").expect("default"),
            Partition::default_list()
        );
        assert_eq!(
            Partition::parse_list("date").expect("date"),
            [Partition::Date]
        );
        assert!(Partition::parse_list("none").expect("none").is_empty());
        assert!(Partition::parse_list("proto").is_err());
        assert!(Partition::parse_list("date,date").is_err());
    }

    #[test]
    fn own_files_are_recognised_by_tag() {
        let t = tag("vm1");
        assert_eq!(t.len(), 16);
        assert_ne!(t, tag("vm2"));
        let name = part_name(3, &t);
        assert_eq!(name, format!("part-00003-{t}.parquet"));
        assert!(is_own(&name, &t));
        assert!(is_own(&format!(".{name}.a1B2c3.tmp"), &t));
        assert!(!is_own(&name, &tag("vm2")));
        assert!(!is_own(&format!("part--{t}.parquet"), &t));
        assert!(!is_own("_SUCCESS", &t));
        assert!(!is_own(&format!("x{name}"), &t));
    }
}
