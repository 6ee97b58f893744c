//! Validate: every input file, read through `ingest`, checked against the data contract and
//! resolved through the reference tables into a [`Dataset`].
//!
//! Consumes the [`Inventory`]; produces a [`Validated`] value: the data set, the
//! quarantined rows, per-file row accounting, and every diagnostic. It reads only the input
//! files (small ones are in memory since discovery; a large one is read again through
//! [`SourceFile::contents`], which refuses a file that changed since it was hashed) and
//! writes nothing: the pipeline writes the quarantine. Nothing is lost: every data row read
//! is either used or quarantined, and counted (data-contract §8).
//!
//! [`validate`] runs the three steps the pipeline runs one by one: [`begin`] (copies,
//! reference tables, pilots), [`Validator::pilots`] (the logs, pilot by pilot, so that only
//! one pilot's rows are in memory) and [`Validator::finish`] (everything else).

pub mod activity;
pub mod columns;
pub mod logs;
pub mod names;
pub mod pilots;
pub mod reference;
pub mod rows;
pub mod staffing;
pub mod surveys;

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

use crate::config::ValidationSettings;
use crate::diag::{Diagnostic, Severity};
use crate::discover::{FileKind, Inventory, SourceFile};
use crate::ingest::{self, Format, RawTable, headers::normalize, pii};
use crate::model::{Dataset, InputFile, LogRow, Pilot, RefTable, Reference, StaffingSource};

pub use rows::{QuarantineFile, QuarantineRow};

/// What validating one log file produced besides its rows: enough to account for the file
/// again without reading it, while the file, its `pilot.toml`, the reference tables and the
/// tool are unchanged (the pipeline's log cache keeps it).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogMeta {
    /// The file's header (for the quarantine file).
    pub headers: Vec<String>,
    /// Data rows read.
    pub rows_read: u64,
    /// Quarantined rows.
    pub quarantine: Vec<QuarantineRow>,
    /// Row errors, one per problem.
    pub diagnostics: Vec<Diagnostic>,
    /// Warnings about the file.
    pub warnings: Vec<Diagnostic>,
}

/// A log file's earlier validation, given to [`Validator::pilots`] by file path: its
/// accounting and its validated rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EarlierLog {
    /// Accounting, quarantine and diagnostics.
    pub meta: LogMeta,
    /// The rows that passed (may be left empty when the caller does not need them).
    pub rows: Vec<crate::model::LogRow>,
}

/// A log file validated now (not given as an earlier validation) that can be validated
/// alone (it has no `id`s another file could repeat), so its validation may be reused.
#[derive(Debug, Clone, PartialEq)]
pub struct FreshLog {
    /// The file's path under the data folder.
    pub path: String,
    /// Accounting, quarantine and diagnostics.
    pub meta: LogMeta,
    /// Its rows: `PilotLogs::files[file]`.
    pub file: usize,
}

/// The result of validation.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Validated {
    /// The rows that passed (the log rows only from [`validate`]; [`Validator::pilots`]
    /// yields them pilot by pilot instead).
    pub dataset: Dataset,
    /// Every input file with its accounting, in path order.
    pub inputs: Vec<InputFile>,
    /// Quarantined rows per input file (only files with any).
    pub quarantine: Vec<QuarantineFile>,
    /// Every problem and warning, sorted by file and line.
    pub diagnostics: Vec<Diagnostic>,
    /// The data is the synthetic sample (`EKSEMPELDATA.md`).
    pub is_sample: bool,
}

impl Validated {
    /// True when any file error was found (the run must stop).
    pub fn has_file_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::FileError)
    }
    /// True when any error (file or row) was found.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Read a table file, refuse identity numbers, and drop person columns.
fn read(
    file: &SourceFile,
    sheet: Option<&str>,
    person_columns: &[String],
) -> Result<RawTable, Vec<Diagnostic>> {
    read_skipping(file, sheet, person_columns, 0)
}

/// A table file's format (from its extension) and bytes, or the file error.
fn contents(file: &SourceFile) -> Result<(Format, std::borrow::Cow<'_, [u8]>), Vec<Diagnostic>> {
    let format = format_of(file)?;
    Ok((format, file.contents().map_err(|d| vec![d])?))
}

/// The file's format, from its extension.
fn format_of(file: &SourceFile) -> Result<Format, Vec<Diagnostic>> {
    let ext = file.extension();
    Format::from_extension(&ext).ok_or_else(|| {
        vec![Diagnostic::file_error(
            &file.display,
            format!("failed to read `.{ext}` files"),
        )]
    })
}

/// Like [`read`], skipping `skip` title lines before the header (`topplinjer`).
fn read_skipping(
    file: &SourceFile,
    sheet: Option<&str>,
    person_columns: &[String],
    skip: u64,
) -> Result<RawTable, Vec<Diagnostic>> {
    let (format, bytes) = contents(file)?;
    let mut table = ingest::read_table_skipping(&file.display, &bytes, format, sheet, skip)
        .map_err(|d| vec![d])?;
    drop(bytes);
    if let Some(at) = pii::find_identity_number(&table) {
        return Err(identity_number(file, at));
    }
    if !person_columns.is_empty() {
        let drop: HashSet<String> = person_columns.iter().map(|c| normalize(c)).collect();
        let keep: Vec<bool> = table
            .headers
            .iter()
            .map(|h| !drop.contains(&normalize(h)))
            .collect();
        if keep.iter().any(|k| !k) {
            fn filter<T>(v: &mut Vec<T>, keep: &[bool]) {
                let mut i = 0;
                v.retain(|_| {
                    let k = keep.get(i).copied().unwrap_or(true);
                    i += 1;
                    k
                });
            }
            filter(&mut table.headers, &keep);
            for row in &mut table.rows {
                filter(&mut row.fields, &keep);
            }
        }
    }
    Ok(table)
}

/// The file error for a national identity number at `(line, column)` of `file`.
fn identity_number(file: &SourceFile, (line, column): (u64, String)) -> Vec<Diagnostic> {
    vec![
        Diagnostic::file_error(&file.display, "a cell holds a national identity number (fødselsnummer or D-nummer); the file is refused")
            .at_line(line)
            .in_column(column)
            .hint("remove the identity numbers from the export and run again (the value is never shown)"),
    ]
}

/// Validate the log file `file` of `pilot` as it is read, record by record (the file is
/// never held as a whole table): its header, the records read and the validation; or the
/// file's errors when it cannot be read or holds an identity number, as [`read`] gives them.
fn validate_log(
    file: &SourceFile,
    pilot: &Pilot,
    resolvers: &reference::Resolvers,
    ids: &mut HashSet<String>,
    sink: &mut rows::RowSink,
    buf: &mut Vec<u8>,
) -> Result<(Vec<String>, u64, logs::LogResult), Vec<Diagnostic>> {
    let format = format_of(file)?;
    file.contents_into(buf).map_err(|d| vec![d])?;
    let mut log = logs::LogFile::new(&file.display, pilot, resolvers, ids, sink);
    let mut guard = IdentityGuard {
        records: &mut log,
        found: None,
    };
    let table =
        ingest::stream_table(&file.display, buf, format, &mut guard).map_err(|d| vec![d])?;
    if let Some(at) = pii::header_identity_number(&table).or(guard.found) {
        return Err(identity_number(file, at));
    }
    let read = log.read();
    Ok((table.headers.clone(), read, log.finish(&table)))
}

/// Passes records on until one holds a national identity number; keeps where it was.
struct IdentityGuard<'r> {
    records: &'r mut dyn ingest::Records,
    found: Option<(u64, String)>,
}

impl ingest::Records for IdentityGuard<'_> {
    fn record(&mut self, table: &RawTable, row: &ingest::RawRow) {
        if self.found.is_none() {
            self.found = pii::row_identity_number(table, row);
            if self.found.is_none() {
                self.records.record(table, row);
            }
        }
    }

    fn expect(&mut self, records: usize) {
        self.records.expect(records);
    }
}

/// Read table files a window at a time on every core, yielding them in order: at most one
/// window of parsed tables is in memory at once.
fn read_in_parallel<'a>(
    files: &'a [&'a SourceFile],
) -> impl Iterator<Item = Result<RawTable, Vec<Diagnostic>>> + 'a {
    let window = std::thread::available_parallelism().map_or(1, usize::from);
    files
        .chunks(window)
        .flat_map(|chunk| crate::par::map(chunk, |f| read(f, None, &[])))
}

/// The data folder as the user named it, for run-level messages (`mydata`, not `data`).
fn data_root(inv: &Inventory) -> &str {
    if !inv.root.is_empty() {
        return &inv.root;
    }
    inv.files.first().map_or("data", |f| {
        f.display
            .strip_suffix(&f.rel)
            .unwrap_or("data/")
            .trim_end_matches('/')
    })
}

/// The quarantine file of an input: its path under `data/` with the extension `.csv`.
fn quarantine_rel(rel: &str) -> String {
    std::path::Path::new(rel)
        .with_extension("csv")
        .to_string_lossy()
        .replace('\\', "/")
}

struct Accounting<'a> {
    settings: &'a ValidationSettings,
    out: Validated,
}

impl Accounting<'_> {
    fn input(&self, file: &SourceFile, status: &str) -> InputFile {
        InputFile {
            path: file.rel.clone(),
            kind: file.kind.label().to_string(),
            bytes: file.size(),
            sha256: file.sha256.clone(),
            status: status.to_string(),
            ..InputFile::default()
        }
    }

    fn rejected(&mut self, file: &SourceFile, rows: u64, diags: Vec<Diagnostic>) {
        let mut input = self.input(file, "avvist");
        input.rows_read = rows;
        input.rows_quarantined = rows;
        input.warnings = diags.iter().map(|d| d.message.clone()).collect();
        self.out.inputs.push(input);
        self.out.diagnostics.extend(diags);
    }

    /// Close a table file: apply the quarantine threshold and record the accounting.
    /// Returns true when the file's rows may be used.
    fn close(
        &mut self,
        file: &SourceFile,
        headers: &[String],
        read: u64,
        sink: rows::RowSink,
        warnings: Vec<Diagnostic>,
    ) -> bool {
        let quarantined = sink.quarantine.len() as u64;
        let share = self.settings.maks_karantene_andel;
        let too_many = quarantined >= 3 && (quarantined as f64) > share * read as f64;
        let mut input = self.input(file, if too_many { "avvist" } else { "brukt" });
        input.rows_read = read;
        input.rows_quarantined = if too_many { read } else { quarantined };
        input.rows_used = read - input.rows_quarantined;
        let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
        for d in &sink.diagnostics {
            let reason = d.reason.map_or("other", crate::diag::Reason::label);
            *reasons.entry(reason.to_string()).or_default() += 1;
        }
        input.reasons = reasons.into_iter().collect();
        input.warnings = warnings.iter().map(|d| d.message.clone()).collect();
        self.out.diagnostics.extend(sink.diagnostics);
        self.out.diagnostics.extend(warnings);
        if too_many {
            self.out.diagnostics.push(
                Diagnostic::file_error(&file.display, format!(
                    "failed to use the file ({quarantined} of {read} rows have errors, more than the allowed {:.1} %)",
                    share * 100.0
                ))
                .hint("fix the rows listed above, or raise `validering.maks_karantene_andel` in tsb-report.toml"),
            );
        } else if !sink.quarantine.is_empty() {
            self.out.quarantine.push(QuarantineFile {
                rel: quarantine_rel(&file.rel),
                headers: headers.to_vec(),
                rows: sink.quarantine,
            });
        }
        self.out.inputs.push(input);
        !too_many
    }

    /// The result: diagnostics sorted by file and line, inputs and quarantine by path.
    fn finish(self) -> Validated {
        let mut out = self.out;
        crate::diag::sort(&mut out.diagnostics);
        out.inputs.sort_by(|a, b| a.path.cmp(&b.path));
        out.quarantine.sort_by(|a, b| a.rel.cmp(&b.rel));
        out
    }
}

/// One pilot's validated log rows, yielded by [`Validator::pilots`] as soon as its last file
/// is validated.
#[derive(Debug, Clone)]
pub struct PilotLogs<'v> {
    /// The pilot.
    pub pilot: String,
    /// Its rows that passed, per file, in file order (kept apart: one vector of millions
    /// of rows would grow by doubling, and copy them).
    pub files: Vec<Vec<LogRow>>,
    /// Its files validated now that could be reused; their `file` indexes
    /// [`PilotLogs::files`].
    pub fresh: Vec<FreshLog>,
    /// The reference tables the rows resolve through.
    pub reference: &'v Reference,
}

impl PilotLogs<'_> {
    /// The rows that passed, in file order.
    pub fn rows(&self) -> impl Iterator<Item = &LogRow> {
        self.files.iter().flatten()
    }

    /// True when no row passed.
    pub fn is_empty(&self) -> bool {
        self.files.iter().all(Vec::is_empty)
    }

    /// The rows that passed, in file order, in one vector.
    pub fn into_rows(self) -> Vec<LogRow> {
        let mut rows = Vec::with_capacity(self.files.iter().map(Vec::len).sum());
        self.files.into_iter().for_each(|f| rows.extend(f));
        rows
    }
}

/// Validate every file of the inventory; the log rows go into `dataset.logs`. The steps
/// are the pipeline's: [`begin`], [`Validator::pilots`], [`Validator::finish`].
pub fn validate(inv: &Inventory, settings: &ValidationSettings) -> Validated {
    let mut validator = begin(inv, settings);
    let mut logs = Vec::new();
    for pilot in validator.pilots(BTreeMap::new()) {
        logs.extend(pilot.into_rows());
    }
    let mut validated = validator.finish();
    validated.dataset.logs = logs;
    validated
}

/// Validation under way: the files, the reference tables and the pilots are checked
/// ([`begin`]); the logs follow pilot by pilot ([`Validator::pilots`]), then everything
/// else ([`Validator::finish`]). Only one pilot's log rows are in memory at a time.
pub struct Validator<'a> {
    acc: Accounting<'a>,
    /// `None` when the reference tables failed: then no other file is checked.
    checked: Option<Checked<'a>>,
    logs: LogQueue<'a>,
}

/// What [`begin`] established for the other files.
struct Checked<'a> {
    /// The files to read (copies skipped), in path order.
    files: Vec<&'a SourceFile>,
    resolvers: reference::Resolvers,
    reference: Reference,
    /// The pilots whose `pilot.toml` is valid.
    pilots: BTreeMap<String, Pilot>,
}

/// Check the inventory's files for copies, then the reference tables, then the pilots'
/// `pilot.toml`s.
pub fn begin<'a>(inv: &'a Inventory, settings: &'a ValidationSettings) -> Validator<'a> {
    let mut acc = Accounting {
        settings,
        out: Validated {
            is_sample: inv.is_sample(),
            ..Validated::default()
        },
    };
    acc.out.diagnostics.extend(inv.diagnostics.iter().cloned());
    let files = distinct_files(inv, &mut acc);
    let checked = reference_tables(inv, &files, &mut acc).map(|(reference, resolvers)| {
        let pilots = pilot_configs(&files, &resolvers, &mut acc);
        Checked {
            files,
            resolvers,
            reference,
            pilots,
        }
    });
    let log_files = checked
        .iter()
        .flat_map(|c| c.files.iter().copied())
        .filter(|f| matches!(f.kind, FileKind::Log(_)))
        .collect::<Vec<_>>();
    Validator {
        acc,
        checked,
        logs: LogQueue {
            files: log_files.into_iter(),
            ready: VecDeque::new(),
            earlier: BTreeMap::new(),
            ids_per_pilot: BTreeMap::new(),
            missing_pilot: BTreeSet::new(),
            current: None,
            buffers: std::sync::Mutex::new(Vec::new()),
        },
    }
}

/// The files to read: the first of files with the same bytes (in path order); the others
/// are listed as skipped.
fn distinct_files<'a>(inv: &'a Inventory, acc: &mut Accounting) -> Vec<&'a SourceFile> {
    let mut first_by_hash: BTreeMap<&str, &SourceFile> = BTreeMap::new();
    let mut files: Vec<&SourceFile> = Vec::new();
    for f in &inv.files {
        if f.kind == FileKind::SampleMarker {
            // Read (it marks the data as synthetic): listed with its hash like every file.
            let input = acc.input(f, "brukt");
            acc.out.inputs.push(input);
            continue;
        }
        // Two exports may have the same codebook, byte for byte: each is read for its own.
        let dedup = !matches!(f.kind, FileKind::Codebook | FileKind::ToolCodebook);
        match first_by_hash.get(f.sha256.as_str()).filter(|_| dedup) {
            Some(first) => {
                acc.out.diagnostics.push(
                    Diagnostic::warning(
                        &f.display,
                        format!("the same bytes as `{}`; skipped", first.display),
                    )
                    .hint("delete one of the two copies"),
                );
                let input = acc.input(f, "hoppet over");
                acc.out.inputs.push(input);
            }
            None => {
                first_by_hash.insert(&f.sha256, f);
                files.push(f);
            }
        }
    }
    files
}

/// The four reference tables, sorted by id, and their resolvers; `None` (with the reason
/// among the diagnostics) when any is missing or invalid: everything else resolves through
/// them.
fn reference_tables(
    inv: &Inventory,
    files: &[&SourceFile],
    acc: &mut Accounting,
) -> Option<(Reference, reference::Resolvers)> {
    let mut reference = Reference::default();
    let mut reference_ok = true;
    for table in RefTable::ALL {
        match files.iter().find(|f| f.kind == FileKind::Reference(table)) {
            None => {
                reference_ok = false;
                let root = data_root(inv);
                acc.out.diagnostics.push(Diagnostic::file_error(format!("{root}/referanse/{table}.csv"), format!("missing reference table `referanse/{table}.csv`")).hint("every data folder needs the four reference tables; `tsb-report init` writes a starting set"));
            }
            Some(f) => match read(f, None, &[]) {
                Err(d) => {
                    reference_ok = false;
                    acc.rejected(f, 0, d);
                }
                Ok(t) => match reference::parse_table(table, &f.display, &t, &mut reference) {
                    Ok(()) => {
                        let mut input = acc.input(f, "brukt");
                        input.rows_read = t.rows.len() as u64;
                        input.rows_used = input.rows_read;
                        acc.out.inputs.push(input);
                    }
                    Err(d) => {
                        reference_ok = false;
                        acc.rejected(f, t.rows.len() as u64, d);
                    }
                },
            },
        }
    }
    let resolvers = if reference_ok {
        resolvers(files, &reference, acc)
    } else {
        None
    };
    let Some(resolvers) = resolvers else {
        acc.out.diagnostics.push(Diagnostic::file_error(
            data_root(inv),
            "the other files were not checked, because the reference tables could not be read",
        ));
        return None;
    };
    reference.foretak.sort_by(|a, b| a.id.cmp(&b.id));
    reference.enheter.sort_by(|a, b| a.id.cmp(&b.id));
    reference.yrker.sort_by(|a, b| a.id.cmp(&b.id));
    reference.oppgaver.sort_by(|a, b| a.id.cmp(&b.id));
    Some((reference, resolvers))
}

/// The resolvers of read reference tables; `None` when a unit names an unknown trust or a
/// name is ambiguous.
fn resolvers(
    files: &[&SourceFile],
    reference: &Reference,
    acc: &mut Accounting,
) -> Option<reference::Resolvers> {
    let display_of = |table: RefTable| {
        files
            .iter()
            .find(|f| f.kind == FileKind::Reference(table))
            .map_or(format!("referanse/{table}.csv"), |f| f.display.clone())
    };
    let mut reference_ok = true;
    for e in &reference.enheter {
        if !reference.foretak.iter().any(|f| f.id == e.foretak_id) {
            reference_ok = false;
            acc.out.diagnostics.push(Diagnostic::file_error(
                display_of(RefTable::Enheter),
                format!(
                    "unit `{}` belongs to unknown health trust `{}`",
                    e.id, e.foretak_id
                ),
            ));
        }
    }
    match reference::Resolvers::new(reference) {
        Ok(r) if reference_ok => Some(r),
        Ok(_) => None,
        Err((table, msg)) => {
            acc.out.diagnostics.push(
                Diagnostic::file_error(display_of(table), msg)
                    .hint("an id, name or alias may name only one entry"),
            );
            None
        }
    }
}

/// Every valid `pilot.toml`, by pilot.
fn pilot_configs(
    files: &[&SourceFile],
    resolvers: &reference::Resolvers,
    acc: &mut Accounting,
) -> BTreeMap<String, Pilot> {
    let mut pilots = BTreeMap::new();
    for f in files {
        let FileKind::PilotConfig(id) = &f.kind else {
            continue;
        };
        let text = String::from_utf8_lossy(&f.bytes);
        match pilots::parse(&f.display, id, &text, resolvers) {
            Ok((p, warns)) => {
                let mut input = acc.input(f, "brukt");
                input.warnings = warns.iter().map(|d| d.message.clone()).collect();
                acc.out.inputs.push(input);
                acc.out.diagnostics.extend(warns);
                pilots.insert(id.clone(), p);
            }
            Err(d) => acc.rejected(f, 0, d),
        }
    }
    pilots
}

/// The log files not yet validated, with a window of them read ahead on every core.
struct LogQueue<'a> {
    files: std::vec::IntoIter<&'a SourceFile>,
    /// Read (and validated alone), waiting to be merged in path order.
    ready: VecDeque<(&'a SourceFile, LogRead)>,
    /// Earlier validations by path, not yet used.
    earlier: BTreeMap<String, EarlierLog>,
    /// The `id`s of each pilot's files so far (repeated ids are a cross-file rule).
    ids_per_pilot: BTreeMap<String, HashSet<String>>,
    /// Pilots already told that they need a `pilot.toml`.
    missing_pilot: BTreeSet<String>,
    /// The pilot whose files are being merged, with its rows and fresh files so far.
    current: Option<(String, Vec<Vec<LogRow>>, Vec<FreshLog>)>,
    /// A buffer per core for the files' bytes, kept from one file to the next: a national
    /// build reads a gigabyte of logs, and memory used again is not faulted in again (read
    /// afresh, each file's bytes and text were a third of the run's page faults).
    buffers: std::sync::Mutex<Vec<Vec<u8>>>,
}

/// Run `f` with a buffer from `pool`, and put it back after.
fn with_buffer<R>(pool: &std::sync::Mutex<Vec<Vec<u8>>>, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    let mut buf = pool
        .lock()
        .map(|mut p| p.pop().unwrap_or_default())
        .unwrap_or_default();
    let r = f(&mut buf);
    buf.clear();
    if let Ok(mut p) = pool.lock() {
        p.push(buf);
    }
    r
}

/// A log file as read ahead.
enum LogRead {
    /// Its pilot has no valid `pilot.toml`.
    NoPilot,
    /// Given as an earlier validation.
    Earlier,
    /// It could not be read.
    Unreadable(Vec<Diagnostic>),
    /// Read and validated alone, against its own `id`s only.
    Read(Box<ReadLog>),
}

/// A log file read and validated alone.
struct ReadLog {
    /// The file's header.
    headers: Vec<String>,
    /// Data rows read.
    rows_read: u64,
    sink: rows::RowSink,
    ids: HashSet<String>,
    result: logs::LogResult,
}

/// The iterator of [`Validator::pilots`].
pub struct Pilots<'v, 'a> {
    checked: Option<&'v Checked<'a>>,
    acc: &'v mut Accounting<'a>,
    logs: &'v mut LogQueue<'a>,
}

impl<'a> Validator<'a> {
    /// Validate the log files pilot by pilot, yielding each pilot's rows as soon as its last
    /// file is done. A file in `earlier` (by path under the data folder) is not read again:
    /// its accounting and rows are taken from there, so the caller must give only
    /// validations whose file, `pilot.toml`, reference tables and tool are unchanged. The
    /// files validated now come back in [`PilotLogs::fresh`].
    pub fn pilots(&mut self, earlier: BTreeMap<String, EarlierLog>) -> Pilots<'_, 'a> {
        self.logs.earlier.extend(earlier);
        Pilots {
            checked: self.checked.as_ref(),
            acc: &mut self.acc,
            logs: &mut self.logs,
        }
    }

    /// [`Validator::pilots`], together with the validation of every file that is not a log,
    /// which needs nothing from the logs and so may run on another thread meanwhile; give
    /// its result to [`Validator::finish_with`].
    pub fn pilots_and_others(
        &mut self,
        earlier: BTreeMap<String, EarlierLog>,
    ) -> (Pilots<'_, 'a>, Others<'_, 'a>) {
        self.logs.earlier.extend(earlier);
        let others = Others {
            checked: self.checked.as_ref(),
            settings: self.acc.settings,
        };
        let pilots = Pilots {
            checked: self.checked.as_ref(),
            acc: &mut self.acc,
            logs: &mut self.logs,
        };
        (pilots, others)
    }

    /// Validate the rest (log files not yet taken through [`Validator::pilots`], their rows
    /// dropped; the staffing and activity exports; the codebooks and survey exports) and
    /// merge the unit leaders' staffing answers into the HR series.
    pub fn finish(mut self) -> Validated {
        let (_, others) = self.pilots_and_others(BTreeMap::new());
        let others = others.validate();
        self.finish_with(others)
    }

    /// [`Validator::finish`] with the other files already validated: the log files not yet
    /// taken through [`Validator::pilots`] are validated (their rows dropped), then the
    /// accounts are joined, the logs' first, as [`Validator::finish`] joins them.
    pub fn finish_with(mut self, others: OtherFiles) -> Validated {
        for _ in self.pilots(BTreeMap::new()) {}
        let mut acc = self.acc;
        acc.out.inputs.extend(others.accounts.inputs);
        acc.out.quarantine.extend(others.accounts.quarantine);
        acc.out.diagnostics.extend(others.accounts.diagnostics);
        if self.checked.is_some() {
            acc.out.dataset = others.dataset;
        }
        acc.finish()
    }
}

/// The validation of every file that is not a log (from [`Validator::pilots_and_others`]).
pub struct Others<'v, 'a> {
    checked: Option<&'v Checked<'a>>,
    settings: &'a ValidationSettings,
}

/// The files that are not logs, validated: their accounts and rows. The pipeline's cache
/// keeps it, without the survey rows, while those files are unchanged (`cache::others_key`).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct OtherFiles {
    /// Inputs, quarantine and diagnostics of these files.
    accounts: Validated,
    /// The staffing (the unit leaders' answers merged in), activity and survey rows, with
    /// the reference tables and pilots; no log rows.
    dataset: Dataset,
}

impl OtherFiles {
    /// Every row but the logs', with the reference tables and pilots.
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// Drop the survey rows: once the survey indicators are drafted nothing reads them, and
    /// at national scale they are the bulk of these files (75 000 respondents).
    pub fn drop_survey_rows(&mut self) {
        self.dataset.respondents = Vec::new();
    }
}

impl Others<'_, '_> {
    /// Validate the staffing and activity exports, the codebooks and survey exports, and
    /// merge the unit leaders' staffing answers into the HR series.
    pub fn validate(self) -> OtherFiles {
        let mut acc = Accounting {
            settings: self.settings,
            out: Validated::default(),
        };
        let Some(c) = self.checked else {
            return OtherFiles::default();
        };
        let mut ds = Dataset {
            pilots: c.pilots.values().cloned().collect(),
            reference: c.reference.clone(),
            ..Dataset::default()
        };
        staffing_exports(c, &mut acc, &mut ds);
        activity_exports(c, &mut acc, &mut ds);
        let leaders = survey_exports(c, &mut acc, &mut ds);
        merge_leaders(&mut acc, &mut ds, leaders);
        ds.survey_rounds.sort();
        OtherFiles {
            accounts: acc.out,
            dataset: ds,
        }
    }
}

impl<'v> Iterator for Pilots<'v, '_> {
    type Item = PilotLogs<'v>;

    fn next(&mut self) -> Option<PilotLogs<'v>> {
        let checked = self.checked?;
        loop {
            if self.logs.ready.is_empty() {
                self.logs.read_ahead(checked);
            }
            let Some((f, _)) = self.logs.ready.front() else {
                return self.logs.hand_over(checked);
            };
            let FileKind::Log(id) = &f.kind else {
                unreachable!("only log files are queued")
            };
            if self.logs.current.as_ref().is_some_and(|(p, ..)| p != id)
                && let Some(done) = self.logs.hand_over(checked)
            {
                return Some(done);
            }
            if self.logs.current.is_none() {
                self.logs.current = Some((id.clone(), Vec::new(), Vec::new()));
            }
            let (f, read) = self.logs.ready.pop_front().expect("a file is ready");
            self.logs.merge(checked, self.acc, f, read);
        }
    }
}

impl<'a> LogQueue<'a> {
    /// Read and validate the next window of files, one per core. Each file is validated
    /// with its own set of `id`s; [`LogQueue::merge`] validates it again against the pilot's
    /// earlier `id`s only when it shares one with them.
    fn read_ahead(&mut self, checked: &Checked) {
        let window = std::thread::available_parallelism().map_or(1, usize::from);
        let chunk: Vec<(&SourceFile, bool)> = self
            .files
            .by_ref()
            .take(window)
            .map(|f| (f, self.earlier.contains_key(&f.rel)))
            .collect();
        let buffers = &self.buffers;
        let reads = crate::par::map(&chunk, |(f, given)| {
            let FileKind::Log(id) = &f.kind else {
                unreachable!("only log files are queued")
            };
            let Some(pilot) = checked.pilots.get(id) else {
                return LogRead::NoPilot;
            };
            if *given {
                return LogRead::Earlier;
            }
            let mut sink = rows::RowSink::new(&f.display);
            let mut ids = HashSet::new();
            let validated = with_buffer(buffers, |buf| {
                validate_log(f, pilot, &checked.resolvers, &mut ids, &mut sink, buf)
            });
            match validated {
                Err(d) => LogRead::Unreadable(d),
                Ok((headers, rows_read, result)) => LogRead::Read(Box::new(ReadLog {
                    headers,
                    rows_read,
                    sink,
                    ids,
                    result,
                })),
            }
        });
        self.ready
            .extend(chunk.into_iter().map(|(f, _)| f).zip(reads));
        if self.files.as_slice().is_empty() {
            // The last files are read: their buffers go now, not after the last pilot's
            // indicators (a file read again for its `id`s takes a buffer of its own).
            self.buffers = std::sync::Mutex::new(Vec::new());
        }
    }

    /// The current pilot's rows, if it has any (or fresh files); none is current after.
    fn hand_over<'v>(&mut self, checked: &'v Checked) -> Option<PilotLogs<'v>> {
        let (pilot, files, fresh) = self.current.take()?;
        let logs = PilotLogs {
            pilot,
            files,
            fresh,
            reference: &checked.reference,
        };
        (!logs.is_empty() || !logs.fresh.is_empty()).then_some(logs)
    }

    /// Account for one file of the current pilot, in path order, and keep its rows.
    fn merge(&mut self, checked: &Checked, acc: &mut Accounting, f: &SourceFile, read: LogRead) {
        let FileKind::Log(id) = &f.kind else {
            unreachable!("only log files are queued")
        };
        let (_, rows, fresh) = self.current.as_mut().expect("a pilot is current");
        let r = match read {
            LogRead::NoPilot => {
                let has_toml = checked
                    .files
                    .iter()
                    .any(|g| g.kind == FileKind::PilotConfig(id.clone()));
                let msg = if has_toml {
                    format!("failed to use the log, because `piloter/{id}/pilot.toml` has errors")
                } else {
                    format!("failed to use the log, because `piloter/{id}/pilot.toml` is missing")
                };
                let mut d = Diagnostic::file_error(&f.display, msg);
                if !has_toml && self.missing_pilot.insert(id.clone()) {
                    d = d.hint(
                        "every pilot folder needs a pilot.toml with its periods (data-contract §4)",
                    );
                }
                return acc.rejected(f, 0, vec![d]);
            }
            LogRead::Unreadable(d) => return acc.rejected(f, 0, d),
            LogRead::Earlier => {
                // Earlier validations held no `id`s, so they cannot clash with other files.
                let e = self.earlier.remove(&f.rel).expect("the file was given");
                let sink = rows::RowSink {
                    display: f.display.clone(),
                    quarantine: e.meta.quarantine,
                    diagnostics: e.meta.diagnostics,
                };
                if acc.close(f, &e.meta.headers, e.meta.rows_read, sink, e.meta.warnings) {
                    rows.push(e.rows);
                }
                return;
            }
            LogRead::Read(r) => *r,
        };
        let ReadLog {
            headers,
            rows_read,
            mut sink,
            ids: file_ids,
            mut result,
        } = r;
        let seen = self.ids_per_pilot.entry(id.clone()).or_default();
        let alone = file_ids.is_empty();
        if file_ids.iter().any(|i| seen.contains(i)) {
            // Validated again, against the pilot's earlier `id`s: read again from disk.
            let pilot = &checked.pilots[id];
            sink = rows::RowSink::new(&f.display);
            let again = with_buffer(&self.buffers, |buf| {
                validate_log(f, pilot, &checked.resolvers, seen, &mut sink, buf)
            });
            match again {
                Err(d) => return acc.rejected(f, 0, d),
                Ok((_, _, again)) => result = again,
            }
        } else {
            seen.extend(file_ids);
        }
        match result {
            Err(d) => acc.rejected(f, rows_read, d),
            Ok((file_rows, warns)) => {
                let meta = alone.then(|| LogMeta {
                    headers: headers.clone(),
                    rows_read,
                    quarantine: sink.quarantine.clone(),
                    diagnostics: sink.diagnostics.clone(),
                    warnings: warns.clone(),
                });
                if acc.close(f, &headers, rows_read, sink, warns) {
                    rows.push(file_rows);
                    fresh.extend(meta.map(|meta| FreshLog {
                        path: f.rel.clone(),
                        meta,
                        file: rows.len() - 1,
                    }));
                }
            }
        }
    }
}

/// The files of `kind`, in path order.
fn of_kind<'a>(files: &[&'a SourceFile], kind: &FileKind) -> Vec<&'a SourceFile> {
    files.iter().filter(|f| f.kind == *kind).copied().collect()
}

/// What validating one export gives: its rows and warnings, or the file's errors.
type ExportRows<T> = Result<(Vec<T>, Vec<Diagnostic>), Vec<Diagnostic>>;

/// Read `files` ahead in parallel and validate each with `validate`: a file that cannot be
/// read, or that `validate` refuses, is accounted as rejected (its rows counted as
/// quarantined); the rows of every file the accounting accepts are returned, in file order.
fn validate_exports<T>(
    files: &[&SourceFile],
    acc: &mut Accounting,
    mut validate: impl FnMut(&SourceFile, &RawTable, &mut rows::RowSink) -> ExportRows<T>,
) -> Vec<T> {
    let mut out = Vec::new();
    let mut read_ahead = read_in_parallel(files);
    for f in files.iter().copied() {
        match read_ahead.next().expect("one table per file") {
            Err(d) => acc.rejected(f, 0, d),
            Ok(t) => {
                let mut sink = rows::RowSink::new(&f.display);
                match validate(f, &t, &mut sink) {
                    Err(d) => acc.rejected(f, t.rows.len() as u64, d),
                    Ok((rows, warns)) => {
                        if acc.close(f, &t.headers, t.rows.len() as u64, sink, warns) {
                            out.extend(rows);
                        }
                    }
                }
            }
        }
    }
    out
}

/// The staffing exports (HR).
fn staffing_exports(c: &Checked, acc: &mut Accounting, ds: &mut Dataset) {
    let files = of_kind(&c.files, &FileKind::Staffing);
    ds.staffing
        .extend(validate_exports(&files, acc, |f, t, sink| {
            staffing::validate(&f.display, t, &c.resolvers, sink)
        }));
}

/// The activity volumes (data-contract §5.1).
fn activity_exports(c: &Checked, acc: &mut Accounting, ds: &mut Dataset) {
    let files = of_kind(&c.files, &FileKind::Activity);
    let mut seen_volumes = activity::SeenVolumes::new();
    ds.activity
        .extend(validate_exports(&files, acc, |f, t, sink| {
            activity::validate(&f.display, t, &c.resolvers, &mut seen_volumes, sink)
        }));
}

/// A codebook by its export's stem: the file, and the codebook when it is valid.
type Codebooks<'a> = BTreeMap<String, (&'a SourceFile, Option<surveys::Codebook>)>;

/// The codebooks (and, listed only, the survey tools' own codebooks).
fn codebooks<'a>(files: &[&'a SourceFile], acc: &mut Accounting) -> Codebooks<'a> {
    let mut codebooks = Codebooks::new();
    for f in of_kind(files, &FileKind::Codebook) {
        let text = String::from_utf8_lossy(&f.bytes);
        match surveys::parse_codebook(&f.display, &text) {
            Ok(cb) => {
                acc.out.inputs.push(acc.input(f, "brukt"));
                codebooks.insert(f.stem(), (f, Some(cb)));
            }
            Err(d) => {
                acc.rejected(f, 0, d);
                codebooks.insert(f.stem(), (f, None));
            }
        }
    }
    // A survey tool's own codebook is read by `kodebok` only; listed, never an export.
    for f in of_kind(files, &FileKind::ToolCodebook) {
        acc.out.inputs.push(acc.input(f, "brukt"));
    }
    codebooks
}

/// The unit leaders' staffing answers, by the export that gave them.
type LeaderStaffing = Vec<(String, crate::model::StaffingRow)>;

/// The codebooks, then the survey exports they describe; returns the unit leaders'
/// staffing answers.
fn survey_exports(c: &Checked, acc: &mut Accounting, ds: &mut Dataset) -> LeaderStaffing {
    let codebooks = codebooks(&c.files, acc);
    let mut rounds: BTreeMap<(String, chrono::NaiveDate), String> = BTreeMap::new();
    let mut leaders = Vec::new();
    let mut exports_seen: BTreeSet<String> = BTreeSet::new();
    for f in of_kind(&c.files, &FileKind::Survey) {
        let stem = f.stem();
        exports_seen.insert(stem.clone());
        let Some((cbf, cb)) = codebooks.get(&stem) else {
            acc.rejected(
                f,
                0,
                vec![
                    Diagnostic::file_error(
                        &f.display,
                        format!("survey export has no codebook `{stem}.kodebok.toml` beside it"),
                    )
                    .hint("a codebook says which columns hold what; see data-contract §6"),
                ],
            );
            continue;
        };
        let Some(cb) = cb else {
            acc.rejected(
                f,
                0,
                vec![Diagnostic::file_error(
                    &f.display,
                    format!(
                        "failed to use the export, because its codebook `{}` has errors",
                        cbf.display
                    ),
                )],
            );
            continue;
        };
        let export = SurveyExport {
            file: f,
            stem: &stem,
            codebook_file: cbf,
            codebook: cb,
        };
        survey_export(&export, &c.resolvers, &mut rounds, acc, ds, &mut leaders);
    }
    for (stem, (f, _)) in &codebooks {
        if !exports_seen.contains(stem) {
            acc.out.diagnostics.push(Diagnostic::warning(
                &f.display,
                format!("codebook has no export `{stem}.csv|.tsv|.txt|.xlsx` beside it"),
            ));
        }
    }
    leaders
}

/// A survey export with its valid codebook.
struct SurveyExport<'e> {
    file: &'e SourceFile,
    stem: &'e str,
    codebook_file: &'e SourceFile,
    codebook: &'e surveys::Codebook,
}

/// Validate one survey export; `rounds` holds the rounds (series, round) taken so far.
fn survey_export(
    e: &SurveyExport,
    resolvers: &reference::Resolvers,
    rounds: &mut BTreeMap<(String, chrono::NaiveDate), String>,
    acc: &mut Accounting,
    ds: &mut Dataset,
    leaders: &mut LeaderStaffing,
) {
    let (f, cb, cbf) = (e.file, e.codebook, e.codebook_file);
    let mut t = match read_skipping(f, cb.ark.as_deref(), &cb.personkolonner, cb.topplinjer) {
        Err(d) => return acc.rejected(f, 0, d),
        Ok(t) => t,
    };
    if cb.totalrad {
        t.rows.pop();
    }
    let mut sink = rows::RowSink::new(&f.display);
    let cb_text = String::from_utf8_lossy(&cbf.bytes);
    let export = surveys::Export {
        display: &f.display,
        codebook_display: &cbf.display,
        codebook_text: &cb_text,
        survey: e.stem,
        codebook: cb,
        table: &t,
    };
    let out = match surveys::validate(&export, resolvers, &mut sink) {
        Err(d) => return acc.rejected(f, t.rows.len() as u64, d),
        Ok(out) => out,
    };
    // The round (data-contract §6.2): a duplicate round is a file error.
    let round = surveys::round_of(&f.display, e.stem, cb, &out.dates).and_then(|r| {
        match rounds.get(&(r.serie.clone(), r.runde)) {
            Some(other) => Err(Diagnostic::file_error(
                &f.display,
                format!(
                    "the export is round {} of series `{}`, and so is `{other}`; an export is never pooled with another",
                    r.runde, r.serie
                ),
            )
            .hint("give one of the two codebooks its own `runde` (or `serie`), or remove the copy")),
            None => Ok(r),
        }
    });
    let round = match round {
        Ok(r) => r,
        Err(d) => return acc.rejected(f, t.rows.len() as u64, vec![d]),
    };
    if acc.close(f, &t.headers, t.rows.len() as u64, sink, out.warnings) {
        rounds.insert((round.serie.clone(), round.runde), f.display.clone());
        ds.survey_rounds.push(round);
        ds.respondents.extend(out.respondents);
        leaders.extend(out.staffing.into_iter().map(|s| (f.display.clone(), s)));
    }
}

/// Unit-leader staffing answers join the HR series; where HR gives the same cell, HR wins.
fn merge_leaders(acc: &mut Accounting, ds: &mut Dataset, leaders: LeaderStaffing) {
    let hr: HashSet<(String, String, chrono::NaiveDate)> = ds
        .staffing
        .iter()
        .filter(|s| s.kilde == StaffingSource::Hr)
        .map(|s| (s.enhet_id.clone(), s.yrke_id.clone(), s.dato))
        .collect();
    for (display, s) in leaders {
        if hr.contains(&(s.enhet_id.clone(), s.yrke_id.clone(), s.dato)) {
            acc.out.diagnostics.push(Diagnostic::warning(display, format!(
                "unit-leader staffing for `{}` × `{}` on {} is also in an HR export; the HR figure is used",
                s.enhet_id, s.yrke_id, s.dato
            )));
        } else {
            ds.staffing.push(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bundled sample, discovered.
    fn sample() -> Inventory {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        crate::discover::discover(&data).expect("the bundled sample")
    }

    /// Every pilot's rows, and its fresh files as earlier validations by path.
    fn run(
        inv: &Inventory,
        earlier: BTreeMap<String, EarlierLog>,
    ) -> (Validated, Vec<LogRow>, BTreeMap<String, EarlierLog>) {
        let settings = ValidationSettings::default();
        let mut validator = begin(inv, &settings);
        let mut rows = Vec::new();
        let mut fresh = BTreeMap::new();
        for pilot in validator.pilots(earlier) {
            for f in &pilot.fresh {
                let e = EarlierLog {
                    meta: f.meta.clone(),
                    rows: pilot.files[f.file].clone(),
                };
                fresh.insert(f.path.clone(), e);
            }
            rows.extend(pilot.into_rows());
        }
        (validator.finish(), rows, fresh)
    }

    #[test]
    fn earlier_validations_given_by_path_give_what_reading_the_files_again_gives() {
        let inv = sample();
        let (first, rows, fresh) = run(&inv, BTreeMap::new());
        let logs = inv
            .files
            .iter()
            .filter(|f| matches!(f.kind, FileKind::Log(_)))
            .count();
        assert_eq!(fresh.len(), logs, "every sample log can be validated alone");
        let (again, rows_again, fresh_again) = run(&inv, fresh);
        assert!(fresh_again.is_empty(), "no file given was read again");
        assert!(rows_again == rows);
        assert_eq!(again.inputs, first.inputs);
        assert_eq!(again.diagnostics, first.diagnostics);
        assert_eq!(again.quarantine, first.quarantine);
    }

    #[test]
    fn finish_accounts_for_the_logs_the_caller_did_not_take() {
        let inv = sample();
        let settings = ValidationSettings::default();
        let whole = validate(&inv, &settings);
        let rest = begin(&inv, &settings).finish();
        assert_eq!(rest.inputs, whole.inputs);
        assert_eq!(rest.diagnostics, whole.diagnostics);
        assert!(rest.dataset.logs.is_empty() && !whole.dataset.logs.is_empty());
    }
}
