//! Reference tables (data-contract §3) and name resolution through id, name and alias.

use std::collections::HashMap;

use crate::diag::Diagnostic;
use crate::ingest::headers::normalize;
use crate::ingest::{RawRow, RawTable};
use crate::model::{Enhet, Foretak, Oppgave, Ownership, RefTable, Reference, Yrke};

use super::columns::{Columns, map_columns, opt, req};

/// Resolves names of one entity to ids after normalisation (id, `navn` or any alias).
#[derive(Debug, Clone)]
pub struct Resolver {
    entity: RefTable,
    map: HashMap<String, usize>,
    ids: Vec<String>,
    names: Vec<String>,
    keys: Vec<(String, usize)>,
}

/// A name that resolved to nothing, with the closest known name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// The kind: an unknown health trust, unit, profession or task.
    pub reason: crate::diag::Reason,
    /// "unknown unit `X`".
    pub message: String,
    /// "did you mean `Y` (ID)?".
    pub hint: Option<String>,
}

impl Resolver {
    /// Build a resolver over `(id, name, aliases)`; a key that points at two entries is an
    /// error naming the key.
    pub fn new<'a>(
        entity: RefTable,
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
            reason: self.entity.unknown(),
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
    pub fn new(r: &Reference) -> Result<Resolvers, (RefTable, String)> {
        let f = Resolver::new(
            RefTable::Foretak,
            r.foretak
                .iter()
                .map(|x| (x.id.as_str(), x.navn.as_str(), x.alias.as_slice())),
        )
        .map_err(|e| (RefTable::Foretak, e))?;
        let e = Resolver::new(
            RefTable::Enheter,
            r.enheter
                .iter()
                .map(|x| (x.id.as_str(), x.navn.as_str(), x.alias.as_slice())),
        )
        .map_err(|e| (RefTable::Enheter, e))?;
        let y = Resolver::new(
            RefTable::Yrker,
            r.yrker
                .iter()
                .map(|x| (x.id.as_str(), x.navn.as_str(), x.alias.as_slice())),
        )
        .map_err(|e| (RefTable::Yrker, e))?;
        let o = Resolver::new(
            RefTable::Oppgaver,
            r.oppgaver
                .iter()
                .map(|x| (x.id.as_str(), x.navn.as_str(), x.alias.as_slice())),
        )
        .map_err(|e| (RefTable::Oppgaver, e))?;
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
    which: RefTable,
    display: &str,
    table: &RawTable,
    reference: &mut Reference,
) -> Result<(), Vec<Diagnostic>> {
    let mut errs = Vec::new();
    let t = Table {
        display,
        raw: table,
    };
    match which {
        RefTable::Foretak => t.foretak(&mut reference.foretak, &mut errs)?,
        RefTable::Enheter => t.enheter(&mut reference.enheter, &mut errs)?,
        RefTable::Yrker => t.yrker(&mut reference.yrker, &mut errs)?,
        RefTable::Oppgaver => t.oppgaver(&mut reference.oppgaver, &mut errs)?,
    }
    if errs.is_empty() { Ok(()) } else { Err(errs) }
}

/// One reference table being parsed: its display path and its rows.
struct Table<'a> {
    display: &'a str,
    raw: &'a RawTable,
}

/// A cell, trimmed.
fn cell(c: &Columns, i: usize, row: &RawRow) -> String {
    c.get(i, &row.fields).trim().to_string()
}

impl Table<'_> {
    /// A file error at `line`, column `col`, when the required value `v` is empty.
    fn need(&self, errs: &mut Vec<Diagnostic>, line: u64, col: &str, v: &str) {
        if v.is_empty() {
            errs.push(
                Diagnostic::file_error(
                    self.display,
                    format!("missing value in required column `{col}`"),
                )
                .at_line(line)
                .in_column(col),
            );
        }
    }

    fn foretak(
        &self,
        out: &mut Vec<Foretak>,
        errs: &mut Vec<Diagnostic>,
    ) -> Result<(), Vec<Diagnostic>> {
        let (display, table) = (self.display, self.raw);
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
            let (id, navn, eier) = (cell(&c, 0, row), cell(&c, 1, row), cell(&c, 2, row));
            self.need(errs, row.line, "foretak_id", &id);
            self.need(errs, row.line, "navn", &navn);
            let eierskap = match normalize(&eier).as_str() {
                "offentlig" => Ownership::Offentlig,
                "privat" => Ownership::Privat,
                _ => {
                    errs.push(
                        Diagnostic::file_error(
                            display,
                            format!(
                                "expected `offentlig` or `privat`, found `{}`",
                                crate::diag::cell_text(&eier)
                            ),
                        )
                        .at_line(row.line)
                        .in_column(c.header(2, table)),
                    );
                    continue;
                }
            };
            out.push(Foretak {
                id,
                navn,
                eierskap,
                alias: aliases(c.get(3, &row.fields)),
            });
        }
        Ok(())
    }

    fn enheter(
        &self,
        out: &mut Vec<Enhet>,
        errs: &mut Vec<Diagnostic>,
    ) -> Result<(), Vec<Diagnostic>> {
        let c = map_columns(
            self.display,
            self.raw,
            &[
                req("enhet_id", &["id"]),
                req("foretak_id", &["foretak"]),
                req("navn", &[]),
                req("tjeneste", &[]),
                opt("alias", &[]),
            ],
        )?;
        for row in &self.raw.rows {
            let e = Enhet {
                id: cell(&c, 0, row),
                foretak_id: cell(&c, 1, row),
                navn: cell(&c, 2, row),
                tjeneste: cell(&c, 3, row),
                alias: aliases(c.get(4, &row.fields)),
            };
            self.need(errs, row.line, "enhet_id", &e.id);
            self.need(errs, row.line, "foretak_id", &e.foretak_id);
            self.need(errs, row.line, "navn", &e.navn);
            out.push(e);
        }
        Ok(())
    }

    fn yrker(
        &self,
        out: &mut Vec<Yrke>,
        errs: &mut Vec<Diagnostic>,
    ) -> Result<(), Vec<Diagnostic>> {
        let (display, table) = (self.display, self.raw);
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
            let Some(niva) = kept(
                level(display, row.line, c.header(3, table), c.get(3, &row.fields)),
                errs,
            ) else {
                continue;
            };
            let Some(ny) = kept(
                yes_no(display, row.line, c.header(4, table), c.get(4, &row.fields)),
                errs,
            ) else {
                continue;
            };
            let styrk = cell(&c, 2, row);
            let y = Yrke {
                id: cell(&c, 0, row),
                navn: cell(&c, 1, row),
                styrk08: (!styrk.is_empty()).then_some(styrk),
                niva,
                ny_yrkesgruppe: ny,
                alias: aliases(c.get(5, &row.fields)),
            };
            self.need(errs, row.line, "yrke_id", &y.id);
            self.need(errs, row.line, "navn", &y.navn);
            out.push(y);
        }
        Ok(())
    }

    fn oppgaver(
        &self,
        out: &mut Vec<Oppgave>,
        errs: &mut Vec<Diagnostic>,
    ) -> Result<(), Vec<Diagnostic>> {
        let (display, table) = (self.display, self.raw);
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
                        format!(
                            "unknown task area `{}`",
                            crate::diag::cell_text(c.get(2, &row.fields))
                        ),
                    )
                    .at_line(row.line)
                    .in_column(c.header(2, table))
                    .hint(format!("expected one of: {}", AREAS.join(", "))),
                );
                continue;
            }
            let Some(krever) = kept(
                level(display, row.line, c.header(3, table), c.get(3, &row.fields)),
                errs,
            ) else {
                continue;
            };
            let o = Oppgave {
                id: cell(&c, 0, row),
                navn: cell(&c, 1, row),
                omrade,
                krever_niva: krever,
                alias: aliases(c.get(4, &row.fields)),
            };
            self.need(errs, row.line, "oppgave_id", &o.id);
            self.need(errs, row.line, "navn", &o.navn);
            out.push(o);
        }
        Ok(())
    }
}

/// The value of a cell parsed by `parsed`, or `None` with its error kept in `errs`.
fn kept<T>(parsed: Result<T, Diagnostic>, errs: &mut Vec<Diagnostic>) -> Option<T> {
    parsed.map_err(|e| errs.push(e)).ok()
}
