//! Plain-text table sized to a terminal.
//!
//! polars' own `fmt` feature elides rows and columns in ways we cannot
//! control (and would pull in more code), so the table is rendered here:
//! every row is printed, columns are sized to their widest value, and when
//! the total is wider than the terminal the renderer gives up width in a
//! fixed order: the gap between columns drops to one space, text columns
//! are cut to 16 characters with an ellipsis (widest first; an IPv4 address
//! stays whole), then trailing columns that would not fit even with cut
//! headers are left out (and named in a footer), then headers longer than
//! the numbers below them are cut (to 5 characters) as far as needed. Numbers and
//! timestamps are never cut, since a cut number reads as a different number.
//!
//! Widths are measured in a first pass and rows formatted again in the
//! second, so memory stays flat for a million-row table.

use std::io::{self, Write};

use polars::prelude::DataFrame;

use crate::cells::ColView;

/// Width used when neither the caller nor `$COLUMNS` gives one.
pub const DEFAULT_WIDTH: usize = 100;

/// Text columns are not cut below this many characters.
const MIN_TEXT: usize = 16;
/// Headers are not cut below this many characters.
const MIN_HEADER: usize = 5;
/// Space between columns (1 when the table is too wide).
const GAP: usize = 2;

/// `$COLUMNS` when it is a sensible number, else [`DEFAULT_WIDTH`].
pub(crate) fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|w| (20..=10_000).contains(w))
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
/// wider than its column is cut (text) or widens its line (numbers, which
/// are never cut).
pub(crate) struct Table {
    names: Vec<String>,
    numeric: Vec<bool>,
    layout: Layout,
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
        let layout = layout(&views, &names, df.height(), width);
        Table {
            numeric: views.iter().map(ColView::is_numeric).collect(),
            names,
            layout,
        }
    }

    fn gap(&self, i: usize) -> usize {
        if i == 0 { 0 } else { self.layout.gap }
    }

    /// The header and the rule under it.
    pub(crate) fn header(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut line = String::new();
        for (i, name) in self.names.iter().take(self.layout.widths.len()).enumerate() {
            let w = self.layout.widths[i];
            push_cell(&mut line, name, w, self.numeric[i], self.gap(i), true);
        }
        writeln!(out, "{}", line.trim_end())?;
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
                push_cell(&mut line, &cell, w, num, self.gap(i), !num);
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

fn layout(views: &[ColView], names: &[String], height: usize, width: usize) -> Layout {
    let mut cell = String::new();
    // Widest value per column (headers apart).
    let mut value_w = vec![0usize; views.len()];
    for (i, view) in views.iter().enumerate() {
        for row in 0..height {
            view.format(row, &mut cell);
            value_w[i] = value_w[i].max(cell.chars().count());
        }
    }
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
    // 2: cut text columns, widest first, down to MIN_TEXT (an IPv4 address
    // or a service name stays whole).
    shrink(&mut widths, fits, |i, w| {
        views[i].is_text() && w[i] > MIN_TEXT
    });
    // 3: leave out trailing columns that would not fit even with every
    // header cut (always show at least one)...
    let header_min = |i: usize, w: &[usize]| {
        if views[i].is_text() {
            w[i]
        } else {
            w[i].min(value_w[i].max(MIN_HEADER))
        }
    };
    let mut hidden = Vec::new();
    loop {
        let min: Vec<usize> = (0..widths.len()).map(|i| header_min(i, &widths)).collect();
        if widths.len() <= 1 || fits(&min) {
            break;
        }
        widths.pop();
        hidden.push(names[widths.len()].clone());
    }
    // 4: ...then cut headers longer than the values below them, only as
    // far as needed.
    shrink(&mut widths, fits, |i, w| {
        !views[i].is_text() && w[i] > value_w[i].max(MIN_HEADER)
    });
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
