//! `comeback report-card`: monthly customer-service report cards per employee and location
//! (PRODUCT R6, R10): per criterion the mean score with its confidence interval, the number
//! of ratings, the change against last month and the rank among the colleagues at the same
//! location; as text, JSON, or one printable HTML card per employee.
//!
//! Input: one rating per row with the columns `employee, location, date, criterion, score`
//! (found by name, ignoring case and accents), scores whole numbers 1–5. The statistics are
//! `comeback_voice::report_card::report_cards`; this module reads, checks and writes.
//!
//! Rules of the input:
//! - A score that is not a whole number from 1 to 5 is an error naming the file, line and
//!   column (`ratings.csv:7: column "score": cannot parse "6" as a score (out of range; ...)`).
//!   A blank score is a non-response: skipped and counted in a note.
//! - A blank employee, location, date or criterion is an error naming the line.
//! - Criteria are matched to `--criteria` ignoring case and surrounding blanks. A rating of
//!   another criterion is **ignored** and counted in a note on stderr (name, count, first
//!   line): a file may hold more criteria than a card shows, and the note makes a typo
//!   visible without stopping the run.
//! - A month without ratings (of the chosen criteria) is an error naming the month and the
//!   months that have ratings.
//!
//! `--employee` and `--location` choose which cards are shown and written; ranks are
//! always among all staff rated at the location in the month.
//!
//! HTML file names (`--html-dir DIR`): `DIR/<location>--<employee>.html`, where each name
//! is lowercased, every run of characters that are not letters or digits becomes one `-`
//! (none at either end; at most 60 characters; `_` for a name without letters or digits).
//! Since a name part never contains `--`, the separator is unambiguous. When two different
//! (location, employee) pairs get the same file name (`Ana García` and `ANA GARCÍA`, or
//! `O'Neil` and `O Neil`), each of them gets `-` and the first 8 hexadecimal digits of the
//! SHA-256 of `location`, a newline and `employee` appended to the employee part; should a
//! name still be taken, the command fails before writing anything. So no two cards ever
//! share a file, and since names are lowercased, none differ only in case either (which
//! would collide on case-insensitive file systems).
//!
//! The cards are written into a fresh temporary directory first; only when every card is
//! complete are they moved into place (the whole directory is renamed when DIR does not
//! exist; otherwise each file is renamed into DIR, replacing an older card of the same name
//! and leaving other files alone). An error while writing leaves DIR as it was.

use anyhow::{Context, Result, bail};
use comeback_core::Day;
use comeback_ingest::{
    DateFormat, Delimiter, IngestError, RowProblem, Table, TableOptions, TableRow, read_table_path,
};
use comeback_report::{CardCriterion, Lang, ReportCardInput, render_report_card};
use comeback_voice::YearMonth;
use comeback_voice::report_card::{
    CriterionResult, DEFAULT_CRITERIA, Rating, ReportCard, report_cards,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lowest score of the rating scale.
const SCALE_MIN: u8 = 1;
/// Highest score of the rating scale.
const SCALE_MAX: u8 = 5;
/// Longest name part of an HTML file name, in characters.
const MAX_SLUG: usize = 60;

/// Flags of `comeback report-card`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Ratings file: one rating per row with columns employee, location, date, criterion,
    /// score (whole numbers 1–5).
    pub input: PathBuf,
    /// The month of the cards, YYYY-MM (the change is against the month before).
    #[arg(long, value_parser = parse_month)]
    pub month: YearMonth,
    /// The criteria on the cards, in order, comma-separated; ratings of other criteria are
    /// ignored (counted in a note). Default: reliability,responsiveness,empathy,assurance.
    #[arg(long, value_name = "A,B,...")]
    pub criteria: Option<String>,
    /// Show (and write) only this employee's cards (all locations); ranks stay among all
    /// staff.
    #[arg(long, value_name = "NAME")]
    pub employee: Option<String>,
    /// Show (and write) only the cards of this location.
    #[arg(long, value_name = "LOCATION")]
    pub location: Option<String>,
    /// Confidence level of the intervals of the means (Student t), strictly between 0 and 1.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Print the cards as a JSON array instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write one printable HTML card per employee and location into this directory
    /// (`<location>--<employee>.html`).
    #[arg(long, value_name = "DIR")]
    pub html_dir: Option<PathBuf>,
    /// Language of the HTML cards: en, es, pt, fi, de or fr.
    #[arg(long, default_value = "en")]
    pub lang: Lang,
    /// Field separator: auto, comma, semicolon, tab, whitespace, or one character.
    #[arg(long, default_value = "auto")]
    pub delimiter: Delimiter,
    /// Date format: `auto` (ISO 8601 dates and timestamps, %Y%m%d) or a strftime form such
    /// as `%d/%m/%Y`.
    #[arg(long, default_value = "auto")]
    pub date_format: DateFormat,
}

fn parse_month(s: &str) -> Result<YearMonth, String> {
    YearMonth::parse(s).map_err(|e| e.to_string())
}

/// The criteria of `--criteria`: trimmed, non-empty, no duplicates (ignoring case).
fn parse_criteria(text: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for c in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        if out.iter().any(|o| o.eq_ignore_ascii_case(c)) {
            bail!("--criteria: \"{c}\" is given twice");
        }
        out.push(c.to_string());
    }
    if out.is_empty() {
        bail!("--criteria: no criterion given (e.g. --criteria reliability,empathy)");
    }
    Ok(out)
}

/// What reading the ratings file found besides the ratings.
#[derive(Debug, Default)]
struct Skipped {
    /// Rows with a blank score (non-responses).
    blank_scores: u64,
    /// Ratings of criteria not in the list: name as written → (count, first line).
    unknown: BTreeMap<String, (u64, u64)>,
}

/// Reads the ratings: one [`Rating`] per row with a score of one of `criteria`.
fn read_ratings(table: &Table, criteria: &[String]) -> Result<(Vec<Rating>, Skipped)> {
    let col = |name: &str| table.column(name).map_err(anyhow::Error::from);
    let (employee, location, date, criterion, score) = (
        col("employee")?,
        col("location")?,
        col("date")?,
        col("criterion")?,
        col("score")?,
    );
    let required = |row: &TableRow, c: usize, what: &'static str| -> Result<String, IngestError> {
        let v = row.get(c);
        if v.is_empty() {
            return Err(table.row_error(
                row,
                c,
                RowProblem::Missing {
                    what,
                    expected: "every rating names it".to_string(),
                },
            ));
        }
        Ok(v.to_string())
    };
    let mut ratings = Vec::with_capacity(table.rows.len());
    let mut skipped = Skipped::default();
    for row in &table.rows {
        let employee = required(row, employee, "an employee")?;
        let location = required(row, location, "a location")?;
        let day: Day = table.parse_day(row, date)?.ok_or_else(|| {
            table.row_error(
                row,
                date,
                RowProblem::Missing {
                    what: "a date",
                    expected: "every rating has one".to_string(),
                },
            )
        })?;
        let written = required(row, criterion, "a criterion")?;
        let score =
            table.parse_score(row, score, f64::from(SCALE_MIN), f64::from(SCALE_MAX), true)?;
        let Some(score) = score else {
            skipped.blank_scores += 1;
            continue;
        };
        let Some(known) = criteria.iter().find(|c| c.eq_ignore_ascii_case(&written)) else {
            let e = skipped.unknown.entry(written).or_insert((0, row.line));
            e.0 += 1;
            continue;
        };
        ratings.push(Rating {
            employee,
            location,
            day,
            criterion: known.clone(),
            // A whole number from 1 to 5 (checked by parse_score).
            score: score as u8,
        });
    }
    Ok((ratings, skipped))
}

/// The notes about skipped rows, for stderr.
fn skipped_notes(s: &Skipped, criteria: &[String]) -> Vec<String> {
    let mut notes = Vec::new();
    if !s.unknown.is_empty() {
        let total: u64 = s.unknown.values().map(|(n, _)| n).sum();
        let list: Vec<String> = s
            .unknown
            .iter()
            .map(|(name, (n, line))| format!("\"{name}\" ({n}, first on line {line})"))
            .collect();
        notes.push(format!(
            "{total} rating{} of criteria not in {} ignored: {}",
            if total == 1 { "" } else { "s" },
            criteria.join(","),
            list.join(", ")
        ));
    }
    if s.blank_scores > 0 {
        notes.push(format!(
            "{} row{} with a blank score skipped (no rating)",
            s.blank_scores,
            if s.blank_scores == 1 { "" } else { "s" }
        ));
    }
    notes
}

/// The error when `month` has no ratings: names the months that have some.
fn check_month(ratings: &[Rating], month: YearMonth, criteria: &[String]) -> Result<()> {
    let months: BTreeSet<YearMonth> = ratings.iter().map(|r| YearMonth::from_day(r.day)).collect();
    if months.contains(&month) {
        return Ok(());
    }
    if months.is_empty() {
        bail!(
            "no ratings in {month}: the file has no ratings of {}",
            criteria.join(", ")
        );
    }
    let list: Vec<String> = months.iter().map(ToString::to_string).collect();
    bail!(
        "no ratings in {month}; the file has ratings in {}",
        list.join(", ")
    )
}

/// A card with, per criterion (and overall last), whether its rank is shared with another
/// employee at the location.
struct Shown {
    card: ReportCard,
    tied: Vec<bool>,
    overall_tied: bool,
}

/// Marks shared ranks: same location, same criterion, same rank.
fn mark_ties(cards: Vec<ReportCard>) -> Vec<Shown> {
    let mut ranks: BTreeMap<(&str, usize, u32), u32> = BTreeMap::new();
    let k = |c: &ReportCard| c.criteria.len();
    for c in &cards {
        for (i, r) in c.criteria.iter().chain([&c.overall]).enumerate() {
            if let Some(rank) = r.rank {
                *ranks.entry((c.location.as_str(), i, rank)).or_default() += 1;
            }
        }
    }
    let tied: Vec<Vec<bool>> = cards
        .iter()
        .map(|c| {
            c.criteria
                .iter()
                .chain([&c.overall])
                .enumerate()
                .map(|(i, r)| {
                    r.rank.is_some_and(|rank| {
                        ranks.get(&(c.location.as_str(), i, rank)).copied() > Some(1)
                    })
                })
                .collect()
        })
        .collect();
    cards
        .into_iter()
        .zip(tied)
        .map(|(card, mut t)| {
            let overall_tied = t.get(k(&card)).copied().unwrap_or(false);
            t.truncate(k(&card));
            Shown {
                card,
                tied: t,
                overall_tied,
            }
        })
        .collect()
}

/// Runs `comeback report-card`.
pub fn run(args: Args) -> Result<()> {
    let criteria = match &args.criteria {
        Some(text) => parse_criteria(text)?,
        None => DEFAULT_CRITERIA.iter().map(ToString::to_string).collect(),
    };
    if !(args.confidence > 0.0 && args.confidence < 1.0) {
        bail!(
            "--confidence: {} must be strictly between 0 and 1 (e.g. 0.95)",
            args.confidence
        );
    }
    let options = TableOptions {
        delimiter: args.delimiter,
        date_format: args.date_format.clone(),
        ..TableOptions::default()
    };
    let table = read_table_path(&args.input, &options)?;
    let (ratings, skipped) = read_ratings(&table, &criteria)?;
    for n in skipped_notes(&skipped, &criteria) {
        note!("note: {n}");
    }
    check_month(&ratings, args.month, &criteria)?;
    let mut cards = report_cards(&ratings, args.month, &criteria, args.confidence)
        .context("cannot compute the report cards")?;
    cards.sort_by(|a, b| {
        (a.location.as_str(), a.employee.as_str()).cmp(&(b.location.as_str(), b.employee.as_str()))
    });
    let mut shown = mark_ties(cards);
    shown.retain(|s| {
        args.employee
            .as_deref()
            .is_none_or(|e| s.card.employee.trim().eq_ignore_ascii_case(e.trim()))
            && args
                .location
                .as_deref()
                .is_none_or(|l| s.card.location.trim().eq_ignore_ascii_case(l.trim()))
    });
    if shown.is_empty() {
        let who = match (&args.employee, &args.location) {
            (Some(e), Some(l)) => format!("employee \"{e}\" at location \"{l}\""),
            (Some(e), None) => format!("employee \"{e}\""),
            (None, Some(l)) => format!("location \"{l}\""),
            (None, None) => "any employee".to_string(),
        };
        let staff: BTreeSet<String> = ratings
            .iter()
            .filter(|r| YearMonth::from_day(r.day) == args.month)
            .map(|r| format!("{} ({})", r.employee, r.location))
            .collect();
        bail!(
            "no card for {who} in {}: rated that month were {}",
            args.month,
            staff.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    if let Some(dir) = &args.html_dir {
        let n = write_cards(dir, &shown, &args)?;
        note!(
            "wrote {n} report card{} to {}",
            if n == 1 { "" } else { "s" },
            dir.display()
        );
    }
    if args.json {
        let cards: Vec<Value> = shown
            .iter()
            .map(|s| card_json(s, args.confidence))
            .collect();
        let text = serde_json::to_string_pretty(&Value::Array(cards))?;
        outln!("{text}")?;
    } else {
        print_text(&shown, &args)?;
    }
    Ok(())
}

fn criterion_json(r: &CriterionResult, tied: bool) -> Value {
    json!({
        "criterion": r.criterion,
        "n": r.n,
        "mean": r.mean,
        "ci_low": r.ci_low,
        "ci_high": r.ci_high,
        "previous_mean": r.previous_mean,
        "change": r.change,
        "rank": r.rank,
        "peers": r.peers,
        "tied": tied,
    })
}

fn card_json(s: &Shown, confidence: f64) -> Value {
    let c = &s.card;
    json!({
        "employee": c.employee,
        "location": c.location,
        "month": c.month.to_string(),
        "confidence": confidence,
        "criteria": c.criteria.iter().zip(&s.tied).map(|(r, t)| criterion_json(r, *t)).collect::<Vec<_>>(),
        "overall": criterion_json(&c.overall, s.overall_tied),
    })
}

/// `4.50`, or `-` when missing.
fn score(x: Option<f64>) -> String {
    x.filter(|x| x.is_finite())
        .map_or_else(|| "-".to_string(), |x| format!("{x:.2}"))
}

/// `↑ 0.17`, `↓ 0.25`, `= 0.00` (rounds to zero) or `-` (no ratings last month).
fn change(x: Option<f64>) -> String {
    match x.filter(|x| x.is_finite()) {
        None => "-".to_string(),
        Some(d) if (d.abs() * 100.0).round() == 0.0 => "= 0.00".to_string(),
        Some(d) if d > 0.0 => format!("↑ {d:.2}"),
        Some(d) => format!("↓ {:.2}", d.abs()),
    }
}

fn interval(r: &CriterionResult) -> String {
    match (r.ci_low, r.ci_high) {
        (Some(lo), Some(hi)) if lo.is_finite() && hi.is_finite() => {
            format!("[{lo:.2}, {hi:.2}]")
        }
        _ => "-".to_string(),
    }
}

fn rank(r: &CriterionResult, tied: bool) -> String {
    match r.rank {
        Some(k) if tied => format!("{k} of {} (tie)", r.peers),
        Some(k) => format!("{k} of {}", r.peers),
        None => "-".to_string(),
    }
}

fn print_text(shown: &[Shown], args: &Args) -> Result<()> {
    // 0.95 → 95 (not 95.00000000000001).
    let pct = (args.confidence * 100.0 * 1e6).round() / 1e6;
    outln!(
        "Report cards for {} (scores {SCALE_MIN}-{SCALE_MAX}; mean [{pct}% t interval] (n); change vs {}; rank among the staff of the location, 1 = highest mean)",
        args.month,
        args.month.prev()
    )?;
    let name_w = shown
        .iter()
        .flat_map(|s| s.card.criteria.iter().map(|c| c.criterion.chars().count()))
        .chain(["overall".len()])
        .max()
        .unwrap_or(7);
    let mut location: Option<&str> = None;
    for s in shown {
        let c = &s.card;
        if location != Some(c.location.as_str()) {
            outln!()?;
            outln!("== {} ==", c.location)?;
            location = Some(c.location.as_str());
        }
        outln!()?;
        outln!("{} ({} ratings)", c.employee, c.overall.n)?;
        let rows = c
            .criteria
            .iter()
            .zip(s.tied.iter().copied())
            .map(|(r, t)| (r.criterion.as_str(), r, t))
            .chain([("overall", &c.overall, s.overall_tied)]);
        for (name, r, tied) in rows {
            outln!(
                "  {name:<name_w$}  {:>5} {:<14} ({:>3})  {:<7}  {}",
                score(r.mean),
                interval(r),
                r.n,
                change(r.change),
                rank(r, tied)
            )?;
        }
    }
    Ok(())
}

/// The card of `s` as plain data for the page.
fn card_input(s: &Shown, confidence: f64) -> ReportCardInput {
    let row = |r: &CriterionResult, tied: bool| CardCriterion {
        criterion: r.criterion.clone(),
        n: r.n,
        mean: r.mean,
        ci_low: r.ci_low,
        ci_high: r.ci_high,
        change: r.change,
        rank: r.rank,
        peers: r.peers,
        tied,
    };
    let c = &s.card;
    ReportCardInput {
        employee: c.employee.clone(),
        location: c.location.clone(),
        year: c.month.year,
        month: c.month.month,
        confidence,
        scale_min: SCALE_MIN,
        scale_max: SCALE_MAX,
        criteria: c
            .criteria
            .iter()
            .zip(&s.tied)
            .map(|(r, t)| row(r, *t))
            .collect(),
        overall: Some(row(&c.overall, s.overall_tied)),
        generated_at: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// One part of a file name: lowercase letters and digits, other runs as one `-`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    let mut pending_dash = false;
    for ch in name.chars() {
        if ch.is_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.extend(ch.to_lowercase());
        } else {
            pending_dash = true;
        }
    }
    let mut out: String = out.chars().take(MAX_SLUG).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// The file name of every (location, employee) pair, following the rule in the module
/// docs; an error if two pairs would still share one.
pub fn file_names(pairs: &[(&str, &str)]) -> Result<Vec<String>> {
    use sha2::{Digest, Sha256};
    let plain: Vec<(String, String)> = pairs.iter().map(|(l, e)| (slug(l), slug(e))).collect();
    let mut owners: BTreeMap<String, BTreeSet<(&str, &str)>> = BTreeMap::new();
    for ((l, e), pair) in plain.iter().zip(pairs) {
        owners.entry(format!("{l}--{e}")).or_default().insert(*pair);
    }
    let names: Vec<String> = plain
        .iter()
        .zip(pairs)
        .map(|((l, e), (loc, emp))| {
            let base = format!("{l}--{e}");
            if owners[&base].len() > 1 {
                let digest = Sha256::digest(format!("{loc}\n{emp}").as_bytes());
                let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
                format!("{base}-{hex}.html")
            } else {
                format!("{base}.html")
            }
        })
        .collect();
    let mut seen: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    for (name, pair) in names.iter().zip(pairs) {
        if let Some(other) = seen.insert(name.as_str(), *pair)
            && other != *pair
        {
            bail!(
                "two report cards would be written to {name}: \"{}\" at \"{}\" and \"{}\" at \"{}\"",
                other.1,
                other.0,
                pair.1,
                pair.0
            );
        }
    }
    Ok(names)
}

/// Writes one HTML card per shown card into `dir`, all or none (see the module docs).
/// Returns the number of files written.
fn write_cards(dir: &Path, shown: &[Shown], args: &Args) -> Result<usize> {
    let pairs: Vec<(&str, &str)> = shown
        .iter()
        .map(|s| (s.card.location.as_str(), s.card.employee.as_str()))
        .collect();
    let names = file_names(&pairs)?;
    let exists = match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => true,
        Ok(_) => bail!("--html-dir {}: not a directory", dir.display()),
        Err(_) => false,
    };
    // The staging directory sits inside DIR when it exists, else next to it, so every
    // rename stays on one file system.
    let parent = if exists {
        dir.to_path_buf()
    } else {
        match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    };
    let staging = tempfile::Builder::new()
        .prefix(".comeback-cards-")
        .tempdir_in(&parent)
        .with_context(|| {
            format!(
                "cannot create a temporary directory in {}",
                parent.display()
            )
        })?;
    for (s, name) in shown.iter().zip(&names) {
        let html = render_report_card(&card_input(s, args.confidence), args.lang);
        let path = staging.path().join(name);
        std::fs::write(&path, html).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if exists {
        for name in &names {
            let to = dir.join(name);
            std::fs::rename(staging.path().join(name), &to)
                .with_context(|| format!("cannot write {}", to.display()))?;
        }
        // The emptied staging directory is removed when `staging` is dropped.
    } else {
        let tmp = staging.keep();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // A temporary directory is private (0700); the output is an ordinary one.
            let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755));
        }
        if let Err(e) = std::fs::rename(&tmp, dir) {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e).with_context(|| format!("cannot create {}", dir.display()));
        }
    }
    Ok(names.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Ana García"), "ana-garcía");
        assert_eq!(slug("  Frank O'Neil "), "frank-o-neil");
        assert_eq!(slug("Harbour Front"), "harbour-front");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("—"), "_");
        assert_eq!(slug(&"x".repeat(100)).chars().count(), MAX_SLUG);
    }

    #[test]
    fn colliding_names_get_a_hash() {
        let names = file_names(&[
            ("Downtown", "Ana García"),
            ("Downtown", "ana garcía"),
            ("Downtown", "Ben"),
        ])
        .unwrap();
        assert_eq!(names[2], "downtown--ben.html");
        assert!(names[0].starts_with("downtown--ana-garcía-") && names[0].ends_with(".html"));
        assert_ne!(names[0], names[1]);
        assert_eq!(names[0].len(), "downtown--ana-garcía-".len() + 8 + 5);
    }

    #[test]
    fn criteria_list() {
        assert_eq!(
            parse_criteria(" a, b ,,c").unwrap(),
            vec!["a".to_string(), "b".into(), "c".into()]
        );
        assert_eq!(
            parse_criteria("a,A").unwrap_err().to_string(),
            "--criteria: \"A\" is given twice"
        );
        assert!(parse_criteria(" , ").is_err());
    }

    proptest! {
        /// Distinct pairs always get distinct file names, also when compared ignoring
        /// case, and names are safe: no separator, no leading dot.
        #[test]
        fn file_names_are_unique_and_safe(
            pairs in proptest::collection::btree_set(("[aA ./é-]{0,4}", "[bB ./_-]{0,4}"), 1..12)
        ) {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(l, e)| (l.as_str(), e.as_str())).collect();
            let names = file_names(&pairs).unwrap();
            let lower: BTreeSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
            prop_assert_eq!(lower.len(), pairs.len());
            for n in &names {
                prop_assert!(!n.contains('/') && !n.contains('\\') && !n.starts_with('.'));
                prop_assert!(n.ends_with(".html"));
            }
        }
    }
}
