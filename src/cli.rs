//! Command-line arguments, close to the flags (clap derive). `config` resolves them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::diag::DiagnosticFormat;

/// From the TSB project's raw data to its report and board briefing.
///
/// Exit codes: 0 done; 1 input data invalid (diagnostics printed, last good PDFs kept);
/// 2 usage, environment or typesetting failure.
#[derive(Debug, Parser)]
#[command(name = "tsb-report", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Print nothing but errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human, global = true)]
    pub diagnostic_format: DiagnosticFormat,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read `data/`, compute the indicators and typeset the report and the board briefing.
    Build(BuildArgs),
    /// Validate the data only and print every problem; writes nothing.
    Check(CheckArgs),
    /// Write a synthetic data set in the data contract.
    Sample(SampleArgs),
    /// Start a new report project (folders, settings, templates) in DIR.
    Init(InitArgs),
    /// Draft a codebook (`<stem>.kodebok.toml`) beside a survey export; never overwrites.
    Kodebok(KodebokArgs),
    /// Build, then rebuild whenever a file under the data or template folder or the settings
    /// change (Ctrl-C stops).
    Watch(BuildArgs),
}

/// Arguments of `kodebok`.
#[derive(Debug, Args)]
pub struct KodebokArgs {
    /// The survey export (`.csv`, `.tsv`, `.txt` or `.xlsx`).
    pub export: PathBuf,
}

/// Where the data is.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// The data folder.
    #[arg(long, default_value = "data", env = "TSB_REPORT_DATA")]
    pub data: PathBuf,
    /// The settings file (default: `tsb-report.toml` in the current folder, if present).
    #[arg(long)]
    pub settings: Option<PathBuf>,
}

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Where the data is.
    #[command(flatten)]
    pub data: DataArgs,
    /// The output folder whose caches `check` reads, never writes: a log file validated by an
    /// earlier `build` and unchanged since is not read again.
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
}

/// Arguments of `build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Where the data is.
    #[command(flatten)]
    pub data: DataArgs,
    /// The template folder (default: `report-templates`, or the built-in templates if absent).
    #[arg(long)]
    pub templates: Option<PathBuf>,
    /// The output folder.
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
    /// Final version: no UTKAST mark.
    #[arg(long = "final")]
    pub is_final: bool,
    /// The typst program to use (else `typst` on PATH with the pinned version, else the cache).
    #[arg(long, env = "TSB_REPORT_TYPST")]
    pub typst: Option<PathBuf>,
}

/// Arguments of `sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Folder to write the data set into.
    #[arg(long)]
    pub out: PathBuf,
    /// Size: 1 ≈ 200 000 log rows and 1 500 respondents; N multiplies both.
    #[arg(long, default_value_t = 1)]
    pub scale: u32,
    /// Random seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Arguments of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The new project's folder.
    pub dir: PathBuf,
}
