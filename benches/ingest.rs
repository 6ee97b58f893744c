//! Throughput of the delimited reader: ~50 MB of realistic `;` CSV (an activity log in the
//! Norwegian Excel dialect), read from memory as UTF-8 and as Windows-1252, in MB/s.
//!
//! `cargo bench --bench ingest` (release) or `cargo bench --profile dev --bench ingest`.
//! `TSB_BENCH_MB` sets the size.

use std::time::Instant;

use tsb_report::ingest::{Format, read_table};

/// A small deterministic generator, so every run reads the same bytes.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

fn generate(target_bytes: usize) -> (String, usize) {
    let foretak = [
        "St. Olavs hospital HF",
        "Helse Møre og Romsdal HF",
        "Helse Nord-Trøndelag HF",
        "Blå Kors Lade",
    ];
    let enheter = [
        "LAR Trondheim",
        "Poliklinikk rus Ålesund",
        "Døgnenhet Levanger",
        "Avrusning Østmarka",
    ];
    let yrker = [
        "sykepleier",
        "legespesialist",
        "psykolog",
        "erfaringskonsulent",
        "miljøarbeider",
    ];
    let oppgaver = [
        "LAR-oppfølging",
        "Samtale med pårørende",
        "Koordinering med kommunen",
        "Journalføring",
        "Utredning",
    ];
    let kommentarer = [
        "",
        "",
        "",
        "ok",
        "Pasienten møtte ikke; ringt opp igjen",
        "\"Akutt\" innleggelse,\nfulgt opp neste dag",
    ];
    let mut rng = Lcg(42);
    let mut s = String::with_capacity(target_bytes + 256);
    s.push_str("dato;foretak;enhet;fase;yrke;oppgave;minutter;pasient;utført_av;kommentar;;;\r\n");
    let mut rows = 0;
    while s.len() < target_bytes {
        let day = 1 + rng.next() % 28;
        let month = 1 + rng.next() % 6;
        let komm = rng.pick(&kommentarer);
        let komm = if komm.contains(['"', ';', '\n']) {
            format!("\"{}\"", komm.replace('"', "\"\""))
        } else {
            komm.to_string()
        };
        s.push_str(&format!(
            "{day:02}.{month:02}.2025;{};{};{};{};{};{},{};P{:05};A{:04};{komm};;;\r\n",
            rng.pick(&foretak),
            rng.pick(&enheter),
            if month < 3 { "før" } else { "pilot" },
            rng.pick(&yrker),
            rng.pick(&oppgaver),
            5 + rng.next() % 115,
            rng.next() % 10,
            rng.next() % 100_000,
            rng.next() % 10_000,
        ));
        rows += 1;
    }
    (s, rows)
}

fn measure(name: &str, bytes: &[u8], rows: usize) {
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let start = Instant::now();
        let table =
            read_table("bench.csv", bytes, Format::Delimited, None).expect("bench input reads");
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(table.rows.len(), rows);
        best = best.min(secs);
    }
    let mb = bytes.len() as f64 / 1e6;
    println!(
        "{name:>13}: {mb:.1} MB in {best:.3} s = {:.1} MB/s",
        mb / best
    );
}

fn main() {
    let mb: usize = std::env::var("TSB_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let (text, rows) = generate(mb * 1_000_000);
    let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    println!("{rows} rows, {} columns", 10);
    measure("UTF-8", text.as_bytes(), rows);
    measure("Windows-1252", &latin, rows);
}
