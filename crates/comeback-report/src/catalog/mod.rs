//! The message catalogue: one table of `(key, text)` per language.
//!
//! Texts are plain (no markup; the template escapes them) and may hold `{name}`
//! placeholders, which every translation must keep. English is the reference: a unit
//! test fails if a key is missing in a language, unknown in English, or identical to
//! English outside a short allow-list.

mod de;
mod en;
mod es;
mod fi;
mod fr;
mod pt;

use crate::Lang;

/// All messages of `lang`.
pub fn messages(lang: Lang) -> &'static [(&'static str, &'static str)] {
    match lang {
        Lang::En => en::MESSAGES,
        Lang::Es => es::MESSAGES,
        Lang::Pt => pt::MESSAGES,
        Lang::Fi => fi::MESSAGES,
        Lang::De => de::MESSAGES,
        Lang::Fr => fr::MESSAGES,
    }
}

/// Every message key → its text in `lang`, English where `lang` lacks a key (the table a
/// page template reads as `t`).
pub(crate) fn table(lang: Lang) -> std::collections::BTreeMap<&'static str, &'static str> {
    let mut t: std::collections::BTreeMap<_, _> = messages(Lang::En).iter().copied().collect();
    t.extend(messages(lang).iter().copied());
    t
}
