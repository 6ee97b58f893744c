//! Glyphs: which characters the documents' fonts can show, and what happens to the others.
//!
//! Consumes the rendered Typst and SVG files and the fonts the documents are set in (the
//! ones typst embeds, listed in `glyphs/typst-embedded.txt`, plus every font file of the
//! shipped font folder, `report-templates/fonts/`); produces the same files with every
//! character no font has replaced by [`MARKER`], and one warning per file naming those
//! characters. Under PDF/A typst refuses a character no font has, so without this step a
//! pilot named `Pilot 🚀` would pass `check` and fail `build`; with it, `check` and `build`
//! agree on data, and a character no shipped font has is visible in the PDF as □.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;

/// What a character no shipped font has is printed as (U+25A1 WHITE SQUARE, which the
/// embedded DejaVu Sans Mono has).
pub const MARKER: char = '\u{25A1}';

/// The fonts shipped with the tool (`report-templates/fonts/`), built into the binary so
/// that a project without its own template folder has them too. See
/// `report-templates/fonts/README.md` for their sources and licences.
pub const BUILTIN_FONTS: &[(&str, &[u8])] = &[
    (
        "DroidSansFallbackFull.ttf",
        include_bytes!("../report-templates/fonts/DroidSansFallbackFull.ttf"),
    ),
    (
        "NotoEmoji-Regular.ttf",
        include_bytes!("../report-templates/fonts/NotoEmoji-Regular.ttf"),
    ),
];

/// The SHA-256 of each of [`BUILTIN_FONTS`], in the same order (a test checks them), so a
/// run does not hash 4.9 MB of fonts to key its documents.
const BUILTIN_FONT_SHAS: [&str; 2] = [
    "acb6440a713d880a13a21b468ba7cd43f5a2b2934972e51be791c880730777b8",
    "24aaa2a20c9c06ffe9bf04284bfd1f14376a329d10122f902abe2770817eb504",
];

/// Whether the file at `path` holds one of the built-in fonts (which every run already has),
/// compared a block at a time so a copy of one is never read into memory whole.
fn is_builtin_font_file(path: &Path) -> bool {
    use std::io::Read;
    let Ok(len) = std::fs::metadata(path).map(|m| m.len()) else {
        return false;
    };
    let candidates: Vec<&[u8]> = BUILTIN_FONTS
        .iter()
        .map(|(_, b)| *b)
        .filter(|b| b.len() as u64 == len)
        .collect();
    if candidates.is_empty() {
        return false;
    }
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut buf = vec![0u8; 1 << 16];
    candidates.into_iter().any(|builtin| {
        use std::io::Seek;
        if file.seek(std::io::SeekFrom::Start(0)).is_err() {
            return false;
        }
        let mut at = 0;
        loop {
            match file.read(&mut buf) {
                Ok(0) => return at == builtin.len(),
                Ok(n) => {
                    if builtin.get(at..at + n) != Some(&buf[..n]) {
                        return false;
                    }
                    at += n;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    })
}

/// The font files of `dir` that are not copies of a built-in font (the shipped template
/// folder holds copies of them), by name, sorted.
fn own_font_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    font_files_where(dir, |p| !is_builtin_font_file(p))
}

/// Code point ranges of the fonts typst embeds (Libertinus Serif, New Computer Modern,
/// DejaVu Sans Mono), one `first-last` pair of hex numbers a line.
const EMBEDDED: &str = include_str!("glyphs/typst-embedded.txt");

/// A set of characters, as sorted, disjoint, inclusive ranges of code points.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    ranges: Vec<(u32, u32)>,
}

impl Coverage {
    /// The characters of the fonts typst embeds.
    pub fn embedded() -> Coverage {
        let mut c = Coverage::default();
        for line in EMBEDDED.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (a, b) = line.split_once('-').unwrap_or((line, line));
            if let (Ok(a), Ok(b)) = (u32::from_str_radix(a, 16), u32::from_str_radix(b, 16)) {
                c.ranges.push((a, b));
            }
        }
        c.normalise();
        c
    }

    /// The characters the documents can show, known without writing anything: the embedded
    /// fonts, the built-in fonts (from the binary) and the font files of `templates/fonts/`
    /// (the fonts [`font_dirs`] gives typst). `check` and `build` both use it, so `check`
    /// works where the per-user cache cannot be written.
    pub fn of_templates(templates: Option<&Path>) -> Coverage {
        let mut c = Coverage::embedded();
        for (_, bytes) in BUILTIN_FONTS {
            c.ranges.extend(cmap_ranges(bytes));
        }
        if let Some(t) = templates {
            // A copy of a built-in font adds nothing.
            for (_, bytes) in own_font_files(&t.join("fonts")) {
                c.ranges.extend(cmap_ranges(&bytes));
            }
        }
        c.normalise();
        c
    }

    fn normalise(&mut self) {
        self.ranges.sort_unstable();
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(self.ranges.len());
        for &(a, b) in &self.ranges {
            match out.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        self.ranges = out;
    }

    /// Whether a font has `c`, or `c` needs no glyph (controls, joiners, variation
    /// selectors, the byte order mark).
    pub fn contains(&self, c: char) -> bool {
        let u = c as u32;
        if needs_no_glyph(u) {
            return true;
        }
        let i = self.ranges.partition_point(|&(_, b)| b < u);
        self.ranges.get(i).is_some_and(|&(a, _)| a <= u)
    }
}

/// Characters that typst shapes without a glyph of their own.
fn needs_no_glyph(u: u32) -> bool {
    u < 0x20
        || (0x7F..0xA0).contains(&u)
        || u == 0xAD
        || (0x200B..=0x200F).contains(&u)
        || (0x2028..=0x202E).contains(&u)
        || (0x2060..=0x2064).contains(&u)
        || (0xFE00..=0xFE0F).contains(&u)
        || u == 0xFEFF
        || (0xE0000..=0xE007F).contains(&u)
        || (0xE0100..=0xE01EF).contains(&u)
}

/// The font files (`.ttf`, `.otf`, `.ttc`, `.otc`) of `dir`, by name, sorted.
pub fn font_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    font_files_where(dir, |_| true)
}

/// The font files of `dir` whose path `keep` accepts, by name, sorted.
fn font_files_where(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    if let Ok(listing) = std::fs::read_dir(dir) {
        for e in listing.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if is_font_file(&name)
                && keep(&e.path())
                && let Ok(bytes) = std::fs::read(e.path())
            {
                out.push((name, bytes));
            }
        }
    }
    out.sort();
    out
}

/// Whether a file name is a font typst reads.
pub fn is_font_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".ttf", ".otf", ".ttc", ".otc"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// The built-in fonts, written once into the per-user cache (`fonts-<hash>/`): the folder to
/// pass to typst with `--font-path`.
pub fn builtin_font_dir() -> anyhow::Result<PathBuf> {
    let dir = crate::typeset::cache_dir().join(format!("fonts-{}", &builtin_fonts_hash()[..16]));
    for (name, bytes) in BUILTIN_FONTS {
        let p = dir.join(name);
        if std::fs::metadata(&p).map(|m| m.len()).ok() != Some(bytes.len() as u64) {
            crate::fsx::write_atomic(&p, bytes)?;
        }
    }
    Ok(dir)
}

/// A hash of the built-in fonts.
pub fn builtin_fonts_hash() -> String {
    let mut key = crate::cache::Key::new();
    for ((name, _), sha) in BUILTIN_FONTS.iter().zip(BUILTIN_FONT_SHAS) {
        key.file(name, sha);
    }
    key.finish()
}

/// The font folders for typst: the built-in fonts, then the template folder's `fonts/` if it
/// holds a font the built-in set does not; and a hash of every font in them (a document is
/// typeset again when a font changes).
pub fn font_dirs(templates: Option<&Path>) -> anyhow::Result<(Vec<PathBuf>, String)> {
    let mut dirs = vec![builtin_font_dir()?];
    let mut key = builtin_fonts_hash();
    if let Some(t) = templates {
        let own = t.join("fonts");
        let extra: Vec<(String, String)> = own_font_files(&own)
            .into_iter()
            .map(|(n, b)| (n, crate::discover::sha256_hex(&b)))
            .collect();
        if !extra.is_empty() {
            // The built-in fonts' hash, then a line per extra font (`name\0sha256`).
            let mut with_extra = crate::cache::Key::new();
            with_extra.part(&key);
            for (name, sha) in &extra {
                with_extra.end().part(name).part(sha);
            }
            key = with_extra.finish();
            dirs.push(own);
        }
    }
    Ok((dirs, key))
}

/// Replace every character of the rendered `.typ` and `.svg` files that no font in
/// `coverage` has with [`MARKER`]; one warning per file that had any, naming the characters.
pub fn replace_missing(
    files: &mut std::collections::BTreeMap<String, Vec<u8>>,
    coverage: &Coverage,
    build_dir: &Path,
) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    for (name, bytes) in files.iter_mut() {
        if !(name.ends_with(".typ") || name.ends_with(".svg")) {
            continue;
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            continue;
        };
        if text.chars().all(|c| c.is_ascii() || coverage.contains(c)) {
            continue;
        }
        let mut missing = BTreeSet::new();
        let replaced: String = text
            .chars()
            .map(|c| {
                if c.is_ascii() || coverage.contains(c) {
                    c
                } else {
                    missing.insert(c);
                    MARKER
                }
            })
            .collect();
        *bytes = replaced.into_bytes();
        let list: Vec<String> = missing
            .iter()
            .map(|c| format!("U+{:04X} `{c}`", *c as u32))
            .collect();
        warnings.push(Diagnostic::warning(
            format!("{}/{name}", build_dir.display()),
            format!(
                "no shipped font can show {} character{} ({}); printed as {MARKER}",
                missing.len(),
                if missing.len() == 1 { "" } else { "s" },
                list.join(", "),
            ),
        )
        .hint(format!(
            "add a font that has {} to `fonts/` in the template folder, or change the text in the data",
            if missing.len() == 1 { "it" } else { "them" }
        )));
    }
    warnings
}

/// The code points a font file maps to glyphs (its `cmap` table, formats 4 and 12; every
/// font of a collection). An unreadable font gives none.
pub fn cmap_ranges(data: &[u8]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let offsets: Vec<usize> = if data.get(0..4) == Some(b"ttcf") {
        let n = be32(data, 8).unwrap_or(0) as usize;
        (0..n.min(256))
            .filter_map(|i| be32(data, 12 + 4 * i).map(|o| o as usize))
            .collect()
    } else {
        vec![0]
    };
    for off in offsets {
        if let Some(cmap) = find_table(data, off, b"cmap") {
            read_cmap(data, cmap, &mut out);
        }
    }
    out
}

fn be16(d: &[u8], at: usize) -> Option<u32> {
    let b = d.get(at..at + 2)?;
    Some(u32::from(u16::from_be_bytes([b[0], b[1]])))
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    let b = d.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn find_table(d: &[u8], font: usize, tag: &[u8; 4]) -> Option<usize> {
    let n = be16(d, font + 4)? as usize;
    (0..n).find_map(|i| {
        let rec = font + 12 + 16 * i;
        (d.get(rec..rec + 4)? == tag).then(|| be32(d, rec + 8).map(|o| o as usize))?
    })
}

fn read_cmap(d: &[u8], cmap: usize, out: &mut Vec<(u32, u32)>) {
    let Some(n) = be16(d, cmap + 2) else { return };
    for i in 0..n as usize {
        let rec = cmap + 4 + 8 * i;
        let (Some(platform), Some(encoding), Some(off)) =
            (be16(d, rec), be16(d, rec + 2), be32(d, rec + 4))
        else {
            continue;
        };
        // Unicode subtables only.
        let unicode = platform == 0 || (platform == 3 && (encoding == 1 || encoding == 10));
        if !unicode {
            continue;
        }
        let t = cmap + off as usize;
        match be16(d, t) {
            Some(4) => read_format4(d, t, out),
            Some(12) => read_format12(d, t, out),
            _ => {}
        }
    }
}

fn read_format4(d: &[u8], t: usize, out: &mut Vec<(u32, u32)>) {
    let Some(segx2) = be16(d, t + 6) else { return };
    let segs = (segx2 / 2) as usize;
    let ends = t + 14;
    let starts = ends + 2 * segs + 2;
    let deltas = starts + 2 * segs;
    let range_offsets = deltas + 2 * segs;
    for s in 0..segs {
        let (Some(end), Some(start), Some(delta), Some(ro)) = (
            be16(d, ends + 2 * s),
            be16(d, starts + 2 * s),
            be16(d, deltas + 2 * s),
            be16(d, range_offsets + 2 * s),
        ) else {
            return;
        };
        if start > end || (start == 0xFFFF && end == 0xFFFF) {
            continue;
        }
        if ro == 0 {
            // Every code point maps (glyph 0 only where start + delta wraps to 0).
            for c in start..=end {
                if (c + delta) & 0xFFFF != 0 {
                    push(out, c);
                }
            }
        } else {
            for c in start..=end {
                let at = range_offsets + 2 * s + ro as usize + 2 * (c - start) as usize;
                if let Some(g) = be16(d, at)
                    && g != 0
                {
                    push(out, c);
                }
            }
        }
    }
}

fn read_format12(d: &[u8], t: usize, out: &mut Vec<(u32, u32)>) {
    let Some(n) = be32(d, t + 12) else { return };
    for i in 0..n.min(1 << 20) as usize {
        let g = t + 16 + 12 * i;
        let (Some(a), Some(b), Some(glyph)) = (be32(d, g), be32(d, g + 4), be32(d, g + 8)) else {
            return;
        };
        if a <= b && b <= 0x10FFFF {
            // A group starting at glyph 0 maps its first code point to .notdef.
            let a = if glyph == 0 { a + 1 } else { a };
            if a <= b {
                out.push((a, b));
            }
        }
    }
}

fn push(out: &mut Vec<(u32, u32)>, c: u32) {
    match out.last_mut() {
        Some(last) if last.1 + 1 == c => last.1 = c,
        _ => out.push((c, c)),
    }
}

/// For `check`: a warning for each data file whose text reaches the documents (file names,
/// reference table names, a pilot's `pilot.toml`) with characters no font in `coverage`
/// has; `build` prints them as [`MARKER`]. So `check` and `build` agree on such data: both
/// accept it, and both say so.
pub fn check_data(
    inventory: &crate::discover::Inventory,
    dataset: &crate::model::Dataset,
    coverage: &Coverage,
) -> Vec<Diagnostic> {
    use crate::discover::FileKind;
    use crate::model::RefTable;
    let display = |pred: &dyn Fn(&FileKind) -> bool| {
        inventory
            .files
            .iter()
            .find(|f| pred(&f.kind))
            .map(|f| f.display.clone())
    };
    let mut texts: Vec<(String, String)> = inventory
        .files
        .iter()
        .map(|f| (f.display.clone(), f.rel.clone()))
        .collect();
    let r = &dataset.reference;
    for (table, names) in [
        (
            RefTable::Foretak,
            r.foretak
                .iter()
                .map(|x| x.navn.as_str())
                .collect::<Vec<_>>(),
        ),
        (
            RefTable::Enheter,
            r.enheter.iter().map(|x| x.navn.as_str()).collect(),
        ),
        (
            RefTable::Yrker,
            r.yrker.iter().map(|x| x.navn.as_str()).collect(),
        ),
        (
            RefTable::Oppgaver,
            r.oppgaver.iter().map(|x| x.navn.as_str()).collect(),
        ),
    ] {
        if let Some(file) = display(&|k| matches!(k, FileKind::Reference(t) if *t == table)) {
            texts.extend(names.into_iter().map(|n| (file.clone(), n.to_string())));
        }
    }
    for p in &dataset.pilots {
        if let Some(file) = display(&|k| matches!(k, FileKind::PilotConfig(id) if *id == p.id)) {
            texts.push((file.clone(), p.navn.clone()));
            texts.push((file.clone(), p.beskrivelse.clone()));
            texts.extend(p.arbeidsflyt.iter().map(|a| (file.clone(), a.steg.clone())));
        }
    }
    let mut missing: std::collections::BTreeMap<String, BTreeSet<char>> = Default::default();
    for (file, text) in texts {
        for c in text
            .chars()
            .filter(|c| !c.is_ascii() && !coverage.contains(*c))
        {
            missing.entry(file.clone()).or_default().insert(c);
        }
    }
    missing
        .into_iter()
        .map(|(file, chars)| {
            let list: Vec<String> = chars
                .iter()
                .map(|c| format!("U+{:04X} `{c}`", *c as u32))
                .collect();
            Diagnostic::warning(
                file,
                format!(
                    "no shipped font can show {} ({}); the documents print {MARKER} instead",
                    if chars.len() == 1 {
                        "this character"
                    } else {
                        "these characters"
                    },
                    list.join(", ")
                ),
            )
            .hint("add a font that has them to `fonts/` in the template folder, or change the text")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_fonts_cover_emoji_and_chinese_and_the_embedded_ones_latin() {
        let mut c = Coverage::embedded();
        for (_, bytes) in BUILTIN_FONTS {
            c.ranges.extend(cmap_ranges(bytes));
        }
        c.normalise();
        for ch in [
            'a', 'æ', 'ø', 'å', '–', '→', '≥', '😀', '🚀', '北', '京', MARKER,
        ] {
            assert!(c.contains(ch), "{ch} U+{:04X}", ch as u32);
        }
        // Egyptian hieroglyphs are in none of them.
        assert!(!c.contains('\u{13000}'));
        assert!(c.contains('\u{FE0F}'), "variation selectors need no glyph");
    }

    #[test]
    fn the_recorded_hashes_are_the_builtin_fonts() {
        assert_eq!(BUILTIN_FONTS.len(), BUILTIN_FONT_SHAS.len());
        for ((name, bytes), sha) in BUILTIN_FONTS.iter().zip(BUILTIN_FONT_SHAS) {
            assert_eq!(
                crate::discover::sha256_hex(bytes),
                sha,
                "{name} changed: record its SHA-256 in BUILTIN_FONT_SHAS"
            );
        }
    }

    #[test]
    fn only_an_exact_copy_of_a_builtin_font_counts_as_one() {
        let dir = std::env::temp_dir().join(format!("tsb-glyphs-copies-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (_, emoji) = BUILTIN_FONTS[1];
        std::fs::write(dir.join("kopi.ttf"), emoji).unwrap();
        let mut changed = emoji.to_vec();
        *changed.last_mut().unwrap() ^= 1;
        std::fs::write(dir.join("endret.ttf"), &changed).unwrap();
        std::fs::write(dir.join("kortere.ttf"), &emoji[..emoji.len() - 1]).unwrap();
        assert!(is_builtin_font_file(&dir.join("kopi.ttf")));
        assert!(!is_builtin_font_file(&dir.join("endret.ttf")));
        assert!(!is_builtin_font_file(&dir.join("kortere.ttf")));
        assert!(!is_builtin_font_file(&dir.join("mangler.ttf")));
        let own: Vec<String> = own_font_files(&dir).into_iter().map(|(n, _)| n).collect();
        assert_eq!(own, ["endret.ttf", "kortere.ttf"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_character_becomes_the_marker_with_a_warning_naming_it() {
        let c = Coverage::embedded();
        let mut files = std::collections::BTreeMap::from([
            (
                "rapport.typ".to_string(),
                "Pilot \u{13000} og æøå".as_bytes().to_vec(),
            ),
            ("a.png".to_string(), vec![0xFF, 0xFE]),
        ]);
        let w = replace_missing(&mut files, &c, Path::new("output/build"));
        assert_eq!(
            String::from_utf8(files["rapport.typ"].clone()).unwrap(),
            format!("Pilot {MARKER} og æøå")
        );
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("U+13000"), "{}", w[0].message);
        assert_eq!(files["a.png"], vec![0xFF, 0xFE]);
    }
}
