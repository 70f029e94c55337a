//! Text normalisation: languages, accent folding, tokens, clauses, negation cues, stemming
//! and the stop-word language detector.

use rust_stemmers::{Algorithm, Stemmer};
use std::fmt;
use std::str::FromStr;

/// A language of the open answers: English, Spanish, Portuguese, Finnish, German, French.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    /// English (`en`).
    En,
    /// Spanish (`es`).
    Es,
    /// Portuguese (`pt`).
    Pt,
    /// Finnish (`fi`).
    Fi,
    /// German (`de`).
    De,
    /// French (`fr`).
    Fr,
}

/// A language name or code that is none of the six languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language \"{0}\" (expected en, es, pt, fi, de or fr)")]
pub struct UnknownLanguage(pub String);

impl Language {
    /// The six languages, English first.
    pub const ALL: [Language; 6] = [
        Language::En,
        Language::Es,
        Language::Pt,
        Language::Fi,
        Language::De,
        Language::Fr,
    ];

    /// The ISO 639-1 code: `en`, `es`, `pt`, `fi`, `de`, `fr`.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Es => "es",
            Language::Pt => "pt",
            Language::Fi => "fi",
            Language::De => "de",
            Language::Fr => "fr",
        }
    }

    /// Position in [`Language::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    fn algorithm(self) -> Algorithm {
        match self {
            Language::En => Algorithm::English,
            Language::Es => Algorithm::Spanish,
            Language::Pt => Algorithm::Portuguese,
            Language::Fi => Algorithm::Finnish,
            Language::De => Algorithm::German,
            Language::Fr => Algorithm::French,
        }
    }

    /// Whether compound words are common (German, Finnish): lexicon stems may then match
    /// inside long tokens.
    pub(crate) fn compounds(self) -> bool {
        matches!(self, Language::De | Language::Fi)
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Language {
    type Err = UnknownLanguage;

    /// Parses an ISO 639-1 code or a language name in English or in the language itself
    /// (`fi`, `Finnish`, `suomi`, `Español`, ...), ignoring case, accents and spaces.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = fold(s.trim()).to_lowercase();
        let l = match key.as_str() {
            "en" | "eng" | "english" => Language::En,
            "es" | "spa" | "spanish" | "espanol" | "castellano" => Language::Es,
            "pt" | "por" | "portuguese" | "portugues" => Language::Pt,
            "fi" | "fin" | "finnish" | "suomi" => Language::Fi,
            "de" | "deu" | "ger" | "german" | "deutsch" => Language::De,
            "fr" | "fra" | "fre" | "french" | "francais" => Language::Fr,
            _ => return Err(UnknownLanguage(s.to_string())),
        };
        Ok(l)
    }
}

/// Folds accents and ligatures to ASCII letters (`é` → `e`, `ä` → `a`, `ß` → `ss`,
/// `œ` → `oe`) for matching; other characters are kept. The table covers the letters of
/// the six languages (Latin-1 Supplement and `œ`, `ß`).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => out.push('a'),
            'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => out.push('A'),
            'ç' => out.push('c'),
            'Ç' => out.push('C'),
            'è' | 'é' | 'ê' | 'ë' => out.push('e'),
            'È' | 'É' | 'Ê' | 'Ë' => out.push('E'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'Ì' | 'Í' | 'Î' | 'Ï' => out.push('I'),
            'ñ' => out.push('n'),
            'Ñ' => out.push('N'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => out.push('o'),
            'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => out.push('O'),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'Ù' | 'Ú' | 'Û' | 'Ü' => out.push('U'),
            'ý' | 'ÿ' => out.push('y'),
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'Æ' => out.push_str("AE"),
            'Œ' => out.push_str("OE"),
            _ => out.push(c),
        }
    }
    out
}

/// One word of an answer.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    /// Lowercase, as written (accents kept).
    pub surface: String,
    /// Lowercase, accents folded.
    pub folded: String,
    /// Snowball stem of `surface`, accents folded.
    pub stem: String,
    /// Clause number: punctuation and contrastive conjunctions start a new clause.
    pub clause: usize,
}

/// Contrastive conjunctions that end a negation scope, per language (lowercase, accents
/// as written: Spanish "mas" is "but" but "más" is "more").
fn clause_breaks(lang: Language) -> &'static [&'static str] {
    match lang {
        Language::En => &["but", "however", "though", "although", "yet", "whereas"],
        Language::Es => &["pero", "sino", "aunque", "mas", "sin embargo"],
        Language::Pt => &["mas", "porém", "porem", "contudo", "embora", "entretanto"],
        Language::Fi => &["mutta", "vaan", "kuitenkin", "vaikka", "silti"],
        Language::De => &[
            "aber",
            "sondern",
            "jedoch",
            "obwohl",
            "trotzdem",
            "allerdings",
        ],
        Language::Fr => &["mais", "cependant", "pourtant", "quoique", "sauf"],
    }
}

/// Splits `text` into tokens for `lang`: lowercase; English `n't` becomes the word `not`;
/// letters and digits form words; apostrophes and hyphens separate words; `. , ; : ! ? ( )`
/// and contrastive conjunctions (but, pero, mas, mutta, aber, mais, ...) end a clause (and so a negation scope).
pub(crate) fn tokenize(text: &str, lang: Language, stemmer: &Stemmer) -> Vec<Token> {
    let lower = text
        .to_lowercase()
        .replace(['\u{2019}', '\u{2018}', '`', '\u{b4}'], "'")
        .replace("n't", " not");
    let mut tokens = Vec::new();
    let mut clause = 0;
    let mut word = String::new();
    let flush = |word: &mut String, clause: &mut usize, tokens: &mut Vec<Token>| {
        if word.is_empty() {
            return;
        }
        let folded = fold(word);
        if clause_breaks(lang).contains(&word.as_str()) {
            *clause += 1;
        } else {
            let stem = fold(&stemmer.stem(word));
            tokens.push(Token {
                surface: std::mem::take(word),
                folded,
                stem,
                clause: *clause,
            });
        }
        word.clear();
    };
    for c in lower.chars() {
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut clause, &mut tokens);
            if matches!(
                c,
                '.' | ',' | ';' | ':' | '!' | '?' | '(' | ')' | '\n' | '¡' | '¿'
            ) {
                clause += 1;
            }
        }
    }
    flush(&mut word, &mut clause, &mut tokens);
    tokens
}

/// Creates the Snowball stemmer of `lang` (Porter's Snowball algorithms, via
/// `rust-stemmers`).
pub(crate) fn stemmer(lang: Language) -> Stemmer {
    Stemmer::create(lang.algorithm())
}

/// Negation cues (folded tokens) of `lang`.
///
/// English: not (also from n't), no, never, without, nobody, nothing, none, nor, neither,
/// hardly. Spanish: no, nunca, sin, nadie, nada, ni, jamás, tampoco. Portuguese: não,
/// nunca, sem, ninguém, nada, nem, jamais. Finnish: the negation verb (en, et, ei, emme,
/// ette, eivät, eikä), ilman. German: nicht, kein…, nie, niemals, ohne, niemand, nichts,
/// weder. French: ne/n', pas, jamais, sans, aucun(e), personne, rien, ni.
pub(crate) fn is_negation_cue(lang: Language, folded: &str) -> bool {
    let cues: &[&str] = match lang {
        Language::En => &[
            "not", "no", "never", "without", "nobody", "nothing", "none", "nor", "neither",
            "hardly", "cannot",
        ],
        Language::Es => &[
            "no", "nunca", "sin", "nadie", "nada", "ni", "jamas", "tampoco", "ningun", "ninguna",
            "ninguno",
        ],
        Language::Pt => &[
            "nao", "nunca", "sem", "ninguem", "nada", "nem", "jamais", "nenhum", "nenhuma",
        ],
        Language::Fi => &[
            "en", "et", "ei", "emme", "ette", "eivat", "eika", "enka", "etka", "ilman", "eiko",
            "eivatka",
        ],
        Language::De => &[
            "nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals",
            "ohne", "niemand", "nichts", "weder", "nirgends",
        ],
        Language::Fr => &[
            "ne", "n", "pas", "jamais", "sans", "aucun", "aucune", "personne", "rien", "ni", "nul",
            "nulle",
        ],
    };
    cues.contains(&folded)
}

/// Whether `folded` is one of the frequent function words of `lang` (never fuzzy-matched).
pub(crate) fn is_stop_word(lang: Language, folded: &str) -> bool {
    stop_words(lang).contains(&folded) || extra_stop_words(lang).contains(&folded)
}

/// Articles and intensifiers that do not count in the negation window (folded).
pub(crate) fn is_filler(lang: Language, folded: &str) -> bool {
    let words: &[&str] = match lang {
        Language::En => &[
            "a", "an", "the", "at", "all", "very", "really", "so", "too", "any", "even",
        ],
        Language::Es => &[
            "un", "una", "el", "la", "los", "las", "muy", "tan", "nada", "para", "nunca",
        ],
        Language::Pt => &[
            "um", "uma", "o", "a", "os", "as", "muito", "tao", "nada", "nunca",
        ],
        Language::Fi => &[
            "yhtaan",
            "kovin",
            "mikaan",
            "niin",
            "edes",
            "ollut",
            "olleet",
            "ole",
            "kovinkaan",
        ],
        Language::De => &[
            "uberhaupt",
            "sehr",
            "so",
            "ein",
            "eine",
            "einen",
            "der",
            "die",
            "das",
            "wirklich",
            "gar",
        ],
        Language::Fr => &[
            "du", "tout", "un", "une", "le", "la", "les", "tres", "vraiment", "si", "jamais",
        ],
    };
    words.contains(&folded)
}

/// Whether the cue `folded` also negates backwards in `lang` (German `nicht`, `nie`,
/// `niemals` after the finite verb).
pub(crate) fn negates_backwards(lang: Language, folded: &str) -> bool {
    lang == Language::De && matches!(folded, "nicht" | "nie" | "niemals")
}

/// Frequent words that are close to lexicon words but never mean a reason (folded).
fn extra_stop_words(lang: Language) -> &'static [&'static str] {
    match lang {
        Language::En => &[
            "where", "there", "their", "would", "could", "should", "these",
        ],
        Language::Es => &["donde", "estaba", "estaban", "tenia", "cuando"],
        Language::Pt => &["estava", "estavam", "tinha", "quando", "onde"],
        Language::Fi => &["olivat", "olisi", "kanssa", "siella", "taalla", "paasta"],
        Language::De => &[
            "waren", "ware", "warst", "werden", "haben", "hatte", "hatten", "einen",
        ],
        Language::Fr => &["etaient", "avaient", "quand", "comme", "cette"],
    }
}

/// Frequent function words per language (folded), for [`detect_language`].
fn stop_words(lang: Language) -> &'static [&'static str] {
    match lang {
        Language::En => &[
            "the", "and", "is", "was", "were", "to", "of", "it", "i", "my", "too", "not", "they",
            "with", "for", "you", "your", "at", "this", "that", "very", "have", "had", "me", "we",
            "are", "on", "always", "never", "staff", "service", "price", "after", "nobody", "so",
            "just", "did", "didn", "be", "there", "but",
        ],
        Language::Es => &[
            "el",
            "la",
            "los",
            "las",
            "es",
            "muy",
            "y",
            "que",
            "de",
            "del",
            "por",
            "para",
            "con",
            "una",
            "un",
            "se",
            "lo",
            "mi",
            "me",
            "pero",
            "nunca",
            "nadie",
            "fue",
            "son",
            "esta",
            "precio",
            "servicio",
            "demasiado",
            "siempre",
            "porque",
            "hay",
            "mas",
            "sin",
            "al",
            "tienda",
            "muy",
            "caro",
            "todo",
            "ya",
            "otra",
        ],
        Language::Pt => &[
            "o",
            "a",
            "os",
            "as",
            "e",
            "muito",
            "que",
            "de",
            "do",
            "da",
            "dos",
            "das",
            "por",
            "para",
            "com",
            "uma",
            "um",
            "se",
            "nao",
            "meu",
            "minha",
            "mas",
            "nunca",
            "ninguem",
            "foi",
            "sao",
            "esta",
            "preco",
            "atendimento",
            "sempre",
            "porque",
            "tem",
            "mais",
            "sem",
            "ao",
            "loja",
            "caro",
            "voces",
            "outra",
            "ja",
        ],
        Language::Fi => &[
            "ja",
            "on",
            "ei",
            "oli",
            "liian",
            "hyva",
            "mutta",
            "etta",
            "se",
            "en",
            "kun",
            "niin",
            "myos",
            "aina",
            "koskaan",
            "mita",
            "ole",
            "olla",
            "ovat",
            "kuin",
            "vain",
            "jo",
            "hinta",
            "palvelu",
            "henkilokunta",
            "todella",
            "tosi",
            "kanssa",
            "mina",
            "meille",
            "te",
            "siis",
            "nyt",
            "kaikki",
            "viela",
            "sain",
            "tuli",
            "eika",
            "sita",
            "paljon",
        ],
        Language::De => &[
            "der", "die", "das", "und", "ist", "war", "nicht", "zu", "mit", "ich", "sehr", "ein",
            "eine", "es", "auf", "fur", "den", "dem", "immer", "nie", "kein", "keine", "aber",
            "wurde", "hat", "habe", "auch", "von", "sind", "mir", "mehr", "bei", "zum", "preis",
            "personal", "wieder", "dass", "schon", "einfach", "nur",
        ],
        Language::Fr => &[
            "le", "la", "les", "et", "est", "tres", "pas", "de", "des", "du", "que", "qui", "pour",
            "avec", "une", "un", "je", "mon", "ma", "mes", "mais", "jamais", "personne", "etait",
            "sont", "trop", "toujours", "parce", "il", "y", "a", "ai", "plus", "sans", "au",
            "vous", "prix", "service", "ne", "ce", "cher",
        ],
    }
}

/// Letters that occur in one or two of the languages only (folded forms are not used
/// here): each occurrence adds to those languages' scores.
fn letter_hint(c: char) -> &'static [Language] {
    match c {
        'ñ' | '¿' | '¡' => &[Language::Es],
        'ã' | 'õ' => &[Language::Pt],
        'ç' => &[Language::Pt, Language::Fr],
        'ß' | 'ü' => &[Language::De],
        'ä' | 'ö' => &[Language::Fi, Language::De],
        'è' | 'ê' | 'à' | 'ù' | 'ë' | 'î' | 'œ' => &[Language::Fr],
        'á' | 'í' | 'ó' | 'ú' => &[Language::Es, Language::Pt],
        _ => &[],
    }
}

/// Per-language evidence of `text`: stop words (1 each), distinctive letters (0.5 each),
/// Finnish double vowels `aa`, `ee`, `ii`, `uu`, `yy`, `ää` (0.25 each).
pub(crate) fn language_scores(text: &str) -> [f64; 6] {
    let mut scores = [0.0; 6];
    let lower = text.to_lowercase();
    for c in lower.chars() {
        for l in letter_hint(c) {
            scores[l.index()] += 0.5;
        }
    }
    for word in lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let f = fold(word);
        for l in Language::ALL {
            if stop_words(l).contains(&f.as_str()) {
                scores[l.index()] += 1.0;
            }
        }
        for dv in ["aa", "ee", "ii", "uu", "yy", "ää", "öö"] {
            if word.contains(dv) {
                scores[Language::Fi.index()] += 0.25;
            }
        }
    }
    scores
}

/// The most likely of the six languages of `text`, from stop-word counts and distinctive
/// letters (see `language_scores` in the source); `None` when there is no evidence or
/// two languages tie.
///
/// Short answers without function words ("Liian kallis.") often give `None`; the
/// [`Classifier`](super::Classifier) then also counts lexicon matches.
pub fn detect_language(text: &str) -> Option<Language> {
    best(&language_scores(text))
}

/// The language with the highest positive score, `None` on ties or no evidence.
pub(crate) fn best(scores: &[f64; 6]) -> Option<Language> {
    let mut order: Vec<usize> = (0..6).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (first, second) = (scores[order[0]], scores[order[1]]);
    (first > 0.0 && first > second).then(|| Language::ALL[order[0]])
}
