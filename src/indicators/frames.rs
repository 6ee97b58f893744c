//! The only place that talks to Polars: build frames from plain columns, group and sum.
//!
//! Every aggregate is returned as plain Rust values sorted by key, so nothing downstream
//! depends on Polars' group order. Inputs are sorted canonically by the callers before
//! they become frames, so sums do not depend on the order of the input rows either.

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::{
    Column, DataFrame, DataType, IntoLazy, LazyFrame, NamedFrom, PlSmallStr, Series, col, len, lit,
};

/// The values of one group's key columns; `None` where the key is null.
pub(crate) type GroupKey = Vec<Option<String>>;

/// A frame under construction: string key columns and f64 value columns.
#[derive(Default)]
pub(crate) struct FrameBuilder {
    columns: Vec<Column>,
}

impl FrameBuilder {
    /// Add a string column (nulls allowed), of owned or borrowed texts.
    pub(crate) fn str<S: AsRef<str>>(mut self, name: &str, values: Vec<Option<S>>) -> Self {
        let values: Vec<Option<&str>> = values
            .iter()
            .map(|v| v.as_ref().map(AsRef::as_ref))
            .collect();
        let s = Series::new(PlSmallStr::from(name), values);
        self.columns.push(Column::from(s));
        self
    }
    /// Add an f64 column (nulls allowed).
    pub(crate) fn f64(mut self, name: &str, values: Vec<Option<f64>>) -> Self {
        let s = Series::new(PlSmallStr::from(name), values);
        self.columns.push(Column::from(s));
        self
    }
    /// The finished frame.
    pub(crate) fn finish(self) -> Result<DataFrame> {
        Ok(DataFrame::new_infer_height(self.columns)?)
    }
}

/// One group: its keys, the sum of each value column (nulls skipped), its row count.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    /// Sums in the order of the requested columns.
    pub(crate) sums: Vec<f64>,
    /// Number of rows in the group.
    pub(crate) rows: u64,
}

fn read_groups(df: &DataFrame, keys: &[&str], sums: &[&str]) -> Result<BTreeMap<GroupKey, Group>> {
    let mut out = BTreeMap::new();
    let key_cols = keys
        .iter()
        .map(|k| df.column(k).and_then(|c| c.cast(&DataType::String)))
        .collect::<Result<Vec<_>, _>>()?;
    let sum_cols = sums
        .iter()
        .map(|s| df.column(s).and_then(|c| c.cast(&DataType::Float64)))
        .collect::<Result<Vec<_>, _>>()?;
    let n_col = df.column("__n")?.cast(&DataType::Float64)?;
    let n_ca = n_col.f64()?;
    for i in 0..df.height() {
        let mut key = Vec::with_capacity(keys.len());
        for c in &key_cols {
            key.push(c.str()?.get(i).map(str::to_owned));
        }
        let mut vals = Vec::with_capacity(sums.len());
        for c in &sum_cols {
            vals.push(c.f64()?.get(i).unwrap_or(0.0));
        }
        let rows = n_ca.get(i).unwrap_or(0.0) as u64;
        out.insert(key, Group { sums: vals, rows });
    }
    Ok(out)
}

/// Polars 0.55 may run a group-by with fewer than three keys on its "partitioned" path,
/// which splits a group's rows across threads and adds the partial sums in whatever order
/// the threads finish: float sums then differ in the last digit from run to run. With three
/// or more keys it aggregates each group over its rows in order. So every group-by gets at
/// least three keys, padded with constant columns that every row shares.
const MIN_KEYS: usize = 3;

fn pad_names(keys: &[&str]) -> Vec<String> {
    (keys.len()..MIN_KEYS)
        .map(|i| format!("__fast{i}"))
        .collect()
}

/// Add the constant padding columns `by` groups on.
fn padded(lf: LazyFrame, keys: &[&str]) -> LazyFrame {
    let pads = pad_names(keys);
    if pads.is_empty() {
        return lf;
    }
    lf.with_columns(
        pads.iter()
            .map(|n| lit(0u8).alias(n.as_str()))
            .collect::<Vec<_>>(),
    )
}

fn by(keys: &[&str]) -> Vec<polars::prelude::Expr> {
    keys.iter()
        .map(|k| col(*k))
        .chain(pad_names(keys).into_iter().map(|n| col(n.as_str())))
        .collect()
}

/// Group `df` by `keys` and sum `sums`; also counts rows. With no keys, one group (the
/// whole frame, if it has rows).
pub(crate) fn group_sum(
    df: &DataFrame,
    keys: &[&str],
    sums: &[&str],
) -> Result<BTreeMap<GroupKey, Group>> {
    if df.height() == 0 {
        return Ok(BTreeMap::new());
    }
    let mut aggs: Vec<_> = sums.iter().map(|s| col(*s).sum().alias(*s)).collect();
    aggs.push(len().alias("__n"));
    let lf: LazyFrame = df.clone().lazy();
    let res = if keys.is_empty() {
        lf.select(aggs).collect()?
    } else {
        padded(lf, keys).group_by(by(keys)).agg(aggs).collect()?
    };
    read_groups(&res, keys, sums)
}

/// A column without nulls (`Vec<Option<_>>`) from its texts.
pub(crate) fn some<S>(values: impl IntoIterator<Item = S>) -> Vec<Option<S>> {
    values.into_iter().map(Some).collect()
}
