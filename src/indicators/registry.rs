//! The one registry of indicator definitions: the definitions appendix and the exports
//! read it, so no definition is written twice.

/// One indicator's definition (indicators.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndicatorDef {
    /// Id used in templates, exports and the appendix.
    pub id: &'static str,
    /// Norwegian name.
    pub navn: &'static str,
    /// The formula in Norwegian.
    pub formel: &'static str,
    /// `andel`, `årsverk`, `timer_per_uke`, `minutter`, `skår` or `antall`.
    pub maleenhet: &'static str,
    /// Groupings it is computed at (values of the export's `gruppering`).
    pub grupperinger: &'static [&'static str],
    /// Section of indicators.md and the data it comes from.
    pub kilde: &'static str,
    /// Whether it appears in the export (`topp_utfordringer` is presentation only).
    pub eksporteres: bool,
}

const STAFF_ALL: &[&str] = &["region", "foretak", "enhet", "foretak_yrke"];
const STAFF_CAP: &[&str] = &[
    "region",
    "foretak",
    "enhet",
    "foretak_yrke",
    "yrke",
    "kompetansenivå",
];
const PILOT: &[&str] = &["pilot", "pilot_foretak"];
const AREA: &[&str] = &["region", "foretak", "enhet", "yrke"];
const S1: &str = "§1 Kapasitet og vakanser (bemanning)";
const S2: &str = "§2 Oppgavedeling (aktivitetslogger)";
const S3: &str = "§3 Samhandling og involvering (aktivitetslogger med pasient)";
const S4: &str = "§4 Utfordringsområder (spørreundersøkelser)";
const S8: &str =
    "§8 Bemanningsbehov (WISN) og effekten av oppgavedeling (aktivitetsvolum, logger, bemanning)";
const WISN: &[&str] = &[
    "enhet_yrke",
    "foretak_yrke",
    "foretak_kompetansenivå",
    "kompetansenivå",
];

macro_rules! def {
    ($id:expr, $navn:expr, $formel:expr, $enhet:expr, $grp:expr, $kilde:expr) => {
        IndicatorDef {
            id: $id,
            navn: $navn,
            formel: $formel,
            maleenhet: $enhet,
            grupperinger: $grp,
            kilde: $kilde,
            eksporteres: true,
        }
    };
}

static REGISTRY: &[IndicatorDef] = &[
    def!(
        "budsjetterte_arsverk",
        "Budsjetterte årsverk",
        "Σ budsjetterte årsverk (B) i hver enhet × yrke ved siste registrering",
        "årsverk",
        STAFF_CAP,
        S1
    ),
    def!(
        "besatte_arsverk",
        "Besatte årsverk",
        "Σ besatte årsverk (F) ved siste registrering",
        "årsverk",
        STAFF_CAP,
        S1
    ),
    def!(
        "bemanningsgrad",
        "Bemanningsgrad",
        "Σ F / Σ B",
        "andel",
        STAFF_ALL,
        S1
    ),
    def!(
        "ledige_arsverk",
        "Ledige årsverk",
        "Σ maks(B − F, 0), celle for celle: overbemanning i én celle skjuler aldri en vakanse i en annen",
        "årsverk",
        STAFF_CAP,
        S1
    ),
    def!(
        "vakansgrad",
        "Vakansgrad",
        "ledige årsverk / Σ B",
        "andel",
        STAFF_CAP,
        S1
    ),
    def!(
        "langtidsledige_andel",
        "Andel stillinger ledige > 6 mnd",
        "Σ ledige over 6 mnd / Σ ledige stillinger, over celler der begge er kjent",
        "andel",
        STAFF_ALL,
        S1
    ),
    def!(
        "innleieandel",
        "Innleieandel",
        "Σ innleide årsverk (I) / (Σ F + Σ I)",
        "andel",
        STAFF_ALL,
        S1
    ),
    def!(
        "spesialistandel",
        "Spesialistandel",
        "Σ F for yrker på kompetansenivå 4 / Σ F",
        "andel",
        STAFF_ALL,
        S1
    ),
    def!(
        "turnover",
        "Turnover",
        "Σ sluttet siste 12 mnd / Σ ansatte, over celler der begge er kjent",
        "andel",
        STAFF_ALL,
        S1
    ),
    def!(
        "sykefravaer",
        "Sykefravær",
        "Σ (sykefravær i prosent / 100 × F) / Σ F, over celler der sykefraværet er kjent",
        "andel",
        STAFF_ALL,
        S1
    ),
    def!(
        "riktig_niva_andel",
        "Riktig person til riktig oppgave",
        "Σ minutter der utførers nivå = oppgavens krav / Σ minutter",
        "andel",
        PILOT,
        S2
    ),
    def!(
        "overkvalifisert_andel",
        "Oppgaver løst over nødvendig nivå",
        "Σ minutter der utførers nivå > oppgavens krav / Σ minutter",
        "andel",
        PILOT,
        S2
    ),
    def!(
        "underkvalifisert_andel",
        "Oppgaver løst under nødvendig nivå (risiko)",
        "Σ minutter der utførers nivå < oppgavens krav / Σ minutter",
        "andel",
        PILOT,
        S2
    ),
    def!(
        "spesialisttid_delegerbar_andel",
        "Spesialisttid på oppgaver andre kan gjøre",
        "Σ minutter der utfører er spesialist (nivå 4) og oppgaven krever nivå < 4 / Σ minutter utført av spesialister",
        "andel",
        PILOT,
        S2
    ),
    def!(
        "frigjort_spesialisttid",
        "Frigjort spesialisttid",
        "(S før − S pilot) × 37,5 timer per uke per spesialistårsverk, der S = spesialisttid på oppgaver andre kan gjøre",
        "timer_per_uke",
        &["pilot"],
        S2
    ),
    def!(
        "ny_yrkesgruppe_andel",
        "Andel av tiden utført av nye yrkesgrupper",
        "Σ minutter utført av yrker markert som ny yrkesgruppe / Σ minutter",
        "andel",
        PILOT,
        S2
    ),
    def!(
        "minutter_per_omrade",
        "Tidsbruk per område",
        "Σ minutter per oppgaveområde, per fase, og per utførers kompetansenivå",
        "minutter",
        &["pilot_område", "pilot_område_kompetansenivå"],
        S2
    ),
    def!(
        "kommunesamarbeid_andel",
        "Pasienter med samarbeid med kommunen om bolig/økonomi",
        "pasienter med minst én oppgave i området kommune / pasienter med minst én logget aktivitet",
        "andel",
        PILOT,
        S3
    ),
    def!(
        "parorende_andel",
        "Pasienter med pårørendeinvolvering",
        "pasienter med minst én oppgave i området pårørende / pasienter med minst én logget aktivitet",
        "andel",
        PILOT,
        S3
    ),
    def!(
        "frivillige_andel",
        "Pasienter med involvering av frivillige",
        "pasienter med minst én oppgave i området frivillige / pasienter med minst én logget aktivitet",
        "andel",
        PILOT,
        S3
    ),
    def!(
        "utfordring_score",
        "Utfordringsskår",
        "gjennomsnitt av respondentens skårer (1–5, positive utsagn snudd: 6 − x) i området, deretter gjennomsnitt over respondenter med minst ett besvart utsagn i området",
        "skår",
        AREA,
        S4
    ),
    def!(
        "utfordring_andel",
        "Andel som opplever området som en utfordring",
        "andel respondenter med områdeskår ≥ 4",
        "andel",
        AREA,
        S4
    ),
    IndicatorDef {
        id: "topp_utfordringer",
        navn: "De største utfordringene",
        formel: "per enhet de tre publiserte områdene med høyest utfordringsskår",
        maleenhet: "skår",
        grupperinger: &["enhet"],
        kilde: S4,
        eksporteres: false,
    },
    def!(
        "tid_andre_kunne_gjort",
        "Tid på oppgaver andre kunne gjort",
        "gjennomsnitt av oppgitt andel av arbeidstiden på oppgaver andre kunne gjort",
        "andel",
        &["region", "yrke", "foretak", "foretak_yrke"],
        S4
    ),
    def!(
        "vurderer_a_slutte_andel",
        "Vurderer å slutte",
        "andel som svarer ja på at de vurderer å slutte i løpet av det neste året",
        "andel",
        AREA,
        S4
    ),
    def!(
        "antall_svar",
        "Antall svar",
        "antall besvarelser i undersøkelsesrunden",
        "antall",
        &["region"],
        S4
    ),
    def!(
        "utfordring_score_endring",
        "Endring i utfordringsskår siden forrige runde",
        "utfordringsskår i siste runde − utfordringsskår i forrige runde av samme undersøkelsesserie; 95 % intervall fra bootstrap over respondenter i hver runde (2 000 trekk)",
        "skår",
        AREA,
        S4
    ),
    def!(
        "vurderer_a_slutte_endring",
        "Endring i andel som vurderer å slutte",
        "andel som vurderer å slutte i siste runde − i forrige runde av samme serie (prosentpoeng); 95 % intervall fra bootstrap over respondenter i hver runde (2 000 trekk)",
        "andel",
        AREA,
        S4
    ),
    def!(
        "svarprosent",
        "Svarprosent",
        "respondenter / ansatte (nåværende antall) i samme gruppering, for ansattundersøkelser der antall ansatte er kjent; over 100 % tyder på feil i dataene",
        "andel",
        &["region", "foretak", "enhet"],
        S4
    ),
    def!(
        "wisn_arsverk",
        "Besatte og innleide årsverk (WISN)",
        "Σ (besatte + innleide årsverk) ved siste registrering, i enheter med aktivitetstall",
        "årsverk",
        WISN,
        S8
    ),
    def!(
        "wisn_behov",
        "Bemanningsbehov (WISN)",
        "R = Σ oppgaver V · T / 60 · s / AWT × CAF + IAF årsverk, der V = årlig volum, T = minutter per gang (snitt av førperiodens logger eller [[aktivitetsstandard]]), s = yrkets andel av oppgavens førminutter i enheter av samme tjeneste, AWT = (virkedager − helligdager på virkedager − ferie − sykefravær − annet fravær) × timer per dag, CAF = 1 / (1 − andel støttearbeid), IAF = [[tillegg]] timer × personer / AWT; over enheter med aktivitetstall",
        "årsverk",
        WISN,
        S8
    ),
    def!(
        "wisn_differanse",
        "Differanse mot besatte årsverk",
        "besatte + innleide årsverk − bemanningsbehov (negativ: underdekning)",
        "årsverk",
        WISN,
        S8
    ),
    def!(
        "wisn_ratio",
        "WISN-ratio",
        "(besatte + innleide årsverk) / bemanningsbehov (under 1: mer arbeid enn bemanning)",
        "forhold",
        WISN,
        S8
    ),
    def!(
        "wisn_behov_etter_oppgavedeling",
        "Behov med pilotens oppgavedeling spredt",
        "R′: som bemanningsbehovet, men med pilotens endring i hvem som gjør hva (pilotperiodens andeler minus førperiodens, for oppgavene piloten logget i begge perioder) lagt til fordelingen i alle enheter med samme tjeneste som pilotens enheter",
        "årsverk",
        &["pilot_foretak_kompetansenivå", "pilot_kompetansenivå"],
        S8
    ),
    def!(
        "frigjorte_spesialistarsverk",
        "Frigjorte spesialistårsverk",
        "Σ over yrker på nivå 4 av R − R′, med 95 % konfidensintervall fra bootstrap over dager (enhet, dato) i hver fase",
        "årsverk",
        PILOT,
        S8
    ),
    def!(
        "vakanse_dekket_andel",
        "Andel av spesialistvakansen som dekkes",
        "frigjorte spesialistårsverk / ledige årsverk på nivå 4 (fase pilot: med pilotens oppgavedeling spredt), med intervallet til de frigjorte årsverkene delt på det samme",
        "andel",
        PILOT,
        S8
    ),
];

/// Every indicator definition, in the order of indicators.md.
pub fn registry() -> &'static [IndicatorDef] {
    REGISTRY
}

/// The definition of `id`.
pub fn def(id: &str) -> Option<&'static IndicatorDef> {
    REGISTRY.iter().find(|d| d.id == id)
}
