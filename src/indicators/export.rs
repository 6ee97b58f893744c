//! Export of the indicator table (indicators.md §7): CSV for Excel, Parquet for machines.

use anyhow::Result;
use polars::prelude::{Column, DataFrame, DataType, NamedFrom, ParquetWriter, PlSmallStr, Series};

use super::table::{IndicatorRow, IndicatorTable};

/// The export's columns, in order.
pub const COLUMNS: [&str; 19] = [
    "indikator",
    "gruppering",
    "foretak_id",
    "enhet_id",
    "yrke_id",
    "kompetansenivå",
    "pilot_id",
    "fase",
    "område",
    "undersøkelse",
    "serie",
    "runde",
    "dato",
    "verdi",
    "nedre",
    "øvre",
    "n",
    "måleenhet",
    "prikket",
];

/// Shortest representation that reads back to the same f64, with a decimal comma.
pub fn number(x: f64) -> String {
    format!("{x}").replace('.', ",")
}

fn sorted(table: &IndicatorTable) -> Vec<&IndicatorRow> {
    let mut rows: Vec<&IndicatorRow> = table.rows.iter().collect();
    rows.sort_by(|a, b| {
        (&a.indikator, &a.gruppering, &a.keys).cmp(&(&b.indikator, &b.gruppering, &b.keys))
    });
    rows
}

fn field(s: &str) -> String {
    if s.contains([';', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// `indikatorer.csv`: UTF-8 with BOM, `;`, decimal comma, CRLF, rows sorted.
pub fn to_csv(table: &IndicatorTable) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    out.push_str(&COLUMNS.join(";"));
    out.push_str("\r\n");
    let opt = |s: &Option<String>| s.as_deref().map(field).unwrap_or_default();
    let num = |x: Option<f64>| x.map(number).unwrap_or_default();
    for r in sorted(table) {
        let k = &r.keys;
        let cells = [
            field(&r.indikator),
            field(&r.gruppering),
            opt(&k.foretak_id),
            opt(&k.enhet_id),
            opt(&k.yrke_id),
            k.kompetanseniva.map(|v| v.to_string()).unwrap_or_default(),
            opt(&k.pilot_id),
            opt(&k.fase),
            opt(&k.omrade),
            opt(&k.undersokelse),
            opt(&r.serie),
            opt(&r.runde),
            opt(&k.dato),
            num(r.verdi),
            num(r.nedre),
            num(r.ovre),
            r.n.map(|n| n.to_string()).unwrap_or_default(),
            field(&r.maleenhet),
            if r.prikket { "ja" } else { "nei" }.to_owned(),
        ];
        out.push_str(&cells.join(";"));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn strs(name: &str, v: Vec<Option<String>>) -> Column {
    Column::from(Series::new(PlSmallStr::from(name), v))
}

fn f64s(name: &str, v: Vec<Option<f64>>) -> Column {
    Column::from(Series::new(PlSmallStr::from(name), v))
}

/// `indikatorer.parquet`: the same columns, typed (strings, `kompetansenivå` i64, numbers
/// f64, `n` u64, `dato` a date, `prikket` bool), rows sorted.
pub fn to_parquet(table: &IndicatorTable) -> Result<Vec<u8>> {
    let rows = sorted(table);
    let s =
        |f: &dyn Fn(&IndicatorRow) -> Option<String>| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
    let days = |d: &str| {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .ok()
            .map(|d| {
                (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
            })
    };
    let dato = Column::from(Series::new(
        PlSmallStr::from("dato"),
        rows.iter()
            .map(|r| r.keys.dato.as_deref().and_then(days))
            .collect::<Vec<Option<i32>>>(),
    ))
    .cast(&DataType::Date)?;
    let columns = vec![
        strs("indikator", s(&|r| Some(r.indikator.clone()))),
        strs("gruppering", s(&|r| Some(r.gruppering.clone()))),
        strs("foretak_id", s(&|r| r.keys.foretak_id.clone())),
        strs("enhet_id", s(&|r| r.keys.enhet_id.clone())),
        strs("yrke_id", s(&|r| r.keys.yrke_id.clone())),
        Column::from(Series::new(
            PlSmallStr::from("kompetansenivå"),
            rows.iter()
                .map(|r| r.keys.kompetanseniva.map(i64::from))
                .collect::<Vec<_>>(),
        )),
        strs("pilot_id", s(&|r| r.keys.pilot_id.clone())),
        strs("fase", s(&|r| r.keys.fase.clone())),
        strs("område", s(&|r| r.keys.omrade.clone())),
        strs("undersøkelse", s(&|r| r.keys.undersokelse.clone())),
        strs("serie", s(&|r| r.serie.clone())),
        strs("runde", s(&|r| r.runde.clone())),
        dato,
        f64s("verdi", rows.iter().map(|r| r.verdi).collect()),
        f64s("nedre", rows.iter().map(|r| r.nedre).collect()),
        f64s("øvre", rows.iter().map(|r| r.ovre).collect()),
        Column::from(Series::new(
            PlSmallStr::from("n"),
            rows.iter().map(|r| r.n).collect::<Vec<_>>(),
        )),
        strs("måleenhet", s(&|r| Some(r.maleenhet.clone()))),
        Column::from(Series::new(
            PlSmallStr::from("prikket"),
            rows.iter().map(|r| r.prikket).collect::<Vec<_>>(),
        )),
    ];
    let mut df = DataFrame::new(rows.len(), columns)?;
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf)
        .set_parallel(false)
        .finish(&mut df)?;
    Ok(buf)
}
