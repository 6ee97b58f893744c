//! Typeset: the `typst` CLI behind a typed adapter (report.md "Typesetting rules").
//!
//! Finds the pinned typst — `--typst PATH` / `TSB_REPORT_TYPST`, then `typst` on PATH if it is
//! the pinned version, then a per-user cache — and installs the pinned `typst-cli` into that
//! cache once with `cargo install --locked` when none is found, showing cargo's progress
//! (a second run waits for the same install). Compiles one document per [`TypstJob`] with
//! PDF/A-2b + PDF/UA-1, no system fonts and a creation timestamp from the data, so the same
//! inputs give byte-identical PDFs, and stops a typst that runs past the job's timeout. On
//! failure the error carries typst's own messages and names where the generated `.typ` is
//! kept for inspection.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned typst version.
pub const TYPST_VERSION: &str = "0.15.1";

/// A profile of the pinned typst compiling this tool's documents (gzipped LLVM indexed
/// profile, `src/typst-profile/`), which the install hands to rustc (`-Cprofile-use`): the
/// same typst, laid out by the profile, typesets the documents in about 10 % less CPU time,
/// with the same PDF bytes. `just typst-profile` makes it again for a new typst version
/// (`benches/typst-profile.sh`). A rustc that cannot read it warns and builds typst as usual.
pub const TYPST_PROFILE: &[u8] = include_bytes!("typst-profile/typst-0.15.1.profdata.gz");

/// The file name of [`TYPST_PROFILE`] (unzipped), for the pinned version.
fn profile_name() -> String {
    format!("typst-{TYPST_VERSION}.profdata")
}

/// Write [`TYPST_PROFILE`] unzipped into `root`; its absolute path, or `None` when it cannot
/// be written (the install then goes on without it).
fn write_profile(root: &Path) -> Option<PathBuf> {
    use std::io::Read;
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(TYPST_PROFILE)
        .read_to_end(&mut bytes)
        .ok()?;
    let path = std::path::absolute(root.join(profile_name())).ok()?;
    crate::fsx::write_atomic(&path, bytes).ok()?;
    Some(path)
}

/// A file removed when this is dropped.
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

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
        /// Where the generated Typst is kept for inspection.
        kept: PathBuf,
    },
    /// typst did not finish in time and was stopped.
    Timeout {
        /// The main source file.
        source: PathBuf,
        /// The limit.
        limit: std::time::Duration,
        /// Where the generated Typst is kept for inspection.
        kept: PathBuf,
    },
    /// `TSB_REPORT_TYPST_TIMEOUT` is not a number of seconds (its text).
    BadTimeout(String),
    /// Another I/O failure.
    Io(String),
}

impl std::fmt::Display for TypesetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypesetError::NotRunnable { program, cause } => {
                write!(f, "failed to run typst `{}` ({cause})", program.display())
            }
            TypesetError::InstallFailed { root, output } => write!(
                f,
                "failed to install typst {TYPST_VERSION} into `{}` with `cargo install --locked typst-cli`\n{output}",
                root.display()
            ),
            TypesetError::Compile { source, stderr, .. } => write!(
                f,
                "failed to typeset `{}` (typst reported errors)\n{}",
                source.display(),
                stderr.trim_end(),
            ),
            TypesetError::Timeout { source, limit, .. } => write!(
                f,
                "failed to typeset `{}` (typst did not finish within {} s and was stopped)",
                source.display(),
                limit.as_secs_f64(),
            ),
            TypesetError::BadTimeout(text) => write!(
                f,
                "failed to read {TIMEOUT_VAR} (`{text}` is not a number of seconds)"
            ),
            TypesetError::Io(m) => f.write_str(m),
        }
    }
}

impl TypesetError {
    /// The remedies, one per `hint:` line (`diag::print_error` prints them).
    pub fn hints(&self) -> Vec<String> {
        match self {
            TypesetError::NotRunnable { .. } => vec![format!(
                "pass `--typst PATH`, set TSB_REPORT_TYPST, or leave both unset to let tsb-report install typst {TYPST_VERSION}"
            )],
            TypesetError::InstallFailed { .. } => vec![format!(
                "install it yourself (`cargo install --locked typst-cli@{TYPST_VERSION}`) and pass `--typst PATH`"
            )],
            TypesetError::Compile { kept, .. } => vec![format!(
                "the generated Typst is kept in `{}` for inspection",
                kept.display()
            )],
            TypesetError::Timeout { kept, .. } => vec![format!(
                "nothing was written; the generated Typst is kept in `{}` for inspection; set {TIMEOUT_VAR} to allow more seconds (default {DEFAULT_TIMEOUT_SECS}, 0 for no limit)",
                kept.display()
            )],
            TypesetError::BadTimeout(_) => vec![format!(
                "give whole or decimal seconds, e.g. {TIMEOUT_VAR}=600, or 0 for no limit"
            )],
            TypesetError::Io(_) => Vec::new(),
        }
    }
}

impl std::error::Error for TypesetError {}

impl TypesetError {
    /// The same error, naming `kept` as the folder the generated Typst was moved to from
    /// `moved_from` (any of its spellings), and `source` as the document.
    pub fn kept_in(self, moved_from: &[&Path], source: PathBuf, kept: PathBuf) -> TypesetError {
        match self {
            TypesetError::Compile { mut stderr, .. } => {
                for from in moved_from {
                    let from = from.display().to_string();
                    if !from.is_empty() {
                        stderr = stderr.replace(&from, &kept.display().to_string());
                    }
                }
                TypesetError::Compile {
                    source,
                    stderr,
                    kept,
                }
            }
            TypesetError::Timeout { limit, .. } => TypesetError::Timeout {
                source,
                limit,
                kept,
            },
            e => e,
        }
    }
}

/// The environment variable that limits one typst run, in seconds.
pub const TIMEOUT_VAR: &str = "TSB_REPORT_TYPST_TIMEOUT";
/// The default limit of one typst run, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 300;

/// The limit of one typst run from `TSB_REPORT_TYPST_TIMEOUT` (seconds; default 300; `0` for
/// no limit).
pub fn timeout_from_env() -> Result<Option<std::time::Duration>, TypesetError> {
    let Some(v) = std::env::var_os(TIMEOUT_VAR) else {
        return Ok(Some(std::time::Duration::from_secs(DEFAULT_TIMEOUT_SECS)));
    };
    let text = v.to_string_lossy();
    match text.trim().parse::<f64>() {
        // 0 is no limit.
        Ok(s) if (0.0..1e9).contains(&s) => {
            Ok((s > 0.0).then(|| std::time::Duration::from_secs_f64(s)))
        }
        _ => Err(TypesetError::BadTimeout(text.into_owned())),
    }
}

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
    /// Stop typst after this long (None: no limit).
    pub timeout: Option<std::time::Duration>,
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

/// [`version_of`], remembered in the user cache per program file (its path, size,
/// modification time and inode), so a run does not start typst only to ask its version
/// (5 ms, on the path of every run). A file that changes in any of these is asked again.
fn version_remembered(program: &Path) -> Result<String, TypesetError> {
    version_remembered_in(&cache_dir().join("typst-versjoner.json"), program)
}

/// [`version_remembered`] with the memo at `memo_path`.
fn version_remembered_in(memo_path: &Path, program: &Path) -> Result<String, TypesetError> {
    let Some(id) = file_identity(program) else {
        return version_of(program);
    };
    let mut memo: std::collections::BTreeMap<String, String> = std::fs::read(memo_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    if let Some(v) = memo.get(&id) {
        return Ok(v.clone());
    }
    let v = version_of(program)?;
    // A memo, not a record: it never grows past a few programs.
    if memo.len() >= 16 {
        memo.clear();
    }
    memo.insert(id, v.clone());
    if let Ok(bytes) = serde_json::to_vec(&memo) {
        // Unwritable cache: asked again next time.
        let _ = crate::fsx::write_atomic(memo_path, bytes);
    }
    Ok(v)
}

/// What identifies the file `program` resolves to, for [`version_remembered`].
fn file_identity(program: &Path) -> Option<String> {
    let abs = std::fs::canonicalize(program).ok()?;
    let meta = std::fs::metadata(&abs).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0u64;
    Some(format!("{}|{}|{mtime}|{inode}", abs.display(), meta.len()))
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
        let version = version_remembered(p)?;
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
        && let Ok(v) = version_remembered(&p)
        && v == TYPST_VERSION
    {
        return Ok(Typst {
            program: p,
            version: v,
        });
    }
    let cached = cached_typst();
    if let Ok(v) = version_remembered(&cached) {
        return Ok(Typst {
            program: cached,
            version: v,
        });
    }
    install(say)?;
    let v = version_remembered(&cached)?;
    Ok(Typst {
        program: cached,
        version: v,
    })
}

/// Install the pinned typst-cli into the cache with `cargo install --locked`, once: a lock
/// file makes concurrent runs wait for the first. The cargo program is `$CARGO` (which cargo
/// sets for the programs it runs), else `cargo` on PATH.
pub fn install(say: &dyn Fn(&str)) -> Result<(), TypesetError> {
    let cargo = std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
    install_with(
        &cargo,
        &cache_dir().join(format!("typst-{TYPST_VERSION}")),
        say,
    )
}

/// The program an install into `root` writes.
fn installed_typst(root: &Path) -> PathBuf {
    root.join("bin")
        .join(if cfg!(windows) { "typst.exe" } else { "typst" })
}

/// [`install`] with `cargo` as the cargo program, into `root`. While cargo compiles, `say`
/// receives one line per crate with cargo's own count (`Compiling foo v1.2.0 (37/412)`); a
/// second run that finds the install lock held says so and waits for the same install.
pub fn install_with(cargo: &Path, root: &Path, say: &dyn Fn(&str)) -> Result<(), TypesetError> {
    use std::io::{Read, Seek, Write};
    let Some(mut lock) = lock_install(root, say)? else {
        return Ok(()); // another run installed it while we waited
    };
    let _ = lock.set_len(0);
    let _ = lock.seek(std::io::SeekFrom::Start(0));
    let _ = write!(lock, "{}", std::process::id());
    say(&format!(
        "installing typst {TYPST_VERSION} into `{}` with `cargo install --locked` (once; about 10 minutes on two cores); cargo's progress follows",
        root.display()
    ));
    let log = root.join("install.log");
    let failed = |what: &str, e: std::io::Error| TypesetError::InstallFailed {
        root: root.to_path_buf(),
        output: format!("failed to {what} `{}` ({e})", cargo.display()),
    };
    // Removed when the install ends, however it ends.
    let profile = TempFile(write_profile(root));
    let mut child = cargo_install(cargo, root, profile.0.as_deref())
        .spawn()
        .map_err(|e| failed("run", e))?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stdout.read_to_end(&mut b);
        b
    });
    let all = follow_progress(child.stderr.take().expect("piped stderr"), say);
    let status = child.wait().map_err(|e| failed("wait for", e))?;
    drop(profile);
    let out = out_reader.join().unwrap_or_default();
    let _ = std::fs::write(&log, [out.as_slice(), all.as_slice()].concat());
    if !status.success() {
        let text = String::from_utf8_lossy(&all);
        // The last lines, without the progress bar's redraws.
        let lines: Vec<&str> = text
            .split(['\n', '\r'])
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("Building ["))
            .collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        return Err(TypesetError::InstallFailed {
            root: root.to_path_buf(),
            output: tail,
        });
    }
    let _ = lock.set_len(0);
    say(&format!(
        "installed typst {TYPST_VERSION} at `{}`",
        installed_typst(root).display()
    ));
    Ok(())
}

/// Take the install lock in `root`, waiting (and saying so) while another run holds it.
/// `None` when that run installed the pinned typst meanwhile.
fn lock_install(root: &Path, say: &dyn Fn(&str)) -> Result<Option<std::fs::File>, TypesetError> {
    use std::io::Read;
    let io = |e: std::io::Error| {
        TypesetError::Io(format!("failed to prepare `{}` ({e})", root.display()))
    };
    std::fs::create_dir_all(root).map_err(io)?;
    let lock_path = root.join(".install.lock");
    let mut lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(io)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = lock.read_to_string(&mut holder);
            say(&format!(
                "another tsb-report run{} is installing typst {TYPST_VERSION} into `{}`; waiting for that install to finish (lock `{}`)",
                holder_text(&holder),
                root.display(),
                lock_path.display()
            ));
            lock.lock().map_err(io)?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    Ok((version_of(&installed_typst(root)).is_err()).then_some(lock))
}

/// `cargo install` of the pinned typst-cli into `root`, its output piped; built with the
/// profile at `profile` ([`TYPST_PROFILE`]) when there is one.
fn cargo_install(cargo: &Path, root: &Path, profile: Option<&Path>) -> Command {
    let mut c = Command::new(cargo);
    c.args([
        "install",
        "--locked",
        "--no-default-features",
        "--features",
        "embedded-fonts",
        "--root",
    ])
    .arg(root)
    .arg(format!("typst-cli@{TYPST_VERSION}"))
    .env_remove("CARGO_TARGET_DIR")
    .env_remove("RUSTFLAGS")
    .env_remove("CARGO_ENCODED_RUSTFLAGS")
    // Cargo's progress bar carries the count of units (`Building [=> ] 37/412: …`); ask
    // for it although stderr is a pipe.
    .env("CARGO_TERM_PROGRESS_WHEN", "always")
    .env("CARGO_TERM_PROGRESS_WIDTH", "100")
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    if let Some(p) = profile {
        // The encoded form keeps a path with spaces one argument.
        let mut flag = std::ffi::OsString::from("-Cprofile-use=");
        flag.push(p);
        c.env("CARGO_ENCODED_RUSTFLAGS", flag);
    }
    c
}

/// Read cargo's stderr to its end, saying each progress line; returns all of it.
fn follow_progress(mut stderr: impl std::io::Read, say: &dyn Fn(&str)) -> Vec<u8> {
    let mut progress = InstallProgress::default();
    let mut all = Vec::new();
    let mut pending = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = match stderr.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        all.extend_from_slice(&buf[..n]);
        for &b in &buf[..n] {
            if b == b'\n' || b == b'\r' {
                if let Some(line) = progress.feed(&String::from_utf8_lossy(&pending)) {
                    say(&line);
                }
                pending.clear();
            } else {
                pending.push(b);
            }
        }
    }
    if let Some(line) = progress.feed(&String::from_utf8_lossy(&pending)) {
        say(&line);
    }
    all
}

/// ` (pid N)` for a lock file holding a process id.
fn holder_text(holder: &str) -> String {
    let h = holder.trim();
    if !h.is_empty() && h.bytes().all(|b| b.is_ascii_digit()) {
        format!(" (pid {h})")
    } else {
        String::new()
    }
}

/// Turns cargo's stderr, segment by segment (split at `\n` and `\r`), into progress lines.
#[derive(Debug, Default)]
struct InstallProgress {
    /// Crates compiled so far (`Compiling` lines seen).
    compiled: usize,
    /// Cargo's last count of units (done, total), from its progress bar or `[N/M]`.
    count: Option<(usize, usize)>,
}

impl InstallProgress {
    /// One segment of cargo's stderr; a line to show for each crate that starts compiling.
    fn feed(&mut self, segment: &str) -> Option<String> {
        let seg = segment.trim();
        if let Some(c) = counter(seg) {
            self.count = Some(c);
        }
        let rest = seg.strip_prefix("Compiling ")?;
        self.compiled += 1;
        // `foo v1.2.0` (drop a trailing path or `(build script)`).
        let name: Vec<&str> = rest.split_whitespace().take(2).collect();
        let count = match self.count {
            Some((done, total)) => format!("{}/{total}", done.max(self.compiled).min(total)),
            None => format!("{} crates so far", self.compiled),
        };
        Some(format!(
            "installing typst {TYPST_VERSION}: Compiling {} ({count})",
            name.join(" ")
        ))
    }
}

/// A count `N/M` after cargo's progress bar (`Building [===> ] 37/412: foo`) or in brackets
/// (`[37/412]`).
fn counter(seg: &str) -> Option<(usize, usize)> {
    let parse = |t: &str| -> Option<(usize, usize)> {
        let (a, b) = t.split_once('/')?;
        let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        (b > 0).then_some((a, b))
    };
    if let Some(at) = seg.find("] ") {
        let after = &seg[at + 2..];
        let token = after.split([':', ' ']).next().unwrap_or("");
        if let Some(c) = parse(token) {
            return Some(c);
        }
    }
    let mut rest = seg;
    while let Some(open) = rest.find('[') {
        let inner = &rest[open + 1..];
        let close = inner.find(']')?;
        if let Some(c) = parse(&inner[..close]) {
            return Some(c);
        }
        rest = &inner[close + 1..];
    }
    None
}

/// Compile one document. Returns typst's warnings (stderr) on success; stops typst after
/// `job.timeout`.
pub fn compile(typst: &Typst, job: &TypstJob) -> Result<String, TypesetError> {
    use std::io::Read;
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
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| TypesetError::NotRunnable {
        program: typst.program.clone(),
        cause: e.to_string(),
    })?;
    let mut pipe = child.stderr.take().expect("piped stderr");
    // Read stderr beside the wait, so a chatty typst never blocks on a full pipe. On a
    // timeout the reader is left behind: a child of typst may still hold the pipe.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = pipe.read_to_end(&mut b);
        let _ = tx.send(b);
    });
    let kept = job
        .source
        .parent()
        .map_or_else(PathBuf::new, Path::to_path_buf);
    let deadline = job
        .timeout
        .map(|limit| (std::time::Instant::now() + limit, limit));
    // typst closes its stderr when it exits: wait for that end of the pipe (woken the moment
    // it comes, not at the next tick of a poll), then for the exit status.
    let stderr = match deadline {
        None => rx.recv().unwrap_or_default(),
        Some((at, _)) => rx
            .recv_timeout(at.saturating_duration_since(std::time::Instant::now()))
            .unwrap_or_default(),
    };
    let mut pause = std::time::Duration::from_micros(100);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => {
                return Err(TypesetError::Io(format!(
                    "failed to wait for typst `{}` ({e})",
                    typst.program.display()
                )));
            }
        }
        if let Some((at, limit)) = deadline
            && std::time::Instant::now() >= at
        {
            let _ = child.kill();
            let _ = child.wait();
            return Err(TypesetError::Timeout {
                source: job.source.clone(),
                limit,
                kept,
            });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_millis(10));
    };
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    if status.success() {
        Ok(stderr)
    } else {
        Err(TypesetError::Compile {
            source: job.source.clone(),
            stderr,
            kept,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_profile_is_an_llvm_profile_for_the_pinned_typst() {
        use std::io::Read;
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(TYPST_PROFILE)
            .read_to_end(&mut bytes)
            .unwrap();
        // The magic of LLVM's indexed profile format.
        assert_eq!(&bytes[..8], b"\xfflprofi\x81");
        // Typst's own functions are in it (names are stored in the clear).
        let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"typst_layout"));
        assert!(has(b"krilla"));
        assert_eq!(profile_name(), format!("typst-{TYPST_VERSION}.profdata"));
        let source = include_str!("typeset.rs");
        assert!(
            source.contains(&format!("\"typst-profile/{}.gz\"", profile_name())),
            "the included profile must be the one for TYPST_VERSION"
        );
        let dir = std::env::temp_dir().join(format!("tsb-profile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let written = write_profile(&dir).unwrap();
        assert_eq!(std::fs::read(&written).unwrap(), bytes);
        assert!(written.is_absolute());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_remembered_version_is_asked_again_when_the_program_file_changes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("tsb-typst-memo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (memo, program) = (dir.join("memo.json"), dir.join("typst"));
        let write = |version: &str| {
            // Written beside and renamed over, the way an install replaces a program.
            let tmp = dir.join("typst.tmp");
            std::fs::write(&tmp, format!("#!/bin/sh\necho 'typst {version} (test)'\n")).unwrap();
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
            std::fs::rename(&tmp, &program).unwrap();
        };
        write("0.15.1");
        assert_eq!(version_remembered_in(&memo, &program).unwrap(), "0.15.1");
        let text = std::fs::read_to_string(&memo).unwrap();
        assert!(text.contains("0.15.1"), "{text}");
        // Remembered: a memo naming another version for this very file is believed.
        std::fs::write(&memo, text.replace("0.15.1", "0.15.7")).unwrap();
        assert_eq!(version_remembered_in(&memo, &program).unwrap(), "0.15.7");
        // Another file at the same path (another inode and size): asked again.
        write("0.16.0");
        assert_eq!(version_remembered_in(&memo, &program).unwrap(), "0.16.0");
        // A memo that is not JSON is no memo.
        std::fs::write(&memo, "{not json").unwrap();
        assert_eq!(version_remembered_in(&memo, &program).unwrap(), "0.16.0");
        // A program that is gone is an error, whatever the memo says.
        std::fs::remove_file(&program).unwrap();
        assert!(version_remembered_in(&memo, &program).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn cargo_progress_gives_the_crate_and_the_count() {
        let mut p = InstallProgress::default();
        assert_eq!(p.feed("    Updating crates.io index"), None);
        assert_eq!(
            p.feed("   Compiling proc-macro2 v1.0.95"),
            Some(format!(
                "installing typst {TYPST_VERSION}: Compiling proc-macro2 v1.0.95 (1 crates so far)"
            ))
        );
        assert_eq!(
            p.feed("    Building [=====>        ] 37/412: syn, serde"),
            None
        );
        assert_eq!(
            p.feed("   Compiling typst-library v0.15.1 (/x)"),
            Some(format!(
                "installing typst {TYPST_VERSION}: Compiling typst-library v0.15.1 (37/412)"
            ))
        );
        assert_eq!(counter("[12/300] foo"), Some((12, 300)));
        assert_eq!(counter("Compiling a v1 [features]"), None);
    }
}
