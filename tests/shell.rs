//! `nwcap completions` and `nwcap man`: the bash script completes in a real
//! bash, the other shells' scripts name the same commands and flags (and
//! pass their shell's syntax check where that shell is installed), the man
//! pages render with groff without a warning.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn nwcap(args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_nwcap"))
        .args(args)
        .output()
        .expect("run nwcap");
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn has(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What bash's completion function offers for the words of `line` (the
/// last word being completed).
fn bash_complete(script: &Path, line: &[&str]) -> Vec<String> {
    let words = line
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let prog = format!(
        "source '{}'; COMP_WORDS=({words}); COMP_CWORD={}; COMP_LINE='{}'; COMP_POINT=${{#COMP_LINE}}; \
         _nwcap nwcap '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        line.len() - 1,
        line.join(" "),
        line[line.len() - 1],
        line[line.len() - 2],
    );
    let o = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &prog])
        .output()
        .expect("run bash");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_subcommands_and_flags() {
    if !has("bash") {
        println!("SKIPPED: bash is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("nwcap.bash");
    let s = script.display().to_string();
    nwcap(&["completions", "bash", "-o", &s]);
    let subs = bash_complete(&script, &["nwcap", "f"]);
    for want in ["fetch", "filter", "flows"] {
        assert!(subs.iter().any(|w| w == want), "{want} in {subs:?}");
    }
    assert!(!subs.iter().any(|w| w == "info"), "{subs:?}");
    let flags = bash_complete(&script, &["nwcap", "flows", "--li"]);
    assert_eq!(flags, ["--limit"]);
    let formats = bash_complete(&script, &["nwcap", "flows", "--format", "z"]);
    assert_eq!(formats, ["zeek", "zeek-json"]);
}

#[test]
fn every_shell_gets_a_script_naming_the_commands() {
    for (shell, checker) in [
        ("bash", Some("bash")),
        ("zsh", Some("zsh")),
        ("fish", Some("fish")),
        ("powershell", None),
        ("elvish", None),
    ] {
        let text = String::from_utf8(nwcap(&["completions", shell]).stdout).expect("utf-8");
        for word in ["flows", "filter", "capture", "limit", "completions"] {
            assert!(text.contains(word), "{shell}: {word}");
        }
        match checker {
            Some(sh) if has(sh) => {
                let dir = tempfile::tempdir().expect("tempdir");
                let path = dir.path().join("script");
                std::fs::write(&path, &text).expect("write");
                let o = Command::new(sh)
                    .arg("-n")
                    .arg(&path)
                    .output()
                    .expect("run shell");
                assert!(
                    o.status.success(),
                    "{shell}: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
            }
            Some(sh) => println!("SKIPPED: {sh} -n syntax check ({sh} is not installed)"),
            None => {}
        }
    }
    let o = Command::new(env!("CARGO_BIN_EXE_nwcap"))
        .args(["completions", "tcsh"])
        .output()
        .expect("run nwcap");
    assert_eq!(o.status.code(), Some(2));
}

/// groff's rendering of a man page, UTF-8 input read as man-db reads it
/// (`-k`: preconv), as plain text (no bold or underline overstrikes), with
/// its warnings (`-ww`).
fn groff(page: &[u8]) -> (String, String) {
    let mut child = Command::new("groff")
        .args(["-k", "-man", "-Tutf8", "-ww", "-P-c", "-P-b", "-P-u"])
        .env("MANWIDTH", "100")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run groff");
    let mut stdin = child.stdin.take().expect("stdin");
    std::io::Write::write_all(&mut stdin, page).expect("feed groff");
    drop(stdin);
    let o = child.wait_with_output().expect("groff");
    assert!(o.status.success());
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn man_pages_cover_every_subcommand_and_render() {
    let page = nwcap(&["man"]).stdout;
    let text = String::from_utf8_lossy(&page);
    assert!(text.contains(".TH nwcap 1"), "{text}");
    for sub in [
        "capture", "info", "fetch", "filter", "flows", "top", "report", "man",
    ] {
        assert!(text.contains(sub), "{sub}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("man1");
    nwcap(&["man", "-o", &d.display().to_string()]);
    let mut names: Vec<String> = std::fs::read_dir(&d)
        .expect("man1")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for want in [
        "nwcap.1",
        "nwcap-flows.1",
        "nwcap-top.1",
        "nwcap-capture-start.1",
        "nwcap-completions.1",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    if !has("groff") {
        println!("SKIPPED: rendering the pages (groff is not installed)");
        return;
    }
    for name in &names {
        let page = std::fs::read(d.join(name)).expect("page");
        let (out, warnings) = groff(&page);
        assert!(warnings.is_empty(), "{name}: {warnings}");
        assert!(out.contains("NAME"), "{name}: {out}");
    }
    let flows = std::fs::read(d.join("nwcap-flows.1")).expect("flows page");
    let (out, _) = groff(&flows);
    for flag in ["--limit", "--format", "--sql", "--output"] {
        assert!(out.contains(flag), "{flag} in nwcap-flows(1)");
    }
}
