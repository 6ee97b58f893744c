//! The validated data set: plain Rust values that `validate` produces and `indicators` reads.
//!
//! Every name in here is already resolved to a reference-table id, every number parsed,
//! every date checked. No personal data is representable: there is no field for a name, an
//! e-mail address or free text.

use chrono::NaiveDate;
pub use compact_str::CompactString as Text;

/// An interned id (of a log row): 8 bytes, copied for free, compared and ordered as its text.
/// Interned strings live as long as the process, so only ids that repeat (names, references)
/// are interned.
pub type Id = ustr::Ustr;
use serde::{Deserialize, Serialize};

/// Challenge areas of survey items (`omrade`, data-contract §6), in display order.
pub const CHALLENGE_AREAS: [&str; 9] = [
    "kapasitet",
    "rekruttering",
    "beholde",
    "oppgavedeling",
    "kompetansebruk",
    "teknologi",
    "kommune",
    "pårørende",
    "overganger",
];

/// Task areas of the task catalogue (`område`, data-contract §3), in display order.
pub const TASK_AREAS: [&str; 10] = [
    "behandling",
    "utredning",
    "medisinsk",
    "miljøterapi",
    "kommune",
    "pårørende",
    "frivillige",
    "dokumentasjon",
    "administrasjon",
    "annet",
];

/// `eierskap` of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ownership {
    /// A public health trust.
    Offentlig,
    /// A private provider with an agreement.
    Privat,
}

/// A health trust or private provider (`referanse/foretak.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Foretak {
    /// Short id, e.g. `STO`.
    pub id: String,
    /// Official name.
    pub navn: String,
    /// Public or private.
    pub eierskap: Ownership,
    /// Other spellings.
    pub alias: Vec<String>,
}

/// A unit (`referanse/enheter.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enhet {
    /// Unit id, e.g. `STO-LAR`.
    pub id: String,
    /// The health trust it belongs to.
    pub foretak_id: String,
    /// Name.
    pub navn: String,
    /// `poliklinikk`, `døgn`, `ambulant`, `avrusning`, `LAR` or `annet`.
    pub tjeneste: String,
    /// Other spellings.
    pub alias: Vec<String>,
}

/// A profession (`referanse/yrker.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Yrke {
    /// Profession id, e.g. `psykologspesialist`.
    pub id: String,
    /// Name.
    pub navn: String,
    /// STYRK-08 code, if given.
    pub styrk08: Option<String>,
    /// Competence level 1–4.
    pub niva: u8,
    /// A group new to TSB.
    pub ny_yrkesgruppe: bool,
    /// Other spellings.
    pub alias: Vec<String>,
}

/// A task (`referanse/oppgaver.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Oppgave {
    /// Task id.
    pub id: String,
    /// Name.
    pub navn: String,
    /// Task area (`område`).
    pub omrade: String,
    /// Required competence level 1–4.
    pub krever_niva: u8,
    /// Other spellings.
    pub alias: Vec<String>,
}

/// One of the four reference tables (`referanse/<stem>.csv`, data-contract §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RefTable {
    /// `foretak`: health trusts and private providers.
    Foretak,
    /// `enheter`: units.
    Enheter,
    /// `yrker`: professions.
    Yrker,
    /// `oppgaver`: tasks.
    Oppgaver,
}

impl RefTable {
    /// The four, in the order they are read (units name their health trust).
    pub const ALL: [RefTable; 4] = [
        RefTable::Foretak,
        RefTable::Enheter,
        RefTable::Yrker,
        RefTable::Oppgaver,
    ];

    /// The file's stem: `foretak`, `enheter`, `yrker`, `oppgaver`.
    pub fn stem(self) -> &'static str {
        match self {
            RefTable::Foretak => "foretak",
            RefTable::Enheter => "enheter",
            RefTable::Yrker => "yrker",
            RefTable::Oppgaver => "oppgaver",
        }
    }

    /// The table with this (lowercase) stem.
    pub fn from_stem(stem: &str) -> Option<RefTable> {
        RefTable::ALL.into_iter().find(|t| t.stem() == stem)
    }

    /// The row-error kind of a name this table does not know.
    pub fn unknown(self) -> crate::diag::Reason {
        use crate::diag::Reason;
        match self {
            RefTable::Foretak => Reason::UnknownTrust,
            RefTable::Enheter => Reason::UnknownUnit,
            RefTable::Yrker => Reason::UnknownProfession,
            RefTable::Oppgaver => Reason::UnknownTask,
        }
    }

    /// What one entry is, for messages: `health trust`, `unit`, `profession`, `task`.
    pub fn noun(self) -> &'static str {
        match self {
            RefTable::Foretak => "health trust",
            RefTable::Enheter => "unit",
            RefTable::Yrker => "profession",
            RefTable::Oppgaver => "task",
        }
    }
}

impl std::fmt::Display for RefTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.stem())
    }
}

/// The four reference tables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// Health trusts and private providers, sorted by id.
    pub foretak: Vec<Foretak>,
    /// Units, sorted by id.
    pub enheter: Vec<Enhet>,
    /// Professions, sorted by id.
    pub yrker: Vec<Yrke>,
    /// Tasks, sorted by id.
    pub oppgaver: Vec<Oppgave>,
}

impl Reference {
    /// The health trust with this id.
    pub fn foretak(&self, id: &str) -> Option<&Foretak> {
        self.foretak.iter().find(|f| f.id == id)
    }
    /// The unit with this id.
    pub fn enhet(&self, id: &str) -> Option<&Enhet> {
        self.enheter.iter().find(|e| e.id == id)
    }
    /// The profession with this id.
    pub fn yrke(&self, id: &str) -> Option<&Yrke> {
        self.yrker.iter().find(|y| y.id == id)
    }
    /// The task with this id.
    pub fn oppgave(&self, id: &str) -> Option<&Oppgave> {
        self.oppgaver.iter().find(|o| o.id == id)
    }
}

/// Where a staffing row came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum StaffingSource {
    /// An HR export under `bemanning/`.
    Hr,
    /// A unit-leader survey's `[[bemanning]]` answers.
    Survey,
}

/// One unit × profession staffing cell at a date (data-contract §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffingRow {
    /// Reference date of the snapshot.
    pub dato: NaiveDate,
    /// Health trust id.
    pub foretak_id: String,
    /// Unit id.
    pub enhet_id: String,
    /// Profession id.
    pub yrke_id: String,
    /// Budgeted FTE (`B`).
    pub budsjetterte_arsverk: f64,
    /// Filled FTE (`F`).
    pub besatte_arsverk: f64,
    /// Hired-in FTE (`I`), default 0.
    pub innleide_arsverk: f64,
    /// Open positions.
    pub ledige_stillinger: Option<f64>,
    /// Open positions older than six months.
    pub ledige_over_6_mnd: Option<f64>,
    /// Headcount.
    pub ansatte: Option<f64>,
    /// Leavers in the last 12 months.
    pub sluttet_12_mnd: Option<f64>,
    /// Sick leave in percent (0–100).
    pub sykefravaer_pst: Option<f64>,
    /// HR export or unit-leader survey.
    pub kilde: StaffingSource,
}

/// A pilot phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Fase {
    /// Before the pilot (`før`).
    #[serde(rename = "før")]
    For,
    /// During the pilot (`pilot`).
    #[serde(rename = "pilot")]
    Pilot,
}

impl Fase {
    /// The phase's name in the data contract.
    pub fn as_str(self) -> &'static str {
        match self {
            Fase::For => "før",
            Fase::Pilot => "pilot",
        }
    }
}

/// One period of a pilot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Periode {
    /// Which phase.
    pub fase: Fase,
    /// First day.
    pub fra: NaiveDate,
    /// Last day (inclusive).
    pub til: NaiveDate,
}

/// One step of a pilot's mapped workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arbeidsflyt {
    /// What the step is.
    pub steg: String,
    /// Task id, if given.
    pub oppgave: Option<String>,
    /// Profession id doing it before the pilot.
    pub fra: Option<String>,
    /// Profession id doing it in the pilot.
    pub til: Option<String>,
}

/// A pilot (`piloter/<id>/pilot.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pilot {
    /// Pilot id, the folder name.
    pub id: String,
    /// Display name.
    pub navn: String,
    /// What the pilot changes.
    pub beskrivelse: String,
    /// Health trust ids.
    pub foretak: Vec<String>,
    /// Unit ids.
    pub enheter: Vec<String>,
    /// Profession ids whose role changes.
    pub nye_roller: Vec<String>,
    /// One period per phase, `før` first.
    pub perioder: Vec<Periode>,
    /// The mapped workflow.
    pub arbeidsflyt: Vec<Arbeidsflyt>,
}

impl Pilot {
    /// The phase a date falls in, if any.
    pub fn fase_of(&self, dato: NaiveDate) -> Option<Fase> {
        self.perioder
            .iter()
            .find(|p| p.fra <= dato && dato <= p.til)
            .map(|p| p.fase)
    }
}

/// One logged activity (data-contract §4), resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRow {
    /// Pilot id.
    pub pilot_id: Id,
    /// Day of the activity.
    pub dato: NaiveDate,
    /// Phase, derived or checked.
    pub fase: Fase,
    /// Health trust id.
    pub foretak_id: Id,
    /// Unit id.
    pub enhet_id: Id,
    /// Performer's profession id.
    pub yrke_id: Id,
    /// Task id.
    pub oppgave_id: Id,
    /// Minutes, in (0, 720].
    pub minutter: f64,
    /// Pseudonymous patient reference.
    pub pasient: Option<Id>,
    /// Pseudonymous staff reference.
    pub utfort_av: Option<Id>,
}

/// `type` of a survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SurveyType {
    /// Staff survey.
    Ansatt,
    /// Unit-leader survey.
    Enhet,
}

/// One answered Likert item, already on the challenge scale (higher = bigger challenge).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemScore {
    /// Challenge area (interned: a survey round holds an answer per item per respondent).
    pub omrade: Id,
    /// Score 1–5 after reversing `positiv` items.
    pub score: f64,
}

/// One survey submission, resolved; no personal data and no free text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Respondent {
    /// Survey key: the export's file stem.
    pub undersokelse: String,
    /// Staff or unit-leader survey.
    pub survey_type: SurveyType,
    /// Submission id within the survey.
    pub respondent: String,
    /// Health trust id.
    pub foretak_id: String,
    /// Unit id.
    pub enhet_id: String,
    /// Profession id, where the survey asks.
    pub yrke_id: Option<String>,
    /// Answered Likert items (missing answers are simply absent).
    pub scores: Vec<ItemScore>,
    /// Self-reported share of time on tasks others could do, as a fraction.
    pub tid_andre_kunne_gjort: Option<f64>,
    /// Considering leaving within a year.
    pub vurderer_a_slutte: Option<bool>,
}

/// Everything the indicators are computed from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Reference tables.
    pub reference: Reference,
    /// Staffing cells, all snapshots.
    pub staffing: Vec<StaffingRow>,
    /// Pilots, sorted by id.
    pub pilots: Vec<Pilot>,
    /// Activity log rows.
    pub logs: Vec<LogRow>,
    /// Survey submissions.
    pub respondents: Vec<Respondent>,
    /// Each used survey export's series and round (data-contract §6.2), sorted by survey key.
    #[serde(default)]
    pub survey_rounds: Vec<SurveyRound>,
    /// Annual activity volumes (`aktivitet/`, data-contract §5.1).
    #[serde(default)]
    pub activity: Vec<ActivityRow>,
}

/// One survey export as a round of a series (data-contract §6.2).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SurveyRound {
    /// Survey key: the export's file stem.
    pub undersokelse: String,
    /// The series it belongs to.
    pub serie: String,
    /// The round's date.
    pub runde: NaiveDate,
    /// Staff or unit-leader survey.
    pub survey_type: SurveyType,
}

/// One annual activity volume (data-contract §5.1), resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityRow {
    /// The year the count covers.
    pub ar: i32,
    /// Health trust id.
    pub foretak_id: String,
    /// Unit id.
    pub enhet_id: String,
    /// Task id.
    pub oppgave_id: String,
    /// Occurrences in that year.
    pub antall: f64,
    /// The file it came from (as shown in messages).
    pub fil: String,
}

/// What happened to one input file: the row accounting of data-contract §8 and its hash.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputFile {
    /// Path under the data folder, `/`-separated: `piloter/lar/uke12.csv`.
    pub path: String,
    /// File kind: `referanse`, `bemanning`, `logg`, `pilot`, `undersøkelse`, `kodebok`, `annet`.
    pub kind: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    /// `brukt` (used), `hoppet over` (skipped duplicate) or `avvist` (file error).
    pub status: String,
    /// Data rows read (after dropping blank lines and a declared total row).
    pub rows_read: u64,
    /// Rows used.
    pub rows_used: u64,
    /// Rows quarantined.
    pub rows_quarantined: u64,
    /// Quarantine reasons with counts, sorted by reason.
    pub reasons: Vec<(String, u64)>,
    /// Warnings about this file.
    pub warnings: Vec<String>,
}
