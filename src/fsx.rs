//! fsx
