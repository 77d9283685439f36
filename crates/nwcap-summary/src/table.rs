//! Plain-text table sized to a terminal.
//!
//! polars' own `fmt` feature elides rows and columns in ways we cannot
//! control (and would pull in more code), so the table is rendered here:
//! every row is printed, columns are sized to their widest value, and when
//! the total is wider than the terminal the renderer gives up width in a
//! fixed order:
//!
//! 1. the gap between columns drops to one space;
//! 2. text columns are cut to 16 characters with an ellipsis, widest first
//!    (never an IP address: a column whose values are all addresses is
//!    kept whole, IPv6 included);
//! 3. trailing columns that would not fit even with wrapped headers are
//!    left out, and named in a footer;
//! 4. headers longer than the values below them are wrapped, as far as
//!    needed, at their underscores (`orig_bytes` becomes `orig_` over
//!    `bytes`), on as many lines as it takes: a header is never cut, so it
//!    never reads as another column's prefix. A name without an underscore
//!    stays whole.
//!
//! Numbers, timestamps and addresses are never cut, since a cut value
//! reads as a different value; a later value wider than its column (the
//! table streams, its layout measured on the first rows) widens its line.
//!
//! The width is `$COLUMNS` when set, else the terminal's (standard output's,
//! through `terminal_size`), else 100.
//!
//! Widths are measured in a first pass and rows formatted again in the
//! second, so memory stays flat for a million-row table.

use std::io::{self, Write};
use std::net::IpAddr;

use polars::prelude::DataFrame;

use crate::cells::ColView;

/// Width used when neither the caller, `$COLUMNS` nor a terminal gives one.
pub const DEFAULT_WIDTH: usize = 100;

/// Text columns are not cut below this many characters.
const MIN_TEXT: usize = 16;
/// Space between columns (1 when the table is too wide).
const GAP: usize = 2;

/// A sensible width from `$COLUMNS` or the terminal.
fn sensible(w: usize) -> Option<usize> {
    (20..=10_000).contains(&w).then_some(w)
}

/// `$COLUMNS` when it is a sensible number, else the width of the terminal
/// standard output is, else [`DEFAULT_WIDTH`].
pub(crate) fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .and_then(sensible)
        .or_else(|| {
            terminal_size::terminal_size()
                .and_then(|(terminal_size::Width(w), _)| sensible(usize::from(w)))
        })
        .unwrap_or(DEFAULT_WIDTH)
}

struct Layout {
    /// Width of each shown column (a prefix of the frame's columns).
    widths: Vec<usize>,
    /// Spaces between columns.
    gap: usize,
    /// Names of the columns left out.
    hidden: Vec<String>,
}

/// Render `df` as a table at most `width` characters wide (values escaped
/// against terminal control characters; nulls as `-`).
pub fn render_table(df: &DataFrame, width: usize, out: &mut dyn Write) -> io::Result<()> {
    let t = Table::new(df, width);
    t.header(out)?;
    t.rows(df, out)?;
    t.footer(out)
}

/// A table whose layout is fixed by its first rows, so later rows can be
/// written as they come (`nwcap flows` streams its rows): a later value
/// wider than its column is cut (text) or widens its line (numbers and
/// addresses, which are never cut).
pub(crate) struct Table {
    names: Vec<String>,
    numeric: Vec<bool>,
    /// Never cut: numbers and address columns.
    whole: Vec<bool>,
    layout: Layout,
}

/// A header's pieces: the name cut after each underscore.
fn pieces(name: &str) -> Vec<&str> {
    name.split_inclusive('_').collect()
}

/// The widest piece of a header: the narrowest it can wrap to.
fn min_header(name: &str) -> usize {
    pieces(name)
        .iter()
        .map(|p| p.chars().count())
        .max()
        .unwrap_or(0)
}

/// `name` wrapped to lines of at most `w` characters, at underscores.
fn wrap(name: &str, w: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for p in pieces(name) {
        match lines.last_mut() {
            Some(l) if l.chars().count() + p.chars().count() <= w => l.push_str(p),
            _ => lines.push(p.to_string()),
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

impl Table {
    /// The layout of `df`'s columns, measured on its rows.
    pub(crate) fn new(df: &DataFrame, width: usize) -> Table {
        let views: Vec<ColView> = df.columns().iter().map(ColView::new).collect();
        let names: Vec<String> = df
            .get_column_names()
            .into_iter()
            .map(|n| crate::escape::escape_terminal(n).into_owned())
            .collect();
        let measured = measure(&views, df.height());
        let numeric: Vec<bool> = views.iter().map(ColView::is_numeric).collect();
        let whole: Vec<bool> = numeric
            .iter()
            .zip(&measured)
            .map(|(n, m)| *n || m.addresses)
            .collect();
        let layout = layout(&views, &names, &measured, &whole, width);
        Table {
            numeric,
            whole,
            names,
            layout,
        }
    }

    fn gap(&self, i: usize) -> usize {
        if i == 0 { 0 } else { self.layout.gap }
    }

    /// The header (on as many lines as its wrapped names need, aligned at
    /// the bottom) and the rule under it.
    pub(crate) fn header(&self, out: &mut dyn Write) -> io::Result<()> {
        let wrapped: Vec<Vec<String>> = self
            .layout
            .widths
            .iter()
            .zip(&self.names)
            .map(|(w, n)| wrap(n, *w))
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        let mut line = String::new();
        for row in 0..height {
            line.clear();
            for (i, lines) in wrapped.iter().enumerate() {
                let w = self.layout.widths[i];
                let text = (row + lines.len())
                    .checked_sub(height)
                    .and_then(|k| lines.get(k))
                    .map_or("", String::as_str);
                push_cell(&mut line, text, w, self.numeric[i], self.gap(i), false);
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        line.clear();
        for (i, w) in self.layout.widths.iter().enumerate() {
            push_cell(&mut line, &"-".repeat(*w), *w, false, self.gap(i), true);
        }
        writeln!(out, "{}", line.trim_end())
    }

    /// The rows of `df` (the columns the layout was made for).
    pub(crate) fn rows(&self, df: &DataFrame, out: &mut dyn Write) -> io::Result<()> {
        let shown = self.layout.widths.len();
        let views: Vec<ColView> = df.columns().iter().take(shown).map(ColView::new).collect();
        let mut line = String::with_capacity(256);
        let mut cell = String::new();
        for row in 0..df.height() {
            line.clear();
            for (i, view) in views.iter().enumerate() {
                view.format(row, &mut cell);
                let (w, num) = (self.layout.widths[i], view.is_numeric());
                push_cell(&mut line, &cell, w, num, self.gap(i), !self.whole[i]);
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }

    /// The note naming the columns left out, if any.
    pub(crate) fn footer(&self, out: &mut dyn Write) -> io::Result<()> {
        if !self.layout.hidden.is_empty() {
            writeln!(
                out,
                "({} more column(s) not shown: {}; use --columns or a wider terminal)",
                self.layout.hidden.len(),
                self.layout.hidden.join(", ")
            )?;
        }
        Ok(())
    }
}

/// What the rows of one column need.
struct Measured {
    /// Widest value.
    width: usize,
    /// Every value (at least one) is an IP address.
    addresses: bool,
}

fn measure(views: &[ColView], height: usize) -> Vec<Measured> {
    let mut cell = String::new();
    views
        .iter()
        .map(|view| {
            let mut m = Measured {
                width: 0,
                addresses: view.is_text(),
            };
            let mut any = false;
            for row in 0..height {
                view.format(row, &mut cell);
                m.width = m.width.max(cell.chars().count());
                if m.addresses && cell != crate::cells::NULL {
                    any = true;
                    m.addresses = cell.parse::<IpAddr>().is_ok();
                }
            }
            m.addresses &= any;
            m
        })
        .collect()
}

fn layout(
    views: &[ColView],
    names: &[String],
    measured: &[Measured],
    whole: &[bool],
    width: usize,
) -> Layout {
    let value_w: Vec<usize> = measured.iter().map(|m| m.width).collect();
    let mut widths: Vec<usize> = names
        .iter()
        .zip(&value_w)
        .map(|(n, v)| n.chars().count().max(*v).max(1))
        .collect();
    let mut gap = GAP;
    let total = |w: &[usize], gap: usize| w.iter().sum::<usize>() + gap * w.len().saturating_sub(1);

    // 1: one space between columns.
    if total(&widths, gap) > width {
        gap = 1;
    }
    let fits = |w: &[usize]| total(w, gap) <= width;
    // 2: cut text columns, widest first, down to MIN_TEXT (an address, a
    // service name, a wrapped header stay whole).
    let text_min = |i: usize| MIN_TEXT.max(min_header(&names[i]));
    shrink(&mut widths, fits, |i, w| {
        views[i].is_text() && !whole[i] && w[i] > text_min(i)
    });
    // 3: leave out trailing columns that would not fit even with every
    // header wrapped (always show at least one)...
    let narrowest = |i: usize, w: &[usize]| {
        let values = if views[i].is_text() && !whole[i] {
            value_w[i].min(MIN_TEXT)
        } else {
            value_w[i]
        };
        w[i].min(values.max(min_header(&names[i])).max(1))
    };
    let mut hidden = Vec::new();
    loop {
        let min: Vec<usize> = (0..widths.len()).map(|i| narrowest(i, &widths)).collect();
        if widths.len() <= 1 || fits(&min) {
            break;
        }
        widths.pop();
        hidden.push(names[widths.len()].clone());
    }
    // 4: ...then wrap headers longer than the values below them, only as
    // far as needed.
    shrink(&mut widths, fits, |i, w| w[i] > narrowest(i, w));
    if let [only] = widths.as_mut_slice() {
        *only = (*only).min(width).max(1);
    }
    hidden.reverse();
    Layout {
        widths,
        gap,
        hidden,
    }
}

/// Take one character at a time from the widest column that `can_shrink`
/// allows, until the table fits or nothing can shrink.
fn shrink(
    widths: &mut [usize],
    fits: impl Fn(&[usize]) -> bool,
    can_shrink: impl Fn(usize, &[usize]) -> bool,
) {
    while !fits(widths) {
        let widest = (0..widths.len())
            .filter(|&i| can_shrink(i, widths))
            .max_by_key(|&i| (widths[i], std::cmp::Reverse(i)));
        match widest {
            Some(i) => widths[i] -= 1,
            None => break,
        }
    }
}

/// Append `gap` spaces and `text` fitted to `w` characters, right-aligned
/// or not; when longer, cut with `…` if `cut` (a number in a row never is:
/// it widens the line instead).
fn push_cell(line: &mut String, text: &str, w: usize, right: bool, gap: usize, cut: bool) {
    line.extend(std::iter::repeat_n(' ', gap));
    let len = text.chars().count();
    if len > w && cut {
        line.extend(text.chars().take(w.saturating_sub(1)));
        line.push('…');
        return;
    }
    let pad = w.saturating_sub(len);
    if right {
        line.extend(std::iter::repeat_n(' ', pad));
        line.push_str(text);
    } else {
        line.push_str(text);
        line.extend(std::iter::repeat_n(' ', pad));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_wrap_at_underscores_and_are_never_cut() {
        assert_eq!(wrap("orig_bytes", 10), ["orig_bytes"]);
        assert_eq!(wrap("orig_bytes", 6), ["orig_", "bytes"]);
        assert_eq!(wrap("orig_wire_bytes", 10), ["orig_wire_", "bytes"]);
        assert_eq!(wrap("orig_wire_bytes", 5), ["orig_", "wire_", "bytes"]);
        // No underscore: whole, however narrow the column.
        assert_eq!(wrap("duration", 5), ["duration"]);
        assert_eq!(min_header("conn_state"), 5);
    }
}
