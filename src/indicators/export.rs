//! Export stub (replaced by the indicators branch).
use super::IndicatorTable;
/// CSV bytes.
pub fn to_csv(_t: &IndicatorTable) -> Vec<u8> {
    Vec::new()
}
/// Parquet bytes.
pub fn to_parquet(_t: &IndicatorTable) -> anyhow::Result<Vec<u8>> {
    Ok(Vec::new())
}
