//! `tsb-report watch`: build once, then rebuild whenever a source changes.
//!
//! Watches the data folder, the template folder and the settings file with the `notify`
//! crate (inotify on Linux). Events are debounced: a rebuild starts once no event has
//! arrived for [`QUIET`] and every changed file has kept its size and modification time for
//! [`STABLE`], so a log that is still being copied in is never read half-written. Names that
//! are never sources are ignored: Excel lock files (`~$…`), hidden and editor temporary
//! files (`.#…`, `…~`, `….swp`, `….tmp`), and anything under the output folder.
//!
//! Each rebuild is an ordinary [`pipeline::build`], which holds the output folder's lock, so
//! a `build` started by hand beside `watch` waits for the rebuild (and the other way round).
//! A rebuild that fails prints its diagnostics and leaves the last good documents in place;
//! watching goes on. Ctrl-C stops after the rebuild under way (a second Ctrl-C stops at once;
//! a run cut short writes nothing, and the next run cleans up what it left).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use notify::{RecursiveMode, Watcher};

use crate::cli::BuildArgs;
use crate::config::BuildConfig;
use crate::diag::{self, DiagnosticFormat, Severity};
use crate::pipeline::{self, Outcome};

/// No event for this long ends a burst of changes.
pub const QUIET: Duration = Duration::from_millis(200);
/// A changed file must keep its size and mtime this long before it is read.
pub const STABLE: Duration = Duration::from_millis(250);
/// How long a file may keep changing before the rebuild goes ahead anyway (it will be seen
/// again when it settles).
const STABLE_MAX: Duration = Duration::from_secs(30);

/// What to watch, resolved from the build arguments.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The data folder.
    pub data: PathBuf,
    /// The template folder, if one is used.
    pub templates: Option<PathBuf>,
    /// The settings file (it may not exist yet).
    pub settings: PathBuf,
    /// The output folder: changes under it are the tool's own.
    pub out: PathBuf,
}

impl Sources {
    /// The sources of `build` with these arguments.
    pub fn of(args: &BuildArgs) -> Sources {
        let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let templates = match &args.templates {
            Some(t) => Some(t.clone()),
            None => Some(PathBuf::from("report-templates")).filter(|p| p.is_dir()),
        };
        Sources {
            data: abs(&args.data.data),
            templates: templates.as_deref().map(abs),
            settings: abs(args
                .data
                .settings
                .as_deref()
                .unwrap_or(Path::new("tsb-report.toml"))),
            out: abs(&args.out),
        }
    }

    /// Whether a change to `path` calls for a rebuild.
    pub fn is_source(&self, path: &Path) -> bool {
        if path.starts_with(&self.out) {
            return false;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        if is_temporary(&name) {
            return false;
        }
        path == self.settings
            || path.starts_with(&self.data)
            || self.templates.as_ref().is_some_and(|t| path.starts_with(t))
    }
}

/// Names that are never sources: Excel's lock files, hidden files and editor temporaries.
pub fn is_temporary(name: &str) -> bool {
    name.is_empty()
        || name.starts_with('.')
        || name.starts_with("~$")
        || name.starts_with('#')
        || name.ends_with('~')
        || [".swp", ".swx", ".tmp", ".part", ".crdownload"]
            .iter()
            .any(|s| name.to_ascii_lowercase().ends_with(s))
}

/// Run `watch`: build, then rebuild on every change until Ctrl-C. Returns the exit code.
pub fn run(args: &BuildArgs, quiet: bool, format: DiagnosticFormat) -> Result<u8> {
    let sources = Sources::of(args);
    let (tx, rx) = mpsc::channel::<Event>();

    let stop = Arc::new(AtomicBool::new(false));
    {
        let tx = tx.clone();
        let presses = Arc::new(AtomicUsize::new(0));
        let stop = stop.clone();
        ctrlc::set_handler(move || {
            if presses.fetch_add(1, Ordering::SeqCst) > 0 {
                // A second Ctrl-C: stop now. A run cut short writes nothing under the
                // output folder; the next run cleans up what it left.
                std::process::exit(130);
            }
            stop.store(true, Ordering::SeqCst);
            let _ = tx.send(Event::Stop);
        })
        .context("failed to install the Ctrl-C handler")?;
    }

    let report_error = move |e: String| {
        if !quiet {
            diag::eprintln(&format!(
                "warning: the file watcher reported an error ({e})"
            ));
        }
    };
    let mut watcher = {
        let tx = tx.clone();
        notify::recommended_watcher(move |res: notify::Result<notify::Event>| match res {
            // Only what changes a file's content or name. Reads (`Access`) and metadata
            // changes come from the build itself reading its sources: counting them would
            // rebuild for ever.
            Ok(ev) if !changes_content(&ev.kind) => {}
            Ok(ev) => {
                for p in ev.paths {
                    let _ = tx.send(Event::Changed(p));
                }
            }
            Err(e) => {
                let _ = tx.send(Event::Error(e.to_string()));
            }
        })
        .context("failed to start watching the file system")?
    };
    watch_folder(&mut watcher, &sources.data, RecursiveMode::Recursive)?;
    if let Some(t) = &sources.templates {
        watch_folder(&mut watcher, t, RecursiveMode::Recursive)?;
    }
    // The settings file is watched through its folder: editors replace a file by renaming a
    // new one over it, which a watch on the file itself would lose.
    if let Some(dir) = sources.settings.parent().filter(|d| d.is_dir()) {
        watch_folder(&mut watcher, dir, RecursiveMode::NonRecursive)?;
    }

    let shown = |p: &Path| shown_path(p);
    let mut watched = vec![shown(&sources.data)];
    watched.extend(sources.templates.as_deref().map(shown));
    watched.push(shown(&sources.settings));
    if !quiet {
        diag::eprintln(&format!(
            "watching {} (Ctrl-C stops)",
            watched
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    rebuild(args, quiet, format, &[]);
    while let Some(changed) = next_burst(&rx, &sources, &stop, &report_error) {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        rebuild(args, quiet, format, &changed);
        if stop.load(Ordering::SeqCst) {
            break;
        }
    }
    if !quiet {
        diag::eprintln("stopped watching");
    }
    Ok(crate::app::EXIT_OK)
}

/// Whether an event can change what a build reads: a file created, written, renamed or
/// removed. Not a read, and not a change of metadata alone (permissions, timestamps).
fn changes_content(kind: &notify::EventKind) -> bool {
    use notify::EventKind;
    use notify::event::ModifyKind;
    match kind {
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) => true,
        EventKind::Any | EventKind::Other => true,
    }
}

/// What the watcher threads send.
enum Event {
    Changed(PathBuf),
    Error(String),
    Stop,
}

fn watch_folder(w: &mut impl Watcher, dir: &Path, mode: RecursiveMode) -> Result<()> {
    w.watch(dir, mode)
        .with_context(|| format!("failed to watch `{}`", shown_path(dir)))
}

/// A path as the user gave it: relative to the current folder where it lies below it.
fn shown_path(p: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    p.strip_prefix(&cwd).unwrap_or(p).display().to_string()
}

/// Wait for the next burst of source changes and for the changed files to settle. `None`
/// when watching is to stop.
fn next_burst(
    rx: &mpsc::Receiver<Event>,
    sources: &Sources,
    stop: &AtomicBool,
    watcher_error: &dyn Fn(String),
) -> Option<Vec<PathBuf>> {
    let mut changed: BTreeSet<PathBuf> = BTreeSet::new();
    // Block until the first relevant change.
    while changed.is_empty() {
        match rx.recv().ok()? {
            Event::Changed(p) if sources.is_source(&p) => {
                changed.insert(p);
            }
            Event::Changed(_) => {}
            Event::Error(e) => watcher_error(e),
            Event::Stop => return None,
        }
    }
    let burst = Instant::now();
    loop {
        // Collect until QUIET passes without a relevant event.
        loop {
            match rx.recv_timeout(QUIET) {
                Ok(Event::Changed(p)) => {
                    if sources.is_source(&p) {
                        changed.insert(p);
                    }
                }
                Ok(Event::Error(e)) => watcher_error(e),
                Ok(Event::Stop) => return None,
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            }
        }
        if stop.load(Ordering::SeqCst) {
            return None;
        }
        // Then make sure no changed file is still being written (a file that keeps changing
        // for longer than STABLE_MAX is read anyway; it is seen again when it settles).
        if settled(&changed) || burst.elapsed() > STABLE_MAX {
            return Some(changed.into_iter().collect());
        }
    }
}

/// Whether every changed file that exists kept its size and mtime for [`STABLE`].
///
/// A file's modification time says how long it has been left alone already: the wait is
/// only what [`STABLE`] still lacks for the most recently written file (none once the quiet
/// period has covered it), then the stamps are compared again. A modification time in the
/// future (another machine's clock on a shared folder) waits the whole [`STABLE`].
fn settled(paths: &BTreeSet<PathBuf>) -> bool {
    fn stamp(p: &Path) -> Option<(u64, Option<SystemTime>)> {
        let m = std::fs::metadata(p).ok()?;
        m.is_file().then(|| (m.len(), m.modified().ok()))
    }
    let before: Vec<_> = paths.iter().map(|p| stamp(p)).collect();
    std::thread::sleep(remaining_wait(&before, SystemTime::now()));
    let after: Vec<_> = paths.iter().map(|p| stamp(p)).collect();
    before == after
}

/// How much longer than their modification times allow the files must keep still:
/// [`STABLE`] minus the age of the youngest file, at most [`STABLE`].
fn remaining_wait(stamps: &[Option<(u64, Option<SystemTime>)>], now: SystemTime) -> Duration {
    stamps
        .iter()
        .flatten()
        .map(|(_, mtime)| match mtime.map(|m| now.duration_since(m)) {
            Some(Ok(age)) => STABLE.saturating_sub(age),
            // Unknown or in the future: wait it out.
            _ => STABLE,
        })
        .max()
        .unwrap_or(Duration::ZERO)
}

/// One rebuild, with one line of what happened (and the diagnostics of a failure).
fn rebuild(args: &BuildArgs, quiet: bool, format: DiagnosticFormat, changed: &[PathBuf]) {
    let started = Instant::now();
    let what = describe_changes(changed);
    let say = |msg: &str| {
        if !quiet {
            diag::eprintln(msg);
        }
    };
    // Settings are read again on every rebuild: they may be what changed.
    let outcome = BuildConfig::from_args(args, true).and_then(|cfg| pipeline::build(&cfg, &say));
    let secs = started.elapsed().as_secs_f64();
    match outcome {
        Ok(Outcome::Built(report)) => {
            let rebuilt: Vec<&String> = report
                .manifest
                .outputs
                .iter()
                .filter(|o| o.ends_with(".pdf") || o.ends_with(".docx"))
                .filter(|o| !report.manifest.reused.documents.contains(o))
                .collect();
            let rows = report
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::RowError)
                .count();
            let result = if report.up_to_date {
                "nothing to rebuild (up to date)".to_string()
            } else if rebuilt.is_empty() {
                "documents unchanged".to_string()
            } else {
                format!(
                    "rebuilt {}",
                    rebuilt
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let quarantined = if rows > 0 {
                format!(
                    "; {rows} row {} quarantined",
                    if rows == 1 { "error" } else { "errors" }
                )
            } else {
                String::new()
            };
            if !quiet {
                diag::eprintln(&format!("[{what}] {result} in {secs:.2} s{quarantined}"));
            }
        }
        Ok(Outcome::InvalidData(diags)) => {
            diag::print(&diags, format, quiet, Some(10));
            diag::eprintln(&format!(
                "[{what}] rebuild failed in {secs:.2} s: the data has file errors; the last good documents are kept; still watching"
            ));
        }
        Err(e) => {
            diag::print_error(&e);
            diag::eprintln(&format!(
                "[{what}] rebuild failed in {secs:.2} s; the last good documents are kept; still watching"
            ));
        }
    }
}

/// "first build", or the changed paths (the first three, then a count).
fn describe_changes(changed: &[PathBuf]) -> String {
    if changed.is_empty() {
        return "first build".to_string();
    }
    // Files, not the folders that hold them (a new file changes its folder too).
    let files: Vec<&PathBuf> = changed.iter().filter(|p| !p.is_dir()).collect();
    let files = if files.is_empty() {
        changed.iter().collect()
    } else {
        files
    };
    let mut names: Vec<String> = files.iter().take(3).map(|p| shown_path(p)).collect();
    if files.len() > 3 {
        names.push(format!("{} more", files.len() - 3));
    }
    format!("changed: {}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> Sources {
        Sources {
            data: PathBuf::from("/p/data"),
            templates: Some(PathBuf::from("/p/report-templates")),
            settings: PathBuf::from("/p/tsb-report.toml"),
            out: PathBuf::from("/p/output"),
        }
    }

    #[test]
    fn data_templates_and_settings_are_sources() {
        let s = sources();
        assert!(s.is_source(Path::new("/p/data/piloter/lar/uke12.csv")));
        assert!(s.is_source(Path::new("/p/report-templates/rapport.typ.j2")));
        assert!(s.is_source(Path::new("/p/tsb-report.toml")));
    }

    #[test]
    fn lock_files_temporaries_output_and_neighbours_are_not_sources() {
        let s = sources();
        for p in [
            "/p/data/undersokelser/~$ansatt.xlsx",
            "/p/data/piloter/lar/.uke12.csv.swp",
            "/p/data/piloter/lar/uke12.csv~",
            "/p/data/piloter/lar/uke12.csv.tmp",
            "/p/data/piloter/lar/.#uke12.csv",
            "/p/output/rapport.pdf",
            "/p/README.md",
            "/p/tsb-report.toml.bak~",
        ] {
            assert!(!s.is_source(Path::new(p)), "{p}");
        }
    }

    #[test]
    fn reads_and_metadata_changes_start_no_rebuild() {
        use notify::EventKind;
        use notify::event::{AccessKind, CreateKind, DataChange, MetadataKind, ModifyKind};
        assert!(!changes_content(&EventKind::Access(AccessKind::Any)));
        assert!(!changes_content(&EventKind::Modify(ModifyKind::Metadata(
            MetadataKind::Any
        ))));
        assert!(changes_content(&EventKind::Create(CreateKind::File)));
        assert!(changes_content(&EventKind::Modify(ModifyKind::Data(
            DataChange::Any
        ))));
    }

    #[test]
    fn a_file_still_growing_is_not_settled() {
        let dir = std::env::temp_dir().join(format!("tsb-watch-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("x.csv");
        std::fs::write(&f, "a").unwrap();
        let paths: BTreeSet<PathBuf> = [f.clone()].into();
        let writer = {
            let f = f.clone();
            std::thread::spawn(move || {
                for _ in 0..10 {
                    std::thread::sleep(Duration::from_millis(40));
                    let mut s = std::fs::read(&f).unwrap();
                    s.push(b'a');
                    std::fs::write(&f, s).unwrap();
                }
            })
        };
        assert!(!settled(&paths));
        writer.join().unwrap();
        assert!(settled(&paths));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_left_alone_for_the_quiet_period_waits_only_what_stable_still_lacks() {
        let now = SystemTime::now();
        let stamp = |ago: Duration| Some((10, Some(now - ago)));
        assert_eq!(remaining_wait(&[stamp(STABLE * 2)], now), Duration::ZERO);
        assert_eq!(
            remaining_wait(&[stamp(STABLE * 2), stamp(QUIET)], now),
            STABLE - QUIET
        );
        // Written just now, in the future, or of unknown age: the whole STABLE.
        assert_eq!(remaining_wait(&[stamp(Duration::ZERO)], now), STABLE);
        assert_eq!(
            remaining_wait(&[Some((10, Some(now + Duration::from_secs(5))))], now),
            STABLE
        );
        assert_eq!(remaining_wait(&[Some((10, None))], now), STABLE);
        // Removed files (no stamp) need no wait.
        assert_eq!(remaining_wait(&[None], now), Duration::ZERO);
    }
}
