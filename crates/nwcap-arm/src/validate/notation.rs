//! The API's filter notation, checked as typed.
//!
//! `PacketCaptureFilter` documents its address and port fields as `"80"`
//! for one entry, `"80-85"` for a range, `"80;443;"` for several entries,
//! and says: "Multiple ranges not currently supported. Mixing ranges with
//! multiple entries not currently supported." nwcap sends the user's text
//! as typed (the service, not nwcap, decides what it means), so those two
//! rules are errors here, before anything is sent. Notation that
//! `nwcap-filter` reads but the API does not document (CIDR prefixes, `,`
//! or blanks between entries) is sent as typed with a warning that gives
//! the same set in the documented notation.

use super::{ValidationError, bad};

/// The rule's words, quoted in messages.
const MULTIPLE_RANGES: &str = "\"Multiple ranges not currently supported\"";
const MIXING: &str = "\"Mixing ranges with multiple entries not currently supported\"";
const DOCUMENTED: &str = "one entry (80), one range (80-85) or a list (80;443)";

/// One entry as written, and whether it is a range (`a-b`, or a prefix).
struct Entry<'a> {
    text: &'a str,
    range: bool,
    prefix: bool,
}

/// Splits like `nwcap-filter` reads: `;` and `,` separate entries, blanks
/// separate entries too unless they surround a dash (`80 - 85`).
fn entries(text: &str) -> Vec<Entry<'_>> {
    let mut out = Vec::new();
    for piece in text.split([';', ',']) {
        let words: Vec<&str> = piece.split_whitespace().collect();
        let mut i = 0;
        while i < words.len() {
            let w = words[i];
            let joins_next =
                w.ends_with('-') || words.get(i + 1).is_some_and(|n| n.starts_with('-'));
            if joins_next && i + 1 < words.len() {
                // `80 -85`, `80- 85` or `80 - 85`: one range spread over words.
                let mut j = i + 1;
                if words[j] == "-" && j + 1 < words.len() {
                    j += 1;
                }
                let start = offset(piece, w);
                let end = offset(piece, words[j]) + words[j].len();
                out.push(Entry {
                    text: piece.get(start..end).unwrap_or(w),
                    range: true,
                    prefix: false,
                });
                i = j + 1;
                continue;
            }
            out.push(Entry {
                text: w,
                range: w.contains('-') || w.contains('/'),
                prefix: w.contains('/'),
            });
            i += 1;
        }
    }
    out
}

/// Byte offset of `part` (a subslice) in `whole`.
fn offset(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

/// Checks one address or port field as typed. `label` names it in
/// messages (`--local-port`, `filters[1].localPort`), `flag` is the option
/// the error is charged to, `json_field` the API's name for it. Returns the
/// warnings for notation the API does not document.
pub fn check_field(
    flag: &'static str,
    label: &str,
    json_field: &'static str,
    text: &str,
    addresses: bool,
) -> Result<Vec<String>, ValidationError> {
    let all = entries(text);
    let ranges: Vec<&str> = all.iter().filter(|e| e.range).map(|e| e.text).collect();
    // The error is printed as `FLAG: MESSAGE`: name the field only when it is not the flag.
    let subject = if label == flag {
        format!("{text:?}")
    } else {
        format!("{label} {text:?}")
    };
    if ranges.len() > 1 {
        return Err(bad(
            flag,
            format!(
                "{subject} has {} ranges ({}); the API's {json_field} takes one: {MULTIPLE_RANGES}",
                ranges.len(),
                ranges.join(", ")
            ),
        ));
    }
    if ranges.len() == 1 && all.len() > 1 {
        return Err(bad(
            flag,
            format!(
                "{subject} mixes the range {} with other entries; the API's {json_field} does not: {MIXING}",
                ranges[0]
            ),
        ));
    }
    let mut warnings = Vec::new();
    let same = || {
        if addresses {
            nwcap_filter::AddrSet::parse(json_field, text)
                .map(|s| s.to_string())
                .ok()
        } else {
            nwcap_filter::PortSet::parse(json_field, text)
                .map(|s| s.to_string())
                .ok()
        }
    };
    if all.iter().any(|e| e.prefix) {
        warnings.push(format!(
            "{label} {text:?}: a CIDR prefix is not in the API's notation ({DOCUMENTED}); \
             it is sent as typed and the service may refuse it; the same addresses as a range: {}",
            same().unwrap_or_default()
        ));
    }
    let separators = text.contains(',')
        || text
            .split(';')
            .any(|p| p.split_whitespace().count() > 1 && !p.contains('-'));
    if separators {
        warnings.push(format!(
            "{label} {text:?}: the API separates entries with ';' ({DOCUMENTED}); \
             it is sent as typed and the service may refuse it; in the API's notation: {}",
            same().unwrap_or_default()
        ));
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<Vec<String>, ValidationError> {
        check_field("--local-port", "--local-port", "localPort", text, false)
    }

    fn check_ip(text: &str) -> Result<Vec<String>, ValidationError> {
        check_field("--local-ip", "--local-ip", "localIPAddress", text, true)
    }

    #[test]
    fn documented_forms_pass_without_warnings() {
        for ok in ["80", "80-85", "80;443", "80;443;", "80 - 85", "80- 85"] {
            assert_eq!(check(ok).expect(ok), Vec::<String>::new(), "{ok}");
        }
        assert!(check_ip("10.0.0.1;10.0.0.5").expect("list").is_empty());
        assert!(check_ip("127.0.0.1-127.0.0.255").expect("range").is_empty());
    }

    #[test]
    fn several_ranges_and_mixes_are_refused_citing_the_rule() {
        let e = check("80-85;90-95").expect_err("two ranges");
        assert_eq!(e.flag, "--local-port");
        assert_eq!(
            e.to_string(),
            "--local-port: \"80-85;90-95\" has 2 ranges (80-85, 90-95); the API's localPort takes one: \"Multiple ranges not currently supported\""
        );
        assert!(e.message.contains(MULTIPLE_RANGES), "{e}");
        let e = check_ip("10.0.0.1;10.0.0.5-10.0.0.9").expect_err("mix");
        assert!(
            e.message.contains("mixes the range 10.0.0.5-10.0.0.9"),
            "{e}"
        );
        assert!(e.message.contains(MIXING), "{e}");
        let e = check_ip("10.0.0.0/24;10.0.1.1").expect_err("prefix counts as a range");
        assert!(e.message.contains(MIXING), "{e}");
    }

    #[test]
    fn undocumented_notation_warns_with_the_documented_equivalent() {
        let w = check_ip("10.0.0.0/24").expect("one prefix");
        assert_eq!(w.len(), 1);
        assert!(
            w[0].ends_with("the same addresses as a range: 10.0.0.0-10.0.0.255"),
            "{w:?}"
        );
        let w = check("443,80").expect("commas");
        assert_eq!(w.len(), 1);
        assert!(w[0].ends_with("in the API's notation: 80;443"), "{w:?}");
        let w = check("80 443").expect("blanks");
        assert_eq!(w.len(), 1);
    }
}
