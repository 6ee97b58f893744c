//! One integration-test binary, one module per stage.

mod support;

mod cli;
mod incremental;
mod indicators;
mod ingest;
mod privacy;
mod render;
mod reproducible;
mod sample;
mod typeset;
mod validate;
mod watch;
