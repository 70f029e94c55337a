//! comeback-parquet: Parquet files made here with the arrow writer, read back through the
//! ingest row policy and compared with the same data read as text.

mod malformed;
mod roundtrip;
mod table;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema};
use comeback_core::{Summary, SummaryOptions, TimeUnit, TransactionLogBuilder};
use comeback_ingest::{IngestOptions, TransactionReader};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Path of a file in the repository's `data/` folder.
pub fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

/// Writes `columns` (name, array, nullable) as a Parquet file with row groups of
/// `row_group` rows (so that reads cross row groups and batches).
pub fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>, row_group: usize) {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(
        schema.clone(),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(row_group))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// The day-unit summary of a Parquet file read with `options`.
pub fn parquet_summary(path: &Path, options: &IngestOptions) -> Result<Summary, String> {
    let mut b = TransactionLogBuilder::new(None);
    let mut tr = TransactionReader::new(options.clone());
    comeback_parquet::read_transactions(&mut tr, path, "tx.parquet", |r| {
        b.add(r.customer, r.day, r.amount).map(|_| ())
    })
    .map_err(|e| e.to_string())?;
    Ok(b.finish().summarize(&days()))
}

/// The day-unit summary of a text file read with `options`.
pub fn text_summary(text: &str, options: &IngestOptions) -> Summary {
    let mut b = TransactionLogBuilder::new(None);
    comeback_ingest::read_transactions(text.as_bytes(), "tx.txt", options, |r| {
        b.add(r.customer, r.day, r.amount).map(|_| ())
    })
    .unwrap();
    b.finish().summarize(&days())
}

/// Summary options: days, one occasion per day.
pub fn days() -> SummaryOptions {
    SummaryOptions {
        unit: TimeUnit::Days,
        ..SummaryOptions::default()
    }
}
