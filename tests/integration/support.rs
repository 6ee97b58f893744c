//! The tests' support: the one temporary project folder ([`Project`]), built from the shared
//! fixtures and run with the `tsb-report` binary, and readers for what a run writes.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use tsb_report::config::ValidationSettings;
use tsb_report::diag::{Diagnostic, DiagnosticFormat, Severity, render};
use tsb_report::validate::{Validated, validate};

pub mod model;
pub mod xlsx;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture folder under `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// The `tsb-report` binary, to run in `dir`, with the environment variables that would steer
/// it from outside the test removed and colour off.
pub fn command(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tsb-report"));
    c.current_dir(dir)
        .env_remove("TSB_REPORT_DATA")
        .env_remove("TSB_REPORT_VERSION")
        .env("NO_COLOR", "1");
    c
}

/// Write a stub typst into the project: `--version` says 0.15.1; a compile writes a tiny
/// placeholder PDF at its last argument. Returns its absolute path for `--typst`.
pub fn stub_typst(p: &Project) -> String {
    p.executable(
        "typst-stub",
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'typst 0.15.1 (stub)'; exit 0; fi\nfor a in \"$@\"; do last=$a; done\nprintf '%%PDF-1.7\\n%% tsb-report fuzz stub\\n' > \"$last\"\n",
    )
    .display()
    .to_string()
}

/// The shared reference tables, in every fixture project's `data/referanse`.
const REFERENCE: &str = "validate/_referanse";

/// A project with the shared reference tables and the `data/` of the fixture case
/// `tests/fixtures/validate/<name>/`.
pub fn case(name: &str) -> Project {
    Project::new(name).reference().data(name)
}

/// A project with the shared reference tables and the planted-errors data: one pilot whose
/// log has row errors planted at known lines.
pub fn planted(name: &str) -> Project {
    Project::new(name).reference().data("planted_errors")
}

/// The header of a pilot log, in the planted-errors pilot's dialect.
pub const LOG_HEADER: &str = "dato;foretak;enhet;yrke;oppgave;minutter;pasient;utført_av\n";

/// `n` valid lines of a new log for the planted-errors pilot (April 2025, at STO-LAR), each
/// ending in `\n`.
pub fn log_lines(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "1{}.04.2025;STO;STO-LAR;sykepleier;lar;45;P9{i:03};A00{}\n",
                i % 9,
                i % 8
            )
        })
        .collect()
}

/// Discover and validate the project's `data/` with the default settings.
pub fn check(p: &Project) -> Validated {
    let inv = tsb_report::discover::discover(&p.path("data")).unwrap();
    validate(&inv, &ValidationSettings::default())
}

/// The diagnostics in short form with the project folder removed from their paths.
pub fn short(v: &Validated, p: &Project) -> String {
    render(&v.diagnostics, DiagnosticFormat::Short).replace(&p.path("").display().to_string(), "")
}

/// The row errors among the diagnostics, in order.
pub fn row_errors(v: &Validated) -> Vec<&Diagnostic> {
    v.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::RowError)
        .collect()
}

/// The first file error among the diagnostics, failing with all of them when there is none.
pub fn first_file_error(v: &Validated) -> &Diagnostic {
    v.diagnostics
        .iter()
        .find(|d| d.severity == Severity::FileError)
        .unwrap_or_else(|| panic!("no file error in {:?}", v.diagnostics))
}

/// The row errors as (the file's name without its folders, line, message).
pub fn row_errors_by_file(v: &Validated) -> Vec<(String, u64, String)> {
    row_errors(v)
        .into_iter()
        .map(|d| {
            (
                d.file.rsplit('/').next().unwrap().to_string(),
                d.line.unwrap(),
                d.message.clone(),
            )
        })
        .collect()
}

/// Compare `text` with the snapshot `tests/fixtures/<stage>/snapshots/<name>.snap`: the one
/// snapshot convention of the tests (named by the test, kept with the stage's fixtures).
pub fn assert_snapshot(stage: &str, name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(fixture(stage).join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// The temporary folder of a test (a project, or any scratch folder), removed when dropped
/// unless the test failed.
pub struct Project {
    /// The folder.
    pub dir: PathBuf,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Project {
    /// An empty project folder named after the test.
    pub fn new(name: &str) -> Project {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("tsb-report-test-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Project { dir }
    }
    /// With the shared reference tables in `data/referanse`.
    pub fn reference(self) -> Project {
        self.copy(&fixture(REFERENCE), "data/referanse")
    }
    /// With the `data/` folder of the fixture case `tests/fixtures/validate/<case>/`.
    pub fn data(self, case: &str) -> Project {
        self.copy(&fixture(&format!("validate/{case}/data")), "data")
    }
    /// With the repository's report templates (and fonts) in `report-templates`.
    pub fn templates(self) -> Project {
        self.copy(&repo().join("report-templates"), "report-templates")
    }
    /// With the bundled sample data in `data`.
    pub fn sample(self) -> Project {
        self.copy(&repo().join("data"), "data")
    }
    /// Copy a folder (recursively) into the project at `to`.
    pub fn copy(self, from: &Path, to: &str) -> Project {
        copy_dir(from, &self.dir.join(to));
        self
    }
    /// Write a file into the project.
    pub fn file(self, rel: &str, contents: impl AsRef<[u8]>) -> Project {
        let p = self.dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
        self
    }
    /// Write an executable file (a script with its `#!` line) into the project; returns its
    /// path.
    pub fn executable(&self, rel: &str, contents: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }
    /// Path of a file in the project.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }
    /// Read a project file as text.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel))
            .unwrap_or_else(|e| panic!("failed to read {rel}: {e}"))
    }
    /// The modification time of a project file.
    pub fn mtime(&self, rel: &str) -> std::time::SystemTime {
        std::fs::metadata(self.path(rel))
            .unwrap_or_else(|e| panic!("failed to read the metadata of {rel}: {e}"))
            .modified()
            .unwrap()
    }
    /// The build's `output/manifest.json`.
    pub fn manifest(&self) -> serde_json::Value {
        serde_json::from_str(&self.read("output/manifest.json")).unwrap()
    }
    /// Run the binary with `args` in the project folder.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }
    /// Run the binary with `args` and the environment variables `env` in the project folder.
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let out = command(&self.dir)
            .args(args)
            .envs(env.iter().copied())
            .output()
            .expect("failed to run tsb-report");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
    /// Every file under the project, relative, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = walk(&self.dir)
            .into_iter()
            .map(|p| p.strip_prefix(&self.dir).unwrap().display().to_string())
            .collect();
        v.sort();
        v
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The result of a run.
#[derive(Debug)]
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Assert the exit code, showing the output when it differs.
    pub fn code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Copy a folder recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

/// The text of a PDF (pdf-extract: pure Rust, so `cargo test` needs no outside program).
pub fn pdf_text(pdf: &Path) -> String {
    pdf_page_texts(pdf).concat()
}

/// The text of each page of a PDF, in order.
pub fn pdf_page_texts(pdf: &Path) -> Vec<String> {
    let bytes =
        std::fs::read(pdf).unwrap_or_else(|e| panic!("failed to read {}: {e}", pdf.display()));
    let pages = pdf_extract::extract_text_from_mem_by_pages(&bytes)
        .unwrap_or_else(|e| panic!("failed to read the text of {}: {e}", pdf.display()));
    // pdf-extract reads typst's hyphen glyph as a soft hyphen set apart by spaces.
    pages
        .into_iter()
        .map(|p| p.replace(" \u{ad} ", "-").replace('\u{ad}', "-"))
        .collect()
}

/// The page count of a PDF.
pub fn pdf_pages(pdf: &Path) -> u32 {
    pdf_page_texts(pdf).len() as u32
}

/// The XMP metadata packet of a PDF (typst writes it uncompressed, as PDF/A wants).
pub fn pdf_xmp(pdf: &Path) -> String {
    let bytes = std::fs::read(pdf).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let start = text
        .find("<?xpacket begin")
        .expect("the PDF has no XMP metadata");
    let end = text[start..]
        .find("<?xpacket end")
        .map_or(text.len(), |e| start + e);
    text[start..end].to_string()
}

/// `pdfinfo`-like lines for the facts the tests check: `Title:` (from the XMP `dc:title`)
/// and `Tagged:` (a structure tree and `/Marked true`).
pub fn pdf_info(pdf: &Path) -> String {
    let xmp = pdf_xmp(pdf);
    let title = xmp
        .split("<dc:title>")
        .nth(1)
        .and_then(|t| t.split("</rdf:li>").next())
        .and_then(|t| t.rsplit('>').next())
        .unwrap_or("");
    let bytes = std::fs::read(pdf).unwrap();
    let raw = String::from_utf8_lossy(&bytes);
    let tagged = raw.contains("/StructTreeRoot") && raw.contains("/Marked true");
    format!(
        "Title:           {}\nTagged:          {}\n",
        title
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">"),
        if tagged { "yes" } else { "no" }
    )
}
