//! `tsb-report init DIR`: a new report project that builds out of the box.
//!
//! Writes the data folders with the region's reference tables, `tsb-report.toml` with every
//! setting at its default (commented), the built-in templates to edit, and examples of a
//! codebook and a `pilot.toml` beside the data folder (inside it they would be read as data).

use std::path::Path;

use anyhow::{Result, bail};

use crate::fsx;

/// The settings file `init` writes: every key at its default, with what it does.
pub const SETTINGS_TEMPLATE: &str = r#"# tsb-report settings. Keys are ASCII (TOML bare keys); values can hold any text.

[rapport]
tittel = "Riktig person til riktig oppgave til riktig tid i TSB"
undertittel = "Sluttrapport fra prosjektet i Helse Midt-Norge"
fra = "Prosjektsekretariatet"

[prikking]
# Cells built from fewer than k respondents (or k distinct staff in logs) are suppressed.
# May be raised, never set below 3.
k = 5

[validering]
# A file with more quarantined rows than this share (and at least 3) is refused.
maks_karantene_andel = 0.05

# Staffing need (WHO WISN, chapter 5): the working time an FTE has in a year.
# Available hours = (weekdays − public holidays on weekdays − ferie_dager − sick-leave days
# − andre_fravaersdager) × timer_per_uke / 5. Weekdays and holidays come from the calendar
# of the activity year; sick leave from the staffing exports (foretak × yrke), else
# sykefravaer_pst below.
[arbeidstid]
timer_per_uke = 37.5
ferie_dager = 25
andre_fravaersdager = 5
sykefravaer_pst = 7.0

# Minutes one occurrence of a task takes, where the pilots' `før` logs should not decide
# (the default is the mean of the task's `før` log rows). One block per task:
# [[aktivitetsstandard]]
# oppgave = "spesialistvurdering"     # a task id of referanse/oppgaver.csv
# minutter = 90

# Additional activities that the activity volumes do not count (teaching, supervision,
# committee work): hours per person per year and how many persons do it. Without `enhet`
# it counts for the health trust as a whole.
[[tillegg]]
foretak = "STO"
yrke = "legespesialist"
timer_per_ar = 80
personer = 4
beskrivelse = "Veiledning av leger i spesialisering (LIS)"

# Candidate recommendations (chapter 9 of the report). A rule is raised when every condition
# holds on a published (not suppressed) value; `{navn}` in `tekst` prints that condition's
# value the way the report does (12,3 %, 8,3). Each condition names one indicator cell:
#   indikator, gruppering   an indicator id and a grouping from Vedlegg A / the export
#   foretak_id, enhet_id, yrke_id, kompetanseniva, pilot_id, fase (før, pilot, endring),
#   omrade, undersokelse    the cell's keys (survey indicators need undersokelse, the
#                           export file's name without extension: ansattundersokelse-2026)
#   over, under, minst, hoyst   thresholds; shares as fractions (0.15 is 15 %)

[[anbefaling]]
tittel = "Spre sykepleierkoordinert LAR-oppfølging"
tekst = "Vakansgraden for legespesialister er {vakansgrad}, og LAR-piloten frigjorde {frigjort} timer spesialisttid per uke per spesialistårsverk. Modellen bør vurderes spredt til flere LAR-enheter."

[[anbefaling.vilkar]]
navn = "vakansgrad"
indikator = "vakansgrad"
gruppering = "yrke"
yrke_id = "legespesialist"
over = 0.15

[[anbefaling.vilkar]]
navn = "frigjort"
indikator = "frigjort_spesialisttid"
gruppering = "pilot"
pilot_id = "lar-sykepleier"
fase = "endring"
over = 2.0

[[anbefaling]]
tittel = "Spre erfaringskonsulenter i poliklinikk"
tekst = "Vakansgraden for psykologspesialister er {vakansgrad}, og piloten med erfaringskonsulenter frigjorde {frigjort} timer spesialisttid per uke per spesialistårsverk."

[[anbefaling.vilkar]]
navn = "vakansgrad"
indikator = "vakansgrad"
gruppering = "yrke"
yrke_id = "psykologspesialist"
over = 0.15

[[anbefaling.vilkar]]
navn = "frigjort"
indikator = "frigjort_spesialisttid"
gruppering = "pilot"
pilot_id = "erfaringskonsulent-poliklinikk"
fase = "endring"
over = 2.0

[[anbefaling]]
tittel = "Spre LAR-modellen til alle LAR-enheter i regionen"
tekst = "Spredt til alle LAR-enheter vil sykepleierkoordinert LAR-oppfølging frigjøre {frigjort} spesialistårsverk, {dekket} av spesialistvakansen i regionen."

[[anbefaling.vilkar]]
navn = "frigjort"
indikator = "frigjorte_spesialistarsverk"
gruppering = "pilot"
pilot_id = "lar-sykepleier"
fase = "endring"
over = 0.5

[[anbefaling.vilkar]]
navn = "dekket"
indikator = "vakanse_dekket_andel"
gruppering = "pilot"
pilot_id = "lar-sykepleier"
fase = "pilot"
minst = 0.05
"#;

const EXAMPLE_CODEBOOK: &str = r#"# Example codebook: copy it beside a survey export as <export name>.kodebok.toml
# (for instance data/undersokelser/ansattundersokelse-2026.kodebok.toml) and edit the column names.
type = "ansatt"                  # "ansatt" (staff survey) or "enhet" (unit-leader survey)
respondent = "NR"
innsendt = "Opprettet"
foretak = "Hvilket helseforetak jobber du i?"
enhet = "Enhet"
yrke = "Yrkesgruppe"
personkolonner = ["E-post", "E-postadresse", "Navn"]

[svarskala]
"Helt uenig" = 1
"Uenig" = 2
"Verken enig eller uenig" = 3
"Enig" = 4
"Helt enig" = 5
"Vet ikke" = "mangler"

[[sporsmal]]
kolonne = "Vi har nok ansatte til å gi pasientene et forsvarlig tilbud"
omrade = "kapasitet"
retning = "positiv"

[[sporsmal]]
kolonne = "Vurderer du å slutte i løpet av det neste året?"
maal = "vurderer_å_slutte"
"#;

const EXAMPLE_PILOT: &str = r#"# Example pilot description: copy it to data/piloter/<pilot-id>/pilot.toml and put the
# pilot's activity logs (CSV or XLSX) in the same folder.
id = "lar-sykepleier"
navn = "Sykepleierkoordinert LAR-oppfølging"
beskrivelse = "Sykepleiere overtar oppfølgingen av LAR-pasienter mellom legekonsultasjonene."
foretak = ["STO"]
enheter = ["STO-LAR"]
nye_roller = ["sykepleier"]

[[periode]]
fase = "før"
fra = 2025-01-06
til = 2025-03-02

[[periode]]
fase = "pilot"
fra = 2025-03-03
til = 2025-06-29

[[arbeidsflyt]]
steg = "Oppfølging av LAR-pasient mellom konsultasjoner"
oppgave = "lar"
fra = "legespesialist"
til = "sykepleier"
"#;

/// Create a report project in `dir` (which must be absent or empty).
pub fn init(dir: &Path) -> Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!(
            "failed to create a project in `{}` (the folder is not empty)",
            dir.display()
        );
    }
    let data = dir.join("data");
    crate::sample::reference::write(&data)?;
    for sub in ["bemanning", "aktivitet", "undersokelser", "piloter"] {
        fsx::create_dir_all(&data.join(sub))?;
    }
    fsx::write(&dir.join("tsb-report.toml"), SETTINGS_TEMPLATE)?;
    fsx::write(
        &dir.join("eksempler/ansattundersokelse.kodebok.toml"),
        EXAMPLE_CODEBOOK,
    )?;
    fsx::write(&dir.join("eksempler/pilot.toml"), EXAMPLE_PILOT)?;
    fsx::write(&dir.join(".gitignore"), "/output\n")?;
    for (name, text) in crate::render::builtin_templates() {
        fsx::write(&dir.join("report-templates").join(name), text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn the_settings_template_parses_to_the_defaults_plus_example_rules_and_one_addition() {
        let mut parsed = Settings::parse(SETTINGS_TEMPLATE, "tsb-report.toml").unwrap();
        let rules = std::mem::take(&mut parsed.anbefaling);
        let tillegg = std::mem::take(&mut parsed.tillegg);
        assert_eq!(parsed, Settings::default());
        assert_eq!(rules.len(), 3);
        assert!(rules.iter().all(|r| r.vilkar.len() == 2));
        assert_eq!(tillegg.len(), 1);
    }

    #[test]
    fn the_repository_settings_file_is_the_template() {
        assert_eq!(
            include_str!("../tsb-report.toml"),
            SETTINGS_TEMPLATE,
            "keep tsb-report.toml at the repository root equal to SETTINGS_TEMPLATE"
        );
    }

    #[test]
    fn the_settings_file_rejects_unknown_keys_and_k_below_3() {
        let err = Settings::parse("[prikking]\nk = 2\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("never be below 3"), "{err}");
        let err = format!(
            "{:#}",
            Settings::parse("[rapport]\ntitel = \"x\"\n", "x.toml").unwrap_err()
        );
        assert!(err.contains("unknown field `titel`"), "{err}");
    }
}
