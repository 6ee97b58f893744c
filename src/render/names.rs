//! Display names for the documents: competence levels, challenge and task areas, and an
//! indicator cell described in words. Shared by the view builders and the rules' wording.

use super::format;
use crate::indicators::Keys;
use crate::model::Dataset;

/// Display name of a competence level.
pub fn level_name(level: u8) -> String {
    match level {
        1 => "Nivå 1 støtte og erfaring".into(),
        2 => "Nivå 2 helse- og sosialfaglig".into(),
        3 => "Nivå 3 behandler".into(),
        4 => "Nivå 4 spesialist".into(),
        n => format!("Nivå {n}"),
    }
}

/// Display name of a challenge area or task area.
pub fn area_name(id: &str) -> String {
    match id {
        "kapasitet" => "Kapasitet".into(),
        "rekruttering" => "Rekruttering".into(),
        "beholde" => "Beholde ansatte".into(),
        "oppgavedeling" => "Oppgavedeling".into(),
        "kompetansebruk" => "Kompetansebruk".into(),
        "teknologi" => "Teknologi".into(),
        "kommune" => "Samarbeid med kommunen".into(),
        "pårørende" => "Pårørende".into(),
        "overganger" => "Overganger".into(),
        "behandling" => "Behandling".into(),
        "utredning" => "Utredning".into(),
        "medisinsk" => "Medisinsk".into(),
        "miljøterapi" => "Miljøterapi".into(),
        "frivillige" => "Frivillige".into(),
        "dokumentasjon" => "Dokumentasjon".into(),
        "administrasjon" => "Administrasjon".into(),
        "annet" => "Annet".into(),
        other => {
            let mut c = other.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        }
    }
}

/// Describe one indicator cell in words: `Helse Midt-Norge`, `St. Olavs hospital HF,
/// Psykologspesialist`, `Pilot X, pilot`, `ansattundersokelse-2026, Kapasitet`, ….
pub fn describe_cell(dataset: &Dataset, keys: &Keys) -> String {
    let r = &dataset.reference;
    let mut parts: Vec<String> = Vec::new();
    if let Some(f) = &keys.foretak_id {
        parts.push(
            r.foretak(f)
                .map(|x| x.navn.clone())
                .unwrap_or_else(|| f.clone()),
        );
    }
    if let Some(e) = &keys.enhet_id {
        parts.push(
            r.enhet(e)
                .map(|x| x.navn.clone())
                .unwrap_or_else(|| e.clone()),
        );
    }
    if let Some(y) = &keys.yrke_id {
        parts.push(
            r.yrke(y)
                .map(|x| x.navn.clone())
                .unwrap_or_else(|| y.clone()),
        );
    }
    if let Some(l) = keys.kompetanseniva {
        parts.push(level_name(l));
    }
    if let Some(p) = &keys.pilot_id {
        parts.push(
            dataset
                .pilots
                .iter()
                .find(|x| &x.id == p)
                .map(|x| x.navn.clone())
                .unwrap_or_else(|| p.clone()),
        );
    }
    if let Some(f) = &keys.fase {
        parts.push(f.clone());
    }
    if let Some(o) = &keys.omrade {
        parts.push(area_name(o));
    }
    if let Some(u) = &keys.undersokelse {
        parts.push(u.clone());
    }
    if let Some(d) = &keys.dato {
        parts.push(format::date_str(d));
    }
    if parts.is_empty() {
        "Helse Midt-Norge".to_string()
    } else {
        parts.join(", ")
    }
}
