//! Changes since the previous successful run (report Vedlegg C): input files added, changed
//! and removed, and the indicator values that moved.
//!
//! Pure: consumes the previous run's manifest inputs and indicator table (if any) and this
//! run's; produces a [`Changes`] value that the documents print.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::indicators::{IndicatorRow, IndicatorTable, Keys};
use crate::model::InputFile;

/// One indicator value that moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moved {
    /// Indicator id.
    pub indikator: String,
    /// Grouping.
    pub gruppering: String,
    /// The cell's keys.
    pub keys: Keys,
    /// The previous value (`None`: new cell, or suppressed then).
    pub old: Option<f64>,
    /// The new value (`None`: gone, or suppressed now).
    pub new: Option<f64>,
    /// The unit (`andel`, `årsverk`, …).
    pub maleenhet: String,
}

impl Moved {
    /// new − old where both are known.
    pub fn delta(&self) -> Option<f64> {
        Some(self.new? - self.old?)
    }
}

/// What changed since the previous run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    /// No previous successful run was found.
    pub first_run: bool,
    /// The data version (short input hash) of the previous analysed data.
    pub previous_data_version: Option<String>,
    /// Input files (paths under `data/`) new in this run.
    pub added: Vec<String>,
    /// Input files whose content changed.
    pub changed: Vec<String>,
    /// Input files gone since the previous run.
    pub removed: Vec<String>,
    /// Indicator values that moved, largest absolute change first (then by key).
    pub moved: Vec<Moved>,
}

impl Changes {
    /// True when nothing differs.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.changed.is_empty()
            && self.removed.is_empty()
            && self.moved.is_empty()
    }
}

/// Compare this run with the previous one.
pub fn compare(
    previous: Option<(&str, &[InputFile], &IndicatorTable)>,
    inputs: &[InputFile],
    table: &IndicatorTable,
) -> Changes {
    let Some((prev_id, prev_inputs, prev_table)) = previous else {
        return Changes {
            first_run: true,
            ..Changes::default()
        };
    };
    let old: BTreeMap<&str, &str> = prev_inputs
        .iter()
        .map(|i| (i.path.as_str(), i.sha256.as_str()))
        .collect();
    let new: BTreeMap<&str, &str> = inputs
        .iter()
        .map(|i| (i.path.as_str(), i.sha256.as_str()))
        .collect();
    let mut c = Changes {
        previous_data_version: Some(prev_id.to_string()),
        ..Changes::default()
    };
    for (p, h) in &new {
        match old.get(p) {
            None => c.added.push((*p).to_string()),
            Some(o) if o != h => c.changed.push((*p).to_string()),
            _ => {}
        }
    }
    c.removed = old
        .keys()
        .filter(|p| !new.contains_key(*p))
        .map(|p| (*p).to_string())
        .collect();
    // Both tables in cell order, walked side by side: a cell in one only is new or gone.
    let (before, after) = (cells(prev_table), cells(table));
    let mut moved = Vec::new();
    let (mut i, mut j) = (0, 0);
    loop {
        let order = match (before.get(i), after.get(j)) {
            (Some(b), Some(a)) => b.0.cmp(&a.0),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => break,
        };
        let (k, old, new, maleenhet) = match order {
            std::cmp::Ordering::Less => {
                let (k, b) = before[i];
                i += 1;
                (k, b.verdi, None, &b.maleenhet)
            }
            std::cmp::Ordering::Greater => {
                let (k, a) = after[j];
                j += 1;
                (k, None, a.verdi, &a.maleenhet)
            }
            std::cmp::Ordering::Equal => {
                let ((k, b), (_, a)) = (before[i], after[j]);
                i += 1;
                j += 1;
                if same(b.verdi, a.verdi) {
                    continue;
                }
                (k, b.verdi, a.verdi, &a.maleenhet)
            }
        };
        moved.push(Moved {
            indikator: k.0.into(),
            gruppering: k.1.into(),
            keys: k.2.clone(),
            old,
            new,
            maleenhet: maleenhet.clone(),
        });
    }
    moved.sort_by(|a, b| {
        let (da, db) = (
            a.delta().map_or(0.0, f64::abs),
            b.delta().map_or(0.0, f64::abs),
        );
        db.total_cmp(&da).then_with(|| {
            (&a.indikator, &a.gruppering, &a.keys).cmp(&(&b.indikator, &b.gruppering, &b.keys))
        })
    });
    c.moved = moved;
    c
}

type Key<'a> = (&'a str, &'a str, &'a Keys);

/// The rows of `t` in cell order, one per cell (of two rows of a cell, the later counts).
/// The table is kept sorted ([`IndicatorTable::sort`]), so this sorts only a table that is not.
fn cells(t: &IndicatorTable) -> Vec<(Key<'_>, &IndicatorRow)> {
    let mut v: Vec<(Key<'_>, &IndicatorRow)> = t
        .rows
        .iter()
        .map(|r| ((r.indikator.as_str(), r.gruppering.as_str(), &r.keys), r))
        .collect();
    if v.is_sorted_by(|a, b| a.0 < b.0) {
        return v;
    }
    // Stable: of equal cells the later row stays last, and is the one kept.
    v.sort_by(|a, b| a.0.cmp(&b.0));
    let mut one: Vec<(Key<'_>, &IndicatorRow)> = Vec::with_capacity(v.len());
    for e in v {
        match one.last_mut() {
            Some(last) if last.0 == e.0 => *last = e,
            _ => one.push(e),
        }
    }
    one
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ind: &str, foretak: &str, v: Option<f64>) -> IndicatorRow {
        IndicatorRow {
            indikator: ind.into(),
            gruppering: "foretak".into(),
            keys: Keys {
                foretak_id: Some(foretak.into()),
                ..Keys::default()
            },
            verdi: v,
            nedre: None,
            ovre: None,
            n: Some(10),
            maleenhet: "andel".into(),
            prikket: v.is_none(),
            serie: None,
            runde: None,
        }
    }

    fn input(path: &str, sha: &str) -> InputFile {
        InputFile {
            path: path.into(),
            sha256: sha.into(),
            ..InputFile::default()
        }
    }

    #[test]
    fn first_run_has_no_previous() {
        let c = compare(None, &[], &IndicatorTable::default());
        assert!(c.first_run);
        assert!(c.is_empty());
    }

    #[test]
    fn names_added_changed_removed_files_and_moved_values() {
        let prev_inputs = [
            input("a.csv", "1"),
            input("b.csv", "2"),
            input("c.csv", "3"),
        ];
        let inputs = [
            input("a.csv", "1"),
            input("b.csv", "9"),
            input("d.csv", "4"),
        ];
        let prev = IndicatorTable {
            rows: vec![
                row("vakansgrad", "HMR", Some(0.10)),
                row("vakansgrad", "STO", Some(0.20)),
            ],
            ..IndicatorTable::default()
        };
        let cur = IndicatorTable {
            rows: vec![
                row("vakansgrad", "HMR", Some(0.10)),
                row("vakansgrad", "STO", Some(0.25)),
            ],
            ..IndicatorTable::default()
        };
        let c = compare(Some(("run1", &prev_inputs, &prev)), &inputs, &cur);
        assert!(!c.first_run);
        assert_eq!(c.added, vec!["d.csv"]);
        assert_eq!(c.changed, vec!["b.csv"]);
        assert_eq!(c.removed, vec!["c.csv"]);
        assert_eq!(c.moved.len(), 1);
        assert_eq!(c.moved[0].keys.foretak_id.as_deref(), Some("STO"));
        assert!((c.moved[0].delta().unwrap() - 0.05).abs() < 1e-12);
    }

    #[test]
    fn the_moved_values_come_in_one_order_whatever_the_order_of_the_rows() {
        // Moves of equal size (ties broken by the cell), a new cell, a gone cell, a cell that
        // lost its value, and a cell twice (the last row counts).
        let prev_rows = vec![
            row("vakansgrad", "A", Some(0.1)),
            row("vakansgrad", "B", Some(0.2)),
            row("vakansgrad", "C", Some(0.3)),
            row("bemanningsgrad", "A", Some(0.9)),
            row("bemanningsgrad", "B", Some(0.8)),
            row("vakansgrad", "D", Some(0.4)),
        ];
        let cur_rows = vec![
            row("vakansgrad", "A", Some(0.2)),
            row("vakansgrad", "B", Some(0.3)),
            row("vakansgrad", "C", None),
            row("bemanningsgrad", "A", Some(0.5)),
            row("bemanningsgrad", "E", Some(0.7)),
            row("vakansgrad", "D", Some(0.0)),
            row("vakansgrad", "D", Some(0.4)),
        ];
        let run = |p: Vec<IndicatorRow>, c: Vec<IndicatorRow>| {
            let prev = IndicatorTable {
                rows: p,
                ..IndicatorTable::default()
            };
            let cur = IndicatorTable {
                rows: c,
                ..IndicatorTable::default()
            };
            compare(Some(("run1", &[], &prev)), &[], &cur).moved
        };
        let moved = run(prev_rows.clone(), cur_rows.clone());
        let cells: Vec<(&str, &str)> = moved
            .iter()
            .map(|m| (m.indikator.as_str(), m.keys.foretak_id.as_deref().unwrap()))
            .collect();
        assert_eq!(
            cells,
            [
                ("bemanningsgrad", "A"),
                ("vakansgrad", "A"),
                ("vakansgrad", "B"),
                ("bemanningsgrad", "B"),
                ("bemanningsgrad", "E"),
                ("vakansgrad", "C"),
            ]
        );
        let (mut p, mut c) = (prev_rows, cur_rows);
        p.reverse();
        // Reversed, but the two rows of `D` keep their order (the last still counts).
        c.swap(0, 4);
        c.swap(1, 3);
        assert_eq!(run(p, c), moved);
    }
}
