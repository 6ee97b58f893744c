//! Validate: every input file, read through `ingest`, checked against the data contract and
//! resolved through the reference tables into a [`Dataset`].
//!
//! Consumes the [`Inventory`] (files already in memory); produces a [`Validated`] value: the
//! data set, the quarantined rows, per-file row accounting, and every diagnostic. It touches
//! no file system: the pipeline writes the quarantine. Nothing is lost: every data row read
//! is either used or quarantined, and counted (data-contract §8).

pub mod activity;
pub mod columns;
pub mod logs;
pub mod names;
pub mod pilots;
pub mod reference;
pub mod rows;
pub mod staffing;
pub mod surveys;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::config::ValidationSettings;
use crate::diag::{Diagnostic, Severity};
use crate::discover::{FileKind, Inventory, SourceFile};
use crate::ingest::{self, Format, RawTable, headers::normalize, pii};
use crate::model::{Dataset, InputFile, Pilot, RefTable, Reference, StaffingSource};

pub use rows::{QuarantineFile, QuarantineRow};

/// What validating one log file produced besides its rows: enough to account for the file
/// again without reading it, while the file, its `pilot.toml`, the reference tables and the
/// tool are unchanged (see [`log_cache_key`]).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CachedLogMeta {
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

/// A log file's earlier validation: its accounting and its validated rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CachedLog {
    /// Accounting, quarantine and diagnostics.
    pub meta: CachedLogMeta,
    /// The rows that passed (empty when the file's pilot is among the pilots whose rows
    /// are not wanted, see [`validate_with_cache`]).
    pub rows: Vec<crate::model::LogRow>,
}

/// Earlier validations by [`log_cache_key`].
pub type LogCache = BTreeMap<String, CachedLog>;

/// A log file validated in this run that may be cached: where its rows are in
/// `dataset.logs`, and whether it was validated now (not taken from the cache).
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// The cache key.
    pub key: String,
    /// Accounting, quarantine and diagnostics.
    pub meta: CachedLogMeta,
    /// The file's rows: `dataset.logs[rows]`.
    pub rows: std::ops::Range<usize>,
    /// Validated in this run.
    pub fresh: bool,
}

/// The key of a log file's validation: everything it depends on — the file, its pilot's
/// `pilot.toml`, the four reference tables and the tool version.
pub fn log_cache_key(inv: &Inventory, file: &SourceFile) -> Option<String> {
    let FileKind::Log(pilot) = &file.kind else {
        return None;
    };
    // v2: cached row errors carry their kind (`Diagnostic::reason`), which v1 entries lack.
    let mut text = format!("logs-v2\0{}\0{}\0", crate::tool_version(), file.sha256);
    for f in &inv.files {
        let relevant = matches!(&f.kind, FileKind::Reference(_))
            || f.kind == FileKind::PilotConfig(pilot.clone());
        if relevant {
            text.push_str(&f.rel);
            text.push('\0');
            text.push_str(&f.sha256);
            text.push('\n');
        }
    }
    Some(crate::discover::sha256_hex(text.as_bytes()))
}

/// The key of a pilot's log indicators: everything the rows validation keeps of the
/// pilot's logs depend on — its log files (and whether each repeats an earlier file's
/// bytes, which skips it), its `pilot.toml`, the reference tables, the quarantine
/// threshold, the tool version — and `k`.
pub fn pilot_cache_key(
    inv: &Inventory,
    pilot: &str,
    settings: &ValidationSettings,
    k: u32,
) -> String {
    let mut text = format!(
        // v2: a pilot's draft also holds its logs summarised for the staffing need (§8).
        "pilot-v2\0{}\0{pilot}\0k={k}\0maks={}\0",
        crate::tool_version(),
        settings.maks_karantene_andel
    );
    let mut seen: HashSet<&str> = HashSet::new();
    for f in &inv.files {
        let first = f.kind == FileKind::SampleMarker || seen.insert(f.sha256.as_str());
        let relevant = matches!(&f.kind, FileKind::Reference(_))
            || f.kind == FileKind::PilotConfig(pilot.to_owned())
            || f.kind == FileKind::Log(pilot.to_owned());
        if relevant {
            text.push_str(&format!("{}\0{}\0{first}\n", f.rel, f.sha256));
        }
    }
    crate::discover::sha256_hex(text.as_bytes())
}

/// The result of validation.
#[derive(Debug, Clone, Default)]
pub struct Validated {
    /// The rows that passed (the log rows only from [`validate`]; [`validate_with_cache`]
    /// hands them to its `on_pilot` pilot by pilot).
    pub dataset: Dataset,
    /// Every input file with its accounting, in path order.
    pub inputs: Vec<InputFile>,
    /// Quarantined rows per input file (only files with any).
    pub quarantine: Vec<QuarantineFile>,
    /// Every problem and warning, sorted by file and line.
    pub diagnostics: Vec<Diagnostic>,
    /// The data is the synthetic sample (`EKSEMPELDATA.md`).
    pub is_sample: bool,
    /// Cacheable log files of this run (filled by [`validate`]; [`validate_with_cache`] hands
    /// them to its `on_pilot` with their rows instead).
    pub log_entries: Vec<LogEntry>,
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

/// Like [`read`], skipping `skip` title lines before the header (`topplinjer`).
fn read_skipping(
    file: &SourceFile,
    sheet: Option<&str>,
    person_columns: &[String],
    skip: u64,
) -> Result<RawTable, Vec<Diagnostic>> {
    let ext = file.extension();
    let format = Format::from_extension(&ext).ok_or_else(|| {
        vec![Diagnostic::file_error(
            &file.display,
            format!("failed to read `.{ext}` files"),
        )]
    })?;
    let bytes = file.contents().map_err(|d| vec![d])?;
    let mut table = ingest::read_table_skipping(&file.display, &bytes, format, sheet, skip)
        .map_err(|d| vec![d])?;
    drop(bytes);
    if let Some((line, column)) = pii::find_identity_number(&table) {
        return Err(vec![
            Diagnostic::file_error(&file.display, "a cell holds a national identity number (fødselsnummer or D-nummer); the file is refused")
                .at_line(line)
                .in_column(column)
                .hint("remove the identity numbers from the export and run again (the value is never shown)"),
        ]);
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
}

/// One pilot's validated log rows, handed over as soon as its last file is validated.
#[derive(Debug, Clone, Default)]
pub struct PilotLogs {
    /// The pilot.
    pub pilot: String,
    /// Its rows that passed, in file order.
    pub rows: Vec<crate::model::LogRow>,
    /// Its cacheable files; their `rows` index [`PilotLogs::rows`].
    pub entries: Vec<LogEntry>,
}

/// Validate every file of the inventory; the log rows go into `dataset.logs`.
pub fn validate(inv: &Inventory, settings: &ValidationSettings) -> Validated {
    let mut logs = Vec::new();
    let mut entries = Vec::new();
    let mut v = validate_with_cache(
        inv,
        settings,
        LogCache::new(),
        &BTreeSet::new(),
        &mut |_, p: PilotLogs| {
            let off = logs.len();
            entries.extend(p.entries.into_iter().map(|mut e| {
                e.rows = e.rows.start + off..e.rows.end + off;
                e
            }));
            logs.extend(p.rows);
        },
    );
    v.dataset.logs = logs;
    v.log_entries = entries;
    v
}

/// Validate every file of the inventory, taking log files whose [`log_cache_key`] is in
/// `cache` from there instead of reading them again. Each pilot's log rows go to
/// `on_pilot` (with the reference tables) as soon as its files are done, and never into
/// the returned data set: only one pilot's rows are in memory at a time. The rows of the
/// pilots in `skip_rows` are validated and accounted for but not handed over (their
/// indicators come from a cache; their cached files need no rows).
pub fn validate_with_cache(
    inv: &Inventory,
    settings: &ValidationSettings,
    mut cache: LogCache,
    skip_rows: &BTreeSet<String>,
    on_pilot: &mut dyn FnMut(&Reference, PilotLogs),
) -> Validated {
    let mut acc = Accounting {
        settings,
        out: Validated {
            is_sample: inv.is_sample(),
            ..Validated::default()
        },
    };
    acc.out.diagnostics.extend(inv.diagnostics.iter().cloned());

    // Duplicate files: the first in path order is read, the others skipped.
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

    // Reference tables first: everything else resolves through them.
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
        for e in &reference.enheter {
            if !reference.foretak.iter().any(|f| f.id == e.foretak_id) {
                reference_ok = false;
                let display = files
                    .iter()
                    .find(|f| f.kind == FileKind::Reference(RefTable::Enheter))
                    .map_or("referanse/enheter.csv".to_string(), |f| f.display.clone());
                acc.out.diagnostics.push(Diagnostic::file_error(
                    display,
                    format!(
                        "unit `{}` belongs to unknown health trust `{}`",
                        e.id, e.foretak_id
                    ),
                ));
            }
        }
        match reference::Resolvers::new(&reference) {
            Ok(r) if reference_ok => Some(r),
            Ok(_) => None,
            Err((table, msg)) => {
                let display = files
                    .iter()
                    .find(|f| f.kind == FileKind::Reference(table))
                    .map_or(String::new(), |f| f.display.clone());
                acc.out.diagnostics.push(
                    Diagnostic::file_error(display, msg)
                        .hint("an id, name or alias may name only one entry"),
                );
                None
            }
        }
    } else {
        None
    };
    let Some(resolvers) = resolvers else {
        acc.out.diagnostics.push(Diagnostic::file_error(
            data_root(inv),
            "the other files were not checked, because the reference tables could not be read",
        ));
        return finish(acc);
    };
    reference.foretak.sort_by(|a, b| a.id.cmp(&b.id));
    reference.enheter.sort_by(|a, b| a.id.cmp(&b.id));
    reference.yrker.sort_by(|a, b| a.id.cmp(&b.id));
    reference.oppgaver.sort_by(|a, b| a.id.cmp(&b.id));

    let mut ds = Dataset {
        reference,
        ..Dataset::default()
    };

    // Pilots, then their logs.
    let mut pilots: BTreeMap<String, Pilot> = BTreeMap::new();
    for f in files
        .iter()
        .filter(|f| matches!(f.kind, FileKind::PilotConfig(_)))
    {
        let FileKind::PilotConfig(id) = &f.kind else {
            unreachable!()
        };
        let text = String::from_utf8_lossy(&f.bytes);
        match pilots::parse(&f.display, id, &text, &resolvers) {
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
    let mut ids_per_pilot: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    let mut missing_pilot: BTreeSet<String> = BTreeSet::new();
    // Logs are most of the bytes: decode and parse a few files at a time on every core, then
    // validate them in path order (repeated ids are checked across a pilot's files).
    let log_files: Vec<&SourceFile> = files
        .iter()
        .filter(|f| matches!(f.kind, FileKind::Log(_)))
        .copied()
        .collect();
    // Each file is read and validated on its own core with its own set of `id`s; the merge
    // below walks the files in path order and re-validates a file against the pilot's earlier
    // ids only when it shares one with them, so "repeated id" stays a cross-file rule.
    let window = std::thread::available_parallelism().map_or(1, usize::from);
    // The pilot whose files are being merged, and its cacheable files; `ds.logs` holds its
    // rows until they are handed over.
    let mut current: Option<String> = None;
    let mut entries: Vec<LogEntry> = Vec::new();
    let mut hand_over =
        |ds: &mut Dataset, current: &mut Option<String>, entries: &mut Vec<LogEntry>| {
            if let Some(pilot) = current.take() {
                let rows = std::mem::take(&mut ds.logs);
                let entries = std::mem::take(entries);
                if !rows.is_empty() || !entries.is_empty() {
                    on_pilot(
                        &ds.reference,
                        PilotLogs {
                            pilot,
                            rows,
                            entries,
                        },
                    );
                }
            }
        };
    for chunk in log_files.chunks(window) {
        // Files validated before with the same inputs come from the cache, not from disk.
        let keyed: Vec<(&SourceFile, Option<String>)> = chunk
            .iter()
            .map(|f| {
                let key = log_cache_key(inv, f).filter(|k| cache.contains_key(k));
                (*f, key)
            })
            .collect();
        let outcomes = crate::par::map(&keyed, |(f, cached)| {
            let FileKind::Log(id) = &f.kind else {
                unreachable!()
            };
            let pilot = pilots.get(id)?;
            if cached.is_some() {
                return Some(Ok(None));
            }
            Some(read(f, None, &[]).map(|t| {
                let mut sink = rows::RowSink::new(&f.display);
                let mut ids = HashSet::new();
                let result = logs::validate(&f.display, &t, pilot, &resolvers, &mut ids, &mut sink);
                Some((t, sink, ids, result))
            }))
        });
        for ((f, cached), outcome) in keyed.into_iter().zip(outcomes) {
            let FileKind::Log(id) = &f.kind else {
                unreachable!()
            };
            if current.as_ref() != Some(id) {
                hand_over(&mut ds, &mut current, &mut entries);
                current = Some(id.clone());
            }
            let Some(outcome) = outcome else {
                let has_toml = files
                    .iter()
                    .any(|g| g.kind == FileKind::PilotConfig(id.clone()));
                let msg = if has_toml {
                    format!("failed to use the log, because `piloter/{id}/pilot.toml` has errors")
                } else {
                    format!("failed to use the log, because `piloter/{id}/pilot.toml` is missing")
                };
                let mut d = Diagnostic::file_error(&f.display, msg);
                if !has_toml && missing_pilot.insert(id.clone()) {
                    d = d.hint(
                        "every pilot folder needs a pilot.toml with its periods (data-contract §4)",
                    );
                }
                acc.rejected(f, 0, vec![d]);
                continue;
            };
            let (t, mut sink, file_ids, mut result) = match outcome {
                Err(d) => {
                    acc.rejected(f, 0, d);
                    continue;
                }
                Ok(Some(o)) => o,
                Ok(None) => {
                    // Cached files held no `id`s, so they cannot clash with other files.
                    let key = cached.expect("a cached outcome has a key");
                    let c = cache.remove(&key).expect("the key is in the cache");
                    let sink = rows::RowSink {
                        display: f.display.clone(),
                        quarantine: c.meta.quarantine.clone(),
                        diagnostics: c.meta.diagnostics.clone(),
                    };
                    let start = ds.logs.len();
                    if acc.close(
                        f,
                        &c.meta.headers,
                        c.meta.rows_read,
                        sink,
                        c.meta.warnings.clone(),
                    ) {
                        if !skip_rows.contains(id) {
                            ds.logs.extend(c.rows);
                        }
                        let rows = start..ds.logs.len();
                        entries.push(LogEntry {
                            key,
                            meta: c.meta,
                            rows,
                            fresh: false,
                        });
                    }
                    continue;
                }
            };
            let seen = ids_per_pilot.entry(id.clone()).or_default();
            let cacheable = file_ids.is_empty();
            if file_ids.iter().any(|i| seen.contains(i)) {
                let pilot = &pilots[id];
                sink = rows::RowSink::new(&f.display);
                result = logs::validate(&f.display, &t, pilot, &resolvers, seen, &mut sink);
            } else {
                seen.extend(file_ids);
            }
            match result {
                Err(d) => acc.rejected(f, t.rows.len() as u64, d),
                Ok((rows, warns)) => {
                    let meta = CachedLogMeta {
                        headers: t.headers.clone(),
                        rows_read: t.rows.len() as u64,
                        quarantine: sink.quarantine.clone(),
                        diagnostics: sink.diagnostics.clone(),
                        warnings: warns.clone(),
                    };
                    let start = ds.logs.len();
                    if acc.close(f, &t.headers, t.rows.len() as u64, sink, warns)
                        && !skip_rows.contains(id)
                    {
                        ds.logs.extend(rows);
                        if let Some(key) = cacheable.then(|| log_cache_key(inv, f)).flatten() {
                            let rows = start..ds.logs.len();
                            entries.push(LogEntry {
                                key,
                                meta,
                                rows,
                                fresh: true,
                            });
                        }
                    }
                }
            }
        }
    }
    hand_over(&mut ds, &mut current, &mut entries);
    ds.pilots = pilots.into_values().collect();

    // Staffing exports.
    let staffing_files: Vec<&SourceFile> = files
        .iter()
        .filter(|f| f.kind == FileKind::Staffing)
        .copied()
        .collect();
    let mut read_ahead = read_in_parallel(&staffing_files);
    for f in staffing_files.iter().copied() {
        match read_ahead.next().expect("one table per file") {
            Err(d) => acc.rejected(f, 0, d),
            Ok(t) => {
                let mut sink = rows::RowSink::new(&f.display);
                match staffing::validate(&f.display, &t, &resolvers, &mut sink) {
                    Err(d) => acc.rejected(f, t.rows.len() as u64, d),
                    Ok((rows, warns)) => {
                        if acc.close(f, &t.headers, t.rows.len() as u64, sink, warns) {
                            ds.staffing.extend(rows);
                        }
                    }
                }
            }
        }
    }

    // Activity volumes (data-contract §5.1).
    let activity_files: Vec<&SourceFile> = files
        .iter()
        .filter(|f| f.kind == FileKind::Activity)
        .copied()
        .collect();
    let mut seen_volumes = activity::SeenVolumes::new();
    let mut read_ahead = read_in_parallel(&activity_files);
    for f in activity_files.iter().copied() {
        match read_ahead.next().expect("one table per file") {
            Err(d) => acc.rejected(f, 0, d),
            Ok(t) => {
                let mut sink = rows::RowSink::new(&f.display);
                match activity::validate(&f.display, &t, &resolvers, &mut seen_volumes, &mut sink) {
                    Err(d) => acc.rejected(f, t.rows.len() as u64, d),
                    Ok((rows, warns)) => {
                        if acc.close(f, &t.headers, t.rows.len() as u64, sink, warns) {
                            ds.activity.extend(rows);
                        }
                    }
                }
            }
        }
    }

    // Codebooks, then the exports they describe.
    let mut codebooks: BTreeMap<String, (&SourceFile, Option<surveys::Codebook>)> = BTreeMap::new();
    for f in files.iter().filter(|f| f.kind == FileKind::Codebook) {
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
    for f in files.iter().filter(|f| f.kind == FileKind::ToolCodebook) {
        acc.out.inputs.push(acc.input(f, "brukt"));
    }
    let mut rounds: BTreeMap<(String, chrono::NaiveDate), String> = BTreeMap::new();
    let mut survey_staffing = Vec::new();
    let mut exports_seen: BTreeSet<String> = BTreeSet::new();
    for f in files.iter().filter(|f| f.kind == FileKind::Survey) {
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
        match read_skipping(f, cb.ark.as_deref(), &cb.personkolonner, cb.topplinjer) {
            Err(d) => acc.rejected(f, 0, d),
            Ok(mut t) => {
                if cb.totalrad {
                    t.rows.pop();
                }
                let mut sink = rows::RowSink::new(&f.display);
                let cb_text = String::from_utf8_lossy(&cbf.bytes);
                let export = surveys::Export {
                    display: &f.display,
                    codebook_display: &cbf.display,
                    codebook_text: &cb_text,
                    survey: &stem,
                    codebook: cb,
                    table: &t,
                };
                match surveys::validate(&export, &resolvers, &mut sink) {
                    Err(d) => acc.rejected(f, t.rows.len() as u64, d),
                    Ok(out) => {
                        // The round (data-contract §6.2): a duplicate round is a file error.
                        let round = surveys::round_of(&f.display, &stem, cb, &out.dates)
                            .and_then(|r| match rounds.get(&(r.serie.clone(), r.runde)) {
                                Some(other) => Err(Diagnostic::file_error(
                                    &f.display,
                                    format!(
                                        "the export is round {} of series `{}`, and so is `{other}`; an export is never pooled with another",
                                        r.runde, r.serie
                                    ),
                                )
                                .hint("give one of the two codebooks its own `runde` (or `serie`), or remove the copy")),
                                None => Ok(r),
                            });
                        let round = match round {
                            Ok(r) => r,
                            Err(d) => {
                                acc.rejected(f, t.rows.len() as u64, vec![d]);
                                continue;
                            }
                        };
                        if acc.close(f, &t.headers, t.rows.len() as u64, sink, out.warnings) {
                            rounds.insert((round.serie.clone(), round.runde), f.display.clone());
                            ds.survey_rounds.push(round);
                            ds.respondents.extend(out.respondents);
                            survey_staffing
                                .extend(out.staffing.into_iter().map(|s| (f.display.clone(), s)));
                        }
                    }
                }
            }
        }
    }
    for (stem, (f, _)) in &codebooks {
        if !exports_seen.contains(stem) {
            acc.out.diagnostics.push(Diagnostic::warning(
                &f.display,
                format!("codebook has no export `{stem}.csv|.tsv|.txt|.xlsx` beside it"),
            ));
        }
    }

    // Unit-leader staffing answers join the HR series; where HR gives the same cell, HR wins.
    let hr: HashSet<(String, String, chrono::NaiveDate)> = ds
        .staffing
        .iter()
        .filter(|s| s.kilde == StaffingSource::Hr)
        .map(|s| (s.enhet_id.clone(), s.yrke_id.clone(), s.dato))
        .collect();
    for (display, s) in survey_staffing {
        if hr.contains(&(s.enhet_id.clone(), s.yrke_id.clone(), s.dato)) {
            acc.out.diagnostics.push(Diagnostic::warning(display, format!(
                "unit-leader staffing for `{}` × `{}` on {} is also in an HR export; the HR figure is used",
                s.enhet_id, s.yrke_id, s.dato
            )));
        } else {
            ds.staffing.push(s);
        }
    }
    ds.survey_rounds.sort();
    acc.out.dataset = ds;
    finish(acc)
}

fn finish(acc: Accounting<'_>) -> Validated {
    let mut out = acc.out;
    crate::diag::sort(&mut out.diagnostics);
    out.inputs.sort_by(|a, b| a.path.cmp(&b.path));
    out.quarantine.sort_by(|a, b| a.rel.cmp(&b.rel));
    out
}
