//! One exit-status table for every command that reads captures (README,
//! "Exit status"): 0 everything read, 1 some input damaged or unreadable
//! (the rest still done), 2 nothing could be read or a usage error.

use std::process::Command;

/// Runs nwcap in the repository with `args` (OUT replaced by a file in a
/// temporary folder); its exit code.
fn code(args: &[&str]) -> i32 {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let args: Vec<String> = args
        .iter()
        .map(|a| match *a {
            "OUT" => out.display().to_string(),
            a => a.to_string(),
        })
        .collect();
    let o = Command::new(env!("CARGO_BIN_EXE_nwcap"))
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run nwcap");
    o.status.code().unwrap_or(-1)
}

/// Every command that reads captures, as `(name, args before the inputs,
/// args after)`.
const COMMANDS: &[Cmd] = &[
    ("info", &["info"], &[]),
    ("flows", &["flows"], &["-o", "OUT"]),
    ("top", &["top", "--by", "ports"], &["-o", "OUT"]),
    ("filter", &["filter"], &["-o", "OUT"]),
    ("report", &["report"], &["-o", "OUT"]),
];

type Cmd = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// The command line of `cmd` on `inputs` (`missing`: a file that does not
/// exist; `sample`: testdata/sample.pcap).
fn with(cmd: &Cmd, inputs: &[&str]) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = cmd.1.to_vec();
    for i in inputs {
        v.push(match *i {
            "missing" => "testdata/no-such-capture.pcap",
            "sample" => "testdata/sample.pcap",
            _ => unreachable!(),
        });
    }
    v.extend_from_slice(cmd.2);
    v
}

#[test]
fn every_command_exits_by_the_same_table() {
    for cmd in COMMANDS {
        let name = cmd.0;
        assert_eq!(code(&with(cmd, &["sample"])), 0, "{name}: all read");
        assert_eq!(
            code(&with(cmd, &["missing", "sample"])),
            1,
            "{name}: one unreadable of two"
        );
        assert_eq!(code(&with(cmd, &["missing"])), 2, "{name}: nothing read");
        let mut bad = with(cmd, &["sample"]);
        bad.push("--no-such-flag");
        assert_eq!(code(&bad), 2, "{name}: usage error");
    }
}
