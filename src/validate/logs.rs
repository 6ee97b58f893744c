//! Activity logs (data-contract §4): one row per logged activity, checked against the pilot.

use std::collections::HashSet;

use crate::diag::{Diagnostic, Reason};
use crate::ingest::RawTable;
use crate::ingest::headers::normalize;
use crate::ingest::values::{Bound, is_missing, parse_bounded};
use crate::model::{Fase, LogRow, Pilot, Text};

use super::columns;
use super::columns::{map_columns, opt, req};
use super::names::{NameCache, Places};
use super::reference::Resolvers;
use super::rows::{Parsers, Problem, RowSink, shape_problem};

const DATO: usize = 0;
const FORETAK: usize = 1;
const ENHET: usize = 2;
const FASE: usize = 3;
const YRKE: usize = 4;
const OPPGAVE: usize = 5;
const MINUTTER: usize = 6;
const PASIENT: usize = 7;
const UTFORT_AV: usize = 8;
const ID: usize = 9;

/// Validate one log file of `pilot`. `ids` holds the `id`s seen in the pilot so far.
pub fn validate(
    display: &str,
    table: &RawTable,
    pilot: &Pilot,
    resolvers: &Resolvers,
    ids: &mut HashSet<String>,
    sink: &mut RowSink,
) -> Result<(Vec<LogRow>, Vec<Diagnostic>), Vec<Diagnostic>> {
    let specs = [
        req("dato", &["date"]),
        columns::FORETAK,
        columns::ENHET,
        opt("fase", &["periode"]),
        columns::YRKE,
        req("oppgave", &["aktivitet"]),
        req("minutter", &["min", "tid_min"]),
        opt("pasient", &["pasient_ref"]),
        opt("utført_av", &["ansatt_ref"]),
        opt("id", &[]),
    ];
    let cols = map_columns(display, table, &specs)?;
    let h = |i: usize| cols.header(i, table);
    let mut warnings: Vec<Diagnostic> = cols.unused_warning(display, table).into_iter().collect();
    let (mut places, mut y_cache, mut o_cache) = (
        Places::default(),
        NameCache::default(),
        NameCache::default(),
    );
    let mut parsers = Parsers::default();
    let mut fase_cache: std::collections::HashMap<String, String> =
        std::collections::HashMap::new();
    let mut out = Vec::with_capacity(table.rows.len());
    let mut outside_units: Vec<String> = Vec::new();
    for row in &table.rows {
        let f = &row.fields;
        let mut problems: Vec<Problem> = shape_problem(table, row).into_iter().collect();
        let dato = parsers.required_date(h(DATO), cols.get(DATO, f), &mut problems);
        let (foretak, enhet) = places.resolve(
            resolvers,
            (h(FORETAK), cols.get(FORETAK, f)),
            (h(ENHET), cols.get(ENHET, f)),
            &mut problems,
        );
        let yrke = y_cache
            .resolve(&resolvers.yrke, h(YRKE), cols.get(YRKE, f))
            .map_err(|p| problems.push(p))
            .ok();
        let oppgave = o_cache
            .resolve(&resolvers.oppgave, h(OPPGAVE), cols.get(OPPGAVE, f))
            .map_err(|p| problems.push(p))
            .ok();
        let minutter = match parse_bounded(cols.get(MINUTTER, f), Bound::Minutes) {
            Ok(Some(m)) => Some(m),
            Ok(None) => {
                problems.push(Problem::new(
                    h(MINUTTER),
                    Reason::MissingMinutes,
                    "missing minutes",
                ));
                None
            }
            Err(e) => {
                problems.push(Problem::invalid(h(MINUTTER), e));
                None
            }
        };
        let mut fase = None;
        if let Some(d) = dato {
            fase = pilot.fase_of(d);
            if fase.is_none() {
                let periods = pilot
                    .perioder
                    .iter()
                    .map(|p| {
                        format!(
                            "{} {}–{}",
                            p.fase.as_str(),
                            p.fra.format("%d.%m.%Y"),
                            p.til.format("%d.%m.%Y")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                problems.push(
                    Problem::new(
                        h(DATO),
                        Reason::DateOutsidePeriods,
                        format!(
                            "date {} is outside the pilot's periods",
                            d.format("%d.%m.%Y")
                        ),
                    )
                    .with_hint(Some(format!("`{}` runs {periods}", pilot.id))),
                );
            }
        }
        let given = cols.get(FASE, f);
        if !is_missing(given) {
            let g = match fase_cache
                .entry(given.to_string())
                .or_insert_with(|| normalize(given))
                .as_str()
            {
                "før" | "for" => Some(Fase::For),
                "pilot" => Some(Fase::Pilot),
                _ => {
                    problems.push(
                        Problem::new(
                            h(FASE),
                            Reason::UnknownPhase,
                            format!("unknown phase `{given}`"),
                        )
                        .with_hint(Some("expected `før` or `pilot`".into())),
                    );
                    None
                }
            };
            if let (Some(g), Some(d)) = (g, fase)
                && g != d
            {
                problems.push(Problem::new(
                    h(FASE),
                    Reason::PhaseDisagrees,
                    format!(
                        "phase `{}` disagrees with the date, which falls in `{}`",
                        g.as_str(),
                        d.as_str()
                    ),
                ));
            }
        }
        let id = cols.get(ID, f).trim();
        if !id.is_empty() && !ids.insert(id.to_string()) {
            problems.push(Problem::new(
                h(ID),
                Reason::RepeatedId,
                format!("repeated id `{id}` in pilot `{}`", pilot.id),
            ));
        }
        if sink.reject(row, problems) {
            continue;
        }
        let (
            Some(dato),
            Some(fase),
            Some(foretak_id),
            Some(enhet_id),
            Some(yrke_id),
            Some(oppgave_id),
            Some(minutter),
        ) = (dato, fase, foretak, enhet, yrke, oppgave, minutter)
        else {
            unreachable!("a row without problems has every required value");
        };
        if !pilot.enheter.is_empty()
            && !pilot.enheter.iter().any(|e| *e == enhet_id)
            && !outside_units.iter().any(|e| *e == enhet_id)
        {
            outside_units.push(enhet_id.to_string());
        }
        let opt_text = |i: usize| {
            Some(cols.get(i, f).trim())
                .filter(|s| !is_missing(s))
                .map(Text::from)
        };
        out.push(LogRow {
            pilot_id: Text::from(pilot.id.as_str()),
            dato,
            fase,
            foretak_id,
            enhet_id,
            yrke_id,
            oppgave_id,
            minutter,
            pasient: opt_text(PASIENT),
            utfort_av: opt_text(UTFORT_AV),
        });
    }
    if !outside_units.is_empty() {
        warnings.push(Diagnostic::warning(
            display,
            format!(
                "rows from units outside the pilot's `enheter` were kept: {}",
                outside_units.join(", ")
            ),
        ));
    }
    Ok((out, warnings))
}
