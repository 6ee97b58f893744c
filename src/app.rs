//! The command-line application: parse arguments, dispatch, print, choose the exit code.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::config::{BuildConfig, Settings};
use crate::diag::{self, Severity};
use crate::pipeline::{self, Outcome};

/// Exit code: done.
pub const EXIT_OK: u8 = 0;
/// Exit code: the input data is invalid.
pub const EXIT_DATA: u8 = 1;
/// Exit code: usage, environment or typesetting failure.
pub const EXIT_FAILURE: u8 = 2;

/// Run the command line `args` (including the program name).
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                EXIT_FAILURE
            } else {
                EXIT_OK
            });
        }
    };
    match dispatch(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            diag::print_error(&e);
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn summary(diags: &[diag::Diagnostic]) -> String {
    let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    use diag::count as n;
    format!(
        "{}, {}, {}",
        n(count(Severity::FileError), "file error", "file errors"),
        n(count(Severity::RowError), "row error", "row errors"),
        n(count(Severity::Warning), "warning", "warnings")
    )
}

/// `check`'s last line: the rows of a refused file count as refused, not as rows with errors.
fn check_line(inputs: &[crate::model::InputFile], diags: &[diag::Diagnostic]) -> String {
    use diag::count as n;
    let refused = |i: &&crate::model::InputFile| i.status == "avvist";
    let rows: u64 = inputs.iter().map(|i| i.rows_read).sum();
    let with_errors: u64 = inputs
        .iter()
        .filter(|i| !refused(i))
        .map(|i| i.rows_quarantined)
        .sum();
    let in_refused: u64 = inputs.iter().filter(refused).map(|i| i.rows_read).sum();
    let refused_part = if in_refused > 0 {
        format!(", {in_refused} in refused files")
    } else {
        String::new()
    };
    format!(
        "checked {}, {} ({with_errors} with errors{refused_part}): {}",
        n(inputs.len(), "file", "files"),
        n(rows as usize, "row", "rows"),
        summary(diags)
    )
}

fn dispatch(cli: &Cli) -> anyhow::Result<u8> {
    let quiet = cli.quiet;
    let say = |msg: &str| {
        if !quiet {
            diag::eprintln(msg);
        }
    };
    match &cli.command {
        Command::Check(args) => {
            let (settings, _) = Settings::load(args.data.settings.as_deref())?;
            let v = pipeline::check(&args.data.data, &args.out, &settings)?;
            diag::print(&v.diagnostics, cli.diagnostic_format, quiet, None);
            say(&check_line(&v.inputs, &v.diagnostics));
            Ok(if v.has_errors() { EXIT_DATA } else { EXIT_OK })
        }
        Command::Build(args) => {
            let cfg = BuildConfig::from_args(args, quiet)?;
            let limit = if std::io::stderr().is_terminal() {
                Some(10)
            } else {
                Some(50)
            };
            match pipeline::build(&cfg, &say)? {
                Outcome::InvalidData(diags) => {
                    diag::print(&diags, cli.diagnostic_format, quiet, limit);
                    diag::eprintln(&format!(
                        "error: the data has file errors ({}); nothing was written, and the last good report is kept",
                        summary(&diags)
                    ));
                    Ok(EXIT_DATA)
                }
                Outcome::Built(report) if report.up_to_date => {
                    if !quiet {
                        diag::eprintln(
                            "nothing changed since the last build; the report is up to date:",
                        );
                        for p in &report.pdfs {
                            diag::println(&p.display().to_string());
                        }
                    }
                    Ok(EXIT_OK)
                }
                Outcome::Built(report) => {
                    diag::print(&report.diagnostics, cli.diagnostic_format, quiet, limit);
                    if !quiet {
                        let rows: u64 = report.manifest.inputs.iter().map(|i| i.rows_used).sum();
                        let q: u64 = report
                            .manifest
                            .inputs
                            .iter()
                            .map(|i| i.rows_quarantined)
                            .sum();
                        diag::eprintln(&format!(
                            "built from {} ({rows} rows used, {q} quarantined):",
                            diag::count(report.manifest.inputs.len(), "file", "files")
                        ));
                        for p in &report.pdfs {
                            diag::println(&p.display().to_string());
                        }
                    }
                    Ok(EXIT_OK)
                }
            }
        }
        Command::Sample(args) => {
            let s = crate::sample::generate(&args.out, args.scale, args.seed)?;
            say(&format!(
                "wrote {} files ({} log rows, {} survey respondents) to `{}`",
                s.files,
                s.log_rows,
                s.respondents,
                args.out.display()
            ));
            Ok(EXIT_OK)
        }
        Command::Kodebok(args) => {
            let path = crate::kodebok::draft(&args.export)?;
            say(&format!(
                "wrote the draft codebook `{}`; check its guesses, map the questions, then run `tsb-report check`",
                path.display()
            ));
            Ok(EXIT_OK)
        }
        Command::Watch(args) => crate::watch::run(args, quiet, cli.diagnostic_format),
        Command::Init(args) => {
            crate::scaffold::init(&args.dir)?;
            say(&format!(
                "created a report project in `{}`; build it with `tsb-report build` there",
                args.dir.display()
            ));
            Ok(EXIT_OK)
        }
    }
}
