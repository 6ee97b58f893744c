//! Diagnostics: every problem the run finds, with file, line and column, printed in one place.
//!
//! Stages never print. They return [`Diagnostic`]s; `pipeline` collects them, sorts them by
//! file and line, and [`print()`] renders them in the rustc-like `human` form or the one-line
//! `short` form for editors and CI. An error that stops the run is printed by
//! [`print_error`], with its remedies (a [`Hinted`] error's or a typesetting error's) as
//! `hint:` lines. Everything the binary writes goes through [`emit`].

use std::fmt::Write as _;

/// How bad a problem is, in the terms of data-contract §8.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The whole file cannot be used; `check` and `build` exit 1.
    FileError,
    /// One row cannot be used; it is quarantined and the run continues.
    RowError,
    /// Worth knowing; does not change the exit code.
    Warning,
}

/// One problem, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    /// How bad it is.
    pub severity: Severity,
    /// The file as the user names it: `data/piloter/lar/uke12.csv`.
    pub file: String,
    /// The file's own line (header = 1), or the sheet's row number for XLSX.
    pub line: Option<u64>,
    /// The column header as it stands in the file.
    pub column: Option<String>,
    /// Lowercase, no trailing period: "unknown unit `Poliklinikk rus Moldde`".
    pub message: String,
    /// Remedies, one per `hint:` line.
    pub hints: Vec<String>,
    /// For a row error, what kind of problem it is (the manifest counts these).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
}

/// The kind of a row error. The manifest's reason counts (`inputs[].reasons`) count these, so
/// that rows with different values but the same problem count together. Each kind's
/// [`label`](Reason::label) is its message with the quoted values left out (`…`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A required value is empty.
    MissingValue,
    /// A required date is empty.
    MissingDate,
    /// The minutes of a log row are empty.
    MissingMinutes,
    /// A survey row has no respondent id.
    MissingRespondent,
    /// Not a number.
    NotANumber,
    /// A decimal separator given twice.
    RepeatedSeparator,
    /// Digit groups of other than three digits.
    BadDigitGroups,
    /// Both `.` and `,`.
    AmbiguousNumber,
    /// Full-time equivalents outside 0–10 000.
    FteOutOfRange,
    /// A count outside 0–1 000 000.
    CountOutOfRange,
    /// A percentage outside 0–100.
    PercentOutOfRange,
    /// Minutes outside 1–720.
    MinutesOutOfRange,
    /// A year that is not a four-digit year.
    NotAYear,
    /// A negative count.
    NegativeCount,
    /// An implausibly large count.
    ImplausibleCount,
    /// Not a date.
    NotADate,
    /// A two-digit year.
    TwoDigitYear,
    /// A date that does not exist (30 February).
    NotACalendarDate,
    /// A bad time after a date.
    NotATime,
    /// A time that does not exist (25:00).
    NotAValidTime,
    /// A log date outside the pilot's periods.
    DateOutsidePeriods,
    /// A health trust no reference table names.
    UnknownTrust,
    /// A unit no reference table names.
    UnknownUnit,
    /// A profession no reference table names.
    UnknownProfession,
    /// A task no reference table names.
    UnknownTask,
    /// A unit given with a health trust it does not belong to.
    WrongTrust,
    /// A phase other than `før` and `pilot`.
    UnknownPhase,
    /// A phase that disagrees with the date.
    PhaseDisagrees,
    /// A log id given twice in a pilot.
    RepeatedId,
    /// A unit × task × year given twice.
    RepeatedVolume,
    /// A respondent id given twice.
    DuplicateRespondent,
    /// An answer the codebook's labels do not name.
    UnknownAnswer,
    /// Not `ja` or `nei`.
    NotYesNo,
    /// Staffing answers without a submission date.
    StaffingWithoutDate,
    /// More fields than the header has columns.
    TooManyFields,
}

impl Reason {
    /// The kind as the manifest counts it: its message with the values left out.
    pub fn label(self) -> &'static str {
        match self {
            Reason::MissingValue => "missing value in required column",
            Reason::MissingDate => "missing date",
            Reason::MissingMinutes => "missing minutes",
            Reason::MissingRespondent => "missing respondent id",
            Reason::NotANumber => "expected a number, found …",
            Reason::RepeatedSeparator => "expected a number, found … (… appears more than once)",
            Reason::BadDigitGroups => {
                "expected a number, found … (digit groups must have three digits)"
            }
            Reason::AmbiguousNumber => "ambiguous number … (both … and …)",
            Reason::FteOutOfRange => "expected full-time equivalents from 0 to 10 000, found …",
            Reason::CountOutOfRange => "expected a count from 0 to 1 000 000, found …",
            Reason::PercentOutOfRange => "expected a percentage from 0 to 100, found …",
            Reason::MinutesOutOfRange => {
                "minutes must be above 0 and at most 720 (a 12-hour day), found …"
            }
            Reason::NotAYear => "expected a four-digit year, found …",
            Reason::NegativeCount => "expected a count of zero or more, found …",
            Reason::ImplausibleCount => {
                "… occurrences in one year is implausible (at most 1 000 000 per row)"
            }
            Reason::NotADate => "expected a date like … or …, found …",
            Reason::TwoDigitYear => "two-digit year in … is ambiguous",
            Reason::NotACalendarDate => "… is not a calendar date",
            Reason::NotATime => "expected a time like … or … after the date, found …",
            Reason::NotAValidTime => "… is not a valid time",
            Reason::DateOutsidePeriods => "date … is outside the pilot's periods",
            Reason::UnknownTrust => "unknown health trust …",
            Reason::UnknownUnit => "unknown unit …",
            Reason::UnknownProfession => "unknown profession …",
            Reason::UnknownTask => "unknown task …",
            Reason::WrongTrust => "unit … belongs to …, not to …",
            Reason::UnknownPhase => "unknown phase …",
            Reason::PhaseDisagrees => "phase … disagrees with the date, which falls in …",
            Reason::RepeatedId => "repeated id … in pilot …",
            Reason::RepeatedVolume => "unit … × task … × year … is already given on …",
            Reason::DuplicateRespondent => "duplicate respondent id (the same as on line …)",
            Reason::UnknownAnswer => "unknown answer …",
            Reason::NotYesNo => "expected … or …, found …",
            Reason::StaffingWithoutDate => "staffing answers need a submission date (…)",
            Reason::TooManyFields => "row has … fields, but the header has … columns",
        }
    }
}

impl Diagnostic {
    /// A problem of the given severity in `file`.
    pub fn new(severity: Severity, file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
            hints: Vec::new(),
            reason: None,
        }
    }
    /// A file error in `file`.
    pub fn file_error(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::FileError, file, message)
    }
    /// A row error in `file`.
    pub fn row_error(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::RowError, file, message)
    }
    /// A warning about `file`.
    pub fn warning(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, file, message)
    }
    /// Set the line.
    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
    /// Set the column header.
    pub fn in_column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }
    /// Add a `hint:` line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
    /// Set the kind of a row error.
    pub fn because(mut self, reason: Reason) -> Self {
        self.reason = Some(reason);
        self
    }
    /// True for file and row errors.
    pub fn is_error(&self) -> bool {
        self.severity != Severity::Warning
    }
    fn label(&self) -> &'static str {
        match self.severity {
            Severity::FileError | Severity::RowError => "error",
            Severity::Warning => "warning",
        }
    }
    /// The location as `file:line, column `c``.
    pub fn location(&self) -> String {
        let mut s = self.file.clone();
        if let Some(line) = self.line {
            let _ = write!(s, ":{line}");
        }
        if let Some(col) = &self.column {
            let _ = write!(s, ", column `{col}`");
        }
        s
    }
}

/// How `print` renders diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DiagnosticFormat {
    /// Compiler-style, several lines each, with hints.
    #[default]
    Human,
    /// One line each: `file:line: error: message`.
    Short,
}

/// Sort diagnostics by file (code-point order), then line, then column, then message. Within
/// a file, a diagnostic without a line comes after those with one: it sums them up ("fix the
/// rows listed above").
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (
            &a.file,
            a.line.is_none(),
            a.line,
            &a.column,
            a.severity,
            &a.message,
        )
            .cmp(&(
                &b.file,
                b.line.is_none(),
                b.line,
                &b.column,
                b.severity,
                &b.message,
            ))
    });
}

/// Render diagnostics as text in the given format.
pub fn render(diags: &[Diagnostic], format: DiagnosticFormat) -> String {
    let mut out = String::new();
    for d in diags {
        match format {
            DiagnosticFormat::Human => {
                let _ = writeln!(out, "{}: {}", d.label(), d.message);
                let _ = writeln!(out, "  --> {}", d.location());
                for h in &d.hints {
                    let _ = writeln!(out, "  hint: {h}");
                }
            }
            DiagnosticFormat::Short => {
                let mut loc = d.file.clone();
                if let Some(line) = d.line {
                    let _ = write!(loc, ":{line}");
                }
                let col = d
                    .column
                    .as_ref()
                    .map(|c| format!(" (column `{c}`)"))
                    .unwrap_or_default();
                let _ = writeln!(out, "{loc}: {}: {}{col}", d.label(), d.message);
            }
        }
    }
    out
}

/// Print diagnostics to standard error. With `quiet` (`--quiet`: "print nothing but
/// errors") warnings are left out; with `per_file`, at most that many row errors per file
/// are shown, followed by a note with the count of the rest.
pub fn print(diags: &[Diagnostic], format: DiagnosticFormat, quiet: bool, per_file: Option<usize>) {
    let mut shown: Vec<Diagnostic> = Vec::new();
    let mut hidden: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut counts: std::collections::HashMap<&str, usize> = Default::default();
    for d in diags {
        if quiet && !d.is_error() {
            continue;
        }
        if let Some(limit) = per_file
            && d.severity == Severity::RowError
        {
            let c = counts.entry(&d.file).or_default();
            *c += 1;
            if *c > limit {
                *hidden.entry(&d.file).or_default() += 1;
                continue;
            }
        }
        shown.push(d.clone());
    }
    emit(Stream::Err, &render(&shown, format));
    for (file, n) in hidden {
        eprintln(&format!(
            "note: {n} more row errors in `{file}` (see the quarantine file under the output folder)"
        ));
    }
}

/// An error with remedies, for the stages that return `anyhow::Error`: the message and its
/// `hint:` lines kept apart, so that [`print_error`] renders them the way it renders a
/// diagnostic's hints. Its `Display` is the message alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hinted {
    /// "failed to X (cause)".
    pub message: String,
    /// Remedies, one per `hint:` line.
    pub hints: Vec<String>,
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {}

/// An `anyhow::Error` of `message` with one `hint:` line.
pub fn hinted(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Hinted {
        message: message.into(),
        hints: vec![hint.into()],
    })
}

/// The remedies an error carries anywhere in its chain of causes.
pub fn error_hints(err: &anyhow::Error) -> Vec<String> {
    err.chain()
        .flat_map(|e| {
            if let Some(h) = e.downcast_ref::<Hinted>() {
                h.hints.clone()
            } else if let Some(t) = e.downcast_ref::<crate::typeset::TypesetError>() {
                t.hints()
            } else {
                Vec::new()
            }
        })
        .collect()
}

/// Render an error that stops the run: `error: ` and its chain of causes (`: `-joined),
/// then its remedies, one `hint:` line each.
pub fn render_error(err: &anyhow::Error) -> String {
    let mut out = format!("error: {err:#}\n");
    for h in error_hints(err) {
        let _ = writeln!(out, "hint: {h}");
    }
    out
}

/// Print an error that stops the run to standard error (see [`render_error`]).
pub fn print_error(err: &anyhow::Error) {
    emit(Stream::Err, &render_error(err));
}

/// The two output streams, each written through [`emit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output (the PDFs' paths).
    Out,
    /// Standard error (diagnostics and progress).
    Err,
}

static OUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static ERR_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Write `text` to a stream. A reader that went away (`tsb-report check 2>&1 | head -1`) is
/// the end of that stream: the write and every later one are dropped silently, and the run
/// finishes with its own exit code (`print!` would panic and exit 101). Other write errors
/// cannot be reported anywhere either and are dropped the same way.
pub fn emit(stream: Stream, text: &str) {
    use std::io::Write as _;
    use std::sync::atomic::Ordering;
    let closed = match stream {
        Stream::Out => &OUT_CLOSED,
        Stream::Err => &ERR_CLOSED,
    };
    if closed.load(Ordering::Relaxed) {
        return;
    }
    let result = match stream {
        Stream::Out => {
            let mut h = std::io::stdout().lock();
            h.write_all(text.as_bytes()).and_then(|()| h.flush())
        }
        Stream::Err => std::io::stderr().lock().write_all(text.as_bytes()),
    };
    if result.is_err() {
        closed.store(true, Ordering::Relaxed);
    }
}

/// [`emit`] one line to standard error.
pub fn eprintln(line: &str) {
    emit(Stream::Err, &format!("{line}\n"));
}

/// [`emit`] one line to standard output.
pub fn println(line: &str) {
    emit(Stream::Out, &format!("{line}\n"));
}
/// A cell's text as a message may quote it (data-contract §8): trimmed, cut to 60
/// characters (then `…`), with line breaks and other control characters escaped (`\n`,
/// `\u{1b}`) so that a cell cannot forge a message line. Never pass it a person-column value
/// or a respondent id.
pub fn cell_text(s: &str) -> String {
    let t = s.trim();
    let mut out = String::with_capacity(t.len().min(64));
    for (i, c) in t.chars().enumerate() {
        if i == 60 {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// `n` and the noun in singular or plural: `1 warning`, `2 warnings`.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

#[cfg(test)]
mod cell_text_tests {
    use super::*;

    #[test]
    fn cell_text_escapes_line_breaks_and_cuts_at_60() {
        assert_eq!(
            cell_text(" ja\nerror: x\r\u{1b}[31m "),
            "ja\\nerror: x\\r\\u{1b}[31m"
        );
        let long = "x".repeat(61);
        assert_eq!(cell_text(&long), format!("{}…", "x".repeat(60)));
        assert_eq!(cell_text(&"x".repeat(60)), "x".repeat(60));
        assert_eq!(count(1, "warning", "warnings"), "1 warning");
        assert_eq!(count(0, "warning", "warnings"), "0 warnings");
    }
}
