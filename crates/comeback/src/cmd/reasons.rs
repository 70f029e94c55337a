//! `comeback reasons`: open answers and exit reasons classified into the reason taxonomy
//! (PRODUCT R6) in six languages, with the reason Pareto table, representative quotes, a
//! classified CSV, JSON, an HTML page, and the evaluation on labelled sets.
//!
//! The classifier is `comeback_voice::classify`: method v2, the stemmed lexicons with
//! negation scopes (the explanation and the business-extensible part) plus a learned layer
//! (one multilingual set of logistic regressions over words, negated words, bigrams,
//! character 4-grams and the lexicon scores; see its module docs and README "Open answers:
//! how reasons are found"). `--lexicon-only` uses method v1, the lexicons alone.
//!
//! The hidden `--train DIR... --out MODEL_DIR` re-trains the learned layer from labelled
//! sets: grouped 5-fold cross-validation (translations of one answer together) over the
//! grid [`GRID_LAMBDA`] × [`GRID_CHAR_WEIGHT`] × [`GRID_THRESHOLD`] × [`GRID_FLOOR`], the
//! setting with the most exactly right answers over all languages (ties: the first in grid
//! order), then the multilingual model on all answers, written as `MODEL_DIR/all.tsv` with
//! the cross-validated scores in its header. The grid is the last of several explored on
//! the same data (λ 0.1–1, character weight 0–8, models per language or multilingual).
//! Used once to write `data/voice/model/` from `data/voice/dev` and `data/voice/train`.
//!
//! Text output: one line per reason (count, share of reason mentions, cumulative share)
//! and up to `--quotes` quotes each. `--json` prints `{file, answers, non_responses,
//! no_reason, languages: {code: n}, reasons: [{reason, count, share, cumulative_share,
//! quotes: [{line, text, score}]}]}`. `--out` writes the input rows with two more columns:
//! `language` (the code used, empty when undetected or blank) and `reasons` (labels joined
//! by `;`, `none` when no reason was found, empty for a blank answer).
//!
//! `--evaluate LABELLED.csv...` classifies labelled sets (`id,language,text,labels,tags`)
//! and prints the exact-set accuracy per language and per hard-case tag, micro-averaged
//! F1, the counts per reason and the misclassified rows (`--json`: the same as JSON).

use super::common::write_atomically;
use anyhow::{Context, Result, bail};
use comeback_ingest::{Delimiter, RowProblem, TableOptions, read_table};
use comeback_report::{Lang, ReasonRow, ReasonsInput, render_reasons};
use comeback_voice::classify::{
    Classification, Classifier, DEFAULT_REASONS, Evaluation, LabelledAnswer, Language, ReasonModel,
    TrainOptions, cross_validate, decide, parse_labelled_csv, reason_pareto, representative_quotes,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Flags of `comeback reasons`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The answers: a delimited file with a header row (`-` for standard input).
    #[arg(required_unless_present_any = ["evaluate", "train"], value_name = "ANSWERS.csv")]
    pub input: Option<PathBuf>,
    /// The column holding the open answers.
    #[arg(long, default_value = "answer", value_name = "COLUMN")]
    pub text_col: String,
    /// The column holding each answer's language (a code such as fi or a name such as
    /// Suomi; blank = detect).
    #[arg(long, value_name = "COLUMN", conflicts_with = "lang")]
    pub lang_col: Option<String>,
    /// The language of every answer: en, es, pt, fi, de or fr (default: detect per answer).
    #[arg(long, value_parser = parse_language)]
    pub lang: Option<Language>,
    /// Extra lexicon rows: CSV `language,reason,term[,weight[,negated]]` (new reasons
    /// allowed).
    #[arg(long, value_name = "EXTRA.csv")]
    pub lexicon: Option<PathBuf>,
    /// Write the input rows with `language` and `reasons` columns to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write a self-contained HTML page (Pareto chart and quotes) to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Language of the HTML page: en, es, pt, fi, de or fr.
    #[arg(long, default_value = "en")]
    pub page_lang: Lang,
    /// Quotes per reason.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub quotes: usize,
    /// Field separator of the answers file: auto (the one of `,` `;` tab in the header line,
    /// a comma for a single column), comma, semicolon, tab, or one character.
    #[arg(long, default_value = "auto")]
    pub delimiter: Delimiter,
    /// Evaluate the classifier on labelled sets (`id,language,text,labels,tags`) instead.
    #[arg(long, num_args = 1.., value_name = "LABELLED.csv")]
    pub evaluate: Vec<PathBuf>,
    /// Method v1: the lexicon layer alone, without the learned models.
    #[arg(long)]
    pub lexicon_only: bool,
    /// Re-train the learned layer from the labelled sets (`*.csv`) in these directories and
    /// write the models to the directory given by `--out`.
    #[arg(
        long,
        hide = true,
        num_args = 1..,
        value_name = "DIR",
        conflicts_with_all = ["evaluate", "input", "lexicon", "lexicon_only", "html"]
    )]
    pub train: Vec<PathBuf>,
}

/// λ values of the training grid (L2 penalty).
pub const GRID_LAMBDA: [f64; 3] = [0.3, 0.5, 1.0];
/// Character 4-gram block lengths of the training grid (0: none).
pub const GRID_CHAR_WEIGHT: [f64; 3] = [4.0, 6.0, 8.0];
/// Probability thresholds of the training grid: 0.20, 0.25, …, 0.70.
pub const GRID_THRESHOLD: [f64; 11] = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7];
/// Floors of the training grid (the most probable label when none reaches the threshold;
/// 1: never).
pub const GRID_FLOOR: [f64; 5] = [0.05, 0.1, 0.15, 0.2, 1.0];
/// Folds of the cross-validation.
pub const FOLDS: usize = 5;

fn parse_language(s: &str) -> Result<Language, String> {
    s.parse()
        .map_err(|e: comeback_voice::classify::UnknownLanguage| e.to_string())
}

/// Runs `comeback reasons`.
pub fn run(args: Args) -> Result<()> {
    if !args.train.is_empty() {
        return train(&args);
    }
    let mut classifier = if args.lexicon_only {
        Classifier::lexicon_only()
    } else {
        Classifier::builtin()
    };
    if let Some(path) = &args.lexicon {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        classifier
            .extend_from_csv(&text)
            .map_err(|e| anyhow::anyhow!(e.located(&path.display().to_string())))?;
    }
    if !args.evaluate.is_empty() {
        if args.input.is_some() || args.out.is_some() || args.html.is_some() {
            bail!("--evaluate reads labelled sets only: drop ANSWERS.csv, --out and --html");
        }
        return evaluate(&classifier, &args);
    }
    let Some(input) = &args.input else {
        bail!("no answers file given");
    };
    let outputs: Vec<(&str, &Path)> = [("--out", &args.out), ("--html", &args.html)]
        .into_iter()
        .filter_map(|(flag, p)| p.as_deref().map(|p| (flag, p)))
        .collect();
    super::common::check_outputs(&[input], &outputs)?;
    let name = input.display().to_string();
    let data = if input.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut buf)
            .context("cannot read standard input")?;
        buf
    } else {
        std::fs::read(input).with_context(|| format!("cannot read {name}"))?
    };
    let options = TableOptions {
        delimiter: match args.delimiter {
            Delimiter::Auto => header_delimiter(&data),
            d => d,
        },
        ..TableOptions::default()
    };
    let display = if input.as_os_str() == "-" {
        "stdin"
    } else {
        &name
    };
    let table = read_table(&data[..], display, &options)?;
    let text_col = table.column(&args.text_col)?;
    let lang_col = match &args.lang_col {
        Some(c) => Some(table.column(c)?),
        None => None,
    };
    let mut texts = Vec::with_capacity(table.rows.len());
    let mut classified = Vec::with_capacity(table.rows.len());
    let mut non_responses = 0u64;
    let mut languages: BTreeMap<String, u64> = BTreeMap::new();
    for row in &table.rows {
        let text = row.get(text_col);
        let lang = match lang_col {
            Some(c) => match row.get(c) {
                "" => None,
                v => Some(v.parse::<Language>().map_err(|_| {
                    table.row_error(
                        row,
                        c,
                        RowProblem::Unparseable {
                            value: v.to_string(),
                            what: "a language",
                            expected: "en, es, pt, fi, de or fr".to_string(),
                        },
                    )
                })?),
            },
            None => args.lang,
        };
        let c = classifier.classify(text, lang);
        if comeback_voice::classify::is_blank(text) {
            non_responses += 1;
        } else {
            let code = c.language.map_or("?", Language::as_str);
            *languages.entry(code.to_string()).or_default() += 1;
        }
        texts.push(text.to_string());
        classified.push(c);
    }
    let no_reason = classified
        .iter()
        .zip(&texts)
        .filter(|(c, t)| c.reasons.is_empty() && !comeback_voice::classify::is_blank(t))
        .count() as u64;
    let pareto = reason_pareto(&classified);
    let quotes = representative_quotes(&texts, &classified, args.quotes);

    if let Some(out) = &args.out {
        write_classified(out, &table.headers, &table, &classified)?;
    }
    if let Some(html) = &args.html {
        let page = ReasonsInput {
            input_file: name.clone(),
            answers: table.rows.len() as u64,
            non_responses,
            no_reason,
            rows: pareto
                .iter()
                .zip(&quotes)
                .map(|(p, (_, q))| ReasonRow {
                    reason: p.reason.clone(),
                    count: p.count as u64,
                    share: p.share,
                    cumulative_share: p.cumulative_share,
                    quotes: q.iter().map(|q| texts[q.index].clone()).collect(),
                })
                .collect(),
            languages: languages.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        };
        let doc = render_reasons(&page, args.page_lang);
        write_atomically(html, |w| Ok(w.write_all(doc.as_bytes())?))?;
    }
    if args.json {
        let reasons: Vec<Value> = pareto
            .iter()
            .zip(&quotes)
            .map(|(p, (_, q))| {
                json!({
                    "reason": p.reason, "count": p.count, "share": p.share,
                    "cumulative_share": p.cumulative_share,
                    "quotes": q.iter().map(|q| json!({
                        "line": table.rows[q.index].line, "text": texts[q.index], "score": q.score,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let v = json!({
            "file": name, "answers": table.rows.len(), "non_responses": non_responses,
            "no_reason": no_reason, "languages": languages, "reasons": reasons,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    let given = table.rows.len() as u64 - non_responses;
    outln!(
        "{name}: {} rows, {given} answers, {non_responses} blank (non-responses), {no_reason} without a reason",
        table.rows.len()
    )?;
    if !languages.is_empty() {
        let l: Vec<String> = languages.iter().map(|(k, v)| format!("{k} {v}")).collect();
        outln!("languages: {}", l.join(", "))?;
    }
    if pareto.is_empty() {
        outln!("no reasons found")?;
        return Ok(());
    }
    let width = pareto
        .iter()
        .map(|p| p.reason.len())
        .max()
        .unwrap_or(6)
        .max(6);
    outln!(
        "{:width$}  {:>7}  {:>7}  {:>10}",
        "reason",
        "answers",
        "share",
        "cumulative"
    )?;
    for p in &pareto {
        outln!(
            "{:width$}  {:>7}  {:>6.1}%  {:>9.1}%",
            p.reason,
            p.count,
            100.0 * p.share,
            100.0 * p.cumulative_share
        )?;
    }
    if args.quotes > 0 {
        for (reason, qs) in &quotes {
            outln!("\n{reason}:")?;
            for q in qs {
                outln!(
                    "  line {}: \"{}\"",
                    table.rows[q.index].line,
                    texts[q.index]
                )?;
            }
        }
    }
    Ok(())
}

/// The separator of an answers file in automatic mode: the one of `,` `;` tab that the
/// header line holds most often, a comma when it holds none (a single column: free text
/// must never be split at spaces).
fn header_delimiter(data: &[u8]) -> Delimiter {
    let header = data.split(|&b| b == b'\n').next().unwrap_or_default();
    [b',', b';', b'\t']
        .into_iter()
        .map(|d| (header.iter().filter(|&&b| b == d).count(), d))
        .filter(|&(n, _)| n > 0)
        .max_by_key(|&(n, _)| n)
        .map_or(Delimiter::Byte(b','), |(_, d)| Delimiter::Byte(d))
}

/// Writes the input rows plus `language` and `reasons` columns, atomically.
fn write_classified(
    out: &Path,
    headers: &[String],
    table: &comeback_ingest::Table,
    classified: &[Classification],
) -> Result<()> {
    write_atomically(out, |w| {
        let mut csv = csv::Writer::from_writer(w);
        let mut header: Vec<&str> = headers.iter().map(String::as_str).collect();
        header.extend(["language", "reasons"]);
        csv.write_record(&header)?;
        for (row, c) in table.rows.iter().zip(classified) {
            let blank = c.language.is_none() && c.reasons.is_empty();
            let reasons = if c.reasons.is_empty() {
                if blank {
                    String::new()
                } else {
                    "none".to_string()
                }
            } else {
                c.labels().join(";")
            };
            let mut rec: Vec<&str> = row.fields.iter().map(String::as_str).collect();
            rec.push(c.language.map_or("", Language::as_str));
            rec.push(&reasons);
            csv.write_record(&rec)?;
        }
        csv.flush()?;
        Ok(())
    })
}

/// `--evaluate`: labelled sets → accuracy per language and tag, micro-F1, misclassified rows.
fn evaluate(classifier: &Classifier, args: &Args) -> Result<()> {
    let mut labelled = Vec::new();
    for path in &args.evaluate {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let set = parse_labelled_csv(&text)
            .map_err(|e| anyhow::anyhow!(e.located(&path.display().to_string())))?;
        labelled.extend(set);
    }
    if labelled.is_empty() {
        bail!("the labelled sets hold no answers");
    }
    let ev = classifier.evaluate(&labelled);
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&evaluation_json(&ev, labelled.len()))?
        )?;
        return Ok(());
    }
    outln!(
        "{:12}  {:>7}  {:>5}  {:>8}  {:>8}",
        "group",
        "answers",
        "exact",
        "accuracy",
        "micro-F1"
    )?;
    for g in ev.per_language.iter().chain(&ev.per_tag).chain(&ev.overall) {
        outln!(
            "{:12}  {:>7}  {:>5}  {:>7.1}%  {:>8.3}",
            g.group,
            g.answers,
            g.exact,
            100.0 * g.accuracy(),
            g.micro.f1()
        )?;
    }
    outln!(
        "language detected correctly: {} of {}",
        ev.language_detected,
        labelled.len()
    )?;
    outln!(
        "\n{:24}  {:>4}  {:>4}  {:>4}  {:>6}",
        "reason",
        "tp",
        "fp",
        "fn",
        "F1"
    )?;
    for (r, p) in &ev.per_reason {
        outln!(
            "{r:24}  {:>4}  {:>4}  {:>4}  {:>6.3}",
            p.tp,
            p.fp,
            p.fn_,
            p.f1()
        )?;
    }
    if !ev.misclassified.is_empty() {
        outln!("\nmisclassified ({}):", ev.misclassified.len())?;
        for m in &ev.misclassified {
            let show = |v: &[String]| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.join(";")
                }
            };
            outln!(
                "{} [{}] \"{}\"\n    expected {}, found {}{}",
                m.id,
                m.language,
                m.text,
                show(&m.gold),
                show(&m.predicted),
                if m.evidence.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", m.evidence.join("; "))
                }
            )?;
        }
    }
    Ok(())
}

fn evaluation_json(ev: &Evaluation, n: usize) -> Value {
    let group = |g: &comeback_voice::classify::GroupScore| {
        json!({
            "group": g.group, "answers": g.answers, "exact": g.exact, "accuracy": g.accuracy(),
            "micro_precision": g.micro.precision(), "micro_recall": g.micro.recall(),
            "micro_f1": g.micro.f1(),
        })
    };
    json!({
        "answers": n,
        "overall": ev.overall.as_ref().map(group),
        "languages": ev.per_language.iter().map(group).collect::<Vec<_>>(),
        "tags": ev.per_tag.iter().map(group).collect::<Vec<_>>(),
        "reasons": ev.per_reason.iter().map(|(r, p)| json!({
            "reason": r, "tp": p.tp, "fp": p.fp, "fn": p.fn_, "f1": p.f1(),
        })).collect::<Vec<_>>(),
        "language_detected": ev.language_detected,
        "misclassified": ev.misclassified.iter().map(|m| json!({
            "id": m.id, "language": m.language.as_str(), "text": m.text,
            "gold": m.gold, "predicted": m.predicted, "evidence": m.evidence,
        })).collect::<Vec<_>>(),
    })
}

/// Reads every `*.csv` labelled set in `dirs` (files sorted by name within a directory).
fn read_labelled_dirs(dirs: &[PathBuf]) -> Result<Vec<LabelledAnswer>> {
    let mut labelled = Vec::new();
    for dir in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read directory {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let set = parse_labelled_csv(&text)
                .map_err(|e| anyhow::anyhow!(e.located(&path.display().to_string())))?;
            labelled.extend(set);
        }
    }
    Ok(labelled)
}

/// Exactly right answers and micro-averaged label counts (tp, fp, fn) of cross-validated
/// probabilities at `threshold`.
fn cv_score(
    answers: &[&LabelledAnswer],
    probs: &[Vec<f64>],
    threshold: f64,
    floor: f64,
) -> (usize, usize, usize, usize) {
    let (mut exact, mut tp, mut fp, mut fn_) = (0, 0, 0, 0);
    for (a, p) in answers.iter().zip(probs) {
        let pred = decide(&DEFAULT_REASONS, p, threshold, floor);
        exact += usize::from(pred == a.labels);
        tp += pred.intersection(&a.labels).count();
        fp += pred.difference(&a.labels).count();
        fn_ += a.labels.difference(&pred).count();
    }
    (exact, tp, fp, fn_)
}

/// `--train`: grid search by cross-validation, then the final model (see the module docs).
fn train(args: &Args) -> Result<()> {
    let Some(out) = &args.out else {
        bail!("--train needs --out DIR (the model directory)");
    };
    let labelled = read_labelled_dirs(&args.train)?;
    if labelled.is_empty() {
        bail!("the labelled sets hold no answers");
    }
    let classifier = Classifier::lexicon_only();
    let refs: Vec<&LabelledAnswer> = labelled.iter().collect();
    // The best (exactly right, options, cross-validated probabilities).
    let mut best: Option<(usize, TrainOptions, Vec<Vec<f64>>)> = None;
    for &lambda in &GRID_LAMBDA {
        for &char_weight in &GRID_CHAR_WEIGHT {
            let base = TrainOptions {
                lambda,
                char_weight,
                ..TrainOptions::default()
            };
            let probs =
                cross_validate(&classifier, None, &DEFAULT_REASONS, &labelled, &base, FOLDS)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            for &threshold in &GRID_THRESHOLD {
                for &floor in GRID_FLOOR.iter().filter(|&&f| f < threshold || f == 1.0) {
                    let total = cv_score(&refs, &probs, threshold, floor).0;
                    note!(
                        "lambda {lambda} char_weight {char_weight} threshold {threshold:.2} floor {floor:.2}: {total} of {} exactly right",
                        labelled.len()
                    );
                    if best.as_ref().is_none_or(|b| total > b.0) {
                        let options = TrainOptions {
                            threshold,
                            floor,
                            ..base.clone()
                        };
                        best = Some((total, options, probs.clone()));
                    }
                }
            }
        }
    }
    let Some((total, options, probs)) = best else {
        bail!("empty grid");
    };
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let n = labelled.len();
    let mut table = format!(
        "{FOLDS}-fold cross-validation of these settings: {total} of {n} exactly right.\n\
         lang  answers  exact  accuracy  micro-F1\n"
    );
    for lang in Language::ALL {
        let (a, p): (Vec<&LabelledAnswer>, Vec<Vec<f64>>) = labelled
            .iter()
            .zip(&probs)
            .filter(|(a, _)| a.language == lang)
            .map(|(a, p)| (a, p.clone()))
            .unzip();
        if a.is_empty() {
            continue;
        }
        let (exact, tp, fp, fn_) = cv_score(&a, &p, options.threshold, options.floor);
        let f1 = if tp + fp + fn_ == 0 {
            1.0
        } else {
            2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
        };
        table.push_str(&format!(
            "{lang:4}  {:>7}  {exact:>5}  {:>7.1}%  {f1:>8.3}\n",
            a.len(),
            100.0 * exact as f64 / a.len() as f64
        ));
    }
    outln!(
        "chosen: lambda {} char_weight {} threshold {:.2} floor {:.2}\n{table}",
        options.lambda,
        options.char_weight,
        options.threshold,
        options.floor,
    )?;
    let model = ReasonModel::train(&classifier, None, &DEFAULT_REASONS, &labelled, &options)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let sources: Vec<String> = args.train.iter().map(|d| d.display().to_string()).collect();
    let header = format!(
        "Comeback reason model (method v2, learned layer), all six languages: one-vs-rest\n\
         L2-regularised logistic regression (crates/comeback-voice/src/classify/model.rs);\n\
         written by `comeback reasons --train {} --out {}`.\n\
         Trained on {n} answers. Grouped {table}\
         Lines: label<TAB>feature<TAB>weight; {} is the intercept; w: word stem, NEG_ in a\n\
         negation scope, b: two adjacent stems, c: character 4-gram, lex: lexicon score.",
        sources.join(" "),
        out.display(),
        comeback_voice::classify::BIAS,
    );
    let tsv = model.to_tsv(&header);
    let path = out.join("all.tsv");
    write_atomically(&path, |w| Ok(w.write_all(tsv.as_bytes())?))?;
    Ok(())
}
