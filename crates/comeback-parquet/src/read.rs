//! Parquet transaction files → the ingest row policy.

use crate::ParquetError;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type,
    Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use chrono::DateTime;
use chrono_tz::Tz;
use comeback_core::{Amount, Day};
use comeback_ingest::typed::{RowFailure, TypedIngest};
use comeback_ingest::{ColumnLabel, IngestReport, RowProblem, TransactionReader, TransactionRow};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::error::Error as StdError;
use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

/// Rows decoded at a time (one Arrow batch per mapped column).
pub const BATCH_ROWS: usize = 64 * 1024;

/// The fields in the order of [`TransactionReader::typed`]'s mapping.
const FIELDS: [&str; 5] = ["customer", "date", "amount", "transaction_id", "quantity"];

/// Whether `path` is a Parquet file: its name ends in `.parquet` (any case), or it starts
/// with the Parquet magic bytes `PAR1`. A path that cannot be read is not.
pub fn is_parquet(path: &Path) -> bool {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    {
        return true;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == b"PAR1"
}

/// Reads the Parquet transaction file at `path` (named `name` in messages) with `reader`'s
/// options and callbacks, calling `sink` once per accepted row in file order — the same
/// rows, counts and errors as [`TransactionReader::read`] gives for the same data as CSV.
/// Progress is reported in bytes, estimated from the rows read. Only the mapped columns
/// are read; memory is one row group's compressed pages of those columns plus one decoded
/// batch of [`BATCH_ROWS`] rows.
///
/// # Errors
/// [`ParquetError::Io`] when the file cannot be opened, [`ParquetError::Format`] when it is
/// not readable Parquet (truncated, corrupt), [`ParquetError::ColumnType`] for a mapped
/// column of a type its field cannot take, and [`ParquetError::Ingest`] for everything the
/// text reader reports (columns not found, bad values with file, row and column, sink
/// errors).
pub fn read_transactions<F, E>(
    reader: &mut TransactionReader<'_>,
    path: &Path,
    name: &str,
    mut sink: F,
) -> Result<IngestReport, ParquetError>
where
    F: FnMut(TransactionRow<'_>) -> Result<(), E>,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    let io = |source| ParquetError::Io {
        file: name.to_string(),
        source,
    };
    let format = |e: &dyn std::fmt::Display| ParquetError::Format {
        file: name.to_string(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| format(&e))?;
    let schema = builder.schema().clone();
    let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let total_rows = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    let mut t = reader.typed(name, header)?;
    let index: [Option<usize>; 5] = FIELDS.map(|f| t.column(f).map(|c| c.index));
    for (field, i) in FIELDS.iter().zip(index) {
        if let Some(i) = i {
            let f = schema.field(i);
            let (ok, expected) = accepts(field, f.data_type());
            if !ok {
                return Err(ParquetError::ColumnType {
                    file: name.to_string(),
                    field,
                    column: f.name().clone(),
                    found: f.data_type().to_string(),
                    expected,
                });
            }
        }
    }
    let mut projected: Vec<usize> = index.iter().flatten().copied().collect();
    projected.sort_unstable();
    projected.dedup();
    let mask = ProjectionMask::roots(builder.parquet_schema(), projected.iter().copied());
    let batches = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| format(&e))?;
    let position = index.map(|i| i.and_then(|i| projected.binary_search(&i).ok()));
    let labels: [Option<ColumnLabel>; 5] = FIELDS.map(|f| t.column(f).map(|c| c.label()));
    let date_zone = index[1].map(|i| zone_of(schema.field(i).data_type(), t.timezone()));
    let mut row: u64 = 0;
    let mut scratch = Scratch::default();
    for batch in batches {
        let batch = batch.map_err(|e| format(&e))?;
        let cols = Columns::of(&batch, &position, date_zone.clone())?;
        for i in 0..batch.num_rows() {
            row += 1;
            let parsed = cols.row(&mut t, &labels, i, row, &mut scratch);
            t.push(row, parsed, || cols.raw(i), &mut sink)?;
        }
        if total_rows > 0 {
            t.set_bytes(((u128::from(len) * u128::from(row)) / u128::from(total_rows)) as u64);
        }
    }
    t.set_bytes(len);
    let date_format = index[1].and_then(|i| typed_date_format(schema.field(i).data_type()));
    Ok(t.finish(date_format))
}

/// Whether a field takes a column type, and what it takes (for the error).
fn accepts(field: &str, dt: &DataType) -> (bool, &'static str) {
    let text = matches!(
        dt,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    );
    let int = dt.is_integer();
    match field {
        "customer" | "transaction_id" => (text || int, "text or integers"),
        "date" => (
            text || matches!(
                dt,
                DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _)
            ),
            "DATE, TIMESTAMP or text",
        ),
        "amount" => (
            text || int
                || matches!(
                    dt,
                    DataType::Decimal128(_, _) | DataType::Float32 | DataType::Float64
                ),
            "DECIMAL, floating-point, integers or text",
        ),
        _ => (text || int, "integers or text"),
    }
}

/// The report's date format for a typed date column (`None` for text).
fn typed_date_format(dt: &DataType) -> Option<String> {
    match dt {
        DataType::Date32 | DataType::Date64 => Some("Parquet DATE".to_string()),
        DataType::Timestamp(_, None) => Some("Parquet TIMESTAMP (local time)".to_string()),
        DataType::Timestamp(_, Some(tz)) => Some(format!("Parquet TIMESTAMP (time zone {tz})")),
        _ => None,
    }
}

/// How an instant becomes a local day.
#[derive(Debug, Clone)]
enum Zone {
    /// UTC, or a timestamp without time zone (its own wall time).
    Utc,
    /// A fixed offset east of UTC, in seconds.
    Fixed(i64),
    /// A named IANA zone.
    Named(Tz),
}

/// The zone for a date column: the time zone option for instants when set, else the
/// column's own zone; wall time for timestamps without zone.
fn zone_of(dt: &DataType, option: Option<Tz>) -> Zone {
    let DataType::Timestamp(_, Some(own)) = dt else {
        return Zone::Utc;
    };
    let named = |tz: Tz| {
        if tz.name() == "UTC" || tz.name() == "Etc/UTC" {
            Zone::Utc
        } else {
            Zone::Named(tz)
        }
    };
    if let Some(tz) = option {
        return named(tz);
    }
    let s = own.trim();
    if let Some(off) = parse_offset(s) {
        return if off == 0 {
            Zone::Utc
        } else {
            Zone::Fixed(off)
        };
    }
    match s.parse::<Tz>() {
        Ok(tz) => named(tz),
        // An unknown zone name: arrow-rs itself refuses such a column, so this is not
        // reached with a file it read; UTC is the Parquet default.
        Err(_) => Zone::Utc,
    }
}

/// `+02:00`, `-0530`, `+05` → seconds east of UTC.
fn parse_offset(s: &str) -> Option<i64> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i64>().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    Some(sign * (h * 3600 + m * 60))
}

/// Buffers for integer ids written as text.
#[derive(Default)]
struct Scratch {
    customer: String,
    transaction_id: String,
}

type Ints<'a> = Box<dyn Fn(usize) -> Option<i128> + 'a>;

/// One mapped column of a batch, resolved to its type once per batch.
enum Col<'a> {
    Text(&'a dyn Array),
    Int(Ints<'a>),
    Float(Box<dyn Fn(usize) -> Option<f64> + 'a>),
    Decimal(&'a arrow_array::Decimal128Array, i8),
    Date32(&'a arrow_array::Date32Array),
    Date64(&'a arrow_array::Date64Array),
    /// Values, units per second, zone.
    Timestamp(Ints<'a>, i64, Zone),
}

/// The text of row `i` of a string column (`None` for null).
fn text_at(a: &dyn Array, i: usize) -> Option<&str> {
    if a.is_null(i) {
        return None;
    }
    match a.data_type() {
        DataType::Utf8 => Some(a.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => Some(a.as_string::<i64>().value(i)),
        DataType::Utf8View => Some(a.as_string_view().value(i)),
        _ => None,
    }
}

fn ints(a: &dyn Array) -> Option<Ints<'_>> {
    macro_rules! prim {
        ($t:ty) => {{
            let p = a.as_primitive::<$t>();
            Box::new(move |i: usize| p.is_valid(i).then(|| i128::from(p.value(i)))) as Ints<'_>
        }};
    }
    Some(match a.data_type() {
        DataType::Int8 => prim!(Int8Type),
        DataType::Int16 => prim!(Int16Type),
        DataType::Int32 => prim!(Int32Type),
        DataType::Int64 => prim!(Int64Type),
        DataType::UInt8 => prim!(UInt8Type),
        DataType::UInt16 => prim!(UInt16Type),
        DataType::UInt32 => prim!(UInt32Type),
        DataType::UInt64 => prim!(UInt64Type),
        DataType::Timestamp(TimeUnit::Second, _) => prim!(TimestampSecondType),
        DataType::Timestamp(TimeUnit::Millisecond, _) => prim!(TimestampMillisecondType),
        DataType::Timestamp(TimeUnit::Microsecond, _) => prim!(TimestampMicrosecondType),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => prim!(TimestampNanosecondType),
        _ => return None,
    })
}

impl<'a> Col<'a> {
    fn of(a: &'a dyn Array, zone: Option<Zone>) -> Col<'a> {
        match a.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Col::Text(a),
            DataType::Float32 => {
                let p = a.as_primitive::<Float32Type>();
                Col::Float(Box::new(move |i| {
                    p.is_valid(i).then(|| f64::from(p.value(i)))
                }))
            }
            DataType::Float64 => {
                let p = a.as_primitive::<Float64Type>();
                Col::Float(Box::new(move |i| p.is_valid(i).then(|| p.value(i))))
            }
            DataType::Decimal128(_, s) => Col::Decimal(a.as_primitive::<Decimal128Type>(), *s),
            DataType::Date32 => Col::Date32(a.as_primitive::<Date32Type>()),
            DataType::Date64 => Col::Date64(a.as_primitive::<Date64Type>()),
            DataType::Timestamp(unit, _) => {
                let per_second = match unit {
                    TimeUnit::Second => 1,
                    TimeUnit::Millisecond => 1_000,
                    TimeUnit::Microsecond => 1_000_000,
                    TimeUnit::Nanosecond => 1_000_000_000,
                };
                // `ints` takes every timestamp type, checked by `accepts` before.
                let v = ints(a).unwrap_or_else(|| Box::new(|_| None));
                Col::Timestamp(v, per_second, zone.unwrap_or(Zone::Utc))
            }
            // Integers (`accepts` let no other type through).
            _ => Col::Int(ints(a).unwrap_or_else(|| Box::new(|_| None))),
        }
    }

    fn is_null(&self, i: usize) -> bool {
        match self {
            Col::Text(a) => a.is_null(i),
            Col::Int(f) | Col::Timestamp(f, _, _) => f(i).is_none(),
            Col::Float(f) => f(i).is_none(),
            Col::Decimal(a, _) => a.is_null(i),
            Col::Date32(a) => a.is_null(i),
            Col::Date64(a) => a.is_null(i),
        }
    }

    /// The value as text, for rejects files and messages (empty for null).
    fn show(&self, i: usize) -> String {
        if self.is_null(i) {
            return String::new();
        }
        match self {
            Col::Text(a) => text_at(*a, i).unwrap_or_default().to_string(),
            Col::Int(f) => f(i).map(|v| v.to_string()).unwrap_or_default(),
            Col::Float(f) => f(i).map(|v| v.to_string()).unwrap_or_default(),
            Col::Decimal(a, s) => decimal_text(a.value(i), *s),
            Col::Date32(a) => Day(a.value(i)).to_string(),
            Col::Date64(a) => a.value(i).to_string(),
            Col::Timestamp(f, _, _) => f(i).map(|v| v.to_string()).unwrap_or_default(),
        }
    }
}

/// `12345` with scale 2 → `123.45`.
pub(crate) fn decimal_text(v: i128, scale: i8) -> String {
    if scale <= 0 {
        let mut s = v.to_string();
        if v != 0 {
            s.extend(std::iter::repeat_n('0', usize::from(scale.unsigned_abs())));
        }
        return s;
    }
    let s = v.unsigned_abs().to_string();
    let scale = usize::from(scale.unsigned_abs());
    let padded = format!("{s:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{}{int}.{frac}", if v < 0 { "-" } else { "" })
}

/// The mapped columns of one batch, by field.
struct Columns<'a> {
    cols: [Option<Col<'a>>; 5],
}

impl<'a> Columns<'a> {
    fn of(
        batch: &'a RecordBatch,
        position: &[Option<usize>; 5],
        date_zone: Option<Zone>,
    ) -> Result<Columns<'a>, ParquetError> {
        let mut cols: [Option<Col<'a>>; 5] = Default::default();
        for (k, p) in position.iter().enumerate() {
            if let Some(p) = p {
                let zone = if k == 1 { date_zone.clone() } else { None };
                cols[k] = Some(Col::of(batch.column(*p).as_ref(), zone));
            }
        }
        Ok(Columns { cols })
    }

    /// The row's mapped values joined by commas (quoted where needed), for rejects.
    fn raw(&self, i: usize) -> String {
        let mut out = String::new();
        for (k, c) in self.cols.iter().flatten().enumerate() {
            if k > 0 {
                out.push(',');
            }
            let v = c.show(i);
            if v.contains([',', '"', '\n', '\r']) {
                let _ = write!(out, "\"{}\"", v.replace('"', "\"\""));
            } else {
                out.push_str(&v);
            }
        }
        out
    }

    fn row<'s>(
        &'s self,
        t: &mut TypedIngest<'_, '_>,
        labels: &[Option<ColumnLabel>; 5],
        i: usize,
        row: u64,
        scratch: &'s mut Scratch,
    ) -> Result<TransactionRow<'s>, RowFailure> {
        let at = |k: usize, p: RowProblem| (labels[k].clone(), p);
        // Customer.
        let customer = match &self.cols[0] {
            Some(c) => id_text(c, i, &mut scratch.customer),
            None => None,
        }
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| at(0, RowProblem::EmptyCustomer))?;
        // Date.
        let day = match &self.cols[1] {
            None => return Err(at(1, t.missing_date())),
            Some(c) if c.is_null(i) => return Err(at(1, t.missing_date())),
            Some(Col::Text(a)) => t
                .parse_date(text_at(*a, i).unwrap_or_default())
                .map_err(|p| at(1, p))?,
            Some(Col::Date32(a)) => Day(a.value(i)),
            Some(Col::Date64(a)) => day_of(a.value(i).div_euclid(86_400_000))
                .ok_or_else(|| at(1, out_of_range(a.value(i).to_string(), "a date")))?,
            Some(Col::Timestamp(f, per_second, zone)) => {
                let v = f(i).unwrap_or_default();
                i64::try_from(v.div_euclid(i128::from(*per_second)))
                    .ok()
                    .and_then(|s| local_day(s, zone))
                    .ok_or_else(|| at(1, out_of_range(v.to_string(), "a date")))?
            }
            Some(c) => return Err(at(1, out_of_range(c.show(i), "a date"))),
        };
        // Amount.
        let amount = match &self.cols[2] {
            None => Amount::default(),
            Some(c) if c.is_null(i) => return Err(at(2, t.missing_amount())),
            Some(Col::Text(a)) => t
                .parse_amount(text_at(*a, i).unwrap_or_default(), row)
                .map_err(|p| at(2, p))?,
            Some(Col::Decimal(a, s)) => decimal_amount(a.value(i), *s).map_err(|e| at(2, e))?,
            Some(Col::Float(f)) => float_amount(f(i).unwrap_or_default()).map_err(|e| at(2, e))?,
            Some(Col::Int(f)) => {
                let v = f(i).unwrap_or_default();
                v.checked_mul(1_000_000)
                    .and_then(|m| i64::try_from(m).ok())
                    .map(Amount::from_micros)
                    .ok_or_else(|| at(2, too_large(v.to_string())))?
            }
            Some(c) => return Err(at(2, out_of_range(c.show(i), "an amount"))),
        };
        // Transaction id and quantity.
        let transaction_id = match &self.cols[3] {
            Some(c) => id_text(c, i, &mut scratch.transaction_id)
                .map(str::trim)
                .filter(|s| !s.is_empty()),
            None => None,
        };
        let quantity = match &self.cols[4] {
            None => None,
            Some(c) if c.is_null(i) => None,
            Some(Col::Int(f)) => {
                let v = f(i).unwrap_or_default();
                Some(i64::try_from(v).map_err(|_| at(4, whole_number(v.to_string())))?)
            }
            Some(c) => {
                let s = c.show(i);
                let s = s.trim();
                if s.is_empty() {
                    None
                } else {
                    Some(
                        s.parse::<i64>()
                            .map_err(|_| at(4, whole_number(s.to_string())))?,
                    )
                }
            }
        };
        Ok(TransactionRow {
            customer,
            day,
            amount,
            quantity,
            transaction_id,
            line: row,
        })
    }
}

/// An id column's value as text: the string, or an integer written into `buf`.
fn id_text<'s>(c: &'s Col<'_>, i: usize, buf: &'s mut String) -> Option<&'s str> {
    match c {
        Col::Text(a) => text_at(*a, i),
        Col::Int(f) => {
            let v = f(i)?;
            buf.clear();
            let _ = write!(buf, "{v}");
            Some(buf.as_str())
        }
        _ => None,
    }
}

/// The day of `seconds` since the epoch (UTC) in `zone`.
fn local_day(seconds: i64, zone: &Zone) -> Option<Day> {
    match zone {
        Zone::Utc => day_of(seconds.div_euclid(86_400)),
        Zone::Fixed(off) => day_of(seconds.checked_add(*off)?.div_euclid(86_400)),
        Zone::Named(tz) => {
            let utc = DateTime::from_timestamp(seconds, 0)?;
            Some(Day::from_date(utc.with_timezone(tz).date_naive()))
        }
    }
}

/// A day number as a [`Day`], when it fits.
fn day_of(days: i64) -> Option<Day> {
    i32::try_from(days).ok().map(Day)
}

fn out_of_range(value: String, what: &'static str) -> RowProblem {
    RowProblem::Unparseable {
        value,
        what,
        expected: "out of range".to_string(),
    }
}

fn too_large(value: String) -> RowProblem {
    RowProblem::Unparseable {
        value,
        what: "an amount",
        expected: "out of range, more than 9.2e12".to_string(),
    }
}

fn whole_number(value: String) -> RowProblem {
    RowProblem::Unparseable {
        value,
        what: "a quantity",
        expected: "expected a whole number".to_string(),
    }
}

/// A `DECIMAL(p, scale)` value as exact millionths: refused when a digit beyond the sixth
/// decimal place is not zero, or when it is out of range.
fn decimal_amount(v: i128, scale: i8) -> Result<Amount, RowProblem> {
    let shift = 6 - i32::from(scale);
    let micros = if shift >= 0 {
        10i128
            .checked_pow(shift.unsigned_abs())
            .and_then(|p| v.checked_mul(p))
    } else {
        let p = 10i128.checked_pow(shift.unsigned_abs());
        match p {
            Some(p) if v % p != 0 => {
                return Err(RowProblem::Unparseable {
                    value: decimal_text(v, scale),
                    what: "an amount",
                    expected: "more than 6 decimal places".to_string(),
                });
            }
            Some(p) => Some(v / p),
            // More than 38 places: only 0 fits.
            None => (v == 0).then_some(0),
        }
    };
    micros
        .and_then(|m| i64::try_from(m).ok())
        .map(Amount::from_micros)
        .ok_or_else(|| too_large(decimal_text(v, scale)))
}

/// A floating-point amount rounded to the nearest millionth.
fn float_amount(v: f64) -> Result<Amount, RowProblem> {
    if !v.is_finite() {
        return Err(RowProblem::Unparseable {
            value: v.to_string(),
            what: "an amount",
            expected: "a finite number".to_string(),
        });
    }
    let m = (v * 1e6).round();
    // 2^63 ≈ 9.22e18 millionths.
    if m.abs() >= 9.2e18 {
        return Err(too_large(v.to_string()));
    }
    Ok(Amount::from_micros(m as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact_millionths() {
        assert_eq!(decimal_amount(12345, 2).unwrap().micros(), 123_450_000);
        assert_eq!(decimal_amount(-5, 0).unwrap().micros(), -5_000_000);
        assert_eq!(
            decimal_amount(1_234_567_000, 9).unwrap().micros(),
            1_234_567
        );
        assert_eq!(decimal_amount(7, -2).unwrap().micros(), 700_000_000);
        let e = decimal_amount(1_234_567_891, 9).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot parse \"1.234567891\" as an amount (more than 6 decimal places)"
        );
        assert!(decimal_amount(i128::MAX / 10, 0).is_err());
    }

    #[test]
    fn decimal_text_places_the_point() {
        assert_eq!(decimal_text(12345, 2), "123.45");
        assert_eq!(decimal_text(-5, 3), "-0.005");
        assert_eq!(decimal_text(7, -2), "700");
        assert_eq!(decimal_text(0, 0), "0");
    }

    #[test]
    fn floats_round_to_the_nearest_millionth() {
        assert_eq!(float_amount(0.1 + 0.2).unwrap().micros(), 300_000);
        assert_eq!(float_amount(-2.5).unwrap().micros(), -2_500_000);
        assert_eq!(float_amount(29.33).unwrap().micros(), 29_330_000);
        assert!(float_amount(f64::NAN).is_err());
        assert!(float_amount(1e13).is_err());
    }

    #[test]
    fn offsets_parse() {
        assert_eq!(parse_offset("+02:00"), Some(7200));
        assert_eq!(parse_offset("-0530"), Some(-19_800));
        assert_eq!(parse_offset("+05"), Some(18_000));
        assert_eq!(parse_offset("UTC"), None);
        assert_eq!(parse_offset("+2"), None);
    }

    #[test]
    fn instants_fall_on_the_zone_day() {
        // 2024-03-10T23:30:00-05:00 = 2024-03-11T04:30:00Z.
        let s = 1_710_131_400;
        let utc = local_day(s, &Zone::Utc).unwrap();
        assert_eq!(utc, Day::from_ymd(2024, 3, 11).unwrap());
        let ny = local_day(s, &Zone::Fixed(-5 * 3600)).unwrap();
        assert_eq!(ny, Day::from_ymd(2024, 3, 10).unwrap());
        let tz: Tz = "America/New_York".parse().unwrap();
        // New York is on EDT (−4 h) from 2024-03-10 03:00 local: 00:30 on the 11th.
        assert_eq!(
            local_day(s, &Zone::Named(tz)).unwrap(),
            Day::from_ymd(2024, 3, 11).unwrap()
        );
        assert_eq!(local_day(-1, &Zone::Utc).unwrap(), Day(-1));
    }
}
