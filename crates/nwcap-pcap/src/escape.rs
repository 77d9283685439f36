//! Escaping of strings that came off the wire, for media that interpret them.
//!
//! DNS names, TLS SNI and HTTP Host headers are attacker-chosen bytes. In a
//! terminal, control characters (ESC sequences, carriage returns) can rewrite
//! what the analyst sees; bidirectional overrides can reorder it. In a
//! spreadsheet, a cell starting with `=`, `+`, `-` or `@` is a formula. So
//! the human table and CSV escape, while JSON and Parquet keep values exact
//! (their consumers are programs, and JSON escapes control characters
//! itself). Backslashes are left alone: the escaped form is for reading, and
//! the exact value is one `--format json` away. An HTML page (`nwcap
//! report`) shows the terminal-escaped form, HTML-escaped by its template
//! engine: an invisible or bidirectional character would spoof a web page
//! as well as a terminal.
//!
//! They live here, in the crate every reader of captures depends on, so
//! that the polars writers (`nwcap-summary`) and the HTML report
//! (`nwcap-report`) share one owner.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for characters that must not reach a terminal raw.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}' // zero-width space/joiners, LRM/RLM
                | '\u{2028}'..='\u{202e}' // line/paragraph separators, bidi embeddings/overrides
                | '\u{2060}'..='\u{2069}' // word joiner, invisible operators, bidi isolates
                | '\u{feff}' // zero-width no-break space (BOM)
        )
}

/// Escape terminal control characters: C0/C1 controls and DEL become
/// `\xNN`, invisible and bidirectional formatting characters `\u{NNNN}`.
/// Other text (including non-ASCII letters) is kept.
pub fn escape_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !needs_escape(c) {
            out.push(c);
        } else if (c as u32) < 0x100 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// Escape a CSV cell: terminal escaping, then a leading single quote when
/// the original value starts with a character a spreadsheet reads as a
/// formula (`=`, `+`, `-`, `@`, tab, carriage return, or their full-width
/// forms). CSV quoting itself is left to the CSV writer.
pub fn escape_csv_cell(s: &str) -> Cow<'_, str> {
    let formula = matches!(
        s.chars().next(),
        Some(
            '=' | '+' | '-' | '@' | '\t' | '\r' | '\u{ff1d}' | '\u{ff0b}' | '\u{ff0d}' | '\u{ff20}'
        )
    );
    let escaped = escape_terminal(s);
    if formula {
        Cow::Owned(format!("'{escaped}"))
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_controls_and_bidi() {
        assert_eq!(escape_terminal("example.com"), "example.com");
        assert!(matches!(escape_terminal("plain"), Cow::Borrowed(_)));
        assert_eq!(escape_terminal("a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(escape_terminal("x\r\ny\t"), "x\\x0d\\x0ay\\x09");
        assert_eq!(escape_terminal("del\x7f"), "del\\x7f");
        assert_eq!(escape_terminal("c1\u{9b}"), "c1\\x9b");
        assert_eq!(
            escape_terminal("evil\u{202e}gpj.exe"),
            "evil\\u{202e}gpj.exe"
        );
        assert_eq!(escape_terminal("bücher.de"), "bücher.de");
        assert_eq!(escape_terminal("a\\b"), "a\\b");
    }

    #[test]
    fn csv_prefixes_formulas() {
        assert_eq!(escape_csv_cell("=1+2"), "'=1+2");
        assert_eq!(escape_csv_cell("+cmd"), "'+cmd");
        assert_eq!(escape_csv_cell("-2"), "'-2");
        assert_eq!(escape_csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(escape_csv_cell("\tx"), "'\\x09x");
        assert_eq!(escape_csv_cell("\rx"), "'\\x0dx");
        assert_eq!(escape_csv_cell("\u{ff1d}1"), "'\u{ff1d}1");
        assert_eq!(escape_csv_cell("a=b"), "a=b");
        assert_eq!(escape_csv_cell(""), "");
        assert_eq!(escape_csv_cell("x\x1by"), "x\\x1by");
    }
}
