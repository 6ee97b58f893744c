//! Resolved configuration: the clap arguments checked, paths resolved, and the settings file
//! `tsb-report.toml` loaded strictly (unknown keys are errors).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::cli::BuildArgs;
pub use crate::rules::{ConditionSettings, RuleSettings};

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
    /// `[arbeidstid]`: available working time for the staffing need (WISN, indicators.md §8).
    pub arbeidstid: WorkingTimeSettings,
    /// `[[aktivitetsstandard]]`: minutes per occurrence of a task, overriding the logs.
    pub aktivitetsstandard: Vec<ActivityStandardSettings>,
    /// `[[tillegg]]`: additional activities not in the volumes (WISN IAF).
    pub tillegg: Vec<AdditionalActivitySettings>,
    /// `[[anbefaling]]`: rules that raise candidate recommendations (report §9).
    pub anbefaling: Vec<RuleSettings>,
}

/// `[arbeidstid]`: what an FTE's year holds (indicators.md §8, available working time
/// `AWT = (A − (B + C + D + E)) × F`; A and B come from the calendar).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkingTimeSettings {
    /// Hours per week of a full-time position (F = timer_per_uke / 5 hours per day).
    pub timer_per_uke: f64,
    /// Holiday days per year (C).
    pub ferie_dager: f64,
    /// Other absence per year, in days: courses, leave, meetings outside the unit (E).
    pub andre_fravaersdager: f64,
    /// Sick leave in percent where the staffing export does not give it (D).
    pub sykefravaer_pst: f64,
}

impl Default for WorkingTimeSettings {
    fn default() -> Self {
        WorkingTimeSettings {
            timer_per_uke: 37.5,
            ferie_dager: 25.0,
            andre_fravaersdager: 5.0,
            sykefravaer_pst: 7.0,
        }
    }
}

/// `[[aktivitetsstandard]]`: the time one occurrence of a task takes, used instead of the
/// mean of the logs' `før` rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityStandardSettings {
    /// Task id (`oppgaver.csv`).
    pub oppgave: String,
    /// Minutes per occurrence.
    pub minutter: f64,
}

/// `[[tillegg]]`: an additional activity (WISN: done by some staff, not in the volumes),
/// `IAF = timer_per_ar × personer / AWT`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdditionalActivitySettings {
    /// Health trust id.
    pub foretak: String,
    /// Unit id; without it the activity counts for the health trust as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enhet: Option<String>,
    /// Profession id.
    pub yrke: String,
    /// Hours per person per year.
    pub timer_per_ar: f64,
    /// How many persons do it.
    pub personer: f64,
    /// What it is (for the reader).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub beskrivelse: String,
}

/// Check `[arbeidstid]`, `[[aktivitetsstandard]]` and `[[tillegg]]`.
fn check_working_time(s: &Settings) -> std::result::Result<(), String> {
    let a = &s.arbeidstid;
    let range = |name: &str, v: f64, lo: f64, hi: f64| {
        if v.is_finite() && (lo..=hi).contains(&v) {
            Ok(())
        } else {
            Err(format!(
                "`arbeidstid.{name}` must be between {lo} and {hi}, found {v}"
            ))
        }
    };
    range("timer_per_uke", a.timer_per_uke, 1.0, 80.0)?;
    range("ferie_dager", a.ferie_dager, 0.0, 60.0)?;
    range("andre_fravaersdager", a.andre_fravaersdager, 0.0, 100.0)?;
    range("sykefravaer_pst", a.sykefravaer_pst, 0.0, 50.0)?;
    let mut seen = std::collections::BTreeSet::new();
    for (i, st) in s.aktivitetsstandard.iter().enumerate() {
        let at = format!("`[[aktivitetsstandard]]` {} («{}»)", i + 1, st.oppgave);
        if st.oppgave.trim().is_empty() {
            return Err(format!("{at}: `oppgave` is empty"));
        }
        if !seen.insert(st.oppgave.trim().to_lowercase()) {
            return Err(format!("{at}: the task is given twice"));
        }
        if !(st.minutter.is_finite() && st.minutter > 0.0 && st.minutter <= 1440.0) {
            return Err(format!(
                "{at}: `minutter` must be more than 0 and at most 1440, found {}",
                st.minutter
            ));
        }
    }
    for (i, t) in s.tillegg.iter().enumerate() {
        let at = format!("`[[tillegg]]` {} ({} × {})", i + 1, t.foretak, t.yrke);
        if t.foretak.trim().is_empty() || t.yrke.trim().is_empty() {
            return Err(format!("{at}: `foretak` and `yrke` must be given"));
        }
        if !(t.timer_per_ar.is_finite() && t.timer_per_ar > 0.0 && t.timer_per_ar <= 2000.0) {
            return Err(format!(
                "{at}: `timer_per_ar` must be more than 0 and at most 2000, found {}",
                t.timer_per_ar
            ));
        }
        if !(t.personer.is_finite() && t.personer >= 0.0 && t.personer <= 10_000.0) {
            return Err(format!(
                "{at}: `personer` must be between 0 and 10000, found {}",
                t.personer
            ));
        }
    }
    Ok(())
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
        SuppressionSettings {
            k: crate::indicators::suppress::DEFAULT_K,
        }
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
        if let Err(why) = crate::indicators::suppress::check_k(settings.prikking.k) {
            bail!("failed to read settings `{origin}` ({why})");
        }
        let share = settings.validering.maks_karantene_andel;
        if !(0.0..=1.0).contains(&share) {
            bail!(
                "failed to read settings `{origin}` (`validering.maks_karantene_andel` must be a share between 0 and 1, found {share})"
            );
        }
        check_working_time(&settings)
            .map_err(|e| anyhow::anyhow!("failed to read settings `{origin}` ({e})"))?;
        for (i, rule) in settings.anbefaling.iter().enumerate() {
            crate::rules::check(rule).map_err(|e| {
                anyhow::anyhow!(
                    "failed to read settings `{origin}` (`[[anbefaling]]` {} «{}»: {e})",
                    i + 1,
                    rule.tittel
                )
            })?;
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
            return Err(crate::diag::hinted(
                format!(
                    "failed to find the data folder `{}`",
                    args.data.data.display()
                ),
                "run in the project folder, pass `--data DIR`, or create one with `tsb-report sample --out data`",
            ));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_settings_round_trip_through_toml() {
        let text = toml::to_string(&Settings::default()).expect("defaults serialise");
        assert_eq!(Settings::parse(&text, "x").unwrap(), Settings::default());
    }
}
