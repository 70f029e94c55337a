//! Measures parse speed: `cargo run --release -p comeback-ingest --example throughput [ROWS|FILE]`.
//! Generates an in-memory log (customer, date, amount) in three shapes and reads each with a
//! sink that only sums amounts, so the number is the reader's own cost.

use comeback_ingest::{IngestOptions, read_transactions};
use std::fmt::Write as _;
use std::time::Instant;

/// Name, header, row writer.
type Shape = (&'static str, &'static str, fn(&mut String, usize));

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arg = std::env::args().nth(1);
    if let Some(path) = arg.as_deref().filter(|a| std::path::Path::new(a).is_file()) {
        // A file: read it with default options.
        let start = Instant::now();
        let mut n = 0u64;
        let report = comeback_ingest::TransactionReader::new(IngestOptions::default()).read_path(
            std::path::Path::new(path),
            |_| {
                n += 1;
                Ok::<_, std::convert::Infallible>(())
            },
        )?;
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{path}: {n} rows, {:.1} MB in {secs:.3} s = {:.1} MB/s",
            report.bytes_read as f64 / 1e6,
            report.bytes_read as f64 / 1e6 / secs
        );
        return Ok(());
    }
    let rows: usize = arg.map_or(Ok(5_000_000), |s| s.parse())?;
    let shapes: [Shape; 3] = [
        ("csv YYYY-MM-DD", "customer_id,date,amount\n", |s, i| {
            let _ = writeln!(
                s,
                "{},2024-{:02}-{:02},{}.{:02}",
                i * 7919 % 1_000_000,
                i % 12 + 1,
                i % 28 + 1,
                i % 500,
                i % 100
            );
        }),
        (
            "csv YYYY-MM-DD HH:MM:SS",
            "customer_id,date,amount\n",
            |s, i| {
                let _ = writeln!(
                    s,
                    "{},2024-{:02}-{:02} 12:{:02}:00,{}.{:02}",
                    i * 7919 % 1_000_000,
                    i % 12 + 1,
                    i % 28 + 1,
                    i % 60,
                    i % 500,
                    i % 100
                );
            },
        ),
        (
            "whitespace YYYYMMDD",
            " customer_id date dollar_value\n",
            |s, i| {
                let _ = writeln!(
                    s,
                    " {:05} 1997{:02}{:02}   {}.{:02}",
                    i * 7919 % 100_000,
                    i % 12 + 1,
                    i % 28 + 1,
                    i % 500,
                    i % 100
                );
            },
        ),
    ];
    for (name, header, row) in shapes {
        let mut data = String::with_capacity(rows * 40);
        data.push_str(header);
        for i in 0..rows {
            row(&mut data, i);
        }
        let start = Instant::now();
        let mut sum = 0i64;
        let report = read_transactions(data.as_bytes(), "bench", &IngestOptions::default(), |r| {
            sum = sum.wrapping_add(r.amount.micros());
            Ok::<_, std::convert::Infallible>(())
        })?;
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{name:26} {:>10} rows {:>7.1} MB  {:>6.3} s  {:>7.1} MB/s  {:>6.1} M rows/s  (checksum {sum})",
            report.rows_accepted,
            data.len() as f64 / 1e6,
            secs,
            data.len() as f64 / 1e6 / secs,
            report.rows_accepted as f64 / 1e6 / secs,
        );
    }
    Ok(())
}
