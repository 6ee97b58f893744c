//! Tests: the same inputs give byte-identical outputs, run after run.

use tsb_report::config::ValidationSettings;
use tsb_report::indicators::{IndicatorSettings, compute, export};

use crate::support::repo;

/// Polars may add a group's partial float sums in thread order; the indicator stage must
/// not let that reach the numbers (it once made `tid_andre_kunne_gjort` differ in the last
/// digit between runs on the bundled sample).
#[test]
fn the_bundled_sample_gives_the_same_export_every_time() {
    let inventory = tsb_report::discover::discover(&repo().join("data")).unwrap();
    let validated = tsb_report::validate::validate(&inventory, &ValidationSettings::default());
    assert!(!validated.has_file_errors());
    let first =
        export::to_csv(&compute(&validated.dataset, &IndicatorSettings::default()).unwrap());
    for _ in 0..4 {
        let again =
            export::to_csv(&compute(&validated.dataset, &IndicatorSettings::default()).unwrap());
        assert!(again == first, "two computations of the same data differ");
    }
}

/// Pilots taken from earlier drafts (through a JSON round trip, as the cache stores them)
/// give the very export of computing every pilot now.
#[test]
fn pilots_from_earlier_drafts_give_the_same_export_as_computing_them_now() {
    use std::collections::BTreeMap;
    use tsb_report::indicators::{PilotDraft, compute_incremental};
    let inventory = tsb_report::discover::discover(&repo().join("data")).unwrap();
    let validated = tsb_report::validate::validate(&inventory, &ValidationSettings::default());
    let settings = IndicatorSettings::default();
    let (whole, drafts) =
        compute_incremental(&validated.dataset, &settings, &BTreeMap::new()).expect("indicators");
    assert_eq!(drafts.len(), 3, "the sample has three pilots");
    for kept in drafts.keys() {
        let earlier: BTreeMap<String, PilotDraft> = drafts
            .iter()
            .filter(|(p, _)| *p != kept)
            .map(|(p, d)| {
                let json = serde_json::to_vec(d).unwrap();
                (p.clone(), serde_json::from_slice(&json).unwrap())
            })
            .collect();
        let mut dataset = validated.dataset.clone();
        dataset.logs.retain(|r| r.pilot_id == *kept);
        let (table, fresh) = compute_incremental(&dataset, &settings, &earlier).unwrap();
        assert_eq!(fresh.keys().collect::<Vec<_>>(), [kept]);
        assert!(
            export::to_csv(&table) == export::to_csv(&whole),
            "computing only `{kept}` now gives another export"
        );
    }
}
