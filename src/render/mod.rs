//! Render: indicator table + run facts → Typst sources and SVG charts, through minijinja
//! templates under `report-templates/`.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::indicators::IndicatorTable;
use crate::model::{Dataset, InputFile};

/// Facts about the run that the documents print (never indicator numbers).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ReportMeta {
    /// Report title (from `tsb-report.toml`).
    pub title: String,
    /// Subtitle.
    pub subtitle: String,
    /// Who the board briefing is from (`Fra`).
    pub author: String,
    /// Report date, derived from the data (the newest date in the inputs).
    pub date: Option<NaiveDate>,
    /// Short hash of all inputs.
    pub data_version: String,
    /// The data is the bundled synthetic set (`EKSEMPELDATA.md` present).
    pub is_sample: bool,
    /// Built with `--final` (no UTKAST).
    pub is_final: bool,
    /// Disclosure-control threshold.
    pub k: u32,
    /// `tsb-report` version.
    pub tool_version: String,
    /// typst version.
    pub typst_version: String,
    /// The settings used, as TOML text, for Vedlegg D.
    pub settings_text: String,
}

/// Everything render reads.
#[derive(Debug, Clone, Copy)]
pub struct RenderInput<'a> {
    /// The indicator table: the only source of numbers.
    pub table: &'a IndicatorTable,
    /// Reference tables and pilot descriptions (names, workflows), never numbers.
    pub dataset: &'a Dataset,
    /// Per-file accounting for Vedlegg B and D.
    pub inputs: &'a [InputFile],
    /// Run facts.
    pub meta: &'a ReportMeta,
}

/// Templates by name (`rapport.typ.j2`, …), loaded once by the pipeline.
pub type Templates = BTreeMap<String, String>;

/// The generated files: path relative to the build folder → contents; and the documents to
/// compile.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// Files to write into the build folder (`rapport.typ`, `figurer/vakans.svg`, …).
    pub files: BTreeMap<String, Vec<u8>>,
    /// Documents to compile: (source in the build folder, output PDF name, title).
    pub documents: Vec<Document>,
}

/// One document to typeset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Main `.typ` file, relative to the build folder.
    pub source: String,
    /// Output PDF file name, relative to the output folder.
    pub pdf: String,
}

/// Render every document.
pub fn render(input: &RenderInput<'_>, templates: &Templates) -> anyhow::Result<Rendered> {
    let _ = (input, templates);
    anyhow::bail!("render is not implemented yet")
}

/// The templates that ship with the tool (stub until the render branch lands).
pub fn builtin_templates() -> Templates {
    Templates::new()
}
