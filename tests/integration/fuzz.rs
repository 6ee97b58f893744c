//! Tests: a seeded, bounded mutation suite over whole data folders (issue 11, item 16).
//!
//! Each case copies a small but complete data folder (reference tables, a pilot with a log
//! that has planted row errors, a staffing CSV and XLSX, a survey and its codebook, the
//! settings), applies one to three mutations — byte flips, truncation, odd encodings and
//! line ends, huge fields, many columns, broken XLSX zips and sheet XML, broken TOML, files
//! removed — and runs the binary on it: `check` for most cases, `build` (with a stub typst
//! that writes a placeholder PDF, so no case needs the real one) for every fourth, into an
//! output folder that holds a good earlier build. It asserts, for every case:
//! - no panic, no abort, no hang (a case is killed after [`CASE_TIMEOUT`]);
//! - the exit code is 0, 1 or 2;
//! - after a successful build, rows read = used + quarantined for every file of
//!   `manifest.json`, and each used file's quarantine file holds exactly its quarantined rows;
//! - after a failed build, the output folder is byte-identical to before.
//!
//! `TSB_FUZZ_CASES` (default 240) and `TSB_FUZZ_SEED` (default 11) choose the run; `just
//! fuzz` runs 2 000 cases. Every case is reproducible from the seed and its number
//! One build case in four uses a typst that fails, which checks that a failed typesetting
//! leaves the output folder as it was (`TSB_FUZZ_TYPST_FAILS=0` turns that off).
//! (`TSB_FUZZ_ONLY=<n>` runs that one case and keeps its folder; `TSB_FUZZ_VERBOSE=1` prints
//! every case with its exit code and first line of output).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::xlsx::workbook_with_sheet;
use crate::support::{Project, copy_dir, planted, stub_typst};

/// How long one case may run before it counts as a hang.
const CASE_TIMEOUT: Duration = Duration::from_secs(60);

/// Sheet XML of `rows` (cells as inline strings, positions given).
fn sheet_xml(rows: &[Vec<String>]) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, row) in rows.iter().enumerate() {
        xml.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, v) in row.iter().enumerate() {
            let col = (b'A' + c as u8) as char;
            xml.push_str(&format!(
                r#"<c r="{col}{}" t="inlineStr"><is><t>{v}</t></is></c>"#,
                r + 1
            ));
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

// ---- the seeded generator ------------------------------------------------------------------

/// SplitMix64: small, seeded, the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The staffing rows of the base data folder.
fn staffing_rows() -> Vec<Vec<String>> {
    let mut rows = vec![
        [
            "dato",
            "foretak",
            "enhet",
            "yrke",
            "budsjetterte_årsverk",
            "besatte_årsverk",
            "ledige_stillinger",
            "sykefravær_pst",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (i, (unit, trade)) in [
        ("LAR St. Olavs", "Sykepleier"),
        ("LAR St. Olavs", "Legespesialist"),
        ("Poliklinikk rus Molde", "Sykepleier"),
        ("Poliklinikk rus Molde", "Legespesialist"),
    ]
    .iter()
    .enumerate()
    {
        let trust = if unit.starts_with("LAR") {
            "STO"
        } else {
            "HMR"
        };
        rows.push(
            [
                "01.03.2025".to_string(),
                trust.into(),
                (*unit).into(),
                (*trade).into(),
                format!("{},5", 10 + i),
                format!("{}", 9 + i),
                "1".into(),
                "6,5 %".into(),
            ]
            .to_vec(),
        );
    }
    rows
}

/// The base project: the planted errors, a survey with person columns, staffing as CSV and
/// as a workbook, activity volumes and settings.
fn base() -> Project {
    let p = planted("fuzz-base").data("survey_person_columns");
    let dir = &p.dir;
    std::fs::create_dir_all(dir.join("data/bemanning")).unwrap();
    let rows = staffing_rows();
    let csv: String = rows.iter().map(|r| r.join(";") + "\r\n").collect();
    std::fs::write(dir.join("data/bemanning/2025-03.csv"), csv).unwrap();
    let mut later = rows.clone();
    for r in later.iter_mut().skip(1) {
        r[0] = "2025-06-01".into();
    }
    std::fs::write(
        dir.join("data/bemanning/2025-06.xlsx"),
        workbook_with_sheet(&sheet_xml(&later)),
    )
    .unwrap();
    // Annual activity volumes (data-contract §5.1), so the mutations reach that reader too.
    std::fs::create_dir_all(dir.join("data/aktivitet")).unwrap();
    std::fs::write(
        dir.join("data/aktivitet/volumer-2025.csv"),
        "år;foretak;enhet;oppgave;antall\r\n2025;STO;STO-LAR;lar;1 200\r\n2025;STO;STO-POL;samtale;3500\r\n2025;HMR;HMR-POL-MOL;samtale;2100\r\n2025;HMR;HMR-POL-MOL;bolig;140\r\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("tsb-report.toml"),
        "[validering]\nmaks_karantene_andel = 0.05\n",
    )
    .unwrap();
    p
}

/// Every file under the output folder `dir`, relative, with its bytes; except the failed
/// run's Typst that a failed typesetting keeps for inspection in `.cache/feilet/` (issue 11
/// item 3: the message names it; it is no output).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            if rel.starts_with(".cache/feilet/") {
                continue;
            }
            out.insert(rel, std::fs::read(e.path()).unwrap());
        }
    }
    out
}

/// Files of the case that a mutation may touch: every data file, and the settings in one
/// case of four (a broken settings file stops every run the same way, with exit 2).
fn mutable_files(dir: &Path, settings: bool) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir.join("data"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    if settings {
        v.push(dir.join("tsb-report.toml"));
    }
    v
}

/// UTF-8 text re-encoded as Windows-1252 where it can be (other characters as `?`).
fn to_windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c as u32 {
            0..=0x7F | 0xA0..=0xFF => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

/// Apply one mutation to `bytes` (the file's name says what kind of file it is); returns its
/// name for the case's description.
fn mutate(rng: &mut Rng, name: &str, bytes: &mut Vec<u8>) -> &'static str {
    let is_xlsx = name.ends_with(".xlsx");
    let is_toml = name.ends_with(".toml");
    let text = String::from_utf8_lossy(bytes).into_owned();
    let kinds: &[&str] = if is_xlsx {
        &[
            "flip",
            "truncate",
            "zip-flip",
            "sheet-xml",
            "sheet-xml",
            "sheet-xml",
        ]
    } else if is_toml {
        &["flip", "truncate", "toml", "toml", "encoding", "line-ends"]
    } else {
        &[
            "flip",
            "truncate",
            "encoding",
            "line-ends",
            "huge-field",
            "many-columns",
            "quotes",
            "duplicate-rows",
            "empty",
        ]
    };
    let kind = *rng.pick(kinds);
    match kind {
        "flip" | "zip-flip" => {
            if bytes.is_empty() {
                return kind;
            }
            for _ in 0..=rng.below(8) {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
        }
        "truncate" => {
            let at = rng.below(bytes.len() + 1);
            bytes.truncate(at);
        }
        "empty" => bytes.clear(),
        "encoding" => {
            *bytes = match rng.below(6) {
                0 => [b"\xff\xfe".as_slice(), &utf16(&text, false)].concat(),
                1 => [b"\xfe\xff".as_slice(), &utf16(&text, true)].concat(),
                2 => utf16(&text, false),
                3 => to_windows_1252(&text),
                4 => [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat(),
                _ => {
                    // A BOM that lies: UTF-8 BOM before Windows-1252 bytes.
                    [b"\xef\xbb\xbf".as_slice(), &to_windows_1252(&text)].concat()
                }
            };
        }
        "line-ends" => {
            let lf = text.replace("\r\n", "\n");
            let new = match rng.below(4) {
                0 => lf.replace('\n', "\r\n"),
                1 => lf.replace('\n', "\r"),
                2 => lf,
                _ => lf
                    .split('\n')
                    .enumerate()
                    .map(|(i, l)| format!("{l}{}", ["\n", "\r\n", "\r"][i % 3]))
                    .collect(),
            };
            *bytes = new.into_bytes();
        }
        "huge-field" => {
            let n = [1_000, 100_000, 2_000_000][rng.below(3)];
            let at = rng.below(bytes.len() + 1);
            let fill: Vec<u8> = match rng.below(3) {
                0 => vec![b'x'; n],
                1 => "9".repeat(n).into_bytes(),
                _ => [b"\"".as_slice(), &vec![b'a'; n], b"\"".as_slice()].concat(),
            };
            bytes.splice(at..at, fill);
        }
        "many-columns" => {
            let line = rng.below(4);
            let n = [50, 5_000, 20_000][rng.below(3)];
            let extra: String = (0..n).map(|i| format!(";c{i}")).collect();
            let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
            if let Some(l) = lines.get_mut(line) {
                let cr = l.ends_with('\r');
                let body = l.trim_end_matches('\r').to_string();
                *l = format!("{body}{extra}{}", if cr { "\r" } else { "" });
            }
            *bytes = lines.join("\n").into_bytes();
        }
        "quotes" => {
            for _ in 0..=rng.below(4) {
                let at = rng.below(bytes.len() + 1);
                let what = *rng.pick(&[b'"', b';', b'\t', b',', b'\n', 0u8]);
                bytes.insert(at, what);
            }
        }
        "duplicate-rows" => {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            if lines.len() > 1 {
                let row = lines[1 + rng.below(lines.len() - 1)];
                let n = rng.below(500);
                let mut t = text.clone();
                t.push_str(&row.repeat(n));
                *bytes = t.into_bytes();
            }
        }
        "toml" => {
            let broken = [
                "\n[[periode]]\nfase = \"pilot\"\nfra = 2025-13-45\n",
                "\nid = \"to\"\n",
                "\n[[periode]]\nfase = 3\n",
                "\n[[sporsmal]]\nkolonne = \"finnes ikke\"\nomrade = \"kapasitet\"\n",
                "\n[svarskala]\n\"Enig\" = \"mange\"\n",
                "\n[validering]\nmaks_karantene_andel = -1\n",
                "\n= \"\n",
                "\n[[arbeidsflyt]]\nsteg = 1\n",
                "\nenheter = []\n",
                "\u{0}\u{1}",
            ];
            bytes.extend_from_slice(rng.pick(&broken).as_bytes());
        }
        "sheet-xml" => {
            let rows = staffing_rows();
            let good = sheet_xml(&rows);
            let xml = match rng.below(8) {
                0 => good.replacen("</row>", "", 1),
                1 => good.replacen(r#"r="B2""#, r#"r="ZZZZZZZ99999999999""#, 1),
                2 => good.replacen(r#"r="C3""#, r#"r="XFD1048576""#, 1),
                3 => good.replace("sheetData", "sheetDaat"),
                4 => good[..rng.below(good.len())].to_string(),
                5 => good.replacen(r#"t="inlineStr""#, r#"t="s""#, 1),
                6 => good.replacen("<row r=\"3\">", "<row r=\"99999999999\">", 1),
                _ => good.replacen(
                    "<sheetData>",
                    r#"<dimension ref="A1:XFD1048576"/><sheetData>"#,
                    1,
                ),
            };
            *bytes = workbook_with_sheet(&xml);
        }
        _ => unreachable!(),
    }
    kind
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    text.encode_utf16()
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

/// Run the binary with a timeout. `None` when it had to be killed.
fn run_bounded(dir: &Path, args: &[&str]) -> Option<(Option<i32>, String)> {
    let mut child = crate::support::command(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read stderr on a thread so a chatty case cannot fill the pipe and stall.
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > CASE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stderr = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
    status.map(|s| (s.code(), stderr))
}

/// What went wrong in the run, by kind.
#[derive(Default, Debug)]
struct Figures {
    cases: usize,
    builds: usize,
    builds_ok: usize,
    exit: BTreeMap<i32, usize>,
    panics: Vec<String>,
    aborts: Vec<String>,
    hangs: Vec<String>,
    bad_exit: Vec<String>,
    accounting: Vec<String>,
    output_changed: Vec<String>,
}

impl Figures {
    fn violations(&self) -> usize {
        self.panics.len()
            + self.aborts.len()
            + self.hangs.len()
            + self.bad_exit.len()
            + self.accounting.len()
            + self.output_changed.len()
    }
}

/// Check a successful build's manifest: rows read = used + quarantined for every file, and
/// each used file's quarantine file holds exactly its quarantined rows.
fn check_accounting(out: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(out.join("manifest.json")).map_err(|e| e.to_string())?;
    let m: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let inputs = m["inputs"].as_array().ok_or("no inputs in manifest")?;
    for i in inputs {
        let path = i["path"].as_str().unwrap_or("?");
        let n = |k: &str| i[k].as_u64().unwrap_or(u64::MAX);
        let (read, used, q) = (n("rows_read"), n("rows_used"), n("rows_quarantined"));
        if read != used.saturating_add(q) {
            return Err(format!(
                "{path}: read {read} != used {used} + quarantined {q}"
            ));
        }
        if i["status"] == "brukt" && q > 0 {
            let rel = Path::new(path).with_extension("csv");
            let qfile = out.join("karantene").join(rel);
            let bytes = std::fs::read(&qfile)
                .map_err(|e| format!("{path}: {q} quarantined, but {} ({e})", qfile.display()))?;
            let records = csv::ReaderBuilder::new()
                .delimiter(b';')
                .flexible(true)
                .from_reader(bytes.as_slice())
                .records()
                .count() as u64;
            if records != q {
                return Err(format!(
                    "{path}: {q} quarantined, the quarantine file holds {records}"
                ));
            }
        }
    }
    Ok(())
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

#[test]
fn mutated_data_folders_never_panic_lose_rows_or_change_the_output_of_a_failed_build() {
    let cases = env_number("TSB_FUZZ_CASES", 240);
    let seed = env_number("TSB_FUZZ_SEED", 11);
    let only = std::env::var("TSB_FUZZ_ONLY")
        .ok()
        .and_then(|v| v.parse::<u64>().ok());
    let verbose = std::env::var_os("TSB_FUZZ_VERBOSE").is_some();

    // The base folder and one good build of it, copied into every build case.
    let base = base();
    let typst = stub_typst(&base);
    let failing = base
        .executable(
            "typst-failing",
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'typst 0.15.1 (stub)'; exit 0; fi\necho 'error: the stub typst fails' >&2\nexit 1\n",
        )
        .display()
        .to_string();
    let typst_failures = !std::env::var("TSB_FUZZ_TYPST_FAILS").is_ok_and(|v| v == "0");
    let r = base.run(&["build", "--typst", &typst]).code(0);
    assert!(r.stderr.contains("quarantined"), "{}", r.stderr);
    check_accounting(&base.path("output")).unwrap();

    let mut fig = Figures::default();
    let range: Vec<u64> = match only {
        Some(n) => vec![n],
        None => (0..cases).collect(),
    };
    for n in range {
        let mut rng = Rng(seed ^ n.wrapping_mul(0xA076_1D64_78BD_642F));
        let case = Project::new(&format!("fuzz-{n}"));
        copy_dir(&base.path("data"), &case.path("data"));
        std::fs::copy(base.path("tsb-report.toml"), case.path("tsb-report.toml")).unwrap();
        let mut described = Vec::new();
        let settings = rng.below(4) == 0;
        for _ in 0..=rng.below(3) {
            let files = mutable_files(&case.dir, settings);
            let file = rng.pick(&files).clone();
            let rel = file.strip_prefix(&case.dir).unwrap().display().to_string();
            if rng.below(40) == 0 {
                let _ = std::fs::remove_file(&file);
                described.push(format!("remove {rel}"));
                continue;
            }
            let Ok(mut bytes) = std::fs::read(&file) else {
                continue;
            };
            let kind = mutate(&mut rng, &rel, &mut bytes);
            std::fs::write(&file, bytes).unwrap();
            described.push(format!("{kind} {rel}"));
        }
        let is_build = n % 4 == 3;
        let label = format!("case {n} (seed {seed}): {}", described.join(", "));
        let before = if is_build {
            copy_dir(&base.path("output"), &case.path("output"));
            Some(snapshot(&case.path("output")))
        } else {
            None
        };
        // Opt-in: one build in four with a typst that fails (a failed run must still change
        // nothing under the output folder; see the module docs).
        let typst_fails = typst_failures && n % 16 == 15;
        let label = if typst_fails {
            format!("{label}, typst fails")
        } else {
            label
        };
        let args: Vec<&str> = if is_build {
            vec![
                "build",
                "--typst",
                if typst_fails { &failing } else { &typst },
            ]
        } else {
            vec!["check"]
        };
        fig.cases += 1;
        fig.builds += usize::from(is_build);
        let Some((code, stderr)) = run_bounded(&case.dir, &args) else {
            fig.hangs.push(label);
            continue;
        };
        let code = code.unwrap_or(-1);
        *fig.exit.entry(code).or_default() += 1;
        let tail = || stderr.lines().rev().take(6).collect::<Vec<_>>().join(" | ");
        if verbose {
            let first: String = stderr
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(160)
                .collect();
            eprintln!("{label}: exit {code}: {first}");
        }
        if stderr.contains("panicked") || code == 101 {
            fig.panics.push(format!("{label}: {}", tail()));
        } else if code == -1 || code == 134 || stderr.contains("memory allocation") {
            fig.aborts.push(format!("{label}: exit {code}: {}", tail()));
        } else if !(0..=2).contains(&code) {
            fig.bad_exit
                .push(format!("{label}: exit {code}: {}", tail()));
        }
        if let Some(before) = before {
            if code == 0 {
                fig.builds_ok += 1;
                if let Err(e) = check_accounting(&case.path("output")) {
                    fig.accounting.push(format!("{label}: {e}"));
                }
            } else {
                let after = snapshot(&case.path("output"));
                if after != before {
                    let changed: std::collections::BTreeSet<&String> = before
                        .keys()
                        .chain(after.keys())
                        .filter(|k| before.get(*k) != after.get(*k))
                        .collect();
                    fig.output_changed.push(format!(
                        "{label}: exit {code}, changed {changed:?}: {}",
                        tail()
                    ));
                }
            }
        }
        if only.is_some() {
            eprintln!(
                "{label}\nexit {code}\n{stderr}\nkept in {}",
                case.dir.display()
            );
            std::mem::forget(case);
        }
    }
    let mut report = String::new();
    let _ = writeln!(
        report,
        "fuzz: {} cases ({} builds, {} of them successful), seed {seed}; exit codes {:?}; panics {}, aborts {}, hangs {}, other exit codes {}, accounting violations {}, output-folder changes after failed builds {}",
        fig.cases,
        fig.builds,
        fig.builds_ok,
        fig.exit,
        fig.panics.len(),
        fig.aborts.len(),
        fig.hangs.len(),
        fig.bad_exit.len(),
        fig.accounting.len(),
        fig.output_changed.len()
    );
    for (what, list) in [
        ("panic", &fig.panics),
        ("abort", &fig.aborts),
        ("hang", &fig.hangs),
        ("exit", &fig.bad_exit),
        ("accounting", &fig.accounting),
        ("output changed", &fig.output_changed),
    ] {
        for l in list.iter().take(10) {
            let _ = writeln!(report, "  {what}: {l}");
        }
    }
    eprint!("{report}");
    assert_eq!(fig.violations(), 0, "{report}");
}
