//! The pipeline: the only place that knows the order of the stages.
//!
//! ```text
//! discover → validate (ingest inside) → indicators → render → typeset → write
//! ```
//! Nothing is written under the output folder until every stage has succeeded; then the
//! PDFs, exports, quarantine and manifest are moved into place, so a failed run leaves the
//! last good run's files as they were.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::config::BuildConfig;
use crate::diag::Diagnostic;
use crate::indicators::{self, IndicatorSettings, IndicatorTable};
use crate::manifest::{self, Manifest};
use crate::render::{self, RenderInput, ReportMeta, Templates};
use crate::typeset::{self, TypstJob};
use crate::validate::{self, QuarantineFile, Validated};
use crate::{discover, fsx};

/// How a run ended.
#[derive(Debug)]
pub enum Outcome {
    /// Everything written.
    Built(Box<BuildReport>),
    /// The input data has file errors: nothing written.
    InvalidData(Vec<Diagnostic>),
}

/// What a successful build wrote.
#[derive(Debug)]
pub struct BuildReport {
    /// Paths of the documents: the PDFs and `styrenotat.docx`.
    pub pdfs: Vec<PathBuf>,
    /// Every diagnostic (row errors and warnings).
    pub diagnostics: Vec<Diagnostic>,
    /// The manifest written.
    pub manifest: Manifest,
    /// Nothing had changed: nothing was rewritten.
    pub up_to_date: bool,
}

/// Stage timings, in order.
#[derive(Debug, Default)]
struct Timer {
    start: Option<Instant>,
    times: BTreeMap<String, u64>,
}

impl Timer {
    fn lap(&mut self, stage: &str) {
        let now = Instant::now();
        if let Some(s) = self.start {
            self.times
                .insert(stage.to_string(), now.duration_since(s).as_millis() as u64);
        }
        self.start = Some(now);
    }

    /// Move `time` of stage `from` to stage `to` (work done inside another stage).
    fn shift(&mut self, from: &str, to: &str, time: std::time::Duration) {
        let ms = time.as_millis() as u64;
        if let Some(f) = self.times.get_mut(from) {
            *f = f.saturating_sub(ms);
        }
        *self.times.entry(to.to_string()).or_default() += ms;
    }
}

/// Discover and validate the data folder (the log rows are checked, then dropped).
pub fn check(data: &Path, settings: &crate::config::Settings) -> Result<Validated> {
    let inventory = discover::discover(data)?;
    let mut v = validate::validate_with_cache(
        &inventory,
        &settings.validering,
        validate::LogCache::new(),
        &std::collections::BTreeSet::new(),
        &mut |_, _| {},
    );
    // Text the documents cannot show: `build` prints a marker and warns; so does `check`.
    let templates = Path::new("report-templates");
    let coverage = crate::glyphs::Coverage::of_templates(Some(templates).filter(|t| t.is_dir()));
    v.diagnostics
        .extend(crate::glyphs::check_data(&inventory, &v.dataset, &coverage));
    Ok(v)
}

/// Load templates from a folder (every `*.j2` file and every other file, by relative path).
pub fn load_templates(dir: &Path) -> Result<Templates> {
    let mut t = Templates::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry =
            entry.with_context(|| format!("failed to read templates in `{}`", dir.display()))?;
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
            let name = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            // Fonts (and their licences) are not templates: see `glyphs::font_dirs`.
            if name.starts_with('.') || name.starts_with("fonts/") {
                continue;
            }
            t.insert(name, fsx::read_to_string(entry.path())?);
        }
    }
    Ok(t)
}

/// The newest date in the data (the staffing snapshots and each pilot's newest log day,
/// since the build never holds all log rows): the report's date and the PDFs' creation
/// timestamp.
fn data_date(
    v: &Validated,
    pilot_days: impl IntoIterator<Item = chrono::NaiveDate>,
) -> Option<chrono::NaiveDate> {
    v.dataset
        .staffing
        .iter()
        .map(|s| s.dato)
        .chain(pilot_days)
        .max()
}

fn quarantine_csv(q: &QuarantineFile) -> Result<Vec<u8>> {
    q.to_csv()
}

/// What the documents are built from: the validated, suppressed indicator table and the
/// facts around it. Cached in `output/.cache/analyse.json`, keyed by the inputs' hashes and the
/// settings that change numbers, so a prose-only change skips validation and indicators.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Analysis {
    /// Hash of everything the numbers depend on.
    pub data_key: String,
    /// Per-file accounting.
    pub inputs: Vec<crate::model::InputFile>,
    /// Row errors and warnings of the validation.
    pub diagnostics: Vec<Diagnostic>,
    /// The data is the synthetic sample.
    pub is_sample: bool,
    /// The newest date in the data.
    pub date: Option<chrono::NaiveDate>,
    /// Reference tables and pilots (names and descriptions for the documents).
    pub dataset: crate::model::Dataset,
    /// The indicator table.
    pub table: IndicatorTable,
    /// What changed since the previous analysed data (Vedlegg C); computed once per data
    /// version, so reruns for prose or settings print the same appendix.
    pub changes: crate::changes::Changes,
}

/// The indicators' notes (what the staffing need could not use) as warnings, so the
/// console shows them (Vedlegg B lists them from the table).
fn add_notes(v: &mut Validated, notes: &[indicators::Merknad]) {
    for n in notes {
        v.diagnostics
            .push(Diagnostic::warning(&n.fil, n.tekst.clone()));
    }
}

const CACHE_DIR: &str = fsx::CACHE_DIR;
const ANALYSIS_CACHE: &str = "analyse.json";
const HASH_INDEX: &str = "filer.json";

/// Hash of what the numbers depend on: every input file, the settings that change values,
/// and the tool version.
fn data_key(inventory: &discover::Inventory, cfg: &BuildConfig) -> String {
    let mut s = String::new();
    for f in &inventory.files {
        s.push_str(&f.rel);
        s.push('\0');
        s.push_str(&f.sha256);
        s.push('\n');
    }
    // Files that could not be read or were skipped change the outcome too.
    for d in &inventory.diagnostics {
        s.push_str(&format!("{:?}\0{}\0{}\n", d.severity, d.file, d.message));
    }
    s.push_str(&format!(
        "k={}\nmaks={}\ntool={}\n",
        cfg.settings.prikking.k,
        cfg.settings.validering.maks_karantene_andel,
        crate::tool_version()
    ));
    // The staffing-need settings (indicators.md §8) change values too.
    s.push_str(&format!(
        "wisn={}\n",
        serde_json::to_string(&(
            &cfg.settings.arbeidstid,
            &cfg.settings.aktivitetsstandard,
            &cfg.settings.tillegg
        ))
        .unwrap_or_default()
    ));
    crate::discover::sha256_hex(s.as_bytes())
}

fn hash_templates(templates: &Templates) -> String {
    let mut s = String::new();
    for (k, v) in templates {
        s.push_str(k);
        s.push('\0');
        s.push_str(v);
        s.push('\0');
    }
    crate::discover::sha256_hex(s.as_bytes())
}

/// Hash of the rendered build folder: a document is recompiled only when this changes.
/// Hash of the named files, from their hashes: `name\0sha256\n` lines.
fn hash_rendered<'a>(files: impl Iterator<Item = (&'a String, &'a String)>) -> String {
    let mut s = Vec::new();
    for (k, h) in files {
        s.extend_from_slice(k.as_bytes());
        s.push(0);
        s.extend_from_slice(h.as_bytes());
        s.push(b'\n');
    }
    crate::discover::sha256_hex(&s)
}

/// Run `build`: every stage that is out of date, then write the outputs. `say` receives
/// progress lines.
///
/// The run holds the output folder's lock ([`fsx::OutputLock`]) throughout, first removes
/// what an interrupted run left ([`fsx::clean_leftovers`]), and stages everything it writes
/// ([`fsx::Staging`]): a run that fails changes nothing under the output folder except the
/// failed run's Typst, kept in `.cache/feilet/` when typst fails. A first run into a new
/// folder that fails leaves no folder behind.
pub fn build(cfg: &BuildConfig, say: &dyn Fn(&str)) -> Result<Outcome> {
    let fresh = !cfg.out.exists();
    let lock = fsx::OutputLock::acquire(&cfg.out, say)?;
    let leftovers = fsx::clean_leftovers(&cfg.out);
    if !leftovers.is_empty() {
        say(&format!(
            "removed {} files an interrupted run left in `{}`",
            leftovers.len(),
            cfg.out.display()
        ));
    }
    let result = build_locked(cfg, say);
    drop(lock);
    if fresh && !matches!(result, Ok(Outcome::Built(_))) {
        // Only what the lock made: `remove_dir` keeps a folder that holds anything else.
        let _ = std::fs::remove_file(cfg.out.join(fsx::LOCK_FILE));
        let _ = std::fs::remove_dir(cfg.out.join(fsx::CACHE_DIR));
        let _ = std::fs::remove_dir(&cfg.out);
    }
    result
}

fn build_locked(cfg: &BuildConfig, say: &dyn Fn(&str)) -> Result<Outcome> {
    let mut timer = Timer::default();
    timer.lap("");
    let hash_index_path = cfg.out.join(CACHE_DIR).join(HASH_INDEX);
    let known: discover::HashIndex = std::fs::read(&hash_index_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let (inventory, hash_index) = discover::discover_with(&cfg.data, &known)?;
    // Kept current by every successful run (a failed run writes nothing).
    let hash_index_changed = hash_index != known;
    let save_hash_index = || -> Result<()> {
        if hash_index != known {
            fsx::write_atomic(&hash_index_path, serde_json::to_vec(&hash_index)?)?;
        }
        Ok(())
    };
    let templates = match &cfg.templates {
        Some(dir) => load_templates(dir)?,
        None => render::builtin_templates(),
    };
    timer.lap("discover");
    let typst = typeset::resolve(cfg.typst.as_deref(), say)?;
    timer.lap("typst_resolve");

    let data_key = data_key(&inventory, cfg);
    let templates_sha = hash_templates(&templates);
    let tool_version = crate::tool_version();
    let run_id = crate::discover::sha256_hex(
        format!(
            "{data_key}\0{templates_sha}\0{}\0{tool_version}\0{}\0final={}",
            cfg.settings_text, typst.version, cfg.is_final
        )
        .as_bytes(),
    )[..16]
        .to_string();
    let manifest_path = cfg.out.join("manifest.json");
    let previous = std::fs::read_to_string(&manifest_path)
        .ok()
        .and_then(|t| Manifest::parse(&t));

    let previous_analysis = read_analysis(&cfg.out);
    // Nothing changed and every output is still there: nothing to do.
    if let Some(prev) = &previous
        && prev.run_id == run_id
        && prev.outputs.iter().all(|o| cfg.out.join(o).is_file())
        && let Some(a) = previous_analysis
            .as_ref()
            .filter(|a| a.data_key == data_key)
    {
        save_hash_index()?;
        timer.lap("up_to_date");
        let pdfs = prev.documents.keys().map(|d| cfg.out.join(d)).collect();
        return Ok(Outcome::Built(Box::new(BuildReport {
            pdfs,
            diagnostics: a.diagnostics.clone(),
            manifest: prev.clone(),
            up_to_date: true,
        })));
    }

    let mut pending_logs: Option<PendingLogs> = None;
    let mut pending_pilots: Vec<(String, CachedPilot)> = Vec::new();
    let mut pilot_keep = std::collections::BTreeSet::new();
    let mut reused = manifest::Reused::default();
    let (analysis, quarantine) = match previous_analysis
        .as_ref()
        .filter(|a| a.data_key == data_key)
    {
        Some(a) => {
            reused.analysis = true;
            (a.clone(), None)
        }
        None => {
            // Pilots whose logs are unchanged keep their indicators from the cache, and
            // their rows stay on disk.
            let pilot_keys = pilot_keys(&inventory, cfg);
            let earlier = read_pilot_cache(&cfg.out, &pilot_keys);
            let skip: std::collections::BTreeSet<String> = earlier.keys().cloned().collect();
            let log_cache = read_log_cache(&cfg.out, &inventory, &skip);
            reused.log_files = log_cache.len();
            reused.pilots = skip.iter().cloned().collect();
            let settings = IndicatorSettings {
                k: cfg.settings.prikking.k,
                wisn: indicators::wisn::WisnSettings::of(&cfg.settings),
            };
            // Each pilot's rows, as soon as validated: its log-cache entries are encoded
            // (written only if the run succeeds) and its indicators computed, then the rows
            // are dropped, so one pilot's rows at most are in memory.
            let mut last_dates: Vec<chrono::NaiveDate> =
                earlier.values().filter_map(|c| c.last_date).collect();
            let mut drafts: BTreeMap<String, indicators::PilotDraft> =
                earlier.into_iter().map(|(p, c)| (p, c.draft)).collect();
            let mut encoded: Vec<(String, Vec<u8>, Vec<u8>)> = Vec::new();
            let mut keep_logs = std::collections::BTreeSet::new();
            let mut failure: Option<anyhow::Error> = None;
            let mut pilot_time = std::time::Duration::ZERO;
            let validated = validate::validate_with_cache(
                &inventory,
                &cfg.settings.validering,
                log_cache,
                &skip,
                &mut |reference, p| {
                    if failure.is_some() {
                        return;
                    }
                    keep_logs.extend(p.entries.iter().map(|e| e.key.clone()));
                    let fresh: Vec<&validate::LogEntry> =
                        p.entries.iter().filter(|e| e.fresh).collect();
                    let rows = &p.rows;
                    for e in crate::par::map(&fresh, |e| {
                        let parquet = crate::ingest::cache::logs_to_parquet(&rows[e.rows.clone()])?;
                        anyhow::Ok((e.key.clone(), parquet, serde_json::to_vec(&e.meta)?))
                    }) {
                        match e {
                            Ok(e) => encoded.push(e),
                            Err(e) => failure = Some(e),
                        }
                    }
                    if skip.contains(&p.pilot) || p.rows.is_empty() {
                        return;
                    }
                    let started = Instant::now();
                    let refs: Vec<&crate::model::LogRow> = p.rows.iter().collect();
                    match indicators::pilot_draft(&refs, reference, &settings) {
                        Ok(draft) => {
                            let last_date = p.rows.iter().map(|r| r.dato).max();
                            last_dates.extend(last_date);
                            if let Some(key) = pilot_keys.get(&p.pilot) {
                                pending_pilots.push((
                                    key.clone(),
                                    CachedPilot {
                                        last_date,
                                        draft: draft.clone(),
                                    },
                                ));
                            }
                            drafts.insert(p.pilot, draft);
                        }
                        Err(e) => failure = Some(e),
                    }
                    pilot_time += started.elapsed();
                },
            );
            timer.lap("validate");
            if validated.has_file_errors() {
                return Ok(Outcome::InvalidData(validated.diagnostics));
            }
            if let Some(e) = failure {
                return Err(e);
            }
            let (table, _) =
                indicators::compute_incremental(&validated.dataset, &settings, &drafts)?;
            let mut validated = validated;
            add_notes(&mut validated, &table.merknader);
            timer.lap("indicators");
            // The pilots' indicators were computed during validation: count them here.
            timer.shift("validate", "indicators", pilot_time);
            let date = data_date(&validated, last_dates);
            pilot_keep = pilot_keys.into_values().collect();
            let mut dataset = validated.dataset;
            pending_logs = Some((encoded, keep_logs));
            dataset.logs = Vec::new();
            dataset.staffing = Vec::new();
            dataset.respondents = Vec::new();
            dataset.activity = Vec::new();
            let changes = crate::changes::compare(
                previous_analysis
                    .as_ref()
                    .map(|a| {
                        (
                            manifest::data_version(&a.inputs),
                            a.inputs.as_slice(),
                            &a.table,
                        )
                    })
                    .as_ref()
                    .map(|(v, i, t)| (v.as_str(), *i, *t)),
                &validated.inputs,
                &table,
            );
            let a = Analysis {
                changes,
                data_key: data_key.clone(),
                inputs: validated.inputs,
                diagnostics: validated.diagnostics,
                is_sample: validated.is_sample,
                date,
                dataset,
                table,
            };
            (a, Some(validated.quarantine))
        }
    };
    let changes = &analysis.changes;

    let data_version = manifest::data_version(&analysis.inputs);
    let meta = ReportMeta {
        title: cfg.settings.rapport.tittel.clone(),
        subtitle: cfg.settings.rapport.undertittel.clone(),
        author: cfg.settings.rapport.fra.clone(),
        date: analysis.date,
        data_version: data_version.clone(),
        is_sample: analysis.is_sample,
        is_final: cfg.is_final,
        k: cfg.settings.prikking.k,
        tool_version: tool_version.clone(),
        typst_version: typst.version.clone(),
        settings_text: cfg.settings_text.clone(),
    };
    let definitions = render::view::registry_definitions();
    let changes_view = (!changes.first_run).then(|| render::ChangesView {
        forrige_kjoring: changes.previous_data_version.clone().unwrap_or_default(),
        indikatorer: changes
            .moved
            .iter()
            .map(|m| {
                render::view::changed_indicator(
                    &analysis.dataset,
                    &definitions,
                    &m.indikator,
                    &m.keys,
                    m.old,
                    m.new,
                    &m.maleenhet,
                )
            })
            .collect(),
        filer_lagt_til: changes.added.clone(),
        filer_endret: changes.changed.clone(),
        filer_fjernet: changes.removed.clone(),
        ikke_vist: 0,
    });
    let input = RenderInput {
        table: &analysis.table,
        dataset: &analysis.dataset,
        inputs: &analysis.inputs,
        meta: &meta,
        definitions: &definitions,
        changes: changes_view.as_ref(),
        anbefalinger: &cfg.settings.anbefaling,
    };
    let mut rendered = render::render(&input, &templates)?;
    // Characters no shipped font has become a visible marker, with a warning (under PDF/A
    // typst would refuse them).
    let (font_paths, fonts_key) = crate::glyphs::font_dirs(cfg.templates.as_deref())?;
    let glyph_warnings = crate::glyphs::replace_missing(
        &mut rendered.files,
        &crate::glyphs::Coverage::with_fonts(&font_paths),
        &cfg.out.join("build"),
    );
    timer.lap("render");

    // Stage the build folder and typeset into staged PDFs; skip documents whose sources and
    // tools are unchanged since the PDF on disk was made.
    // (A staging folder dropped on an error is removed.)
    let typst_timeout = typeset::timeout_from_env()?;
    let build_dir = cfg.out.join("build");
    let mut stage = fsx::Staging::new(&cfg.out)?;
    let staged_build = stage.folder("build")?;
    for (rel, bytes) in &rendered.files {
        fsx::write(&staged_build.join(rel), bytes)?;
    }
    let build_abs = std::fs::canonicalize(&staged_build)
        .with_context(|| format!("failed to resolve `{}`", staged_build.display()))?;
    let timestamp = analysis
        .date
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .map_or(0, |d| d.and_utc().timestamp());
    let mut jobs: Vec<(String, String, TypstJob)> = Vec::new();
    let file_hashes: BTreeMap<String, String> = rendered
        .files
        .iter()
        .map(|(k, v)| (k.clone(), crate::discover::sha256_hex(v)))
        .collect();
    let mut documents = BTreeMap::new();
    let mut typst_warnings = glyph_warnings;
    for doc in &rendered.documents {
        let target = cfg.out.join(&doc.pdf);
        // A document depends on its own main source and every shared file, not on the other
        // documents' main sources: a prose change in one template recompiles one PDF.
        let own = file_hashes.iter().filter(|(name, _)| {
            **name == doc.source || !rendered.documents.iter().any(|d| d.source == **name)
        });
        let sources_hash = crate::discover::sha256_hex(
            format!(
                "{}\0{}\0{timestamp}\0{}\0{}",
                hash_rendered(own),
                typst.version,
                doc.source,
                fonts_key
            )
            .as_bytes(),
        );
        documents.insert(doc.pdf.clone(), sources_hash.clone());
        let unchanged = previous.as_ref().and_then(|p| p.documents.get(&doc.pdf))
            == Some(&sources_hash)
            && target.is_file();
        if unchanged {
            reused.documents.push(doc.pdf.clone());
            continue;
        }
        // Staged at the PDF's own path (typst infers the format from the extension).
        let tmp = stage.path(&doc.pdf);
        let job = TypstJob {
            root: build_abs.clone(),
            source: build_abs.join(&doc.source),
            output: std::path::absolute(&tmp).unwrap_or(tmp.clone()),
            creation_timestamp: timestamp,
            font_paths: font_paths.clone(),
            timeout: typst_timeout,
        };
        if let Some(parent) = tmp.parent() {
            fsx::create_dir_all(parent)?;
        }
        jobs.push((doc.source.clone(), doc.pdf.clone(), job));
    }
    // The documents are independent: compile them on every core.
    let results = crate::par::map(&jobs, |(_, _, job)| typeset::compile(&typst, job));
    let mut failure = None;
    for ((source, pdf, _), result) in jobs.into_iter().zip(results) {
        match result {
            Ok(w) => {
                if !w.trim().is_empty() {
                    typst_warnings.push(Diagnostic::warning(
                        format!("{}/{source}", build_dir.display()),
                        format!("typst: {}", w.trim()),
                    ));
                }
                stage.file(&pdf);
            }
            Err(e) => {
                failure.get_or_insert((source, e));
            }
        }
    }
    if let Some((source, e)) = failure {
        // Nothing moves into the output folder; the generated Typst is kept for inspection.
        return Err(match stage.fail_keeping("build") {
            Some(kept) => e.kept_in(&[&build_abs, &staged_build], kept.join(&source), kept),
            None => e,
        }
        .into());
    }
    timer.lap("typeset");
    stage_outputs(
        &mut stage,
        &cfg.out,
        &rendered.outputs,
        previous.as_ref(),
        &mut documents,
        &mut reused,
    )?;
    finish_staged(
        cfg,
        &mut stage,
        &analysis,
        quarantine.as_deref(),
        pending_logs.as_ref(),
        &pending_pilots,
    )?;

    // Everything succeeded: move the outputs into place.
    let mut outputs = vec![
        "indikatorer/indikatorer.csv".to_string(),
        "indikatorer/indikatorer.parquet".to_string(),
    ];
    let mut pdfs = Vec::new();
    for doc in &rendered.documents {
        outputs.push(doc.pdf.clone());
        pdfs.push(cfg.out.join(&doc.pdf));
    }
    for name in rendered.outputs.keys() {
        outputs.push(name.clone());
        pdfs.push(cfg.out.join(name));
    }
    timer.lap("write");
    let manifest = Manifest {
        run_id,
        previous_run_id: previous.map(|p| p.run_id),
        data_version,
        tool_version,
        typst_version: typst.version.clone(),
        settings: cfg.settings_text.clone(),
        templates_sha256: templates_sha,
        inputs: analysis.inputs.clone(),
        outputs,
        documents,
        reused,
        timings_ms: timer.times,
    };
    if hash_index_changed {
        stage.write(
            &format!("{CACHE_DIR}/{HASH_INDEX}"),
            serde_json::to_vec(&hash_index)?,
        )?;
    }
    stage.write("manifest.json", manifest.to_json())?;
    stage.commit()?;
    if quarantine.is_some() {
        if let Some((_, keep)) = &pending_logs {
            prune(&cfg.out.join(CACHE_DIR).join(LOG_CACHE), keep);
        }
        prune(&cfg.out.join(CACHE_DIR).join(PILOT_CACHE), &pilot_keep);
    }
    let mut diagnostics = analysis.diagnostics;
    diagnostics.extend(typst_warnings);
    Ok(Outcome::Built(Box::new(BuildReport {
        pdfs,
        diagnostics,
        manifest,
        up_to_date: false,
    })))
}

/// Stage the exports, the quarantine and the caches of a run whose documents are typeset.
fn finish_staged(
    cfg: &BuildConfig,
    stage: &mut fsx::Staging,
    analysis: &Analysis,
    quarantine: Option<&[QuarantineFile]>,
    pending_logs: Option<&PendingLogs>,
    pending_pilots: &[(String, CachedPilot)],
) -> Result<()> {
    if quarantine.is_some() || !cfg.out.join("indikatorer/indikatorer.csv").is_file() {
        stage.write(
            "indikatorer/indikatorer.csv",
            indicators::export::to_csv(&analysis.table),
        )?;
        stage.write(
            "indikatorer/indikatorer.parquet",
            indicators::export::to_parquet(&analysis.table)?,
        )?;
    }
    if let Some(q) = quarantine {
        write_quarantine(stage, q)?;
        if let Some((entries, _)) = pending_logs {
            write_log_cache(stage, entries)?;
        }
        write_pilot_cache(stage, pending_pilots)?;
        stage.write(
            &format!("{CACHE_DIR}/{ANALYSIS_CACHE}"),
            serde_json::to_vec(analysis)?,
        )?;
    }
    Ok(())
}

const LOG_CACHE: &str = "logger";

/// Newly validated log files to cache (key, Parquet rows, JSON accounting) and every key
/// this run uses.
type PendingLogs = (
    Vec<(String, Vec<u8>, Vec<u8>)>,
    std::collections::BTreeSet<String>,
);

/// The validated log files of earlier runs that this inventory can reuse (see
/// [`validate::log_cache_key`]), without their rows for the pilots in `skip_rows`. A missing
/// or unreadable entry is simply validated again.
fn read_log_cache(
    out: &Path,
    inventory: &discover::Inventory,
    skip_rows: &std::collections::BTreeSet<String>,
) -> validate::LogCache {
    let dir = out.join(CACHE_DIR).join(LOG_CACHE);
    let keys: Vec<(String, bool)> = inventory
        .files
        .iter()
        .filter_map(|f| {
            let key = validate::log_cache_key(inventory, f)?;
            let discover::FileKind::Log(pilot) = &f.kind else {
                return None;
            };
            Some((key, !skip_rows.contains(pilot)))
        })
        .filter(|(k, _)| dir.join(format!("{k}.json")).is_file())
        .collect();
    let loaded = crate::par::map(&keys, |(k, want_rows)| {
        let meta =
            serde_json::from_slice(&std::fs::read(dir.join(format!("{k}.json"))).ok()?).ok()?;
        let rows = if *want_rows {
            crate::ingest::cache::logs_from_parquet(
                &std::fs::read(dir.join(format!("{k}.parquet"))).ok()?,
            )
            .ok()?
        } else {
            Vec::new()
        };
        Some((k.clone(), validate::CachedLog { meta, rows }))
    });
    loaded.into_iter().flatten().collect()
}

const PILOT_CACHE: &str = "piloter";

/// One pilot's log indicators before disclosure control, and the newest date of its rows.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct CachedPilot {
    last_date: Option<chrono::NaiveDate>,
    draft: indicators::PilotDraft,
}

/// Every pilot of the inventory (a log folder or a `pilot.toml`) with its
/// [`validate::pilot_cache_key`].
fn pilot_keys(inventory: &discover::Inventory, cfg: &BuildConfig) -> BTreeMap<String, String> {
    inventory
        .files
        .iter()
        .filter_map(|f| match &f.kind {
            discover::FileKind::Log(p) | discover::FileKind::PilotConfig(p) => Some(p),
            _ => None,
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|p| {
            let key = validate::pilot_cache_key(
                inventory,
                p,
                &cfg.settings.validering,
                cfg.settings.prikking.k,
            );
            (p.clone(), key)
        })
        .collect()
}

/// The cached pilots whose key is unchanged; a missing or unreadable entry is computed again.
fn read_pilot_cache(out: &Path, keys: &BTreeMap<String, String>) -> BTreeMap<String, CachedPilot> {
    let dir = out.join(CACHE_DIR).join(PILOT_CACHE);
    keys.iter()
        .filter_map(|(pilot, key)| {
            let bytes = std::fs::read(dir.join(format!("{key}.json"))).ok()?;
            let cached: CachedPilot = serde_json::from_slice(&bytes).ok()?;
            Some((pilot.clone(), cached))
        })
        .collect()
}

/// Stage this run's newly computed pilots (entries no pilot uses any more are pruned after
/// the commit).
fn write_pilot_cache(stage: &mut fsx::Staging, entries: &[(String, CachedPilot)]) -> Result<()> {
    for (key, cached) in entries {
        stage.write(
            &format!("{CACHE_DIR}/{PILOT_CACHE}/{key}.json"),
            serde_json::to_vec(cached)?,
        )?;
    }
    Ok(())
}

/// Remove the files of `dir` whose stem is not in `keep`.
fn prune(dir: &Path, keep: &std::collections::BTreeSet<String>) {
    if let Ok(listing) = std::fs::read_dir(dir) {
        for e in listing.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let key = name.split('.').next().unwrap_or("");
            if !keep.contains(key) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Stage this run's newly validated log files (entries no input uses any more are pruned
/// after the commit).
fn write_log_cache(stage: &mut fsx::Staging, entries: &[(String, Vec<u8>, Vec<u8>)]) -> Result<()> {
    let dir = format!("{CACHE_DIR}/{LOG_CACHE}");
    for (key, rows, meta) in entries {
        stage.write(&format!("{dir}/{key}.parquet"), rows)?;
        stage.write(&format!("{dir}/{key}.json"), meta)?;
    }
    Ok(())
}

fn read_analysis(out: &Path) -> Option<Analysis> {
    let bytes = std::fs::read(out.join(CACHE_DIR).join(ANALYSIS_CACHE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Stage the quarantine folder (it replaces the old one) with this run's quarantined rows.
fn write_quarantine(stage: &mut fsx::Staging, files: &[QuarantineFile]) -> Result<()> {
    let dir = stage.folder("karantene")?;
    for q in files {
        fsx::write(&dir.join(&q.rel), quarantine_csv(q)?)?;
    }
    Ok(())
}

/// Stage the files render made whole (`styrenotat.docx`) beside the PDFs, to be moved into
/// place with them. One whose bytes equal what the last run recorded in the manifest, and
/// that is still there, is left as it is (and listed in `reused.documents`). A failed run
/// removes its staging folder, so nothing of it reaches the output folder.
fn stage_outputs(
    stage: &mut fsx::Staging,
    out: &Path,
    files: &BTreeMap<String, Vec<u8>>,
    previous: Option<&Manifest>,
    documents: &mut BTreeMap<String, String>,
    reused: &mut manifest::Reused,
) -> Result<()> {
    for (name, bytes) in files {
        let hash = crate::discover::sha256_hex(bytes);
        let unchanged =
            previous.and_then(|p| p.documents.get(name)) == Some(&hash) && out.join(name).is_file();
        documents.insert(name.clone(), hash);
        if unchanged {
            reused.documents.push(name.clone());
            continue;
        }
        stage.write(name, bytes)?;
    }
    Ok(())
}
