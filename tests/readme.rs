//! README's examples are real: every `$ nwcap ...` line of a `console`
//! block that reads only files shipped in `testdata/` (info, flows, top,
//! filter) is run, in a terminal 140 columns wide, and must print exactly
//! the output shown under it. Commands on other files (the shared corpus,
//! the 1.1 GB benchmark file, Azure) are left to their own tests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One example: the command line (without `$ `) and the output shown.
struct Example {
    line: String,
    shown: String,
}

fn examples(readme: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut in_console = false;
    let mut current: Option<Example> = None;
    for line in readme.lines() {
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
            });
        } else if let Some(ex) = current.as_mut() {
            ex.shown.push_str(line);
            ex.shown.push('\n');
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
    for ex in examples(&readme) {
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
            wrong.push(format!(
                "$ {}\n--- README shows:\n{}--- nwcap printed:\n{got}",
                ex.line, ex.shown
            ));
        }
    }
    println!("{ran} README examples on testdata checked");
    assert!(
        ran >= 5,
        "only {ran} README examples on testdata were found"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
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
