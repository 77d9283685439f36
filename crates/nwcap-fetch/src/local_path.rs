//! Mapping blob names to local paths without escaping the output folder.
//!
//! Blob names are chosen by whoever can write to the container, so they are
//! untrusted input: `../../.bashrc`, `/etc/passwd`, `C:\x`, `CON` or a NUL
//! byte must never turn into a write outside `-o DIR`. Names are checked
//! segment by segment against the rules of every platform nwcap runs on
//! (Windows being the strictest), so a capture folder fetched on Linux can
//! be copied to Windows unchanged.

use std::path::{Path, PathBuf};

/// Why a blob name cannot become a local path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsafe blob name '{name}': {reason}")]
pub struct UnsafeName {
    /// The blob name, with control characters escaped.
    pub name: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

const RESERVED: &[&str] = &["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"];

/// Local path of `blob_name` under `dir`, or why it is refused.
pub fn local_path(dir: &Path, blob_name: &str) -> Result<PathBuf, UnsafeName> {
    let fail = |reason| UnsafeName {
        name: blob_name.escape_debug().to_string(),
        reason,
    };
    if blob_name.is_empty() {
        return Err(fail("empty name"));
    }
    if blob_name.starts_with('/') {
        return Err(fail("absolute path"));
    }
    let mut out = dir.to_path_buf();
    for seg in blob_name.split('/') {
        check_segment(seg).map_err(fail)?;
        out.push(seg);
    }
    Ok(out)
}

fn check_segment(seg: &str) -> Result<(), &'static str> {
    match seg {
        "" => return Err("empty path segment"),
        "." | ".." => return Err("'.' or '..' segment"),
        _ => {}
    }
    if seg.chars().any(|c| c == '\0') {
        return Err("nul byte");
    }
    if seg.chars().any(char::is_control) {
        return Err("control character");
    }
    if seg.contains('\\') {
        return Err("backslash");
    }
    if seg.contains(':') {
        return Err("':' (drive letter or stream name)");
    }
    if seg
        .chars()
        .any(|c| matches!(c, '<' | '>' | '"' | '|' | '?' | '*'))
    {
        return Err("character not allowed on windows");
    }
    if seg.ends_with('.') || seg.ends_with(' ') {
        return Err("trailing dot or space");
    }
    let stem = seg.split('.').next().unwrap_or(seg).trim_end();
    let upper = stem.to_ascii_uppercase();
    let numbered = |p: &str| {
        upper.len() == 4
            && upper.starts_with(p)
            && upper[3..].chars().all(|c| c.is_ascii_digit() && c != '0')
    };
    if RESERVED.contains(&upper.as_str()) || numbered("COM") || numbered("LPT") {
        return Err("reserved device name on windows");
    }
    if seg.len() > 255 {
        return Err("segment longer than 255 bytes");
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_the_blob_path() {
        let p = local_path(
            Path::new("out"),
            "subscriptions/S/2025/01/31/packetcapture_16_39_41_077.cap",
        )
        .unwrap();
        assert_eq!(
            p,
            Path::new("out/subscriptions/S/2025/01/31/packetcapture_16_39_41_077.cap")
        );
        assert!(local_path(Path::new("o"), "a/.hidden/b..c.cap").is_ok());
    }

    #[test]
    fn refuses_hostile_names() {
        for bad in [
            "../x.cap",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            "C:/x.cap",
            "c:x",
            "a\\..\\b",
            "a/\0b",
            "CON",
            "nul.cap",
            "a/com1.txt",
            "LPT9",
            "a/b.",
            "a/b ",
            "a/b\n",
            "x?.cap",
            "",
            ".",
            "a/",
        ] {
            assert!(local_path(Path::new("o"), bad).is_err(), "{bad:?}");
        }
        assert!(local_path(Path::new("o"), "com0.cap").is_ok());
        assert!(local_path(Path::new("o"), "console.cap").is_ok());
    }

    #[test]
    fn error_message_escapes() {
        let e = local_path(Path::new("o"), "a\n../b").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unsafe blob name 'a\\n../b': control character"
        );
    }
}
