//! Any Parquet table → rows of text cells (summaries read back by `fit`, `predict` and
//! `analyze --summary`).

use crate::ParquetError;
use crate::read::decimal_text;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use comeback_core::Day;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use std::path::Path;

/// Rows decoded at a time.
const TABLE_BATCH_ROWS: usize = 16 * 1024;

/// The column types [`TextTable`] reads, for the error.
const CELL_TYPES: &str = "text, integers, FLOAT/DOUBLE, DECIMAL, DATE or BOOLEAN";

/// A Parquet table read row by row as text cells, as a CSV reader gives them: the column
/// names ([`header`](Self::header)), then one `Vec<String>` per row in file order
/// (iterate it). Memory is one decoded batch of 16,384 rows.
///
/// | Parquet / Arrow type | cell text |
/// |---|---|
/// | `STRING` | the string |
/// | integers (8–64 bits, signed or not) | decimal digits |
/// | `FLOAT`, `DOUBLE` | the shortest text that parses back to the same value (`NaN`, `inf`) |
/// | `DECIMAL` | exact digits with the column's scale, e.g. `123.45` |
/// | `DATE` | ISO 8601 `YYYY-MM-DD` |
/// | `BOOLEAN` | `true`, `false` |
/// | null | empty |
///
/// ```no_run
/// # fn main() -> Result<(), comeback_parquet::ParquetError> {
/// let t = comeback_parquet::TextTable::open(std::path::Path::new("summary.parquet"), "summary.parquet")?;
/// println!("{:?}", t.header());
/// for row in t {
///     let row = row?;
///     println!("{}", row.join(","));
/// }
/// # Ok(()) }
/// ```
pub struct TextTable {
    name: String,
    header: Vec<String>,
    batches: ParquetRecordBatchReader,
    batch: Option<RecordBatch>,
    next_row: usize,
}

impl std::fmt::Debug for TextTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextTable")
            .field("name", &self.name)
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl TextTable {
    /// Opens the Parquet file at `path` (named `name` in messages).
    ///
    /// # Errors
    /// [`ParquetError::Io`] when the file cannot be opened, [`ParquetError::Format`] when it
    /// is not readable Parquet, [`ParquetError::ColumnType`] (field `table`) for a column of
    /// a type without a text form here (nested types, binary, times, timestamps).
    pub fn open(path: &Path, name: &str) -> Result<TextTable, ParquetError> {
        let file = std::fs::File::open(path).map_err(|source| ParquetError::Io {
            file: name.to_string(),
            source,
        })?;
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| ParquetError::Format {
                file: name.to_string(),
                message: e.to_string(),
            })?;
        let schema = builder.schema().clone();
        for f in schema.fields() {
            if !readable(f.data_type()) {
                return Err(ParquetError::ColumnType {
                    file: name.to_string(),
                    field: "table",
                    column: f.name().clone(),
                    found: f.data_type().to_string(),
                    expected: CELL_TYPES,
                });
            }
        }
        let batches = builder
            .with_batch_size(TABLE_BATCH_ROWS)
            .build()
            .map_err(|e| ParquetError::Format {
                file: name.to_string(),
                message: e.to_string(),
            })?;
        Ok(TextTable {
            name: name.to_string(),
            header: schema.fields().iter().map(|f| f.name().clone()).collect(),
            batches,
            batch: None,
            next_row: 0,
        })
    }

    /// The column names, in file order.
    pub fn header(&self) -> &[String] {
        &self.header
    }
}

impl Iterator for TextTable {
    type Item = Result<Vec<String>, ParquetError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(b) = &self.batch
                && self.next_row < b.num_rows()
            {
                let i = self.next_row;
                self.next_row += 1;
                return Some(Ok(b
                    .columns()
                    .iter()
                    .map(|c| cell(c.as_ref(), i))
                    .collect()));
            }
            match self.batches.next()? {
                Ok(b) => {
                    self.batch = Some(b);
                    self.next_row = 0;
                }
                Err(e) => {
                    return Some(Err(ParquetError::Format {
                        file: self.name.clone(),
                        message: e.to_string(),
                    }));
                }
            }
        }
    }
}

/// Whether [`cell`] has a text form for the type.
fn readable(dt: &DataType) -> bool {
    dt.is_integer()
        || matches!(
            dt,
            DataType::Utf8
                | DataType::LargeUtf8
                | DataType::Utf8View
                | DataType::Float32
                | DataType::Float64
                | DataType::Decimal128(_, _)
                | DataType::Date32
                | DataType::Boolean
                | DataType::Null
        )
}

/// Row `i` of column `a` as text (empty for null; types checked by [`readable`]).
fn cell(a: &dyn Array, i: usize) -> String {
    if a.is_null(i) {
        return String::new();
    }
    macro_rules! prim {
        ($t:ty) => {
            a.as_primitive::<$t>().value(i).to_string()
        };
    }
    match a.data_type() {
        DataType::Utf8 => a.as_string::<i32>().value(i).to_string(),
        DataType::LargeUtf8 => a.as_string::<i64>().value(i).to_string(),
        DataType::Utf8View => a.as_string_view().value(i).to_string(),
        DataType::Int8 => prim!(Int8Type),
        DataType::Int16 => prim!(Int16Type),
        DataType::Int32 => prim!(Int32Type),
        DataType::Int64 => prim!(Int64Type),
        DataType::UInt8 => prim!(UInt8Type),
        DataType::UInt16 => prim!(UInt16Type),
        DataType::UInt32 => prim!(UInt32Type),
        DataType::UInt64 => prim!(UInt64Type),
        DataType::Float32 => prim!(Float32Type),
        DataType::Float64 => prim!(Float64Type),
        DataType::Decimal128(_, s) => decimal_text(a.as_primitive::<Decimal128Type>().value(i), *s),
        DataType::Date32 => Day(a.as_primitive::<Date32Type>().value(i)).to_string(),
        DataType::Boolean => a.as_boolean().value(i).to_string(),
        // `readable` lets nothing else through.
        _ => String::new(),
    }
}
