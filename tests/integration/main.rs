//! One integration-test binary, one module per stage.

mod support;

mod cli;
mod docx;
mod fuzz;
mod incremental;
mod indicators;
mod ingest;
mod messages;
mod privacy;
mod render;
mod reproducible;
mod sample;
mod surveys;
mod typeset;
mod validate;
mod watch;
mod wisn;
