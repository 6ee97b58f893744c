//! `output/.cache/`: what one run keeps for the next, so that a rerun redoes only what its
//! changed inputs touch. Every entry is named by a [`Key`] over everything it depends on, so
//! an entry is either right for this run or not found; a missing or unreadable entry is
//! computed again, never an error.
//!
//! ```text
//! .cache/
//!   filer.json            the file-hash index (`discover::HashIndex`)
//!   analyse.json          the last analysis (`pipeline::Analysis`), with its data key
//!   analyse.key           that data key alone, so a run whose data changed need not parse
//!                         analyse.json before it needs the last run's numbers
//!   logger/<key>.json     a validated log file's accounting (`validate::LogMeta`)
//!   logger/<key>.parquet  its rows, texts as dictionary codes (`ingest::cache`)
//!   piloter/<key>.json    a pilot's log indicators before disclosure control
//!   undersokelser/<key>.json  the survey indicators before disclosure control (reused
//!                         when only logs changed)
//!   andre/<key>.json      the files other than logs, validated (`validate::OtherFiles`;
//!                         reused when only logs changed)
//!   stage-<pid>/  build.lock  feilet/    a run's staging folder, the lock, a failed run's
//!                                        Typst (`fsx`)
//! ```
//! A run reads entries here and writes them through its staging folder ([`stage`]), so a
//! failed run adds nothing; after a commit the entries no input uses are pruned
//! ([`Cache::prune`]).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::{Settings, ValidationSettings};
use crate::discover::{FileKind, Inventory, SourceFile, sha256_hex};
use crate::validate::{EarlierLog, LogMeta};

/// The folder under the output folder.
pub use crate::fsx::CACHE_DIR as DIR;
/// The file-hash index.
pub const HASH_INDEX: &str = "filer.json";
/// The last analysis.
pub const ANALYSIS: &str = "analyse.json";
/// The data key of [`ANALYSIS`], beside it.
pub const ANALYSIS_KEY: &str = "analyse.key";
/// The validated log files.
pub const LOGS: &str = "logger";
/// The pilots' log indicators.
pub const PILOTS: &str = "piloter";
/// The survey indicators' draft ([`crate::indicators::SurveyDraft`]), by [`surveys_key`].
pub const SURVEYS: &str = "undersokelser";
/// The files other than logs, validated ([`crate::validate::OtherFiles`]), by
/// [`others_key`].
pub const OTHERS: &str = "andre";

/// A hash over parts: the parts of a record are joined by `\0`, a record ends with `\n`
/// ([`Key::end`]). The one way every key, hash and id of a run is built.
#[derive(Debug, Clone, Default)]
pub struct Key {
    text: Vec<u8>,
    open: bool,
}

impl Key {
    /// An empty key.
    pub fn new() -> Key {
        Key::default()
    }

    /// Add a part to the current record (after a `\0` when it has one already).
    pub fn part(&mut self, part: impl AsRef<[u8]>) -> &mut Key {
        if self.open {
            self.text.push(0);
        }
        self.text.extend_from_slice(part.as_ref());
        self.open = true;
        self
    }

    /// End the current record with `\n`.
    pub fn end(&mut self) -> &mut Key {
        self.text.push(b'\n');
        self.open = false;
        self
    }

    /// A record of a file and its hash: `name\0sha256\n`.
    pub fn file(&mut self, name: &str, sha256: &str) -> &mut Key {
        self.part(name).part(sha256).end()
    }

    /// The SHA-256 of the parts, in hex.
    pub fn finish(&self) -> String {
        sha256_hex(&self.text)
    }
}

/// What discovery could not read or skipped, one record each: it changes what validation
/// finds.
fn unread_files(key: &mut Key, inventory: &Inventory) {
    for d in &inventory.diagnostics {
        key.part(format!("{:?}", d.severity))
            .part(&d.file)
            .part(&d.message)
            .end();
    }
}

/// The data folder as given (what every message names its files by): an entry that holds
/// messages is found only by a run that names the files the same way.
fn data_folder(key: &mut Key, inventory: &Inventory) {
    key.part("data-folder").part(&inventory.root).end();
}

/// The key of the analysis: every input file, what discovery could not read or skipped,
/// the settings that change values, the tool version, and the data folder as given (the
/// analysis keeps the messages, which name it).
pub fn data_key(inventory: &Inventory, settings: &Settings) -> String {
    let mut key = Key::new();
    data_folder(&mut key, inventory);
    for f in &inventory.files {
        key.file(&f.rel, &f.sha256);
    }
    unread_files(&mut key, inventory);
    key.part(format!("k={}", settings.prikking.k)).end();
    key.part(format!("maks={}", settings.validering.maks_karantene_andel))
        .end();
    key.part(format!("tool={}", crate::tool_version())).end();
    // The staffing-need settings (indicators.md §8) change values too.
    let wisn = (
        &settings.arbeidstid,
        &settings.aktivitetsstandard,
        &settings.tillegg,
    );
    key.part(format!(
        "wisn={}",
        serde_json::to_string(&wisn).unwrap_or_default()
    ))
    .end();
    key.finish()
}

/// The key of the survey indicators' draft: every input file but the logs (surveys,
/// codebooks, staffing, activity, reference tables, `pilot.toml`s), the files that could not
/// be read or were skipped, the quarantine threshold and the tool version; not `k` (a draft
/// holds counts) and not the staffing-need settings (the survey indicators do not use them).
pub fn surveys_key(inventory: &Inventory, settings: &ValidationSettings) -> String {
    non_log_key("surveys-v1", inventory, settings)
}

/// The key of the validation of the files other than logs: the inputs [`surveys_key`]
/// covers (every file that is not a log, the files that could not be read or were skipped,
/// the quarantine threshold, the tool version), and the data folder as given, which its
/// messages name.
pub fn others_key(inventory: &Inventory, settings: &ValidationSettings) -> String {
    let mut key = Key::new();
    key.part(non_log_key("others-v1", inventory, settings))
        .end();
    data_folder(&mut key, inventory);
    key.finish()
}

/// A key over every input that is not a log, tagged `tag`.
fn non_log_key(tag: &str, inventory: &Inventory, settings: &ValidationSettings) -> String {
    let mut key = Key::new();
    key.part(tag).part(crate::tool_version()).end();
    key.part(format!("maks={}", settings.maks_karantene_andel))
        .end();
    for f in &inventory.files {
        if !matches!(f.kind, FileKind::Log(_)) {
            key.file(&f.rel, &f.sha256);
        }
    }
    unread_files(&mut key, inventory);
    key.finish()
}

/// The key of a log file's validation: everything it depends on — the file, its pilot's
/// `pilot.toml`, the four reference tables, the tool version and the data folder as given
/// (its messages name it). `None` for other files.
pub fn log_key(inventory: &Inventory, file: &SourceFile) -> Option<String> {
    let FileKind::Log(pilot) = &file.kind else {
        return None;
    };
    let mut key = Key::new();
    // v4: the rows' texts are codes into a dictionary (`ingest::cache`); v3: cached row
    // errors carry their kind (`Diagnostic::reason`, with helper diag's work); v2: built by
    // `Key`.
    key.part("logs-v4")
        .part(crate::tool_version())
        .part(&file.sha256)
        .end();
    data_folder(&mut key, inventory);
    for f in &inventory.files {
        if matches!(&f.kind, FileKind::Reference(_))
            || f.kind == FileKind::PilotConfig(pilot.clone())
        {
            key.file(&f.rel, &f.sha256);
        }
    }
    Some(key.finish())
}

/// Every log file of the inventory, by path, with its [`log_key`].
pub fn log_keys(inventory: &Inventory) -> BTreeMap<String, String> {
    inventory
        .files
        .iter()
        .filter_map(|f| Some((f.rel.clone(), log_key(inventory, f)?)))
        .collect()
}

/// The key of a pilot's log indicators: everything that validation keeps of the pilot's
/// logs depends on — its log files (and whether each repeats an earlier file's bytes,
/// which skips it), its `pilot.toml`, the reference tables, the quarantine threshold and
/// the tool version (not `k`: a draft holds counts, and disclosure control applies `k`).
pub fn pilot_key(inventory: &Inventory, pilot: &str, settings: &ValidationSettings) -> String {
    let mut key = Key::new();
    // v4: drafts hold counts, not verdicts; v3: the key is built by `Key`; v2: a pilot's
    // draft also holds its logs summarised for the staffing need (§8).
    key.part("pilot-v4")
        .part(crate::tool_version())
        .part(pilot)
        .part(format!("maks={}", settings.maks_karantene_andel))
        .end();
    let mut seen: HashSet<&str> = HashSet::new();
    for f in &inventory.files {
        let first = f.kind == FileKind::SampleMarker || seen.insert(f.sha256.as_str());
        if matches!(&f.kind, FileKind::Reference(_))
            || f.kind == FileKind::PilotConfig(pilot.to_owned())
            || f.kind == FileKind::Log(pilot.to_owned())
        {
            key.part(&f.rel)
                .part(&f.sha256)
                .part(first.to_string())
                .end();
        }
    }
    key.finish()
}

/// Every pilot of the inventory (a log folder or a `pilot.toml`) with its [`pilot_key`].
pub fn pilot_keys(
    inventory: &Inventory,
    settings: &ValidationSettings,
) -> BTreeMap<String, String> {
    inventory
        .files
        .iter()
        .filter_map(|f| match &f.kind {
            FileKind::Log(p) | FileKind::PilotConfig(p) => Some(p),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|p| (p.clone(), pilot_key(inventory, p, settings)))
        .collect()
}

/// One pilot's log indicators before disclosure control, and the newest date of its rows.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PilotEntry {
    /// The newest date of the pilot's rows.
    pub last_date: Option<chrono::NaiveDate>,
    /// The indicators.
    pub draft: crate::indicators::PilotDraft,
}

/// A validated log file as cache entries: its accounting (JSON) and its rows (Parquet).
#[derive(Debug, Clone)]
pub struct LogEntry {
    key: String,
    meta: Vec<u8>,
    rows: Vec<u8>,
}

impl LogEntry {
    /// Encode a log file's validation under `key`.
    pub fn encode(key: &str, meta: &LogMeta, rows: &[crate::model::LogRow]) -> Result<LogEntry> {
        Ok(LogEntry {
            key: key.to_owned(),
            meta: serde_json::to_vec(meta)?,
            rows: crate::ingest::cache::logs_to_parquet(rows)?,
        })
    }
}

/// The caches of one output folder.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The caches of the output folder `out`.
    pub fn of(out: &Path) -> Cache {
        Cache { dir: out.join(DIR) }
    }

    /// The entry `rel` (relative to the cache folder), read as JSON; `None` when it is
    /// missing or unreadable.
    pub fn read<T: DeserializeOwned>(&self, rel: &str) -> Option<T> {
        serde_json::from_slice(&std::fs::read(self.dir.join(rel)).ok()?).ok()
    }

    /// The entry `rel`, parsed on a thread of its own while the caller goes on; waited for
    /// the first time [`Pending::get`] asks for it.
    pub fn read_pending<T: DeserializeOwned + Send + 'static>(&self, rel: &str) -> Pending<T> {
        let path = self.dir.join(rel);
        // No thread for an entry that is not there (a cold run).
        let handle = path.is_file().then(|| {
            std::thread::spawn(move || serde_json::from_slice(&std::fs::read(path).ok()?).ok())
        });
        // A thread that panicked counts as an unreadable entry.
        Pending(std::sync::LazyLock::new(Box::new(move || {
            handle?.join().ok().flatten()
        })))
    }

    /// The text entry `rel` (trimmed), if it is there.
    pub fn read_text(&self, rel: &str) -> Option<String> {
        let text = std::fs::read_to_string(self.dir.join(rel)).ok()?;
        Some(text.trim().to_string())
    }

    /// Write the entry `rel` as JSON now, atomically (outside a run's staging folder).
    pub fn write_now<T: Serialize>(&self, rel: &str, value: &T) -> Result<()> {
        crate::fsx::write_atomic(&self.dir.join(rel), serde_json::to_vec(value)?)
    }

    /// The earlier validations of this inventory's log files, by path, that are in the
    /// cache (see [`log_key`]); without rows for the files of the pilots in `skip_rows`.
    pub fn read_logs(
        &self,
        inventory: &Inventory,
        keys: &BTreeMap<String, String>,
        skip_rows: &BTreeSet<String>,
    ) -> BTreeMap<String, EarlierLog> {
        let dir = self.dir.join(LOGS);
        let wanted: Vec<(&String, &String, bool)> = inventory
            .files
            .iter()
            .filter_map(|f| {
                let FileKind::Log(pilot) = &f.kind else {
                    return None;
                };
                Some((&f.rel, keys.get(&f.rel)?, !skip_rows.contains(pilot)))
            })
            .filter(|(_, k, _)| dir.join(format!("{k}.json")).is_file())
            .collect();
        let loaded = crate::par::map(&wanted, |(path, k, want_rows)| {
            let meta = self.read(&format!("{LOGS}/{k}.json"))?;
            let rows = if *want_rows {
                let bytes = std::fs::read(dir.join(format!("{k}.parquet"))).ok()?;
                crate::ingest::cache::logs_from_parquet(&bytes).ok()?
            } else {
                Vec::new()
            };
            Some(((*path).clone(), EarlierLog { meta, rows }))
        });
        loaded.into_iter().flatten().collect()
    }

    /// The cached pilots whose key is unchanged, by pilot.
    pub fn read_pilots(&self, keys: &BTreeMap<String, String>) -> BTreeMap<String, PilotEntry> {
        keys.iter()
            .filter_map(|(pilot, key)| {
                Some((pilot.clone(), self.read(&format!("{PILOTS}/{key}.json"))?))
            })
            .collect()
    }

    /// Remove the entries of `folder` whose key is not in `keep`.
    pub fn prune(&self, folder: &str, keep: &BTreeSet<String>) {
        if let Ok(listing) = std::fs::read_dir(self.dir.join(folder)) {
            for e in listing.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let key = name.split('.').next().unwrap_or("");
                if !keep.contains(key) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}

/// A cache entry being read on a thread of its own ([`Cache::read_pending`]).
pub struct Pending<T>(std::sync::LazyLock<Option<T>, Box<dyn FnOnce() -> Option<T> + Send>>);

impl<T> Pending<T> {
    /// The entry, once read; `None` when it is missing or unreadable.
    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

/// Stage the entry `rel` (relative to the cache folder) as JSON, to be moved into place
/// with the run's outputs.
pub fn stage<T: Serialize>(stage: &mut crate::fsx::Staging, rel: &str, value: &T) -> Result<()> {
    stage.write(&format!("{DIR}/{rel}"), serde_json::to_vec(value)?)
}

/// Stage newly validated log files.
pub fn stage_logs(stage: &mut crate::fsx::Staging, entries: &[LogEntry]) -> Result<()> {
    for e in entries {
        stage.write(&format!("{DIR}/{LOGS}/{}.parquet", e.key), &e.rows)?;
        stage.write(&format!("{DIR}/{LOGS}/{}.json", e.key), &e.meta)?;
    }
    Ok(())
}

/// Stage newly computed pilots, by key.
pub fn stage_pilots(
    stage: &mut crate::fsx::Staging,
    entries: &[(String, PilotEntry)],
) -> Result<()> {
    for (key, entry) in entries {
        self::stage(stage, &format!("{PILOTS}/{key}.json"), entry)?;
    }
    Ok(())
}

/// Stage the survey indicators' draft under `key`.
pub fn stage_surveys(
    stage: &mut crate::fsx::Staging,
    key: &str,
    draft: &crate::indicators::SurveyDraft,
) -> Result<()> {
    self::stage(stage, &format!("{SURVEYS}/{key}.json"), draft)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_joins_parts_with_nul_and_ends_records_with_a_newline() {
        let mut key = Key::new();
        key.file("a.csv", "11").part("x").part("y");
        assert_eq!(key.text, b"a.csv\x0011\nx\x00y");
        assert_eq!(key.finish(), sha256_hex(b"a.csv\x0011\nx\x00y"));
        assert_eq!(Key::new().finish(), sha256_hex(b""));
    }

    #[test]
    fn an_entry_read_beside_the_caller_is_the_entry_or_none_never_a_panic() {
        let out = std::env::temp_dir().join(format!("tsb-cache-pending-{}", std::process::id()));
        let cache = Cache::of(&out);
        let _ = std::fs::remove_dir_all(&out);
        // Missing: no thread, nothing.
        assert_eq!(cache.read_pending::<Vec<u32>>("a.json").get(), None);
        cache.write_now("a.json", &vec![1u32, 2, 3]).unwrap();
        let pending = cache.read_pending::<Vec<u32>>("a.json");
        assert_eq!(pending.get(), Some(&vec![1, 2, 3]));
        // Asked again: the same value, not a second read.
        std::fs::remove_file(out.join(DIR).join("a.json")).unwrap();
        assert_eq!(pending.get(), Some(&vec![1, 2, 3]));
        // Unreadable as the type asked for: none.
        std::fs::write(out.join(DIR).join("b.json"), b"{\"not\": \"a list\"}").unwrap();
        assert_eq!(cache.read_pending::<Vec<u32>>("b.json").get(), None);
        std::fs::write(out.join(DIR).join("k"), " abc\n").unwrap();
        assert_eq!(cache.read_text("k").as_deref(), Some("abc"));
        assert_eq!(cache.read_text("missing"), None);
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn pruning_keeps_only_the_named_entries() {
        let out = std::env::temp_dir().join(format!("tsb-cache-prune-{}", std::process::id()));
        let dir = out.join(DIR).join(PILOTS);
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["keep.json", "drop.json", "drop.parquet"] {
            std::fs::write(dir.join(name), b"{}").unwrap();
        }
        Cache::of(&out).prune(PILOTS, &BTreeSet::from(["keep".to_string()]));
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        std::fs::remove_dir_all(&out).unwrap();
        assert_eq!(left, ["keep.json"]);
    }

    #[test]
    fn an_unreadable_log_entry_is_a_cache_miss() {
        let out = std::env::temp_dir().join(format!("tsb-cache-logs-{}", std::process::id()));
        let dir = out.join(DIR).join(LOGS);
        std::fs::create_dir_all(&dir).unwrap();
        let log = |rel: &str| SourceFile {
            rel: rel.to_owned(),
            display: format!("data/{rel}"),
            kind: FileKind::Log("p".to_owned()),
            bytes: Vec::new(),
            sha256: String::new(),
            on_disk: None,
        };
        let inventory = Inventory {
            files: vec![log("piloter/p/good.csv"), log("piloter/p/bad.csv")],
            diagnostics: Vec::new(),
            root: "data".to_owned(),
        };
        let keys = BTreeMap::from([
            ("piloter/p/good.csv".to_owned(), "good".to_owned()),
            ("piloter/p/bad.csv".to_owned(), "bad".to_owned()),
        ]);
        let meta = serde_json::to_vec(&LogMeta::default()).unwrap();
        let rows = crate::ingest::cache::logs_to_parquet(&[]).unwrap();
        for key in ["good", "bad"] {
            std::fs::write(dir.join(format!("{key}.json")), &meta).unwrap();
        }
        std::fs::write(dir.join("good.parquet"), &rows).unwrap();
        std::fs::write(dir.join("bad.parquet"), &rows[..rows.len() / 2]).unwrap();
        let cache = Cache::of(&out);
        let with_rows = cache.read_logs(&inventory, &keys, &BTreeSet::new());
        // Without the rows, the truncated file is not read.
        let without_rows = cache.read_logs(&inventory, &keys, &BTreeSet::from(["p".to_owned()]));
        std::fs::remove_dir_all(&out).unwrap();
        assert_eq!(with_rows.keys().collect::<Vec<_>>(), ["piloter/p/good.csv"]);
        assert_eq!(without_rows.len(), 2);
    }
}
