//! Lexicon files: `language,reason,term[,weight[,negated]]` CSV rows compiled into
//! stemmed phrases per language.

use super::ClassifyError;
use super::text::{Language, fold, tokenize};
use rust_stemmers::Stemmer;

/// What a negated match of an entry means.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OnNegation {
    /// The match is dropped (empty `negated` column).
    Drop,
    /// The match counts for this reason instead (`negated` = a reason name).
    Reason(String),
    /// The match cancels every match in its clause (`negated` = `*`): "not a problem".
    CancelClause,
}

/// One word of a lexicon phrase.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LexWord {
    /// Folded Snowball stem (for `prefix` words: the folded prefix itself).
    pub stem: String,
    /// Folded surface form as written in the lexicon.
    pub folded: String,
    /// Written with a trailing `*`: matches every token that starts with `folded`.
    pub prefix: bool,
    /// Written with a leading `=`: matches only the very same folded word (no stemming).
    pub exact: bool,
    /// Letters of `folded` (cached for matching).
    pub folded_len: usize,
    /// Letters of `stem` (cached for matching).
    pub stem_len: usize,
}

impl LexWord {
    fn new(stem: String, folded: String, prefix: bool, exact: bool) -> Self {
        LexWord {
            folded_len: folded.chars().count(),
            stem_len: stem.chars().count(),
            stem,
            folded,
            prefix,
            exact,
        }
    }
}

/// One lexicon row, compiled.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The reason of an un-negated match; `None` for `-` (the term only means something
    /// when negated, e.g. "resolved").
    pub reason: Option<String>,
    /// The phrase's words (1 to 3).
    pub words: Vec<usize>,
    /// Added to the reason's score per match.
    pub weight: f64,
    /// What a negated match means.
    pub on_negation: OnNegation,
    /// A word of the phrase is a negation cue: its words must be adjacent.
    pub has_cue: bool,
}

/// The compiled lexicon of one language: distinct words and the entries over them.
#[derive(Debug, Clone, Default)]
pub(crate) struct LangLexicon {
    pub words: Vec<LexWord>,
    pub entries: Vec<Entry>,
}

impl LangLexicon {
    fn word_id(&mut self, w: LexWord) -> usize {
        if let Some(i) = self.words.iter().position(|x| *x == w) {
            return i;
        }
        self.words.push(w);
        self.words.len() - 1
    }
}

/// The longest phrase a lexicon entry may have, in words.
pub const MAX_PHRASE_WORDS: usize = 3;

/// A reason name: lowercase ASCII letters, digits and `_`, 1 to 64 characters.
pub(crate) fn valid_reason(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Parses lexicon CSV text (header `language,reason,term[,weight[,negated]]`) and adds
/// its rows to `lexicons` (indexed by [`Language::index`]). Returns the number of rows.
pub(crate) fn add_csv(
    text: &str,
    lexicons: &mut [LangLexicon; 6],
    stemmers: &[Stemmer],
) -> Result<usize, ClassifyError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| ClassifyError::csv(1, None, e.to_string()))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let need = |name: &'static str| {
        col(name).ok_or_else(|| ClassifyError::MissingColumn {
            column: name,
            found: headers.iter().collect::<Vec<_>>().join(","),
        })
    };
    let (c_lang, c_reason, c_term) = (need("language")?, need("reason")?, need("term")?);
    let (c_weight, c_neg) = (col("weight"), col("negated"));
    let mut n = 0;
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            ClassifyError::csv(line, None, e.to_string())
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        let field = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("").trim();
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let lang: Language = field(Some(c_lang))
            .parse()
            .map_err(|e: super::UnknownLanguage| {
                ClassifyError::csv(line, Some("language"), e.to_string())
            })?;
        let reason = field(Some(c_reason));
        let reason = if reason == "-" {
            None
        } else if valid_reason(reason) {
            Some(reason.to_string())
        } else {
            return Err(ClassifyError::csv(
                line,
                Some("reason"),
                format!(
                    "invalid reason \"{reason}\" (lowercase letters, digits and _, or - for none)"
                ),
            ));
        };
        let term = field(Some(c_term));
        let weight = match field(c_weight) {
            "" => 1.0,
            w => match w.parse::<f64>() {
                Ok(x) if x.is_finite() && x > 0.0 && x <= 100.0 => x,
                _ => {
                    return Err(ClassifyError::csv(
                        line,
                        Some("weight"),
                        format!("invalid weight \"{w}\" (a number in (0, 100])"),
                    ));
                }
            },
        };
        let on_negation = match field(c_neg) {
            "" => OnNegation::Drop,
            "*" => OnNegation::CancelClause,
            r if valid_reason(r) => OnNegation::Reason(r.to_string()),
            r => {
                return Err(ClassifyError::csv(
                    line,
                    Some("negated"),
                    format!("invalid reason \"{r}\" (a reason, * or empty)"),
                ));
            }
        };
        if reason.is_none() && on_negation == OnNegation::Drop {
            return Err(ClassifyError::csv(
                line,
                Some("negated"),
                format!("term \"{term}\" has neither a reason nor a negated reason"),
            ));
        }
        let lex = &mut lexicons[lang.index()];
        let words = compile_term(term, lang, &stemmers[lang.index()])
            .map_err(|m| ClassifyError::csv(line, Some("term"), m))?;
        let has_cue = words
            .iter()
            .any(|w| super::text::is_negation_cue(lang, &w.folded));
        let words = words.into_iter().map(|w| lex.word_id(w)).collect();
        lex.entries.push(Entry {
            reason,
            words,
            weight,
            on_negation,
            has_cue,
        });
        n += 1;
    }
    Ok(n)
}

/// Tokenises and stems a lexicon phrase; a word ending in `*` is a prefix, a word starting
/// with `=` matches only itself (not its other inflections).
fn compile_term(term: &str, lang: Language, stemmer: &Stemmer) -> Result<Vec<LexWord>, String> {
    let mut out = Vec::new();
    for raw in term.split_whitespace() {
        let (w, prefix) = match raw.strip_suffix('*') {
            Some(p) => (p, true),
            None => (raw, false),
        };
        if let Some(w) = w.strip_prefix('=') {
            let f = fold(&w.to_lowercase());
            if prefix || f.is_empty() || !f.chars().all(char::is_alphanumeric) {
                return Err(format!(
                    "invalid exact word \"{raw}\" (letters after the =, no *)"
                ));
            }
            out.push(LexWord::new(f.clone(), f, false, true));
            continue;
        }
        if prefix {
            let f = fold(&w.to_lowercase());
            if f.chars().count() < 3 || !f.chars().all(char::is_alphanumeric) {
                return Err(format!(
                    "invalid prefix \"{raw}\" (at least 3 letters before the *)"
                ));
            }
            out.push(LexWord::new(f.clone(), f, true, false));
            continue;
        }
        let toks = tokenize(w, lang, stemmer);
        if toks.is_empty() {
            return Err(format!("invalid term \"{term}\" (no letters in \"{raw}\")"));
        }
        for t in toks {
            out.push(LexWord::new(t.stem, t.folded, false, false));
        }
    }
    if out.is_empty() {
        return Err("empty term".to_string());
    }
    if out.len() > MAX_PHRASE_WORDS {
        return Err(format!(
            "term \"{term}\" has {} words (at most {MAX_PHRASE_WORDS})",
            out.len()
        ));
    }
    Ok(out)
}
