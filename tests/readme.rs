//! README's examples are real: every `$ nwcap ...` line of a `console`
//! block that reads only files shipped in `testdata/` (info, flows, top,
//! filter) is run, in a terminal 140 columns wide, and must print exactly
//! the output shown under it. Commands on other files (the shared corpus,
//! the 1.1 GB benchmark file, Azure) are left to their own tests.
//!
//! The column reference between `<!-- columns:begin -->` and
//! `<!-- columns:end -->` must be what the column table renders.
//!
//! `NWCAP_BLESS=1 cargo test --test tests readme` rewrites README.md with
//! what nwcap prints (review the diff before committing it).

use std::path::{Path, PathBuf};
use std::process::Command;

/// One example: the command line (without `$ `) and the output shown.
struct Example {
    line: String,
    shown: String,
    /// Byte range of `shown` in README.
    at: std::ops::Range<usize>,
}

fn bless() -> bool {
    std::env::var_os("NWCAP_BLESS").is_some_and(|v| v == "1")
}

fn examples(readme: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut in_console = false;
    let mut current: Option<Example> = None;
    let mut pos = 0;
    for line in readme.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        let line = line.strip_suffix('\n').unwrap_or(line);
        if !in_console {
            in_console = line.trim_end() == "```console";
            continue;
        }
        let end = line.trim_end() == "```";
        if end || line.starts_with("$ ") {
            out.extend(current.take());
        }
        if end {
            in_console = false;
        } else if let Some(cmd) = line.strip_prefix("$ ") {
            current = Some(Example {
                line: cmd.to_string(),
                shown: String::new(),
                at: pos..pos,
            });
        } else if let Some(ex) = current.as_mut() {
            ex.shown.push_str(line);
            ex.shown.push('\n');
            ex.at.end = start + line.len() + 1;
        }
    }
    out
}

/// Splits a command line as a shell would for these examples: blanks
/// separate words, single and double quotes group; `None` for lines a
/// plain argv cannot run (pipes, redirections, variables).
fn words(line: &str) -> Option<Vec<String>> {
    let line = match line.find("  #") {
        Some(i) => &line[..i],
        None => line,
    };
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_with(String::new).push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (None, '|' | '>' | '<' | '$' | '`' | ';' | '&') => return None,
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    if quote.is_some() {
        return None;
    }
    words.extend(word);
    Some(words)
}

/// The examples this test runs: offline subcommands whose capture
/// arguments all lie in `testdata/`.
fn runnable(root: &Path, w: &[String]) -> bool {
    let offline = matches!(
        w.get(1).map(String::as_str),
        Some("info" | "flows" | "top" | "filter")
    );
    let is_capture = |a: &String| {
        !a.starts_with('-')
            && [".pcap", ".pcapng", ".cap", ".gz"]
                .iter()
                .any(|e| a.ends_with(e))
    };
    let mut any = false;
    let mut all_shipped = true;
    let mut prev: Option<&String> = None;
    for a in w.iter().skip(2) {
        // The argument of -o/--output is an output, not an input.
        let is_output = prev.is_some_and(|p| p == "-o" || p == "--output");
        if is_capture(a) && !is_output {
            any = true;
            all_shipped &= a.starts_with("testdata/") && root.join(a).is_file();
        }
        prev = Some(a);
    }
    w.first().is_some_and(|c| c == "nwcap") && offline && any && all_shipped
}

#[cfg(unix)]
#[test]
fn readme_examples_on_testdata_print_what_readme_shows() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let dir = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(root.join("testdata"), dir.path().join("testdata"))
        .expect("symlink testdata");
    let mut ran = 0;
    let mut wrong = Vec::new();
    let mut blessed = readme.clone();
    for ex in examples(&readme).into_iter().rev() {
        let Some(w) = words(&ex.line) else { continue };
        if !runnable(&root, &w) {
            continue;
        }
        let out = Command::new(env!("CARGO_BIN_EXE_nwcap"))
            .args(&w[1..])
            .current_dir(dir.path())
            .env("COLUMNS", "140")
            .output()
            .expect("run nwcap");
        let mut got = String::from_utf8_lossy(&out.stdout).into_owned();
        got.push_str(&String::from_utf8_lossy(&out.stderr));
        ran += 1;
        if got.trim_end() != ex.shown.trim_end() {
            // Keep the blank lines that separated the example from the
            // next one.
            let mut text = got.trim_end().to_string();
            if !text.is_empty() {
                text.push('\n');
            }
            let blank = ex.shown.len() - ex.shown.trim_end_matches('\n').len();
            text.push_str(&"\n".repeat(blank.saturating_sub(1)));
            blessed.replace_range(ex.at.clone(), &text);
            wrong.push(format!(
                "$ {}\n--- README shows:\n{}--- nwcap printed:\n{got}",
                ex.line, ex.shown
            ));
        }
    }
    println!("{ran} README examples on testdata checked");
    if bless() && !wrong.is_empty() {
        std::fs::write(root.join("README.md"), blessed).expect("write README.md");
        println!("README.md rewritten: {} examples", wrong.len());
        return;
    }
    assert!(
        ran >= 5,
        "only {ran} README examples on testdata were found"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// README's column reference is the column table's.
#[test]
fn readme_column_reference_is_the_column_table() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let (begin, end) = ("<!-- columns:begin -->\n", "<!-- columns:end -->");
    let a = readme.find(begin).expect("columns:begin marker") + begin.len();
    let b = readme.find(end).expect("columns:end marker");
    let want = nwcap_flows::schema::reference_markdown();
    if readme[a..b] != want {
        if bless() {
            let mut new = readme.clone();
            new.replace_range(a..b, &want);
            std::fs::write(root.join("README.md"), new).expect("write README.md");
            return;
        }
        panic!(
            "README's column reference differs from the column table; run NWCAP_BLESS=1 cargo test --test tests readme"
        );
    }
}

#[test]
fn command_lines_split_like_a_shell() {
    assert_eq!(
        words(r#"nwcap flows a.pcap --sql "SELECT * FROM flows"  # note"#),
        Some(vec![
            "nwcap".to_string(),
            "flows".to_string(),
            "a.pcap".to_string(),
            "--sql".to_string(),
            "SELECT * FROM flows".to_string(),
        ])
    );
    assert_eq!(words("nwcap filter a.pcap -o - | tshark -r -"), None);
    assert_eq!(words("nwcap x 'unterminated"), None);
}

/// Every README example of an offline command (`info`, `flows`, `top`,
/// `filter`, also before a pipe) reads captures shipped in `testdata/`, so
/// a reader can run it; the one exception is the performance input
/// `synth.pcap`, which README says how to generate.
#[test]
fn readme_examples_read_shipped_captures() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let mut checked = 0;
    let mut missing = Vec::new();
    for ex in examples(&readme) {
        let first = ex.line.split('|').next().unwrap_or("");
        let Some(w) = words(first) else { continue };
        if w.first().map(String::as_str) != Some("nwcap") {
            continue;
        }
        let args: Vec<&String> = w[1..].iter().skip_while(|a| a.starts_with('-')).collect();
        if !matches!(
            args.first().map(|a| a.as_str()),
            Some("info" | "flows" | "top" | "filter")
        ) {
            continue;
        }
        checked += 1;
        let mut prev: Option<&String> = None;
        for a in &args[1..] {
            let is_output = prev.is_some_and(|p| *p == "-o" || *p == "--output");
            let capture = [".pcap", ".pcapng", ".cap", ".gz"]
                .iter()
                .any(|e| a.ends_with(e));
            if capture
                && !is_output
                && !a.starts_with('-')
                && a.as_str() != "synth.pcap"
                && !(a.starts_with("testdata/") && root.join(a).is_file())
            {
                missing.push(format!("{a} in: {}", ex.line));
            }
            prev = Some(a);
        }
    }
    assert!(checked >= 10, "only {checked} examples found");
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// The one-line `sh` examples of offline commands on `testdata/` run and
/// exit 0 (their output is not shown, so only the run is checked).
#[cfg(unix)]
#[test]
fn readme_sh_examples_on_testdata_run() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let dir = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(root.join("testdata"), dir.path().join("testdata"))
        .expect("symlink testdata");
    let mut in_sh = false;
    let mut ran = 0;
    let mut failed = Vec::new();
    for line in readme.lines() {
        if !in_sh {
            in_sh = line.trim_end() == "```sh";
            continue;
        }
        if line.trim_end() == "```" {
            in_sh = false;
            continue;
        }
        let Some(w) = words(line) else { continue };
        if !runnable(&root, &w) {
            continue;
        }
        let out = Command::new(env!("CARGO_BIN_EXE_nwcap"))
            .args(&w[1..])
            .current_dir(dir.path())
            .output()
            .expect("run nwcap");
        ran += 1;
        if !out.status.success() {
            failed.push(format!("{line}\n{}", String::from_utf8_lossy(&out.stderr)));
        }
    }
    assert!(ran >= 6, "only {ran} sh examples on testdata found");
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
