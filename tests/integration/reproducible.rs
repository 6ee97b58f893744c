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
