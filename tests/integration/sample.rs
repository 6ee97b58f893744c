//! Tests: sample.
