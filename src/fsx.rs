//! `std::fs` wrapped once so every I/O error names its path (mdBook's `utils/fs.rs`).

use std::path::Path;

use anyhow::{Context, Result};

/// Read a whole file.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("failed to read `{}`", path.display()))
}

/// Read a whole file as UTF-8 text.
pub fn read_to_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("failed to read `{}`", path.display()))
}

/// Create a folder and its parents.
pub fn create_dir_all(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path)
        .with_context(|| format!("failed to create folder `{}`", path.display()))
}

/// Write a file, creating its parent folder.
pub fn write(path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
    if let Some(parent) = path.parent() {
        create_dir_all(parent)?;
    }
    std::fs::write(path, contents).with_context(|| format!("failed to write `{}`", path.display()))
}

/// Write a file atomically: into a temporary file in the same folder, then rename over the
/// target, so a reader never sees half a file and a failure leaves the old file in place.
pub fn write_atomic(path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    create_dir_all(parent)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, contents)
        .with_context(|| format!("failed to write `{}`", tmp.display()))?;
    rename(&tmp, path)
}

/// Rename a file, creating the target's folder if needed (`output/foretak/`).
pub fn rename(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir_all(parent)?;
    }
    std::fs::rename(from, to)
        .with_context(|| format!("failed to move `{}` to `{}`", from.display(), to.display()))
}

/// Remove a folder and everything in it, if it exists.
pub fn remove_dir_all(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("failed to remove `{}`", path.display()))
        }
        _ => Ok(()),
    }
}

/// Remove a file, if it exists.
pub fn remove_file(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("failed to remove `{}`", path.display()))
        }
        _ => Ok(()),
    }
}

/// What a run writes, staged in one folder on the output folder's file system
/// (`<out>/.cache/stage-<pid>/`, mirroring the output folder's layout) and moved into the
/// output folder only when every stage has succeeded ([`Staging::commit`]). Until then the
/// output folder is as the last good run left it; a run that fails drops the staging folder
/// ([`Staging::discard`]), and the next run removes one a killed run left
/// ([`clean_leftovers`]).
///
/// Each output is an entry: a file ([`Staging::write`], or [`Staging::file`] for a file
/// another program writes at [`Staging::path`]) or a folder replaced as a whole
/// ([`Staging::folder`]). Entries move in the order they were added: add the manifest last.
/// A staging folder that is dropped without [`Staging::commit`] is removed.
#[derive(Debug)]
pub struct Staging {
    out: std::path::PathBuf,
    dir: std::path::PathBuf,
    entries: Vec<(String, bool)>,
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The folder under the output folder that holds the caches, the staging folder and the lock.
pub const CACHE_DIR: &str = ".cache";
/// Where a failed run's generated Typst is kept, under the output folder.
pub const FAILED_DIR: &str = ".cache/feilet";
const STAGE_PREFIX: &str = "stage-";

impl Staging {
    /// A new, empty staging folder for the output folder `out`.
    pub fn new(out: &Path) -> Result<Staging> {
        let dir = out
            .join(CACHE_DIR)
            .join(format!("{STAGE_PREFIX}{}", std::process::id()));
        remove_dir_all(&dir)?;
        create_dir_all(&dir)?;
        Ok(Staging {
            out: out.to_path_buf(),
            dir,
            entries: Vec::new(),
        })
    }

    /// Where `rel` (a path relative to the output folder) is staged.
    pub fn path(&self, rel: &str) -> std::path::PathBuf {
        self.dir.join(rel)
    }

    /// Stage the file `rel` with `contents`.
    pub fn write(&mut self, rel: &str, contents: impl AsRef<[u8]>) -> Result<()> {
        write(&self.path(rel), contents)?;
        self.file(rel);
        Ok(())
    }

    /// Stage the file `rel`, written by someone else at [`Staging::path`].
    pub fn file(&mut self, rel: &str) {
        self.entries.push((rel.to_string(), false));
    }

    /// Stage the folder `rel`, which replaces the output folder's `rel` as a whole; returns
    /// the (created, empty) staged folder to fill.
    pub fn folder(&mut self, rel: &str) -> Result<std::path::PathBuf> {
        let p = self.path(rel);
        remove_dir_all(&p)?;
        create_dir_all(&p)?;
        self.entries.push((rel.to_string(), true));
        Ok(p)
    }

    /// Move every entry into the output folder, in order, and remove the staging folder.
    /// Each file is renamed over its target (never half a file); a folder replaces the old
    /// one, which is removed after.
    /// Nothing moves unless every entry is there (a program that reported success without
    /// writing its file fails the commit, not half of it).
    pub fn commit(self) -> Result<()> {
        for (rel, is_dir) in &self.entries {
            let from = self.dir.join(rel);
            let there = if *is_dir {
                from.is_dir()
            } else {
                from.is_file()
            };
            if !there {
                anyhow::bail!(
                    "failed to write `{}` (`{}` was not made; nothing was moved into `{}`)",
                    self.out.join(rel).display(),
                    from.display(),
                    self.out.display()
                );
            }
        }
        for (rel, is_dir) in &self.entries {
            let from = self.dir.join(rel);
            let to = self.out.join(rel);
            if *is_dir {
                let old = self
                    .dir
                    .join(format!(".old-{}", rel.replace(['/', '\\'], "_")));
                if to.exists() {
                    rename(&to, &old)?;
                }
                rename(&from, &to)?;
                remove_dir_all(&old)?;
            } else {
                rename(&from, &to)?;
            }
        }
        Ok(())
    }

    /// Drop everything staged, keeping the staged folder `keep` (e.g. the generated Typst) at
    /// [`FAILED_DIR`] for inspection; returns where it went.
    pub fn fail_keeping(self, keep: &str) -> Option<std::path::PathBuf> {
        let failed = self.out.join(FAILED_DIR);
        let from = self.dir.join(keep);
        let kept =
            from.is_dir() && remove_dir_all(&failed).is_ok() && rename(&from, &failed).is_ok();
        kept.then_some(failed)
    }

    /// Drop everything staged.
    pub fn discard(self) {}
}

/// Remove what an interrupted run left under the output folder `out`: staging folders
/// (`.cache/stage-<pid>/`) and temporary files and folders (`.<name>.tmp-<pid>…`, as
/// [`write_atomic`] and earlier versions' typesetting wrote them). Call it holding the
/// [`OutputLock`], so no other run's files are taken. Returns what was removed.
pub fn clean_leftovers(out: &Path) -> Vec<std::path::PathBuf> {
    let mut removed = Vec::new();
    let is_tmp = |name: &str| {
        name.starts_with('.')
            && name.split_once(".tmp-").is_some_and(|(_, rest)| {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                !digits.is_empty()
                    && (rest.len() == digits.len() || rest[digits.len()..].starts_with('.'))
            })
    };
    let cache = out.join(CACHE_DIR);
    if let Ok(listing) = std::fs::read_dir(&cache) {
        for e in listing.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(STAGE_PREFIX)
                && e.path().is_dir()
                && remove_dir_all(&e.path()).is_ok()
            {
                removed.push(e.path());
            }
        }
    }
    for entry in walkdir::WalkDir::new(out)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| {
            // Not into the kept failed run, nor into what was just removed.
            e.path() != out.join(FAILED_DIR)
        })
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_tmp(&name) {
            let p = entry.path().to_path_buf();
            let ok = if entry.file_type().is_dir() {
                remove_dir_all(&p).is_ok()
            } else {
                remove_file(&p).is_ok()
            };
            if ok {
                removed.push(p);
            }
        }
    }
    removed
}

/// An advisory lock on an output folder (`<out>/.cache/build.lock`), held for a whole run so
/// that two runs into the same folder never interleave. The file names the holder (its
/// process id) while held and is emptied on release; the lock itself is the operating
/// system's (`File::lock`), so a killed holder releases it.
#[derive(Debug)]
pub struct OutputLock {
    file: std::fs::File,
}

/// The lock file, under the output folder.
pub const LOCK_FILE: &str = ".cache/build.lock";
/// How long a run waits for another run's lock, in seconds (`TSB_REPORT_LOCK_TIMEOUT`).
pub const LOCK_TIMEOUT_VAR: &str = "TSB_REPORT_LOCK_TIMEOUT";
/// The default wait: long enough for a first run that installs typst.
pub const DEFAULT_LOCK_TIMEOUT_SECS: u64 = 1800;

impl OutputLock {
    /// Lock the output folder `out` (creating it); when another run holds it, say so through
    /// `say`, naming the holder, and wait for it up to `TSB_REPORT_LOCK_TIMEOUT` seconds.
    pub fn acquire(out: &Path, say: &dyn Fn(&str)) -> Result<OutputLock> {
        use std::io::{Read, Seek, Write};
        let path = out.join(LOCK_FILE);
        create_dir_all(path.parent().unwrap_or(out))?;
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("failed to open the lock file `{}`", path.display()))?;
        let holder = |file: &mut std::fs::File| {
            let mut s = String::new();
            let _ = file.seek(std::io::SeekFrom::Start(0));
            let _ = file.read_to_string(&mut s);
            let s = s.trim().to_string();
            if s.is_empty() {
                "another tsb-report run".to_string()
            } else {
                format!("another tsb-report run ({s})")
            }
        };
        let limit = match std::env::var(LOCK_TIMEOUT_VAR) {
            Ok(v) => v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .with_context(|| {
                    format!("failed to read {LOCK_TIMEOUT_VAR} (`{v}` is not a number of seconds)")
                })?,
            Err(_) => DEFAULT_LOCK_TIMEOUT_SECS as f64,
        };
        let limit = std::time::Duration::from_secs_f64(limit);
        let started = std::time::Instant::now();
        let mut said = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    if !said {
                        say(&format!(
                            "waiting for {} that is writing to `{}` (lock `{}`; up to {} s, {LOCK_TIMEOUT_VAR})",
                            holder(&mut file),
                            out.display(),
                            path.display(),
                            limit.as_secs()
                        ));
                        said = true;
                    }
                    if started.elapsed() >= limit {
                        return Err(crate::diag::hinted(
                            format!(
                                "failed to lock the output folder `{}` ({} still holds `{}` after {} s)",
                                out.display(),
                                holder(&mut file),
                                path.display(),
                                limit.as_secs_f64()
                            ),
                            format!("wait for that run to end, or raise {LOCK_TIMEOUT_VAR}"),
                        ));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("failed to lock `{}`", path.display()));
                }
            }
        }
        let _ = file.set_len(0);
        let _ = file.seek(std::io::SeekFrom::Start(0));
        let _ = write!(file, "pid {}", std::process::id());
        let _ = file.flush();
        Ok(OutputLock { file })
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}
