//! The pipeline: the only place that knows the order of the stages. A build runs five
//! steps, each a function below:
//!
//! ```text
//! plan → analyse → render → typeset → commit
//! ```
//! - `plan`: discover the data folder, load the templates, find typst and key the run; a
//!   run whose inputs, settings, templates and tools are the last run's stops here.
//! - `analyse`: validate (ingest inside) and compute the indicators pilot by pilot, reusing
//!   what the caches under `.cache/` hold, or take the whole analysis from there.
//! - `render` and `typeset`: the documents, typeset into a staging folder.
//! - `commit`: stage the exports, the quarantine, the caches and the manifest, then move
//!   everything into place.
//!
//! Nothing is written under the output folder until every step has succeeded, so a failed
//! run leaves the last good run's files as they were.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::cache::{self, Cache, Key};
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

/// Stage timings: each stage's time, summed over its laps.
#[derive(Debug)]
struct Timer {
    last: Instant,
    times: BTreeMap<String, Duration>,
}

impl Timer {
    fn start() -> Timer {
        Timer {
            last: Instant::now(),
            times: BTreeMap::new(),
        }
    }

    /// Count the time since the last lap to `stage`.
    fn lap(&mut self, stage: &str) {
        let now = Instant::now();
        *self.times.entry(stage.to_string()).or_default() += now - self.last;
        self.last = now;
    }

    fn millis(&self) -> BTreeMap<String, u64> {
        self.times
            .iter()
            .map(|(s, t)| (s.clone(), t.as_millis() as u64))
            .collect()
    }
}

/// Discover and validate the data folder (the log rows are checked, then dropped).
///
/// Reads, and never writes, the caches a `build` left in the output folder `out`: the
/// file-hash index (an unchanged file is not hashed again) and the log cache, so a log file
/// validated before and unchanged since gives its accounting and diagnostics from there, as
/// in `build`; the rows of a pilot whose logs all are unchanged are not even loaded. Without
/// caches every file is read: the diagnostics are the same either way (tested).
pub fn check(data: &Path, out: &Path, settings: &crate::config::Settings) -> Result<Validated> {
    let cache = Cache::of(out);
    let known: discover::HashIndex = cache.read(cache::HASH_INDEX).unwrap_or_default();
    let (inventory, _) = discover::discover_with(data, &known)?;
    let pilot_keys = cache::pilot_keys(&inventory, &settings.validering);
    let unchanged: BTreeSet<String> = cache.read_pilots(&pilot_keys).into_keys().collect();
    let earlier = cache.read_logs(&inventory, &cache::log_keys(&inventory), &unchanged);
    let mut validator = validate::begin(&inventory, &settings.validering);
    for _ in validator.pilots(earlier) {}
    let mut v = validator.finish();
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

/// The five steps, under the output folder's lock.
fn build_locked(cfg: &BuildConfig, say: &dyn Fn(&str)) -> Result<Outcome> {
    let mut timer = Timer::start();
    let plan = plan(cfg, say, &mut timer)?;
    if let Some(report) = plan.up_to_date(&cfg.out) {
        plan.save_hash_index()?;
        return Ok(Outcome::Built(Box::new(report)));
    }
    let mut reused = manifest::Reused::default();
    let analysed = match analyse(cfg, &plan, &mut reused, &mut timer)? {
        Analysed::Invalid(diagnostics) => return Ok(Outcome::InvalidData(diagnostics)),
        Analysed::Ready(analysis, writes) => (*analysis, writes.map(|w| *w)),
    };
    let rendered = render(cfg, &plan, &analysed.0)?;
    timer.lap("render");
    // The exports, the quarantine and the caches are staged while typst runs.
    let typeset = typeset(cfg, &plan, &analysed.0, rendered, &mut reused, |stage| {
        stage_analysis(cfg, stage, &analysed.0, analysed.1.as_ref())
    })?;
    timer.lap("typeset");
    commit(cfg, plan, analysed, typeset, reused, timer)
}

/// What this run builds from, and what the last run left.
struct Plan {
    inventory: discover::Inventory,
    /// The file-hash index as the last run left it, and as this run leaves it.
    known: discover::HashIndex,
    hash_index: discover::HashIndex,
    templates: Templates,
    typst: typeset::Typst,
    /// Hash of everything the numbers depend on ([`data_key`]).
    data_key: String,
    templates_sha: String,
    /// This run's inputs, settings, templates and tools together.
    run_id: String,
    previous: Option<Manifest>,
    /// The last run's analysis, parsed beside discover: a run whose data changed needs it
    /// only for the changes since then, long after it starts.
    previous_analysis: cache::Pending<Analysis>,
    /// Its data key ([`cache::ANALYSIS_KEY`]), known without parsing it.
    previous_data_key: Option<String>,
    cache: Cache,
}

/// Step 1: discover the data folder (hashing only files whose size or time moved), load the
/// templates, find typst, and key the run.
fn plan(cfg: &BuildConfig, say: &dyn Fn(&str), timer: &mut Timer) -> Result<Plan> {
    let cache = Cache::of(&cfg.out);
    let previous_analysis = cache.read_pending(cache::ANALYSIS);
    let previous_data_key = cache.read_text(cache::ANALYSIS_KEY);
    let known: discover::HashIndex = cache.read(cache::HASH_INDEX).unwrap_or_default();
    let (inventory, hash_index) = discover::discover_with(&cfg.data, &known)?;
    let templates = match &cfg.templates {
        Some(dir) => load_templates(dir)?,
        None => render::builtin_templates(),
    };
    timer.lap("discover");
    let typst = typeset::resolve(cfg.typst.as_deref(), say)?;
    timer.lap("typst_resolve");
    let data_key = cache::data_key(&inventory, &cfg.settings);
    let templates_sha = hash_templates(&templates);
    let run_id = Key::new()
        .part(&data_key)
        .part(&templates_sha)
        .part(&cfg.settings_text)
        .part(crate::tool_version())
        .part(&typst.version)
        .part(format!("final={}", cfg.is_final))
        .finish()[..16]
        .to_string();
    let previous = std::fs::read_to_string(cfg.out.join("manifest.json"))
        .ok()
        .and_then(|t| Manifest::parse(&t));
    Ok(Plan {
        inventory,
        known,
        hash_index,
        templates,
        typst,
        data_key,
        templates_sha,
        run_id,
        previous,
        previous_analysis,
        previous_data_key,
        cache,
    })
}

impl Plan {
    /// The analysis cached for this run's data, if any.
    fn cached_analysis(&self) -> Option<&Analysis> {
        // A different key beside the entry settles it without waiting for the parse.
        if self
            .previous_data_key
            .as_ref()
            .is_some_and(|k| *k != self.data_key)
        {
            return None;
        }
        self.previous_analysis
            .get()
            .filter(|a| a.data_key == self.data_key)
    }

    /// The last run's report, when nothing changed and every output is still there.
    fn up_to_date(&self, out: &Path) -> Option<BuildReport> {
        let prev = self.previous.as_ref()?;
        let fresh =
            prev.run_id == self.run_id && prev.outputs.iter().all(|o| out.join(o).is_file());
        if !fresh {
            return None;
        }
        let analysis = self.cached_analysis()?;
        Some(BuildReport {
            pdfs: prev.documents.keys().map(|d| out.join(d)).collect(),
            diagnostics: analysis.diagnostics.clone(),
            manifest: prev.clone(),
            up_to_date: true,
        })
    }

    /// Keep the file-hash index current (also when nothing else is written).
    fn save_hash_index(&self) -> Result<()> {
        if self.hash_index != self.known {
            self.cache.write_now(cache::HASH_INDEX, &self.hash_index)?;
        }
        Ok(())
    }
}

/// What [`analyse`] found.
enum Analysed {
    /// The data has file errors: nothing is built.
    Invalid(Vec<Diagnostic>),
    /// The analysis, and the cache entries to write with the outputs (`None` when the
    /// analysis itself came from the cache).
    Ready(Box<Analysis>, Option<Box<CacheWrites>>),
}

/// What a fresh analysis adds to the caches, and every entry it uses (the others are pruned
/// after the commit).
#[derive(Default)]
struct CacheWrites {
    quarantine: Vec<QuarantineFile>,
    logs: Vec<cache::LogEntry>,
    log_keep: BTreeSet<String>,
    /// Newly computed pilots, by key.
    pilots: Vec<(String, cache::PilotEntry)>,
    pilot_keep: BTreeSet<String>,
    /// The survey draft computed now, by key (`None` when it came from the cache).
    surveys: Option<(String, indicators::SurveyDraft)>,
    surveys_keep: BTreeSet<String>,
    /// The files other than logs validated now, as the cache entry's bytes, by key (`None`
    /// when they came from the cache).
    others: Option<(String, Vec<u8>)>,
    others_keep: BTreeSet<String>,
}

/// Step 2: the analysis from the cache when the numbers' inputs are unchanged; else validate
/// pilot by pilot (each pilot's rows are encoded for the log cache and its indicators
/// drafted, then dropped), then the rest, then the indicators.
fn analyse(
    cfg: &BuildConfig,
    plan: &Plan,
    reused: &mut manifest::Reused,
    timer: &mut Timer,
) -> Result<Analysed> {
    if let Some(a) = plan.cached_analysis() {
        reused.analysis = true;
        return Ok(Analysed::Ready(Box::new(a.clone()), None));
    }
    let inventory = &plan.inventory;
    // Pilots whose logs are unchanged keep their indicators from the cache, and their rows
    // stay on disk.
    let pilot_keys = cache::pilot_keys(inventory, &cfg.settings.validering);
    let log_keys = cache::log_keys(inventory);
    let earlier = plan.cache.read_pilots(&pilot_keys);
    let skip_rows = earlier.keys().cloned().collect();
    let earlier_logs = plan.cache.read_logs(inventory, &log_keys, &skip_rows);
    reused.log_files = earlier_logs.len();
    reused.pilots = earlier.keys().cloned().collect();
    let settings = IndicatorSettings {
        k: cfg.settings.prikking.k,
        wisn: indicators::wisn::WisnSettings::of(&cfg.settings),
    };
    let mut writes = CacheWrites {
        log_keep: log_keys.values().cloned().collect(),
        pilot_keep: pilot_keys.values().cloned().collect(),
        ..CacheWrites::default()
    };
    let mut last_dates: Vec<chrono::NaiveDate> =
        earlier.values().filter_map(|c| c.last_date).collect();
    let surveys_key = cache::surveys_key(inventory, &cfg.settings.validering);
    let others_key = cache::others_key(inventory, &cfg.settings.validering);
    let earlier_surveys: Option<indicators::SurveyDraft> = plan
        .cache
        .read(&format!("{}/{surveys_key}.json", cache::SURVEYS));
    reused.surveys = earlier_surveys.is_some();
    let mut drafts = BTreeMap::new();
    let mut validator = validate::begin(inventory, &cfg.settings.validering);
    // The other files, and the survey indicators, need nothing from the logs: they are
    // validated and drafted on a thread of their own while the logs go pilot by pilot.
    let (looped, side) = std::thread::scope(|scope| {
        let (pilots, others) = validator.pilots_and_others(earlier_logs);
        let redraft = earlier_surveys.is_none();
        let (store, key) = (&plan.cache, &others_key);
        let side = scope.spawn(move || {
            // Unchanged since the last run, with the survey indicators drafted then: as they
            // were (read here, beside the logs). The entry has no survey rows.
            let cached: Option<validate::OtherFiles> = if redraft {
                None
            } else {
                store.read(&format!("{}/{key}.json", cache::OTHERS))
            };
            let fresh = cached.is_none();
            let mut files = cached.unwrap_or_else(|| others.validate());
            let surveys = redraft.then(|| indicators::survey_draft(files.dataset()));
            // Nothing after the draft reads the survey rows (the analysis keeps none).
            files.drop_survey_rows();
            let entry = if fresh {
                serde_json::to_vec(&files).ok()
            } else {
                None
            };
            (files, entry, surveys)
        });
        let looped = || -> Result<()> {
            for pilot in pilots {
                timer.lap("validate");
                // The cache entries of its log files are encoded beside its indicators: the
                // drafting leaves a core idle at times, and the encoding fills it.
                let (encoded, drafted) = std::thread::scope(|s| {
                    let encoded = s.spawn(|| encode_logs(&pilot, &log_keys));
                    let drafted = || -> Result<()> {
                        if earlier.contains_key(&pilot.pilot) || pilot.is_empty() {
                            return Ok(());
                        }
                        let rows: Vec<&crate::model::LogRow> = pilot.rows().collect();
                        let draft = indicators::pilot_draft(&rows, pilot.reference)?;
                        let last_date = pilot.rows().map(|r| r.dato).max();
                        last_dates.extend(last_date);
                        if let Some(key) = pilot_keys.get(&pilot.pilot) {
                            let cached = cache::PilotEntry {
                                last_date,
                                draft: draft.clone(),
                            };
                            writes.pilots.push((key.clone(), cached));
                        }
                        drafts.insert(pilot.pilot.clone(), draft);
                        Ok(())
                    }();
                    (encoded.join(), drafted)
                });
                let encoded =
                    encoded.map_err(|_| anyhow::anyhow!("encoding the log cache failed"))?;
                writes.logs.extend(encoded?);
                drafted?;
                timer.lap("indicators");
            }
            Ok(())
        };
        (looped(), side.join())
    });
    looped?;
    let (others, others_entry, surveys) =
        side.map_err(|_| anyhow::anyhow!("validating the files other than logs failed"))?;
    let mut validated = validator.finish_with(others);
    timer.lap("validate");
    if validated.has_file_errors() {
        return Ok(Analysed::Invalid(validated.diagnostics));
    }
    drafts.extend(earlier.into_iter().map(|(p, c)| (p, c.draft)));
    let earlier_surveys = earlier_surveys.or(surveys.transpose()?);
    let (table, _, survey_draft) =
        indicators::compute_cached(&validated.dataset, &settings, &drafts, earlier_surveys)?;
    if !reused.surveys {
        writes.surveys = Some((surveys_key.clone(), survey_draft));
    }
    writes.surveys_keep = BTreeSet::from([surveys_key]);
    reused.others = others_entry.is_none();
    writes.others = others_entry.map(|e| (others_key.clone(), e));
    writes.others_keep = BTreeSet::from([others_key]);
    add_notes(&mut validated, &table.merknader);
    timer.lap("indicators");
    let date = data_date(&validated, last_dates);
    writes.quarantine = std::mem::take(&mut validated.quarantine);
    let analysis = Analysis {
        changes: changes_since(plan.previous_analysis.get(), &validated, &table),
        data_key: plan.data_key.clone(),
        inputs: validated.inputs,
        diagnostics: validated.diagnostics,
        is_sample: validated.is_sample,
        date,
        // What the documents name (the rows are in the table).
        dataset: crate::model::Dataset {
            logs: Vec::new(),
            staffing: Vec::new(),
            respondents: Vec::new(),
            activity: Vec::new(),
            ..validated.dataset
        },
        table,
    };
    Ok(Analysed::Ready(Box::new(analysis), Some(Box::new(writes))))
}

/// What changed since the previous analysis (Vedlegg C).
fn changes_since(
    previous: Option<&Analysis>,
    validated: &Validated,
    table: &IndicatorTable,
) -> crate::changes::Changes {
    let previous = previous.map(|a| (manifest::data_version(&a.inputs), a));
    crate::changes::compare(
        previous
            .as_ref()
            .map(|(v, a)| (v.as_str(), a.inputs.as_slice(), &a.table)),
        &validated.inputs,
        table,
    )
}

/// A pilot's log files validated now, as cache entries.
fn encode_logs(
    pilot: &validate::PilotLogs,
    keys: &BTreeMap<String, String>,
) -> Result<Vec<cache::LogEntry>> {
    // One file after the other, on one core: beside the pilot's indicators (which take the
    // other), and holding one file's columns at a time.
    pilot
        .fresh
        .iter()
        .map(|f| {
            let key = keys
                .get(&f.path)
                .context("a validated log file has no cache key")?;
            cache::LogEntry::encode(key, &f.meta, &pilot.files[f.file])
        })
        .collect()
}

/// The rendered build folder and the fonts to typeset it with.
struct RenderedBuild {
    rendered: render::Rendered,
    font_paths: Vec<PathBuf>,
    /// Hash of every font in `font_paths`.
    fonts_key: String,
    /// Characters no font has.
    warnings: Vec<Diagnostic>,
}

/// Step 3: the Typst sources, charts and the `.docx` from the analysis and the templates.
fn render(cfg: &BuildConfig, plan: &Plan, analysis: &Analysis) -> Result<RenderedBuild> {
    let meta = ReportMeta {
        title: cfg.settings.rapport.tittel.clone(),
        subtitle: cfg.settings.rapport.undertittel.clone(),
        author: cfg.settings.rapport.fra.clone(),
        date: analysis.date,
        data_version: manifest::data_version(&analysis.inputs),
        is_sample: analysis.is_sample,
        is_final: cfg.is_final,
        k: cfg.settings.prikking.k,
        tool_version: crate::tool_version(),
        typst_version: plan.typst.version.clone(),
        settings_text: cfg.settings_text.clone(),
    };
    let definitions = render::view::registry_definitions();
    let changes = &analysis.changes;
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
    let mut rendered = render::render(&input, &plan.templates)?;
    // Characters no shipped font has become a visible marker, with a warning (under PDF/A
    // typst would refuse them).
    let (font_paths, fonts_key) = crate::glyphs::font_dirs(cfg.templates.as_deref())?;
    let warnings = crate::glyphs::replace_missing(
        &mut rendered.files,
        &crate::glyphs::Coverage::of_templates(cfg.templates.as_deref()),
        &cfg.out.join("build"),
    );
    Ok(RenderedBuild {
        rendered,
        font_paths,
        fonts_key,
        warnings,
    })
}

/// The typeset documents, in the staging folder with the build folder.
struct Typeset {
    stage: fsx::Staging,
    /// What was rendered (its documents and finished outputs).
    rendered: render::Rendered,
    /// Per PDF, the hash of what it was typeset from.
    documents: BTreeMap<String, String>,
    /// typst's warnings, and the characters no font has.
    warnings: Vec<Diagnostic>,
}

/// Step 4: stage the build folder and typeset it into staged PDFs, the documents on every
/// core; a document whose sources and tools are unchanged since the PDF on disk was made is
/// left as it is. When typst fails, the generated Typst is kept for inspection and nothing
/// else moves into the output folder (a staging folder dropped on an error is removed).
fn typeset(
    cfg: &BuildConfig,
    plan: &Plan,
    analysis: &Analysis,
    build: RenderedBuild,
    reused: &mut manifest::Reused,
    beside: impl FnOnce(&mut fsx::Staging) -> Result<()>,
) -> Result<Typeset> {
    let timeout = typeset::timeout_from_env()?;
    let mut stage = fsx::Staging::new(&cfg.out)?;
    let staged_build = stage.folder("build")?;
    for (rel, bytes) in &build.rendered.files {
        fsx::write(&staged_build.join(rel), bytes)?;
    }
    let build_abs = std::fs::canonicalize(&staged_build)
        .with_context(|| format!("failed to resolve `{}`", staged_build.display()))?;
    let timestamp = analysis
        .date
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .map_or(0, |d| d.and_utc().timestamp());
    let documents = document_hashes(&build, &plan.typst.version, timestamp);
    let mut jobs: Vec<(String, String, TypstJob)> = Vec::new();
    for doc in &build.rendered.documents {
        let hash = plan
            .previous
            .as_ref()
            .and_then(|p| p.documents.get(&doc.pdf));
        if hash == documents.get(&doc.pdf) && cfg.out.join(&doc.pdf).is_file() {
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
            font_paths: build.font_paths.clone(),
            timeout,
        };
        if let Some(parent) = tmp.parent() {
            fsx::create_dir_all(parent)?;
        }
        jobs.push((doc.source.clone(), doc.pdf.clone(), job));
    }
    // `beside` stages into the same folder while the documents compile; a failure of
    // either drops the staging folder, so nothing of this run reaches the output folder.
    let (results, staged) = std::thread::scope(|scope| {
        let compiled = scope
            .spawn(|| crate::par::map(&jobs, |(_, _, job)| typeset::compile(&plan.typst, job)));
        let staged = beside(&mut stage);
        (compiled.join(), staged)
    });
    let results = results.map_err(|_| anyhow::anyhow!("typesetting failed"))?;
    staged?;
    let mut warnings = build.warnings;
    let build_dir = cfg.out.join("build");
    for ((source, pdf, _), result) in jobs.into_iter().zip(results) {
        match result {
            Ok(w) if w.trim().is_empty() => stage.file(&pdf),
            Ok(w) => {
                warnings.push(Diagnostic::warning(
                    format!("{}/{source}", build_dir.display()),
                    format!("typst: {}", w.trim()),
                ));
                stage.file(&pdf);
            }
            Err(e) => {
                return Err(match stage.fail_keeping("build") {
                    Some(kept) => e.kept_in(&[&build_abs, &staged_build], kept.join(&source), kept),
                    None => e,
                }
                .into());
            }
        }
    }
    Ok(Typeset {
        stage,
        rendered: build.rendered,
        documents,
        warnings,
    })
}

/// Per PDF, the hash of what it is typeset from: its own main source and every shared file
/// (not the other documents' main sources: a prose change in one template recompiles one
/// PDF), typst's version, the creation timestamp and the fonts.
fn document_hashes(
    build: &RenderedBuild,
    typst_version: &str,
    timestamp: i64,
) -> BTreeMap<String, String> {
    let docs = &build.rendered.documents;
    let file_hashes: BTreeMap<&String, String> = build
        .rendered
        .files
        .iter()
        .map(|(k, v)| (k, crate::discover::sha256_hex(v)))
        .collect();
    docs.iter()
        .map(|doc| {
            let mut sources = Key::new();
            for (name, hash) in &file_hashes {
                if **name == doc.source || !docs.iter().any(|d| d.source == **name) {
                    sources.file(name, hash);
                }
            }
            let hash = Key::new()
                .part(sources.finish())
                .part(typst_version)
                .part(timestamp.to_string())
                .part(&doc.source)
                .part(&build.fonts_key)
                .finish();
            (doc.pdf.clone(), hash)
        })
        .collect()
}

/// Step 5: stage the finished outputs (`styrenotat.docx`) and the manifest (the exports, the
/// quarantine and the caches were staged while typst ran); move everything into place; prune
/// the caches.
fn commit(
    cfg: &BuildConfig,
    plan: Plan,
    (analysis, writes): (Analysis, Option<CacheWrites>),
    typeset: Typeset,
    mut reused: manifest::Reused,
    mut timer: Timer,
) -> Result<Outcome> {
    let Typeset {
        mut stage,
        rendered,
        mut documents,
        warnings,
    } = typeset;
    let previous = plan.previous.as_ref();
    stage_outputs(
        &mut stage,
        &cfg.out,
        &rendered.outputs,
        previous,
        &mut documents,
        &mut reused,
    )?;
    let mut outputs = vec![
        "indikatorer/indikatorer.csv".to_string(),
        "indikatorer/indikatorer.parquet".to_string(),
    ];
    let mut pdfs = Vec::new();
    for name in rendered
        .documents
        .iter()
        .map(|d| &d.pdf)
        .chain(rendered.outputs.keys())
    {
        outputs.push(name.clone());
        pdfs.push(cfg.out.join(name));
    }
    timer.lap("write");
    let manifest = Manifest {
        run_id: plan.run_id,
        previous_run_id: plan.previous.map(|p| p.run_id),
        data_version: manifest::data_version(&analysis.inputs),
        tool_version: crate::tool_version(),
        typst_version: plan.typst.version,
        settings: cfg.settings_text.clone(),
        templates_sha256: plan.templates_sha,
        inputs: analysis.inputs,
        outputs,
        documents,
        reused,
        timings_ms: timer.millis(),
    };
    if plan.hash_index != plan.known {
        cache::stage(&mut stage, cache::HASH_INDEX, &plan.hash_index)?;
    }
    stage.write("manifest.json", manifest.to_json())?;
    stage.commit()?;
    if let Some(w) = &writes {
        plan.cache.prune(cache::LOGS, &w.log_keep);
        plan.cache.prune(cache::PILOTS, &w.pilot_keep);
        plan.cache.prune(cache::SURVEYS, &w.surveys_keep);
        plan.cache.prune(cache::OTHERS, &w.others_keep);
    }
    let mut diagnostics = analysis.diagnostics;
    diagnostics.extend(warnings);
    Ok(Outcome::Built(Box::new(BuildReport {
        pdfs,
        diagnostics,
        manifest,
        up_to_date: false,
    })))
}

/// Stage the exports (when the analysis is new or they are missing) and, with a new
/// analysis, the quarantine and the caches.
fn stage_analysis(
    cfg: &BuildConfig,
    stage: &mut fsx::Staging,
    analysis: &Analysis,
    writes: Option<&CacheWrites>,
) -> Result<()> {
    if writes.is_some() || !cfg.out.join("indikatorer/indikatorer.csv").is_file() {
        stage.write(
            "indikatorer/indikatorer.csv",
            indicators::export::to_csv(&analysis.table),
        )?;
        stage.write(
            "indikatorer/indikatorer.parquet",
            indicators::export::to_parquet(&analysis.table)?,
        )?;
    }
    if let Some(w) = writes {
        write_quarantine(stage, &w.quarantine)?;
        cache::stage_logs(stage, &w.logs)?;
        cache::stage_pilots(stage, &w.pilots)?;
        if let Some((key, draft)) = &w.surveys {
            cache::stage_surveys(stage, key, draft)?;
        }
        if let Some((key, entry)) = &w.others {
            stage.write(
                &format!("{}/{}/{key}.json", cache::DIR, cache::OTHERS),
                entry,
            )?;
        }
        cache::stage(stage, cache::ANALYSIS, analysis)?;
        stage.write(
            &format!("{}/{}", cache::DIR, cache::ANALYSIS_KEY),
            &analysis.data_key,
        )?;
    }
    Ok(())
}

/// The templates' hash: each name and text as parts of one record, closed by an empty
/// part (`name\0text\0…`, the manifest's `templates_sha256`).
fn hash_templates(templates: &Templates) -> String {
    let mut key = Key::new();
    for (name, text) in templates {
        key.part(name).part(text);
    }
    key.part("").finish()
}

/// Stage the quarantine folder (it replaces the old one) with this run's quarantined rows.
fn write_quarantine(stage: &mut fsx::Staging, files: &[QuarantineFile]) -> Result<()> {
    let dir = stage.folder("karantene")?;
    for q in files {
        fsx::write(&dir.join(&q.rel), q.to_csv()?)?;
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
