//! The list-and-range notation shared by address and port fields.
//!
//! The API documents `80`, `80-85` and `80;443;`. People also write
//! `80, 443`, `80 - 85`, `80 443` and `;`-terminated lists, so items are split
//! on `;`, `,` and blanks, and a dash joins the words on either side of it
//! (blanks around the dash allowed). A dash never occurs inside an IPv4 or
//! IPv6 address, so this is unambiguous. What an item means (port, address,
//! prefix) is decided by the caller; this module only finds the items and,
//! once they are values, sorts and merges them so that two sets with the same
//! members are equal and print the same way.

use crate::error::{FilterError, Reason};

/// One list item: `start` alone, or `start-end`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Item<'a> {
    /// The whole item as written, for error messages.
    pub text: &'a str,
    /// The first (or only) word.
    pub start: &'a str,
    /// The word after the dash, for a range.
    pub end: Option<&'a str>,
}

#[derive(Clone, Copy)]
enum Token {
    Word(usize, usize),
    Dash,
}

fn is_separator(c: char) -> bool {
    c == ';' || c == ',' || c.is_whitespace()
}

/// Splits one `;`/`,`-separated piece into words and dashes.
fn tokens(piece: &str, base: usize, out: &mut Vec<Token>) {
    let mut chars = piece.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        if c == '-' {
            out.push(Token::Dash);
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            if d == '-' || d.is_whitespace() {
                break;
            }
            end = j + d.len_utf8();
            chars.next();
        }
        out.push(Token::Word(base + i, base + end));
    }
}

/// The items of a field, in the order written.
///
/// Errors quote the malformed piece (`80-`, `-80`, `80-85-90`). An empty
/// field yields no items; callers decide whether that is allowed.
pub(crate) fn items<'a>(field: &'static str, text: &'a str) -> Result<Vec<Item<'a>>, FilterError> {
    let mut out = Vec::new();
    let mut toks = Vec::new();
    let mut base = 0;
    for piece in text.split([';', ',']) {
        toks.clear();
        tokens(piece, base, &mut toks);
        let piece_text = piece.trim_matches(is_separator);
        let mut i = 0;
        while i < toks.len() {
            match (toks[i], toks.get(i + 1), toks.get(i + 2)) {
                (Token::Word(s, e), Some(Token::Dash), Some(&Token::Word(s2, e2))) => {
                    if let Some(Token::Dash) = toks.get(i + 3) {
                        return Err(FilterError::new(field, piece_text, Reason::NotARange));
                    }
                    out.push(Item {
                        text: &text[s..e2],
                        start: &text[s..e],
                        end: Some(&text[s2..e2]),
                    });
                    i += 3;
                }
                (Token::Word(s, e), None | Some(Token::Word(..)), _) => {
                    out.push(Item {
                        text: &text[s..e],
                        start: &text[s..e],
                        end: None,
                    });
                    i += 1;
                }
                _ => return Err(FilterError::new(field, piece_text, Reason::NotARange)),
            }
        }
        base += piece.len() + 1;
    }
    Ok(out)
}

/// A value with a successor, so that adjacent ranges can be merged.
pub(crate) trait Succ: Copy + Ord {
    fn succ(self) -> Option<Self>;
}

impl Succ for u16 {
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
}

impl Succ for u32 {
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
}

impl Succ for u128 {
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
}

/// Sorts inclusive ranges and merges those that overlap or touch.
pub(crate) fn normalize<T: Succ>(ranges: &mut Vec<(T, T)>) {
    ranges.sort_unstable();
    let mut merged: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for &(s, e) in ranges.iter() {
        if let Some(last) = merged.last_mut() {
            // `None` means last.1 is the type's maximum: everything after touches it.
            if last.1.succ().is_none_or(|next| s <= next) {
                if e > last.1 {
                    last.1 = e;
                }
                continue;
            }
        }
        merged.push((s, e));
    }
    *ranges = merged;
}

/// Whether `x` is in sorted, disjoint, inclusive ranges.
///
/// The hot path: no allocation; a linear scan for the short lists filters
/// usually have, a binary search for long ones.
#[inline]
pub(crate) fn contains<T: Copy + Ord>(ranges: &[(T, T)], x: T) -> bool {
    if ranges.len() <= 8 {
        // `|` and `&` rather than `any`/`&&`: no early exit, no branch to
        // mispredict on packets that alternate between in and out.
        ranges
            .iter()
            .fold(false, |acc, &(s, e)| acc | ((s <= x) & (x <= e)))
    } else {
        // First range whose end is >= x; x is inside iff its start is <= x.
        let i = ranges.partition_point(|&(_, e)| e < x);
        ranges.get(i).is_some_and(|&(s, _)| s <= x)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<(&str, Option<&str>)> {
        items("f", text)
            .unwrap()
            .into_iter()
            .map(|i| (i.start, i.end))
            .collect()
    }

    #[test]
    fn separators_and_blanks() {
        assert_eq!(words("80"), [("80", None)]);
        assert_eq!(words("80;443;"), [("80", None), ("443", None)]);
        assert_eq!(words(" 80, 443 "), [("80", None), ("443", None)]);
        assert_eq!(words("80 443"), [("80", None), ("443", None)]);
        assert_eq!(words(";;80;;"), [("80", None)]);
        assert!(words("").is_empty());
        assert!(words(" ; , ").is_empty());
    }

    #[test]
    fn ranges_with_and_without_blanks() {
        assert_eq!(words("80-85"), [("80", Some("85"))]);
        assert_eq!(words("80 - 85"), [("80", Some("85"))]);
        assert_eq!(
            words("80-85;90 -95, 100"),
            [("80", Some("85")), ("90", Some("95")), ("100", None)]
        );
        let i = items("f", "a ; 1 -  2").unwrap();
        assert_eq!(i[1].text, "1 -  2");
    }

    #[test]
    fn dangling_dashes_are_errors_quoting_the_piece() {
        for bad in ["80-", "-80", "80-85-90", "80--85", "-", "1;  80- ;2"] {
            let e = items("localPort", bad).unwrap_err();
            assert_eq!(e.reason, Reason::NotARange, "{bad}");
            assert_eq!(e.field, "localPort");
        }
        let e = items("localPort", "1; 80- ;2").unwrap_err();
        assert_eq!(e.text, "80-");
    }

    #[test]
    fn normalize_merges_overlaps_and_neighbours() {
        let mut r: Vec<(u16, u16)> = vec![
            (90, 95),
            (80, 85),
            (86, 86),
            (84, 88),
            (65535, 65535),
            (0, 0),
        ];
        normalize(&mut r);
        assert_eq!(r, [(0, 0), (80, 88), (90, 95), (65535, 65535)]);
        let mut r: Vec<(u16, u16)> = vec![(0, 65535), (5, 6)];
        normalize(&mut r);
        assert_eq!(r, [(0, 65535)]);
    }

    #[test]
    fn contains_linear_and_binary() {
        let small: Vec<(u16, u16)> = vec![(1, 2), (10, 20)];
        assert!(contains(&small, 15));
        assert!(!contains(&small, 5));
        let big: Vec<(u16, u16)> = (0..100).map(|i| (i * 10, i * 10 + 2)).collect();
        assert!(contains(&big, 502));
        assert!(!contains(&big, 503));
        assert!(contains(&big, 0));
        assert!(!contains(&big, 9999));
    }
}
