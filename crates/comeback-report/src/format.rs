//! Locale-aware number, money, percentage and date formatting.
//!
//! Hand-written for the six supported languages (a CLDR crate would be far heavier than
//! these few rules). Non-finite numbers and numbers beyond ±10¹⁵ become "—".

use crate::Lang;
use comeback_core::Day;

/// What is shown for a missing, non-finite or absurd number.
pub const MISSING: &str = "—";

/// Largest magnitude shown as a number.
pub const LIMIT: f64 = 1e15;

const NBSP: char = '\u{a0}';
const NNBSP: char = '\u{202f}';

/// True if `x` can be shown and charted.
pub fn usable(x: f64) -> bool {
    x.is_finite() && x.abs() <= LIMIT
}

struct Seps {
    group: char,
    decimal: char,
    /// Group only numbers with at least this many integer digits (Spanish: 5).
    min_group_digits: usize,
}

fn seps(lang: Lang) -> Seps {
    match lang {
        Lang::En => Seps {
            group: ',',
            decimal: '.',
            min_group_digits: 4,
        },
        Lang::Es => Seps {
            group: '.',
            decimal: ',',
            min_group_digits: 5,
        },
        Lang::Pt | Lang::De => Seps {
            group: '.',
            decimal: ',',
            min_group_digits: 4,
        },
        Lang::Fi => Seps {
            group: NBSP,
            decimal: ',',
            min_group_digits: 4,
        },
        Lang::Fr => Seps {
            group: NNBSP,
            decimal: ',',
            min_group_digits: 4,
        },
    }
}

/// `x` with `decimals` decimal places, grouped thousands and the locale's separators;
/// negative numbers with a real minus sign.
pub fn number(x: f64, decimals: usize, lang: Lang) -> String {
    if !usable(x) {
        return MISSING.to_string();
    }
    let decimals = decimals.min(6);
    // Round half away from zero (1,234.5 → 1,235), as people expect; `format!` alone
    // rounds ties to even.
    let scale = 10f64.powi(decimals as i32);
    let s = format!("{:.*}", decimals, (x.abs() * scale).round() / scale);
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s.as_str(), ""),
    };
    let sep = seps(lang);
    let mut out = String::new();
    // "-0.00" must not show a minus sign.
    if x < 0.0 && s.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.push('\u{2212}');
    }
    if int.len() >= sep.min_group_digits {
        for (i, ch) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(sep.group);
            }
            out.push(ch);
        }
    } else {
        out.push_str(int);
    }
    if !frac.is_empty() {
        out.push(sep.decimal);
        out.push_str(frac);
    }
    out
}

/// A count (integer).
pub fn count(n: u64, lang: Lang) -> String {
    if n as f64 > LIMIT {
        return MISSING.to_string();
    }
    number(n as f64, 0, lang)
}

/// A real number with as many decimals as are useful for reading: none for whole
/// numbers and from 100 up, 1 from 10 up, 2 below (parameters use [`sig`]).
pub fn auto(x: f64, lang: Lang) -> String {
    let a = x.abs();
    let d = if a >= 100.0 || (x - x.round()).abs() < 1e-9 {
        0
    } else if a >= 10.0 {
        1
    } else {
        2
    };
    number(x, d, lang)
}

/// A number with about `digits` significant digits (for model parameters, LL, BIC).
pub fn sig(x: f64, digits: usize, lang: Lang) -> String {
    if !usable(x) {
        return MISSING.to_string();
    }
    if x == 0.0 {
        return number(0.0, 0, lang);
    }
    let mag = x.abs().log10().floor() as i64;
    let decimals = (digits as i64 - 1 - mag).clamp(0, 6) as usize;
    number(x, decimals, lang)
}

fn currency_symbol(code: &str) -> Option<&'static str> {
    Some(match code.to_ascii_uppercase().as_str() {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "BRL" => "R$",
        "JPY" => "¥",
        _ => return None,
    })
}

/// An amount of money in `currency`: 0 decimals from 100 up, else 2. English puts the
/// symbol first (`$1,234`), Portuguese too with a space (`R$ 1.234`), the other languages
/// after the number (`1.234 €`). Unknown codes are written out (`1.234 CHF`).
pub fn money(x: f64, currency: &str, lang: Lang) -> String {
    if !usable(x) {
        return MISSING.to_string();
    }
    let decimals = if x.abs() >= 100.0 { 0 } else { 2 };
    let n = number(x, decimals, lang);
    let code: String = currency
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(8)
        .collect();
    match (currency_symbol(&code), lang) {
        (Some(sym), Lang::En) => match n.strip_prefix('\u{2212}') {
            Some(rest) => format!("\u{2212}{sym}{rest}"),
            None => format!("{sym}{n}"),
        },
        (Some(sym), Lang::Pt) => format!("{sym}{NBSP}{n}"),
        (Some(sym), _) => format!("{n}{NBSP}{sym}"),
        (None, _) if code.is_empty() => n,
        (None, _) => format!("{n}{NBSP}{code}"),
    }
}

/// A share (0.123) as a percentage with `decimals` decimals (`12.3%`, `12,3 %`).
pub fn percent(share: f64, decimals: usize, lang: Lang) -> String {
    if !usable(share) || !usable(share * 100.0) {
        return MISSING.to_string();
    }
    let n = number(share * 100.0, decimals, lang);
    match lang {
        Lang::En | Lang::Pt => format!("{n}%"),
        Lang::Fr => format!("{n}{NNBSP}%"),
        Lang::Es | Lang::De | Lang::Fi => format!("{n}{NBSP}%"),
    }
}

/// A share as a percentage without decimals when whole (`10%`), else with one (`12.5%`).
pub fn percent_auto(share: f64, lang: Lang) -> String {
    let p = share * 100.0;
    let d = if (p - p.round()).abs() < 1e-9 { 0 } else { 1 };
    percent(share, d, lang)
}

/// Percentage points (`+5 points` is built by the catalogue; this is the number).
pub fn points(p: f64, lang: Lang) -> String {
    let d = if (p - p.round()).abs() < 1e-9 { 0 } else { 1 };
    number(p, d, lang)
}

const MONTHS: [[&str; 12]; 6] = [
    [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    [
        "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
    ],
    [
        "jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez",
    ],
    [
        "tammi", "helmi", "maalis", "huhti", "touko", "kesä", "heinä", "elo", "syys", "loka",
        "marras", "joulu",
    ],
    [
        "Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez",
    ],
    [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ],
];

fn lang_index(lang: Lang) -> usize {
    match lang {
        Lang::En => 0,
        Lang::Es => 1,
        Lang::Pt => 2,
        Lang::Fi => 3,
        Lang::De => 4,
        Lang::Fr => 5,
    }
}

/// A month of a year, abbreviated (`Jan 1997`, `ene 1997`, `tammi 1997`).
pub fn month(year: i32, month: u32, lang: Lang) -> String {
    if !(1..=12).contains(&month) {
        return format!("{year}-{month:02}");
    }
    let name = MONTHS[lang_index(lang)][month as usize - 1];
    format!("{name}{NBSP}{year}")
}

/// A calendar day in the locale's short numeric form (`Jun 30, 1998` in English,
/// `30/06/1998`, `30.6.1998`, `30.06.1998` elsewhere).
pub fn date(day: Day, lang: Lang) -> String {
    let Some(d) = day.date() else {
        return MISSING.to_string();
    };
    let s = d.to_string(); // YYYY-MM-DD (or ±YYYYY-MM-DD)
    let mut parts = s.rsplitn(3, '-');
    let (Some(dd), Some(mm), Some(yyyy)) = (parts.next(), parts.next(), parts.next()) else {
        return s;
    };
    let (Ok(di), Ok(mi)) = (dd.parse::<u32>(), mm.parse::<u32>()) else {
        return s;
    };
    match lang {
        Lang::En => {
            let m = MONTHS[0][(mi as usize).clamp(1, 12) - 1];
            format!("{m}{NBSP}{di}, {yyyy}")
        }
        Lang::Es | Lang::Pt | Lang::Fr => format!("{dd}/{mm}/{yyyy}"),
        Lang::Fi => format!("{di}.{mi}.{yyyy}"),
        Lang::De => format!("{dd}.{mm}.{yyyy}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_per_locale() {
        assert_eq!(number(1234567.891, 2, Lang::En), "1,234,567.89");
        assert_eq!(number(1234567.891, 2, Lang::De), "1.234.567,89");
        assert_eq!(number(1234567.891, 2, Lang::Pt), "1.234.567,89");
        assert_eq!(number(1234567.891, 2, Lang::Fi), "1\u{a0}234\u{a0}567,89");
        assert_eq!(
            number(1234567.891, 2, Lang::Fr),
            "1\u{202f}234\u{202f}567,89"
        );
        assert_eq!(number(1234.0, 0, Lang::Es), "1234");
        assert_eq!(number(12345.0, 0, Lang::Es), "12.345");
        assert_eq!(number(-42000.0, 0, Lang::En), "\u{2212}42,000");
        assert_eq!(number(-0.001, 2, Lang::En), "0.00");
        assert_eq!(number(999.0, 0, Lang::En), "999");
        assert_eq!(number(1234.5, 0, Lang::En), "1,235");
        assert_eq!(number(0.125, 2, Lang::En), "0.13");
        assert_eq!(number(-2.5, 0, Lang::En), "\u{2212}3");
    }

    #[test]
    fn unusable_numbers_are_dashes() {
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300, -1e16] {
            for lang in Lang::ALL {
                assert_eq!(number(x, 2, lang), MISSING);
                assert_eq!(money(x, "USD", lang), MISSING);
                assert_eq!(percent(x, 1, lang), MISSING);
                assert_eq!(sig(x, 3, lang), MISSING);
            }
        }
        assert_eq!(count(u64::MAX, Lang::En), MISSING);
    }

    #[test]
    fn money_per_locale() {
        assert_eq!(money(42000.0, "USD", Lang::En), "$42,000");
        assert_eq!(money(-12.5, "USD", Lang::En), "\u{2212}$12.50");
        assert_eq!(money(42000.0, "EUR", Lang::De), "42.000\u{a0}€");
        assert_eq!(money(42000.0, "BRL", Lang::Pt), "R$\u{a0}42.000");
        assert_eq!(money(42000.0, "CHF", Lang::Fr), "42\u{202f}000\u{a0}CHF");
        assert_eq!(money(3.0, "<b>", Lang::En), "3.00\u{a0}b");
    }

    #[test]
    fn percent_and_dates() {
        assert_eq!(percent(0.2, 1, Lang::En), "20.0%");
        assert_eq!(percent(0.2, 1, Lang::De), "20,0\u{a0}%");
        assert_eq!(percent(0.2, 0, Lang::Fr), "20\u{202f}%");
        let d = Day::from_ymd(1998, 6, 30).unwrap();
        assert_eq!(date(d, Lang::En), "Jun\u{a0}30, 1998");
        assert_eq!(date(d, Lang::Fi), "30.6.1998");
        assert_eq!(date(d, Lang::De), "30.06.1998");
        assert_eq!(date(d, Lang::Es), "30/06/1998");
        assert_eq!(date(Day(i32::MAX), Lang::En), MISSING);
        assert_eq!(month(1997, 3, Lang::Fi), "maalis\u{a0}1997");
        assert_eq!(month(1997, 13, Lang::Fi), "1997-13");
    }

    #[test]
    fn significant_digits() {
        assert_eq!(sig(0.242_93, 3, Lang::En), "0.243");
        assert_eq!(sig(4.4136, 3, Lang::De), "4,41");
        assert_eq!(sig(-9582.43, 3, Lang::En), "\u{2212}9,582");
        assert_eq!(sig(0.0, 3, Lang::En), "0");
    }
}
