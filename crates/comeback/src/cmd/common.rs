//! Helpers shared by the subcommands: `key=value` parameter lists, atomic output files,
//! progress bars.

use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::Path;

/// Clap value parser of a forecast horizon (`--horizon`): a finite number > 0 (a horizon of
/// 0 forecasts nothing, and a CLV over it would not be 0).
pub fn parse_horizon(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(_) => Err("the horizon must be a number > 0".to_string()),
        Err(_) => Err("not a number (the horizon must be a number > 0)".to_string()),
    }
}

/// Clap value parser of a CLV discount rate (`--discount-rate`): a finite number ≥ 0, the
/// rate per discount period (0.01 = 1 % per period).
pub fn parse_discount_rate(s: &str) -> std::result::Result<f64, String> {
    const RULE: &str = "the discount rate must be a number ≥ 0, per discount period (0.01 = 1 % per period; the period is --discount-period, one month by default)";
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(_) => Err(RULE.to_string()),
        Err(_) => Err(format!("not a number ({RULE})")),
    }
}

/// Parses `r=0.243,alpha=4.414,...` into values in the order of `names`. Every name must
/// be given exactly once; unknown names are errors.
pub fn parse_params(flag: &str, text: &str, names: &[&str]) -> Result<Vec<f64>> {
    let mut values: Vec<Option<f64>> = vec![None; names.len()];
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            bail!(
                "{flag}: expected name=value, got \"{part}\" (names: {})",
                names.join(", ")
            );
        };
        let k = k.trim();
        let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(k)) else {
            bail!(
                "{flag}: unknown parameter \"{k}\" (expected {})",
                names.join(", ")
            );
        };
        let x: f64 = v.trim().parse().with_context(|| {
            format!("{flag}: cannot parse \"{}\" as a number for {k}", v.trim())
        })?;
        if values[i].replace(x).is_some() {
            bail!("{flag}: parameter \"{k}\" given twice");
        }
    }
    names
        .iter()
        .zip(values)
        .map(|(n, v)| {
            v.with_context(|| {
                format!(
                    "{flag}: missing parameter \"{n}\" (expected {})",
                    names.join(", ")
                )
            })
        })
        .collect()
}

/// Whether `a` and `b` name the same file: their canonical paths when both exist (so
/// `./x.csv`, `x.csv` and a symbolic link to it are one file), else the paths as given.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Refuses output files that would overwrite an input file or each other, before anything
/// is read or written. `inputs` are paths (`-`, standard input, is skipped); `outputs` are
/// `(flag, path)` pairs such as `("--html", page.html)`.
///
/// # Errors
/// `one.csv (--html) is the input; choose another output file`, or
/// `--out and --html name the same file`.
pub fn check_outputs(inputs: &[&Path], outputs: &[(&str, &Path)]) -> Result<()> {
    for (i, (flag, out)) in outputs.iter().enumerate() {
        if inputs
            .iter()
            .any(|input| *input != Path::new("-") && same_file(out, input))
        {
            bail!(
                "{} ({flag}) is the input; choose another output file",
                out.display()
            );
        }
        if let Some((other, _)) = outputs[..i].iter().find(|(_, b)| same_file(out, b)) {
            bail!("{other} and {flag} name the same file");
        }
    }
    Ok(())
}

/// Writes a file atomically: `write` fills a temporary file in the same directory, which is
/// renamed over `path` only when `write` succeeds, so a failure never leaves a partial or
/// half-replaced file.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    write_atomically_send(path, |w| write(w))
}

/// As [`write_atomically`], with a writer that can move between threads (the Parquet
/// writer needs one).
pub fn write_atomically_send(
    path: &Path,
    write: impl FnOnce(&mut (dyn Write + Send)) -> Result<()>,
) -> Result<()> {
    // A device or pipe (`-o /dev/stdout`, a FIFO) is written in place: renaming over it would
    // replace it with a regular file.
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        if meta.is_dir() {
            bail!("cannot write {}: it is a directory", path.display());
        }
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut w = std::io::BufWriter::new(f);
        write(&mut w)?;
        w.flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
        return Ok(());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".comeback-");
    // A temporary file is private (0600) by default; the output is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    // Errors name the target, not the temporary file (whose name tempfile puts in its
    // messages): the OS error alone, after `cannot write PATH`.
    let plain = |e: &std::io::Error| {
        e.raw_os_error().map_or_else(
            || std::io::Error::from(e.kind()),
            std::io::Error::from_raw_os_error,
        )
    };
    let tmp = builder
        .tempfile_in(dir)
        .map_err(|e| plain(&e))
        .with_context(|| format!("cannot write {}", path.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp);
    write(&mut w)?;
    let tmp = w
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file().sync_all().ok();
    tmp.persist(path)
        .map_err(|e| plain(&e.error))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// A progress bar on stderr when it is a terminal and not `quiet`; hidden otherwise.
pub fn progress_bar(quiet: bool, len: Option<u64>, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = match len {
        Some(n) => indicatif::ProgressBar::new(n).with_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        ),
        None => indicatif::ProgressBar::new_spinner(),
    };
    pb.set_message(what.to_string());
    pb
}

/// A spinner counting rows (for input without a known length, such as a pipe): rows read,
/// rows per second and time elapsed on stderr; hidden with `quiet` or when stderr is not a
/// terminal.
pub fn rows_bar(quiet: bool, what: &str) -> indicatif::ProgressBar {
    let pb = progress_bar(quiet, None, what);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg} {human_pos} rows ({per_sec}, {elapsed})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    pb
}

/// Whether an output path names a Parquet file (`.parquet`, any case).
pub fn is_parquet_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Writes a table of one text id column and real columns — CSV (reals in Rust's shortest
/// round-trip form, as `predict` always wrote them) to `output` or standard output, or
/// Parquet when `output` ends in `.parquet` (`customer_id` as STRING, the rest as DOUBLE) —
/// atomically. `fill` is called with a row sink.
pub fn write_real_table(
    output: Option<&Path>,
    header: &[&str],
    fill: impl FnOnce(&mut dyn FnMut(&str, &[f64]) -> Result<()>) -> Result<()>,
) -> Result<()> {
    if let Some(path) = output.filter(|p| is_parquet_path(p)) {
        #[cfg(feature = "parquet")]
        {
            use comeback_parquet::{ColumnKind, TableWriter, Value};
            let kinds: Vec<(&str, ColumnKind)> = header
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    (
                        *h,
                        if i == 0 {
                            ColumnKind::Text
                        } else {
                            ColumnKind::Real
                        },
                    )
                })
                .collect();
            return write_atomically_send(path, |w| {
                let mut tw = TableWriter::new(w, &kinds)?;
                fill(&mut |id, xs| {
                    let mut vals: Vec<Value<'_>> = Vec::with_capacity(xs.len() + 1);
                    vals.push(Value::Text(id));
                    vals.extend(xs.iter().map(|x| Value::Real(*x)));
                    tw.push(&vals)?;
                    Ok(())
                })?;
                tw.finish()?;
                Ok(())
            });
        }
        #[cfg(not(feature = "parquet"))]
        bail!(
            "{}: this build of comeback has no Parquet support (cargo feature `parquet`)",
            path.display()
        );
    }
    let write = |w: &mut dyn Write| -> Result<()> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(header)?;
        let mut rec: Vec<String> = Vec::with_capacity(header.len());
        fill(&mut |id, xs| {
            rec.clear();
            rec.push(id.to_string());
            rec.extend(xs.iter().map(|x| x.to_string()));
            out.write_record(&rec)?;
            Ok(())
        })?;
        out.flush()?;
        Ok(())
    };
    match output {
        Some(path) => write_atomically(path, write),
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            write(&mut lock)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params() {
        assert_eq!(
            parse_params("--params", "b=2, a=1", &["a", "b"]).unwrap(),
            vec![1.0, 2.0]
        );
        let e = parse_params("--params", "a=1", &["a", "b"])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "--params: missing parameter \"b\" (expected a, b)");
        let e = parse_params("--params", "a=1,c=2", &["a", "b"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown parameter \"c\""), "{e}");
        let e = parse_params("--params", "a=x", &["a"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot parse \"x\""), "{e}");
    }

    #[test]
    fn devices_are_written_in_place_not_replaced() {
        write_atomically(Path::new("/dev/null"), |w| Ok(w.write_all(b"x")?)).unwrap();
        assert!(
            !std::fs::metadata("/dev/null").unwrap().is_file(),
            "/dev/null is still a device"
        );
        let dir = tempfile::tempdir().unwrap();
        let e = write_atomically(dir.path(), |w| Ok(w.write_all(b"x")?)).unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
    }

    #[test]
    fn outputs_that_name_an_input_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("one.csv");
        std::fs::write(&input, "score\n9\n").unwrap();
        let dotted = dir.path().join(".").join("one.csv");
        let e = check_outputs(&[&input], &[("--html", &dotted)]).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("(--html) is the input; choose another output file"),
            "{e}"
        );
        let page = dir.path().join("page.html");
        let e =
            check_outputs(&[Path::new("-")], &[("--out", &page), ("--html", &page)]).unwrap_err();
        assert_eq!(e.to_string(), "--out and --html name the same file");
        check_outputs(&[&input, Path::new("-")], &[("--html", &page)]).unwrap();
    }

    #[test]
    fn errors_name_the_target_not_the_temporary_file() {
        let e = write_atomically(Path::new("/nonexistent/x.html"), |w| Ok(w.write_all(b"x")?))
            .unwrap_err();
        let msg = format!("{e:#}");
        assert!(
            msg.starts_with("cannot write /nonexistent/x.html: "),
            "{msg}"
        );
        assert!(!msg.contains(".comeback-"), "{msg}");
    }

    #[test]
    fn atomic_write_leaves_nothing_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.csv");
        let r = write_atomically(&p, |w| {
            w.write_all(b"partial")?;
            bail!("boom")
        });
        assert!(r.is_err());
        assert!(!p.exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "temp file removed"
        );
        write_atomically(&p, |w| Ok(w.write_all(b"ok")?)).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "ok");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o644
            );
        }
    }
}
