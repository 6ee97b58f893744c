//! Reference tables (data-contract §3) and name resolution through id, name and alias.

use std::collections::HashMap;

use crate::diag::Diagnostic;
use crate::ingest::RawTable;
use crate::ingest::headers::normalize;
use crate::model::{Enhet, Foretak, Oppgave, Ownership, Reference, Yrke};

use super::columns::{map_columns, opt, req};

/// What a resolver resolves, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// A health trust.
    Foretak,
    /// A unit.
    Enhet,
    /// A profession.
    Yrke,
    /// A task.
    Oppgave,
}

impl Entity {
    fn noun(self) -> &'static str {
        match self {
            Entity::Foretak => "health trust",
            Entity::Enhet => "unit",
            Entity::Yrke => "profession",
            Entity::Oppgave => "task",
        }
    }
}

/// Resolves names of one entity to ids after normalisation (id, `navn` or any alias).
#[derive(Debug, Clone)]
pub struct Resolver {
    entity: Entity,
    map: HashMap<String, usize>,
    ids: Vec<String>,
    names: Vec<String>,
    keys: Vec<(String, usize)>,
}

/// A name that resolved to nothing, with the closest known name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// "unknown unit `X`".
    pub message: String,
    /// "did you mean `Y` (ID)?".
    pub hint: Option<String>,
}

impl Resolver {
    /// Build a resolver over `(id, name, aliases)`; a key that points at two entries is an
    /// error naming the key.
    pub fn new<'a>(
        entity: Entity,
        entries: impl IntoIterator<Item = (&'a str, &'a str, &'a [String])>,
    ) -> Result<Resolver, String> {
        let mut r = Resolver {
            entity,
            map: HashMap::new(),
            ids: Vec::new(),
            names: Vec::new(),
            keys: Vec::new(),
        };
        for (i, (id, name, aliases)) in entries.into_iter().enumerate() {
            r.ids.push(id.to_string());
            r.names.push(name.to_string());
            for key in std::iter::once(id)
                .chain(std::iter::once(name))
                .chain(aliases.iter().map(String::as_str))
            {
                let k = normalize(key);
                if k.is_empty() {
                    continue;
                }
                match r.map.get(&k) {
                    Some(&j) if j != i => {
                        return Err(format!(
                            "`{key}` names two {}s: `{}` and `{id}`",
                            entity.noun(),
                            r.ids[j]
                        ));
                    }
                    Some(_) => {}
                    None => {
                        r.map.insert(k.clone(), i);
                        r.keys.push((k, i));
                    }
                }
            }
        }
        Ok(r)
    }

    /// The id a name resolves to.
    pub fn resolve(&self, raw: &str) -> Result<&str, Unresolved> {
        let k = normalize(raw);
        if let Some(&i) = self.map.get(&k) {
            return Ok(&self.ids[i]);
        }
        let best = self
            .keys
            .iter()
            .map(|(key, i)| (strsim::levenshtein(&k, key), *i))
            .min();
        Err(Unresolved {
            message: format!(
                "unknown {} `{}`",
                self.entity.noun(),
                crate::diag::cell_text(raw)
            ),
            hint: best.map(|(_, i)| format!("did you mean `{}` ({})?", self.names[i], self.ids[i])),
        })
    }
}

/// Resolvers for the four reference tables.
#[derive(Debug, Clone)]
pub struct Resolvers {
    /// Health trusts.
    pub foretak: Resolver,
    /// Units.
    pub enhet: Resolver,
    /// Professions.
    pub yrke: Resolver,
    /// Tasks.
    pub oppgave: Resolver,
    /// Each unit's health trust, by unit id.
    pub unit_trust: HashMap<String, String>,
}

impl Resolvers {
    /// Build resolvers from reference tables.
    pub fn new(r: &Reference) -> Result<Resolvers, (Entity, String)> {
        let f = Resolver::new(
            Entity::Foretak,
            r.foretak
                .iter()
                .map(|x| (x.id.as_str(), x.navn.as_str(), x.alias.as_slice())),
        )
        .map_err(|e| (Entity::Foretak, e))?;
        let e = Resolver::new(
            Entity::Enhet,
            r.enheter
                .iter()
                .map(|x| (x.id.as_str(), x.navn.as_str(), x.alias.as_slice())),
        )
        .map_err(|e| (Entity::Enhet, e))?;
        let y = Resolver::new(
            Entity::Yrke,
            r.yrker
                .iter()
                .map(|x| (x.id.as_str(), x.navn.as_str(), x.alias.as_slice())),
        )
        .map_err(|e| (Entity::Yrke, e))?;
        let o = Resolver::new(
            Entity::Oppgave,
            r.oppgaver
                .iter()
                .map(|x| (x.id.as_str(), x.navn.as_str(), x.alias.as_slice())),
        )
        .map_err(|e| (Entity::Oppgave, e))?;
        Ok(Resolvers {
            foretak: f,
            enhet: e,
            yrke: y,
            oppgave: o,
            unit_trust: r
                .enheter
                .iter()
                .map(|e| (e.id.clone(), e.foretak_id.clone()))
                .collect(),
        })
    }
}

fn aliases(s: &str) -> Vec<String> {
    s.split('|')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(String::from)
        .collect()
}

fn level(display: &str, line: u64, col: &str, s: &str) -> Result<u8, Diagnostic> {
    match s.trim().parse::<u8>() {
        Ok(n @ 1..=4) => Ok(n),
        _ => Err(Diagnostic::file_error(
            display,
            format!(
                "expected a competence level 1–4, found `{}`",
                crate::diag::cell_text(s)
            ),
        )
        .at_line(line)
        .in_column(col)),
    }
}

fn yes_no(display: &str, line: u64, col: &str, s: &str) -> Result<bool, Diagnostic> {
    match normalize(s).as_str() {
        "ja" | "j" | "yes" | "true" | "1" => Ok(true),
        "nei" | "n" | "no" | "false" | "0" | "" => Ok(false),
        _ => Err(Diagnostic::file_error(
            display,
            format!(
                "expected `ja` or `nei`, found `{}`",
                crate::diag::cell_text(s)
            ),
        )
        .at_line(line)
        .in_column(col)),
    }
}

use crate::model::TASK_AREAS as AREAS;

/// Parse one reference table into `reference`. Problems in a reference table are file
/// errors: every other file is resolved through it.
pub fn parse_table(
    which: &str,
    display: &str,
    table: &RawTable,
    reference: &mut Reference,
) -> Result<(), Vec<Diagnostic>> {
    let mut errs = Vec::new();
    macro_rules! cell {
        ($cols:expr, $i:expr, $row:expr) => {
            $cols.get($i, &$row.fields).trim().to_string()
        };
    }
    let need = |errs: &mut Vec<Diagnostic>, line: u64, col: &str, v: &str| {
        if v.is_empty() {
            errs.push(
                Diagnostic::file_error(
                    display,
                    format!("missing value in required column `{col}`"),
                )
                .at_line(line)
                .in_column(col),
            );
        }
    };
    match which {
        "foretak" => {
            let c = map_columns(
                display,
                table,
                &[
                    req("foretak_id", &["id"]),
                    req("navn", &[]),
                    req("eierskap", &[]),
                    opt("alias", &[]),
                ],
            )?;
            for row in &table.rows {
                let (id, navn, eier) = (cell!(c, 0, row), cell!(c, 1, row), cell!(c, 2, row));
                need(&mut errs, row.line, "foretak_id", &id);
                need(&mut errs, row.line, "navn", &navn);
                let eierskap = match normalize(&eier).as_str() {
                    "offentlig" => Ownership::Offentlig,
                    "privat" => Ownership::Privat,
                    _ => {
                        errs.push(
                            Diagnostic::file_error(
                                display,
                                format!("expected `offentlig` or `privat`, found `{eier}`"),
                            )
                            .at_line(row.line)
                            .in_column(c.header(2, table)),
                        );
                        continue;
                    }
                };
                reference.foretak.push(Foretak {
                    id,
                    navn,
                    eierskap,
                    alias: aliases(c.get(3, &row.fields)),
                });
            }
        }
        "enheter" => {
            let c = map_columns(
                display,
                table,
                &[
                    req("enhet_id", &["id"]),
                    req("foretak_id", &["foretak"]),
                    req("navn", &[]),
                    req("tjeneste", &[]),
                    opt("alias", &[]),
                ],
            )?;
            for row in &table.rows {
                let e = Enhet {
                    id: cell!(c, 0, row),
                    foretak_id: cell!(c, 1, row),
                    navn: cell!(c, 2, row),
                    tjeneste: cell!(c, 3, row),
                    alias: aliases(c.get(4, &row.fields)),
                };
                need(&mut errs, row.line, "enhet_id", &e.id);
                need(&mut errs, row.line, "foretak_id", &e.foretak_id);
                need(&mut errs, row.line, "navn", &e.navn);
                reference.enheter.push(e);
            }
        }
        "yrker" => {
            let c = map_columns(
                display,
                table,
                &[
                    req("yrke_id", &["id"]),
                    req("navn", &[]),
                    opt("styrk08", &[]),
                    req("nivå", &["niva", "kompetansenivå"]),
                    opt("ny_yrkesgruppe", &[]),
                    opt("alias", &[]),
                ],
            )?;
            for row in &table.rows {
                let niva = match level(display, row.line, c.header(3, table), c.get(3, &row.fields))
                {
                    Ok(n) => n,
                    Err(e) => {
                        errs.push(e);
                        continue;
                    }
                };
                let ny = match yes_no(display, row.line, c.header(4, table), c.get(4, &row.fields))
                {
                    Ok(n) => n,
                    Err(e) => {
                        errs.push(e);
                        continue;
                    }
                };
                let styrk = cell!(c, 2, row);
                let y = Yrke {
                    id: cell!(c, 0, row),
                    navn: cell!(c, 1, row),
                    styrk08: (!styrk.is_empty()).then_some(styrk),
                    niva,
                    ny_yrkesgruppe: ny,
                    alias: aliases(c.get(5, &row.fields)),
                };
                need(&mut errs, row.line, "yrke_id", &y.id);
                need(&mut errs, row.line, "navn", &y.navn);
                reference.yrker.push(y);
            }
        }
        "oppgaver" => {
            let c = map_columns(
                display,
                table,
                &[
                    req("oppgave_id", &["id"]),
                    req("navn", &[]),
                    req("område", &["omrade"]),
                    req("krever_nivå", &["krever_niva"]),
                    opt("alias", &[]),
                ],
            )?;
            for row in &table.rows {
                let omrade = normalize(c.get(2, &row.fields));
                if !AREAS.contains(&omrade.as_str()) {
                    errs.push(
                        Diagnostic::file_error(
                            display,
                            format!("unknown task area `{}`", c.get(2, &row.fields).trim()),
                        )
                        .at_line(row.line)
                        .in_column(c.header(2, table))
                        .hint(format!("expected one of: {}", AREAS.join(", "))),
                    );
                    continue;
                }
                let krever =
                    match level(display, row.line, c.header(3, table), c.get(3, &row.fields)) {
                        Ok(n) => n,
                        Err(e) => {
                            errs.push(e);
                            continue;
                        }
                    };
                let o = Oppgave {
                    id: cell!(c, 0, row),
                    navn: cell!(c, 1, row),
                    omrade,
                    krever_niva: krever,
                    alias: aliases(c.get(4, &row.fields)),
                };
                need(&mut errs, row.line, "oppgave_id", &o.id);
                need(&mut errs, row.line, "navn", &o.navn);
                reference.oppgaver.push(o);
            }
        }
        _ => unreachable!("discover only classifies the four reference tables"),
    }
    if errs.is_empty() { Ok(()) } else { Err(errs) }
}
