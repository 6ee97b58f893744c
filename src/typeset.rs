//! Typeset: the `typst` CLI behind a typed adapter (report.md "Typesetting rules").
//!
//! Finds the pinned typst — `--typst PATH` / `TSB_REPORT_TYPST`, then `typst` on PATH if it is
//! the pinned version, then a per-user cache — and installs the pinned `typst-cli` into that
//! cache once with `cargo install --locked` when none is found. Compiles one document per
//! [`TypstJob`] with PDF/A-2b + PDF/UA-1, no system fonts and a creation timestamp from the
//! data, so the same inputs give byte-identical PDFs. On failure the error carries typst's own
//! messages; the generated `.typ` stays in the build folder for inspection.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned typst version.
pub const TYPST_VERSION: &str = "0.15.1";

/// What can go wrong with typst.
#[derive(Debug)]
pub enum TypesetError {
    /// The given program does not exist or does not run.
    NotRunnable {
        /// The program.
        program: PathBuf,
        /// Why.
        cause: String,
    },
    /// Installing the pinned typst failed.
    InstallFailed {
        /// Where it was to go.
        root: PathBuf,
        /// The tail of cargo's output.
        output: String,
    },
    /// typst ran and reported errors.
    Compile {
        /// The main source file.
        source: PathBuf,
        /// typst's stderr.
        stderr: String,
    },
    /// Another I/O failure.
    Io(String),
}

impl std::fmt::Display for TypesetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypesetError::NotRunnable { program, cause } => write!(
                f,
                "failed to run typst `{}` ({cause})\nhint: pass `--typst PATH`, set TSB_REPORT_TYPST, or leave both unset to let tsb-report install typst {TYPST_VERSION}",
                program.display()
            ),
            TypesetError::InstallFailed { root, output } => write!(
                f,
                "failed to install typst {TYPST_VERSION} into `{}` with `cargo install --locked typst-cli`\n{output}\nhint: install it yourself (`cargo install --locked typst-cli@{TYPST_VERSION}`) and pass `--typst PATH`",
                root.display()
            ),
            TypesetError::Compile { source, stderr } => write!(
                f,
                "failed to typeset `{}` (typst reported errors)\n{}\nhint: the generated Typst is kept in `{}` for inspection",
                source.display(),
                stderr.trim_end(),
                source
                    .parent()
                    .map_or_else(String::new, |p| p.display().to_string())
            ),
            TypesetError::Io(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for TypesetError {}

/// A runnable typst.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typst {
    /// The program.
    pub program: PathBuf,
    /// Its version, as `typst --version` prints it (`0.15.1`).
    pub version: String,
}

/// One document to compile.
#[derive(Debug, Clone)]
pub struct TypstJob {
    /// The project root typst may read from (the build folder).
    pub root: PathBuf,
    /// The main `.typ` file.
    pub source: PathBuf,
    /// Where to write the PDF.
    pub output: PathBuf,
    /// Unix seconds for the PDF's creation date (from the data, not the clock).
    pub creation_timestamp: i64,
    /// Extra font folders (fonts shipped with the project).
    pub font_paths: Vec<PathBuf>,
}

/// The version `program --version` reports, e.g. `0.15.1`.
pub fn version_of(program: &Path) -> Result<String, TypesetError> {
    let out = Command::new(program)
        .arg("--version")
        .output()
        .map_err(|e| TypesetError::NotRunnable {
            program: program.to_path_buf(),
            cause: if e.kind() == std::io::ErrorKind::NotFound {
                "not found".into()
            } else {
                e.to_string()
            },
        })?;
    if !out.status.success() {
        return Err(TypesetError::NotRunnable {
            program: program.to_path_buf(),
            cause: format!("`--version` exited with {}", out.status),
        });
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // "typst 0.15.1 (abcdef12)"
    Ok(text.split_whitespace().nth(1).unwrap_or("").to_string())
}

/// The per-user cache folder: `$TSB_REPORT_CACHE`, else `$XDG_CACHE_HOME/tsb-report`, else
/// `~/.cache/tsb-report`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("TSB_REPORT_CACHE") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("tsb-report");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache").join("tsb-report")
}

/// Where the pinned typst lives in the cache.
pub fn cached_typst() -> PathBuf {
    cache_dir()
        .join(format!("typst-{TYPST_VERSION}"))
        .join("bin")
        .join(if cfg!(windows) { "typst.exe" } else { "typst" })
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Find the typst to use, installing the pinned version into the cache if needed.
/// `say` receives progress messages meant for the user.
pub fn resolve(explicit: Option<&Path>, say: &dyn Fn(&str)) -> Result<Typst, TypesetError> {
    if let Some(p) = explicit {
        // A file named relative to the current folder, not a program to look up on PATH.
        let abs = if p.is_file() {
            std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
        } else {
            p.to_path_buf()
        };
        let p = abs.as_path();
        let version = version_of(p)?;
        if version != TYPST_VERSION {
            say(&format!(
                "warning: `{}` is typst {version}; tsb-report is tested with {TYPST_VERSION}",
                p.display()
            ));
        }
        return Ok(Typst {
            program: p.to_path_buf(),
            version,
        });
    }
    if let Some(p) = on_path("typst")
        && let Ok(v) = version_of(&p)
        && v == TYPST_VERSION
    {
        return Ok(Typst {
            program: p,
            version: v,
        });
    }
    let cached = cached_typst();
    if let Ok(v) = version_of(&cached) {
        return Ok(Typst {
            program: cached,
            version: v,
        });
    }
    install(say)?;
    let v = version_of(&cached)?;
    Ok(Typst {
        program: cached,
        version: v,
    })
}

/// Install the pinned typst-cli into the cache with `cargo install --locked`, once: a lock
/// file makes concurrent runs wait for the first.
pub fn install(say: &dyn Fn(&str)) -> Result<(), TypesetError> {
    let root = cache_dir().join(format!("typst-{TYPST_VERSION}"));
    let io = |e: std::io::Error| {
        TypesetError::Io(format!("failed to prepare `{}` ({e})", root.display()))
    };
    std::fs::create_dir_all(&root).map_err(io)?;
    let lock = std::fs::File::create(root.join(".install.lock")).map_err(io)?;
    lock.lock().map_err(io)?;
    if version_of(&cached_typst()).is_ok() {
        return Ok(()); // another run installed it while we waited
    }
    say(&format!(
        "installing typst {TYPST_VERSION} into `{}` with `cargo install --locked` (once; several minutes on two cores)",
        root.display()
    ));
    let cargo = std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
    let log = root.join("install.log");
    let out = Command::new(&cargo)
        .args([
            "install",
            "--locked",
            "--no-default-features",
            "--features",
            "embedded-fonts",
            "--root",
        ])
        .arg(&root)
        .arg(format!("typst-cli@{TYPST_VERSION}"))
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .output()
        .map_err(|e| TypesetError::InstallFailed {
            root: root.clone(),
            output: format!("failed to run `{}` ({e})", cargo.display()),
        })?;
    let _ = std::fs::write(
        &log,
        [out.stdout.as_slice(), out.stderr.as_slice()].concat(),
    );
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        let tail = tail.into_iter().rev().collect::<Vec<_>>().join("\n");
        return Err(TypesetError::InstallFailed { root, output: tail });
    }
    say(&format!(
        "installed typst {TYPST_VERSION} at `{}`",
        cached_typst().display()
    ));
    Ok(())
}

/// Compile one document. Returns typst's warnings (stderr) on success.
pub fn compile(typst: &Typst, job: &TypstJob) -> Result<String, TypesetError> {
    let mut cmd = Command::new(&typst.program);
    cmd.arg("--color")
        .arg("never")
        .arg("compile")
        .arg("--root")
        .arg(&job.root)
        .arg("--ignore-system-fonts")
        .arg("--pdf-standard")
        .arg("a-2b,ua-1")
        .arg("--creation-timestamp")
        .arg(job.creation_timestamp.to_string())
        .arg("--diagnostic-format")
        .arg("short");
    for f in &job.font_paths {
        cmd.arg("--font-path").arg(f);
    }
    cmd.arg(&job.source).arg(&job.output);
    cmd.env_remove("SOURCE_DATE_EPOCH");
    let out = cmd.output().map_err(|e| TypesetError::NotRunnable {
        program: typst.program.clone(),
        cause: e.to_string(),
    })?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        Ok(stderr)
    } else {
        Err(TypesetError::Compile {
            source: job.source.clone(),
            stderr,
        })
    }
}
