//! Tests: sample.
//!
//! The generator must be deterministic, write the data contract, and the bundled `data/`
//! must equal `generate(_, 1, 1)` byte for byte. Small runs use `generate_milli` (scale in
//! thousandths) to stay fast in a debug build.

use std::collections::BTreeMap;
use std::path::Path;

use tsb_report::sample::{generate, generate_milli};

use crate::support::{Project, repo};

/// Every file under `root`, by `/`-separated relative path.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.expect("walk"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(root)
                .expect("prefix")
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read(e.path()).expect("read"))
        })
        .collect()
}

fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let ka: Vec<&String> = ta.keys().collect();
    let kb: Vec<&String> = tb.keys().collect();
    assert_eq!(ka, kb, "file lists differ");
    for (k, v) in &ta {
        assert!(v == &tb[k], "{k} differs");
    }
}

#[test]
fn sample_same_seed_gives_identical_bytes() {
    let (pa, pb) = (Project::new("sample-same-a"), Project::new("sample-same-b"));
    let (a, b) = (&pa.dir, &pb.dir);
    let sa = generate_milli(a, 20, 7).expect("generate a");
    let sb = generate_milli(b, 20, 7).expect("generate b");
    assert_eq!(sa, sb);
    assert!(sa.log_rows > 2_000, "{sa:?}");
    assert_eq!(sa.files as usize, tree(a).len());
    assert_same_tree(a, b);
}

#[test]
fn sample_different_seeds_give_different_logs() {
    let (pa, pb) = (Project::new("sample-seed-a"), Project::new("sample-seed-b"));
    generate_milli(&pa.dir, 10, 1).expect("generate a");
    generate_milli(&pb.dir, 10, 2).expect("generate b");
    let (ta, tb) = (tree(&pa.dir), tree(&pb.dir));
    let p = "piloter/lar-sykepleier/logg-2025-04.csv";
    assert_ne!(ta[p], tb[p]);
    // the reference tables do not depend on the seed
    assert_eq!(ta["referanse/enheter.csv"], tb["referanse/enheter.csv"]);
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect()
}

/// The bundled sample never drifts from the generator; the content is what the contract asks.
#[test]
fn sample_bundled_data_matches_scale_1_seed_1() {
    let p = Project::new("sample-bundled");
    let dir = &p.dir;
    let s = generate(dir, 1, 1).expect("generate");
    let data = repo().join("data");
    assert_same_tree(dir, &data);
    assert!((180_000..=230_000).contains(&s.log_rows), "{s:?}");
    let t = tree(dir);

    assert!(
        String::from_utf8_lossy(&t["EKSEMPELDATA.md"])
            .contains("tsb-report sample --scale 1 --seed 1")
    );

    let foretak = csv_rows(&t["referanse/foretak.csv"]);
    assert_eq!(foretak[0], ["foretak_id", "navn", "eierskap", "alias"]);
    let ids: Vec<&str> = foretak[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["BKL", "HMR", "HNT", "STO", "TYR"]);

    let oppgaver = csv_rows(&t["referanse/oppgaver.csv"]);
    assert_eq!(oppgaver[0][2], "område");
    let mut omr: Vec<&str> = oppgaver[1..].iter().map(|r| r[2].as_str()).collect();
    omr.sort_unstable();
    omr.dedup();
    let mut want = [
        "behandling",
        "utredning",
        "medisinsk",
        "miljøterapi",
        "kommune",
        "pårørende",
        "frivillige",
        "dokumentasjon",
        "administrasjon",
        "annet",
    ];
    want.sort_unstable();
    assert_eq!(omr, want);

    let mut pilots = 0;
    for (path, bytes) in &t {
        if path.ends_with("/pilot.toml") {
            let v: toml::Table =
                toml::from_str(std::str::from_utf8(bytes).expect("utf-8")).expect(path);
            let perioder = v["periode"].as_array().expect("periode");
            assert_eq!(perioder.len(), 2, "{path}");
            assert!(
                v["arbeidsflyt"]
                    .as_array()
                    .is_some_and(|a| (2..=4).contains(&a.len()))
            );
            pilots += 1;
        }
        if path.ends_with(".kodebok.toml") {
            let _: toml::Table =
                toml::from_str(std::str::from_utf8(bytes).expect("utf-8")).expect(path);
        }
    }
    assert_eq!(pilots, 3);

    let utf16 = t
        .iter()
        .find(|(p, _)| p.starts_with("piloter/bolig-koordinator/") && p.ends_with(".txt"));
    assert!(utf16.expect("utf-16 log").1.starts_with(&[0xFF, 0xFE]));

    use calamine::{Reader, Xlsx, open_workbook};
    let mut wb: Xlsx<_> =
        open_workbook(dir.join("undersokelser/ansattundersokelse-2026.xlsx")).expect("xlsx");
    let range = wb.worksheet_range_at(0).expect("sheet").expect("range");
    let header: Vec<String> = range
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert!(header.iter().any(|h| h == "Navn"));
    assert!(header.iter().any(|h| h == "E-postadresse"));
    assert!(range.height() > 700);
    // the planted errors sit where EKSEMPELDATA.md says they do
    let note = String::from_utf8(t["EKSEMPELDATA.md"].clone()).expect("utf-8");
    let planted: Vec<&str> = note
        .lines()
        .filter(|l| l.starts_with("- `piloter/") && l.contains(", linje "))
        .collect();
    assert_eq!(planted.len(), 4, "{note}");
    for l in planted {
        let file = l.split('`').nth(1).expect("file");
        let line: usize = l
            .split("linje ")
            .nth(1)
            .and_then(|x| x.split(',').next())
            .expect("line")
            .parse()
            .expect("n");
        let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&t[file]);
        let text = if file.ends_with(".csv") && std::str::from_utf8(&t[file]).is_ok() {
            String::from_utf8(t[file].clone()).expect("utf-8")
        } else {
            text.into_owned()
        };
        let row = text.lines().nth(line - 1).expect("line exists");
        assert!(
            [
                "LAR Trondhiem",
                ";abc;",
                "04.07.2025",
                "Poliklinikk rus Moldde"
            ]
            .iter()
            .any(|m| row.contains(m)),
            "{file}:{line}: {row}"
        );
    }

    // erfaringskonsulent-poliklinikk: the new profession appears only in the pilot phase
    let mut minutes = [[0.0f64; 2]; 2];
    for (path, bytes) in &t {
        if !path.starts_with("piloter/erfaringskonsulent-poliklinikk/") || !path.ends_with(".csv") {
            continue;
        }
        let mut rd = csv::Reader::from_reader(bytes.as_slice());
        for r in rd.records() {
            let r = r.expect("record");
            let (Ok(m), fase) = (r[6].parse::<f64>(), usize::from(&r[3] == "pilot")) else {
                continue;
            };
            minutes[fase][usize::from(&r[4] == "erfaringskonsulent")] += m;
        }
    }
    assert_eq!(minutes[0][1], 0.0);
    let share = minutes[1][1] / (minutes[1][0] + minutes[1][1]);
    assert!((0.05..0.25).contains(&share), "{share}");
}

/// Rewrites the bundled `data/`: `cargo test --test integration sample_regenerate -- --ignored`.
#[test]
#[ignore]
fn sample_regenerate_bundled_data() {
    let data = repo().join("data");
    let _ = std::fs::remove_dir_all(&data);
    let s = generate(&data, 1, 1).expect("generate");
    eprintln!("{s:?}");
}

/// Timing of a large run: `SAMPLE_SCALE=50 cargo test --test integration sample_timing -- --ignored`.
#[test]
#[ignore]
fn sample_timing() {
    let scale: u32 = std::env::var("SAMPLE_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let p = Project::new("sample-timing");
    let t0 = std::time::Instant::now();
    let s = generate(&p.dir, scale, 1).expect("generate");
    eprintln!("scale {scale}: {s:?} in {:?}", t0.elapsed());
}
