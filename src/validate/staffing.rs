//! Staffing exports (data-contract §5): one unit × profession cell at a date.

use crate::diag::{Diagnostic, Reason};
use crate::ingest::RawTable;
use crate::ingest::values::{Bound, parse_bounded};
use crate::model::{StaffingRow, StaffingSource};

use super::columns;
use super::columns::{map_columns, opt, req};
use super::names::{NameCache, Places};
use super::reference::Resolvers;
use super::rows::{Parsers, Problem, RowSink, shape_problem};

/// Validate one staffing export.
pub fn validate(
    display: &str,
    table: &RawTable,
    resolvers: &Resolvers,
    sink: &mut RowSink,
) -> Result<(Vec<StaffingRow>, Vec<Diagnostic>), Vec<Diagnostic>> {
    let specs = [
        req("dato", &["per_dato"]),
        columns::FORETAK,
        columns::ENHET,
        columns::YRKE,
        req("budsjetterte_årsverk", &["budsjett_årsverk"]),
        req("besatte_årsverk", &["avtalte_årsverk"]),
        opt("innleide_årsverk", &["innleie"]),
        opt("ledige_stillinger", &[]),
        opt("ledige_over_6_mnd", &[]),
        opt("ansatte", &[]),
        opt("sluttet_12_mnd", &["avganger"]),
        opt("sykefravær_pst", &["sykefravær"]),
    ];
    let cols = map_columns(display, table, &specs)?;
    let h = |i: usize| cols.header(i, table).to_string();
    let warnings: Vec<Diagnostic> = cols.unused_warning(display, table).into_iter().collect();
    let (mut places, mut yc) = (
        Places::<crate::model::Text>::default(),
        NameCache::<crate::model::Text>::default(),
    );
    let mut parsers = Parsers::default();
    let mut out = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let f = &row.fields;
        let mut problems: Vec<Problem> = shape_problem(table, row).into_iter().collect();
        let dato = parsers.required_date(&h(0), cols.get(0, f), &mut problems);
        let (foretak, enhet) = places.resolve(
            resolvers,
            (&h(1), cols.get(1, f)),
            (&h(2), cols.get(2, f)),
            &mut problems,
        );
        let yrke = yc
            .resolve(&resolvers.yrke, &h(3), cols.get(3, f))
            .map_err(|p| problems.push(p))
            .ok();
        let mut num = |i: usize, required: bool, bound: Bound| -> Option<f64> {
            cols.index[i]?;
            match parse_bounded(cols.get(i, f), bound) {
                Ok(Some(v)) => Some(v),
                Ok(None) if required => {
                    problems.push(Problem::new(
                        &h(i),
                        Reason::MissingValue,
                        "missing value in required column",
                    ));
                    None
                }
                Ok(None) => None,
                Err(e) => {
                    problems.push(Problem::invalid(&h(i), e));
                    None
                }
            }
        };
        let b = num(4, true, Bound::Fte);
        let fi = num(5, true, Bound::Fte);
        let inn = num(6, false, Bound::Fte);
        let ledige = num(7, false, Bound::Count);
        let ledige6 = num(8, false, Bound::Count);
        let ansatte = num(9, false, Bound::Count);
        let sluttet = num(10, false, Bound::Count);
        let syk = num(11, false, Bound::Percent);
        if sink.reject(row, problems) {
            continue;
        }
        let (Some(dato), Some(foretak_id), Some(enhet_id), Some(yrke_id), Some(b), Some(fi)) =
            (dato, foretak, enhet, yrke, b, fi)
        else {
            unreachable!("a row without problems has every required value");
        };
        out.push(StaffingRow {
            dato,
            foretak_id: foretak_id.to_string(),
            enhet_id: enhet_id.to_string(),
            yrke_id: yrke_id.to_string(),
            budsjetterte_arsverk: b,
            besatte_arsverk: fi,
            innleide_arsverk: inn.unwrap_or(0.0),
            ledige_stillinger: ledige,
            ledige_over_6_mnd: ledige6,
            ansatte,
            sluttet_12_mnd: sluttet,
            sykefravaer_pst: syk,
            kilde: StaffingSource::Hr,
        });
    }
    Ok((out, warnings))
}
