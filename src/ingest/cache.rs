//! Validated activity-log rows as Parquet: the per-file cache that lets a rerun after one new
//! log file skip re-reading and re-validating every other log.
//!
//! The ids repeat enormously (a few hundred distinct values per column, a few thousand
//! pseudonyms), so a file stores each text column as `u32` codes into a dictionary of the
//! file's distinct texts per column, kept as one JSON array in the file's key-value metadata
//! ([`DICTIONARY`]): code 0 is "no value" (only in the two optional columns), code `c` is the
//! dictionary's entry `c - 1`. Encoding is one pass over the rows with a hash map per column
//! (and the previous row's value, since ids come in runs); decoding builds each distinct text
//! once and clones it per row. The file stays plain Parquet: `dato` (days since 1970-01-01,
//! `i32`), `pilot_fase` (`bool`), `minutter` (`f64`, bit-exact) and the code columns.

use std::io::Cursor;

use anyhow::{Context, Result, anyhow, ensure};
use chrono::{Datelike, NaiveDate};
use polars::prelude::{
    Column, DataFrame, KeyValueMetadata, NamedFrom, ParallelStrategy, ParquetCompression,
    ParquetReader, ParquetWriter, PlHashMap, PlSmallStr, SerReader, Series, StatisticsOptions,
};

use crate::model::{Fase, Id, LogRow};

/// The key-value metadata entry holding the dictionary (a JSON array of strings).
pub const DICTIONARY: &str = "tsb-report:log-dictionary";

/// `dato` is stored as days since 1970-01-01; this is that day's number from the common era.
const EPOCH_CE: i32 = 719_163;

/// The text columns, in the order of [`ids`]; the last two are optional.
const TEXT_COLUMNS: [&str; 7] = [
    "pilot_id",
    "foretak_id",
    "enhet_id",
    "yrke_id",
    "oppgave_id",
    "pasient",
    "utfort_av",
];

/// The number of required text columns (the first of [`TEXT_COLUMNS`]).
const REQUIRED: usize = 5;

/// A row's ids, in the order of [`TEXT_COLUMNS`].
fn ids(r: &LogRow) -> [Option<&Id>; 7] {
    [
        Some(&r.pilot_id),
        Some(&r.foretak_id),
        Some(&r.enhet_id),
        Some(&r.yrke_id),
        Some(&r.oppgave_id),
        r.pasient.as_ref(),
        r.utfort_av.as_ref(),
    ]
}

/// An id as a number: the address of its interned text. Equal ids are one interned text, so
/// the address stands for the text without the text being read (a probe into the string
/// cache per row, far from the rows).
pub(crate) fn address(id: &Id) -> usize {
    id.as_char_ptr() as usize
}

fn col(name: &str, s: Series) -> Column {
    Column::from(s.with_name(PlSmallStr::from(name)))
}

/// The place of `pasient` in [`TEXT_COLUMNS`].
const PATIENTS: usize = 5;

/// The code of `id` in a column with `index` (and its `last` id and code), a new entry of
/// `dictionary` the first time; 0 for none.
fn code_of<'r>(
    id: Option<&'r Id>,
    index: &mut PlHashMap<usize, u32>,
    last: &mut (usize, u32),
    dictionary: &mut Vec<&'r str>,
) -> Result<u32> {
    let Some(id) = id else { return Ok(0) };
    let a = address(id);
    if last.1 != 0 && last.0 == a {
        return Ok(last.1);
    }
    let code = match index.get(&a) {
        Some(code) => *code,
        None => {
            dictionary.push(id.as_str());
            let code = u32::try_from(dictionary.len())
                .context("a log has too many distinct ids to cache")?;
            index.insert(a, code);
            code
        }
    };
    *last = (a, code);
    Ok(code)
}

/// Encode validated log rows as Parquet.
pub fn logs_to_parquet(rows: &[LogRow]) -> Result<Vec<u8>> {
    let mut dictionary: Vec<&str> = Vec::new();
    // One index per column, so that the small ones stay in the nearest cache (a text in two
    // columns is in the dictionary twice).
    let mut index: [PlHashMap<usize, u32>; 7] = Default::default();
    let mut codes: [Vec<u32>; 7] = std::array::from_fn(|_| Vec::with_capacity(rows.len()));
    // The previous row's id and code per column: ids come in runs.
    let mut last: [(usize, u32); 7] = [(0, 0); 7];
    for r in rows {
        for (c, id) in ids(r).into_iter().enumerate() {
            if c != PATIENTS {
                let code = code_of(id, &mut index[c], &mut last[c], &mut dictionary)?;
                codes[c].push(code);
            }
        }
    }
    // The patients in a loop of their own: the many of them miss the cache, and with nothing
    // else in the loop the lookups of many rows are under way at once.
    for r in rows {
        let id = r.pasient.as_ref();
        let code = code_of(
            id,
            &mut index[PATIENTS],
            &mut last[PATIENTS],
            &mut dictionary,
        )?;
        codes[PATIENTS].push(code);
    }
    let mut columns = vec![
        col(
            "dato",
            Series::new(
                PlSmallStr::EMPTY,
                rows.iter()
                    .map(|r| r.dato.num_days_from_ce() - EPOCH_CE)
                    .collect::<Vec<i32>>(),
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
        col(
            "minutter",
            Series::new(
                PlSmallStr::EMPTY,
                rows.iter().map(|r| r.minutter).collect::<Vec<f64>>(),
            ),
        ),
    ];
    for (name, codes) in TEXT_COLUMNS.into_iter().zip(codes) {
        columns.push(col(name, Series::new(PlSmallStr::EMPTY, codes)));
    }
    let mut df = DataFrame::new(rows.len(), columns)?;
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf)
        // Measured on the national logs (10 M rows): LZ4 encodes and decodes about as fast
        // as no compression, at 60 % of its size; zstd is 15 % slower and 25 % smaller.
        .with_compression(ParquetCompression::Lz4Raw)
        .with_statistics(StatisticsOptions::empty())
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(vec![(
            DICTIONARY.to_owned(),
            serde_json::to_string(&dictionary)?,
        )])))
        .set_parallel(false)
        .finish(&mut df)?;
    Ok(buf)
}

/// Decode log rows written by [`logs_to_parquet`]. A file that is not one (truncated,
/// corrupt, of an older layout) is an error.
pub fn logs_from_parquet(bytes: &[u8]) -> Result<Vec<LogRow>> {
    // Polars panics on some corrupt files (a changed byte in a page): caught, silently, on
    // this thread, where the file is read (no parallel read: the caller reads files in
    // parallel).
    super::xlsx::quiet_catch(|| decode(bytes))
        .unwrap_or_else(|_| Err(anyhow!("a cached log is corrupt")))
}

fn decode(bytes: &[u8]) -> Result<Vec<LogRow>> {
    let mut reader = ParquetReader::new(Cursor::new(bytes)).read_parallel(ParallelStrategy::None);
    let dictionary = reader
        .get_metadata()
        .context("failed to read a cached log")?
        .key_value_metadata
        .iter()
        .flatten()
        .find(|kv| kv.key == DICTIONARY)
        .and_then(|kv| kv.value.clone())
        .context("a cached log lacks its dictionary")?;
    // Entry `c` is the text of code `c`; entry 0 stands for "no value".
    let dictionary: Vec<Id> = std::iter::once(Id::default())
        .chain(
            serde_json::from_str::<Vec<String>>(&dictionary)
                .context("a cached log's dictionary is not a list of texts")?
                .iter()
                .map(|t| Id::from(t.as_str())),
        )
        .collect();
    let df = reader.finish().context("failed to read a cached log")?;
    let missing = "a cached log row has a missing value";
    let codes = TEXT_COLUMNS
        .iter()
        .enumerate()
        .map(|(c, name)| -> Result<Vec<u32>> {
            let column = df
                .column(name)
                .and_then(|c| c.u32().cloned())
                .with_context(|| format!("cached log lacks `{name}`"))?;
            ensure!(column.null_count() == 0, missing);
            let codes: Vec<u32> = column.into_no_null_iter().collect();
            let least = u32::from(c < REQUIRED);
            ensure!(
                codes
                    .iter()
                    .all(|&k| k >= least && (k as usize) < dictionary.len()),
                "a cached log row has an unknown or missing text"
            );
            Ok(codes)
        })
        .collect::<Result<Vec<_>>>()?;
    let (dato, fase, minutter) = (
        df.column("dato")?.i32()?,
        df.column("pilot_fase")?.bool()?,
        df.column("minutter")?.f64()?,
    );
    ensure!(
        dato.null_count() == 0 && fase.null_count() == 0 && minutter.null_count() == 0,
        missing
    );
    // Days come in runs: convert each run once.
    let mut days = Vec::with_capacity(df.height());
    let mut last = None;
    for d in dato.into_no_null_iter() {
        let day = match last {
            Some((k, day)) if k == d => day,
            _ => d
                .checked_add(EPOCH_CE)
                .and_then(NaiveDate::from_num_days_from_ce_opt)
                .context("a cached log row has a date out of range")?,
        };
        last = Some((d, day));
        days.push(day);
    }
    let fase: Vec<bool> = fase.downcast_iter().flat_map(|a| a.values_iter()).collect();
    let minutter: Vec<f64> = minutter.into_no_null_iter().collect();
    // Every code was checked above.
    let text = |c: usize, i: usize| dictionary[codes[c][i] as usize];
    let optional = |c: usize, i: usize| match codes[c][i] {
        0 => None,
        k => Some(dictionary[k as usize]),
    };
    let mut out = Vec::with_capacity(days.len());
    out.extend((0..days.len()).map(|i| LogRow {
        pilot_id: text(0, i),
        dato: days[i],
        fase: if fase[i] { Fase::Pilot } else { Fase::For },
        foretak_id: text(1, i),
        enhet_id: text(2, i),
        yrke_id: text(3, i),
        oppgave_id: text(4, i),
        minutter: minutter[i],
        pasient: optional(5, i),
        utfort_av: optional(6, i),
    }));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_rows_survive_a_round_trip() {
        let row = |p: Option<&str>| LogRow {
            pasient: p.map(crate::model::Id::from),
            utfort_av: None,
            ..super::hostile::row(0)
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

#[cfg(test)]
mod hostile {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// A log row of pilot `lar`, its references numbered `i`.
    pub(super) fn row(i: usize) -> LogRow {
        LogRow {
            pilot_id: "lar".into(),
            dato: day(2025, 3, 3),
            fase: Fase::Pilot,
            foretak_id: "STO".into(),
            enhet_id: "STO-LAR".into(),
            yrke_id: "sykepleier".into(),
            oppgave_id: "lar".into(),
            minutter: 22.5,
            pasient: Some(format!("P{i:06}").into()),
            utfort_av: Some(format!("A{:04}", i % 977).into()),
        }
    }

    /// Equal rows, and `minutter` equal to the bit.
    fn assert_same(back: &[LogRow], rows: &[LogRow]) {
        assert_eq!(back, rows);
        for (b, r) in back.iter().zip(rows) {
            assert_eq!(b.minutter.to_bits(), r.minutter.to_bits());
        }
    }

    #[test]
    fn days_are_counted_from_1970() {
        assert_eq!(day(1970, 1, 1).num_days_from_ce(), EPOCH_CE);
    }

    #[test]
    fn an_id_is_known_by_its_address_alone() {
        // The encoder keys ids by the address of their interned text: equal texts interned
        // apart must share it, different texts never.
        let texts = [
            "", "\0", "\0\0", "a", "a\0", "ab", "P61922", "A0394", "ø", "1234567", "12345678",
        ];
        let ids: Vec<Id> = texts.iter().map(|t| Id::from(t)).collect();
        let again: Vec<Id> = texts
            .iter()
            .map(|t| Id::from(t.to_string().as_str()))
            .collect();
        for (a, b) in ids.iter().zip(&again) {
            assert_eq!(address(a), address(b));
        }
        let distinct: std::collections::HashSet<usize> = ids.iter().map(address).collect();
        assert_eq!(distinct.len(), texts.len());
    }

    #[test]
    fn hostile_rows_survive_a_round_trip() {
        let long = "Poliklinikk for rus og avhengighet, Ålesund sjukehus";
        let mut rows = vec![
            // Texts that are empty, non-ASCII, longer than an inline text, or the same in two
            // columns; the optional ones empty rather than missing.
            LogRow {
                pilot_id: "".into(),
                foretak_id: "Helse Møre og Romsdal".into(),
                enhet_id: long.into(),
                yrke_id: "lar".into(),
                oppgave_id: "samtale 🗣 med pårørende".into(),
                pasient: Some("".into()),
                utfort_av: Some(long.into()),
                ..row(0)
            },
            // Extreme minutes and dates far apart, both phases.
            LogRow {
                minutter: 0.1,
                dato: NaiveDate::MIN,
                fase: Fase::For,
                ..row(1)
            },
            LogRow {
                minutter: 720.0,
                dato: NaiveDate::MAX,
                ..row(2)
            },
            LogRow {
                minutter: f64::MIN_POSITIVE,
                dato: day(1969, 12, 31),
                ..row(3)
            },
            LogRow {
                minutter: 719.999_999_999_999_9,
                dato: day(1970, 1, 1),
                ..row(4)
            },
            LogRow {
                minutter: 1.0 / 3.0,
                pasient: None,
                utfort_av: None,
                ..row(5)
            },
            // Texts around the 7-byte keys of the index, NULs included.
            LogRow {
                pasient: Some("1234567".into()),
                utfort_av: Some("\0".into()),
                ..row(6)
            },
            LogRow {
                pasient: Some("12345678".into()),
                utfort_av: Some("\0\0".into()),
                ..row(7)
            },
            LogRow {
                pasient: Some("1234567".into()),
                utfort_av: Some("".into()),
                ..row(8)
            },
        ];
        // Many distinct values, in runs and not.
        rows.extend((0..70_000).map(|i| LogRow {
            enhet_id: format!("E{}", i / 1000).into(),
            yrke_id: format!("yrke-{}", i % 13).into(),
            dato: day(2025, 1, 1) + chrono::Duration::days(i as i64 / 500),
            fase: if i % 3 == 0 { Fase::For } else { Fase::Pilot },
            minutter: (i % 720 + 1) as f64 / 7.0,
            pasient: (i % 5 != 0).then(|| format!("P{i}").into()),
            ..row(i)
        }));
        assert_same(
            &logs_from_parquet(&logs_to_parquet(&rows).unwrap()).unwrap(),
            &rows,
        );

        // The optional columns missing throughout.
        let none: Vec<LogRow> = (0..100)
            .map(|i| LogRow {
                pasient: None,
                utfort_av: None,
                ..row(i)
            })
            .collect();
        assert_same(
            &logs_from_parquet(&logs_to_parquet(&none).unwrap()).unwrap(),
            &none,
        );
    }

    #[test]
    fn a_corrupt_or_foreign_cache_file_is_an_error_not_a_panic() {
        let rows: Vec<LogRow> = (0..300).map(row).collect();
        let good = logs_to_parquet(&rows).unwrap();
        assert!(logs_from_parquet(&[]).is_err());
        assert!(logs_from_parquet(b"PAR1 not really").is_err());
        // Truncated anywhere.
        for len in (0..good.len()).step_by(7) {
            assert!(
                logs_from_parquet(&good[..len]).is_err(),
                "truncated to {len}"
            );
        }
        // A byte changed anywhere: an error or some rows, never a panic.
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0x5a;
            let _ = logs_from_parquet(&bad);
        }
        // Parquet of another layout (the texts as strings, without a dictionary).
        let mut df = DataFrame::new(
            1,
            vec![col("pilot_id", Series::new(PlSmallStr::EMPTY, ["lar"]))],
        )
        .unwrap();
        let mut foreign = Vec::new();
        ParquetWriter::new(&mut foreign).finish(&mut df).unwrap();
        assert!(logs_from_parquet(&foreign).is_err());
    }
}
