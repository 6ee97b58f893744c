//! Validated activity-log rows as Parquet: the per-file cache that lets a rerun after one new
//! log file skip re-reading and re-validating every other log.

use std::io::Cursor;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use polars::prelude::{
    Column, DataFrame, NamedFrom, ParquetReader, ParquetWriter, PlSmallStr, SerReader, Series,
};

use crate::model::{Fase, LogRow};

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");

fn col(name: &str, s: Series) -> Column {
    Column::from(s.with_name(PlSmallStr::from(name)))
}

/// Encode validated log rows as Parquet.
pub fn logs_to_parquet(rows: &[LogRow]) -> Result<Vec<u8>> {
    let text = |f: &dyn Fn(&LogRow) -> &str| -> Series {
        Series::new(PlSmallStr::EMPTY, rows.iter().map(f).collect::<Vec<_>>())
    };
    let opt = |f: &dyn Fn(&LogRow) -> Option<&str>| -> Series {
        Series::new(PlSmallStr::EMPTY, rows.iter().map(f).collect::<Vec<_>>())
    };
    let columns = vec![
        col("pilot_id", text(&|r| &r.pilot_id)),
        col(
            "dato",
            Series::new(
                PlSmallStr::EMPTY,
                rows.iter()
                    .map(|r| (r.dato - EPOCH).num_days())
                    .collect::<Vec<i64>>(),
            ),
        ),
        col(
            "pilot_fase",
            Series::new(
                PlSmallStr::EMPTY,
                rows.iter()
                    .map(|r| r.fase == Fase::Pilot)
                    .collect::<Vec<bool>>(),
            ),
        ),
        col("foretak_id", text(&|r| &r.foretak_id)),
        col("enhet_id", text(&|r| &r.enhet_id)),
        col("yrke_id", text(&|r| &r.yrke_id)),
        col("oppgave_id", text(&|r| &r.oppgave_id)),
        col(
            "minutter",
            Series::new(
                PlSmallStr::EMPTY,
                rows.iter().map(|r| r.minutter).collect::<Vec<f64>>(),
            ),
        ),
        col("pasient", opt(&|r| r.pasient.as_deref())),
        col("utfort_av", opt(&|r| r.utfort_av.as_deref())),
    ];
    let mut df = DataFrame::new(rows.len(), columns)?;
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf)
        .set_parallel(false)
        .finish(&mut df)?;
    Ok(buf)
}

/// Decode log rows written by [`logs_to_parquet`].
pub fn logs_from_parquet(bytes: &[u8]) -> Result<Vec<LogRow>> {
    let df = ParquetReader::new(Cursor::new(bytes))
        .finish()
        .context("failed to read a cached log")?;
    let s = |name: &str| {
        df.column(name)
            .and_then(|c| c.str().cloned())
            .with_context(|| format!("cached log lacks `{name}`"))
    };
    let (pilot, foretak, enhet, yrke, oppgave, pasient, utfort) = (
        s("pilot_id")?,
        s("foretak_id")?,
        s("enhet_id")?,
        s("yrke_id")?,
        s("oppgave_id")?,
        s("pasient")?,
        s("utfort_av")?,
    );
    let dato = df.column("dato")?.i64()?.clone();
    let fase = df.column("pilot_fase")?.bool()?.clone();
    let minutter = df.column("minutter")?.f64()?.clone();
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let text = |c: &polars::prelude::StringChunked| c.get(i).map(crate::model::Id::from);
        let (Some(p), Some(f), Some(e), Some(y), Some(o), Some(d), Some(ph), Some(m)) = (
            text(&pilot),
            text(&foretak),
            text(&enhet),
            text(&yrke),
            text(&oppgave),
            dato.get(i),
            fase.get(i),
            minutter.get(i),
        ) else {
            bail!("a cached log row has a missing value");
        };
        out.push(LogRow {
            pilot_id: p,
            dato: EPOCH + chrono::Duration::days(d),
            fase: if ph { Fase::Pilot } else { Fase::For },
            foretak_id: f,
            enhet_id: e,
            yrke_id: y,
            oppgave_id: o,
            minutter: m,
            pasient: text(&pasient),
            utfort_av: text(&utfort),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_rows_survive_a_round_trip() {
        let row = |p: Option<&str>| LogRow {
            pilot_id: "lar".into(),
            dato: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap(),
            fase: Fase::Pilot,
            foretak_id: "STO".into(),
            enhet_id: "STO-LAR".into(),
            yrke_id: "sykepleier".into(),
            oppgave_id: "lar".into(),
            minutter: 22.5,
            pasient: p.map(crate::model::Id::from),
            utfort_av: None,
        };
        let rows = vec![
            row(Some("P1")),
            LogRow {
                fase: Fase::For,
                dato: NaiveDate::from_ymd_opt(1999, 12, 31).unwrap(),
                ..row(None)
            },
        ];
        assert_eq!(
            logs_from_parquet(&logs_to_parquet(&rows).unwrap()).unwrap(),
            rows
        );
        assert!(
            logs_from_parquet(&logs_to_parquet(&[]).unwrap())
                .unwrap()
                .is_empty()
        );
    }
}
