//! The query as written, rewritten where polars' SQL would surprise:
//!
//! - **Names.** A select item that is an expression, not a column, and has
//!   no `AS` is named by its own text with lowercase function names, as
//!   DuckDB and Spark name it: `min(ts)`, `max(ts)`, `count(*)`. (polars
//!   names an expression after the first column in it, so `min(ts),
//!   max(ts)` were two columns named `ts`, an error, and `COUNT(*)` was
//!   `len`.)
//! - **Aggregates without GROUP BY.** `SELECT proto, count(*) FROM flows`
//!   is an error, as in standard SQL (polars repeated the count on every
//!   row). A window aggregate (`count(*) OVER (...)`) is not an aggregate
//!   here.
//! - **Instants.** A text literal that is an RFC 3339 time with a zone
//!   (`'2023-11-14T22:20:00Z'`, `'...+01:00'`) compared with anything
//!   (`=`, `<`, `BETWEEN`, `IN`), a `TIMESTAMP '...'` literal, and
//!   `CAST('...' AS TIMESTAMP)` become a `TIMESTAMP` literal of the UTC
//!   wall-clock time, which polars compares with `ts` (see the module
//!   above for why the query sees UTC wall-clock times). A zone-less text
//!   literal compared with `ts` or `last_ts` is read as UTC, whichever side
//!   of the comparison it is on. `TIMESTAMP WITH TIME ZONE` is `TIMESTAMP`.

use std::ops::ControlFlow;

use nwcap_flows::schema::{Kind, column};
use sqlparser::ast::{
    BinaryOperator, DataType, Expr, Function, FunctionArguments, Ident, ObjectNamePart, OrderBy,
    OrderByKind, Query, Select, SelectItem, SetExpr, Statement, TimezoneInfo, TypedString, Value,
    Visit, VisitMut, Visitor, VisitorMut, visit_expressions_mut,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserOptions};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::error::{Error, Result};

/// Aggregate functions of polars' SQL (those that fold a group into one
/// value).
const AGGREGATES: &[&str] = &[
    "array_agg",
    "avg",
    "corr",
    "count",
    "covar",
    "covar_pop",
    "covar_samp",
    "first",
    "group_concat",
    "last",
    "listagg",
    "max",
    "median",
    "min",
    "quantile_cont",
    "quantile_disc",
    "stddev",
    "stddev_samp",
    "stdev",
    "stdev_samp",
    "string_agg",
    "sum",
    "total",
    "var",
    "var_samp",
    "variance",
];

/// `query` rewritten (see the module docs), as text for polars.
pub(super) fn rewrite(query: &str) -> Result<String> {
    let mut statements = Parser::new(&GenericDialect {})
        .with_options(ParserOptions::new().with_trailing_commas(true))
        .try_with_sql(query)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| Error::Sql(e.to_string()))?;
    let mut statement = match (statements.pop(), statements.is_empty()) {
        (Some(s @ Statement::Query(_)), true) => s,
        _ => {
            return Err(Error::Sql(
                "expected one SELECT query over the table flows".into(),
            ));
        }
    };
    if let ControlFlow::Break(e) = VisitMut::visit(&mut statement, &mut Selects) {
        return Err(e);
    }
    let _ = visit_expressions_mut(&mut statement, |e| {
        instants(e);
        ControlFlow::<()>::Continue(())
    });
    Ok(statement.to_string())
}

/// Names unnamed expressions and checks aggregates, in every SELECT of
/// the query (subqueries and CTEs included).
struct Selects;

impl VisitorMut for Selects {
    type Break = Error;

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<Error> {
        selects(&mut query.body)?;
        order_by_aliases(query);
        ControlFlow::Continue(())
    }
}

/// `ORDER BY count(*)` where the select list has `count(*) AS n` (or the
/// name given above): ordered by `n`, the column, as standard SQL reads it
/// (polars would compute the aggregate again, over the result).
fn order_by_aliases(query: &mut Query) {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return;
    };
    let aliases: Vec<(String, Ident)> = select
        .projection
        .iter()
        .filter_map(|item| match item {
            SelectItem::ExprWithAlias { expr, alias } => {
                default_name(expr).map(|name| (name, alias.clone()))
            }
            _ => None,
        })
        .collect();
    let Some(OrderBy {
        kind: OrderByKind::Expressions(keys),
        ..
    }) = query.order_by.as_mut()
    else {
        return;
    };
    for key in keys {
        let Some(name) = default_name(&key.expr) else {
            continue;
        };
        if let Some((_, alias)) = aliases.iter().find(|(n, _)| *n == name) {
            key.expr = Expr::Identifier(alias.clone());
        }
    }
}

fn selects(body: &mut SetExpr) -> ControlFlow<Error> {
    match body {
        SetExpr::Select(select) => {
            check_aggregates(select)?;
            name_expressions(select);
        }
        SetExpr::SetOperation { left, right, .. } => {
            selects(left)?;
            selects(right)?;
        }
        _ => {}
    }
    ControlFlow::Continue(())
}

fn name_expressions(select: &mut Select) {
    for item in &mut select.projection {
        if let SelectItem::UnnamedExpr(expr) = item
            && let Some(name) = default_name(expr)
        {
            *item = SelectItem::ExprWithAlias {
                expr: expr.clone(),
                alias: Ident::with_quote('"', name),
            };
        }
    }
}

/// The name of an unnamed select item; `None` for a column (polars names
/// it after the column, as everyone does).
fn default_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => None,
        Expr::Nested(inner) => default_name(inner),
        _ => {
            let mut named = expr.clone();
            let _ = visit_expressions_mut(&mut named, |e| {
                if let Expr::Function(f) = e {
                    for part in &mut f.name.0 {
                        if let ObjectNamePart::Identifier(id) = part {
                            id.value = id.value.to_lowercase();
                        }
                    }
                }
                ControlFlow::<()>::Continue(())
            });
            Some(named.to_string())
        }
    }
}

fn is_aggregate(f: &Function) -> bool {
    f.over.is_none()
        && !matches!(f.args, FunctionArguments::None)
        && f.name.0.len() == 1
        && f.name.0.iter().any(|p| match p {
            ObjectNamePart::Identifier(id) => {
                AGGREGATES.contains(&id.value.to_ascii_lowercase().as_str())
            }
            _ => false,
        })
}

/// Columns named outside aggregates, and whether there are aggregates,
/// in one select item (not looking into subqueries).
#[derive(Default)]
struct Refs {
    in_aggregate: usize,
    in_subquery: usize,
    aggregate: Option<String>,
    outside: Option<String>,
}

impl Visitor for Refs {
    type Break = ();

    fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
        self.in_subquery += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
        self.in_subquery -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        if self.in_subquery > 0 {
            return ControlFlow::Continue(());
        }
        match e {
            Expr::Function(f) if is_aggregate(f) => {
                self.in_aggregate += 1;
                if self.aggregate.is_none() {
                    self.aggregate = default_name(e);
                }
            }
            Expr::Identifier(id) if self.in_aggregate == 0 && self.outside.is_none() => {
                self.outside = Some(id.value.clone());
            }
            Expr::CompoundIdentifier(ids) if self.in_aggregate == 0 && self.outside.is_none() => {
                let names: Vec<&str> = ids.iter().map(|i| i.value.as_str()).collect();
                self.outside = Some(names.join("."));
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        if self.in_subquery == 0
            && let Expr::Function(f) = e
            && is_aggregate(f)
        {
            self.in_aggregate -= 1;
        }
        ControlFlow::Continue(())
    }
}

/// A SELECT with aggregates and no GROUP BY may not name other columns.
fn check_aggregates(select: &Select) -> ControlFlow<Error> {
    let grouped = match &select.group_by {
        sqlparser::ast::GroupByExpr::All(_) => true,
        sqlparser::ast::GroupByExpr::Expressions(e, _) => !e.is_empty(),
    };
    if grouped {
        return ControlFlow::Continue(());
    }
    let mut aggregate = None;
    let mut outside = None;
    for item in &select.projection {
        let expr = match item {
            SelectItem::UnnamedExpr(e)
            | SelectItem::ExprWithAlias { expr: e, .. }
            | SelectItem::ExprWithAliases { expr: e, .. } => e,
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => {
                outside.get_or_insert_with(|| "*".to_string());
                continue;
            }
        };
        let mut refs = Refs::default();
        let _ = expr.visit(&mut refs);
        if aggregate.is_none() {
            aggregate = refs.aggregate;
        }
        if outside.is_none() {
            outside = refs.outside;
        }
    }
    match (aggregate, outside) {
        (Some(agg), Some(col)) => ControlFlow::Break(Error::Sql(format!(
            "column \"{col}\" must appear in GROUP BY or be used in an aggregate function \
             (the query has an aggregate, {agg}, and no GROUP BY)"
        ))),
        _ => ControlFlow::Continue(()),
    }
}

fn is_comparison(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::Eq
            | BinaryOperator::NotEq
            | BinaryOperator::Lt
            | BinaryOperator::LtEq
            | BinaryOperator::Gt
            | BinaryOperator::GtEq
            | BinaryOperator::Spaceship
    )
}

fn is_timestamp(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Timestamp(..) | DataType::Datetime(_) | DataType::TimestampNtz(_)
    )
}

/// True when `e` names a timestamp column of the flow table.
fn is_timestamp_column(e: &Expr) -> bool {
    let name = match e {
        Expr::Identifier(id) => &id.value,
        Expr::CompoundIdentifier(ids) => match ids.last() {
            Some(id) => &id.value,
            None => return false,
        },
        Expr::Nested(inner) => return is_timestamp_column(inner),
        _ => return false,
    };
    column(name).is_some_and(|c| c.kind == Kind::Timestamp)
}

fn timestamp_literal(precision: Option<u64>, wall: String) -> Expr {
    Expr::TypedString(TypedString {
        data_type: DataType::Timestamp(precision, TimezoneInfo::None),
        value: Value::SingleQuotedString(wall).with_empty_span(),
        uses_odbc_syntax: false,
    })
}

fn string_literal(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// A text literal compared with `other`, as a timestamp literal when it
/// is one (see the module docs).
fn compared(lit: &mut Expr, other: &Expr) {
    let Some(s) = string_literal(lit) else { return };
    let wall = match utc_wall_clock(s) {
        Some(w) => w,
        None if is_timestamp_column(other) => match wall_clock(s) {
            Some(w) => w,
            None => return,
        },
        None => return,
    };
    *lit = timestamp_literal(None, wall);
}

fn instants(e: &mut Expr) {
    match e {
        Expr::BinaryOp { left, op, right } if is_comparison(op) => {
            compared(left, right);
            compared(right, left);
        }
        Expr::Between {
            expr, low, high, ..
        } => {
            compared(low, expr);
            compared(high, expr);
        }
        Expr::InList { expr, list, .. } => {
            for item in list {
                compared(item, expr);
            }
        }
        Expr::TypedString(t) if is_timestamp(&t.data_type) => {
            let precision = precision(&t.data_type);
            let text = match &t.value.value {
                Value::SingleQuotedString(s) => s.clone(),
                _ => return,
            };
            if let Some(wall) = utc_wall_clock(&text).or_else(|| wall_clock(&text)) {
                *e = timestamp_literal(precision, wall);
            } else {
                t.data_type = DataType::Timestamp(precision, TimezoneInfo::None);
            }
        }
        Expr::Cast {
            expr, data_type, ..
        } if is_timestamp(data_type) => {
            let precision = precision(data_type);
            let wall =
                string_literal(expr).and_then(|s| utc_wall_clock(s).or_else(|| wall_clock(s)));
            match wall {
                Some(wall) => *e = timestamp_literal(precision, wall),
                None => *data_type = DataType::Timestamp(precision, TimezoneInfo::None),
            }
        }
        _ => {}
    }
}

fn precision(t: &DataType) -> Option<u64> {
    match t {
        DataType::Timestamp(p, _) | DataType::Datetime(p) | DataType::TimestampNtz(p) => *p,
        _ => None,
    }
}

/// `YYYY-MM-DD HH:MM:SS.fffffffff`, what polars reads in a TIMESTAMP
/// literal.
fn format_wall(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:09}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond()
    )
}

/// An RFC 3339 time with a zone (`T` or a blank between date and time),
/// as the UTC wall-clock time.
fn utc_wall_clock(s: &str) -> Option<String> {
    let s = s.trim();
    let t = if s.get(10..11) == Some(" ") {
        OffsetDateTime::parse(&format!("{}T{}", &s[..10], &s[11..]), &Rfc3339)
    } else {
        OffsetDateTime::parse(s, &Rfc3339)
    }
    .ok()?;
    Some(format_wall(t.to_offset(UtcOffset::UTC)))
}

/// A zone-less `YYYY-MM-DD[ T]HH:MM:SS[.f]`, as is.
fn wall_clock(s: &str) -> Option<String> {
    let s = s.trim();
    let with_zone = match s.get(10..11) {
        Some(" " | "T" | "t") => format!("{}T{}Z", &s[..10], &s[11..]),
        _ => return None,
    };
    utc_wall_clock(&with_zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(q: &str) -> String {
        rewrite(q).unwrap_or_else(|e| panic!("{q}: {e}"))
    }

    #[test]
    fn instants_become_utc_timestamp_literals() {
        assert_eq!(
            utc_wall_clock("2023-11-14T23:20:00+01:00").as_deref(),
            Some("2023-11-14 22:20:00.000000000")
        );
        assert_eq!(
            utc_wall_clock("2023-11-14 22:20:00.5Z").as_deref(),
            Some("2023-11-14 22:20:00.500000000")
        );
        assert_eq!(utc_wall_clock("2023-11-14 22:20:00"), None);
        assert_eq!(utc_wall_clock("tcp"), None);
        assert_eq!(
            wall_clock("2023-11-14 22:20:00").as_deref(),
            Some("2023-11-14 22:20:00.000000000")
        );
        assert_eq!(
            rw("SELECT * FROM flows WHERE ts >= '2023-11-14T22:20:00Z'"),
            "SELECT * FROM flows WHERE ts >= TIMESTAMP '2023-11-14 22:20:00.000000000'"
        );
        assert_eq!(
            rw("SELECT * FROM flows WHERE '2023-11-14 22:20:00' < ts"),
            "SELECT * FROM flows WHERE TIMESTAMP '2023-11-14 22:20:00.000000000' < ts"
        );
        // Text compared with text stays text.
        assert_eq!(
            rw("SELECT * FROM flows WHERE proto = '2023-11-14 22:20:00'"),
            "SELECT * FROM flows WHERE proto = '2023-11-14 22:20:00'"
        );
        assert_eq!(
            rw("SELECT * FROM flows WHERE ts < CAST('2023-11-14T22:20:00Z' AS TIMESTAMP)"),
            "SELECT * FROM flows WHERE ts < TIMESTAMP '2023-11-14 22:20:00.000000000'"
        );
    }

    #[test]
    fn expressions_are_named_by_their_text() {
        assert_eq!(
            rw(
                "SELECT min(ts), MAX(ts), COUNT(*), proto, f.ts FROM flows AS f GROUP BY proto, f.ts"
            ),
            "SELECT min(ts) AS \"min(ts)\", MAX(ts) AS \"max(ts)\", COUNT(*) AS \"count(*)\", \
             proto, f.ts FROM flows AS f GROUP BY proto, f.ts"
        );
        assert_eq!(
            rw("SELECT count(*) AS n FROM flows"),
            "SELECT count(*) AS n FROM flows"
        );
        assert_eq!(
            rw("SELECT proto, COUNT(*) FROM flows GROUP BY proto ORDER BY count(*) DESC"),
            "SELECT proto, COUNT(*) AS \"count(*)\" FROM flows GROUP BY proto ORDER BY \"count(*)\" DESC"
        );
    }

    #[test]
    fn aggregates_without_group_by_name_no_other_column() {
        let err = rewrite("SELECT proto, COUNT(*) FROM flows")
            .expect_err("refused")
            .to_string();
        assert!(
            err.contains("column \"proto\" must appear in GROUP BY"),
            "{err}"
        );
        for ok in [
            "SELECT COUNT(*), min(ts) FROM flows",
            "SELECT proto, COUNT(*) FROM flows GROUP BY proto",
            "SELECT proto, COUNT(*) OVER (PARTITION BY proto) FROM flows",
            "SELECT sum(orig_bytes) + 1 FROM flows WHERE proto = 'tcp'",
            "SELECT (SELECT max(ts) FROM flows) AS m, uid FROM flows",
        ] {
            rw(ok);
        }
        assert!(rewrite("DROP TABLE flows").is_err());
        assert!(rewrite("SELECT 1; SELECT 2").is_err());
    }
}
