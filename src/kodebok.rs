//! `tsb-report kodebok <export>` (data-contract §6.3): a draft codebook beside a survey
//! export, one that passes `check` as it stands.
//!
//! The draft names the detected shape (tool, encoding, delimiter, sheet), guesses
//! `respondent`, `innsendt`, `foretak`, `enhet`, `yrke` and `personkolonner`, a
//! `[svarskala]` from the answer values, and one commented-out `[[sporsmal]]` per remaining
//! column with its distinct values. It never prints a value of a person column or of a
//! free-text column (one with more distinct values than a scale would have), and it never
//! overwrites a file.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::ingest::headers::normalize;
use crate::ingest::values::{is_missing, parse_datetime};
use crate::ingest::{Format, RawTable};

/// More distinct values than this: a free-text (or id) column, whose values are never shown.
const MAX_SCALE_VALUES: usize = 12;

/// Headers that name personal data (normalised; a header containing one of these words).
const PERSON_WORDS: [&str; 16] = [
    "e post",
    "epost",
    "e postadresse",
    "email",
    "e mail",
    "navn",
    "name",
    "fornavn",
    "etternavn",
    "telefon",
    "mobil",
    "phone",
    "adresse",
    "address",
    "fødselsdato",
    "birth",
];

const RESPONDENT_HEADERS: [&str; 9] = [
    "$submission id",
    "submission id",
    "nr",
    "id",
    "respondent",
    "respondent id",
    "respondentid",
    "svar id",
    "response id",
];

const SUBMITTED_HEADERS: [&str; 9] = [
    "$created",
    "fullføringstidspunkt",
    "completion time",
    "innsendt",
    "opprettet",
    "submitted",
    "levert",
    "tidspunkt",
    "dato",
];

/// Norwegian and English agreement scales: (label, score, always written), "mangler" as
/// `None`. A variant label (not always written) is written only where the answers use it.
type Scale = &'static [(&'static str, Option<u8>, bool)];
const SCALES: [Scale; 2] = [
    &[
        ("Helt uenig", Some(1), true),
        ("Uenig", Some(2), true),
        ("Litt uenig", Some(2), false),
        ("Verken enig eller uenig", Some(3), true),
        ("Hverken enig eller uenig", Some(3), false),
        ("Nøytral", Some(3), false),
        ("Litt enig", Some(4), false),
        ("Enig", Some(4), true),
        ("Helt enig", Some(5), true),
        ("Vet ikke", None, true),
        ("Ikke relevant", None, false),
    ],
    &[
        ("Strongly disagree", Some(1), true),
        ("Disagree", Some(2), true),
        ("Neither agree nor disagree", Some(3), true),
        ("Neutral", Some(3), false),
        ("Agree", Some(4), true),
        ("Strongly agree", Some(5), true),
        ("Don't know", None, true),
        ("Do not know", None, false),
        ("Not applicable", None, false),
    ],
];

/// Write the draft codebook for `export`; returns its path. Never overwrites.
pub fn draft(export: &Path) -> Result<PathBuf> {
    let name = export
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (stem, ext) = name
        .rsplit_once('.')
        .map_or((name.as_str(), ""), |(s, e)| (s, e));
    let format = Format::from_extension(ext).with_context(|| {
        format!(
            "failed to draft a codebook for `{}` (expected a .csv, .tsv, .txt or .xlsx export)",
            export.display()
        )
    })?;
    let target = export.with_file_name(format!("{stem}.kodebok.toml"));
    if target.exists() {
        return Err(crate::diag::hinted(
            format!(
                "failed to write `{}` (the file exists; a draft never overwrites a codebook)",
                target.display()
            ),
            "move the existing codebook away first if you want a new draft",
        ));
    }
    let bytes = crate::fsx::read(export)?;
    let display = export.display().to_string();
    let (table, shape, sheet) = read_export(&display, &bytes, format)?;
    let mut labels = tool_labels(export.parent().unwrap_or(Path::new(".")));
    if sheet.is_some() {
        sheet_labels(&display, &bytes, &mut labels);
    }
    let reference = reference_units(export);
    let skip = table.header_line - 1;
    let mut text = render(stem, &table, &shape, sheet.as_deref(), &labels, &reference);
    if skip > 0 {
        // Before the `[svarskala]` table, among the top-level keys.
        text = text.replacen(
            "type = \"ansatt\"",
            &format!("topplinjer = {skip}                  # title lines before the header\ntype = \"ansatt\""),
            1,
        );
    }
    // `create_new`: never over a file that appeared meanwhile.
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&target)
        .with_context(|| format!("failed to write `{}`", target.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("failed to write `{}`", target.display()))?;
    Ok(target)
}

/// Read the export: its table (after any title lines), its shape in words (encoding,
/// delimiter or sheet) and the sheet read, if a workbook.
fn read_export(
    display: &str,
    bytes: &[u8],
    format: Format,
) -> Result<(RawTable, String, Option<String>)> {
    let mut shape = String::new();
    let (table, sheet) = match format {
        Format::Delimited => {
            let (t, d) = crate::ingest::read_table_with_dialect(display, bytes, format, None)
                .map_err(|d| anyhow::anyhow!("{}: {}", d.location(), d.message))?;
            let skip = title_lines(&t, |s| {
                crate::ingest::read_table_skipping(display, bytes, format, None, s).ok()
            });
            let (t, d) = match skip {
                Some((t, s)) => {
                    if let Some(d) = d {
                        let _ = write!(shape, "{}, ", d.encoding);
                    }
                    let _ = write!(shape, "{s} title lines before the header");
                    (t, None)
                }
                None => (t, d),
            };
            if let Some(d) = d {
                let delim = match d.delimiter {
                    '\t' => "TAB".to_string(),
                    c => format!("`{c}`"),
                };
                let _ = write!(shape, "{}, delimiter {delim}", d.encoding);
            }
            (t, None)
        }
        Format::Xlsx => {
            let sheet = data_sheet(bytes);
            let t = crate::ingest::read_table(display, bytes, format, sheet.as_deref())
                .map_err(|d| anyhow::anyhow!("{}: {}", d.location(), d.message))?;
            let t = match title_lines(&t, |s| {
                crate::ingest::read_table_skipping(display, bytes, format, sheet.as_deref(), s).ok()
            }) {
                Some((t, s)) => {
                    let _ = write!(shape, "{s} title rows before the header; ");
                    t
                }
                None => t,
            };
            shape.push_str("Excel workbook");
            if let Some(s) = &sheet {
                let _ = write!(shape, ", sheet `{s}`");
            }
            (t, sheet)
        }
    };
    Ok((table, shape, sheet))
}

/// Value labels from the `Labels` sheet of a SurveyXact workbook, added to `labels`.
fn sheet_labels(display: &str, bytes: &[u8], labels: &mut BTreeMap<String, String>) {
    // SurveyXact's workbook carries its own value labels on sheet `Labels`.
    if let Ok(t) = crate::ingest::read_table(display, bytes, Format::Xlsx, Some("Labels")) {
        for row in std::iter::once(&t.headers)
            .map(|h| h.iter().map(String::as_str).collect::<Vec<_>>())
            .chain(
                t.rows
                    .iter()
                    .map(|r| r.fields.iter().map(|f| f.as_str()).collect()),
            )
        {
            for w in row.windows(2) {
                let (code, label) = (w[0].trim(), w[1].trim());
                if !code.is_empty()
                    && code.bytes().all(|b| b.is_ascii_digit())
                    && !label.is_empty()
                    && label.parse::<f64>().is_err()
                {
                    labels
                        .entry(code.to_string())
                        .or_insert_with(|| label.to_string());
                }
            }
        }
    }
}

/// How many cells of a record are not empty.
fn filled(cells: &[impl AsRef<str>]) -> usize {
    cells
        .iter()
        .filter(|c| !c.as_ref().trim().is_empty())
        .count()
}

/// Title lines before the header (a statistics download): when the first line holds fewer
/// cells than the records typically do, the smallest skip whose header is as wide as the
/// records. Returns the table read with it and the number of lines before its header.
fn title_lines(t: &RawTable, read: impl Fn(u64) -> Option<RawTable>) -> Option<(RawTable, u64)> {
    let typical = |t: &RawTable| {
        let mut w: Vec<usize> = t.rows.iter().map(|r| filled(&r.fields)).collect();
        w.sort_unstable();
        w.get(w.len() / 2).copied().unwrap_or(0)
    };
    let wide = |t: &RawTable| filled(&t.headers) >= 2 && filled(&t.headers) >= typical(t);
    if wide(t) {
        return None;
    }
    (1..=10).find_map(|s| {
        let t = read(s)?;
        wide(&t).then(|| {
            let before = t.header_line - 1;
            (t, before)
        })
    })
}

/// SurveyXact's workbook has its data on sheet `Dataset` (beside `Labels` and `Structure`).
fn data_sheet(bytes: &[u8]) -> Option<String> {
    use calamine::Reader;
    let wb = calamine::Xlsx::new(std::io::Cursor::new(bytes)).ok()?;
    let names = wb.sheet_names();
    if names.len() > 1 {
        names.into_iter().find(|n| normalize(n) == "dataset")
    } else {
        None
    }
}

/// The first unit of the reference table beside the data folder the export sits in
/// (`data/undersokelser/x.csv` → `data/referanse/enheter.csv`), as (foretak id, enhet id).
fn reference_units(export: &Path) -> Option<(String, String)> {
    let dir = export.parent()?.parent()?.join("referanse");
    let bytes = std::fs::read(dir.join("enheter.csv")).ok()?;
    let t = crate::ingest::read_table("enheter.csv", &bytes, Format::Delimited, None).ok()?;
    let col = |name: &str| t.headers.iter().position(|h| normalize(h) == name);
    let (e, f) = (col("enhet id")?, col("foretak id")?);
    let row = t.rows.first()?;
    Some((
        row.fields.get(f)?.as_str().to_string(),
        row.fields.get(e)?.as_str().to_string(),
    ))
}

/// Value labels from a survey tool's own codebook lying beside the export: Nettskjema's
/// `codebook-*.txt` (`<code><TAB><label>` lines) or SPSS syntax `*.sps`
/// (`VALUE LABELS var 1 'label' 2 'label'.`). Code → label, the first seen.
fn tool_labels(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut files: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| crate::discover::is_tool_codebook(&n.to_string_lossy()))
        })
        .collect();
    files.sort();
    for f in files {
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        let Ok((text, _)) = crate::ingest::decode::decode(&bytes) else {
            continue;
        };
        if f.extension().is_some_and(|e| e.eq_ignore_ascii_case("sps")) {
            sps_labels(&text, &mut out);
        } else {
            for line in text.lines() {
                if let Some((code, label)) = line.split_once('\t') {
                    let (code, label) = (code.trim(), label.trim());
                    if !code.is_empty()
                        && code.bytes().all(|b| b.is_ascii_digit())
                        && !label.is_empty()
                    {
                        out.entry(code.to_string())
                            .or_insert_with(|| label.to_string());
                    }
                }
            }
        }
    }
    out
}

/// The code → label pairs of every `VALUE LABELS` command of SPSS syntax.
fn sps_labels(text: &str, out: &mut BTreeMap<String, String>) {
    let upper = text.to_uppercase();
    let mut at = 0;
    while let Some(i) = upper[at..].find("VALUE LABELS") {
        let start = at + i + "VALUE LABELS".len();
        // The command ends at a `.` outside quotes that ends a line.
        let rest = &text[start..];
        let mut end = rest.len();
        let mut quote: Option<char> = None;
        let chars: Vec<(usize, char)> = rest.char_indices().collect();
        for (k, (pos, c)) in chars.iter().enumerate() {
            match (quote, *c) {
                (Some(q), c) if c == q => quote = None,
                (None, '\'' | '"') => quote = Some(*c),
                (None, '.') => {
                    let next = chars.get(k + 1).map(|x| x.1);
                    if next.is_none_or(|n| n == '\n' || n == '\r') {
                        end = *pos;
                        break;
                    }
                }
                _ => {}
            }
        }
        let body = &rest[..end];
        // Tokens: codes followed by quoted labels; other words are variable names or `/`.
        let mut last_code: Option<String> = None;
        let mut it = body.char_indices().peekable();
        while let Some((_, c)) = it.next() {
            if c == '\'' || c == '"' {
                let mut label = String::new();
                for (_, d) in it.by_ref() {
                    if d == c {
                        break;
                    }
                    label.push(d);
                }
                if let Some(code) = last_code.take() {
                    out.entry(code).or_insert(label);
                }
            } else if c.is_ascii_digit() {
                let mut code = c.to_string();
                while let Some((_, d)) = it.peek() {
                    if d.is_ascii_digit() {
                        code.push(*d);
                        it.next();
                    } else {
                        break;
                    }
                }
                last_code = Some(code);
            } else if !c.is_whitespace() {
                last_code = None;
                while let Some((_, d)) = it.peek() {
                    if d.is_whitespace() {
                        break;
                    }
                    it.next();
                }
            }
        }
        at = start + end;
    }
}

fn is_email(v: &str) -> bool {
    let Some((user, host)) = v.split_once('@') else {
        return false;
    };
    !user.is_empty() && host.contains('.') && !v.contains(char::is_whitespace)
}

fn is_phone(v: &str) -> bool {
    let digits = v.chars().filter(char::is_ascii_digit).count();
    (8..=12).contains(&digits)
        && v.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'))
}

/// True when a header names personal data, or most of the column's values look like e-mail
/// addresses or phone numbers.
fn is_person_column(header: &str, values: &[&str]) -> bool {
    let h = normalize(header);
    let words: Vec<&str> = h.split(' ').collect();
    if PERSON_WORDS.iter().any(|p| {
        let pw: Vec<&str> = p.split(' ').collect();
        words.windows(pw.len()).any(|w| w == pw.as_slice())
    }) || h.contains("e-post")
        || h.contains("epost")
    {
        return true;
    }
    let filled: Vec<&&str> = values.iter().filter(|v| !v.trim().is_empty()).collect();
    !filled.is_empty()
        && filled
            .iter()
            .filter(|v| is_email(v.trim()) || is_phone(v.trim()))
            .count()
            * 2
            > filled.len()
}

/// A TOML basic string.
fn q(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value as it may stand in a comment: one line.
fn shown(s: &str) -> String {
    crate::diag::cell_text(s)
}

/// Which tool wrote the export, from its headers.
fn tool(headers: &[String]) -> &'static str {
    let n: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
    let has = |x: &str| n.iter().any(|h| h == x);
    if has("$submission id") || has("$created") {
        "Nettskjema (CSV/Excel report)"
    } else if has("completion time") || has("fullføringstidspunkt") {
        "Microsoft Forms"
    } else if has("nr") && (has("opprettet") || has("endret")) {
        "Nettskjema (legacy export)"
    } else if n
        .iter()
        .all(|h| !h.contains(' ') || h.chars().filter(|c| *c == ' ').count() <= 1)
        && !n.iter().any(|h| SUBMITTED_HEADERS.contains(&h.as_str()))
    {
        "SurveyXact or another tool heading columns by variable name"
    } else {
        "a generic export (Questback, Excel)"
    }
}

/// The values of column `i`, one per record (`""` where a record is short).
fn column(t: &RawTable, i: usize) -> Vec<&str> {
    t.rows
        .iter()
        .map(|r| r.fields.get(i).map_or("", |f| f.as_str()))
        .collect()
}

/// The columns the draft recognises: persons, respondent id, submission time, health trust,
/// unit and profession.
struct Guesses {
    person: Vec<usize>,
    respondent: Option<usize>,
    innsendt: Option<usize>,
    foretak: Option<usize>,
    enhet: Option<usize>,
    yrke: Option<usize>,
}

impl Guesses {
    /// Every column recognised as something: not a question.
    fn taken(&self) -> BTreeSet<usize> {
        [
            self.respondent,
            self.innsendt,
            self.foretak,
            self.enhet,
            self.yrke,
        ]
        .into_iter()
        .flatten()
        .chain(self.person.iter().copied())
        .collect()
    }
}

/// Guess the recognised columns from the headers and values.
fn guess(t: &RawTable) -> Guesses {
    let find = |names: &[&str]| -> Option<usize> {
        names.iter().find_map(|n| {
            t.headers
                .iter()
                .position(|h| normalize(h) == *n && !h.is_empty())
        })
    };
    let find_word = |words: &[&str]| -> Option<usize> {
        t.headers.iter().position(|h| {
            let n = normalize(h);
            words
                .iter()
                .any(|w| n.split([' ', '?', ':']).any(|x| x == *w))
        })
    };
    let person: Vec<usize> = (0..t.headers.len())
        .filter(|i| !t.headers[*i].is_empty() && is_person_column(&t.headers[*i], &column(t, *i)))
        .collect();
    let unique = |i: usize| {
        let v = column(t, i);
        let mut seen = BTreeSet::new();
        v.iter().all(|x| !x.is_empty() && seen.insert(*x))
    };
    let respondent = find(&RESPONDENT_HEADERS).filter(|i| !person.contains(i) && unique(*i));
    let innsendt = find(&SUBMITTED_HEADERS).filter(|i| {
        !person.contains(i)
            && column(t, *i)
                .iter()
                .all(|v| parse_datetime(strip_offset(v)).is_ok())
            && column(t, *i).iter().any(|v| !is_missing(v))
    });
    Guesses {
        respondent,
        innsendt,
        foretak: find_word(&["foretak", "helseforetak", "trust", "arbeidsgiver"]),
        enhet: find_word(&["enhet", "avdeling", "unit", "department", "poliklinikk"]),
        yrke: find_word(&["yrke", "yrkesgruppe", "profesjon", "profession", "stilling"]),
        person,
    }
}

fn render(
    stem: &str,
    t: &RawTable,
    shape: &str,
    sheet: Option<&str>,
    labels: &BTreeMap<String, String>,
    reference: &Option<(String, String)>,
) -> String {
    let g = guess(t);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Draft codebook for `{stem}`, written by `tsb-report kodebok` (data-contract §6.3)."
    );
    let _ = writeln!(out, "# Detected: {}; {shape}.", tool(&t.headers));
    out.push_str(
        "# Check every guess, map the questions you need to an area (`omrade`, `retning`) or a\n\
         # measure (`maal`) by removing the `#` before their entry, and run `tsb-report check`.\n\n",
    );
    out.push_str("type = \"ansatt\"                 # \"ansatt\" (staff survey) or \"enhet\"\n");
    if let Some(s) = sheet {
        let _ = writeln!(out, "ark = {}", q(s));
    }
    let _ = writeln!(
        out,
        "# serie = {}   # default: the file name without a trailing year or date",
        q(&crate::validate::surveys::default_series(stem))
    );
    write_columns(&mut out, t, &g, reference);
    let (columns, all_values) = question_values(t, &g.taken());
    write_scale(&mut out, &all_values, labels);
    write_questions(&mut out, t, columns);
    out
}

/// The top-level keys naming the recognised columns (or a fixed value where none is found).
fn write_columns(
    out: &mut String,
    t: &RawTable,
    g: &Guesses,
    reference: &Option<(String, String)>,
) {
    match g.respondent {
        Some(i) => {
            let _ = writeln!(out, "respondent = {}", q(&t.headers[i]));
        }
        None => out.push_str(
            "# respondent: no id column found; each submission is known by its line number\n",
        ),
    }
    match g.innsendt {
        Some(i) => {
            let _ = writeln!(out, "innsendt = {}", q(&t.headers[i]));
            out.push_str(
                "# runde = \"2026-03\"            # default: the median submission date\n",
            );
        }
        None => {
            let _ = writeln!(
                out,
                "runde = {}                # CHANGE: the month the survey ran (no submission dates found)",
                q(&this_month())
            );
        }
    }
    let place = |c: Option<usize>, key: &str, fixed: Option<&str>, out: &mut String| match (
        c, fixed,
    ) {
        (Some(i), _) => {
            let _ = writeln!(out, "{key} = {}", q(&t.headers[i]));
        }
        (None, Some(v)) => {
            let _ = writeln!(
                out,
                "{key} = {{ fast = {} }}     # CHANGE: no column found; the value for every row",
                q(v)
            );
        }
        (None, None) => {
            let _ = writeln!(
                out,
                "{key} = {{ fast = \"\" }}     # CHANGE: no column found; give the value for every row"
            );
        }
    };
    let (ref_f, ref_e) = match reference {
        Some((f, e)) => (Some(f.as_str()), Some(e.as_str())),
        None => (None, None),
    };
    place(g.foretak, "foretak", ref_f, out);
    place(g.enhet, "enhet", ref_e, out);
    match g.yrke {
        Some(i) => {
            let _ = writeln!(out, "yrke = {}", q(&t.headers[i]));
        }
        None => out.push_str("# yrke = \"Yrkesgruppe\"          # no profession column found\n"),
    }
    let persons: Vec<String> = g.person.iter().map(|i| q(&t.headers[*i])).collect();
    let _ = writeln!(
        out,
        "personkolonner = [{}]   # dropped at read, never stored",
        persons.join(", ")
    );
}

/// The question columns (those not `taken`) with their distinct values, `None` for free text
/// (too many values, never shown); and every value shown, for the scale.
#[allow(clippy::type_complexity)]
fn question_values(
    t: &RawTable,
    taken: &BTreeSet<usize>,
) -> (Vec<(usize, Option<Vec<String>>)>, BTreeSet<String>) {
    let mut columns: Vec<(usize, Option<Vec<String>>)> = Vec::new();
    let mut all_values: BTreeSet<String> = BTreeSet::new();
    for i in 0..t.headers.len() {
        if taken.contains(&i) || t.headers[i].is_empty() {
            continue;
        }
        let mut distinct: BTreeSet<&str> = BTreeSet::new();
        let mut free = false;
        let mut filled = 0;
        for v in column(t, i) {
            let v = v.trim();
            if is_missing(v) {
                continue;
            }
            filled += 1;
            distinct.insert(v);
            if distinct.len() > MAX_SCALE_VALUES || v.chars().count() > 60 {
                free = true;
                break;
            }
        }
        // Every answer different (four or more): free text, an id or a time, never a scale.
        free |= filled >= 4 && distinct.len() == filled;
        if free {
            columns.push((i, None));
        } else {
            all_values.extend(distinct.iter().map(|v| v.to_string()));
            columns.push((i, Some(distinct.into_iter().map(String::from).collect())));
        }
    }
    (columns, all_values)
}

/// `[svarskala]`: the agreement scale the answers use most, or numeric codes 1–5 with the
/// tool's labels as comments.
fn write_scale(out: &mut String, all_values: &BTreeSet<String>, labels: &BTreeMap<String, String>) {
    out.push_str("\n[svarskala]                     # answer → score (1–5), or \"mangler\"\n");
    let normalized: BTreeSet<String> = all_values.iter().map(|v| normalize(v)).collect();
    let scale = SCALES
        .iter()
        .map(|s| {
            (
                s.iter()
                    .filter(|(l, _, _)| normalized.contains(&normalize(l)))
                    .count(),
                s,
            )
        })
        .max_by_key(|(n, _)| *n)
        .filter(|(n, _)| *n >= 2)
        .map(|(_, s)| s);
    if let Some(s) = scale {
        for (label, score, always) in s.iter() {
            let value = score.map_or("\"mangler\"".to_string(), |x| x.to_string());
            let used = *always || normalized.contains(&normalize(label));
            let _ = writeln!(
                out,
                "{}{} = {value}",
                if used { "" } else { "# " },
                q(label)
            );
        }
        return;
    }
    let codes: BTreeSet<u32> = all_values
        .iter()
        .filter_map(|v| v.trim().parse::<u32>().ok())
        .filter(|c| (1..=5).contains(c))
        .collect();
    if codes.len() < 3 {
        out.push_str("# no agreement scale recognised in the answers\n");
        return;
    }
    out.push_str("# Numeric answer codes are read as scores 1–5 as they stand.\n");
    for c in 1..=9u32 {
        let label = labels.get(&c.to_string());
        if c <= 5 {
            let _ = writeln!(
                out,
                "{} = {c}{}",
                q(&c.to_string()),
                label.map_or(String::new(), |l| format!("   # {}", shown(l)))
            );
        } else if let Some(l) = label {
            let _ = writeln!(
                out,
                "# {} = \"mangler\"   # {}",
                q(&c.to_string()),
                shown(l)
            );
        }
    }
}

/// One commented-out `[[sporsmal]]` per question column, with its values where shown.
fn write_questions(out: &mut String, t: &RawTable, columns: Vec<(usize, Option<Vec<String>>)>) {
    out.push_str(
        "\n# One entry per remaining column. For a Likert item: omrade = one of kapasitet,\n\
         # rekruttering, beholde, oppgavedeling, kompetansebruk, teknologi, kommune, pårørende,\n\
         # overganger, and retning = \"positiv\" or \"utfordring\". For a measure:\n\
         # maal = \"tid_andre_kunne_gjort_pst\" or \"vurderer_å_slutte\".\n",
    );
    for (i, values) in columns {
        out.push('\n');
        out.push_str("# [[sporsmal]]\n");
        let _ = writeln!(out, "# kolonne = {}", q(&t.headers[i]));
        match values {
            None => out.push_str("# (free text or many values: not shown)\n"),
            Some(v) if v.is_empty() => out.push_str("# (no answers)\n"),
            Some(v) => {
                let shown: Vec<String> = v.iter().map(|x| format!("`{}`", shown(x))).collect();
                let _ = writeln!(out, "# values: {}", shown.join(", "));
            }
        }
        out.push_str("# omrade = \"kapasitet\"\n# retning = \"utfordring\"\n");
    }
}

/// The current month, `yyyy-mm` (UTC).
fn this_month() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    let d = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Days::new(days);
    d.format("%Y-%m").to_string()
}

/// An ISO timestamp's UTC offset removed (`…T20:57:15+02:00` → `…T20:57:15`).
fn strip_offset(v: &str) -> &str {
    let t = v.trim();
    match t.find('T') {
        Some(p) => {
            let time = &t[p + 1..];
            let cut = time
                .strip_suffix('Z')
                .map(str::len)
                .or_else(|| time.rfind(['+', '-']).filter(|i| *i > 0));
            cut.map_or(t, |c| &t[..p + 1 + c])
        }
        None => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_columns_from_headers_and_values() {
        assert!(is_person_column("E-postadresse", &[]));
        assert!(is_person_column("Email", &[]));
        assert!(is_person_column("Fornavn", &[]));
        assert!(!is_person_column("Enhet", &["A", "B"]));
        assert!(is_person_column(
            "q9",
            &["kari@example.no", "ola@example.no", ""]
        ));
        assert!(is_person_column("kontakt", &["+47 912 34 567", "91234568"]));
        assert!(!is_person_column("q1", &["1", "2", "3"]));
    }

    #[test]
    fn sps_value_labels() {
        let mut m = BTreeMap::new();
        sps_labels(
            "VARIABLE LABELS q1 'Nok ansatte'.\nVALUE LABELS q1 q2 1 'Helt uenig' 2 'Uenig'\n 3 'Verken enig eller uenig' /q3 9 'Vet ikke'.\nEXECUTE.\n",
            &mut m,
        );
        assert_eq!(m.get("1").map(String::as_str), Some("Helt uenig"));
        assert_eq!(
            m.get("3").map(String::as_str),
            Some("Verken enig eller uenig")
        );
        assert_eq!(m.get("9").map(String::as_str), Some("Vet ikke"));
    }
}
