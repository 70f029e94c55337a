//! Typed errors: every message names the file, and row errors the line, column and value.

use crate::options::Delimiter;
use std::fmt;

/// Where a value came from: a header name, or a 1-based position when there is no header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ColumnLabel {
    /// The column's header name.
    Name(String),
    /// The column's 1-based position.
    Position(usize),
}

impl fmt::Display for ColumnLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnLabel::Name(n) => write!(f, "column {n:?}"),
            ColumnLabel::Position(p) => write!(f, "column {p}"),
        }
    }
}

/// What was wrong with a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowProblem {
    /// A value that does not parse: `cannot parse "1997-13-01" as a date (format %Y-%m-%d)`.
    Unparseable {
        /// The value (trimmed).
        value: String,
        /// `a date`, `an amount`, `a quantity`, ...
        what: &'static str,
        /// What was expected, e.g. `format %Y-%m-%d`.
        expected: String,
    },
    /// An empty field where a value is required.
    Missing {
        /// `a date`, `an amount`, ...
        what: &'static str,
        /// What was expected.
        expected: String,
    },
    /// An empty customer id.
    EmptyCustomer,
    /// A line with another number of fields than the header (or line 1).
    FieldCount {
        /// The delimiter in use.
        delimiter: Delimiter,
        /// Fields of the header or first line.
        expected: usize,
        /// Fields of this line.
        found: usize,
    },
    /// Bytes that are not UTF-8 (shown with `\x` escapes).
    InvalidUtf8 {
        /// The escaped value.
        value: String,
    },
    /// A second, different currency symbol in the file.
    MixedCurrency {
        /// The value.
        value: String,
        /// The first symbol seen.
        first: String,
        /// The line where it was seen.
        first_line: u64,
    },
    /// A currency symbol or code that contradicts the currency option.
    WrongCurrency {
        /// The value.
        value: String,
        /// The currency the value names.
        found: String,
        /// The currency option.
        expected: String,
    },
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowProblem::Unparseable {
                value,
                what,
                expected,
            } => write!(f, "cannot parse {value:?} as {what} ({expected})"),
            RowProblem::Missing { what, expected } => {
                write!(f, "missing value (expected {what}, {expected})")
            }
            RowProblem::EmptyCustomer => f.write_str("empty customer id"),
            RowProblem::FieldCount {
                delimiter,
                expected,
                found,
            } => match delimiter {
                Delimiter::Byte(b',') => write!(
                    f,
                    "expected {expected} comma-separated fields, found {found}"
                ),
                Delimiter::Byte(b';') => {
                    write!(
                        f,
                        "expected {expected} semicolon-separated fields, found {found}"
                    )
                }
                Delimiter::Byte(b'\t') => {
                    write!(f, "expected {expected} tab-separated fields, found {found}")
                }
                Delimiter::Byte(b) => {
                    write!(
                        f,
                        "expected {expected} fields separated by {:?}, found {found}",
                        *b as char
                    )
                }
                Delimiter::Whitespace | Delimiter::Auto => {
                    write!(
                        f,
                        "expected {expected} whitespace-separated fields, found {found}"
                    )
                }
            },
            RowProblem::InvalidUtf8 { value } => write!(f, "invalid UTF-8 in \"{value}\""),
            RowProblem::MixedCurrency {
                value,
                first,
                first_line,
            } => write!(
                f,
                "{value:?} has another currency symbol than {first:?} on line {first_line} (two currencies in one file)"
            ),
            RowProblem::WrongCurrency {
                value,
                found,
                expected,
            } => write!(
                f,
                "{value:?} is in {found}, but the currency is set to {expected}"
            ),
        }
    }
}

/// A row that cannot be read: `sales.csv:12345: column "date": cannot parse "1997-13-01" as a
/// date (format %Y-%m-%d)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The display name of the input.
    pub file: String,
    /// 1-based physical line where the row starts.
    pub line: u64,
    /// The column, when the problem is in one field.
    pub column: Option<ColumnLabel>,
    /// What is wrong.
    pub problem: RowProblem,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some(c) = &self.column {
            write!(f, "{c}: ")?;
        }
        write!(f, "{}", self.problem)
    }
}

impl std::error::Error for RowError {}

/// The header cannot be mapped to the fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// Several columns match one field.
    #[error("ambiguous header: columns {} all match field {field}; choose one with the {field} column option", quoted(.candidates))]
    Ambiguous {
        /// The field.
        field: &'static str,
        /// The matching header names.
        candidates: Vec<String>,
    },
    /// No column matches a required field.
    #[error("no column for field {field} in header {} (name it explicitly, or see the synonym table)", quoted(.header))]
    Missing {
        /// The field.
        field: &'static str,
        /// The header names.
        header: Vec<String>,
    },
    /// An explicit column name that is not in the header.
    #[error("column {name:?} for field {field} is not in header {}", quoted(.header))]
    NotFound {
        /// The field.
        field: &'static str,
        /// The name asked for.
        name: String,
        /// The header names.
        header: Vec<String>,
    },
    /// An explicit position beyond the first line's fields.
    #[error("column {position} for field {field} does not exist: line 1 has {fields} fields")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The 1-based position.
        position: usize,
        /// Number of fields on line 1.
        fields: usize,
    },
    /// Column position 0.
    #[error("column 0 for field {field}: positions start at 1")]
    ZeroPosition {
        /// The field.
        field: &'static str,
    },
    /// A column given by name in a file read without header.
    #[error("column {name:?} for field {field} is given by name, but the file has no header")]
    NameWithoutHeader {
        /// The field.
        field: &'static str,
        /// The name.
        name: String,
    },
    /// No header, and a required field was not given by position.
    #[error("the file has no header, so field {field} needs a column position")]
    NeedPosition {
        /// The field.
        field: &'static str,
    },
    /// A column asked for by name (in a [`Table`](crate::Table)) that is not in the header.
    #[error("no column {name:?} in header {}", quoted(.header))]
    UnknownColumn {
        /// The name asked for.
        name: String,
        /// The header names.
        header: Vec<String>,
    },
    /// A column name (in a [`Table`](crate::Table)) that matches several header names.
    #[error("column name {name:?} matches several columns: {}", quoted(.candidates))]
    AmbiguousColumn {
        /// The name asked for.
        name: String,
        /// The matching header names.
        candidates: Vec<String>,
    },
    /// Two fields on one column.
    #[error("fields {first} and {second} both use column {position}")]
    SameColumn {
        /// One field.
        first: &'static str,
        /// The other field.
        second: &'static str,
        /// The 1-based position.
        position: usize,
    },
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Everything that can stop a read.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Reading the input failed.
    #[error("{file}: {source}")]
    Io {
        /// The display name of the input.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A bad row (without `skip_invalid`).
    #[error(transparent)]
    Row(Box<RowError>),
    /// The header or column options do not give a mapping.
    #[error("{file}: {source}")]
    Mapping {
        /// The display name of the input.
        file: String,
        /// What is wrong.
        #[source]
        source: MappingError,
    },
    /// An invalid option (date format, currency code).
    #[error("invalid option: {0}")]
    Options(String),
    /// The input has no lines at all.
    #[error("{file}: the input is empty")]
    Empty {
        /// The display name of the input.
        file: String,
    },
    /// The sink (or the reject callback) refused a row.
    #[error("{file}:{line}: {source}")]
    Sink {
        /// The display name of the input.
        file: String,
        /// The row's line.
        line: u64,
        /// The sink's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl From<RowError> for IngestError {
    fn from(e: RowError) -> Self {
        IngestError::Row(Box::new(e))
    }
}

impl IngestError {
    /// The row error, if this is one.
    pub fn as_row(&self) -> Option<&RowError> {
        match self {
            IngestError::Row(r) => Some(r),
            _ => None,
        }
    }
}
