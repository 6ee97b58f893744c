//! Discover: walk the data folder and say what every file is (data-contract §1).
//!
//! Consumes the data folder; produces an [`Inventory`] of files sorted by their path under the
//! folder (Unicode code-point order), each with its SHA-256, and the warnings about files
//! that fit no rule. Lock and hidden files are passed over silently. Small files are held in
//! memory; activity logs (most of the bytes) are read again when validated, and their hashes
//! may come from a [`HashIndex`] of an earlier run while their size and modification time
//! are unchanged, so an unchanged data folder is not read at all.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::diag::Diagnostic;

/// What a file is, from where it sits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    /// `referanse/<table>.csv`: `foretak`, `enheter`, `yrker` or `oppgaver`.
    Reference(crate::model::RefTable),
    /// `bemanning/*`: a staffing export.
    Staffing,
    /// `undersokelser/<stem>.<ext>`: a survey export.
    Survey,
    /// `aktivitet/*`: annual activity volumes per unit × task.
    Activity,
    /// `undersokelser/<stem>.kodebok.toml`.
    Codebook,
    /// `undersokelser/codebook-<form>-<date>.txt` or `*.sps`: the codebook a survey tool
    /// (Nettskjema, SurveyXact) ships with its export, read by `kodebok` (data-contract §6.1).
    ToolCodebook,
    /// `piloter/<id>/pilot.toml`.
    PilotConfig(String),
    /// `piloter/<id>/**/*.<table ext>`: an activity log of pilot `id`.
    Log(String),
    /// `EKSEMPELDATA.md`: the data is synthetic.
    SampleMarker,
}

impl FileKind {
    /// The kind's name in the manifest and the data-quality appendix.
    pub fn label(&self) -> &'static str {
        match self {
            FileKind::Reference(_) => "referanse",
            FileKind::Staffing => "bemanning",
            FileKind::Survey => "undersøkelse",
            FileKind::Activity => "aktivitet",
            FileKind::Codebook => "kodebok",
            FileKind::ToolCodebook => "verktøykodebok",
            FileKind::PilotConfig(_) => "pilot",
            FileKind::Log(_) => "logg",
            FileKind::SampleMarker => "eksempeldata",
        }
    }
}

/// One input file, read.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path under the data folder, `/`-separated.
    pub rel: String,
    /// The path as the user names it in messages (`data/piloter/…`).
    pub display: String,
    /// What it is.
    pub kind: FileKind,
    /// Its bytes; empty for a file left on disk (see [`SourceFile::contents`]).
    pub bytes: Vec<u8>,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// Where a file left on disk is, and how it looked when it was hashed.
    pub on_disk: Option<Stamp>,
}

/// A file on disk as it was when hashed: reading it later checks that it is still the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Its modification time, nanoseconds since 1970.
    pub mtime_ns: u64,
}

impl Stamp {
    fn of(path: &Path, meta: &std::fs::Metadata) -> Stamp {
        Stamp {
            path: path.to_path_buf(),
            size: meta.len(),
            mtime_ns: nanos(meta.modified().ok()),
        }
    }
}

fn nanos(t: Option<SystemTime>) -> u64 {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

impl SourceFile {
    /// The file's bytes: held since discovery, or read again now for a file left on disk,
    /// refused when its size or modification time moved since it was hashed (the hash in
    /// the manifest must describe the bytes used).
    pub fn contents(&self) -> std::result::Result<Cow<'_, [u8]>, Diagnostic> {
        if self.on_disk.is_none() {
            return Ok(Cow::Borrowed(&self.bytes));
        }
        let mut bytes = Vec::new();
        self.contents_into(&mut bytes)?;
        Ok(Cow::Owned(bytes))
    }

    /// [`SourceFile::contents`] into `buf` (emptied first): a buffer kept from one file to
    /// the next holds each in memory already faulted in.
    pub fn contents_into(&self, buf: &mut Vec<u8>) -> std::result::Result<(), Diagnostic> {
        buf.clear();
        let Some(stamp) = &self.on_disk else {
            buf.extend_from_slice(&self.bytes);
            return Ok(());
        };
        let changed = || {
            Diagnostic::file_error(
                &self.display,
                "the file changed while tsb-report was running",
            )
            .hint("run again when the file is complete")
        };
        read_regular_into(&stamp.path, buf)
            .map_err(|e| unreadable(self.display.clone(), "file", &e))?;
        let now = std::fs::metadata(&stamp.path).map_err(|_| changed())?;
        if buf.len() as u64 != stamp.size || Stamp::of(&stamp.path, &now) != *stamp {
            return Err(changed());
        }
        Ok(())
    }

    /// Its size in bytes.
    pub fn size(&self) -> u64 {
        self.on_disk
            .as_ref()
            .map_or(self.bytes.len() as u64, |s| s.size)
    }

    /// The extension, lower-case.
    pub fn extension(&self) -> String {
        Path::new(&self.rel)
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default()
    }
    /// The file stem (for surveys: the survey key).
    pub fn stem(&self) -> String {
        let name = self.rel.rsplit('/').next().unwrap_or(&self.rel);
        let lower = name.to_lowercase();
        if lower.ends_with(".kodebok.toml") {
            return name[..name.len() - ".kodebok.toml".len()].to_string();
        }
        name.rsplit_once('.').map_or(name, |(s, _)| s).to_string()
    }
}

/// Every file of the data folder that fits a rule, and warnings about the rest.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// Files sorted by `rel`.
    pub files: Vec<SourceFile>,
    /// Warnings (files that fit no rule, links and odd files skipped) and file errors
    /// (files and folders that cannot be read).
    pub diagnostics: Vec<Diagnostic>,
    /// The data folder as the user named it (`data`, `mydata`): run-level messages name it.
    pub root: String,
}

impl Inventory {
    /// True when `EKSEMPELDATA.md` is present.
    pub fn is_sample(&self) -> bool {
        self.files.iter().any(|f| f.kind == FileKind::SampleMarker)
    }
}

/// Lower-case hex of a SHA-256 digest of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of a digest.
fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

const TABLE_EXTS: [&str; 4] = ["csv", "tsv", "txt", "xlsx"];

/// Classify a path under the data folder; `None` when it fits no rule.
pub fn classify(rel: &str) -> Option<FileKind> {
    let parts: Vec<&str> = rel.split('/').collect();
    let name = *parts.last()?;
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    let is_table = TABLE_EXTS.contains(&ext.as_str());
    match parts.as_slice() {
        ["EKSEMPELDATA.md"] => Some(FileKind::SampleMarker),
        ["referanse", _] if is_table => {
            let stem = name
                .rsplit_once('.')
                .map_or(name, |(s, _)| s)
                .to_lowercase();
            crate::model::RefTable::from_stem(&stem).map(FileKind::Reference)
        }
        ["bemanning", _] if is_table => Some(FileKind::Staffing),
        ["aktivitet", _] if is_table => Some(FileKind::Activity),
        ["undersokelser", _] if name.to_lowercase().ends_with(".kodebok.toml") => {
            Some(FileKind::Codebook)
        }
        ["undersokelser", _] if is_tool_codebook(name) => Some(FileKind::ToolCodebook),
        ["undersokelser", _] if is_table => Some(FileKind::Survey),
        ["piloter", id, "pilot.toml"] => Some(FileKind::PilotConfig((*id).to_string())),
        ["piloter", id, _, ..] if is_table => Some(FileKind::Log((*id).to_string())),
        _ => None,
    }
}

/// A survey tool's own codebook beside an export: Nettskjema's `codebook-<form>-<date>.txt`
/// (or `.csv`/`.json`), or SPSS syntax `*.sps`.
pub fn is_tool_codebook(name: &str) -> bool {
    let lower = name.to_lowercase();
    lower.ends_with(".sps")
        || (lower.starts_with("codebook")
            && [".txt", ".csv", ".tsv", ".json"]
                .iter()
                .any(|e| lower.ends_with(e)))
}

fn is_hidden(name: &str) -> bool {
    name.starts_with('.') || name.starts_with("~$")
}

/// Earlier hashes of files left on disk, by path under the data folder: reused while a
/// file's size and modification time are unchanged. Kept in `output/.cache/`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HashIndex {
    /// Path → what was hashed.
    pub files: BTreeMap<String, IndexEntry>,
}

/// One file's hash and the stamp it was taken at.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IndexEntry {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since 1970.
    pub mtime_ns: u64,
    /// When the hash was taken, nanoseconds since 1970.
    pub hashed_ns: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
}

/// A modification this close to the moment of hashing could hide a later write with the
/// same time stamp (coarse file-system clocks): such an entry is hashed again.
const RACY_NS: u64 = 2_000_000_000;

impl IndexEntry {
    fn matches(&self, stamp: &Stamp) -> bool {
        self.size == stamp.size
            && self.mtime_ns == stamp.mtime_ns
            && stamp.mtime_ns.saturating_add(RACY_NS) < self.hashed_ns
    }
}

/// Walk `data_dir` and read every file that fits a rule.
pub fn discover(data_dir: &Path) -> Result<Inventory> {
    Ok(discover_with(data_dir, &HashIndex::default())?.0)
}

/// What one directory entry of the walk turned out to be.
enum Entry {
    /// A regular file, or a link to one inside the data folder: read it.
    File(std::fs::Metadata),
    /// Not read, with the warning that says why.
    Skip(&'static str),
}

/// Look at one entry of the walk without opening it (a FIFO would block an `open`).
fn look_at(entry: &walkdir::DirEntry, root: &Path) -> Entry {
    let ft = entry.file_type();
    if ft.is_file() {
        return match entry.metadata() {
            Ok(m) => Entry::File(m),
            Err(_) => Entry::Skip("failed to read the file's metadata; skipped"),
        };
    }
    if ft.is_symlink() {
        let Ok(target) = std::fs::canonicalize(entry.path()) else {
            return Entry::Skip(
                "link that leads nowhere (its target is missing, or it is a loop); skipped",
            );
        };
        if !target.starts_with(root) {
            return Entry::Skip(
                "link that leads outside the data folder; skipped (nothing outside the data folder is read)",
            );
        }
        return match std::fs::metadata(&target) {
            Ok(m) if m.is_file() => Entry::File(m),
            Ok(m) if m.is_dir() => Entry::Skip(
                "link to a folder; skipped (links to folders are not followed, so nothing is read twice)",
            ),
            Ok(_) => Entry::Skip(
                "link to something that is not a regular file (a FIFO, socket or device); skipped",
            ),
            Err(_) => Entry::Skip(
                "link that leads nowhere (its target is missing, or it is a loop); skipped",
            ),
        };
    }
    Entry::Skip("not a regular file (a FIFO, socket or device); skipped")
}

/// Read a regular file without ever blocking: opened non-blocking (a FIFO put in the file's
/// place after it was looked at would otherwise wait for a writer forever), then refused
/// unless the opened file is a regular file.
pub(crate) fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let (mut file, len) = open_regular(path)?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// [`read_regular`] into `buf` (emptied first), with room for a sixteenth more (what
/// decoding a Windows-1252 text in place usually needs).
fn read_regular_into(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<()> {
    use std::io::Read as _;
    let (mut file, len) = open_regular(path)?;
    let len = usize::try_from(len).unwrap_or(0);
    let need = len + len / 16;
    buf.clear();
    if buf.capacity() < need {
        // A new buffer rather than a grown one: growing copies the whole old capacity
        // (the allocator does not know it is empty) into memory faulted in for it.
        *buf = Vec::with_capacity(need + need / 8);
    }
    file.read_to_end(buf)?;
    Ok(())
}

/// The lower-case hex SHA-256 of a regular file (opened as [`read_regular`] opens it), read
/// through one small buffer: a log is hashed without its bytes ever being held whole, which
/// at national scale saves a gigabyte of fresh memory to fault in and give back.
fn hash_regular(path: &Path) -> std::io::Result<String> {
    use std::io::Read as _;
    let (mut file, _) = open_regular(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hex(&hasher.finalize()))
}

/// A regular file opened for reading without ever blocking, and its length.
fn open_regular(path: &Path) -> std::io::Result<(std::fs::File, u64)> {
    let mut options = std::fs::File::options();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        // O_NONBLOCK: ignored for regular files, keeps `open` of a FIFO from waiting.
        options.custom_flags(0o4000);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok((file, meta.len()))
}

/// An I/O error's cause as a message says it: "permission denied", not "Permission denied
/// (os error 13)".
fn io_cause(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::NotFound => "it no longer exists".to_string(),
        _ => {
            let text = e.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_string();
            let mut c = text.chars();
            match c.next() {
                Some(f) => f.to_lowercase().chain(c).collect(),
                None => text,
            }
        }
    }
}

/// A file error for a file or folder that cannot be read.
fn unreadable(display: String, what: &str, e: &std::io::Error) -> Diagnostic {
    let d = Diagnostic::file_error(
        display,
        format!("failed to read the {what} ({})", io_cause(e)),
    );
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        d.hint(format!(
            "give the user running tsb-report read access to the {what} (for example `chmod -R u+rX` on the data folder)"
        ))
    } else {
        d
    }
}

/// [`discover`], leaving activity logs on disk and taking their hashes from `known` where
/// size and modification time are unchanged; returns the index of this inventory's logs.
///
/// Links and odd files (data-contract §1): a link to a regular file inside the data folder
/// is read like the file; a link that leads outside it, to a folder, nowhere, or to a FIFO,
/// socket or device, and any FIFO, socket or device itself, is skipped with a warning naming
/// it; nothing is ever opened that could block. A file or folder that cannot be read is a
/// file error naming it, and the walk goes on, so every one is listed.
pub fn discover_with(data_dir: &Path, known: &HashIndex) -> Result<(Inventory, HashIndex)> {
    if !data_dir.is_dir() {
        return Err(crate::diag::hinted(
            format!("failed to find the data folder `{}`", data_dir.display()),
            "run in the project folder, pass `--data DIR`, or create one with `tsb-report sample --out data`",
        ));
    }
    let root = std::fs::canonicalize(data_dir)
        .with_context(|| format!("failed to read the data folder `{}`", data_dir.display()))?;
    let display_root = data_dir.display().to_string();
    let display_root = display_root.trim_end_matches('/');
    let display_root = if display_root.is_empty() {
        "/"
    } else {
        display_root
    };
    let mut inv = Inventory {
        root: display_root.to_string(),
        ..Inventory::default()
    };
    let found = walk(data_dir, &root, display_root, &mut inv.diagnostics);
    let index = read_found(&found, known, &mut inv);
    inv.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok((inv, index))
}

/// A file the walk found: its path under the data folder, its display path, its kind and
/// its size and modification time.
type Found = (String, String, FileKind, Stamp);

/// Walk the data folder in file-name order, skipping hidden names: the files that fit a
/// rule, with a warning for each that does not or that is skipped (links, odd files) and a
/// file error for each folder that cannot be read.
fn walk(
    data_dir: &Path,
    root: &Path,
    display_root: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Found> {
    let rel_of = |path: &Path| -> String {
        path.strip_prefix(data_dir)
            .unwrap_or(path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    };
    let show = |rel: &str| {
        if rel.is_empty() {
            display_root.to_string()
        } else {
            format!("{display_root}/{rel}")
        }
    };
    let walker = walkdir::WalkDir::new(data_dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(&e.file_name().to_string_lossy()));
    let mut found: Vec<Found> = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let rel = e.path().map(rel_of).unwrap_or_default();
                let io = e.io_error().map_or_else(
                    || std::io::Error::other(e.to_string()),
                    |io| std::io::Error::new(io.kind(), io.to_string()),
                );
                diagnostics.push(unreadable(show(&rel), "folder", &io));
                continue;
            }
        };
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = rel_of(entry.path());
        let display = show(&rel);
        let meta = match look_at(&entry, root) {
            Entry::File(m) => m,
            Entry::Skip(why) => {
                diagnostics.push(Diagnostic::warning(display, why));
                continue;
            }
        };
        match classify(&rel) {
            Some(kind) => found.push((rel, display, kind, Stamp::of(entry.path(), &meta))),
            None => diagnostics.push(
                Diagnostic::warning(
                    display,
                    "file fits no rule of the data folder and was not read",
                )
                .hint(
                    "see data-contract §1: referanse/, bemanning/, aktivitet/, undersokelser/, piloter/<id>/",
                ),
            ),
        }
    }
    found
}

/// Read and hash the found files into `inv` on every core (a log whose size and mtime
/// `known` has unchanged keeps its hash and is not read; a log's bytes are dropped once
/// hashed); a file that cannot be read is a file error. Returns the index of the logs.
fn read_found(found: &[Found], known: &HashIndex, inv: &mut Inventory) -> HashIndex {
    let now = nanos(Some(SystemTime::now()));
    let files = crate::par::map(found, |(rel, display, kind, stamp)| {
        let lazy = matches!(kind, FileKind::Log(_));
        let earlier = known.files.get(rel).filter(|e| lazy && e.matches(stamp));
        let (bytes, sha256, hashed_ns) = match earlier {
            Some(e) => (Vec::new(), e.sha256.clone(), e.hashed_ns),
            None if lazy => {
                let sha = hash_regular(&stamp.path)
                    .map_err(|e| unreadable(display.clone(), "file", &e))?;
                (Vec::new(), sha, now)
            }
            None => {
                let bytes = read_regular(&stamp.path)
                    .map_err(|e| unreadable(display.clone(), "file", &e))?;
                let sha = sha256_hex(&bytes);
                (bytes, sha, now)
            }
        };
        Ok::<_, Diagnostic>((
            SourceFile {
                rel: rel.clone(),
                display: display.clone(),
                kind: kind.clone(),
                bytes,
                sha256,
                on_disk: lazy.then(|| stamp.clone()),
            },
            hashed_ns,
        ))
    });
    let mut index = HashIndex::default();
    for result in files {
        let (file, hashed_ns) = match result {
            Ok(f) => f,
            Err(d) => {
                inv.diagnostics.push(d);
                continue;
            }
        };
        if let Some(stamp) = &file.on_disk {
            index.files.insert(
                file.rel.clone(),
                IndexEntry {
                    size: stamp.size,
                    mtime_ns: stamp.mtime_ns,
                    hashed_ns,
                    sha256: file.sha256.clone(),
                },
            );
        }
        inv.files.push(file);
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_every_rule_of_the_data_contract() {
        assert_eq!(
            classify("referanse/foretak.csv"),
            Some(FileKind::Reference(crate::model::RefTable::Foretak))
        );
        assert_eq!(classify("referanse/ukjent.csv"), None);
        assert_eq!(classify("bemanning/2025-03.xlsx"), Some(FileKind::Staffing));
        assert_eq!(classify("aktivitet/npr-2025.csv"), Some(FileKind::Activity));
        assert_eq!(classify("undersokelser/a.tsv"), Some(FileKind::Survey));
        assert_eq!(
            classify("undersokelser/a.kodebok.toml"),
            Some(FileKind::Codebook)
        );
        assert_eq!(
            classify("piloter/lar/pilot.toml"),
            Some(FileKind::PilotConfig("lar".into()))
        );
        assert_eq!(
            classify("piloter/lar/2025/uke1.csv"),
            Some(FileKind::Log("lar".into()))
        );
        assert_eq!(classify("piloter/lar/notat.docx"), None);
        assert_eq!(classify("EKSEMPELDATA.md"), Some(FileKind::SampleMarker));
        assert_eq!(classify("README.md"), None);
    }

    #[test]
    fn survey_stem_drops_every_extension() {
        let f = SourceFile {
            rel: "undersokelser/ansatt-2025.kodebok.toml".into(),
            display: String::new(),
            kind: FileKind::Codebook,
            bytes: vec![],
            sha256: String::new(),
            on_disk: None,
        };
        assert_eq!(f.stem(), "ansatt-2025");
    }

    /// A data folder with one log under a fresh temporary directory.
    fn folder(name: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("tsb-discover-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("piloter/p")).unwrap();
        let log = dir.join("piloter/p/logg.csv");
        std::fs::write(&log, "dato;minutter\n01.02.2025;15\n").unwrap();
        (dir, log)
    }

    fn age(path: &Path) {
        let old = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }

    #[test]
    fn an_unchanged_log_takes_its_hash_from_the_index_without_being_read() {
        let (dir, log) = folder("index");
        age(&log);
        let (inv, index) = discover_with(&dir, &HashIndex::default()).unwrap();
        let real = inv.files[0].sha256.clone();
        assert_eq!(real, sha256_hex(&std::fs::read(&log).unwrap()));
        assert!(inv.files[0].bytes.is_empty(), "a log stays on disk");
        // A planted hash shows that the file was not read while its stamp is unchanged.
        let mut planted = index.clone();
        planted.files.get_mut("piloter/p/logg.csv").unwrap().sha256 = "planted".into();
        let (again, _) = discover_with(&dir, &planted).unwrap();
        assert_eq!(again.files[0].sha256, "planted");
        // New bytes of the same size: a new modification time, so the file is hashed again.
        std::fs::write(&log, "dato;minutter\n01.02.2025;16\n").unwrap();
        let (changed, _) = discover_with(&dir, &planted).unwrap();
        assert_eq!(
            changed.files[0].sha256,
            sha256_hex(&std::fs::read(&log).unwrap())
        );
        assert_ne!(changed.files[0].sha256, real);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_just_modified_log_is_hashed_again_even_with_the_same_stamp() {
        let (dir, log) = folder("racy");
        let (_, index) = discover_with(&dir, &HashIndex::default()).unwrap();
        let mut planted = index.clone();
        planted.files.get_mut("piloter/p/logg.csv").unwrap().sha256 = "planted".into();
        // Hashed within two seconds of its modification: not trusted.
        let (inv, _) = discover_with(&dir, &planted).unwrap();
        assert_eq!(
            inv.files[0].sha256,
            sha256_hex(&std::fs::read(&log).unwrap())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_log_changed_after_hashing_is_refused_when_read() {
        let (dir, log) = folder("changed");
        let (inv, _) = discover_with(&dir, &HashIndex::default()).unwrap();
        assert_eq!(
            inv.files[0].contents().unwrap().as_ref(),
            std::fs::read(&log).unwrap().as_slice()
        );
        std::fs::write(&log, "dato;minutter\n01.02.2025;15\n01.02.2025;30\n").unwrap();
        let err = inv.files[0].contents().unwrap_err();
        assert!(err.message.contains("changed while"), "{}", err.message);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_fifo_put_in_place_of_a_file_is_refused_without_blocking() {
        let (dir, log) = folder("fifo");
        std::fs::remove_file(&log).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(&log)
            .status()
            .unwrap();
        assert!(status.success());
        // No writer ever opens it: a blocking open would wait here forever.
        let err = read_regular(&log).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let err = hash_regular(&log).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_log_hashed_through_the_buffer_has_the_hash_of_its_bytes() {
        let (dir, log) = folder("streamed");
        // Larger than the buffer, and not a multiple of it.
        let bytes: Vec<u8> = (0..700_001u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&log, &bytes).unwrap();
        assert_eq!(hash_regular(&log).unwrap(), sha256_hex(&bytes));
        std::fs::write(&log, b"").unwrap();
        assert_eq!(hash_regular(&log).unwrap(), sha256_hex(b""));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
