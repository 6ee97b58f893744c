//! `pilot.toml` (data-contract §4): what a pilot changes, where and when.

use serde::Deserialize;

use crate::diag::Diagnostic;
use crate::model::{Arbeidsflyt, Fase, Periode, Pilot};

use super::reference::Resolvers;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PilotToml {
    id: Option<String>,
    navn: String,
    #[serde(default)]
    beskrivelse: String,
    #[serde(default)]
    foretak: Vec<String>,
    #[serde(default)]
    enheter: Vec<String>,
    #[serde(default)]
    nye_roller: Vec<String>,
    #[serde(default)]
    periode: Vec<PeriodeToml>,
    #[serde(default)]
    arbeidsflyt: Vec<StegToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodeToml {
    fase: String,
    fra: toml::value::Datetime,
    til: toml::value::Datetime,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StegToml {
    steg: String,
    oppgave: Option<String>,
    fra: Option<String>,
    til: Option<String>,
}

fn to_date(d: &toml::value::Datetime) -> Option<chrono::NaiveDate> {
    let date = d.date?;
    chrono::NaiveDate::from_ymd_opt(
        i32::from(date.year),
        u32::from(date.month),
        u32::from(date.day),
    )
}

/// Parse and check a `pilot.toml` for the pilot folder `folder_id`.
pub fn parse(
    display: &str,
    folder_id: &str,
    text: &str,
    resolvers: &Resolvers,
) -> Result<(Pilot, Vec<Diagnostic>), Vec<Diagnostic>> {
    let raw: PilotToml = toml::from_str(text).map_err(|e| {
        let mut d = Diagnostic::file_error(
            display,
            format!("failed to read pilot description ({})", e.message()),
        );
        if let Some(span) = e.span() {
            d = d.at_line(text[..span.start.min(text.len())].matches('\n').count() as u64 + 1);
        }
        vec![d]
    })?;
    let mut errs = Vec::new();
    let mut warns = Vec::new();
    if let Some(id) = &raw.id
        && id != folder_id
    {
        warns.push(Diagnostic::warning(display, format!("`id = \"{id}\"` differs from the folder name `{folder_id}`; the folder name is used")));
    }
    let mut resolve = |what: &str, r: &super::reference::Resolver, name: &str| -> Option<String> {
        match r.resolve(name) {
            Ok(id) => Some(id.to_string()),
            Err(u) => {
                let mut d = Diagnostic::file_error(display, format!("{} in `{what}`", u.message));
                if let Some(h) = u.hint {
                    d = d.hint(h);
                }
                errs.push(d);
                None
            }
        }
    };
    let foretak: Vec<String> = raw
        .foretak
        .iter()
        .filter_map(|n| resolve("foretak", &resolvers.foretak, n))
        .collect();
    let enheter: Vec<String> = raw
        .enheter
        .iter()
        .filter_map(|n| resolve("enheter", &resolvers.enhet, n))
        .collect();
    let nye_roller: Vec<String> = raw
        .nye_roller
        .iter()
        .filter_map(|n| resolve("nye_roller", &resolvers.yrke, n))
        .collect();
    let mut arbeidsflyt = Vec::new();
    for s in &raw.arbeidsflyt {
        let oppgave = s
            .oppgave
            .as_deref()
            .and_then(|n| resolve("arbeidsflyt.oppgave", &resolvers.oppgave, n));
        let fra = s
            .fra
            .as_deref()
            .and_then(|n| resolve("arbeidsflyt.fra", &resolvers.yrke, n));
        let til = s
            .til
            .as_deref()
            .and_then(|n| resolve("arbeidsflyt.til", &resolvers.yrke, n));
        arbeidsflyt.push(Arbeidsflyt {
            steg: s.steg.clone(),
            oppgave,
            fra,
            til,
        });
    }
    let mut perioder: Vec<Periode> = Vec::new();
    for p in &raw.periode {
        let fase = match p.fase.trim().to_lowercase().as_str() {
            "før" | "for" => Fase::For,
            "pilot" => Fase::Pilot,
            other => {
                errs.push(
                    Diagnostic::file_error(
                        display,
                        format!("unknown phase `{other}` in `periode`"),
                    )
                    .hint("a period's `fase` is `før` or `pilot`"),
                );
                continue;
            }
        };
        let (Some(fra), Some(til)) = (to_date(&p.fra), to_date(&p.til)) else {
            errs.push(Diagnostic::file_error(
                display,
                "a period's `fra` and `til` must be dates (`2025-01-06`)",
            ));
            continue;
        };
        if til < fra {
            errs.push(Diagnostic::file_error(
                display,
                format!(
                    "period `{}` ends ({til}) before it starts ({fra})",
                    fase.as_str()
                ),
            ));
            continue;
        }
        if perioder.iter().any(|q| q.fase == fase) {
            errs.push(Diagnostic::file_error(
                display,
                format!(
                    "two periods for phase `{}`; a pilot has one period per phase",
                    fase.as_str()
                ),
            ));
            continue;
        }
        perioder.push(Periode { fase, fra, til });
    }
    perioder.sort_by_key(|p| p.fase);
    if let [a, b] = perioder.as_slice()
        && a.fra <= b.til
        && b.fra <= a.til
    {
        errs.push(Diagnostic::file_error(
            display,
            format!(
                "the periods overlap ({}–{} and {}–{})",
                a.fra, a.til, b.fra, b.til
            ),
        ));
    }
    if perioder.len() != 2 && errs.is_empty() {
        errs.push(Diagnostic::file_error(
            display,
            "a pilot needs one `[[periode]]` with `fase = \"før\"` and one with `fase = \"pilot\"`",
        ));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let pilot = Pilot {
        id: folder_id.to_string(),
        navn: raw.navn,
        beskrivelse: raw.beskrivelse,
        foretak,
        enheter,
        nye_roller,
        perioder,
        arbeidsflyt,
    };
    Ok((pilot, warns))
}
