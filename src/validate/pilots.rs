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
    let names = Names {
        display,
        errs: &mut errs,
    };
    let (foretak, enheter, nye_roller, arbeidsflyt) = names.of(&raw, resolvers);
    let perioder = periods(display, &raw.periode, &mut errs);
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

/// Resolves the names a `pilot.toml` gives; each unknown one is a file error.
struct Names<'a> {
    display: &'a str,
    errs: &'a mut Vec<Diagnostic>,
}

/// A pilot's health trusts, units, new roles and workflow, resolved to ids.
type Resolved = (Vec<String>, Vec<String>, Vec<String>, Vec<Arbeidsflyt>);

impl Names<'_> {
    /// The id `name` (given under `what`) resolves to through `r`.
    fn resolve(
        &mut self,
        what: &str,
        r: &super::reference::Resolver,
        name: &str,
    ) -> Option<String> {
        match r.resolve(name) {
            Ok(id) => Some(id.to_string()),
            Err(u) => {
                let mut d =
                    Diagnostic::file_error(self.display, format!("{} in `{what}`", u.message));
                if let Some(h) = u.hint {
                    d = d.hint(h);
                }
                self.errs.push(d);
                None
            }
        }
    }

    fn all(&mut self, what: &str, r: &super::reference::Resolver, names: &[String]) -> Vec<String> {
        names
            .iter()
            .filter_map(|n| self.resolve(what, r, n))
            .collect()
    }

    fn of(mut self, raw: &PilotToml, resolvers: &Resolvers) -> Resolved {
        let foretak = self.all("foretak", &resolvers.foretak, &raw.foretak);
        let enheter = self.all("enheter", &resolvers.enhet, &raw.enheter);
        let nye_roller = self.all("nye_roller", &resolvers.yrke, &raw.nye_roller);
        let mut arbeidsflyt = Vec::new();
        for s in &raw.arbeidsflyt {
            let mut one = |what: &str, r: &super::reference::Resolver, n: &Option<String>| {
                n.as_deref().and_then(|n| self.resolve(what, r, n))
            };
            let oppgave = one("arbeidsflyt.oppgave", &resolvers.oppgave, &s.oppgave);
            let fra = one("arbeidsflyt.fra", &resolvers.yrke, &s.fra);
            let til = one("arbeidsflyt.til", &resolvers.yrke, &s.til);
            arbeidsflyt.push(Arbeidsflyt {
                steg: s.steg.clone(),
                oppgave,
                fra,
                til,
            });
        }
        (foretak, enheter, nye_roller, arbeidsflyt)
    }
}

/// The pilot's two periods, sorted by phase; each problem is a file error in `errs` (a
/// missing period only when there is no other error).
fn periods(display: &str, raw: &[PeriodeToml], errs: &mut Vec<Diagnostic>) -> Vec<Periode> {
    let mut perioder: Vec<Periode> = Vec::new();
    for p in raw {
        let fase = match p.fase.trim().to_lowercase().as_str() {
            "før" | "for" => Fase::For,
            "pilot" => Fase::Pilot,
            other => {
                errs.push(
                    Diagnostic::file_error(
                        display,
                        format!(
                            "unknown phase `{}` in `periode`",
                            crate::diag::cell_text(other)
                        ),
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
    perioder
}
