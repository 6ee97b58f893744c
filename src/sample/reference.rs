//! The reference tables (`referanse/`) and the fixed facts the rest of the generator builds on.

use std::path::Path;

use super::out::{Enc, TableWriter};

/// A provider.
pub struct Foretak {
    /// Id.
    pub id: &'static str,
    /// Official name.
    pub navn: &'static str,
    /// `offentlig` or `privat`.
    pub eierskap: &'static str,
    /// Aliases.
    pub alias: &'static [&'static str],
}

/// A unit, with the size that drives staffing and survey counts.
pub struct Enhet {
    /// Id.
    pub id: &'static str,
    /// Provider id.
    pub foretak: &'static str,
    /// Name.
    pub navn: &'static str,
    /// Service type.
    pub tjeneste: &'static str,
    /// Aliases.
    pub alias: &'static [&'static str],
    /// Size multiplier of the service type's staffing profile.
    pub size: f64,
    /// A small unit: fewer than five survey respondents at scale 1.
    pub small: bool,
}

/// A profession.
pub struct Yrke {
    /// Id.
    pub id: &'static str,
    /// Name.
    pub navn: &'static str,
    /// STYRK-08 code, empty if not given.
    pub styrk08: &'static str,
    /// Competence level.
    pub niva: u8,
    /// New to TSB.
    pub ny: bool,
    /// Aliases.
    pub alias: &'static [&'static str],
}

/// A task.
pub struct Oppgave {
    /// Id.
    pub id: &'static str,
    /// Name.
    pub navn: &'static str,
    /// Area.
    pub omrade: &'static str,
    /// Required level.
    pub krever: u8,
    /// Aliases.
    pub alias: &'static [&'static str],
}

/// The five providers.
pub const FORETAK: &[Foretak] = &[
    Foretak {
        id: "BKL",
        navn: "Blå Kors Lade",
        eierskap: "privat",
        alias: &[
            "Blå Kors",
            "Lade behandlingssenter",
            "Blå Kors Lade behandlingssenter",
        ],
    },
    Foretak {
        id: "HMR",
        navn: "Helse Møre og Romsdal HF",
        eierskap: "offentlig",
        alias: &["Helse Møre og Romsdal", "Helse MR"],
    },
    Foretak {
        id: "HNT",
        navn: "Helse Nord-Trøndelag HF",
        eierskap: "offentlig",
        alias: &["Helse Nord-Trøndelag", "HNT HF"],
    },
    Foretak {
        id: "STO",
        navn: "St. Olavs hospital HF",
        eierskap: "offentlig",
        alias: &[
            "St. Olavs hospital",
            "St. Olav",
            "St Olavs hospital",
            "St. Olavs Hospital HF",
        ],
    },
    Foretak {
        id: "TYR",
        navn: "Tyrilistiftelsen",
        eierskap: "privat",
        alias: &["Tyrili", "Stiftelsen Tyrili"],
    },
];

macro_rules! enhet {
    ($id:expr, $f:expr, $navn:expr, $tj:expr, [$($a:expr),*], $size:expr, $small:expr) => {
        Enhet { id: $id, foretak: $f, navn: $navn, tjeneste: $tj, alias: &[$($a),*], size: $size, small: $small }
    };
}

/// The units, sorted by id.
pub const ENHETER: &[Enhet] = &[
    enhet!(
        "BKL-DGN",
        "BKL",
        "Lade døgnbehandling",
        "døgn",
        ["Døgn Lade", "Lade døgn"],
        1.6,
        false
    ),
    enhet!(
        "BKL-FAM",
        "BKL",
        "Familieenheten Lade",
        "døgn",
        ["Familieavdelingen Lade"],
        0.35,
        true
    ),
    enhet!(
        "BKL-POL",
        "BKL",
        "Lade poliklinikk",
        "poliklinikk",
        ["Poliklinikken Lade"],
        0.9,
        false
    ),
    enhet!(
        "HMR-AMB",
        "HMR",
        "Ambulant rusteam Molde",
        "ambulant",
        ["Rusteam Molde", "ACT Molde"],
        1.2,
        false
    ),
    enhet!(
        "HMR-AVR",
        "HMR",
        "Avrusning Ålesund",
        "avrusning",
        ["Avrusningsenheten Ålesund", "Avrusing Ålesund"],
        1.3,
        false
    ),
    enhet!(
        "HMR-DGN-HUS",
        "HMR",
        "Rusbehandling døgn Hustad",
        "døgn",
        ["Hustad døgn", "Hustad behandlingssenter"],
        1.8,
        false
    ),
    enhet!(
        "HMR-LAR",
        "HMR",
        "LAR Møre og Romsdal",
        "LAR",
        ["LAR-poliklinikken Møre og Romsdal", "LAR MR"],
        1.7,
        false
    ),
    enhet!(
        "HMR-POL-ALE",
        "HMR",
        "Poliklinikk rus Ålesund",
        "poliklinikk",
        ["Ruspoliklinikken Ålesund", "Rus-pol Ålesund"],
        2.0,
        false
    ),
    enhet!(
        "HMR-POL-KSU",
        "HMR",
        "Poliklinikk rus Kristiansund",
        "poliklinikk",
        ["Ruspoliklinikken Kristiansund", "Rus-pol Kristiansund"],
        1.3,
        false
    ),
    enhet!(
        "HMR-POL-MOL",
        "HMR",
        "Poliklinikk rus Molde",
        "poliklinikk",
        ["Ruspoliklinikken Molde", "Rus-pol Molde"],
        1.8,
        false
    ),
    enhet!(
        "HMR-POL-VOL",
        "HMR",
        "Poliklinikk rus Volda",
        "poliklinikk",
        ["Ruspoliklinikken Volda", "Rus-pol Volda"],
        0.9,
        false
    ),
    enhet!(
        "HNT-AMB",
        "HNT",
        "Ambulant team rus Namsos",
        "ambulant",
        ["Rusteam Namsos", "Ambulant team Namsos"],
        1.1,
        false
    ),
    enhet!(
        "HNT-AVR",
        "HNT",
        "Avrusning Levanger",
        "avrusning",
        ["Avrusningsenheten Levanger"],
        0.8,
        false
    ),
    enhet!(
        "HNT-DGN",
        "HNT",
        "Døgnenhet rus Levanger",
        "døgn",
        ["Rusbehandling døgn Levanger", "Døgn rus Levanger"],
        0.3,
        true
    ),
    enhet!(
        "HNT-LAR",
        "HNT",
        "LAR Nord-Trøndelag",
        "LAR",
        ["LAR-poliklinikken Nord-Trøndelag", "LAR NT"],
        1.2,
        false
    ),
    enhet!(
        "HNT-POL-LEV",
        "HNT",
        "Poliklinikk rus Levanger",
        "poliklinikk",
        ["Ruspoliklinikken Levanger", "Rus-pol Levanger"],
        1.9,
        false
    ),
    enhet!(
        "HNT-POL-NAM",
        "HNT",
        "Poliklinikk rus Namsos",
        "poliklinikk",
        ["Ruspoliklinikken Namsos", "Rus-pol Namsos"],
        1.2,
        false
    ),
    enhet!(
        "STO-AKU",
        "STO",
        "Rusakutten Trondheim",
        "avrusning",
        ["Rusakutt", "Akutt rus Trondheim"],
        1.5,
        false
    ),
    enhet!(
        "STO-AMB",
        "STO",
        "Ambulant rusteam Trondheim",
        "ambulant",
        ["FACT rus Trondheim", "Rusteam Trondheim"],
        1.6,
        false
    ),
    enhet!(
        "STO-AVR",
        "STO",
        "Avrusning Trondheim",
        "avrusning",
        ["Avrusningsenheten Trondheim", "Avrusing Trondheim"],
        1.7,
        false
    ),
    enhet!(
        "STO-DGN-LANG",
        "STO",
        "Døgnenhet langtidsbehandling",
        "døgn",
        ["Langtidsavdelingen", "Døgn langtid Trondheim"],
        1.8,
        false
    ),
    enhet!(
        "STO-DGN-UNG",
        "STO",
        "Døgnenhet unge voksne",
        "døgn",
        ["Ungdomsenheten rus", "Døgn unge voksne"],
        1.2,
        false
    ),
    enhet!(
        "STO-LAR",
        "STO",
        "LAR Trondheim",
        "LAR",
        ["LAR-poliklinikken Trondheim", "LAR Tr.heim"],
        2.4,
        false
    ),
    enhet!(
        "STO-LAR-ORK",
        "STO",
        "LAR Orkdal",
        "LAR",
        ["LAR-poliklinikken Orkdal", "LAR Orkanger"],
        1.1,
        false
    ),
    enhet!(
        "STO-POL-ORK",
        "STO",
        "Poliklinikk rus Orkdal",
        "poliklinikk",
        ["Ruspoliklinikken Orkdal", "Rus-pol Orkdal"],
        1.1,
        false
    ),
    enhet!(
        "STO-POL-TRH",
        "STO",
        "Poliklinikk rus Trondheim",
        "poliklinikk",
        ["Ruspoliklinikken Trondheim", "Rus-pol Trondheim"],
        2.6,
        false
    ),
    enhet!(
        "TYR-AMB",
        "TYR",
        "Tyrili ambulant oppfølging",
        "ambulant",
        ["Tyrili ambulant"],
        0.35,
        true
    ),
    enhet!(
        "TYR-ANN",
        "TYR",
        "Tyrili arbeid og aktivitet",
        "annet",
        ["Tyrili arbeidstrening"],
        1.0,
        false
    ),
    enhet!(
        "TYR-DGN",
        "TYR",
        "Tyrili døgn Trondheim",
        "døgn",
        ["Tyrili Trondheim", "Tyrili døgnbehandling"],
        1.3,
        false
    ),
];

macro_rules! yrke {
    ($id:expr, $navn:expr, $styrk:expr, $niva:expr, $ny:expr, [$($a:expr),*]) => {
        Yrke { id: $id, navn: $navn, styrk08: $styrk, niva: $niva, ny: $ny, alias: &[$($a),*] }
    };
}

/// The professions, sorted by id.
pub const YRKER: &[Yrke] = &[
    yrke!(
        "barnevernspedagog",
        "Barnevernspedagog",
        "2635",
        2,
        false,
        ["Bvp"]
    ),
    yrke!(
        "erfaringskonsulent",
        "Erfaringskonsulent",
        "",
        1,
        true,
        ["Erfaringsmedarbeider", "Likeperson"]
    ),
    yrke!(
        "ernaeringsfysiolog",
        "Ernæringsfysiolog",
        "2265",
        2,
        false,
        ["Klinisk ernæringsfysiolog"]
    ),
    yrke!(
        "farmasoyt",
        "Farmasøyt",
        "2262",
        2,
        true,
        ["Provisorfarmasøyt", "Klinisk farmasøyt"]
    ),
    yrke!(
        "helsefagarbeider",
        "Helsefagarbeider",
        "5321",
        1,
        false,
        ["Hjelpepleier", "Helsefagarbeidar"]
    ),
    yrke!(
        "jobbspesialist",
        "Jobbspesialist",
        "",
        2,
        true,
        ["IPS-jobbspesialist", "Jobbkonsulent"]
    ),
    yrke!(
        "klinisk_sosionom",
        "Klinisk sosionom",
        "2635",
        3,
        false,
        ["Spesialist i klinisk sosialt arbeid"]
    ),
    yrke!(
        "lege",
        "Lege",
        "2211",
        3,
        false,
        ["LIS", "Lege i spesialisering"]
    ),
    yrke!(
        "legespesialist",
        "Legespesialist",
        "2212",
        4,
        false,
        ["Overlege", "Spesialist i rus- og avhengighetsmedisin"]
    ),
    yrke!(
        "merkantil",
        "Merkantil",
        "4110",
        1,
        false,
        ["Sekretær", "Kontormedarbeider"]
    ),
    yrke!(
        "miljoarbeider",
        "Miljøarbeider",
        "",
        1,
        false,
        ["Miljøarbeidar", "Miljøassistent"]
    ),
    yrke!(
        "psykolog",
        "Psykolog",
        "2634",
        3,
        false,
        ["Psykolog uten spesialisering"]
    ),
    yrke!(
        "psykologspesialist",
        "Psykologspesialist",
        "2634",
        4,
        false,
        ["Spesialist i klinisk psykologi"]
    ),
    yrke!("sosionom", "Sosionom", "2635", 2, false, ["Sosialarbeider"]),
    yrke!(
        "spesialsykepleier",
        "Spesialsykepleier",
        "2221",
        3,
        false,
        ["Spesialsykepleiar", "Spes.spl."]
    ),
    yrke!(
        "sykepleier",
        "Sykepleier",
        "2223",
        2,
        false,
        ["Sykepleiar", "Spl."]
    ),
    yrke!("vernepleier", "Vernepleier", "", 2, false, ["Vernepleiar"]),
];

macro_rules! oppg {
    ($id:expr, $navn:expr, $omr:expr, $krever:expr, [$($a:expr),*]) => {
        Oppgave { id: $id, navn: $navn, omrade: $omr, krever: $krever, alias: &[$($a),*] }
    };
}

/// The task catalogue, sorted by id.
pub const OPPGAVER: &[Oppgave] = &[
    oppg!(
        "aktivitet",
        "Aktivitet og hverdagsmestring",
        "miljøterapi",
        1,
        ["Aktivitetsgruppe"]
    ),
    oppg!("annet", "Annet", "annet", 1, ["Diverse"]),
    oppg!(
        "bolig_okonomi",
        "Samarbeid med kommunen om bolig og økonomi",
        "kommune",
        2,
        ["Bolig og økonomi", "Boligoppfølging"]
    ),
    oppg!(
        "epikrise",
        "Epikrise og henvisningssvar",
        "dokumentasjon",
        3,
        ["Epikrise"]
    ),
    oppg!(
        "erfaringsdeling",
        "Erfaringsbasert samtale",
        "miljøterapi",
        1,
        ["Likepersonsamtale", "Samtale med erfaringskonsulent"]
    ),
    oppg!(
        "forskrivning",
        "Forskrivning og legemiddelgjennomgang",
        "medisinsk",
        3,
        ["Resept og legemiddelgjennomgang"]
    ),
    oppg!(
        "frivillig_kontakt",
        "Formidling til frivillige og likepersoner",
        "frivillige",
        1,
        ["Kontakt med frivillige", "Frivillighet"]
    ),
    oppg!(
        "gruppebehandling",
        "Gruppebehandling",
        "behandling",
        3,
        ["Gruppeterapi"]
    ),
    oppg!(
        "internmote",
        "Internmøte og koordinering",
        "administrasjon",
        2,
        ["Internmøte", "Morgenmøte"]
    ),
    oppg!(
        "journal",
        "Journalføring",
        "dokumentasjon",
        2,
        ["Journal", "Dokumentasjon i journal"]
    ),
    oppg!(
        "kartlegging",
        "Kartlegging med AUDIT og DUDIT",
        "utredning",
        2,
        ["Kartlegging", "Screening"]
    ),
    oppg!(
        "lar",
        "Oppfølging av LAR-pasient",
        "behandling",
        2,
        ["LAR-oppfølging", "Oppfølging LAR"]
    ),
    oppg!(
        "legemidler",
        "Legemiddelhåndtering og utlevering",
        "medisinsk",
        2,
        ["Utlevering av legemidler", "Medisinutdeling"]
    ),
    oppg!(
        "miljoterapi",
        "Miljøterapeutisk oppfølging",
        "miljøterapi",
        1,
        ["Miljøterapi"]
    ),
    oppg!(
        "nav_kontakt",
        "Kontakt med NAV",
        "kommune",
        2,
        ["NAV-kontakt"]
    ),
    oppg!(
        "parorendegruppe",
        "Pårørendegruppe",
        "pårørende",
        1,
        ["Gruppe for pårørende"]
    ),
    oppg!(
        "parorendesamtale",
        "Pårørendesamtale",
        "pårørende",
        2,
        ["Samtale med pårørende"]
    ),
    oppg!(
        "provetaking",
        "Urinprøve og prøvetaking",
        "medisinsk",
        1,
        ["Urinprøve", "Prøvetaking"]
    ),
    oppg!("reise", "Reisetid", "annet", 1, ["Reise"]),
    oppg!(
        "samarbeidsmote",
        "Ansvarsgruppemøte med kommunen",
        "kommune",
        3,
        ["Ansvarsgruppe", "Samarbeidsmøte kommune"]
    ),
    oppg!(
        "samtalebehandling",
        "Samtalebehandling",
        "behandling",
        3,
        ["Behandlingssamtale", "Terapi"]
    ),
    oppg!(
        "somatikk",
        "Somatisk undersøkelse",
        "medisinsk",
        3,
        ["Somatisk status"]
    ),
    oppg!(
        "spesialistvurdering",
        "Spesialistvurdering og behandlingsplan",
        "behandling",
        4,
        ["Spesialistvurdering", "Behandlingsplan"]
    ),
    oppg!(
        "timebestilling",
        "Timebestilling og innkalling",
        "administrasjon",
        1,
        ["Innkalling", "Timebok"]
    ),
    oppg!(
        "utredning",
        "Utredning og diagnostikk",
        "utredning",
        4,
        ["Diagnostisk utredning"]
    ),
];

/// The unit with this id.
pub fn enhet(id: &str) -> &'static Enhet {
    ENHETER.iter().find(|e| e.id == id).expect("known unit")
}

/// The profession with this id.
pub fn yrke(id: &str) -> &'static Yrke {
    YRKER.iter().find(|y| y.id == id).expect("known profession")
}

/// The task with this id.
pub fn oppgave(id: &str) -> &'static Oppgave {
    OPPGAVER.iter().find(|o| o.id == id).expect("known task")
}

/// The provider with this id.
pub fn foretak(id: &str) -> &'static Foretak {
    FORETAK.iter().find(|f| f.id == id).expect("known provider")
}

/// The staffing profile of a service type: profession id and FTE at size 1.
pub fn profile(tjeneste: &str) -> &'static [(&'static str, f64)] {
    match tjeneste {
        "poliklinikk" => &[
            ("legespesialist", 2.0),
            ("psykologspesialist", 3.5),
            ("lege", 1.0),
            ("psykolog", 3.0),
            ("spesialsykepleier", 2.5),
            ("klinisk_sosionom", 1.5),
            ("sykepleier", 1.5),
            ("sosionom", 1.5),
            ("merkantil", 1.5),
        ],
        "LAR" => &[
            ("legespesialist", 2.5),
            ("lege", 1.0),
            ("psykolog", 1.0),
            ("spesialsykepleier", 2.0),
            ("sykepleier", 4.0),
            ("sosionom", 1.5),
            ("vernepleier", 1.0),
            ("helsefagarbeider", 1.0),
            ("merkantil", 1.0),
        ],
        "døgn" => &[
            ("legespesialist", 1.0),
            ("psykologspesialist", 1.0),
            ("psykolog", 1.0),
            ("spesialsykepleier", 2.0),
            ("sykepleier", 6.0),
            ("vernepleier", 3.0),
            ("barnevernspedagog", 1.0),
            ("miljoarbeider", 5.0),
            ("helsefagarbeider", 3.0),
            ("ernaeringsfysiolog", 0.4),
            ("merkantil", 0.8),
        ],
        "avrusning" => &[
            ("legespesialist", 1.5),
            ("lege", 1.5),
            ("spesialsykepleier", 3.0),
            ("sykepleier", 8.0),
            ("helsefagarbeider", 4.0),
            ("miljoarbeider", 2.0),
            ("merkantil", 0.6),
        ],
        "ambulant" => &[
            ("legespesialist", 0.5),
            ("psykologspesialist", 1.0),
            ("spesialsykepleier", 2.0),
            ("sykepleier", 2.0),
            ("sosionom", 2.0),
            ("vernepleier", 1.0),
            ("miljoarbeider", 1.0),
        ],
        _ => &[
            ("psykolog", 0.5),
            ("vernepleier", 1.0),
            ("miljoarbeider", 3.0),
            ("sosionom", 1.0),
            ("merkantil", 0.5),
        ],
    }
}

/// Professions a unit has beyond its service profile (new groups brought in by pilots and
/// local projects), with FTE.
pub fn extra_staff(enhet_id: &str) -> &'static [(&'static str, f64)] {
    match enhet_id {
        "STO-LAR" => &[("farmasoyt", 0.5)],
        "HMR-POL-MOL" | "HMR-POL-ALE" => &[("erfaringskonsulent", 1.0)],
        "STO-POL-TRH" => &[("jobbspesialist", 1.0)],
        "TYR-ANN" => &[("jobbspesialist", 1.0), ("erfaringskonsulent", 1.0)],
        "BKL-DGN" => &[("erfaringskonsulent", 0.5)],
        _ => &[],
    }
}

/// The unit's professions with budgeted FTE at scale 1 (before any random variation).
pub fn staff_of(e: &Enhet) -> Vec<(&'static str, f64)> {
    let mut v: Vec<(&'static str, f64)> = profile(e.tjeneste)
        .iter()
        .chain(extra_staff(e.id))
        .map(|&(y, fte)| (y, fte * e.size * 1.9))
        .collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

/// Write the four reference tables. Returns the number of files written.
pub fn write(out: &Path) -> anyhow::Result<u64> {
    let dir = out.join("referanse");
    let mut w = TableWriter::create(&dir.join("foretak.csv"), Enc::Utf8, ';', false)?;
    w.header(&["foretak_id", "navn", "eierskap", "alias"])?;
    for f in FORETAK {
        w.record(&[f.id, f.navn, f.eierskap, &f.alias.join("|")])?;
    }
    w.finish()?;

    let mut w = TableWriter::create(&dir.join("enheter.csv"), Enc::Utf8, ';', false)?;
    w.header(&["enhet_id", "foretak_id", "navn", "tjeneste", "alias"])?;
    for e in ENHETER {
        w.record(&[e.id, e.foretak, e.navn, e.tjeneste, &e.alias.join("|")])?;
    }
    w.finish()?;

    let mut w = TableWriter::create(&dir.join("yrker.csv"), Enc::Utf8, ';', false)?;
    w.header(&[
        "yrke_id",
        "navn",
        "styrk08",
        "nivå",
        "ny_yrkesgruppe",
        "alias",
    ])?;
    for y in YRKER {
        let niva = y.niva.to_string();
        let ny = if y.ny { "ja" } else { "nei" };
        w.record(&[y.id, y.navn, y.styrk08, &niva, ny, &y.alias.join("|")])?;
    }
    w.finish()?;

    let mut w = TableWriter::create(&dir.join("oppgaver.csv"), Enc::Utf8, ';', false)?;
    w.header(&["oppgave_id", "navn", "område", "krever_nivå", "alias"])?;
    for o in OPPGAVER {
        let k = o.krever.to_string();
        w.record(&[o.id, o.navn, o.omrade, &k, &o.alias.join("|")])?;
    }
    w.finish()?;
    Ok(4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn norm(s: &str) -> String {
        s.to_lowercase()
            .replace(['-', '_'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn unique(table: &str, entries: Vec<(&str, Vec<&str>)>) {
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for (id, names) in entries {
            for n in names {
                if let Some(prev) = seen.insert(norm(n), id) {
                    assert_eq!(prev, id, "{table}: `{n}` names both {prev} and {id}");
                }
            }
        }
    }

    #[test]
    fn names_are_unambiguous_and_sorted() {
        unique(
            "foretak",
            FORETAK
                .iter()
                .map(|f| (f.id, [&[f.id, f.navn][..], f.alias].concat()))
                .collect(),
        );
        unique(
            "enheter",
            ENHETER
                .iter()
                .map(|e| (e.id, [&[e.id, e.navn][..], e.alias].concat()))
                .collect(),
        );
        unique(
            "yrker",
            YRKER
                .iter()
                .map(|y| (y.id, [&[y.id, y.navn][..], y.alias].concat()))
                .collect(),
        );
        unique(
            "oppgaver",
            OPPGAVER
                .iter()
                .map(|o| (o.id, [&[o.id, o.navn][..], o.alias].concat()))
                .collect(),
        );
        assert!(ENHETER.windows(2).all(|w| w[0].id < w[1].id));
        assert!(OPPGAVER.windows(2).all(|w| w[0].id < w[1].id));
        assert!(YRKER.windows(2).all(|w| w[0].id < w[1].id));
        assert!(FORETAK.windows(2).all(|w| w[0].id < w[1].id));
        for e in ENHETER {
            assert!(e.id.starts_with(e.foretak));
        }
    }
}
