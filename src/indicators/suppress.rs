//! Disclosure control (indicators.md §5): secondary suppression by exact linear algebra,
//! in the manner of Statistics Norway's GaussSuppression.
//!
//! A family is one indicator's cells that are tied together by additive relations
//! (region = Σ foretak, …), e.g. (`utfordring_score`, survey, område). Each relation says
//! `total − Σ parts = 0` for the additive quantities behind a published value: its
//! numerator and its `n` (a mean is derivable from them). If the cells in `hidden` are
//! unknown and all others known, a hidden cell's value can be derived exactly iff its unit
//! vector lies in the row space of the relation matrix restricted to the hidden columns,
//! i.e. iff the reduced row echelon form of that matrix has a row that is a multiple of the
//! unit vector.
//!
//! Guarantee after `Family::protect`: no suppressed cell (primary or secondary) and no
//! never-published cell with `n < k` (e.g. respondents without a profession) can be
//! computed exactly from the published cells through the family's relations. Not covered:
//! bounds (intervals from non-negativity or the 1–5 scale) and relations between
//! different indicators or surveys.

const TOL: f64 = 1e-9;

/// The minimum cell size `k` when the settings name none (indicators.md §5).
pub const DEFAULT_K: u32 = 5;
/// The smallest `k` allowed.
pub const MIN_K: u32 = 3;

/// Check a minimum cell size; the error says why it cannot be used.
pub fn check_k(k: u32) -> Result<(), String> {
    if k < MIN_K {
        return Err(format!(
            "`prikking.k` is {k}, but it may never be below {MIN_K}"
        ));
    }
    Ok(())
}

/// One additive relation: `(cell, coefficient)` pairs whose weighted sum is zero.
pub type Relation = Vec<(usize, f64)>;

/// For each cell, whether it is hidden and yet derivable from the known (non-hidden) cells
/// through `relations`.
pub fn derivable(n_cells: usize, relations: &[Relation], hidden: &[bool]) -> Vec<bool> {
    let cols: Vec<usize> = (0..n_cells).filter(|c| hidden[*c]).collect();
    let mut index = vec![usize::MAX; n_cells];
    for (j, c) in cols.iter().enumerate() {
        index[*c] = j;
    }
    let mut m: Vec<Vec<f64>> = relations
        .iter()
        .map(|rel| {
            let mut row = vec![0.0; cols.len()];
            for (c, a) in rel {
                if hidden[*c] {
                    row[index[*c]] += a;
                }
            }
            row
        })
        .filter(|row| row.iter().any(|x| x.abs() > TOL))
        .collect();
    // Gauss–Jordan elimination with partial pivoting.
    let mut r = 0;
    for j in 0..cols.len() {
        if r == m.len() {
            break;
        }
        let Some(p) = (r..m.len())
            .filter(|i| m[*i][j].abs() > TOL)
            .max_by(|a, b| m[*a][j].abs().total_cmp(&m[*b][j].abs()))
        else {
            continue;
        };
        m.swap(r, p);
        let piv = m[r][j];
        m[r].iter_mut().for_each(|x| *x /= piv);
        for i in 0..m.len() {
            if i != r && m[i][j].abs() > TOL {
                let f = m[i][j];
                let (src, dst) = if i < r {
                    let (a, b) = m.split_at_mut(r);
                    (&b[0], &mut a[i])
                } else {
                    let (a, b) = m.split_at_mut(i);
                    (&a[r], &mut b[0])
                };
                for (d, s) in dst.iter_mut().zip(src) {
                    *d -= f * s;
                    if d.abs() <= TOL {
                        *d = 0.0;
                    }
                }
            }
        }
        r += 1;
    }
    let mut out = vec![false; n_cells];
    for row in &m[..r] {
        let mut nz = row.iter().enumerate().filter(|(_, x)| x.abs() > TOL);
        if let (Some((j, _)), None) = (nz.next(), nz.next()) {
            out[cols[j]] = true;
        }
    }
    out
}

/// One cell of a family. Only `row` and `n` outlive [`Family::new`] (and a cache).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Cell {
    /// The grouping the cell belongs to.
    #[serde(skip)]
    pub(crate) grp: &'static str,
    /// The cell's coordinates within the family: (dimension, value); `None` = missing.
    #[serde(skip)]
    pub(crate) dims: Vec<(&'static str, Option<String>)>,
    /// The published row, or `None` for a cell that is never published (e.g. the
    /// respondents without a profession): such a cell is always hidden.
    pub(crate) row: Option<usize>,
    /// The count behind the cell: the greedy choice suppresses the smallest first.
    pub(crate) n: u64,
}

/// Cells tied together by additive relations.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Family {
    /// The cells.
    pub(crate) cells: Vec<Cell>,
    /// The relations between them.
    pub(crate) relations: Vec<Relation>,
}

impl Family {
    /// Relations `total = Σ parts` for each `(total grouping, part grouping)` pair: a part
    /// belongs to a total when it agrees on every dimension of the total.
    pub(crate) fn new(cells: Vec<Cell>, pairs: &[(&str, &str)]) -> Family {
        let mut relations = Vec::new();
        for (tg, pg) in pairs {
            for (t, tc) in cells.iter().enumerate().filter(|(_, c)| c.grp == *tg) {
                let mut rel: Relation = vec![(t, 1.0)];
                for (p, pc) in cells.iter().enumerate().filter(|(_, c)| c.grp == *pg) {
                    if tc.dims.iter().all(|d| pc.dims.contains(d)) {
                        rel.push((p, -1.0));
                    }
                }
                if rel.len() > 1 {
                    relations.push(rel);
                }
            }
        }
        Family { cells, relations }
    }

    /// Extend `suppressed` (indexed by row) until no hidden cell can be derived: neither a
    /// published row suppressed on entry (primary), nor one suppressed here (secondary),
    /// nor an unpublished cell with `n < k`. Unpublished cells with `n ≥ k` may be derivable
    /// (they are never shown and pass the primary rule).
    ///
    /// indicators.md §5: the cells suppressed are the ones with the smallest `n`. The greedy
    /// search runs with a cap on `n`, the smallest cap (found by bisection over the counts of
    /// the published cells) with which it protects every hidden cell, so that a large cell
    /// (the region total) is hidden only when hiding smaller cells cannot protect the rest.
    pub(crate) fn protect(&self, suppressed: &mut [bool], k: u64) {
        let start: Vec<bool> = self
            .cells
            .iter()
            .map(|c| c.row.is_none_or(|r| suppressed[r]))
            .collect();
        let mut caps: Vec<u64> = self
            .cells
            .iter()
            .zip(&start)
            .filter(|(c, h)| c.row.is_some() && !**h)
            .map(|(c, _)| c.n)
            .collect();
        caps.sort_unstable();
        caps.dedup();
        let hidden = match caps.len() {
            0 => start.clone(),
            len => {
                // Invariant: the search succeeds with cap `caps[hi]` (the last is the fallback).
                let (mut lo, mut hi) = (0, len - 1);
                let mut best = None;
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    match self.greedy(&start, k, caps[mid]) {
                        (h, true) => {
                            best = Some(h);
                            hi = mid;
                        }
                        (_, false) => lo = mid + 1,
                    }
                }
                // `best`, if any, came from the probe at the final `hi`.
                best.unwrap_or_else(|| self.greedy(&start, k, caps[len - 1]).0)
            }
        };
        for (cell, h) in self.cells.iter().zip(&hidden) {
            if let (Some(r), true) = (cell.row, *h) {
                suppressed[r] = true;
            }
        }
    }

    /// Hide published cells with `n ≤ cap` until no guarded hidden cell is derivable.
    /// Returns the hidden cells and whether that succeeded.
    fn greedy(&self, start: &[bool], k: u64, cap: u64) -> (Vec<bool>, bool) {
        let nc = self.cells.len();
        let mut hidden = start.to_vec();
        let guarded = |c: &Cell| c.row.is_some() || c.n < k;
        loop {
            let d = derivable(nc, &self.relations, &hidden);
            let Some(c) = (0..nc).find(|c| hidden[*c] && d[*c] && guarded(&self.cells[*c])) else {
                return (hidden, true);
            };
            let Some(pick) = self.candidate(c, &hidden, cap) else {
                return (hidden, false); // everything publishable under the cap is hidden
            };
            hidden[pick] = true;
        }
    }

    /// The published cell with `n ≤ cap` to suppress next to protect `c`: among the
    /// published cells sharing a relation with `c` (failing that, with any hidden cell;
    /// failing that, any published cell), by ascending `n` (finer cells first on a tie),
    /// the first whose suppression alone makes `c` underivable; if none does, the one with
    /// the smallest `n`.
    fn candidate(&self, c: usize, hidden: &[bool], cap: u64) -> Option<usize> {
        let open = |i: usize| !hidden[i] && self.cells[i].row.is_some() && self.cells[i].n <= cap;
        let key = |i: &usize| {
            let cell = &self.cells[*i];
            (cell.n, std::cmp::Reverse(cell.dims.len()), *i)
        };
        let tier = |pred: &dyn Fn(usize) -> bool| -> Vec<usize> {
            let mut v: Vec<usize> = self
                .relations
                .iter()
                .filter(|rel| rel.iter().any(|(i, _)| pred(*i)))
                .flat_map(|rel| rel.iter().map(|(i, _)| *i))
                .filter(|i| open(*i))
                .collect();
            v.sort_by_key(key);
            v.dedup();
            v
        };
        let mut order = tier(&|i| i == c);
        if order.is_empty() {
            order = tier(&|i| hidden[i]);
        }
        if order.is_empty() {
            order = (0..self.cells.len()).filter(|i| open(*i)).collect();
            order.sort_by_key(key);
        }
        let mut trial = hidden.to_vec();
        for &i in &order {
            trial[i] = true;
            if !derivable(self.cells.len(), &self.relations, &trial)[c] {
                return Some(i);
            }
            trial[i] = false;
        }
        order.first().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(grp: &'static str, dims: &[(&'static str, &str)], row: Option<usize>, n: u64) -> Cell {
        Cell {
            grp,
            dims: dims
                .iter()
                .map(|(d, v)| (*d, Some((*v).to_owned())))
                .collect(),
            row,
            n,
        }
    }

    #[test]
    fn derivable_finds_a_difference() {
        // t = a + b + c; t, a, b known: c derivable; with b hidden too, neither.
        let rels = vec![vec![(0, 1.0), (1, -1.0), (2, -1.0), (3, -1.0)]];
        assert_eq!(
            derivable(4, &rels, &[false, false, false, true]),
            [false, false, false, true]
        );
        assert_eq!(derivable(4, &rels, &[false, false, true, true]), [false; 4]);
    }

    #[test]
    fn protect_hides_a_partner_of_a_small_cell() {
        // region (20) = A (12) + B (8); A = A1 (9) + A2 (3). A2 is primary.
        let cells = vec![
            cell("region", &[], Some(0), 20),
            cell("foretak", &[("f", "A")], Some(1), 12),
            cell("foretak", &[("f", "B")], Some(2), 8),
            cell("enhet", &[("f", "A"), ("e", "A1")], Some(3), 9),
            cell("enhet", &[("f", "A"), ("e", "A2")], Some(4), 3),
            cell("enhet", &[("f", "B"), ("e", "B1")], Some(5), 8),
        ];
        let fam = Family::new(
            cells,
            &[
                ("region", "foretak"),
                ("region", "enhet"),
                ("foretak", "enhet"),
            ],
        );
        let mut s = vec![false, false, false, false, true, false];
        fam.protect(&mut s, 5);
        // A1 (9) is the smallest partner that helps; afterwards nothing hidden is derivable.
        assert_eq!(s, [false, false, false, true, true, false]);
        let hidden: Vec<bool> = s.clone();
        assert!(derivable(6, &fam.relations, &hidden).iter().all(|d| !d));
    }

    #[test]
    fn protect_guards_a_small_unpublished_cell() {
        // region (10) = yrke X (8) + respondents without a profession (2, never published).
        let cells = vec![
            cell("region", &[], Some(0), 10),
            cell("yrke", &[("y", "X")], Some(1), 8),
            Cell {
                grp: "yrke",
                dims: vec![("y", None)],
                row: None,
                n: 2,
            },
        ];
        let fam = Family::new(cells, &[("region", "yrke")]);
        let mut s = vec![false, false];
        fam.protect(&mut s, 5);
        assert_eq!(s, [false, true], "X (8) goes before region (10)");
        // With n ≥ k the unpublished cell may stay derivable.
        let cells = vec![
            cell("region", &[], Some(0), 20),
            cell("yrke", &[("y", "X")], Some(1), 14),
            Cell {
                grp: "yrke",
                dims: vec![("y", None)],
                row: None,
                n: 6,
            },
        ];
        let mut s = vec![false, false];
        Family::new(cells, &[("region", "yrke")]).protect(&mut s, 5);
        assert_eq!(s, [false, false]);
    }

    /// The shape of issue 10: trust A has 3 respondents (one unit, one profession), trust B
    /// 11; the region (14) is the report's headline figure and must stay published.
    fn two_trusts() -> Family {
        let cells = vec![
            cell("region", &[], Some(0), 14),
            cell("foretak", &[("foretak", "A")], Some(1), 3),
            cell("foretak", &[("foretak", "B")], Some(2), 11),
            cell("enhet", &[("foretak", "A"), ("enhet", "A1")], Some(3), 3),
            cell("enhet", &[("foretak", "B"), ("enhet", "B1")], Some(4), 11),
            cell("yrke", &[("yrke", "spl")], Some(5), 14),
        ];
        Family::new(
            cells,
            &[
                ("region", "foretak"),
                ("region", "enhet"),
                ("region", "yrke"),
                ("foretak", "enhet"),
            ],
        )
    }

    #[test]
    fn protect_keeps_the_region_when_the_other_trust_suffices() {
        let fam = two_trusts();
        let mut s = vec![false, true, false, true, false, false];
        fam.protect(&mut s, 5);
        assert!(!s[0], "the region (14) stays published: {s:?}");
        assert!(s[2] && s[4], "trust B (11) and its unit go instead: {s:?}");
        assert!(derivable(6, &fam.relations, &s).iter().all(|d| !d));
    }

    /// A random region → foretak → enhet tree (optionally with one profession split), the
    /// cells with `n < k` suppressed as primaries.
    fn arb_tree() -> impl proptest::strategy::Strategy<Value = (Family, Vec<bool>)> {
        use proptest::prelude::*;
        (
            prop::collection::vec(prop::collection::vec(1u64..16, 1..4), 1..4),
            any::<bool>(),
        )
            .prop_map(|(trusts, yrke)| {
                let mut cells = vec![];
                let total: u64 = trusts.iter().flatten().sum();
                cells.push(cell("region", &[], Some(0), total));
                let names = ["A", "B", "C"];
                let units = ["1", "2", "3"];
                for (t, us) in trusts.iter().enumerate() {
                    let f = names[t];
                    let row = cells.len();
                    cells.push(cell(
                        "foretak",
                        &[("foretak", f)],
                        Some(row),
                        us.iter().sum(),
                    ));
                    for (u, n) in us.iter().enumerate() {
                        let e = format!("{f}{}", units[u]);
                        let row = cells.len();
                        cells.push(Cell {
                            grp: "enhet",
                            dims: vec![("foretak", Some(f.into())), ("enhet", Some(e))],
                            row: Some(row),
                            n: *n,
                        });
                    }
                }
                if yrke {
                    // Everyone in one profession: the yrke cell equals the region.
                    let row = cells.len();
                    cells.push(cell("yrke", &[("yrke", "spl")], Some(row), total));
                }
                let primary: Vec<bool> = cells.iter().map(|c| c.n < 5).collect();
                let fam = Family::new(
                    cells,
                    &[
                        ("region", "foretak"),
                        ("region", "enhet"),
                        ("region", "yrke"),
                        ("foretak", "enhet"),
                    ],
                );
                (fam, primary)
            })
    }

    /// Whether nothing guarded is derivable with `hidden`.
    fn safe(fam: &Family, hidden: &[bool]) -> bool {
        let d = derivable(fam.cells.len(), &fam.relations, hidden);
        (0..hidden.len()).all(|c| !(hidden[c] && d[c]))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 256,
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn protect_never_hides_the_region_when_smaller_cells_suffice((fam, primary) in arb_tree()) {
            let mut s = primary.clone();
            fam.protect(&mut s, 5);
            proptest::prop_assert!(safe(&fam, &s), "something suppressed is derivable: {s:?}");
            // Is there a set of published cells, each smaller than the region, whose
            // suppression protects everything? Then the region stays.
            let region_n = fam.cells[0].n;
            let small: Vec<usize> = (1..fam.cells.len())
                .filter(|i| !primary[*i] && fam.cells[*i].n < region_n)
                .collect();
            let suffices = (0u32..1 << small.len()).any(|mask| {
                let mut h = primary.clone();
                for (b, i) in small.iter().enumerate() {
                    if mask & (1 << b) != 0 {
                        h[*i] = true;
                    }
                }
                !h[0] && safe(&fam, &h)
            });
            if suffices {
                proptest::prop_assert!(!s[0], "region hidden although smaller cells suffice: {s:?}");
            }
        }
    }
}
