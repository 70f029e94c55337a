//! The dashboard's message catalogue: per language, per page, `(key, text)`.
//!
//! A page template sees the texts of its own page and of `layout` as `t` (`{{ t.title }}`).
//! Texts are plain (the templates escape them) and may hold `{name}` placeholders that
//! every translation keeps; templates fill them with minijinja's `replace` filter.
//! English is the reference; the tests below fail when a language lacks a page or key,
//! has one English lacks, drops a placeholder, or when a template reads a key its page
//! does not have.
//!
//! Names of RFM segments, lifecycle stages and units come from the report's catalogue
//! (`comeback_report::Lang::message`), so the dashboard and the report say the same.

mod complaints;
mod de;
mod en;
mod es;
mod fi;
mod fr;
mod mail;
mod people;
mod pt;
mod survey_triggers;
mod surveys;

use std::collections::BTreeMap;

use comeback_report::Lang;

/// The pages that have messages (besides `layout`, which every page gets).
pub const PAGES: [&str; 25] = [
    "overview",
    "model",
    "customers",
    "customer",
    "lists",
    "error",
    "upload",
    "webhooks",
    "objectives",
    "retention",
    "status",
    "survey",
    "surveys",
    "complain",
    "complaint_status",
    "complaints",
    "complaint",
    "complaint_measures",
    "cohorts",
    "report_cards",
    "flag",
    "users",
    "survey_triggers",
    "mail",
    "digest",
];

fn pages(lang: Lang) -> &'static [(&'static str, &'static [(&'static str, &'static str)])] {
    match lang {
        Lang::En => en::PAGES,
        Lang::Es => es::PAGES,
        Lang::Pt => pt::PAGES,
        Lang::Fi => fi::PAGES,
        Lang::De => de::PAGES,
        Lang::Fr => fr::PAGES,
    }
}

/// The survey pages' messages of `lang` (in `surveys.rs`).
fn survey_pages(lang: Lang) -> &'static [(&'static str, &'static [(&'static str, &'static str)])] {
    match lang {
        Lang::En => surveys::EN,
        Lang::Es => surveys::ES,
        Lang::Pt => surveys::PT,
        Lang::Fi => surveys::FI,
        Lang::De => surveys::DE,
        Lang::Fr => surveys::FR,
    }
}

/// The triggers page's messages of `lang` (in `survey_triggers.rs`).
fn trigger_pages(lang: Lang) -> &'static [(&'static str, &'static [(&'static str, &'static str)])] {
    match lang {
        Lang::En => survey_triggers::EN,
        Lang::Es => survey_triggers::ES,
        Lang::Pt => survey_triggers::PT,
        Lang::Fi => survey_triggers::FI,
        Lang::De => survey_triggers::DE,
        Lang::Fr => survey_triggers::FR,
    }
}

/// The messages of `page` in `lang` (empty for an unknown page).
pub fn page_messages(lang: Lang, page: &str) -> &'static [(&'static str, &'static str)] {
    pages(lang)
        .iter()
        .chain(survey_pages(lang))
        .chain(trigger_pages(lang))
        .chain(complaints::pages(lang))
        .chain(complaints::staff_pages(lang))
        .chain(people::pages(lang))
        .chain(mail::pages(lang))
        .find(|(p, _)| *p == page)
        .map_or(&[], |(_, m)| m)
}

/// The table a template of `page` reads as `t`: `layout`'s messages and the page's (the
/// page's win on a shared key), each with the keys later features add to it
/// (`people::extra`).
pub fn table(lang: Lang, page: &str) -> BTreeMap<&'static str, &'static str> {
    let mut t: BTreeMap<_, _> = page_messages(lang, "layout").iter().copied().collect();
    t.extend(people::extra(lang, "layout").iter().copied());
    t.extend(page_messages(lang, page).iter().copied());
    t.extend(people::extra(lang, page).iter().copied());
    t
}

/// One message of `page` in `lang`, `{name}` placeholders filled from `args`; the key
/// itself when missing (the tests make that impossible).
pub fn message(lang: Lang, page: &str, key: &str, args: &[(&str, &str)]) -> String {
    let text = page_messages(lang, page)
        .iter()
        .chain(people::extra(lang, page))
        .chain(page_messages(lang, "layout"))
        .chain(people::extra(lang, "layout"))
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, v)| *v);
    let mut out = text.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The CLDR plural category of a whole count `n` in `lang` (Unicode CLDR plural rules for
/// cardinals, integers only): `"one"` or `"other"`. French puts 0 and 1 in `one`
/// ("0 client ignoré", "1 client ignoré"); English, Spanish, Portuguese (European, the
/// catalogue's), Finnish and German only 1.
pub fn plural_category(lang: Lang, n: u64) -> &'static str {
    let one = match lang {
        Lang::Fr => n <= 1,
        Lang::En | Lang::Es | Lang::Pt | Lang::Fi | Lang::De => n == 1,
    };
    if one { "one" } else { "other" }
}

/// A message about a count `n`: the key `{key}_one` or `{key}_other` of `page` in `lang`
/// as [`plural_category`] says, placeholders filled from `args` (which usually hold the
/// formatted count). Every counted message has both keys in every language (tested).
pub fn plural(lang: Lang, page: &str, key: &str, n: u64, args: &[(&str, &str)]) -> String {
    message(
        lang,
        page,
        &format!("{key}_{}", plural_category(lang, n)),
        args,
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn placeholders(s: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut rest = s;
        while let Some(i) = rest.find('{') {
            match rest[i..].find('}') {
                Some(j) => {
                    out.insert(rest[i + 1..i + j].to_owned());
                    rest = &rest[i + j + 1..];
                }
                None => break,
            }
        }
        out
    }

    #[test]
    fn every_language_has_every_page_and_key_with_the_same_placeholders() {
        let mut problems = Vec::new();
        for lang in Lang::ALL {
            for page in std::iter::once("layout").chain(PAGES) {
                let en: BTreeMap<_, _> = page_messages(Lang::En, page).iter().copied().collect();
                let other: BTreeMap<_, _> = page_messages(lang, page).iter().copied().collect();
                assert!(!en.is_empty(), "page {page} has no English messages");
                if other.len() != page_messages(lang, page).len() {
                    problems.push(format!("{lang}/{page}: a key appears twice"));
                }
                for (k, v) in &en {
                    match other.get(k) {
                        None => problems.push(format!("{lang}/{page}: missing key {k}")),
                        Some(o) if placeholders(o) != placeholders(v) => {
                            problems.push(format!("{lang}/{page}/{k}: placeholders differ"));
                        }
                        Some(o) if o.trim().is_empty() => {
                            problems.push(format!("{lang}/{page}/{k}: empty"));
                        }
                        Some(_) => {}
                    }
                }
                for k in other.keys() {
                    if !en.contains_key(k) {
                        problems.push(format!("{lang}/{page}: key {k} unknown in English"));
                    }
                }
            }
            for (page, _) in pages(lang)
                .iter()
                .chain(complaints::pages(lang))
                .chain(complaints::staff_pages(lang))
                .chain(people::pages(lang))
                .chain(mail::pages(lang))
            {
                if *page != "layout" && !PAGES.contains(page) {
                    problems.push(format!("{lang}: unknown page {page}"));
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    /// Texts that are the same as English in some language on purpose (abbreviations,
    /// names, words shared by the languages).
    const SAME_AS_ENGLISH: &[&str] = &[
        "aic",
        "bic",
        "col_clv",
        "col_segment",
        "col_parameter",
        "col_model",
        "col_date",
        "col_channel",
        "title",
        "nav_model",
        "nav_customers",
        "customers",
        "axis_customers",
        "col_id",
        "scores",
        "col_name",
        "name",
        "no",
        "email",
        "series_model",
        "footer",
        "chart_stages",
        "col_stage",
        "segment",
        "col_message",
        // "Webhooks" is the word in es, pt, de and fr; URL everywhere; "Error" (es) and
        // "Description" (fr) are spelt as in English.
        "nav_webhooks",
        "col_url",
        "col_error",
        "col_description",
        // NPS is NPS everywhere; French "points", German "Status" are the English words.
        "metric_nps",
        "unit_points",
        "col_status",
        // "Status" (de) and "Phase" (de, fr) are the English words.
        "nav_status",
        "col_phase",
        // Survey pages: the name of the score, "excellent" (en, fr), the file format.
        "h_nps",
        "kind_nps",
        "high_default",
        "links_csv",
        // Subscription metrics keep their English abbreviations; α and β are symbols.
        "col_mrr",
        "col_nrr",
        "col_grr",
        "sbg_alpha",
        "sbg_beta",
        // Report cards: "Empathie" (de, fr), "Assurance" (fr) as in English or French.
        "c_empathy",
        "c_assurance",
        // Retention's Cox model: "Factor", "detractor" (es), "Coefficient", "NPS … (vs …)"
        // (fr) are the same words.
        "col_covariate",
        "col_coefficient",
        "nps_detractor",
        "cox_nps",
        // Survey metrics: CSAT and AUC are abbreviations everywhere; in French
        // "Satisfaction (CSAT, 1–5)", "Effort (CES, 1–7)", "Assurance", "Verdict",
        // "acceptable" and "excellent" are the English words.
        "col_csat",
        "col_auc",
        "metric_csat",
        "metric_ces",
        "metric_assurance",
        "col_verdict",
        "strength_acceptable",
        "strength_excellent",
    ];

    #[test]
    fn other_languages_are_translated() {
        let mut same = Vec::new();
        for lang in Lang::ALL.into_iter().skip(1) {
            for page in std::iter::once("layout").chain(PAGES) {
                for (k, v) in page_messages(Lang::En, page) {
                    let o = message(lang, page, k, &[]);
                    if o == *v && !SAME_AS_ENGLISH.contains(k) {
                        same.push(format!("{lang}/{page}/{k}: {v}"));
                    }
                }
            }
        }
        assert!(same.is_empty(), "untranslated: {same:#?}");
    }

    #[test]
    fn counted_messages_have_both_forms_and_no_bracketed_plurals() {
        let mut problems = Vec::new();
        for lang in Lang::ALL {
            for page in std::iter::once("layout").chain(PAGES) {
                let m: BTreeMap<_, _> = page_messages(lang, page).iter().copied().collect();
                for k in m.keys() {
                    for (this, twin) in [("_one", "_other"), ("_other", "_one")] {
                        // The cohorts page picks its singular heading itself.
                        if let Some(stem) = k.strip_suffix(this)
                            && *k != "cohort_heading_one"
                            && !m.contains_key(format!("{stem}{twin}").as_str())
                        {
                            problems.push(format!("{lang}/{page}/{k}: no {stem}{twin}"));
                        }
                    }
                }
                // "complaint(s)", "Beschwerde(n)", "reclamação(ões)": a count chooses the
                // form instead.
                if [
                    "surveys",
                    "complaints",
                    "complaint",
                    "complaint_measures",
                    "complain",
                    "survey",
                    "report_cards",
                ]
                .contains(&page)
                {
                    for (k, v) in &m {
                        // A bracket right after a letter; "Answers (n)" names the sample size.
                        let bracketed = ["(s)", "(n)", "(es)", "(ões)", "(e)"].iter().any(|p| {
                            v.match_indices(p).any(|(i, _)| {
                                v[..i].chars().last().is_some_and(char::is_alphabetic)
                            })
                        });
                        if bracketed {
                            problems.push(format!("{lang}/{page}/{k}: bracketed plural in {v:?}"));
                        }
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn plural_forms_follow_each_languages_rule() {
        let skipped = |lang, n: u64| {
            plural(
                lang,
                "surveys",
                "skipped",
                n,
                &[("n", &comeback_report::format::count(n, lang))],
            )
        };
        assert_eq!(skipped(Lang::En, 1), "1 customer skipped");
        assert_eq!(skipped(Lang::En, 0), "0 customers skipped");
        assert_eq!(skipped(Lang::En, 2), "2 customers skipped");
        assert_eq!(skipped(Lang::Fi, 1), "1 asiakas ohitettu");
        assert_eq!(skipped(Lang::Fi, 3), "3 asiakasta ohitettu");
        assert_eq!(skipped(Lang::De, 1), "1 Kunde übersprungen");
        assert_eq!(skipped(Lang::De, 2), "2 Kunden übersprungen");
        assert_eq!(skipped(Lang::Es, 1), "1 cliente omitido");
        assert_eq!(skipped(Lang::Es, 2), "2 clientes omitidos");
        assert_eq!(skipped(Lang::Pt, 1), "1 cliente ignorado");
        assert_eq!(skipped(Lang::Pt, 0), "0 clientes ignorados");
        // French: 0 and 1 are singular.
        assert_eq!(skipped(Lang::Fr, 0), "0 client ignoré");
        assert_eq!(skipped(Lang::Fr, 1), "1 client ignoré");
        assert_eq!(skipped(Lang::Fr, 2), "2 clients ignorés");
        for lang in Lang::ALL {
            assert_eq!(plural_category(lang, 1), "one");
            assert_eq!(plural_category(lang, 5), "other");
        }
    }

    #[test]
    fn message_fills_placeholders() {
        assert_eq!(
            message(
                Lang::De,
                "lists",
                "shown",
                &[("shown", "3"), ("total", "10")]
            ),
            "Die ersten 3 von 10 Kunden werden gezeigt."
        );
        assert_eq!(message(Lang::En, "customer", "nope", &[]), "nope");
        // Layout keys are found from any page.
        assert_eq!(message(Lang::Fi, "model", "logout", &[]), "Kirjaudu ulos");
    }
}
