//! SQL functions polars lacks, registered with its SQL context:
//! `date_trunc(unit, t)`, as in PostgreSQL and DuckDB (`unit` one of
//! microsecond, millisecond, second, minute, hour, day, week (from Monday),
//! month, quarter, year; plurals accepted), truncated by polars' own
//! `dt.truncate`.

use std::sync::Arc;

use polars::prelude::*;
use polars::sql::{FunctionOptions, FunctionRegistry};
use polars::time::prelude::PolarsTruncate;

/// The registry of nwcap's SQL functions.
#[derive(Default)]
pub(super) struct Functions;

const DATE_TRUNC: &str = "date_trunc";

impl FunctionRegistry for Functions {
    fn register(&mut self, name: &str, _fun: UserDefinedFunction) -> PolarsResult<()> {
        polars_bail!(InvalidOperation: "cannot register function {name}")
    }

    fn get_udf(&self, name: &str) -> PolarsResult<Option<UserDefinedFunction>> {
        Ok((name == DATE_TRUNC).then(|| {
            let mut f = UserDefinedFunction::new(DATE_TRUNC.into(), DateTrunc);
            f.options = FunctionOptions::elementwise();
            f
        }))
    }

    fn contains(&self, name: &str) -> bool {
        name == DATE_TRUNC
    }
}

/// `date_trunc(unit, t)`.
struct DateTrunc;

/// polars' duration string of a `date_trunc` unit.
fn every(unit: &str) -> Option<&'static str> {
    let unit = unit.trim().to_ascii_lowercase();
    Some(match unit.strip_suffix('s').unwrap_or(&unit) {
        "microsecond" => "1us",
        "millisecond" => "1ms",
        "second" => "1s",
        "minute" => "1m",
        "hour" => "1h",
        "day" => "1d",
        "week" => "1w",
        "month" => "1mo",
        "quarter" => "1q",
        "year" => "1y",
        _ => return None,
    })
}

const UNITS: &str =
    "microsecond, millisecond, second, minute, hour, day, week, month, quarter or year";

impl ColumnsUdf for DateTrunc {
    fn call_udf(&self, s: &mut [Column]) -> PolarsResult<Column> {
        let [unit, t] = s else {
            polars_bail!(InvalidOperation: "date_trunc takes 2 arguments: date_trunc('minute', ts)")
        };
        let unit = match unit.dtype() {
            DataType::String => unit.str()?.get(0).map(str::to_string),
            _ => None,
        };
        let Some(unit) = unit else {
            polars_bail!(InvalidOperation: "date_trunc: the unit must be a text literal ({UNITS})")
        };
        let Some(every) = every(&unit) else {
            polars_bail!(InvalidOperation: "date_trunc: unknown unit '{unit}': expected {UNITS}")
        };
        let every = StringChunked::from_slice(PlSmallStr::EMPTY, &[every]);
        let name = t.name().clone();
        let out = match t.dtype() {
            DataType::Datetime(..) => t.datetime()?.truncate(None, &every)?.into_column(),
            DataType::Date => t.date()?.truncate(None, &every)?.into_column(),
            other => {
                polars_bail!(InvalidOperation: "date_trunc needs a timestamp or a date, not {other}")
            }
        };
        Ok(out.with_name(name))
    }
}

impl AnonymousColumnsUdf for DateTrunc {
    fn as_column_udf(self: Arc<Self>) -> Arc<dyn ColumnsUdf> {
        self
    }

    fn deep_clone(self: Arc<Self>) -> Arc<dyn AnonymousColumnsUdf> {
        self
    }

    fn get_field(&self, _input_schema: &Schema, fields: &[Field]) -> PolarsResult<Field> {
        match fields {
            [_, t] => Ok(t.clone()),
            _ => {
                polars_bail!(InvalidOperation: "date_trunc takes 2 arguments: date_trunc('minute', ts)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::every;

    #[test]
    fn units_map_to_polars_durations() {
        assert_eq!(every("minute"), Some("1m"));
        assert_eq!(every(" Hours "), Some("1h"));
        assert_eq!(every("month"), Some("1mo"));
        assert_eq!(every("fortnight"), None);
    }
}
