//! The `tsb-report` command; all logic lives in the library.

fn main() -> std::process::ExitCode {
    tsb_report::app::run(std::env::args_os())
}
