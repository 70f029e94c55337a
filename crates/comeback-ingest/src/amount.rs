//! Money amounts as written by tills and spreadsheets → exact [`Amount`]s.

use comeback_core::{Amount, AmountError};

/// Which character separates the decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DecimalMark {
    /// `1234.56`, `1,234.56`, `1 234.56`, `1'234.56`.
    #[default]
    Point,
    /// `1234,56`, `1.234,56`, `1 234,56`, `1'234,56`.
    Comma,
}

impl DecimalMark {
    fn byte(self) -> u8 {
        match self {
            DecimalMark::Point => b'.',
            DecimalMark::Comma => b',',
        }
    }

    /// The message part that says what an amount should look like.
    pub(crate) fn example(self) -> &'static str {
        match self {
            DecimalMark::Point => "expected a number like -1,234.56",
            DecimalMark::Comma => "expected a number like -1.234,56 (decimal comma)",
        }
    }

    /// The same, after "expected an amount".
    pub(crate) fn short_example(self) -> &'static str {
        match self {
            DecimalMark::Point => "e.g. -1,234.56",
            DecimalMark::Comma => "e.g. -1.234,56 (decimal comma)",
        }
    }
}

impl std::fmt::Display for DecimalMark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DecimalMark::Point => "point",
            DecimalMark::Comma => "comma",
        })
    }
}

/// Currency symbols recognised before or after an amount, with their ISO 4217 code when the
/// symbol names one currency only. Any three-letter upper-case code (`USD`, `EUR`, `SEK`) is
/// recognised as well.
pub const CURRENCY_SYMBOLS: &[(&str, Option<&str>)] = &[
    ("R$", Some("BRL")),
    ("US$", Some("USD")),
    ("A$", Some("AUD")),
    ("C$", Some("CAD")),
    ("NZ$", Some("NZD")),
    ("HK$", Some("HKD")),
    ("S$", Some("SGD")),
    ("MX$", Some("MXN")),
    ("$", None),
    ("€", Some("EUR")),
    ("£", Some("GBP")),
    ("¥", None),
    ("₹", Some("INR")),
    ("₽", Some("RUB")),
    ("₩", Some("KRW")),
    ("₪", Some("ILS")),
    ("₺", Some("TRY")),
    ("₴", Some("UAH")),
    ("₦", Some("NGN")),
    ("₱", Some("PHP")),
    ("₫", Some("VND")),
    ("฿", Some("THB")),
    ("zł", Some("PLN")),
    ("Kč", Some("CZK")),
    ("Ft", Some("HUF")),
    ("kr.", None),
    ("kr", None),
    ("Kr", None),
    ("Fr.", None),
    ("CHF", Some("CHF")),
    ("Rs.", None),
    ("Rs", None),
];

/// Why an amount was refused; turned into a row error by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AmountProblem {
    Syntax,
    Exact(AmountError),
    /// A second, different currency symbol.
    MixedSymbol {
        first: String,
        first_line: u64,
    },
    /// The symbol names another currency than the option.
    WrongCurrency {
        code: String,
    },
}

/// Stateful amount parser: remembers the first currency symbol of the file.
#[derive(Debug, Clone)]
pub(crate) struct AmountParser {
    pub(crate) decimal: DecimalMark,
    pub(crate) currency: Option<String>,
    pub(crate) symbol: Option<(String, u64)>,
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\u{a0}' || c == '\u{202f}'
}

/// Strips a known symbol or ISO code from the start of `s`.
fn strip_symbol_prefix(s: &str) -> Option<(&str, &str)> {
    for (sym, _) in CURRENCY_SYMBOLS {
        if let Some(rest) = s.strip_prefix(sym) {
            return Some((sym, rest));
        }
    }
    let b = s.as_bytes();
    if b.len() >= 3
        && b[..3].iter().all(u8::is_ascii_uppercase)
        && !b.get(3).is_some_and(u8::is_ascii_alphabetic)
    {
        return Some((&s[..3], &s[3..]));
    }
    None
}

fn strip_symbol_suffix(s: &str) -> Option<(&str, &str)> {
    for (sym, _) in CURRENCY_SYMBOLS {
        if let Some(rest) = s.strip_suffix(sym) {
            return Some((sym, rest));
        }
    }
    let b = s.as_bytes();
    let n = b.len();
    if n >= 3
        && b[n - 3..].iter().all(u8::is_ascii_uppercase)
        && !(n > 3 && b[n - 4].is_ascii_alphabetic())
    {
        return Some((&s[n - 3..], &s[..n - 3]));
    }
    None
}

/// The ISO 4217 code a symbol stands for, if it stands for exactly one.
fn symbol_code(sym: &str) -> Option<&'static str> {
    for (s, code) in CURRENCY_SYMBOLS {
        if *s == sym {
            return *code;
        }
    }
    None
}

impl AmountParser {
    pub(crate) fn new(decimal: DecimalMark, currency: Option<String>) -> AmountParser {
        AmountParser {
            decimal,
            currency,
            symbol: None,
        }
    }

    /// Parses one amount; `line` is remembered with the first currency symbol.
    pub(crate) fn parse(&mut self, raw: &str, line: u64) -> Result<Amount, AmountProblem> {
        let (neg, sym, number) = split(raw.trim()).ok_or(AmountProblem::Syntax)?;
        let amount = parse_number(number, self.decimal).map_err(|e| match e {
            Some(e) => AmountProblem::Exact(e),
            None => AmountProblem::Syntax,
        })?;
        if let Some(sym) = sym {
            self.check_symbol(sym, line)?;
        }
        Ok(if neg {
            Amount::from_micros(-amount.micros())
        } else {
            amount
        })
    }

    fn check_symbol(&mut self, sym: &str, line: u64) -> Result<(), AmountProblem> {
        match &self.symbol {
            Some((first, first_line)) => {
                if first != sym {
                    return Err(AmountProblem::MixedSymbol {
                        first: first.clone(),
                        first_line: *first_line,
                    });
                }
            }
            None => {
                let code = if sym.len() == 3 && sym.bytes().all(|b| b.is_ascii_uppercase()) {
                    symbol_code(sym).or(Some(sym))
                } else {
                    symbol_code(sym)
                };
                if let (Some(code), Some(want)) = (code, &self.currency)
                    && !code.eq_ignore_ascii_case(want)
                {
                    return Err(AmountProblem::WrongCurrency {
                        code: code.to_string(),
                    });
                }
                self.symbol = Some((sym.to_string(), line));
            }
        }
        Ok(())
    }
}

/// Splits `-$1,234.56`, `$-1,234.56`, `(1,234.56 €)`, `1.234,56- EUR` into sign, symbol and
/// the number text.
fn split(s: &str) -> Option<(bool, Option<&str>, &str)> {
    // Hot path: plain `123.45` or `-123.45`.
    if let [first, .., last] = s.as_bytes()
        && last.is_ascii_digit()
    {
        if first.is_ascii_digit() {
            return Some((false, None, s));
        }
        if *first == b'-' && s.as_bytes()[1].is_ascii_digit() {
            return Some((true, None, &s[1..]));
        }
    }
    let mut s = s;
    let mut neg = false;
    let mut sym = None;
    if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        neg = true;
        s = inner.trim_matches(is_blank);
    }
    let take_sign = |s: &mut &str, neg: &mut bool| -> bool {
        if let Some(r) = s.strip_prefix('-').or_else(|| s.strip_prefix('\u{2212}')) {
            *s = r.trim_start_matches(is_blank);
            *neg = true;
            true
        } else if let Some(r) = s.strip_prefix('+') {
            *s = r.trim_start_matches(is_blank);
            true
        } else {
            false
        }
    };
    let mut signed = false;
    if !neg {
        signed = take_sign(&mut s, &mut neg);
    }
    if let Some((sy, rest)) = strip_symbol_prefix(s) {
        sym = Some(sy);
        s = rest.trim_start_matches(is_blank);
        if !neg && !signed {
            signed = take_sign(&mut s, &mut neg);
        }
    }
    if sym.is_none()
        && let Some((sy, rest)) = strip_symbol_suffix(s)
    {
        sym = Some(sy);
        s = rest.trim_end_matches(is_blank);
    }
    if !neg
        && !signed
        && let Some(r) = s.strip_suffix('-')
    {
        neg = true;
        s = r.trim_end_matches(is_blank);
    }
    if s.is_empty() {
        return None;
    }
    Some((neg, sym, s))
}

/// Parses unsigned digits with optional thousands separators and decimals. `Err(None)` is a
/// syntax error.
fn parse_number(s: &str, decimal: DecimalMark) -> Result<Amount, Option<AmountError>> {
    let dec = decimal.byte();
    let b = s.as_bytes();
    // Fast path: plain digits with at most one decimal mark.
    let (int_part, frac_part) = match memchr::memchr(dec, b) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    if !frac_part.bytes().all(|c| c.is_ascii_digit()) {
        return Err(None);
    }
    if b.get(b.len().wrapping_sub(1)) == Some(&dec) && int_part.is_empty() {
        return Err(None);
    }
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(None);
    }
    if int_part.bytes().all(|c| c.is_ascii_digit()) {
        return Amount::from_parts(false, int_part, frac_part).map_err(Some);
    }
    // Thousands separators: one kind, groups of three after a first group of 1-3 digits.
    let mut sep: Option<char> = None;
    let mut digits = [0u8; 24];
    let mut n = 0usize;
    let mut group = 0usize;
    let mut first = true;
    for c in int_part.chars() {
        if c.is_ascii_digit() {
            if n == digits.len() {
                return Err(Some(AmountError::Overflow));
            }
            digits[n] = c as u8;
            n += 1;
            group += 1;
            continue;
        }
        let allowed = match decimal {
            DecimalMark::Point => matches!(c, ',' | ' ' | '\u{a0}' | '\u{202f}' | '\'' | '’'),
            DecimalMark::Comma => matches!(c, '.' | ' ' | '\u{a0}' | '\u{202f}' | '\'' | '’'),
        };
        if !allowed || sep.is_some_and(|s| s != c) {
            return Err(None);
        }
        sep = Some(c);
        if (first && !(1..=3).contains(&group)) || (!first && group != 3) {
            return Err(None);
        }
        first = false;
        group = 0;
    }
    if group != 3 {
        return Err(None);
    }
    let digits = std::str::from_utf8(&digits[..n]).map_err(|_| None)?;
    Amount::from_parts(false, digits, frac_part).map_err(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str, d: DecimalMark) -> Result<i64, AmountProblem> {
        AmountParser::new(d, None).parse(s, 1).map(|a| a.micros())
    }

    #[test]
    fn forms() {
        use DecimalMark::*;
        assert_eq!(p("11.77", Point), Ok(11_770_000));
        assert_eq!(p("1,234.56", Point), Ok(1_234_560_000));
        assert_eq!(p("1.234,56", Comma), Ok(1_234_560_000));
        assert_eq!(p("1 234,56", Comma), Ok(1_234_560_000));
        assert_eq!(p("1'234'567.5", Point), Ok(1_234_567_500_000));
        assert_eq!(p("$12", Point), Ok(12_000_000));
        assert_eq!(p("-$12.5", Point), Ok(-12_500_000));
        assert_eq!(p("$-12.5", Point), Ok(-12_500_000));
        assert_eq!(p("(12.50)", Point), Ok(-12_500_000));
        assert_eq!(p("12,50 €", Comma), Ok(12_500_000));
        assert_eq!(p("R$ 1.234,50", Comma), Ok(1_234_500_000));
        assert_eq!(p("12.50-", Point), Ok(-12_500_000));
        assert_eq!(p("USD 7", Point), Ok(7_000_000));
        assert_eq!(p("7 kr", Comma), Ok(7_000_000));
        assert_eq!(p(".5", Point), Ok(500_000));
        assert_eq!(p("5.", Point), Ok(5_000_000));
        assert_eq!(p("12,50", Point), Err(AmountProblem::Syntax));
        assert_eq!(p("1.5", Comma), Err(AmountProblem::Syntax));
        assert_eq!(p("1,23,456.0", Point), Err(AmountProblem::Syntax));
        assert_eq!(p("abc", Point), Err(AmountProblem::Syntax));
        assert_eq!(p("", Point), Err(AmountProblem::Syntax));
        assert_eq!(p("-", Point), Err(AmountProblem::Syntax));
        assert_eq!(p(".", Point), Err(AmountProblem::Syntax));
        assert_eq!(p("1e5", Point), Err(AmountProblem::Syntax));
        assert_eq!(p("--5", Point), Err(AmountProblem::Syntax));
        assert_eq!(
            p("1.1234567", Point),
            Err(AmountProblem::Exact(AmountError::TooPrecise))
        );
    }

    #[test]
    fn symbols_do_not_mix() {
        let mut a = AmountParser::new(DecimalMark::Point, None);
        assert!(a.parse("$1", 2).is_ok());
        assert!(a.parse("1", 3).is_ok());
        assert_eq!(
            a.parse("€1", 4),
            Err(AmountProblem::MixedSymbol {
                first: "$".into(),
                first_line: 2
            })
        );
        let mut a = AmountParser::new(DecimalMark::Point, Some("USD".into()));
        assert_eq!(
            a.parse("€1", 4),
            Err(AmountProblem::WrongCurrency { code: "EUR".into() })
        );
    }
}
