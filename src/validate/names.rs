//! Resolving the names in a row (health trust, unit, profession, task), memoised per file.

use super::reference::{Resolver, Resolvers, Unresolved};
use super::rows::{Memo, Problem};
use crate::model::Text;

/// A memo of one column's resolutions: exports repeat the same few names many times. The
/// resolved ids are held as `T` (text, or interned ids for rows kept by the million).
#[derive(Debug)]
pub struct NameCache<T = Text> {
    memo: Memo<Result<T, Unresolved>>,
}

impl<T> Default for NameCache<T> {
    fn default() -> Self {
        NameCache {
            memo: Memo::default(),
        }
    }
}

impl<T: for<'s> From<&'s str> + Clone> NameCache<T> {
    /// Resolve `raw` through `resolver`; a problem names `column`.
    pub fn resolve(&mut self, resolver: &Resolver, column: &str, raw: &str) -> Result<T, Problem> {
        self.memo
            .get(raw, |raw| resolver.resolve(raw).map(T::from))
            .map_err(|u| Problem::new(column, u.reason, u.message).with_hint(u.hint))
    }
}

/// Resolves a row's health trust and unit (memoised) and checks that the unit belongs to
/// the trust it was given under: one place for what every file kind with a unit does.
#[derive(Debug)]
pub struct Places<T = Text> {
    foretak: NameCache<T>,
    enhet: NameCache<T>,
}

impl<T> Default for Places<T> {
    fn default() -> Self {
        Places {
            foretak: NameCache::default(),
            enhet: NameCache::default(),
        }
    }
}

impl<T> Places<T>
where
    T: for<'s> From<&'s str> + Clone + std::ops::Deref<Target = str> + std::fmt::Display,
{
    /// Resolve `(column, value)` of the health trust and of the unit; problems go to
    /// `problems`, each naming its column.
    pub fn resolve(
        &mut self,
        resolvers: &Resolvers,
        foretak: (&str, &str),
        enhet: (&str, &str),
        problems: &mut Vec<Problem>,
    ) -> (Option<T>, Option<T>) {
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
            && let Some(owner) = resolvers.unit_trust.get(&**en)
            && owner.as_str() != &**fo
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
