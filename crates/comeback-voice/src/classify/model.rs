//! The learned layer (method v2): per language, one-vs-rest L2-regularised logistic
//! regression over sparse features of the answer, trained deterministically with L-BFGS,
//! stored as readable TSV (`label<TAB>feature<TAB>weight`).
//!
//! Features of an answer (all from the lexicon layer's own tokeniser, see the parent
//! module's docs, steps 2 and 6):
//! - `w:STEM` for every word (folded Snowball stem), `w:NEG_STEM` when the word stands in a
//!   negation scope (at most [`NEGATION_WINDOW`](super::NEGATION_WINDOW) non-filler words
//!   after a cue in the same clause; German `nicht`/`nie`/`niemals` ending a clause also
//!   negate the [`BACKWARD_WINDOW`](super::BACKWARD_WINDOW) words before them); value 1;
//! - `b:STEM1_STEM2` for every two adjacent words of one clause; value 1;
//! - `c:GRAM` / `c:NEG_GRAM`, the character 4-grams of each folded word padded with `#`
//!   (`#pri`, `pric`, `rice`, `ice#`): they absorb misspellings and compound parts; the
//!   block's counts are scaled to Euclidean length [`TrainOptions::char_weight`];
//! - `lex:REASON`, the lexicon layer's score of each reason it finds, capped at 3.
//!
//! Training (per label ℓ, y = 1 when ℓ is in the gold set): minimise the penalised negative
//! log-likelihood Σᵢ [log(1 + e^{zᵢ}) − yᵢ zᵢ] + λ/2 ‖w‖², zᵢ = w·xᵢ + b, the intercept b not
//! penalised (the log-likelihood of Hastie, Tibshirani & Friedman 2009, *The Elements of
//! Statistical Learning*, 2nd ed., §4.4.1 eq. 4.20, with a ridge (L2) penalty in place of
//! the L1 penalty of §4.4.4), by limited-memory BFGS with the two-loop recursion and Armijo
//! backtracking (Nocedal & Wright 2006, *Numerical Optimization*, 2nd ed., Algorithms 7.4
//! and 7.5, sufficient-decrease condition 3.4 with c₁ = 10⁻⁴, memory 10), from zero, for at
//! most [`TrainOptions::iterations`] iterations or until the largest gradient component is
//! below 10⁻⁶. Only features present in at least [`TrainOptions::min_df`] training answers
//! enter. A model is trained for one language or, multilingual, on the answers of all six
//! (the shared features — lexicon scores, intercepts, common character n-grams and words —
//! then learn from six times the data; words of other languages rarely occur in an answer,
//! so the model serves every language). Weights below
//! [`TrainOptions::prune`] in absolute value are dropped and the rest rounded to 4
//! decimals, also inside cross-validation, so a model predicts exactly what its TSV file
//! predicts.
//!
//! Prediction: P(ℓ | x) = 1 / (1 + e^{−z}) (the logistic function); the labels are chosen by
//! [`decide`] with the model's threshold and floor.

use super::text::{Language, is_filler, is_negation_cue, negates_backwards, tokenize};
use super::{
    BACKWARD_WINDOW, Classification, Classifier, ClassifyError, LabelledAnswer, NEGATION_WINDOW,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

/// The feature name of the intercept in the TSV file.
pub const BIAS: &str = "_bias";

/// Hyper-parameters of training and prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// L2 penalty λ on the weights (not on the intercept); > 0.
    pub lambda: f64,
    /// Euclidean length of the character 4-gram block of the feature vector (0: no
    /// character n-grams).
    pub char_weight: f64,
    /// A feature enters only when at least this many training answers have it.
    pub min_df: usize,
    /// L-BFGS iterations (at most).
    pub iterations: usize,
    /// Weights with |w| below this are dropped from the model.
    pub prune: f64,
    /// A label is given when its probability is at least this, in (0, 1).
    pub threshold: f64,
    /// When no label reaches `threshold`, the most probable label is still given when its
    /// probability is at least this (≥ `threshold`: never), in (0, 1].
    pub floor: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            lambda: 1.0,
            char_weight: 1.0,
            min_df: 2,
            iterations: 200,
            prune: 0.05,
            threshold: 0.5,
            floor: 1.0,
        }
    }
}

/// A trained model of one language: one logistic regression per label.
#[derive(Debug, Clone, PartialEq)]
pub struct ReasonModel {
    /// The language, or `None` for a multilingual model (trained on the answers of all
    /// languages, used for each).
    pub language: Option<Language>,
    /// The labels, in file order.
    pub labels: Vec<String>,
    /// The options it was trained with (the threshold and `char_weight` also rule
    /// prediction).
    pub options: TrainOptions,
    /// Intercept per label.
    bias: Vec<f64>,
    /// Feature → (label index, weight).
    weights: HashMap<String, Vec<(usize, f64)>>,
}

/// The sparse features of one answer in `lang` (see the module docs): (name, value), names
/// distinct and sorted. `char_weight` is [`TrainOptions::char_weight`].
pub fn features(
    c: &Classifier,
    text: &str,
    lang: Language,
    char_weight: f64,
) -> Vec<(String, f64)> {
    features_with(
        c,
        text,
        lang,
        char_weight,
        &c.classify_lexicon(text, Some(lang)),
    )
}

/// [`features`] with the lexicon layer's classification of the answer already at hand.
pub(crate) fn features_with(
    c: &Classifier,
    text: &str,
    lang: Language,
    char_weight: f64,
    lexical: &Classification,
) -> Vec<(String, f64)> {
    let tokens = tokenize(text, lang, &c.stemmers[lang.index()]);
    let neg = negation_scope(&tokens, lang);
    let mut f: BTreeMap<String, f64> = BTreeMap::new();
    let mut grams: BTreeMap<String, f64> = BTreeMap::new();
    for (i, t) in tokens.iter().enumerate() {
        let p = if neg[i] { "NEG_" } else { "" };
        f.insert(format!("w:{p}{}", t.stem), 1.0);
        if let Some(n) = tokens.get(i + 1).filter(|n| n.clause == t.clause) {
            f.insert(format!("b:{}_{}", t.stem, n.stem), 1.0);
        }
        if char_weight > 0.0 {
            let padded: Vec<char> = format!("#{}#", t.folded).chars().collect();
            for w in padded.windows(4) {
                let g: String = w.iter().collect();
                *grams.entry(format!("c:{p}{g}")).or_default() += 1.0;
            }
        }
    }
    let norm = grams.values().map(|v| v * v).sum::<f64>().sqrt();
    if norm > 0.0 {
        for (k, v) in grams {
            f.insert(k, char_weight * v / norm);
        }
    }
    for r in &lexical.reasons {
        f.insert(format!("lex:{}", r.reason), r.score.min(3.0));
    }
    f.into_iter().collect()
}

/// Which tokens stand in a negation scope (see the module docs).
fn negation_scope(tokens: &[super::text::Token], lang: Language) -> Vec<bool> {
    let n = tokens.len();
    let mut neg = vec![false; n];
    for c in 0..n {
        if !is_negation_cue(lang, &tokens[c].folded) {
            continue;
        }
        let clause = tokens[c].clause;
        let mut counted = 0;
        for j in c + 1..n {
            if tokens[j].clause != clause || counted >= NEGATION_WINDOW {
                break;
            }
            if is_negation_cue(lang, &tokens[j].folded) {
                continue;
            }
            neg[j] = true;
            if !is_filler(lang, &tokens[j].folded) {
                counted += 1;
            }
        }
        let ends_clause = tokens.get(c + 1).is_none_or(|t| t.clause != clause);
        if negates_backwards(lang, &tokens[c].folded) && ends_clause {
            for j in c.saturating_sub(BACKWARD_WINDOW)..c {
                if tokens[j].clause == clause && !is_negation_cue(lang, &tokens[j].folded) {
                    neg[j] = true;
                }
            }
        }
    }
    neg
}

/// The logistic function 1 / (1 + e^{−z}).
fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// log(1 + e^z) without overflow.
fn log1pexp(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// A sparse row: (feature index, value).
type Row = Vec<(usize, f64)>;

/// A training answer: features and gold labels.
type Example<'a> = (Vec<(String, f64)>, &'a BTreeSet<String>);

/// Objective and gradient of one binary L2 logistic regression; θ = (w, b), b last.
fn objective(x: &[Row], y: &[f64], lambda: f64, theta: &[f64], grad: &mut [f64]) -> f64 {
    let d = theta.len() - 1;
    let b = theta[d];
    grad.iter_mut().for_each(|g| *g = 0.0);
    let mut f = 0.0;
    for (row, &yi) in x.iter().zip(y) {
        let z = b + row.iter().map(|&(j, v)| theta[j] * v).sum::<f64>();
        f += log1pexp(z) - yi * z;
        let r = sigmoid(z) - yi;
        for &(j, v) in row {
            grad[j] += r * v;
        }
        grad[d] += r;
    }
    for j in 0..d {
        f += 0.5 * lambda * theta[j] * theta[j];
        grad[j] += lambda * theta[j];
    }
    f
}

/// Minimises [`objective`] by L-BFGS (memory 10, Armijo backtracking; Nocedal & Wright 2006,
/// Algorithms 7.4–7.5) from θ = 0.
fn fit_binary(x: &[Row], y: &[f64], dim: usize, lambda: f64, iterations: usize) -> Vec<f64> {
    const M: usize = 10;
    let n = dim + 1;
    let mut theta = vec![0.0; n];
    let mut g = vec![0.0; n];
    let mut f = objective(x, y, lambda, &theta, &mut g);
    let mut hist: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::new();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let mut g_new = vec![0.0; n];
    for _ in 0..iterations {
        if g.iter().all(|v| v.abs() < 1e-6) {
            break;
        }
        // Two-loop recursion: d = −H g.
        let mut q = g.clone();
        let mut alphas = Vec::with_capacity(hist.len());
        for (s, yv, rho) in hist.iter().rev() {
            let a = rho * dot(s, &q);
            q.iter_mut().zip(yv).for_each(|(qi, yi)| *qi -= a * yi);
            alphas.push(a);
        }
        let gamma = hist
            .last()
            .map_or(1.0 / dot(&g, &g).sqrt().max(1.0), |(s, yv, _)| {
                dot(s, yv) / dot(yv, yv)
            });
        q.iter_mut().for_each(|v| *v *= gamma);
        for ((s, yv, rho), a) in hist.iter().zip(alphas.iter().rev()) {
            let beta = rho * dot(yv, &q);
            q.iter_mut()
                .zip(s)
                .for_each(|(qi, si)| *qi += (a - beta) * si);
        }
        let dir: Vec<f64> = q.iter().map(|v| -v).collect();
        let slope = dot(&g, &dir);
        if slope >= 0.0 {
            break;
        }
        let mut step = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            let cand: Vec<f64> = theta.iter().zip(&dir).map(|(t, d)| t + step * d).collect();
            let fc = objective(x, y, lambda, &cand, &mut g_new);
            if fc <= f + 1e-4 * step * slope {
                accepted = Some((cand, fc));
                break;
            }
            step *= 0.5;
        }
        let Some((cand, fc)) = accepted else { break };
        let s: Vec<f64> = cand.iter().zip(&theta).map(|(a, b)| a - b).collect();
        let yv: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &yv);
        if sy > 1e-12 {
            if hist.len() == M {
                hist.remove(0);
            }
            hist.push((s, yv, 1.0 / sy));
        }
        theta = cand;
        f = fc;
        std::mem::swap(&mut g, &mut g_new);
    }
    theta
}

/// Rounds to 4 decimals (the precision of the TSV file).
fn round4(w: f64) -> f64 {
    (w * 1e4).round() / 1e4
}

impl ReasonModel {
    /// Trains the model of `lang` on the answers of that language among `answers` (others are
    /// ignored), or with `lang` = `None` the multilingual model on all `answers` (each
    /// featurised in its own language), for the labels `labels` (see the module docs).
    /// Deterministic.
    ///
    /// # Errors
    /// [`ClassifyError::Csv`] (line 0) when no answer is in `lang` (or none at all).
    pub fn train(
        c: &Classifier,
        lang: Option<Language>,
        labels: &[&str],
        answers: &[LabelledAnswer],
        options: &TrainOptions,
    ) -> Result<ReasonModel, ClassifyError> {
        let feats: Vec<Example> = answers
            .iter()
            .filter(|a| lang.is_none_or(|l| a.language == l))
            .map(|a| {
                let x = features(c, &a.text, a.language, options.char_weight);
                (x, &a.labels)
            })
            .collect();
        Self::train_features(lang, labels, &feats, options)
    }

    fn train_features(
        lang: Option<Language>,
        labels: &[&str],
        feats: &[Example],
        options: &TrainOptions,
    ) -> Result<ReasonModel, ClassifyError> {
        if feats.is_empty() {
            let what = lang.map_or("any language".to_string(), |l| format!("language {l}"));
            return Err(ClassifyError::csv(
                0,
                None,
                format!("no training answers in {what}"),
            ));
        }
        let mut df: BTreeMap<&str, usize> = BTreeMap::new();
        for (f, _) in feats {
            for (k, _) in f {
                *df.entry(k.as_str()).or_default() += 1;
            }
        }
        let names: Vec<&str> = df
            .into_iter()
            .filter(|&(_, n)| n >= options.min_df.max(1))
            .map(|(k, _)| k)
            .collect();
        let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, &k)| (k, i)).collect();
        let x: Vec<Row> = feats
            .iter()
            .map(|(f, _)| {
                f.iter()
                    .filter_map(|(k, v)| index.get(k.as_str()).map(|&j| (j, *v)))
                    .collect()
            })
            .collect();
        let mut bias = Vec::with_capacity(labels.len());
        let mut weights: HashMap<String, Vec<(usize, f64)>> = HashMap::new();
        for (li, &label) in labels.iter().enumerate() {
            let y: Vec<f64> = feats
                .iter()
                .map(|(_, g)| f64::from(u8::from(g.contains(label))))
                .collect();
            let theta = fit_binary(&x, &y, names.len(), options.lambda, options.iterations);
            bias.push(round4(theta[names.len()]));
            for (j, &w) in theta[..names.len()].iter().enumerate() {
                let w = round4(w);
                if w.abs() >= options.prune && w != 0.0 {
                    weights
                        .entry(names[j].to_string())
                        .or_default()
                        .push((li, w));
                }
            }
        }
        Ok(ReasonModel {
            language: lang,
            labels: labels.iter().map(|s| s.to_string()).collect(),
            options: options.clone(),
            bias,
            weights,
        })
    }

    /// Number of (label, feature) weights besides the intercepts.
    pub fn weight_count(&self) -> usize {
        self.weights.values().map(Vec::len).sum()
    }

    /// The weight of `feature` for `label` (0 when absent; the intercept is [`BIAS`]).
    pub fn weight(&self, label: &str, feature: &str) -> f64 {
        let Some(li) = self.labels.iter().position(|l| l == label) else {
            return 0.0;
        };
        if feature == BIAS {
            return self.bias[li];
        }
        self.weights
            .get(feature)
            .and_then(|v| v.iter().find(|(l, _)| *l == li))
            .map_or(0.0, |&(_, w)| w)
    }

    /// Per label (in [`ReasonModel::labels`] order): the probability and the contributions
    /// weight × value of the features, largest first.
    pub fn probabilities(&self, feats: &[(String, f64)]) -> Vec<(f64, Vec<(String, f64)>)> {
        let mut z = self.bias.clone();
        let mut contrib: Vec<Vec<(String, f64)>> = vec![Vec::new(); self.labels.len()];
        for (k, v) in feats {
            if let Some(ws) = self.weights.get(k) {
                for &(li, w) in ws {
                    z[li] += w * v;
                    contrib[li].push((k.clone(), w * v));
                }
            }
        }
        z.into_iter()
            .zip(contrib)
            .map(|(z, mut c)| {
                c.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                (sigmoid(z), c)
            })
            .collect()
    }

    /// The model as TSV: `#` comment lines (`header`, one line per `\n`), `@option<TAB>value`
    /// lines, then `label<TAB>feature<TAB>weight` sorted by label order and feature.
    pub fn to_tsv(&self, header: &str) -> String {
        let mut s = String::new();
        for line in header.lines() {
            let _ = writeln!(s, "# {line}");
        }
        let o = &self.options;
        let _ = writeln!(
            s,
            "@language\t{}",
            self.language.map_or("all", Language::as_str)
        );
        for (k, v) in [
            ("threshold", o.threshold),
            ("floor", o.floor),
            ("char_weight", o.char_weight),
            ("lambda", o.lambda),
            ("min_df", o.min_df as f64),
            ("iterations", o.iterations as f64),
            ("prune", o.prune),
        ] {
            let _ = writeln!(s, "@{k}\t{v}");
        }
        let _ = writeln!(s, "label\tfeature\tweight");
        let mut feats: Vec<&String> = self.weights.keys().collect();
        feats.sort();
        for (li, label) in self.labels.iter().enumerate() {
            let _ = writeln!(s, "{label}\t{BIAS}\t{:.4}", self.bias[li]);
            for f in &feats {
                for &(l, w) in &self.weights[*f] {
                    if l == li {
                        let _ = writeln!(s, "{label}\t{f}\t{w:.4}");
                    }
                }
            }
        }
        s
    }

    /// Parses [`ReasonModel::to_tsv`] output. Returns `Ok(None)` for a file without weight
    /// rows (a placeholder: the language then uses the lexicon layer alone).
    ///
    /// # Errors
    /// [`ClassifyError::Csv`] naming the line and the bad value.
    pub fn from_tsv(tsv: &str) -> Result<Option<ReasonModel>, ClassifyError> {
        let mut language = None;
        let mut o = TrainOptions::default();
        let mut labels: Vec<String> = Vec::new();
        let mut bias: Vec<f64> = Vec::new();
        let mut weights: HashMap<String, Vec<(usize, f64)>> = HashMap::new();
        for (i, line) in tsv.lines().enumerate() {
            let ln = i as u64 + 1;
            if line.starts_with('#') || line.trim().is_empty() || line == "label\tfeature\tweight" {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            let num = |s: &str| {
                s.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| ClassifyError::csv(ln, None, format!("invalid number \"{s}\"")))
            };
            if let Some(key) = cols[0].strip_prefix('@') {
                let Some(&v) = cols.get(1) else {
                    return Err(ClassifyError::csv(
                        ln,
                        None,
                        format!("no value for \"{key}\""),
                    ));
                };
                match key {
                    "language" => {
                        language = Some(if v == "all" {
                            None
                        } else {
                            Some(v.parse().map_err(|e: super::UnknownLanguage| {
                                ClassifyError::csv(ln, None, e.to_string())
                            })?)
                        })
                    }
                    "threshold" => o.threshold = num(v)?,
                    "floor" => o.floor = num(v)?,
                    "char_weight" => o.char_weight = num(v)?,
                    "lambda" => o.lambda = num(v)?,
                    "min_df" => o.min_df = num(v)? as usize,
                    "iterations" => o.iterations = num(v)? as usize,
                    "prune" => o.prune = num(v)?,
                    _ => {
                        return Err(ClassifyError::csv(
                            ln,
                            None,
                            format!("unknown option \"{key}\""),
                        ));
                    }
                }
                continue;
            }
            if cols.len() != 3 {
                return Err(ClassifyError::csv(
                    ln,
                    None,
                    format!(
                        "expected label, feature and weight separated by tabs, found \"{line}\""
                    ),
                ));
            }
            let w = num(cols[2])?;
            let li = match labels.iter().position(|l| l == cols[0]) {
                Some(li) => li,
                None => {
                    if !super::lexicon::valid_reason(cols[0]) {
                        return Err(ClassifyError::csv(
                            ln,
                            None,
                            format!("invalid label \"{}\"", cols[0]),
                        ));
                    }
                    labels.push(cols[0].to_string());
                    bias.push(0.0);
                    labels.len() - 1
                }
            };
            if cols[1] == BIAS {
                bias[li] = w;
            } else {
                weights
                    .entry(cols[1].to_string())
                    .or_default()
                    .push((li, w));
            }
        }
        if labels.is_empty() {
            return Ok(None);
        }
        let Some(language) = language else {
            return Err(ClassifyError::csv(0, None, "no @language line".into()));
        };
        if !(o.threshold > 0.0 && o.threshold < 1.0) {
            return Err(ClassifyError::csv(
                0,
                None,
                format!("threshold {} outside (0, 1)", o.threshold),
            ));
        }
        Ok(Some(ReasonModel {
            language,
            labels,
            options: o,
            bias,
            weights,
        }))
    }
}

/// The parallel-answer group of an answer: its id without the language code segment
/// (`w1-en-001` and `w1-fi-001` → `w1-001`; `en-d01` → `d01`). The labelled sets are written
/// in parallel, so translations of one answer share a group.
pub fn parallel_group(a: &LabelledAnswer) -> String {
    a.id.split('-')
        .filter(|p| *p != a.language.as_str())
        .collect::<Vec<_>>()
        .join("-")
}

/// The fold of every answer: the distinct [`parallel_group`]s sorted, the group of rank r in
/// fold r mod `folds` (so no translation of a held-out answer is trained on).
pub fn folds_of(answers: &[LabelledAnswer], folds: usize) -> Vec<usize> {
    let groups: BTreeSet<String> = answers.iter().map(parallel_group).collect();
    let rank: HashMap<&String, usize> = groups.iter().enumerate().map(|(i, g)| (g, i)).collect();
    answers
        .iter()
        .map(|a| rank[&parallel_group(a)] % folds.max(1))
        .collect()
}

/// Grouped K-fold cross-validation (folds from [`folds_of`] over all `answers`): for every
/// answer of `lang` (`None`: of all languages), in input order, the probabilities of `labels`
/// from the model trained, as [`ReasonModel::train`] with the same `lang`, on the answers of
/// the other folds.
///
/// # Errors
/// As [`ReasonModel::train`]; also when `folds` < 2.
pub fn cross_validate(
    c: &Classifier,
    lang: Option<Language>,
    labels: &[&str],
    answers: &[LabelledAnswer],
    options: &TrainOptions,
    folds: usize,
) -> Result<Vec<Vec<f64>>, ClassifyError> {
    if folds < 2 {
        return Err(ClassifyError::csv(
            0,
            None,
            format!("{folds} folds (at least 2)"),
        ));
    }
    let fold = folds_of(answers, folds);
    // (fold, features, gold)
    type Item<'a> = (usize, Vec<(String, f64)>, &'a BTreeSet<String>);
    let items: Vec<Item> = answers
        .iter()
        .zip(&fold)
        .filter(|(a, _)| lang.is_none_or(|l| a.language == l))
        .map(|(a, &f)| {
            let x = features(c, &a.text, a.language, options.char_weight);
            (f, x, &a.labels)
        })
        .collect();
    let mut out = vec![Vec::new(); items.len()];
    for k in 0..folds {
        let train: Vec<Example> = items
            .iter()
            .filter(|it| it.0 != k)
            .map(|it| (it.1.clone(), it.2))
            .collect();
        let m = ReasonModel::train_features(lang, labels, &train, options)?;
        for (i, it) in items.iter().enumerate().filter(|(_, it)| it.0 == k) {
            out[i] = m.probabilities(&it.1).into_iter().map(|(p, _)| p).collect();
        }
    }
    Ok(out)
}

/// The decision rule: the labels whose probability is at least `threshold`; when there is
/// none, the most probable label if its probability is at least `floor` (the first of equal
/// ones); then without `general_dissatisfaction` when any other complaint label (not
/// `praise_*`) is given (the labelling guide: only when no specific reason is given).
pub fn decide(
    labels: &[&str],
    probabilities: &[f64],
    threshold: f64,
    floor: f64,
) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = labels
        .iter()
        .zip(probabilities)
        .filter(|&(_, &p)| p >= threshold)
        .map(|(l, _)| l.to_string())
        .collect();
    if out.is_empty() {
        let top =
            labels
                .iter()
                .zip(probabilities)
                .fold(None::<(&str, f64)>, |b, (l, &p)| match b {
                    Some((_, bp)) if bp >= p => b,
                    _ => Some((l, p)),
                });
        if let Some((l, p)) = top.filter(|&(_, p)| p >= floor) {
            let _ = p;
            out.insert(l.to_string());
        }
    }
    if out.contains(super::GENERAL_DISSATISFACTION)
        && out
            .iter()
            .any(|r| r != super::GENERAL_DISSATISFACTION && !r.starts_with("praise_"))
    {
        out.remove(super::GENERAL_DISSATISFACTION);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The optimum of `data/voice/model/reference_logistic.py` (Newton's method in Python).
    #[test]
    fn fit_matches_reference() {
        let x: Vec<Row> = vec![
            vec![(0, 1.0)],
            vec![(1, 1.0)],
            vec![(0, 1.0), (1, 1.0)],
            vec![(0, 2.0)],
            vec![(1, 2.0)],
            vec![(0, 1.0), (1, 2.0)],
        ];
        let y = [1.0, 0.0, 1.0, 1.0, 0.0, 0.0];
        let theta = fit_binary(&x, &y, 2, 0.5, 200);
        let reference = [1.011858618919, -1.268374245274, 0.497948870465];
        for (t, r) in theta.iter().zip(reference) {
            assert!((t - r).abs() < 1e-6, "{theta:?} vs {reference:?}");
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let x: Vec<Row> = vec![vec![(0, 1.0), (2, 0.5)], vec![(1, 2.0)], vec![(2, 1.0)]];
        let y = [1.0, 0.0, 1.0];
        let theta = [0.3, -0.2, 0.7, 0.1];
        let mut g = [0.0; 4];
        objective(&x, &y, 0.8, &theta, &mut g);
        for j in 0..4 {
            let h = 1e-6;
            let (mut a, mut b) = (theta, theta);
            a[j] += h;
            b[j] -= h;
            let mut tmp = [0.0; 4];
            let fd = (objective(&x, &y, 0.8, &a, &mut tmp) - objective(&x, &y, 0.8, &b, &mut tmp))
                / (2.0 * h);
            assert!((fd - g[j]).abs() < 1e-6, "{j}: {fd} vs {}", g[j]);
        }
    }

    #[test]
    fn decision_rule() {
        let labels = ["price", "quality", GENERAL, "praise_staff"];
        let d = |p: &[f64], t, f| decide(&labels, p, t, f).into_iter().collect::<Vec<_>>();
        assert_eq!(d(&[0.6, 0.2, 0.7, 0.1], 0.5, 1.0), ["price"]);
        assert_eq!(
            d(&[0.1, 0.2, 0.7, 0.6], 0.5, 1.0),
            [GENERAL, "praise_staff"]
        );
        assert_eq!(d(&[0.1, 0.2, 0.3, 0.1], 0.5, 1.0), Vec::<String>::new());
        assert_eq!(d(&[0.1, 0.2, 0.15, 0.1], 0.5, 0.2), ["quality"]);
        assert_eq!(d(&[0.1, 0.19, 0.15, 0.1], 0.5, 0.2), Vec::<String>::new());
    }
    const GENERAL: &str = super::super::GENERAL_DISSATISFACTION;

    #[test]
    fn negation_scopes() {
        let c = Classifier::lexicon_only();
        let f = features(
            &c,
            "The staff were not friendly at all, but quick.",
            Language::En,
            0.0,
        );
        let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert!(names.contains(&"w:NEG_friend"), "{names:?}");
        assert!(names.contains(&"w:quick"), "{names:?}");
        assert!(names.contains(&"w:staff"), "{names:?}");
        assert!(names.contains(&"lex:inadequate_response"), "{names:?}");
        let f = features(&c, "Der Support antwortet nicht.", Language::De, 1.0);
        let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert!(names.contains(&"w:NEG_antwortet"), "{names:?}");
        assert!(names.contains(&"c:NEG_#ant"), "{names:?}");
        let chars: f64 = f
            .iter()
            .filter(|(k, _)| k.starts_with("c:"))
            .map(|(_, v)| v * v)
            .sum();
        assert!((chars.sqrt() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn tsv_round_trip_and_errors() {
        let c = Classifier::lexicon_only();
        let set = super::super::parse_labelled_csv(
            "id,language,text,labels,tags\n\
             a-en-1,en,too expensive,price,\n\
             a-en-2,en,very expensive,price,\n\
             a-en-3,en,staff were rude,inadequate_response,\n\
             a-en-4,en,rude staff,inadequate_response,\n\
             a-en-5,en,I moved away,none,\n",
        )
        .unwrap();
        let o = TrainOptions {
            min_df: 1,
            threshold: 0.4,
            ..TrainOptions::default()
        };
        let m = ReasonModel::train(
            &c,
            Some(Language::En),
            &["price", "inadequate_response"],
            &set,
            &o,
        )
        .unwrap();
        let tsv = m.to_tsv("test model\nsecond line");
        assert!(tsv.starts_with("# test model\n# second line\n@language\ten\n"));
        let back = ReasonModel::from_tsv(&tsv).unwrap().unwrap();
        assert_eq!(back, m);
        let f = features(&c, "expensive", Language::En, o.char_weight);
        let p = m.probabilities(&f);
        assert!(p[0].0 > 0.5 && p[1].0 < 0.5, "{p:?}");
        assert_eq!(ReasonModel::from_tsv("# nothing\n").unwrap(), None);
        let e = ReasonModel::from_tsv("@language\ten\nprice\tw:x\tabc\n").unwrap_err();
        assert_eq!(e.to_string(), "line 2: invalid number \"abc\"");
        let e = ReasonModel::from_tsv("@colour\tred\n").unwrap_err();
        assert_eq!(e.to_string(), "line 1: unknown option \"colour\"");
        let e = ReasonModel::from_tsv("price\tw:x\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("line 1: expected label, feature and weight")
        );
        assert!(ReasonModel::train(&c, Some(Language::Fi), &["price"], &set, &o).is_err());
    }

    #[test]
    fn parallel_groups_share_folds() {
        let set = super::super::parse_labelled_csv(
            "id,language,text,labels,tags\n\
             w1-en-001,en,a,none,\n\
             w1-fi-001,fi,a,none,\n\
             en-d01,en,a,none,\n\
             fi-d01,fi,a,none,\n\
             w1-en-002,en,a,none,\n",
        )
        .unwrap();
        assert_eq!(parallel_group(&set[0]), "w1-001");
        assert_eq!(parallel_group(&set[2]), "d01");
        assert_eq!(folds_of(&set, 5), [1, 1, 0, 0, 2]);
    }
}
