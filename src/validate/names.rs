//! Resolving the names in a row (health trust, unit, profession, task), memoised per file.

use std::collections::HashMap;

use super::reference::{Resolver, Resolvers, Unresolved};
use super::rows::Problem;
use crate::model::Text;

/// A memo of one column's resolutions: exports repeat the same few names many times.
#[derive(Debug, Default)]
pub struct NameCache {
    memo: HashMap<String, Result<Text, Unresolved>>,
}

impl NameCache {
    /// Resolve `raw` through `resolver`; a problem names `column`.
    pub fn resolve(
        &mut self,
        resolver: &Resolver,
        column: &str,
        raw: &str,
    ) -> Result<Text, Problem> {
        let r = match self.memo.get(raw) {
            Some(r) => r.clone(),
            None => {
                let r = resolver.resolve(raw).map(Text::from);
                self.memo.insert(raw.to_string(), r.clone());
                r
            }
        };
        r.map_err(|u| Problem::new(column, u.reason, u.message).with_hint(u.hint))
    }
}

/// Resolves a row's health trust and unit (memoised) and checks that the unit belongs to
/// the trust it was given under: one place for what every file kind with a unit does.
#[derive(Debug, Default)]
pub struct Places {
    foretak: NameCache,
    enhet: NameCache,
}

impl Places {
    /// Resolve `(column, value)` of the health trust and of the unit; problems go to
    /// `problems`, each naming its column.
    pub fn resolve(
        &mut self,
        resolvers: &Resolvers,
        foretak: (&str, &str),
        enhet: (&str, &str),
        problems: &mut Vec<Problem>,
    ) -> (Option<Text>, Option<Text>) {
        let fo = self
            .foretak
            .resolve(&resolvers.foretak, foretak.0, foretak.1)
            .map_err(|p| problems.push(p))
            .ok();
        let en = self
            .enhet
            .resolve(&resolvers.enhet, enhet.0, enhet.1)
            .map_err(|p| problems.push(p))
            .ok();
        if let (Some(fo), Some(en)) = (&fo, &en)
            && let Some(owner) = resolvers.unit_trust.get(en.as_str())
            && owner != fo
        {
            problems.push(
                Problem::new(enhet.0, crate::diag::Reason::WrongTrust, format!("unit `{en}` belongs to `{owner}`, not to `{fo}`")).with_hint(Some(
                    "check the health trust of this row, or the unit's `foretak_id` in referanse/enheter.csv".to_string(),
                )),
            );
        }
        (fo, en)
    }
}
