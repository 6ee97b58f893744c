//! `manifest.json`: what a run read, with which settings and tools, and what each stage cost.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::InputFile;

/// The run record written to `output/manifest.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Identifies this run's inputs, settings, templates and tools together.
    pub run_id: String,
    /// The previous successful run's id, if there was one.
    pub previous_run_id: Option<String>,
    /// Short hash of all input files (printed on the front page).
    pub data_version: String,
    /// `tsb-report` version.
    pub tool_version: String,
    /// typst version.
    pub typst_version: String,
    /// The settings, as TOML text.
    pub settings: String,
    /// SHA-256 of the templates used.
    pub templates_sha256: String,
    /// Every input file with its hash and row accounting.
    pub inputs: Vec<InputFile>,
    /// Files written, relative to the output folder.
    pub outputs: Vec<String>,
    /// Per document: for a PDF the hash of the sources and typst version it was compiled
    /// from; for `styrenotat.docx` the hash of its bytes.
    #[serde(default)]
    pub documents: BTreeMap<String, String>,
    /// What this run took from the caches under `.cache/` instead of computing it again.
    #[serde(default)]
    pub reused: Reused,
    /// Milliseconds per stage.
    pub timings_ms: BTreeMap<String, u64>,
}

/// What a run took from earlier runs instead of computing it again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reused {
    /// The whole analysis (validation, indicators, changes): no input or setting that
    /// changes numbers moved.
    pub analysis: bool,
    /// Log files whose validation came from the cache.
    pub log_files: usize,
    /// Pilots whose log indicators came from the cache (their rows were not read).
    pub pilots: Vec<String>,
    /// The survey indicators came from the cache: only logs changed.
    #[serde(default)]
    pub surveys: bool,
    /// The validation of the files other than logs came from the cache: only logs changed.
    #[serde(default)]
    pub others: bool,
    /// Documents left as they were: their sources and typst (a PDF) or their bytes (the
    /// `.docx`) did not change.
    pub documents: Vec<String>,
}

impl Manifest {
    /// Read a manifest's JSON; `None` when absent or unreadable (then the run counts as first).
    pub fn parse(text: &str) -> Option<Manifest> {
        serde_json::from_str(text).ok()
    }
    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Short hash of the used inputs: SHA-256 over `path\0sha256\n` lines, 12 hex digits.
pub fn data_version(inputs: &[InputFile]) -> String {
    let mut key = crate::cache::Key::new();
    for i in inputs {
        key.file(&i.path, &i.sha256);
    }
    key.finish()[..12].to_string()
}
