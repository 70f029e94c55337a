//! Options shared by the transaction and customer readers.

use crate::amount::DecimalMark;
use crate::date::DateFormat;
use chrono_tz::Tz;
use std::fmt;
use std::str::FromStr;

/// How fields are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Delimiter {
    /// Look at the first lines: `,` `;` or tab when one of them splits every line into the
    /// same number of fields (outside quotes), the most fields winning; otherwise whitespace.
    #[default]
    Auto,
    /// One byte (`,` `;` `\t` `|`), CSV rules: `"` quotes, `""` escapes a quote, quoted
    /// fields may span lines.
    Byte(u8),
    /// Runs of spaces and tabs separate fields; leading and trailing blanks are ignored;
    /// no quoting.
    Whitespace,
}

impl FromStr for Delimiter {
    type Err = String;
    /// `auto`, `,`/`comma`, `;`/`semicolon`, `\t`/`tab`, `|`/`pipe`, `whitespace`/`space`,
    /// or any single ASCII character.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "auto" => Delimiter::Auto,
            "comma" => Delimiter::Byte(b','),
            "semicolon" => Delimiter::Byte(b';'),
            "tab" | "\\t" | "\t" => Delimiter::Byte(b'\t'),
            "pipe" => Delimiter::Byte(b'|'),
            "whitespace" | "space" | "blank" | " " => Delimiter::Whitespace,
            s if s.len() == 1 && s.is_ascii() && !matches!(s, "\"" | "\n" | "\r") => {
                Delimiter::Byte(s.as_bytes()[0])
            }
            other => {
                return Err(format!(
                    "invalid delimiter {other:?} (expected auto, comma, semicolon, tab, whitespace or one ASCII character)"
                ));
            }
        })
    }
}

impl fmt::Display for Delimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Delimiter::Auto => f.write_str("auto"),
            Delimiter::Byte(b'\t') => f.write_str("tab"),
            Delimiter::Byte(b',') => f.write_str("comma"),
            Delimiter::Byte(b';') => f.write_str("semicolon"),
            Delimiter::Byte(b) => write!(f, "{:?}", *b as char),
            Delimiter::Whitespace => f.write_str("whitespace"),
        }
    }
}

/// Whether the first line holds column names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HeaderMode {
    /// Line 1 is a header when its date field does not parse as a date. The date field is
    /// found by explicit position, else by the synonym table; when no field of line 1 is a
    /// date synonym, line 1 is a header unless one of its fields parses as a date. Columns
    /// given by name imply a header.
    #[default]
    Auto,
    /// Line 1 is a header.
    Present,
    /// There is no header; columns must be given by position.
    Absent,
}

/// A column, by header name or by 1-based position.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ColumnRef {
    /// A header name: matched exactly first, then case-, accent- and separator-insensitively.
    Name(String),
    /// A 1-based position.
    Position(usize),
}

impl FromStr for ColumnRef {
    type Err = String;
    /// A string of digits is a position (`3`), anything else a header name (`"dollar value"`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.is_empty() {
            return Err("empty column name".to_string());
        }
        if t.bytes().all(|b| b.is_ascii_digit()) {
            return match t.parse::<usize>() {
                Ok(0) | Err(_) => Err(format!(
                    "invalid column position {t:?} (positions start at 1)"
                )),
                Ok(n) => Ok(ColumnRef::Position(n)),
            };
        }
        Ok(ColumnRef::Name(t.to_string()))
    }
}

impl fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnRef::Name(n) => write!(f, "{n:?}"),
            ColumnRef::Position(p) => write!(f, "{p}"),
        }
    }
}

/// What happens to rows with a negative amount (refunds, returns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RefundPolicy {
    /// Counted and totalled in the report, never passed to the sink.
    #[default]
    Exclude,
    /// Passed to the sink like any row (the core's `TransactionLogBuilder` nets them into the
    /// same customer's same day); still counted in the report.
    Net,
}

impl FromStr for RefundPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "exclude" => Ok(RefundPolicy::Exclude),
            "net" => Ok(RefundPolicy::Net),
            other => Err(format!(
                "invalid refund policy {other:?} (expected exclude or net)"
            )),
        }
    }
}

impl fmt::Display for RefundPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefundPolicy::Exclude => "exclude",
            RefundPolicy::Net => "net",
        })
    }
}

impl FromStr for DecimalMark {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "." | "point" | "dot" => Ok(DecimalMark::Point),
            "," | "comma" => Ok(DecimalMark::Comma),
            other => Err(format!(
                "invalid decimal mark {other:?} (expected point or comma)"
            )),
        }
    }
}

/// Which column holds which transaction field; `None` = recognise from the header with
/// [`TRANSACTION_SYNONYMS`](crate::TRANSACTION_SYNONYMS).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransactionColumns {
    /// The customer id (required).
    pub customer: Option<ColumnRef>,
    /// The date or timestamp (required).
    pub date: Option<ColumnRef>,
    /// The amount. When neither given nor recognised, every amount is 0 and
    /// [`IngestReport::amount_column`](crate::IngestReport) is `None`.
    pub amount: Option<ColumnRef>,
    /// A transaction id for de-duplication (optional).
    pub transaction_id: Option<ColumnRef>,
    /// A quantity (optional, whole numbers).
    pub quantity: Option<ColumnRef>,
}

/// Everything [`read_transactions`](crate::read_transactions) needs to know about a file.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `delimiter` | `Auto` | `,` `;` tab from the first lines, else whitespace |
/// | `header` | `Auto` | line 1 is a header when its date field is not a date |
/// | `columns` | all `None` | by name or 1-based position; `None` = synonym table |
/// | `date_format` | `Auto` | `%Y-%m-%d`, `%Y%m%d` or ISO 8601 timestamp, fixed by row 1; or strftime |
/// | `timezone` | `None` | zone for timestamps with an offset; naive values are local already |
/// | `decimal` | `Point` | decimal mark of amounts |
/// | `currency` | `None` | ISO 4217 code, recorded; symbols of other currencies are errors |
/// | `refunds` | `Exclude` | negative amounts counted and dropped, or `Net` (passed on) |
/// | `skip_invalid` | `false` | bad rows become [`Reject`](crate::Reject)s instead of an error |
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IngestOptions {
    /// Field separator.
    pub delimiter: Delimiter,
    /// Header line.
    pub header: HeaderMode,
    /// Column mapping.
    pub columns: TransactionColumns,
    /// Date format.
    pub date_format: DateFormat,
    /// The business's IANA time zone. Dates and naive timestamps are always business-local
    /// days as written. Timestamps with an offset (`Z`, `+02:00`) give the date in their own
    /// offset when this is `None`, and the date in this zone otherwise.
    pub timezone: Option<Tz>,
    /// Decimal mark of amounts.
    pub decimal: DecimalMark,
    /// ISO 4217 code of the amounts (recorded in the report; a symbol in the file that names
    /// another currency is an error).
    pub currency: Option<String>,
    /// Negative amounts.
    pub refunds: RefundPolicy,
    /// Reject bad rows (reported through the reject callback or the report) instead of
    /// stopping at the first one.
    pub skip_invalid: bool,
}

impl IngestOptions {
    pub(crate) fn validate_currency(c: &Option<String>) -> Result<(), String> {
        match c {
            Some(c) if !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())) => Err(
                format!("invalid currency {c:?} (expected an ISO 4217 code such as USD or EUR)"),
            ),
            _ => Ok(()),
        }
    }
}
