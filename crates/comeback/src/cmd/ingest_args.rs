//! Ingest flags shared by `summarize` and `analyze`, and the load step: file → exact
//! per-customer day totals, with mapping report, checksum, rejects file and progress bar.

use super::common::{progress_bar, rows_bar, write_atomically};
use anyhow::{Context, Result, bail};
use comeback_core::{
    Amount, Collapse, CompactLog, Day, StreamedSummary, SummaryBuilder, SummaryError,
    TransactionLog, TransactionLogBuilder,
};
use comeback_ingest::{
    ColumnRef, DateFormat, DecimalMark, Delimiter, HeaderMode, IngestOptions, IngestReport,
    RefundPolicy, TransactionColumns, TransactionReader, Tz,
};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// How to read a transaction file (every flag optional: without them, columns, delimiter,
/// header and date format are recognised automatically and the choice is printed).
#[derive(Debug, Clone, clap::Args)]
pub struct IngestArgs {
    /// Transaction file (CSV, TSV, `;`- or blank-separated text, or Parquet: a `.parquet`
    /// name or the Parquet magic bytes); `-` reads standard input (text only).
    pub input: PathBuf,
    /// Customer id column: header name or 1-based position.
    #[arg(long, value_name = "NAME|N")]
    pub customer_col: Option<ColumnRef>,
    /// Date or timestamp column: header name or 1-based position.
    #[arg(long, value_name = "NAME|N")]
    pub date_col: Option<ColumnRef>,
    /// Amount column: header name or 1-based position.
    #[arg(long, value_name = "NAME|N")]
    pub amount_col: Option<ColumnRef>,
    /// Transaction id column: repeated ids are dropped and counted (memory grows with
    /// distinct ids).
    #[arg(long, value_name = "NAME|N")]
    pub transaction_id_col: Option<ColumnRef>,
    /// Quantity column (whole numbers).
    #[arg(long, value_name = "NAME|N")]
    pub quantity_col: Option<ColumnRef>,
    /// Field separator: auto, comma, semicolon, tab, whitespace, or one character.
    #[arg(long, default_value = "auto")]
    pub delimiter: Delimiter,
    /// Line 1 is a header.
    #[arg(long, conflicts_with = "no_header")]
    pub header: bool,
    /// There is no header line (columns by position).
    #[arg(long)]
    pub no_header: bool,
    /// Date format: `auto` (ISO 8601 dates and timestamps, %Y%m%d) or any strftime form such
    /// as `%d/%m/%Y`. Day and month order is never guessed.
    #[arg(long, default_value = "auto")]
    pub date_format: DateFormat,
    /// Amounts use a decimal comma (`1.234,56`).
    #[arg(long)]
    pub decimal_comma: bool,
    /// ISO 4217 currency of the amounts (recorded with the output).
    #[arg(long)]
    pub currency: Option<String>,
    /// IANA time zone of the business (e.g. Europe/Helsinki): timestamps with an offset are
    /// moved to this zone's local day. Naive dates and times are already business-local.
    #[arg(long)]
    pub timezone: Option<Tz>,
    /// Negative amounts: `exclude` (reported, not used) or `net` (subtracted from the same
    /// customer's purchases on the same day).
    #[arg(long, default_value = "exclude")]
    pub refunds: RefundPolicy,
    /// Write rejected rows with their reason to the rejects file instead of stopping at the
    /// first bad row.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Rejects file for `--skip-invalid` (default: `<input name>.rejects.csv` in the current
    /// directory).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Transactions after this day (YYYY-MM-DD) are ignored and counted; default: the last
    /// date in the data.
    #[arg(long, value_parser = parse_day)]
    pub observation_end: Option<Day>,
    /// No progress bar and no mapping printout.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Parses a `YYYY-MM-DD` flag value.
pub fn parse_day(s: &str) -> Result<Day, String> {
    Day::parse_iso(s).ok_or_else(|| format!("cannot parse \"{s}\" as a date (format %Y-%m-%d)"))
}

/// A loaded transaction file (`L`: [`TransactionLog`], or the [`CompactLog`] that
/// `summarize` streams from).
pub struct Loaded<L = TransactionLog> {
    /// Day totals per customer.
    pub log: L,
    /// What the reader did.
    pub report: IngestReport,
    /// SHA-256 of the input bytes (hex).
    pub sha256: String,
    /// Rejects file written, with its row count.
    pub rejects: Option<(PathBuf, u64)>,
}

/// Where the load step puts rows: the day-total builder, or the streaming summary.
pub trait RowSink {
    /// What the sink turns into.
    type Out: Tally;
    /// Adds one row; `Ok(false)` when it lies after the observation end.
    fn add(&mut self, customer: &str, day: Day, amount: Amount) -> Result<bool, SummaryError>;
    /// Ends the stream.
    fn finish(self) -> Result<Self::Out, SummaryError>;
}

/// The counts a loaded log reports.
pub trait Tally {
    /// Customers with a purchase.
    fn customers(&self) -> usize;
    /// Rows accepted.
    fn rows_kept(&self) -> u64;
    /// Rows after the observation end.
    fn rows_after_end(&self) -> u64;
    /// Refund-only days and their net amount.
    fn refund_only_days(&self) -> (u64, Amount);
}

impl RowSink for TransactionLogBuilder {
    type Out = CompactLog;
    fn add(&mut self, customer: &str, day: Day, amount: Amount) -> Result<bool, SummaryError> {
        TransactionLogBuilder::add(self, customer, day, amount)
    }
    fn finish(self) -> Result<CompactLog, SummaryError> {
        Ok(self.finish_compact())
    }
}

impl RowSink for SummaryBuilder {
    type Out = StreamedSummary;
    fn add(&mut self, customer: &str, day: Day, amount: Amount) -> Result<bool, SummaryError> {
        SummaryBuilder::add(self, customer, day, amount)
    }
    fn finish(self) -> Result<StreamedSummary, SummaryError> {
        SummaryBuilder::finish(self)
    }
}

macro_rules! tally {
    ($t:ty) => {
        impl Tally for $t {
            fn customers(&self) -> usize {
                self.len()
            }
            fn rows_kept(&self) -> u64 {
                <$t>::rows_kept(self)
            }
            fn rows_after_end(&self) -> u64 {
                <$t>::rows_after_end(self)
            }
            fn refund_only_days(&self) -> (u64, Amount) {
                <$t>::refund_only_days(self)
            }
        }
    };
}
tally!(CompactLog);
tally!(StreamedSummary);

/// Hashes what passes through it (`hasher: None` passes through only).
struct HashingReader<R> {
    inner: R,
    hasher: Option<Sha256>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// SHA-256 of a file, read on its own (from the page cache, on another core).
fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    // Below the allocator's mapping threshold: freeing a mapped buffer would raise it.
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

impl IngestArgs {
    /// The library options these flags describe.
    pub fn options(&self) -> IngestOptions {
        IngestOptions {
            delimiter: self.delimiter,
            header: if self.header {
                HeaderMode::Present
            } else if self.no_header {
                HeaderMode::Absent
            } else {
                HeaderMode::Auto
            },
            columns: TransactionColumns {
                customer: self.customer_col.clone(),
                date: self.date_col.clone(),
                amount: self.amount_col.clone(),
                transaction_id: self.transaction_id_col.clone(),
                quantity: self.quantity_col.clone(),
            },
            date_format: self.date_format.clone(),
            timezone: self.timezone,
            decimal: if self.decimal_comma {
                DecimalMark::Comma
            } else {
                DecimalMark::Point
            },
            currency: self.currency.clone(),
            refunds: self.refunds,
            skip_invalid: self.skip_invalid,
        }
    }

    /// The rejects file of `--skip-invalid`: `--rejects`, else `<input name>.rejects.csv`
    /// (`stdin.rejects.csv` for standard input) in the current directory.
    pub fn rejects_path(&self) -> PathBuf {
        self.rejects.clone().unwrap_or_else(|| {
            let base = match self.input.file_name() {
                Some(s) if self.input != Path::new("-") => s.to_string_lossy().into_owned(),
                _ => "stdin".into(),
            };
            PathBuf::from(format!("{base}.rejects.csv"))
        })
    }

    /// Refuses output paths that would overwrite the input or each other (the rejects file
    /// is one of them with `--skip-invalid`).
    ///
    /// # Errors
    /// When two of them name the same file.
    pub fn check_outputs(&self, outputs: &[&Path]) -> Result<()> {
        let same = super::common::same_file;
        let mut all: Vec<&Path> = outputs.to_vec();
        let rejects = self.rejects_path();
        if self.skip_invalid {
            all.push(&rejects);
        }
        for (i, a) in all.iter().enumerate() {
            if self.input != Path::new("-") && same(a, &self.input) {
                bail!(
                    "{} is the input file: choose another output or rejects file",
                    a.display()
                );
            }
            if all[..i].iter().any(|b| same(a, b)) {
                bail!(
                    "{} is given for two outputs (output and rejects file?): choose different files",
                    a.display()
                );
            }
        }
        Ok(())
    }

    /// The input's display name in messages.
    pub fn display_name(&self) -> String {
        if self.input == Path::new("-") {
            "<stdin>".to_string()
        } else {
            self.input.display().to_string()
        }
    }

    /// Reads the file into a [`TransactionLog`], printing the column mapping and counts to
    /// stderr unless `--quiet`. With `--skip-invalid`, rejected rows go to the rejects file
    /// (written atomically, only when there are rejects).
    pub fn load(&self) -> Result<Loaded> {
        let l = self.load_compact()?;
        Ok(Loaded {
            log: l.log.into_log(),
            report: l.report,
            sha256: l.sha256,
            rejects: l.rejects,
        })
    }

    /// As [`load`](Self::load), keeping the day totals in compact form (ids inline, 12 bytes
    /// per customer-day). The group-by runs on two threads when the machine has them.
    pub fn load_compact(&self) -> Result<Loaded<CompactLog>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.load_into(TransactionLogBuilder::new(self.observation_end).threads(threads))
    }

    /// As [`load`](Self::load), straight to the per-customer summary with occasions formed
    /// by `collapse`, in memory that grows with customers only
    /// ([`SummaryBuilder`]: no day totals, so no calibration/holdout split).
    pub fn load_summary(&self, collapse: Collapse) -> Result<Loaded<StreamedSummary>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.load_into(SummaryBuilder::new(self.observation_end, collapse).threads(threads))
    }

    /// The load step into any [`RowSink`].
    fn load_into<S: RowSink>(&self, mut builder: S) -> Result<Loaded<S::Out>> {
        let name = self.display_name();
        // A Parquet file (by name or magic bytes) is read by column; the text options
        // that describe columns, dates and amounts apply to it too.
        let parquet = self.input != Path::new("-") && is_parquet(&self.input);
        let (source, len): (Box<dyn Read>, Option<u64>) = if self.input == Path::new("-") {
            (Box::new(std::io::stdin().lock()), None)
        } else {
            let f =
                std::fs::File::open(&self.input).with_context(|| format!("cannot open {name}"))?;
            let len = f.metadata().ok().map(|m| m.len());
            (Box::new(f), len)
        };
        // A regular file is hashed by a second thread reading it on its own; a pipe is
        // hashed as it streams by.
        let file_hash = (len.is_some() && self.input.is_file()).then(|| {
            let path = self.input.clone();
            std::thread::spawn(move || hash_file(&path))
        });
        let mut reader = HashingReader {
            inner: source,
            hasher: file_hash.is_none().then(Sha256::new),
        };
        let pb = if len.is_some() {
            progress_bar(self.quiet, len, "reading")
        } else {
            rows_bar(self.quiet, "reading")
        };
        // Without a length (a pipe) the bar counts rows; when standard error is not a
        // terminal, a plain line every 10 s says how far the read is.
        let by_rows = len.is_none();
        let mut line = RowsLine::new(!self.quiet && pb.is_hidden(), &name);
        let mut rejects: Vec<comeback_ingest::Reject> = Vec::new();
        let report = {
            let pb2 = pb.clone();
            let mut tr = TransactionReader::new(self.options()).on_progress(move |p| {
                pb2.set_position(if by_rows { p.rows } else { p.bytes });
                line.tick(p.rows);
            });
            if self.skip_invalid {
                tr = tr.on_reject(|r| {
                    rejects.push(r);
                    Ok(())
                });
            }
            let sink = |row: comeback_ingest::TransactionRow<'_>| {
                builder.add(row.customer, row.day, row.amount).map(|_| ())
            };
            if parquet {
                read_parquet(&mut tr, &self.input, &name, sink)
            } else {
                tr.read(&mut reader, &name, sink)
                    .map_err(anyhow::Error::from)
            }
        };
        pb.finish_and_clear();
        let report = report.map_err(|e| {
            // A hint for the two most common export mismatches.
            let msg = e.to_string();
            let value = msg
                .split("cannot parse \"")
                .nth(1)
                .and_then(|v| v.split('"').next())
                .unwrap_or("");
            let hint = if msg.contains("as an amount") && value.contains(',') && !self.decimal_comma
            {
                Some("amounts like 1.234,56 need --decimal-comma")
            } else if msg.contains("as a date") && matches!(self.date_format, DateFormat::Auto) {
                Some("give the date format with --date-format, e.g. %d.%m.%Y or %m/%d/%Y")
            } else {
                None
            };
            match hint {
                Some(h) => e.context(format!("{msg} ({h})")),
                None => e,
            }
        })?;
        let sha256 = match (file_hash, reader.hasher) {
            (Some(t), _) => t
                .join()
                .map_err(|_| anyhow::anyhow!("{name}: the checksum thread failed"))?
                .with_context(|| format!("cannot read {name}"))?,
            (None, Some(h)) => hex(&h.finalize()),
            (None, None) => String::new(),
        };
        let log = builder.finish()?;
        let rejects = if rejects.is_empty() {
            None
        } else {
            let path = self.rejects_path();
            write_atomically(&path, |w| {
                let mut csv = csv::Writer::from_writer(w);
                csv.write_record(["line", "reason", "row"])?;
                for r in &rejects {
                    csv.write_record([r.line.to_string(), r.error.to_string(), r.raw.clone()])?;
                }
                csv.flush()?;
                Ok(())
            })?;
            Some((path, rejects.len() as u64))
        };
        if !self.quiet {
            note!("{name}: columns");
            for l in report.mapping_lines() {
                note!("  {l}");
            }
            note!(
                "{name}: {} rows read, {} used, {} customers; date format {}",
                report.rows_read,
                log.rows_kept(),
                log.customers(),
                report.date_format
            );
        }
        if report.refund_rows > 0 && !self.quiet {
            let what = match self.refunds {
                RefundPolicy::Exclude => "excluded (use --refunds net to net them into their day)",
                RefundPolicy::Net => "netted into the same customer's same day",
            };
            note!(
                "{name}: {} rows with a negative amount (total {}) {what}",
                report.refund_rows,
                report.refund_total
            );
        }
        let (refund_days, refund_amount) = log.refund_only_days();
        if refund_days > 0 && !self.quiet {
            note!(
                "{name}: {refund_days} days held refunds without a purchase to net against (total {refund_amount}); ignored"
            );
        }
        if report.duplicate_rows > 0 && !self.quiet {
            note!(
                "{name}: {} rows repeat a transaction id seen before and were dropped (--transaction-id-col)",
                report.duplicate_rows
            );
        }
        if log.rows_after_end() > 0 && !self.quiet {
            note!(
                "{name}: {} rows after the observation end {} ignored",
                log.rows_after_end(),
                self.observation_end
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            );
        }
        if let Some((p, n)) = &rejects {
            note!(
                "{name}: {n} rows rejected, written with their reasons to {}",
                p.display()
            );
        }
        if log.customers() == 0 {
            bail!(
                "{name}: no purchases to summarise (the file has no accepted rows on or before the observation end)"
            );
        }
        Ok(Loaded {
            log,
            report,
            sha256,
            rejects,
        })
    }
}

/// The progress line for a standard error that is not a terminal: rows read and rows per
/// second, every 10 seconds.
struct RowsLine {
    on: bool,
    name: String,
    start: std::time::Instant,
    last: std::time::Instant,
}

impl RowsLine {
    fn new(on: bool, name: &str) -> RowsLine {
        let now = std::time::Instant::now();
        RowsLine {
            on,
            name: name.to_string(),
            start: now,
            last: now,
        }
    }

    fn tick(&mut self, rows: u64) {
        if !self.on || self.last.elapsed().as_secs() < 10 {
            return;
        }
        self.last = std::time::Instant::now();
        let secs = self.start.elapsed().as_secs_f64();
        note!(
            "{}: {rows} rows read in {secs:.0} s ({:.2} M rows/s)",
            self.name,
            rows as f64 / secs / 1e6
        );
    }
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether the input is a Parquet file (`.parquet`, or the `PAR1` magic bytes).
pub(crate) fn is_parquet(path: &Path) -> bool {
    #[cfg(feature = "parquet")]
    {
        comeback_parquet::is_parquet(path)
    }
    #[cfg(not(feature = "parquet"))]
    {
        path.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    }
}

/// Reads a Parquet transaction file through `tr` (its options and callbacks).
#[cfg(feature = "parquet")]
fn read_parquet<F, E>(
    tr: &mut TransactionReader<'_>,
    path: &Path,
    name: &str,
    sink: F,
) -> Result<IngestReport>
where
    F: FnMut(comeback_ingest::TransactionRow<'_>) -> std::result::Result<(), E>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    Ok(comeback_parquet::read_transactions(tr, path, name, sink)?)
}

/// Without the `parquet` feature: refuses.
#[cfg(not(feature = "parquet"))]
fn read_parquet<F, E>(
    _tr: &mut TransactionReader<'_>,
    _path: &Path,
    name: &str,
    _sink: F,
) -> Result<IngestReport>
where
    F: FnMut(comeback_ingest::TransactionRow<'_>) -> std::result::Result<(), E>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    bail!("{name}: this build of comeback has no Parquet support (cargo feature `parquet`)")
}
