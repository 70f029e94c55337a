//! Report languages and the message catalogue lookup.

use crate::catalog;
use std::fmt;
use std::str::FromStr;

/// A language of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Spanish.
    Es,
    /// Portuguese.
    Pt,
    /// Finnish.
    Fi,
    /// German.
    De,
    /// French.
    Fr,
}

impl Lang {
    /// All languages, English first.
    pub const ALL: [Lang; 6] = [Lang::En, Lang::Es, Lang::Pt, Lang::Fi, Lang::De, Lang::Fr];

    /// The ISO 639-1 code (`en`, `es`, `pt`, `fi`, `de`, `fr`), as in the `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Pt => "pt",
            Lang::Fi => "fi",
            Lang::De => "de",
            Lang::Fr => "fr",
        }
    }

    /// The message for `key` in this language, falling back to English, then to the key
    /// itself (never panics; the catalogue test makes the fallbacks unnecessary).
    pub fn message(self, key: &str) -> &str {
        lookup(catalog::messages(self), key)
            .or_else(|| lookup(catalog::messages(Lang::En), key))
            .unwrap_or(key)
    }

    /// The message for `key` with `{name}` placeholders replaced by `args` values.
    /// Unknown placeholders stay as they are.
    pub fn format(self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.message(key), args)
    }
}

fn lookup(table: &'static [(&'static str, &'static str)], key: &str) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// Replaces `{name}` in `template` by the matching value of `args`.
pub(crate) fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match args.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A language code that is not one of `en`, `es`, `pt`, `fi`, `de`, `fr`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language '{0}' (expected en, es, pt, fi, de or fr)")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    /// Parses a language code, ignoring case and surrounding spaces.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let code = s.trim().to_ascii_lowercase();
        Lang::ALL
            .into_iter()
            .find(|l| l.code() == code)
            .ok_or_else(|| UnknownLang(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Texts that are genuinely the same as in English: (key, languages).
    const SAME_AS_ENGLISH: &[(&str, &[&str])] = &[
        // Abbreviations used as such in all six languages.
        ("col_bic", &["es", "pt", "fi", "de", "fr"]),
        ("term_bic", &["es", "pt", "fi", "de", "fr"]),
        ("col_clv", &["es", "pt", "fi", "de", "fr"]),
        // Only placeholders and the statistical symbol n.
        ("cohort_row", &["es", "pt", "fi", "de", "fr"]),
        // The same word in German and French.
        ("col_segment", &["de", "fr"]),
        ("col_parameter", &["de"]),
        ("run_flags", &["fr"]),
    ];

    fn allowed_same(key: &str, lang: Lang) -> bool {
        SAME_AS_ENGLISH
            .iter()
            .any(|(k, langs)| *k == key && langs.contains(&lang.code()))
    }

    fn placeholders(s: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut rest = s;
        while let Some(i) = rest.find('{') {
            let after = &rest[i + 1..];
            let Some(j) = after.find('}') else { break };
            out.insert(after[..j].to_string());
            rest = &after[j + 1..];
        }
        out
    }

    #[test]
    fn parses_codes() {
        assert_eq!("fi".parse::<Lang>(), Ok(Lang::Fi));
        assert_eq!(" DE ".parse::<Lang>(), Ok(Lang::De));
        let err = "xx".parse::<Lang>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown language 'xx' (expected en, es, pt, fi, de or fr)"
        );
        for l in Lang::ALL {
            assert_eq!(l.code().parse::<Lang>(), Ok(l));
            assert_eq!(l.to_string(), l.code());
        }
    }

    #[test]
    fn catalogue_is_complete_and_translated() {
        let en = catalog::messages(Lang::En);
        let en_keys: BTreeSet<&str> = en.iter().map(|(k, _)| *k).collect();
        assert_eq!(en_keys.len(), en.len(), "duplicate keys in English");
        let mut problems = Vec::new();
        for lang in Lang::ALL.into_iter().skip(1) {
            let table = catalog::messages(lang);
            let keys: BTreeSet<&str> = table.iter().map(|(k, _)| *k).collect();
            if keys.len() != table.len() {
                problems.push(format!("{lang}: duplicate keys"));
            }
            for k in en_keys.difference(&keys) {
                problems.push(format!("{lang}: missing key {k}"));
            }
            for k in keys.difference(&en_keys) {
                problems.push(format!("{lang}: key {k} not in English"));
            }
            for (k, v) in table {
                let english = lookup(en, k).unwrap_or_default();
                if v.contains('<') || v.contains('>') {
                    problems.push(format!("{lang}: {k} contains markup"));
                }
                if v.trim().is_empty() {
                    problems.push(format!("{lang}: {k} is empty"));
                }
                if *v == english && !allowed_same(k, lang) {
                    problems.push(format!("{lang}: {k} is identical to English: {v:?}"));
                }
                if placeholders(v) != placeholders(english) {
                    problems.push(format!("{lang}: {k} placeholders differ from English"));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn catalogue_has_segment_and_stage_names() {
        for lang in Lang::ALL {
            for k in crate::RFM_SEGMENT_KEYS {
                let key = format!("segment_{k}");
                assert!(
                    lookup(catalog::messages(lang), &key).is_some(),
                    "{lang} {key}"
                );
            }
            for k in crate::LIFECYCLE_KEYS {
                let key = format!("stage_{k}");
                assert!(
                    lookup(catalog::messages(lang), &key).is_some(),
                    "{lang} {key}"
                );
            }
        }
    }

    #[test]
    fn fill_replaces_known_placeholders_only() {
        assert_eq!(fill("a {x} b {y} {", &[("x", "1")]), "a 1 b {y} {");
        assert_eq!(Lang::En.message("no-such-key"), "no-such-key");
    }
}
