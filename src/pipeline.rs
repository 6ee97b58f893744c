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
use crate::diag::{Diagnostic, DiagnosticFormat, Severity};
use crate::indicators::{self, IndicatorSettings};
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
    /// Paths of the PDFs.
    pub pdfs: Vec<PathBuf>,
    /// Every diagnostic (row errors and warnings).
    pub diagnostics: Vec<Diagnostic>,
    /// The manifest written.
    pub manifest: Manifest,
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
}

/// Discover and validate the data folder.
pub fn check(data: &Path, settings: &crate::config::Settings) -> Result<Validated> {
    let inventory = discover::discover(data)?;
    Ok(validate::validate(&inventory, &settings.validering))
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
            if name.starts_with('.') {
                continue;
            }
            t.insert(name, fsx::read_to_string(entry.path())?);
        }
    }
    Ok(t)
}

/// The newest date in the data: the report's date and the PDFs' creation timestamp.
fn data_date(v: &Validated) -> Option<chrono::NaiveDate> {
    let ds = &v.dataset;
    ds.logs
        .iter()
        .map(|l| l.dato)
        .chain(ds.staffing.iter().map(|s| s.dato))
        .max()
}

fn quarantine_csv(q: &QuarantineFile) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(vec![0xEF, 0xBB, 0xBF]);
    let mut header = vec!["linje".to_string(), "kolonne".into(), "årsak".into()];
    header.extend(q.headers.iter().cloned());
    let _ = w.write_record(&header);
    for r in &q.rows {
        let mut rec = vec![r.line.to_string(), r.columns.clone(), r.reasons.clone()];
        rec.extend(r.fields.iter().cloned());
        let _ = w.write_record(&rec);
    }
    w.into_inner().unwrap_or_default()
}

/// Run `build`: every stage, then write the outputs. `say` receives progress lines.
pub fn build(cfg: &BuildConfig, say: &dyn Fn(&str)) -> Result<Outcome> {
    let mut timer = Timer::default();
    timer.lap("");
    let inventory = discover::discover(&cfg.data)?;
    timer.lap("discover");
    let validated = validate::validate(&inventory, &cfg.settings.validering);
    timer.lap("validate");
    if validated.has_file_errors() {
        return Ok(Outcome::InvalidData(validated.diagnostics));
    }
    let table = indicators::compute(
        &validated.dataset,
        &IndicatorSettings {
            k: cfg.settings.prikking.k,
        },
    )?;
    timer.lap("indicators");

    let templates = match &cfg.templates {
        Some(dir) => load_templates(dir)?,
        None => render::builtin_templates(),
    };
    let templates_sha = {
        let mut s = String::new();
        for (k, v) in &templates {
            s.push_str(k);
            s.push('\0');
            s.push_str(v);
            s.push('\0');
        }
        crate::discover::sha256_hex(s.as_bytes())
    };
    let typst = typeset::resolve(cfg.typst.as_deref(), say)?;
    timer.lap("typst_resolve");

    let data_version = manifest::data_version(&validated.inputs);
    let date = data_date(&validated);
    let meta = ReportMeta {
        title: cfg.settings.rapport.tittel.clone(),
        subtitle: cfg.settings.rapport.undertittel.clone(),
        author: cfg.settings.rapport.fra.clone(),
        date,
        data_version: data_version.clone(),
        is_sample: validated.is_sample,
        is_final: cfg.is_final,
        k: cfg.settings.prikking.k,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        typst_version: typst.version.clone(),
        settings_text: cfg.settings_text.clone(),
    };
    let input = RenderInput {
        table: &table,
        dataset: &validated.dataset,
        inputs: &validated.inputs,
        meta: &meta,
    };
    let rendered = render::render(&input, &templates)?;
    timer.lap("render");

    // Typeset into the build folder and temporary PDFs beside the final ones.
    let build_dir = cfg.out.join("build");
    fsx::remove_dir_all(&build_dir)?;
    for (rel, bytes) in &rendered.files {
        fsx::write(&build_dir.join(rel), bytes)?;
    }
    let build_abs = std::fs::canonicalize(&build_dir)
        .with_context(|| format!("failed to resolve `{}`", build_dir.display()))?;
    let timestamp = date
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .map_or(0, |d| d.and_utc().timestamp());
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut typst_warnings = Vec::new();
    for doc in &rendered.documents {
        let target = cfg.out.join(&doc.pdf);
        let tmp = cfg.out.join(format!(
            ".{}.tmp-{}",
            doc.pdf.replace('/', "_"),
            std::process::id()
        ));
        let job = TypstJob {
            root: build_abs.clone(),
            source: build_abs.join(&doc.source),
            output: std::path::absolute(&tmp).unwrap_or(tmp.clone()),
            creation_timestamp: timestamp,
            font_paths: Vec::new(),
        };
        match typeset::compile(&typst, &job) {
            Ok(w) => {
                if !w.trim().is_empty() {
                    typst_warnings.push(Diagnostic::warning(
                        format!("{}/{}", build_dir.display(), doc.source),
                        format!("typst: {}", w.trim()),
                    ));
                }
                staged.push((tmp, target));
            }
            Err(e) => {
                for (t, _) in &staged {
                    let _ = std::fs::remove_file(t);
                }
                return Err(e.into());
            }
        }
    }
    timer.lap("typeset");

    // Everything succeeded: move the outputs into place.
    let mut outputs = Vec::new();
    let exp_dir = cfg.out.join("indikatorer");
    fsx::write_atomic(
        &exp_dir.join("indikatorer.csv"),
        indicators::export::to_csv(&table),
    )?;
    fsx::write_atomic(
        &exp_dir.join("indikatorer.parquet"),
        indicators::export::to_parquet(&table)?,
    )?;
    outputs.push("indikatorer/indikatorer.csv".to_string());
    outputs.push("indikatorer/indikatorer.parquet".to_string());
    write_quarantine(&cfg.out, &validated.quarantine)?;
    outputs.extend(
        validated
            .quarantine
            .iter()
            .map(|q| format!("karantene/{}", q.rel)),
    );
    let mut pdfs = Vec::new();
    for (tmp, target) in staged {
        fsx::rename(&tmp, &target)?;
        outputs.push(
            target
                .strip_prefix(&cfg.out)
                .unwrap_or(&target)
                .display()
                .to_string(),
        );
        pdfs.push(target);
    }
    timer.lap("write");
    let manifest_path = cfg.out.join("manifest.json");
    let previous = std::fs::read_to_string(&manifest_path)
        .ok()
        .and_then(|t| Manifest::parse(&t));
    let run_id = crate::discover::sha256_hex(
        format!(
            "{data_version}\0{}\0{templates_sha}\0{}\0{}",
            cfg.settings_text, meta.tool_version, typst.version
        )
        .as_bytes(),
    )[..16]
        .to_string();
    let manifest = Manifest {
        run_id,
        previous_run_id: previous.map(|p| p.run_id),
        data_version,
        tool_version: meta.tool_version.clone(),
        typst_version: typst.version.clone(),
        settings: cfg.settings_text.clone(),
        templates_sha256: templates_sha,
        inputs: validated.inputs.clone(),
        outputs,
        timings_ms: timer.times,
    };
    fsx::write_atomic(&manifest_path, manifest.to_json())?;
    let mut diagnostics = validated.diagnostics;
    diagnostics.extend(typst_warnings);
    Ok(Outcome::Built(Box::new(BuildReport {
        pdfs,
        diagnostics,
        manifest,
    })))
}

/// Replace the quarantine folder with this run's quarantined rows.
fn write_quarantine(out: &Path, files: &[QuarantineFile]) -> Result<()> {
    let dir = out.join("karantene");
    let tmp = out.join(format!(".karantene.tmp-{}", std::process::id()));
    fsx::remove_dir_all(&tmp)?;
    fsx::create_dir_all(&tmp)?;
    for q in files {
        fsx::write(&tmp.join(&q.rel), quarantine_csv(q))?;
    }
    fsx::remove_dir_all(&dir)?;
    fsx::rename(&tmp, &dir)
}

/// Print diagnostics to stderr; in `limit` mode at most `per_file` row errors per file, with a
/// count of the rest.
pub fn print_diagnostics(diags: &[Diagnostic], format: DiagnosticFormat, per_file: Option<usize>) {
    let mut shown: Vec<Diagnostic> = Vec::new();
    let mut hidden: BTreeMap<String, usize> = BTreeMap::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for d in diags {
        if let Some(limit) = per_file
            && d.severity == Severity::RowError
        {
            let c = counts.entry(&d.file).or_default();
            *c += 1;
            if *c > limit {
                *hidden.entry(d.file.clone()).or_default() += 1;
                continue;
            }
        }
        shown.push(d.clone());
    }
    eprint!("{}", crate::diag::render(&shown, format));
    for (file, n) in hidden {
        eprintln!(
            "note: {n} more row errors in `{file}` (see the quarantine file under the output folder)"
        );
    }
}
