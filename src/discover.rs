//! Discover: walk the data folder and say what every file is (data-contract §1).
//!
//! Consumes the data folder; produces an [`Inventory`] of files sorted by their path under the
//! folder (Unicode code-point order), each read into memory with its SHA-256, and the
//! warnings about files that fit no rule. Lock and hidden files are passed over silently.

use std::path::Path;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::diag::Diagnostic;

/// What a file is, from where it sits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    /// `referanse/<table>.csv`: `foretak`, `enheter`, `yrker` or `oppgaver`.
    Reference(String),
    /// `bemanning/*`: a staffing export.
    Staffing,
    /// `undersokelser/<stem>.<ext>`: a survey export.
    Survey,
    /// `undersokelser/<stem>.kodebok.toml`.
    Codebook,
    /// `piloter/<id>/pilot.toml`.
    PilotConfig(String),
    /// `piloter/<id>/**/*.<table ext>`: an activity log of pilot `id`.
    Log(String),
    /// `EKSEMPELDATA.md`: the data is synthetic.
    SampleMarker,
}

impl FileKind {
    /// The kind's name in the manifest and the data-quality appendix.
    pub fn label(&self) -> &'static str {
        match self {
            FileKind::Reference(_) => "referanse",
            FileKind::Staffing => "bemanning",
            FileKind::Survey => "undersøkelse",
            FileKind::Codebook => "kodebok",
            FileKind::PilotConfig(_) => "pilot",
            FileKind::Log(_) => "logg",
            FileKind::SampleMarker => "eksempeldata",
        }
    }
}

/// One input file, read.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path under the data folder, `/`-separated.
    pub rel: String,
    /// The path as the user names it in messages (`data/piloter/…`).
    pub display: String,
    /// What it is.
    pub kind: FileKind,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// SHA-256, lower-case hex.
    pub sha256: String,
}

impl SourceFile {
    /// The extension, lower-case.
    pub fn extension(&self) -> String {
        Path::new(&self.rel)
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default()
    }
    /// The file stem (for surveys: the survey key).
    pub fn stem(&self) -> String {
        let name = self.rel.rsplit('/').next().unwrap_or(&self.rel);
        let lower = name.to_lowercase();
        if lower.ends_with(".kodebok.toml") {
            return name[..name.len() - ".kodebok.toml".len()].to_string();
        }
        name.rsplit_once('.').map_or(name, |(s, _)| s).to_string()
    }
}

/// Every file of the data folder that fits a rule, and warnings about the rest.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// Files sorted by `rel`.
    pub files: Vec<SourceFile>,
    /// Warnings (files that fit no rule).
    pub diagnostics: Vec<Diagnostic>,
}

impl Inventory {
    /// True when `EKSEMPELDATA.md` is present.
    pub fn is_sample(&self) -> bool {
        self.files.iter().any(|f| f.kind == FileKind::SampleMarker)
    }
}

/// Lower-case hex of a SHA-256 digest of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

const TABLE_EXTS: [&str; 4] = ["csv", "tsv", "txt", "xlsx"];

/// Classify a path under the data folder; `None` when it fits no rule.
pub fn classify(rel: &str) -> Option<FileKind> {
    let parts: Vec<&str> = rel.split('/').collect();
    let name = *parts.last()?;
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    let is_table = TABLE_EXTS.contains(&ext.as_str());
    match parts.as_slice() {
        ["EKSEMPELDATA.md"] => Some(FileKind::SampleMarker),
        ["referanse", _] if is_table => {
            let stem = name
                .rsplit_once('.')
                .map_or(name, |(s, _)| s)
                .to_lowercase();
            ["foretak", "enheter", "yrker", "oppgaver"]
                .contains(&stem.as_str())
                .then_some(FileKind::Reference(stem))
        }
        ["bemanning", _] if is_table => Some(FileKind::Staffing),
        ["undersokelser", _] if name.to_lowercase().ends_with(".kodebok.toml") => {
            Some(FileKind::Codebook)
        }
        ["undersokelser", _] if is_table => Some(FileKind::Survey),
        ["piloter", id, "pilot.toml"] => Some(FileKind::PilotConfig((*id).to_string())),
        ["piloter", id, _, ..] if is_table => Some(FileKind::Log((*id).to_string())),
        _ => None,
    }
}

fn is_hidden(name: &str) -> bool {
    name.starts_with('.') || name.starts_with("~$")
}

/// Walk `data_dir` and read every file that fits a rule.
pub fn discover(data_dir: &Path) -> Result<Inventory> {
    let display_root = data_dir.display().to_string();
    let display_root = display_root.trim_end_matches('/');
    let mut inv = Inventory::default();
    let walker = walkdir::WalkDir::new(data_dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(&e.file_name().to_string_lossy()));
    for entry in walker {
        let entry = entry.with_context(|| format!("failed to walk `{}`", data_dir.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel_path = entry.path().strip_prefix(data_dir).unwrap_or(entry.path());
        let rel = rel_path
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let display = format!("{display_root}/{rel}");
        match classify(&rel) {
            Some(kind) => {
                let bytes = crate::fsx::read(entry.path())?;
                let sha256 = sha256_hex(&bytes);
                inv.files.push(SourceFile {
                    rel,
                    display,
                    kind,
                    bytes,
                    sha256,
                });
            }
            None => inv.diagnostics.push(
                Diagnostic::warning(
                    display,
                    "file fits no rule of the data folder and was not read",
                )
                .hint(
                    "see data-contract §1: referanse/, bemanning/, undersokelser/, piloter/<id>/",
                ),
            ),
        }
    }
    inv.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_every_rule_of_the_data_contract() {
        assert_eq!(
            classify("referanse/foretak.csv"),
            Some(FileKind::Reference("foretak".into()))
        );
        assert_eq!(classify("referanse/ukjent.csv"), None);
        assert_eq!(classify("bemanning/2025-03.xlsx"), Some(FileKind::Staffing));
        assert_eq!(classify("undersokelser/a.tsv"), Some(FileKind::Survey));
        assert_eq!(
            classify("undersokelser/a.kodebok.toml"),
            Some(FileKind::Codebook)
        );
        assert_eq!(
            classify("piloter/lar/pilot.toml"),
            Some(FileKind::PilotConfig("lar".into()))
        );
        assert_eq!(
            classify("piloter/lar/2025/uke1.csv"),
            Some(FileKind::Log("lar".into()))
        );
        assert_eq!(classify("piloter/lar/notat.docx"), None);
        assert_eq!(classify("EKSEMPELDATA.md"), Some(FileKind::SampleMarker));
        assert_eq!(classify("README.md"), None);
    }

    #[test]
    fn survey_stem_drops_every_extension() {
        let f = SourceFile {
            rel: "undersokelser/ansatt-2025.kodebok.toml".into(),
            display: String::new(),
            kind: FileKind::Codebook,
            bytes: vec![],
            sha256: String::new(),
        };
        assert_eq!(f.stem(), "ansatt-2025");
    }
}
