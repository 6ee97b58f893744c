//! Tests: `watch` rebuilds by itself when data lands, keeps the last good documents when a
//! file breaks, rebuilds again when it is fixed, and stops cleanly on Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{LOG_HEADER, Project, log_lines, planted};

/// Generous bounds for a loaded CI machine: a liveness guard, not a timing assertion.
const WAIT: Duration = Duration::from_secs(180);

struct Watch {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Watch {
    fn start(p: &Project) -> Watch {
        let mut child = crate::support::command(&p.dir)
            .arg("watch")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("failed to start tsb-report watch");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Watch { child, lines }
    }

    /// Wait until a line after the first `from` lines satisfies `pred`; its index.
    fn wait_for(&self, from: usize, what: &str, pred: impl Fn(&str) -> bool) -> usize {
        let start = Instant::now();
        loop {
            {
                let lines = self.lines.lock().unwrap();
                if let Some(i) = lines.iter().skip(from).position(|l| pred(l)) {
                    return from + i;
                }
            }
            assert!(
                start.elapsed() < WAIT,
                "watch never printed {what}; it printed:\n{}",
                self.lines.lock().unwrap().join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn text(&self, from: usize) -> String {
        self.lines.lock().unwrap()[from..].join("\n")
    }

    fn count(&self) -> usize {
        self.lines.lock().unwrap().len()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn manifest_names(p: &Project, rel: &str) -> Option<u64> {
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.path("output/manifest.json")).ok()?)
            .ok()?;
    m["inputs"]
        .as_array()?
        .iter()
        .find(|i| i["path"] == rel)
        .and_then(|i| i["rows_read"].as_u64())
}

#[test]
fn watch_rebuilds_on_new_data_keeps_the_last_good_documents_on_a_broken_file_and_stops_on_ctrl_c() {
    let p = planted("watch").templates();
    let w = Watch::start(&p);
    let first = w.wait_for(0, "the first build", |l| l.starts_with("[first build]"));
    assert!(
        w.text(first).contains("rebuilt"),
        "the first build must typeset: {}",
        w.text(0)
    );
    let pdf_before = std::fs::read(p.path("output/rapport.pdf")).unwrap();

    // A new log lands in two writes: watch must wait for it to settle and read all 40 rows.
    let rel = "piloter/lar-sykepleier/ny-logg-uke16.csv";
    let path = p.path(&format!("data/{rel}"));
    let rows = log_lines(40);
    let header = LOG_HEADER;
    std::fs::write(&path, format!("{header}{}", rows[..20].concat())).unwrap();
    std::thread::sleep(Duration::from_millis(60));
    std::fs::write(&path, format!("{header}{}", rows.concat())).unwrap();
    let mark = w.count();
    let line = w.wait_for(mark, "a rebuild naming the new log", |l| {
        l.contains("ny-logg-uke16.csv") && l.contains("rebuilt")
    });
    assert!(
        w.text(line).contains("rapport.pdf"),
        "the line says what was rebuilt: {}",
        w.text(line)
    );
    assert_eq!(
        manifest_names(&p, rel),
        Some(40),
        "the manifest names the whole new file"
    );
    let pdf_after = std::fs::read(p.path("output/rapport.pdf")).unwrap();
    assert_ne!(pdf_before, pdf_after, "the report must follow the new data");

    // A broken file (its required columns missing): diagnostics printed, documents kept.
    let broken = p.path("data/piloter/lar-sykepleier/ødelagt.csv");
    std::fs::write(&broken, "hei;på;deg\n1;2;3\n").unwrap();
    let mark = w.count();
    let failed = w.wait_for(mark, "a failed rebuild", |l| l.contains("rebuild failed"));
    let printed = w.text(mark);
    assert!(
        printed.contains("ødelagt.csv") && printed.contains("error"),
        "the failing rebuild prints its diagnostics: {printed}"
    );
    assert!(failed >= mark);
    assert_eq!(
        std::fs::read(p.path("output/rapport.pdf")).unwrap(),
        pdf_after,
        "a failed rebuild keeps the last good report"
    );
    assert_eq!(
        manifest_names(&p, "piloter/lar-sykepleier/ødelagt.csv"),
        None
    );

    // Fixed: rebuilt again.
    std::fs::write(&broken, format!("{header}{}", log_lines(10).concat())).unwrap();
    let mark = w.count();
    w.wait_for(mark, "a rebuild after the fix", |l| {
        l.contains("ødelagt.csv") && l.contains("rebuilt")
    });
    assert_eq!(
        manifest_names(&p, "piloter/lar-sykepleier/ødelagt.csv"),
        Some(10)
    );

    // An Excel lock file and an editor temporary start no rebuild.
    let mark = w.count();
    std::fs::write(p.path("data/piloter/lar-sykepleier/~$logg.xlsx"), "lock").unwrap();
    std::fs::write(p.path("data/piloter/lar-sykepleier/.logg.csv.swp"), "swap").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        w.text(mark),
        "",
        "lock files and temporaries are not sources"
    );

    // Ctrl-C: a clean stop with exit code 0.
    let mut w = w;
    let status = Command::new("kill")
        .args(["-INT", &w.child.id().to_string()])
        .status()
        .expect("failed to run kill");
    assert!(status.success());
    let start = Instant::now();
    let code = loop {
        if let Some(s) = w.child.try_wait().unwrap() {
            break s.code();
        }
        assert!(start.elapsed() < WAIT, "watch did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    // Let the reader thread drain the last lines.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(code, Some(0), "{}", w.text(0));
    assert!(w.text(0).contains("stopped watching"), "{}", w.text(0));
}
