//! Make text taken from packets or files safe to print on a terminal.

/// Replace control characters (terminal escape sequences included) with
/// `\xNN` escapes; printable text is unchanged.
pub fn terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            let n = c as u32;
            if n <= 0xFF {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_control_characters() {
        assert_eq!(super::terminal("a\x1b[31mb\n"), "a\\x1b[31mb\\x0a");
        assert_eq!(super::terminal("plain ünïcode"), "plain ünïcode");
    }
}
