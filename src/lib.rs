//! `tsb-report`: from the raw data of the TSB project in Helse Midt-Norge to its typeset
//! report and board briefing.
//!
//! ```text
//! data/ ─discover─▶ Inventory ─ingest─▶ RawTable ─validate─▶ Dataset (+ quarantine)
//! Dataset ─indicators─▶ IndicatorTable (suppressed) ─render─▶ .typ + .svg ─typeset─▶ PDF
//! ```
//!
//! One module per stage; [`pipeline`] is the only place that knows their order.

pub mod app;
pub mod cache;
pub mod changes;
pub mod cli;
pub mod config;
pub mod diag;
pub mod discover;
pub mod fsx;
pub mod glyphs;
pub mod indicators;
pub mod ingest;
pub mod kodebok;
pub mod manifest;
pub mod model;
pub mod par;
pub mod pipeline;
pub mod render;
pub mod rules;
pub mod sample;
pub mod scaffold;
pub mod typeset;
pub mod validate;
pub mod watch;

/// The tool's version, which every cache key and the manifest carry: a new version
/// recomputes everything. `TSB_REPORT_VERSION` stands in for it, so that the tests can
/// show exactly that without building another version.
pub fn tool_version() -> String {
    std::env::var("TSB_REPORT_VERSION")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_string())
}
