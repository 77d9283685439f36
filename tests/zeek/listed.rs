//! The list of deliberate differences from Zeek: the table in
//! `docs/zeek-differences.md`, one row per difference (or group of them,
//! with `*` for "any").

use super::compare::Difference;

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Listed {
    pub trace: String,
    pub connection: String,
    pub field: String,
    pub zeek: String,
    pub nwcap: String,
    pub reason: String,
    /// Line in the file, for reports.
    pub line: usize,
}

const HEADER: [&str; 6] = ["trace", "connection", "field", "zeek", "nwcap", "reason"];

fn cells(line: &str) -> Option<Vec<String>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    Some(
        inner
            .split('|')
            .map(|c| c.trim().trim_matches('`').to_string())
            .collect(),
    )
}

/// Parses the table: the rows after the header line whose cells are
/// [`HEADER`] (and its `|---|` separator), up to the first line that is
/// not a table row.
pub fn parse(text: &str) -> Result<Vec<Listed>, String> {
    let mut out = Vec::new();
    let mut in_table = false;
    for (i, line) in text.lines().enumerate() {
        let Some(c) = cells(line) else {
            if in_table {
                break;
            }
            continue;
        };
        if !in_table {
            in_table = c == HEADER;
            continue;
        }
        if c.iter().all(|x| x.chars().all(|ch| ch == '-' || ch == ':')) {
            continue;
        }
        if c.len() != HEADER.len() {
            return Err(format!(
                "line {}: {} cells, want {}",
                i + 1,
                c.len(),
                HEADER.len()
            ));
        }
        if c[5].is_empty() {
            return Err(format!("line {}: no reason given", i + 1));
        }
        let [trace, connection, field, zeek, nwcap, reason] =
            <[String; 6]>::try_from(c).map_err(|_| format!("line {}", i + 1))?;
        out.push(Listed {
            trace,
            connection,
            field,
            zeek,
            nwcap,
            reason,
            line: i + 1,
        });
    }
    if !in_table {
        return Err(format!("no table with the header {HEADER:?}"));
    }
    Ok(out)
}

/// `*` matches anything, `text*` anything that starts with `text`.
fn fits(pattern: &str, value: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => pattern == value,
    }
}

impl Listed {
    /// True when this row covers `d`.
    pub fn covers(&self, d: &Difference) -> bool {
        self.trace == d.trace
            && fits(&self.connection, &d.connection)
            && fits(&self.field, &d.field)
            && fits(&self.zeek, &d.zeek)
            && fits(&self.nwcap, &d.nwcap)
    }

    /// A row that takes a whole trace out of scope.
    pub fn whole_trace(&self) -> bool {
        self.connection == "*" && self.field == "*"
    }

    /// A row whose reason says the connections it covers are outside what
    /// nwcap compares with Zeek (they count apart in the agreement).
    pub fn out_of_scope(&self) -> bool {
        self.whole_trace() || self.reason.starts_with("Out of scope")
    }
}

/// A difference as a table row (what to add when it is deliberate).
pub fn row(d: &Difference) -> String {
    format!(
        "| {} | {} | {} | `{}` | `{}` | ... |",
        d.trace, d.connection, d.field, d.zeek, d.nwcap
    )
}

#[test]
fn rows_and_wildcards() {
    let text = "intro\n\n| trace | connection | field | zeek | nwcap | reason |\n|---|---|---|---|---|---|\n| t | * | duration | `1.0` | * | because |\n\nafter\n";
    let rows = parse(text).expect("table");
    assert_eq!(rows.len(), 1);
    let d = Difference {
        trace: "t".into(),
        connection: "tcp a > b".into(),
        field: "duration".into(),
        zeek: "1.0".into(),
        nwcap: "2.0".into(),
    };
    assert!(rows[0].covers(&d));
    assert!(!rows[0].covers(&Difference {
        zeek: "1.1".into(),
        ..d.clone()
    }));
    assert!(fits("udp *", "udp 1.2.3.4:5 > 6.7.8.9:10"));
    assert!(!fits("udp *", "tcp 1.2.3.4:5 > 6.7.8.9:10"));
    assert!(parse("| trace | connection | field | zeek | nwcap | reason |\n|--|--|--|--|--|--|\n| t | * | * | * | * | |\n").is_err());
}
