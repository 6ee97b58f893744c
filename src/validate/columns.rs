//! Column mapping: find each expected column by its name or an alias, after normalisation.

use crate::diag::Diagnostic;
use crate::ingest::RawTable;
use crate::ingest::headers::normalize;

/// An expected column.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// The contract's name.
    pub name: &'static str,
    /// Accepted aliases.
    pub aliases: &'static [&'static str],
    /// A missing required column is a file error.
    pub required: bool,
}

/// Shorthand for a required column.
pub const fn req(name: &'static str, aliases: &'static [&'static str]) -> ColumnSpec {
    ColumnSpec {
        name,
        aliases,
        required: true,
    }
}

/// Shorthand for an optional column.
pub const fn opt(name: &'static str, aliases: &'static [&'static str]) -> ColumnSpec {
    ColumnSpec {
        name,
        aliases,
        required: false,
    }
}

/// The health trust column of logs and staffing exports.
pub const FORETAK: ColumnSpec = req("foretak", &["helseforetak", "hf"]);
/// The unit column.
pub const ENHET: ColumnSpec = req("enhet", &["avdeling"]);
/// The profession column.
pub const YRKE: ColumnSpec = req("yrke", &["yrkesgruppe", "profesjon"]);

/// Where each expected column is in a file.
#[derive(Debug, Clone)]
pub struct Columns {
    /// Per spec, the column index.
    pub index: Vec<Option<usize>>,
    /// Header cells no spec names.
    pub unused: Vec<String>,
}

impl Columns {
    /// The cell of spec `i` in `fields`, or "" when the column is absent.
    pub fn get<'a>(&self, i: usize, fields: &'a [crate::model::Text]) -> &'a str {
        self.index[i]
            .and_then(|c| fields.get(c))
            .map_or("", |t| t.as_str())
    }
    /// The header of spec `i` as it stands in the file.
    pub fn header<'a>(&self, i: usize, table: &'a RawTable) -> &'a str {
        self.index[i]
            .and_then(|c| table.headers.get(c))
            .map_or("", String::as_str)
    }
    /// The warning listing the header cells no spec names (at most 20, each cut to 60
    /// characters), at the header line; `None` when every column is used.
    pub fn unused_warning(&self, display: &str, table: &RawTable) -> Option<Diagnostic> {
        (!self.unused.is_empty()).then(|| {
            Diagnostic::warning(
                display,
                format!("unused columns: {}", super::rows::column_list(&self.unused)),
            )
            .at_line(table.header_line)
        })
    }
}

/// Map a table's header to `specs`; every missing required column is a file error.
pub fn map_columns(
    display: &str,
    table: &RawTable,
    specs: &[ColumnSpec],
) -> Result<Columns, Vec<Diagnostic>> {
    let normalized: Vec<String> = table.headers.iter().map(|h| normalize(h)).collect();
    let mut index = Vec::with_capacity(specs.len());
    let mut used = vec![false; normalized.len()];
    let mut errors = Vec::new();
    for spec in specs {
        let wanted: Vec<String> = std::iter::once(spec.name)
            .chain(spec.aliases.iter().copied())
            .map(normalize)
            .collect();
        let found = normalized.iter().position(|h| wanted.contains(h));
        if let Some(i) = found {
            used[i] = true;
        } else if spec.required {
            let accepted = std::iter::once(spec.name)
                .chain(spec.aliases.iter().copied())
                .collect::<Vec<_>>();
            errors.push(
                Diagnostic::file_error(display, format!("missing required column `{}`", spec.name))
                    .at_line(table.header_line)
                    .hint(format!("accepted headers: {}", accepted.join(", ")))
                    .hint(format!("the header has: {}", table.headers.join(", "))),
            );
        }
        index.push(found);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let unused = table
        .headers
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(h, _)| h.clone())
        .collect();
    Ok(Columns { index, unused })
}
