//! Open answers and exit reasons: free text in six languages classified into the
//! business's reason taxonomy with stemmed lexicons, negation scopes and fuzzy matching
//! (the lexicon layer, method v1), refined by logistic regressions learned from labelled
//! answers of all six languages (the learned layer; both together are method v2,
//! [`Classifier::builtin`]).
//!
//! The taxonomy is that of `data/voice/TAXONOMY.md`: the seven exit reasons of PRODUCT R6
//! (`price`, `quality`, `competitor_offer`, `inadequate_response`, `broken_promise`,
//! `unresolved_complaint`, `general_dissatisfaction`) and four praise topics
//! (`praise_staff`, `praise_quality`, `praise_value`, `praise_speed`). A business may add
//! terms and new reasons with [`Classifier::extend_from_csv`].
//!
//! # Method v2 (transparent and reproducible; nothing is fetched at run time)
//!
//! The lexicon layer (steps 1–7 below, [`Classifier::classify_lexicon`]) finds the language
//! and scores reasons from the lexicons; its scores are features of the learned layer
//! (module `model`, [`ReasonModel`]): one multilingual model, trained on the answers of all
//! six languages and used for each, with one L2-regularised logistic regression per label
//! over the word stems (prefixed `NEG_` inside a negation scope), adjacent stem
//! pairs, character 4-grams and the lexicon scores, trained by `comeback reasons --train`
//! on `data/voice/dev` and `data/voice/train` and compiled in from `data/voice/model/all.tsv`
//! (readable `label, feature, weight` rows). A label is given when its probability
//! P = 1/(1 + e^{−z}) reaches the model's threshold; when none does, the most probable label
//! is given if P reaches the model's floor; `general_dissatisfaction` only without another
//! complaint reason. The evidence of a learned reason is its largest positive feature
//! contributions ("Way too expensive" → `lex:price +4.19`, `w:too +1.17`, …). Reasons that
//! the models do not know (new reasons of an extension lexicon) come from the lexicon layer
//! unchanged; extension terms of known reasons act through the `lex:` features. Threshold,
//! floor, penalty and character-n-gram weight were chosen by grouped 5-fold cross-validation
//! on dev + train (translations of one answer in the same fold): 1305 of 2190 answers
//! exactly right (59.6 %).
//!
//! # The lexicon layer (method v1)
//!
//! 1. **Language.** Given by the caller, or detected: stop-word counts and distinctive
//!    letters ([`detect_language`]) plus the number of exact lexicon matches per language;
//!    the highest score wins, a tie or no evidence gives no language and no reasons.
//! 2. **Tokens.** Lowercase; English `n't` becomes `not`; words are runs of letters and
//!    digits (apostrophes and hyphens separate words, so French `l'accueil` is `l accueil`);
//!    `. , ; : ! ? ( )` and contrastive conjunctions (but, pero, mas, mutta, aber, mais, …)
//!    end a *clause*. Each word is stemmed with the Snowball stemmer of its language
//!    (Porter 2001, "Snowball: a language for stemming algorithms", via `rust-stemmers`)
//!    and accents are folded (`ä` → `a`, `ß` → `ss`) after stemming.
//! 3. **Lexicon.** Each language has a table of phrases of 1–3 words per reason with a
//!    weight (default 1) and an optional meaning under negation (`data/voice/lexicon/*.csv`,
//!    compiled into the binary). A lexicon word matches a token when their stems or folded
//!    forms are equal; a word written with a trailing `*` matches every token starting with
//!    it (`kallii*`), a word written with a leading `=` only the very same word (`=günstig`
//!    does not match the comparative `günstiger`). Words of a phrase must follow each other
//!    in one clause with at most [`MAX_GAP`] other words between them ("prices are very
//!    reasonable" matches `price reasonabl*`), adjacent when the phrase holds a negation
//!    cue. Overlapping matches: the longer phrase wins, then the tighter one.
//! 4. **Misspellings.** A token of at least [`FUZZY_MIN_LETTERS`] letters that matches no
//!    lexicon word exactly (and is not a negation cue or a frequent function word) matches
//!    a lexicon word of at least as many letters with the same first letter at
//!    Damerau–Levenshtein distance 1 (one insertion, deletion, substitution or
//!    transposition of adjacent letters; Damerau 1964, via `strsim`), on the folded forms
//!    or on the stems; tokens and words of at least [`FUZZY2_MIN_LETTERS`] letters also at
//!    distance 2 ("dissapointed"), and a prefix word of 6+ letters at distance 1 from the
//!    token's start. Such evidence is marked with `~`.
//! 5. **Compounds** (German and Finnish). A token of at least 8 letters without an exact
//!    match contains a lexicon stem or prefix of at least 5 letters at its start, or one of
//!    at least 6 letters followed by at most [`COMPOUND_ENDING`] letters: `Preiserhöhung`
//!    ⊃ `preis`, `asiakaspalvelussa` ⊃ `palvelu`, but not `überraschend` ⊃ `rasch`. Such
//!    evidence is marked with `+`.
//! 6. **Negation.** A negation cue (English not/n't, no, never, without, nobody, nothing, …;
//!    Spanish no, nunca, sin, nadie, …; Portuguese não, nunca, sem, ninguém, …; the Finnish
//!    negation verb en, et, ei, emme, ette, eivät, eikä and ilman; German nicht, kein…, nie,
//!    ohne, niemand, …; French ne/n', pas, jamais, sans, aucun, personne, rien) negates a
//!    match that starts at most [`NEGATION_WINDOW`] tokens after it in the same clause
//!    (articles and intensifiers such as "at all", "du tout", "überhaupt" not counted),
//!    unless the cue is itself part of a matched phrase ("no one answered"). German
//!    `nicht`, `nie` and `niemals` also negate a match ending at most [`BACKWARD_WINDOW`]
//!    tokens before them (the verb-second clause: "der Support antwortet nicht") when they
//!    negate nothing after them. A negated match is dropped, or counts for the lexicon's
//!    *negated* reason ("not friendly" → `inadequate_response`, "never on time" →
//!    `broken_promise`, "not resolved" → `unresolved_complaint`), or cancels every match of
//!    its clause ("the price was not a problem" → no reason; only when no other match
//!    stands between the cue and the term, so "nobody solved my problem" keeps its reason).
//!    A token is counted once per reason: when several entries of one reason match the
//!    very same words, the highest weight counts.
//! 7. **Decision.** A reason is found when the sum of the weights of its matches reaches
//!    [`THRESHOLD`] (1). `general_dissatisfaction` is dropped when any other complaint reason
//!    (a reason not named `praise_*`) is found, as the labelling guide says it applies only
//!    when no specific reason is given.
//!
//! Reason labels are sorted by name. The evaluation ([`Classifier::evaluate`]) scores exact
//! label sets per language, micro-averaged precision, recall and F1 over labels, and one
//! row per reason (true positives, false positives, false negatives). The measured
//! accuracy is in the README, section "Open answers: how reasons are found": method v2
//! 72.9 % on the held-out set eval and 65.2 % on the fresh eval2 (v1: 63.6 % and 53.3 %),
//! short of the 85 % target.
//!
//! ```
//! use comeback_voice::classify::{Classifier, Language};
//!
//! let c = Classifier::lexicon_only();
//! let r = c.classify("Staff were not friendly and it's way too expensive.", None);
//! assert_eq!(r.language, Some(Language::En));
//! assert_eq!(r.labels(), ["inadequate_response", "price"]);
//! assert_eq!(r.reasons[0].evidence, ["not friendly"]);
//! ```

mod lexicon;
mod model;
mod text;

pub use lexicon::MAX_PHRASE_WORDS;
pub use model::{
    BIAS, ReasonModel, TrainOptions, cross_validate, decide, features, folds_of, parallel_group,
};
pub use text::{Language, UnknownLanguage, detect_language, fold};

use lexicon::{LangLexicon, OnNegation};
use rust_stemmers::Stemmer;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;
use text::{
    Token, best, is_filler, is_negation_cue, is_stop_word, language_scores, negates_backwards,
    stemmer, tokenize,
};

/// The built-in lexicons, one CSV per language (`data/voice/lexicon/`).
const BUILTIN: [&str; 6] = [
    include_str!("../../../data/voice/lexicon/en.csv"),
    include_str!("../../../data/voice/lexicon/es.csv"),
    include_str!("../../../data/voice/lexicon/pt.csv"),
    include_str!("../../../data/voice/lexicon/fi.csv"),
    include_str!("../../../data/voice/lexicon/de.csv"),
    include_str!("../../../data/voice/lexicon/fr.csv"),
];

/// The built-in model of the learned layer, multilingual (`data/voice/model/all.tsv`,
/// written by `comeback reasons --train`).
const BUILTIN_MODEL: &str = include_str!("../../../data/voice/model/all.tsv");

/// The reasons of the default taxonomy (PRODUCT R6 exit reasons, then praise topics).
pub const DEFAULT_REASONS: [&str; 11] = [
    "price",
    "quality",
    "competitor_offer",
    "inadequate_response",
    "broken_promise",
    "unresolved_complaint",
    "general_dissatisfaction",
    "praise_staff",
    "praise_quality",
    "praise_value",
    "praise_speed",
];

/// The reason that applies only when no specific complaint reason is found.
pub const GENERAL_DISSATISFACTION: &str = "general_dissatisfaction";

/// The score a reason needs to be found by the lexicon layer (sum of the weights of its
/// matches).
pub const THRESHOLD: f64 = 1.0;

/// A reason found by the learned layer shows at most this many of its largest positive
/// feature contributions as evidence.
pub const EVIDENCE_FEATURES: usize = 4;

/// A negation cue negates a match starting at most this many tokens after it.
pub const NEGATION_WINDOW: usize = 3;

/// German `nicht`/`nie`/`niemals` also negate a match that ends at most this many tokens
/// before them ("der Support antwortet nicht", "lohnt sich nicht").
pub const BACKWARD_WINDOW: usize = 2;

/// Tokens of at least this many letters may match at Damerau–Levenshtein distance 1.
pub const FUZZY_MIN_LETTERS: usize = 5;

/// Tokens of at least this many letters may match at Damerau–Levenshtein distance 2.
pub const FUZZY2_MIN_LETTERS: usize = 10;

/// A compound constituent may be followed by at most this many letters of inflection.
pub const COMPOUND_ENDING: usize = 3;

/// At most this many other words may stand between two words of a lexicon phrase (none
/// when the phrase contains a negation cue: "no one answered").
pub const MAX_GAP: usize = 2;

/// Errors of lexicon and labelled-set parsing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClassifyError {
    /// A bad CSV row or value; `line` is 1-based (the header is line 1).
    #[error("line {line}: {}{message}", column.map(|c| format!("column \"{c}\": ")).unwrap_or_default())]
    Csv {
        /// 1-based line.
        line: u64,
        /// The column, when one value is at fault.
        column: Option<&'static str>,
        /// What is wrong, naming the value.
        message: String,
    },
    /// The header lacks a required column.
    #[error("missing column \"{column}\" in the header (found: {found})")]
    MissingColumn {
        /// The required column.
        column: &'static str,
        /// The header as found.
        found: String,
    },
}

impl ClassifyError {
    fn csv(line: u64, column: Option<&'static str>, message: String) -> Self {
        ClassifyError::Csv {
            line,
            column,
            message,
        }
    }

    /// The message with the file name in front, as `file:line: column "x": message`.
    pub fn located(&self, file: &str) -> String {
        match self {
            ClassifyError::Csv { line, .. } => {
                let msg = self.to_string();
                let rest = msg
                    .strip_prefix(&format!("line {line}: "))
                    .unwrap_or(&msg)
                    .to_string();
                format!("{file}:{line}: {rest}")
            }
            ClassifyError::MissingColumn { .. } => format!("{file}: {self}"),
        }
    }
}

/// One reason found in an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ReasonMatch {
    /// The reason label.
    pub reason: String,
    /// Sum of the weights of its matches (≥ [`THRESHOLD`]).
    pub score: f64,
    /// The matched words as written (lowercase), a negated match from its cue ("not
    /// friendly"); `~` marks a fuzzy (misspelt) match, `+` a match inside a compound.
    pub evidence: Vec<String>,
}

/// The reasons found in one answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Classification {
    /// The language used: given, detected, or `None` (blank or undetectable text).
    pub language: Option<Language>,
    /// Reasons found, sorted by label; empty when none applies.
    pub reasons: Vec<ReasonMatch>,
}

impl Classification {
    /// The labels, sorted.
    pub fn labels(&self) -> Vec<&str> {
        self.reasons.iter().map(|r| r.reason.as_str()).collect()
    }

    /// The score of `reason` (0 when not found).
    pub fn score(&self, reason: &str) -> f64 {
        self.reasons
            .iter()
            .find(|r| r.reason == reason)
            .map_or(0.0, |r| r.score)
    }
}

/// Whether an answer is a non-response: no letter or digit at all (empty, spaces, "-", "…").
pub fn is_blank(text: &str) -> bool {
    !text.chars().any(char::is_alphanumeric)
}

/// The lexicon classifier: built-in lexicons of the six languages, extensible.
pub struct Classifier {
    lexicons: [LangLexicon; 6],
    stemmers: Vec<Stemmer>,
    reasons: BTreeSet<String>,
    models: [Option<Arc<ReasonModel>>; 6],
}

impl fmt::Debug for Classifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Classifier")
            .field(
                "entries",
                &self
                    .lexicons
                    .iter()
                    .map(|l| l.entries.len())
                    .collect::<Vec<_>>(),
            )
            .field("reasons", &self.reasons)
            .field(
                "model_weights",
                &self
                    .models
                    .iter()
                    .map(|m| m.as_deref().map(ReasonModel::weight_count))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// How a token matched a lexicon word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Exact,
    Compound,
    Fuzzy,
}

/// One phrase match.
#[derive(Debug, Clone)]
struct Hit {
    entry: usize,
    tokens: Vec<usize>,
    kind: Kind,
}

impl Classifier {
    /// Method v2: the built-in lexicons (`data/voice/lexicon/*.csv`) and the built-in
    /// models of the learned layer (`data/voice/model/*.tsv`) for the default taxonomy.
    pub fn builtin() -> Self {
        let mut c = Classifier::lexicon_only();
        // The built-in file is checked by a test; a bad file cannot ship.
        match ReasonModel::from_tsv(BUILTIN_MODEL) {
            Ok(Some(m)) => c.set_model(m),
            Ok(None) => {}
            Err(e) => debug_assert!(false, "built-in model: {e}"),
        }
        c
    }

    /// Method v1: the built-in lexicons alone (no learned layer).
    pub fn lexicon_only() -> Self {
        let mut c = Classifier {
            lexicons: Default::default(),
            stemmers: Language::ALL.iter().map(|&l| stemmer(l)).collect(),
            reasons: DEFAULT_REASONS.iter().map(|s| s.to_string()).collect(),
            models: Default::default(),
        };
        for csv in BUILTIN {
            // The built-in files are checked by a unit test; a bad row cannot ship.
            if let Err(e) = c.extend_from_csv(csv) {
                debug_assert!(false, "built-in lexicon: {e}");
            }
        }
        c
    }

    /// The built-in classifier extended with `csv` (see [`Classifier::extend_from_csv`]).
    ///
    /// # Errors
    /// As [`Classifier::extend_from_csv`].
    pub fn with_extension(csv: &str) -> Result<Self, ClassifyError> {
        let mut c = Classifier::builtin();
        c.extend_from_csv(csv)?;
        Ok(c)
    }

    /// Adds lexicon rows from CSV text with the header `language,reason,term` and the
    /// optional columns `weight` (a number in (0, 100], default 1) and `negated` (empty:
    /// a negated match is dropped; a reason: it counts for that reason; `*`: it cancels
    /// its clause). `language` is a code or name of one of the six languages; `reason` is a
    /// label of lowercase ASCII letters, digits and `_` (new reasons are allowed) or `-`
    /// for a term that only means something when negated; `term` has 1 to 3 words, a word
    /// ending in `*` is a prefix of at least 3 letters. Lines starting with `#` are
    /// comments. Returns the number of rows added. On error nothing is added.
    ///
    /// # Errors
    /// [`ClassifyError::MissingColumn`] for a header without `language`, `reason` or
    /// `term`; [`ClassifyError::Csv`] naming the line, column and value otherwise.
    pub fn extend_from_csv(&mut self, csv: &str) -> Result<usize, ClassifyError> {
        let mut lexicons = self.lexicons.clone();
        let n = lexicon::add_csv(csv, &mut lexicons, &self.stemmers)?;
        self.lexicons = lexicons;
        for lex in &self.lexicons {
            for e in &lex.entries {
                if let Some(r) = &e.reason {
                    self.reasons.insert(r.clone());
                }
                if let OnNegation::Reason(r) = &e.on_negation {
                    self.reasons.insert(r.clone());
                }
            }
        }
        Ok(n)
    }

    /// Every reason the classifier can give, sorted: the default taxonomy and reasons added
    /// by extensions.
    pub fn reasons(&self) -> impl Iterator<Item = &str> {
        self.reasons.iter().map(String::as_str)
    }

    /// Number of lexicon entries of `lang`.
    pub fn entries(&self, lang: Language) -> usize {
        self.lexicons[lang.index()].entries.len()
    }

    /// The language of `text`: stop words and letters ([`detect_language`]) plus one point
    /// per exact lexicon match of each language. `None` for blank text, no evidence or a
    /// tie.
    pub fn detect_language(&self, text: &str) -> Option<Language> {
        if is_blank(text) {
            return None;
        }
        self.detect(text).map(|(lang, _, _)| lang)
    }

    /// Language detection that also returns the detected language's tokens and matches.
    fn detect(&self, text: &str) -> Option<(Language, Vec<Token>, Vec<Hit>)> {
        let mut scores = language_scores(text);
        let mut analyses = Vec::with_capacity(6);
        for lang in Language::ALL {
            let tokens = tokenize(text, lang, &self.stemmers[lang.index()]);
            let hits = self.hits(&tokens, lang);
            scores[lang.index()] += hits.iter().filter(|h| h.kind == Kind::Exact).count() as f64;
            analyses.push((tokens, hits));
        }
        let lang = best(&scores)?;
        let (tokens, hits) = analyses.swap_remove(lang.index());
        Some((lang, tokens, hits))
    }

    /// The learned model used for `lang`, if any.
    pub fn model(&self, lang: Language) -> Option<&ReasonModel> {
        self.models[lang.index()].as_deref()
    }

    /// Installs a learned model for its language, or for every language when it is
    /// multilingual ([`ReasonModel::language`] `None`).
    pub fn set_model(&mut self, model: ReasonModel) {
        let model = Arc::new(model);
        for l in Language::ALL {
            if model.language.is_none_or(|m| m == l) {
                self.models[l.index()] = Some(Arc::clone(&model));
            }
        }
    }

    /// Removes the learned model of `lang` (it then uses the lexicon layer alone).
    pub fn remove_model(&mut self, lang: Language) {
        self.models[lang.index()] = None;
    }

    /// Classifies one answer in `lang`, or in the detected language when `lang` is `None`
    /// (see the module docs for the method): the learned layer when the language has a
    /// model (reasons the model does not know, added by an extension lexicon, come from the
    /// lexicon layer), the lexicon layer otherwise. Blank or undetectable text gives no
    /// language and no reasons. Never fails.
    pub fn classify(&self, text: &str, lang: Option<Language>) -> Classification {
        let lexical = self.classify_lexicon(text, lang);
        let Some(lang) = lexical.language else {
            return lexical;
        };
        let Some(model) = self.model(lang) else {
            return lexical;
        };
        let feats = model::features_with(self, text, lang, model.options.char_weight, &lexical);
        let probs = model.probabilities(&feats);
        let labels: Vec<&str> = model.labels.iter().map(String::as_str).collect();
        let p: Vec<f64> = probs.iter().map(|(p, _)| *p).collect();
        let mut chosen = decide(&labels, &p, model.options.threshold, model.options.floor);
        for r in &lexical.reasons {
            if !model.labels.contains(&r.reason) {
                chosen.insert(r.reason.clone());
            }
        }
        if chosen.contains(GENERAL_DISSATISFACTION)
            && chosen
                .iter()
                .any(|r| r != GENERAL_DISSATISFACTION && !r.starts_with("praise_"))
        {
            chosen.remove(GENERAL_DISSATISFACTION);
        }
        let reasons = chosen
            .into_iter()
            .map(|reason| match labels.iter().position(|l| *l == reason) {
                Some(li) => ReasonMatch {
                    score: probs[li].0,
                    evidence: probs[li]
                        .1
                        .iter()
                        .filter(|(_, w)| *w > 0.0)
                        .take(EVIDENCE_FEATURES)
                        .map(|(f, w)| format!("{f} {w:+.2}"))
                        .collect(),
                    reason,
                },
                None => lexical
                    .reasons
                    .iter()
                    .find(|r| r.reason == reason)
                    .cloned()
                    .unwrap_or(ReasonMatch {
                        reason,
                        score: 0.0,
                        evidence: Vec::new(),
                    }),
            })
            .collect();
        Classification {
            language: Some(lang),
            reasons,
        }
    }

    /// Method v1 alone: classifies one answer with the lexicon layer only (the numbered
    /// steps of the module docs), whether or not the language has a model. Never fails.
    pub fn classify_lexicon(&self, text: &str, lang: Option<Language>) -> Classification {
        if is_blank(text) {
            return Classification::default();
        }
        let analysed = match lang {
            Some(lang) => {
                let tokens = tokenize(text, lang, &self.stemmers[lang.index()]);
                let hits = self.hits(&tokens, lang);
                Some((lang, tokens, hits))
            }
            None => self.detect(text),
        };
        let Some((lang, tokens, hits)) = analysed else {
            return Classification::default();
        };
        let lex = &self.lexicons[lang.index()];
        let used: BTreeSet<usize> = hits.iter().flat_map(|h| h.tokens.iter().copied()).collect();
        let cues: Vec<usize> = (0..tokens.len())
            .filter(|&i| !used.contains(&i) && is_negation_cue(lang, &tokens[i].folded))
            .collect();
        // (reason, weight, evidence, clause, tokens)
        let mut contributions: Vec<(String, f64, String, usize, &[usize])> = Vec::new();
        let mut cancelled: BTreeSet<usize> = BTreeSet::new();
        for h in &hits {
            let e = &lex.entries[h.entry];
            let start = h.tokens[0];
            let clause = tokens[start].clause;
            let end = h.tokens[h.tokens.len() - 1];
            let cue = cues
                .iter()
                .rev()
                .find(|&&c| {
                    c < start
                        && distance(&tokens, lang, c, start) <= NEGATION_WINDOW
                        && tokens[c].clause == clause
                })
                .or_else(|| {
                    cues.iter().find(|&&c| {
                        c > end
                            && c - end <= BACKWARD_WINDOW
                            && tokens[c].clause == clause
                            && negates_backwards(lang, &tokens[c].folded)
                            && !hits.iter().any(|o| {
                                o.tokens[0] > c
                                    && distance(&tokens, lang, c, o.tokens[0]) <= NEGATION_WINDOW
                                    && tokens[o.tokens[0]].clause == clause
                            })
                    })
                });
            let mark = match h.kind {
                Kind::Exact => "",
                Kind::Compound => "+",
                Kind::Fuzzy => "~",
            };
            let span = |from: usize| {
                let to = end.max(from);
                let from = from.min(start);
                let words: Vec<&str> = tokens[from..=to]
                    .iter()
                    .map(|t| t.surface.as_str())
                    .collect();
                format!("{mark}{}", words.join(" "))
            };
            match cue {
                Some(&c) => match &e.on_negation {
                    OnNegation::Drop => {}
                    OnNegation::Reason(r) => {
                        contributions.push((r.clone(), e.weight, span(c), clause, &h.tokens))
                    }
                    OnNegation::CancelClause
                        if !hits.iter().any(|o| o.tokens[0] > c && o.tokens[0] < start) =>
                    {
                        cancelled.insert(clause);
                    }
                    OnNegation::CancelClause => {}
                },
                None => {
                    if let Some(r) = &e.reason {
                        contributions.push((r.clone(), e.weight, span(start), clause, &h.tokens));
                    }
                }
            }
        }
        let mut found: BTreeMap<String, ReasonMatch> = BTreeMap::new();
        // The same words matched by several entries of one reason count once (highest weight).
        contributions.sort_by(|a, b| a.0.cmp(&b.0).then(a.4.cmp(b.4)).then(b.1.total_cmp(&a.1)));
        contributions.dedup_by(|b, a| a.0 == b.0 && a.4 == b.4);
        for (reason, w, ev, clause, _) in contributions {
            if cancelled.contains(&clause) {
                continue;
            }
            let m = found.entry(reason.clone()).or_insert_with(|| ReasonMatch {
                reason,
                score: 0.0,
                evidence: Vec::new(),
            });
            m.score += w;
            if !m.evidence.contains(&ev) {
                m.evidence.push(ev);
            }
        }
        found.retain(|_, m| m.score >= THRESHOLD - 1e-9);
        if found.contains_key(GENERAL_DISSATISFACTION)
            && found
                .keys()
                .any(|r| r != GENERAL_DISSATISFACTION && !r.starts_with("praise_"))
        {
            found.remove(GENERAL_DISSATISFACTION);
        }
        Classification {
            language: Some(lang),
            reasons: found.into_values().collect(),
        }
    }

    /// All phrase matches in `tokens`, overlaps resolved (longer phrases, then exact
    /// matches, then earlier ones win; entries with the very same tokens all stay).
    fn hits(&self, tokens: &[Token], lang: Language) -> Vec<Hit> {
        let lex = &self.lexicons[lang.index()];
        // Per token: the lexicon words it matches and how.
        let table: Vec<Vec<(usize, Kind)>> =
            tokens.iter().map(|t| word_matches(t, lex, lang)).collect();
        let mut hits = Vec::new();
        for (ei, e) in lex.entries.iter().enumerate() {
            for start in 0..tokens.len() {
                let Some(&(_, k0)) = table[start].iter().find(|(w, _)| *w == e.words[0]) else {
                    continue;
                };
                let mut toks = vec![start];
                let mut kind = k0;
                let gap = if e.has_cue { 0 } else { MAX_GAP };
                let mut ok = true;
                for &w in &e.words[1..] {
                    let last = *toks.last().unwrap_or(&start);
                    let next = (last + 1..=(last + 1 + gap).min(tokens.len().saturating_sub(1)))
                        .filter(|&p| p < tokens.len() && tokens[p].clause == tokens[start].clause)
                        .find_map(|p| table[p].iter().find(|(x, _)| *x == w).map(|&(_, k)| (p, k)));
                    match next {
                        Some((p, k)) => {
                            toks.push(p);
                            kind = kind.max(k);
                        }
                        None => {
                            ok = false;
                            break;
                        }
                    }
                }
                if ok {
                    hits.push(Hit {
                        entry: ei,
                        tokens: toks,
                        kind,
                    });
                }
            }
        }
        let span = |h: &Hit| h.tokens[h.tokens.len() - 1] - h.tokens[0];
        hits.sort_by(|a, b| {
            b.tokens
                .len()
                .cmp(&a.tokens.len())
                .then(a.kind.cmp(&b.kind))
                .then(span(a).cmp(&span(b)))
                .then(a.tokens[0].cmp(&b.tokens[0]))
        });
        let mut accepted: Vec<Hit> = Vec::new();
        for h in hits {
            let clash = accepted
                .iter()
                .any(|a| a.tokens != h.tokens && a.tokens.iter().any(|t| h.tokens.contains(t)));
            if !clash {
                accepted.push(h);
            }
        }
        accepted.sort_by_key(|h| h.tokens[0]);
        accepted
    }

    /// Classifies every labelled answer in its gold language and scores the result (see
    /// [`Evaluation`]).
    pub fn evaluate(&self, labelled: &[LabelledAnswer]) -> Evaluation {
        let predicted: Vec<Classification> = labelled
            .iter()
            .map(|a| self.classify(&a.text, Some(a.language)))
            .collect();
        let detected = labelled
            .iter()
            .filter(|a| self.detect_language(&a.text) == Some(a.language))
            .count();
        let mut ev = Evaluation::score(labelled, &predicted);
        ev.language_detected = detected;
        ev
    }
}

/// The lexicon words that token `t` matches, and how (see the module docs).
fn word_matches(t: &Token, lex: &LangLexicon, lang: Language) -> Vec<(usize, Kind)> {
    let mut out: Vec<(usize, Kind)> = lex
        .words
        .iter()
        .enumerate()
        .filter(|(_, w)| {
            if w.prefix {
                t.folded.starts_with(&w.folded)
            } else if w.exact {
                t.folded == w.folded
            } else {
                t.stem == w.stem || t.folded == w.folded
            }
        })
        .map(|(i, _)| (i, Kind::Exact))
        .collect();
    if !out.is_empty() {
        return out;
    }
    let n = t.folded.chars().count();
    let ts = t.stem.chars().count();
    if lang.compounds() && n >= 8 {
        out.extend(
            lex.words
                .iter()
                .enumerate()
                .filter(|(_, w)| !w.exact && in_compound(&t.folded, &w.stem, w.stem_len))
                .map(|(i, _)| (i, Kind::Compound)),
        );
        if !out.is_empty() {
            return out;
        }
    }
    if n >= FUZZY_MIN_LETTERS && !is_negation_cue(lang, &t.folded) && !is_stop_word(lang, &t.folded)
    {
        out.extend(
            lex.words
                .iter()
                .enumerate()
                .filter(|(_, w)| {
                    let m = w.folded_len;
                    if w.prefix {
                        return fuzzy_prefix(&t.folded, &w.folded);
                    }
                    if w.exact {
                        return false;
                    }
                    let max = if n >= FUZZY2_MIN_LETTERS && m >= FUZZY2_MIN_LETTERS {
                        2
                    } else {
                        1
                    };
                    !w.prefix
                        && m >= FUZZY_MIN_LETTERS
                        && t.folded.chars().next() == w.folded.chars().next()
                        // The distance is at least the difference in length: cheap checks first.
                        && ((n.abs_diff(m) <= max
                            && strsim::damerau_levenshtein(&t.folded, &w.folded) <= max)
                            || (w.stem_len >= FUZZY_MIN_LETTERS
                                && ts >= FUZZY_MIN_LETTERS
                                && ts.abs_diff(w.stem_len) <= 1
                                && strsim::damerau_levenshtein(&t.stem, &w.stem) == 1))
                })
                .map(|(i, _)| (i, Kind::Fuzzy)),
        );
    }
    out
}

/// Whether `part` is a constituent of the compound `token`: it starts the token (at least
/// 5 letters: `Preis|erhöhung`) or ends at most [`COMPOUND_ENDING`] letters before its end
/// (at least 6 letters: `asiakas|palvelu|ssa`); `über|rasch|end` does not count.
fn in_compound(token: &str, part: &str, n: usize) -> bool {
    (n >= 5 && token.starts_with(part))
        || n >= 6
            && token
                .match_indices(part)
                .any(|(i, _)| token[i + part.len()..].chars().count() <= COMPOUND_ENDING)
}

/// Tokens from the cue at `cue` to the match at `start`, not counting filler words
/// (articles, intensifiers: "not *at all* friendly", "pas *du tout* un problème").
fn distance(tokens: &[Token], lang: Language, cue: usize, start: usize) -> usize {
    1 + tokens[cue + 1..start]
        .iter()
        .filter(|t| !is_filler(lang, &t.folded))
        .count()
}

/// Whether `token` starts with `prefix` (at least [`FUZZY_MIN_LETTERS`] + 1 letters) up to one
/// edit: Damerau–Levenshtein distance 1 between `prefix` and the token's first
/// `len(prefix) - 1`, `len(prefix)` or `len(prefix) + 1` letters, same first letter.
fn fuzzy_prefix(token: &str, prefix: &str) -> bool {
    let t: Vec<char> = token.chars().collect();
    let p = prefix.chars().count();
    if p < FUZZY_MIN_LETTERS + 1 || t.first() != prefix.chars().next().as_ref() {
        return false;
    }
    (p - 1..=p + 1).any(|k| {
        k <= t.len() && strsim::damerau_levenshtein(&t[..k].iter().collect::<String>(), prefix) == 1
    })
}

/// One answer of a labelled set (`data/voice/dev/*.csv`, `data/voice/eval/*.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledAnswer {
    /// The answer's id.
    pub id: String,
    /// Its language.
    pub language: Language,
    /// The answer.
    pub text: String,
    /// The gold label set; empty for `none`.
    pub labels: BTreeSet<String>,
    /// Hard-case tags: `negation`, `misspelling`, `two_reasons`.
    pub tags: BTreeSet<String>,
}

/// Parses a labelled set: UTF-8 CSV with the header `id,language,text,labels,tags`;
/// `labels` is a `;`-separated label set or `none`; `tags` a `;`-separated subset of
/// `negation`, `misspelling`, `two_reasons` (or empty).
///
/// # Errors
/// [`ClassifyError::MissingColumn`] for a missing header column; [`ClassifyError::Csv`]
/// for a malformed row, an unknown language, an empty or invalid label or an unknown tag.
pub fn parse_labelled_csv(csv: &str) -> Result<Vec<LabelledAnswer>, ClassifyError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| ClassifyError::csv(1, None, e.to_string()))?
        .clone();
    let col = |name: &'static str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .ok_or_else(|| ClassifyError::MissingColumn {
                column: name,
                found: headers.iter().collect::<Vec<_>>().join(","),
            })
    };
    let (c_id, c_lang, c_text, c_labels) =
        (col("id")?, col("language")?, col("text")?, col("labels")?);
    let c_tags = col("tags").ok();
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            ClassifyError::csv(line, None, e.to_string())
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let language = get(c_lang).parse().map_err(|e: UnknownLanguage| {
            ClassifyError::csv(line, Some("language"), e.to_string())
        })?;
        let raw = get(c_labels);
        let mut labels = BTreeSet::new();
        if raw != "none" {
            for l in raw.split(';').map(str::trim) {
                if !lexicon::valid_reason(l) || l == "none" {
                    return Err(ClassifyError::csv(
                        line,
                        Some("labels"),
                        format!(
                            "invalid label \"{l}\" in \"{raw}\" (labels separated by ;, or none)"
                        ),
                    ));
                }
                labels.insert(l.to_string());
            }
        }
        let mut tags = BTreeSet::new();
        for t in c_tags
            .map_or("", get)
            .split(';')
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            if !matches!(t, "negation" | "misspelling" | "two_reasons") {
                return Err(ClassifyError::csv(
                    line,
                    Some("tags"),
                    format!("unknown tag \"{t}\" (negation, misspelling or two_reasons)"),
                ));
            }
            tags.insert(t.to_string());
        }
        out.push(LabelledAnswer {
            id: get(c_id).to_string(),
            language,
            text: get(c_text).to_string(),
            labels,
            tags,
        });
    }
    Ok(out)
}

/// Precision, recall and F1 from counts of true positives, false positives and false
/// negatives: P = tp/(tp+fp), R = tp/(tp+fn), F1 = 2PR/(P+R) (van Rijsbergen 1979, ch. 7,
/// the F measure with β = 1). A ratio 0/0 is 1 when there is nothing to find and nothing
/// was found (tp = fp = fn = 0), 0 otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Prf {
    /// True positives (labels predicted and in the gold set).
    pub tp: usize,
    /// False positives (labels predicted, not in the gold set).
    pub fp: usize,
    /// False negatives (gold labels not predicted).
    pub fn_: usize,
}

impl Prf {
    fn ratio(a: usize, b: usize, none: bool) -> f64 {
        if b == 0 {
            if none { 1.0 } else { 0.0 }
        } else {
            a as f64 / b as f64
        }
    }

    fn nothing(&self) -> bool {
        self.tp + self.fp + self.fn_ == 0
    }

    /// tp / (tp + fp).
    pub fn precision(&self) -> f64 {
        Self::ratio(self.tp, self.tp + self.fp, self.nothing())
    }

    /// tp / (tp + fn).
    pub fn recall(&self) -> f64 {
        Self::ratio(self.tp, self.tp + self.fn_, self.nothing())
    }

    /// 2PR / (P + R) = 2tp / (2tp + fp + fn).
    pub fn f1(&self) -> f64 {
        Self::ratio(
            2 * self.tp,
            2 * self.tp + self.fp + self.fn_,
            self.nothing(),
        )
    }

    fn add(&mut self, gold: &BTreeSet<String>, pred: &BTreeSet<String>) {
        self.tp += gold.intersection(pred).count();
        self.fp += pred.difference(gold).count();
        self.fn_ += gold.difference(pred).count();
    }
}

/// The scores of one language (or one tag) of a labelled set.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupScore {
    /// Language code, or tag name.
    pub group: String,
    /// Answers.
    pub answers: usize,
    /// Answers whose predicted label set equals the gold set exactly.
    pub exact: usize,
    /// Label counts micro-averaged over the answers.
    pub micro: Prf,
}

impl GroupScore {
    /// exact / answers (exact-set accuracy; 0 for no answers).
    pub fn accuracy(&self) -> f64 {
        if self.answers == 0 {
            0.0
        } else {
            self.exact as f64 / self.answers as f64
        }
    }
}

/// One answer whose predicted label set differs from the gold set.
#[derive(Debug, Clone, PartialEq)]
pub struct Misclassified {
    /// The answer's id.
    pub id: String,
    /// Its language.
    pub language: Language,
    /// The answer.
    pub text: String,
    /// Gold labels (empty: `none`).
    pub gold: Vec<String>,
    /// Predicted labels.
    pub predicted: Vec<String>,
    /// The evidence of each predicted reason.
    pub evidence: Vec<String>,
}

/// The result of [`Classifier::evaluate`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evaluation {
    /// All answers together.
    pub overall: Option<GroupScore>,
    /// One row per language present, in [`Language::ALL`] order.
    pub per_language: Vec<GroupScore>,
    /// One row per hard-case tag present (`misspelling`, `negation`, `two_reasons`).
    pub per_tag: Vec<GroupScore>,
    /// Confusion counts per reason (gold or predicted), sorted by reason: tp, fp, fn.
    pub per_reason: Vec<(String, Prf)>,
    /// Answers whose language [`Classifier::detect_language`] finds correctly.
    pub language_detected: usize,
    /// The answers with a wrong label set, in input order.
    pub misclassified: Vec<Misclassified>,
}

impl Evaluation {
    /// Scores predictions against gold labels (`predicted[i]` belongs to `labelled[i]`;
    /// extra items of the longer slice are ignored). `language_detected` is left 0.
    pub fn score(labelled: &[LabelledAnswer], predicted: &[Classification]) -> Evaluation {
        let mut overall = GroupScore {
            group: "all".into(),
            answers: 0,
            exact: 0,
            micro: Prf::default(),
        };
        let mut langs: BTreeMap<Language, GroupScore> = BTreeMap::new();
        let mut tags: BTreeMap<String, GroupScore> = BTreeMap::new();
        let mut reasons: BTreeMap<String, Prf> = BTreeMap::new();
        let mut misclassified = Vec::new();
        for (a, p) in labelled.iter().zip(predicted) {
            let pred: BTreeSet<String> = p.reasons.iter().map(|r| r.reason.clone()).collect();
            let exact = pred == a.labels;
            let mut groups: Vec<&mut GroupScore> = vec![&mut overall];
            groups.push(langs.entry(a.language).or_insert_with(|| GroupScore {
                group: a.language.as_str().into(),
                answers: 0,
                exact: 0,
                micro: Prf::default(),
            }));
            let _ = &groups;
            for g in groups {
                g.answers += 1;
                g.exact += usize::from(exact);
                g.micro.add(&a.labels, &pred);
            }
            for t in &a.tags {
                let g = tags.entry(t.clone()).or_insert_with(|| GroupScore {
                    group: t.clone(),
                    answers: 0,
                    exact: 0,
                    micro: Prf::default(),
                });
                g.answers += 1;
                g.exact += usize::from(exact);
                g.micro.add(&a.labels, &pred);
            }
            for r in a.labels.union(&pred) {
                let e = reasons.entry(r.clone()).or_default();
                let one = |x: bool| usize::from(x);
                e.tp += one(a.labels.contains(r) && pred.contains(r));
                e.fp += one(!a.labels.contains(r) && pred.contains(r));
                e.fn_ += one(a.labels.contains(r) && !pred.contains(r));
            }
            if !exact {
                misclassified.push(Misclassified {
                    id: a.id.clone(),
                    language: a.language,
                    text: a.text.clone(),
                    gold: a.labels.iter().cloned().collect(),
                    predicted: pred.into_iter().collect(),
                    evidence: p
                        .reasons
                        .iter()
                        .map(|r| format!("{}: {}", r.reason, r.evidence.join(" | ")))
                        .collect(),
                });
            }
        }
        Evaluation {
            overall: (overall.answers > 0).then_some(overall),
            per_language: langs.into_values().collect(),
            per_tag: tags.into_values().collect(),
            per_reason: reasons.into_iter().collect(),
            language_detected: 0,
            misclassified,
        }
    }
}

/// One row of the reason Pareto table.
#[derive(Debug, Clone, PartialEq)]
pub struct ParetoRow {
    /// The reason.
    pub reason: String,
    /// Answers that give it.
    pub count: usize,
    /// count / all reason mentions (an answer with two reasons is two mentions), in [0, 1].
    pub share: f64,
    /// Sum of the shares of this and the more frequent rows; 1 on the last row.
    pub cumulative_share: f64,
}

/// The reason Pareto table (Juran's Pareto principle: the vital few reasons first): reasons
/// by decreasing count (ties by name), each with its share of all reason mentions and the
/// cumulative share. Answers without a reason contribute nothing; no mentions gives an
/// empty table.
pub fn reason_pareto(classifications: &[Classification]) -> Vec<ParetoRow> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in classifications {
        for r in &c.reasons {
            *counts.entry(r.reason.as_str()).or_default() += 1;
        }
    }
    let total: usize = counts.values().sum();
    let mut rows: Vec<(&str, usize)> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut cum = 0usize;
    rows.into_iter()
        .map(|(reason, count)| {
            cum += count;
            ParetoRow {
                reason: reason.to_string(),
                count,
                share: count as f64 / total as f64,
                cumulative_share: cum as f64 / total as f64,
            }
        })
        .collect()
}

/// Answers longer than this many characters are quoted only when shorter ones run out.
pub const QUOTE_MAX_CHARS: usize = 200;

/// One representative quote: the answer's index in the input and its score for the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// Index into the answers.
    pub index: usize,
    /// The answer's score for the reason.
    pub score: f64,
}

/// Up to `per_reason` representative answers for each reason of the Pareto table (same
/// order): the answers with the highest score for the reason, preferring answers of at most
/// [`QUOTE_MAX_CHARS`] characters, then shorter ones, then earlier ones; an answer whose text
/// (trimmed, case-insensitive) was already chosen for the reason is skipped.
/// `texts[i]` is the answer classified as `classifications[i]`.
pub fn representative_quotes<S: AsRef<str>>(
    texts: &[S],
    classifications: &[Classification],
    per_reason: usize,
) -> Vec<(String, Vec<Quote>)> {
    reason_pareto(classifications)
        .into_iter()
        .map(|row| {
            let mut cands: Vec<(usize, f64, usize)> = classifications
                .iter()
                .zip(texts)
                .enumerate()
                .filter_map(|(i, (c, t))| {
                    let s = c.score(&row.reason);
                    (s > 0.0).then(|| (i, s, t.as_ref().trim().chars().count()))
                })
                .collect();
            cands.sort_by(|a, b| {
                (a.2 > QUOTE_MAX_CHARS)
                    .cmp(&(b.2 > QUOTE_MAX_CHARS))
                    .then(b.1.total_cmp(&a.1))
                    .then(a.2.cmp(&b.2))
                    .then(a.0.cmp(&b.0))
            });
            let mut seen: BTreeSet<String> = BTreeSet::new();
            let quotes = cands
                .into_iter()
                .filter(|&(i, _, _)| seen.insert(texts[i].as_ref().trim().to_lowercase()))
                .take(per_reason)
                .map(|(index, score, _)| Quote { index, score })
                .collect();
            (row.reason, quotes)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_lexicons_parse() {
        let mut c = Classifier {
            lexicons: Default::default(),
            stemmers: Language::ALL.iter().map(|&l| stemmer(l)).collect(),
            reasons: BTreeSet::new(),
            models: Default::default(),
        };
        for (lang, csv) in Language::ALL.iter().zip(BUILTIN) {
            let n = c
                .extend_from_csv(csv)
                .unwrap_or_else(|e| panic!("{lang}: {e}"));
            assert!(n >= 50, "{lang}: {n} entries");
            assert_eq!(c.entries(*lang), n, "{lang}: rows of another language");
        }
        let reasons: BTreeSet<&str> = c.reasons().collect();
        let default: BTreeSet<&str> = DEFAULT_REASONS.into_iter().collect();
        assert_eq!(reasons, default);
    }
}
