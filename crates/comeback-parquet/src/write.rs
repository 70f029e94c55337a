//! Tables (summaries, predictions) → Parquet.

use crate::ParquetError;
use arrow_array::builder::{Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::io::Write;
use std::sync::Arc;

/// Rows buffered before they are handed to the Parquet writer as one batch.
const FLUSH_ROWS: usize = 64 * 1024;

/// Rows per row group.
const ROW_GROUP_ROWS: usize = 1 << 20;

/// The type of an output column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// UTF-8 text (`STRING`).
    Text,
    /// A 64-bit signed integer (`INT64`).
    Int,
    /// A 64-bit float (`DOUBLE`), stored exactly.
    Real,
}

/// One value of an output row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// For a [`ColumnKind::Text`] column.
    Text(&'a str),
    /// For a [`ColumnKind::Int`] column.
    Int(i64),
    /// For a [`ColumnKind::Real`] column.
    Real(f64),
}

enum Builder {
    Text(StringBuilder),
    Int(Int64Builder),
    Real(Float64Builder),
}

/// Streams rows into a Parquet file (Snappy, no nulls, one row group per 2²⁰ rows);
/// memory is one batch of 65,536 rows plus the open row group's encoded pages.
///
/// ```
/// use comeback_parquet::{ColumnKind, TableWriter, Value};
/// # fn main() -> Result<(), comeback_parquet::ParquetError> {
/// let mut out = Vec::new();
/// let mut w = TableWriter::new(&mut out, &[("customer_id", ColumnKind::Text), ("frequency", ColumnKind::Int)])?;
/// w.push(&[Value::Text("c1"), Value::Int(3)])?;
/// w.finish()?;
/// assert_eq!(&out[..4], b"PAR1");
/// # Ok(()) }
/// ```
pub struct TableWriter<W: Write + Send> {
    writer: ArrowWriter<W>,
    schema: SchemaRef,
    builders: Vec<Builder>,
    pending: usize,
}

impl<W: Write + Send> std::fmt::Debug for TableWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableWriter")
            .field("schema", &self.schema)
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

fn write_err(e: impl std::fmt::Display) -> ParquetError {
    ParquetError::Write(e.to_string())
}

impl<W: Write + Send> TableWriter<W> {
    /// A writer of `columns` (name, kind), in order, into `out`.
    ///
    /// # Errors
    /// [`ParquetError::Write`] when the Parquet writer cannot start (or two columns share a
    /// name).
    pub fn new(out: W, columns: &[(&str, ColumnKind)]) -> Result<TableWriter<W>, ParquetError> {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(n, k)| {
                let dt = match k {
                    ColumnKind::Text => DataType::Utf8,
                    ColumnKind::Int => DataType::Int64,
                    ColumnKind::Real => DataType::Float64,
                };
                Field::new(*n, dt, false)
            })
            .collect();
        for (i, (n, _)) in columns.iter().enumerate() {
            if columns[..i].iter().any(|(m, _)| m == n) {
                return Err(ParquetError::Write(format!("two columns named {n:?}")));
            }
        }
        let schema = Arc::new(Schema::new(fields));
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(write_err)?;
        let builders = columns
            .iter()
            .map(|(_, k)| match k {
                ColumnKind::Text => Builder::Text(StringBuilder::new()),
                ColumnKind::Int => Builder::Int(Int64Builder::new()),
                ColumnKind::Real => Builder::Real(Float64Builder::new()),
            })
            .collect();
        Ok(TableWriter {
            writer,
            schema,
            builders,
            pending: 0,
        })
    }

    /// Appends one row: one value per column, of the column's kind.
    ///
    /// # Errors
    /// [`ParquetError::Write`] for a row of another length or a value of another kind
    /// (nothing of the row is kept), or when writing fails.
    pub fn push(&mut self, row: &[Value<'_>]) -> Result<(), ParquetError> {
        if row.len() != self.builders.len() {
            return Err(ParquetError::Write(format!(
                "a row of {} values for {} columns",
                row.len(),
                self.builders.len()
            )));
        }
        for (k, (b, v)) in self.builders.iter().zip(row).enumerate() {
            let ok = matches!(
                (b, v),
                (Builder::Text(_), Value::Text(_))
                    | (Builder::Int(_), Value::Int(_))
                    | (Builder::Real(_), Value::Real(_))
            );
            if !ok {
                return Err(ParquetError::Write(format!(
                    "value {v:?} for column {:?} of another type",
                    self.schema.field(k).name()
                )));
            }
        }
        for (b, v) in self.builders.iter_mut().zip(row) {
            match (b, v) {
                (Builder::Text(b), Value::Text(s)) => b.append_value(s),
                (Builder::Int(b), Value::Int(n)) => b.append_value(*n),
                (Builder::Real(b), Value::Real(x)) => b.append_value(*x),
                _ => {}
            }
        }
        self.pending += 1;
        if self.pending >= FLUSH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ParquetError> {
        if self.pending == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|b| -> ArrayRef {
                match b {
                    Builder::Text(b) => Arc::new(b.finish()),
                    Builder::Int(b) => Arc::new(b.finish()),
                    Builder::Real(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(write_err)?;
        self.writer.write(&batch).map_err(write_err)?;
        self.pending = 0;
        Ok(())
    }

    /// Writes the buffered rows and the file footer; returns the output.
    ///
    /// # Errors
    /// [`ParquetError::Write`] when writing fails.
    pub fn finish(mut self) -> Result<W, ParquetError> {
        self.flush()?;
        self.writer.into_inner().map_err(write_err)
    }
}
