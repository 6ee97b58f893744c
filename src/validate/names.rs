//! Resolving the names in a row (health trust, unit, profession, task), memoised per file.

use std::collections::HashMap;

use super::reference::{Resolver, Unresolved};
use super::rows::Problem;
use crate::model::Reference;

/// A memo of one column's resolutions: exports repeat the same few names many times.
#[derive(Debug, Default)]
pub struct NameCache {
    memo: HashMap<String, Result<String, Unresolved>>,
}

impl NameCache {
    /// Resolve `raw` through `resolver`; a problem names `column`.
    pub fn resolve(
        &mut self,
        resolver: &Resolver,
        column: &str,
        raw: &str,
    ) -> Result<String, Problem> {
        let r = match self.memo.get(raw) {
            Some(r) => r.clone(),
            None => {
                let r = resolver.resolve(raw).map(str::to_string);
                self.memo.insert(raw.to_string(), r.clone());
                r
            }
        };
        r.map_err(|u| Problem::new(column, u.message).with_hint(u.hint))
    }
}

/// Check that a unit belongs to the health trust it was given under.
pub fn check_unit_in_trust(
    reference: &Reference,
    enhet_id: &str,
    foretak_id: &str,
    column: &str,
) -> Result<(), Problem> {
    match reference.enhet(enhet_id) {
        Some(e) if e.foretak_id != foretak_id => Err(Problem::new(
            column,
            format!("unit `{enhet_id}` belongs to `{}`, not to `{foretak_id}`", e.foretak_id),
        )
        .with_hint(Some("check the health trust of this row, or the unit's `foretak_id` in referanse/enheter.csv".to_string()))),
        _ => Ok(()),
    }
}
