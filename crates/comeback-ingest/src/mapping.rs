//! Header detection and column mapping, shared by both readers.

use crate::error::IngestError;
use crate::error::{ColumnLabel, MappingError};
use crate::options::{ColumnRef, HeaderMode};
use crate::source::Rec;
use crate::synonyms::{FieldSynonyms, normalize};
use std::fmt;

/// How a column was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchedBy {
    /// An explicit header name.
    Name,
    /// An explicit position.
    Position,
    /// The synonym table.
    Synonym,
}

/// The column chosen for one field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MappedColumn {
    /// The field (`customer`, `date`, ...).
    pub field: &'static str,
    /// 0-based index of the column.
    pub index: usize,
    /// Its header name, when there is a header.
    pub name: Option<String>,
    /// How it was chosen.
    pub matched_by: MatchedBy,
}

impl MappedColumn {
    /// The label used in error messages.
    pub fn label(&self) -> ColumnLabel {
        match &self.name {
            Some(n) => ColumnLabel::Name(n.clone()),
            None => ColumnLabel::Position(self.index + 1),
        }
    }
}

impl fmt::Display for MappedColumn {
    /// `date ← "date" (column 2, synonym)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = match self.matched_by {
            MatchedBy::Name => "by name",
            MatchedBy::Position => "by position",
            MatchedBy::Synonym => "synonym",
        };
        match &self.name {
            Some(n) => write!(
                f,
                "{} ← {n:?} (column {}, {how})",
                self.field,
                self.index + 1
            ),
            None => write!(f, "{} ← column {} ({how})", self.field, self.index + 1),
        }
    }
}

/// One field to map.
pub(crate) struct FieldSpec<'a> {
    pub field: &'static str,
    pub explicit: Option<&'a ColumnRef>,
    pub synonyms: &'a [&'a FieldSynonyms],
    pub required: bool,
}

/// Line 1's fields as trimmed text (lossy UTF-8), BOM removed.
pub(crate) fn fields_of(rec: &Rec<'_>) -> Vec<String> {
    (0..rec.len())
        .map(|i| {
            let f = rec.get(i).unwrap_or_default();
            String::from_utf8_lossy(f)
                .trim()
                .trim_start_matches('\u{feff}')
                .trim()
                .to_string()
        })
        .collect()
}

/// Columns of `names` that match a field by synonym.
fn synonym_candidates(names: &[String], syn: &[&FieldSynonyms]) -> Vec<usize> {
    names
        .iter()
        .enumerate()
        .filter(|(_, n)| {
            let norm = normalize(n);
            !norm.is_empty() && syn.iter().any(|s| s.matches_normalized(&norm))
        })
        .map(|(i, _)| i)
        .collect()
}

/// Decides whether line 1 is a header. `date_spec` is the index in `specs` of the field
/// whose value decides (`None`: a header is assumed unless some field of line 1 parses as a
/// date, see below); `parses` tests a value.
pub(crate) fn is_header(
    mode: HeaderMode,
    specs: &[FieldSpec<'_>],
    date_spec: Option<usize>,
    first: &[String],
    parses: &dyn Fn(&str) -> bool,
) -> bool {
    match mode {
        HeaderMode::Present => return true,
        HeaderMode::Absent => return false,
        HeaderMode::Auto => {}
    }
    if specs
        .iter()
        .any(|s| matches!(s.explicit, Some(ColumnRef::Name(_))))
    {
        return true;
    }
    let Some(ds) = date_spec else {
        return true;
    };
    let spec = &specs[ds];
    match spec.explicit {
        Some(ColumnRef::Position(p)) => match first.get(p.wrapping_sub(1)) {
            Some(v) => !parses(v),
            None => true,
        },
        _ => {
            let c = synonym_candidates(first, spec.synonyms);
            match c.as_slice() {
                [i] => !parses(&first[*i]),
                // Ambiguous: a header (the mapping reports it).
                [_, _, ..] => true,
                // No date name: data when any field is a date.
                [] => !first.iter().any(|v| parses(v)),
            }
        }
    }
}

/// Maps every field to a column.
pub(crate) fn resolve(
    specs: &[FieldSpec<'_>],
    header: Option<&[String]>,
    nfields: usize,
) -> Result<Vec<Option<MappedColumn>>, MappingError> {
    let mut out: Vec<Option<MappedColumn>> = Vec::with_capacity(specs.len());
    for spec in specs {
        let field = spec.field;
        let mapped = match (spec.explicit, header) {
            (Some(ColumnRef::Position(0)), _) => return Err(MappingError::ZeroPosition { field }),
            (Some(ColumnRef::Position(p)), _) => {
                if *p > nfields {
                    return Err(MappingError::OutOfRange {
                        field,
                        position: *p,
                        fields: nfields,
                    });
                }
                Some(MappedColumn {
                    field,
                    index: p - 1,
                    name: header.map(|h| h[p - 1].clone()),
                    matched_by: MatchedBy::Position,
                })
            }
            (Some(ColumnRef::Name(n)), None) => {
                return Err(MappingError::NameWithoutHeader {
                    field,
                    name: n.clone(),
                });
            }
            (Some(ColumnRef::Name(n)), Some(h)) => {
                let exact: Vec<usize> = (0..h.len()).filter(|&i| h[i] == *n).collect();
                let found = if exact.is_empty() {
                    let want = normalize(n);
                    (0..h.len()).filter(|&i| normalize(&h[i]) == want).collect()
                } else {
                    exact
                };
                match found.as_slice() {
                    [i] => Some(MappedColumn {
                        field,
                        index: *i,
                        name: Some(h[*i].clone()),
                        matched_by: MatchedBy::Name,
                    }),
                    [] => {
                        return Err(MappingError::NotFound {
                            field,
                            name: n.clone(),
                            header: h.to_vec(),
                        });
                    }
                    many => {
                        return Err(MappingError::Ambiguous {
                            field,
                            candidates: many.iter().map(|&i| h[i].clone()).collect(),
                        });
                    }
                }
            }
            (None, None) => {
                if spec.required {
                    return Err(MappingError::NeedPosition { field });
                }
                None
            }
            (None, Some(h)) => {
                let c = synonym_candidates(h, spec.synonyms);
                match c.as_slice() {
                    [i] => Some(MappedColumn {
                        field,
                        index: *i,
                        name: Some(h[*i].clone()),
                        matched_by: MatchedBy::Synonym,
                    }),
                    [] if spec.required => {
                        return Err(MappingError::Missing {
                            field,
                            header: h.to_vec(),
                        });
                    }
                    [] => None,
                    many => {
                        return Err(MappingError::Ambiguous {
                            field,
                            candidates: many.iter().map(|&i| h[i].clone()).collect(),
                        });
                    }
                }
            }
        };
        out.push(mapped);
    }
    // An explicitly placed column wins over a synonym on the same column; two explicit
    // choices, or two synonyms, on one column are an error.
    for i in 0..out.len() {
        for j in 0..out.len() {
            if i == j {
                continue;
            }
            let (Some(a), Some(b)) = (&out[i], &out[j]) else {
                continue;
            };
            if a.index != b.index {
                continue;
            }
            if a.matched_by == MatchedBy::Synonym && b.matched_by != MatchedBy::Synonym {
                out[i] = None;
            } else if i < j {
                return Err(MappingError::SameColumn {
                    first: a.field,
                    second: b.field,
                    position: a.index + 1,
                });
            }
        }
    }
    // A dropped synonym column of a required field is an error.
    for (spec, m) in specs.iter().zip(&out) {
        if spec.required && m.is_none() {
            return Err(MappingError::Missing {
                field: spec.field,
                header: header.map(<[String]>::to_vec).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// [`map_first_line`]'s answer: the trimmed fields, whether they are a header, and the
/// column of each field spec (`None` for an optional field not found).
pub(crate) type FirstLine = (Vec<String>, bool, Vec<Option<MappedColumn>>);

/// What the first line of a file says: its fields, whether it is a header (see
/// [`is_header`]; `date_spec` is the index of the date field in `specs`) and the column of
/// each field ([`resolve`]). Shared by the transaction and customer readers, which read the
/// line themselves because a line that is not a header is also their first data row.
///
/// # Errors
/// [`IngestError::Mapping`] naming `file`.
pub(crate) fn map_first_line(
    first: &Rec<'_>,
    file: &str,
    mode: HeaderMode,
    specs: &[FieldSpec<'_>],
    date_spec: Option<usize>,
    parses: &dyn Fn(&str) -> bool,
) -> Result<FirstLine, IngestError> {
    let first_fields = fields_of(first);
    let header = is_header(mode, specs, date_spec, &first_fields, parses);
    let mapping = resolve(
        specs,
        header.then_some(&first_fields[..]),
        first_fields.len(),
    )
    .map_err(|source| IngestError::Mapping {
        file: file.to_string(),
        source,
    })?;
    Ok((first_fields, header, mapping))
}
