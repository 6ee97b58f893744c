//! The data basis (Datagrunnlag, Vedlegg B and D): per input file its kind, status, size,
//! hash and row accounting, and the totals per kind.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::render::RenderInput;
use crate::render::format;

/// Per-file data quality and provenance.
#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    /// Path under the data folder.
    pub sti: String,
    /// Kind.
    pub type_: String,
    /// Status.
    pub status: String,
    /// Size in bytes.
    pub bytes: String,
    /// SHA-256.
    pub sha256: String,
    /// Rows read.
    pub lest: String,
    /// Rows used.
    pub brukt: String,
    /// Rows quarantined.
    pub karantene: String,
    /// Reasons with counts: `ukjent enhet (3)`.
    pub arsaker: Vec<String>,
    /// Warnings.
    pub advarsler: Vec<String>,
}

/// Per-kind file totals (Datagrunnlag).
#[derive(Debug, Clone, Serialize)]
pub struct SourceView {
    /// Kind.
    pub type_: String,
    /// Number of files.
    pub filer: String,
    /// Rows read.
    pub lest: String,
    /// Rows used.
    pub brukt: String,
    /// Rows quarantined.
    pub karantene: String,
}

pub(super) fn files(input: &RenderInput<'_>) -> (Vec<SourceView>, Vec<FileView>) {
    let mut kinds: BTreeMap<&str, (u64, u64, u64, u64)> = BTreeMap::new();
    let mut files: Vec<&crate::model::InputFile> = input.inputs.iter().collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for f in &files {
        let e = kinds.entry(f.kind.as_str()).or_default();
        e.0 += 1;
        e.1 += f.rows_read;
        e.2 += f.rows_used;
        e.3 += f.rows_quarantined;
    }
    let c = |n: u64| format::count(n as f64);
    let kilder = kinds
        .into_iter()
        .map(|(k, (n, r, u, q))| SourceView {
            type_: k.to_string(),
            filer: c(n),
            lest: c(r),
            brukt: c(u),
            karantene: c(q),
        })
        .collect();
    let filer = files
        .iter()
        .map(|f| FileView {
            sti: f.path.clone(),
            type_: f.kind.clone(),
            status: f.status.clone(),
            bytes: c(f.bytes),
            sha256: f.sha256.clone(),
            lest: c(f.rows_read),
            brukt: c(f.rows_used),
            karantene: c(f.rows_quarantined),
            arsaker: f
                .reasons
                .iter()
                .map(|(r, n)| format!("{r} ({})", c(*n)))
                .collect(),
            advarsler: f.warnings.clone(),
        })
        .collect();
    (kilder, filer)
}
