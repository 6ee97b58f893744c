//! Resolved configuration: the clap arguments checked, paths resolved, and the settings file
//! `tsb-report.toml` loaded strictly (unknown keys are errors).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::cli::BuildArgs;

/// The settings file, `tsb-report.toml`. Keys are ASCII (TOML bare keys).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Texts on the documents.
    pub rapport: ReportSettings,
    /// Disclosure control.
    pub prikking: SuppressionSettings,
    /// Validation thresholds.
    pub validering: ValidationSettings,
}

/// `[rapport]`: texts on the documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportSettings {
    /// Title on the front page and in the PDF metadata.
    pub tittel: String,
    /// Subtitle.
    pub undertittel: String,
    /// Who the documents are from (`Fra` in the board briefing, PDF author).
    pub fra: String,
}

/// `[prikking]`: disclosure control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SuppressionSettings {
    /// Minimum cell size; never below 3.
    pub k: u32,
}

/// `[validering]`: validation thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValidationSettings {
    /// A file with more quarantined rows than this share (and at least 3) is a file error.
    pub maks_karantene_andel: f64,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            tittel: "Riktig person til riktig oppgave til riktig tid i TSB".into(),
            undertittel: "Sluttrapport fra prosjektet i Helse Midt-Norge".into(),
            fra: "Prosjektsekretariatet".into(),
        }
    }
}

impl Default for SuppressionSettings {
    fn default() -> Self {
        SuppressionSettings { k: 5 }
    }
}

impl Default for ValidationSettings {
    fn default() -> Self {
        ValidationSettings {
            maks_karantene_andel: 0.05,
        }
    }
}

impl Settings {
    /// Parse and check settings text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Settings> {
        let settings: Settings =
            toml::from_str(text).with_context(|| format!("failed to read settings `{origin}`"))?;
        if settings.prikking.k < 3 {
            bail!(
                "failed to read settings `{origin}` (`prikking.k` is {}, but it may never be below 3)",
                settings.prikking.k
            );
        }
        let share = settings.validering.maks_karantene_andel;
        if !(0.0..=1.0).contains(&share) {
            bail!(
                "failed to read settings `{origin}` (`validering.maks_karantene_andel` must be a share between 0 and 1, found {share})"
            );
        }
        Ok(settings)
    }

    /// Load settings: the given file (must exist), else `tsb-report.toml` in the current
    /// folder if present, else the defaults. Returns the settings and their source text.
    pub fn load(explicit: Option<&Path>) -> Result<(Settings, String)> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from("tsb-report.toml")).filter(|p| p.is_file()),
        };
        match path {
            Some(p) => {
                let text = crate::fsx::read_to_string(&p)?;
                Ok((Settings::parse(&text, &p.display().to_string())?, text))
            }
            None => {
                let s = Settings::default();
                let text = toml::to_string(&s).unwrap_or_default();
                Ok((s, text))
            }
        }
    }
}

/// Everything `build` needs, resolved.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    /// The data folder.
    pub data: PathBuf,
    /// The template folder, or `None` for the built-in templates.
    pub templates: Option<PathBuf>,
    /// The output folder.
    pub out: PathBuf,
    /// `--final`.
    pub is_final: bool,
    /// `--typst` / `TSB_REPORT_TYPST`.
    pub typst: Option<PathBuf>,
    /// The settings.
    pub settings: Settings,
    /// The settings' source text (for provenance).
    pub settings_text: String,
    /// Print progress.
    pub verbose: bool,
}

impl BuildConfig {
    /// Resolve `build` arguments.
    pub fn from_args(args: &BuildArgs, quiet: bool) -> Result<BuildConfig> {
        let (settings, settings_text) = Settings::load(args.data.settings.as_deref())?;
        if !args.data.data.is_dir() {
            bail!(
                "failed to find the data folder `{}`\nhint: run in the project folder, pass `--data DIR`, or create one with `tsb-report sample --out data`",
                args.data.data.display()
            );
        }
        let templates = match &args.templates {
            Some(t) if !t.is_dir() => bail!("failed to find the template folder `{}`", t.display()),
            Some(t) => Some(t.clone()),
            None => Some(PathBuf::from("report-templates")).filter(|p| p.is_dir()),
        };
        Ok(BuildConfig {
            data: args.data.data.clone(),
            templates,
            out: args.out.clone(),
            is_final: args.is_final,
            typst: args.typst.clone(),
            settings,
            settings_text,
            verbose: !quiet,
        })
    }
}
