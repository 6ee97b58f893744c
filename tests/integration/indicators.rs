//! Tests: indicators.
