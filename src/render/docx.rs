//! The board briefing as an editable Word document, `styrenotat.docx`.
//!
//! Its WordprocessingML parts are minijinja templates under `report-templates/styrenotat.docx/`
//! (`word/document.xml.j2`, `word/styles.xml.j2`, …), rendered from the same view as
//! `styrenotat.typ.j2` with XML auto-escape (see [`super::environment`]), then zipped here.
//! The zip is reproducible: entries in a fixed order (`[Content_Types].xml` first, then by
//! name), every entry with the same DOS timestamp (1980-01-01 00:00), Unix permissions 0644
//! and deflate level 6, so the same inputs give the same bytes.
//!
//! A template whose file name starts with `_` (`_makroer.xml.j2`) is a partial, not a part.

use std::io::Write;

use minijinja::Environment;
use minijinja::value::Value;

use super::Templates;

/// The template folder of the Word document (a prefix of template names).
pub const FOLDER: &str = "styrenotat.docx/";

/// The output file, relative to the output folder.
pub const OUTPUT: &str = "styrenotat.docx";

/// The content-types part, which comes first in the zip.
const CONTENT_TYPES: &str = "[Content_Types].xml";

/// The templates of the Word document shipped with the tool (template name, source).
pub const BUILTIN: [(&str, &str); 13] = [
    (
        "styrenotat.docx/[Content_Types].xml.j2",
        include_str!("../../report-templates/styrenotat.docx/[Content_Types].xml.j2"),
    ),
    (
        "styrenotat.docx/_rels/.rels.j2",
        include_str!("../../report-templates/styrenotat.docx/_rels/.rels.j2"),
    ),
    (
        "styrenotat.docx/_makroer.xml.j2",
        include_str!("../../report-templates/styrenotat.docx/_makroer.xml.j2"),
    ),
    (
        "styrenotat.docx/docProps/app.xml.j2",
        include_str!("../../report-templates/styrenotat.docx/docProps/app.xml.j2"),
    ),
    (
        "styrenotat.docx/docProps/core.xml.j2",
        include_str!("../../report-templates/styrenotat.docx/docProps/core.xml.j2"),
    ),
    (
        "styrenotat.docx/word/_rels/document.xml.rels.j2",
        include_str!("../../report-templates/styrenotat.docx/word/_rels/document.xml.rels.j2"),
    ),
    (
        "styrenotat.docx/word/document.xml.j2",
        include_str!("../../report-templates/styrenotat.docx/word/document.xml.j2"),
    ),
    (
        "styrenotat.docx/word/footer1.xml.j2",
        include_str!("../../report-templates/styrenotat.docx/word/footer1.xml.j2"),
    ),
    (
        "styrenotat.docx/word/footnotes.xml.j2",
        include_str!("../../report-templates/styrenotat.docx/word/footnotes.xml.j2"),
    ),
    (
        "styrenotat.docx/word/header1.xml.j2",
        include_str!("../../report-templates/styrenotat.docx/word/header1.xml.j2"),
    ),
    (
        "styrenotat.docx/word/numbering.xml.j2",
        include_str!("../../report-templates/styrenotat.docx/word/numbering.xml.j2"),
    ),
    (
        "styrenotat.docx/word/settings.xml.j2",
        include_str!("../../report-templates/styrenotat.docx/word/settings.xml.j2"),
    ),
    (
        "styrenotat.docx/word/styles.xml.j2",
        include_str!("../../report-templates/styrenotat.docx/word/styles.xml.j2"),
    ),
];

/// The parts of the document in zip order: (template name, entry name in the zip).
pub fn parts(templates: &Templates) -> Vec<(String, String)> {
    let mut parts: Vec<(String, String)> = templates
        .keys()
        .filter_map(|name| {
            let entry = name.strip_prefix(FOLDER)?.strip_suffix(".j2")?;
            let file = entry.rsplit('/').next().unwrap_or(entry);
            (!file.starts_with('_') && !entry.is_empty()).then(|| (name.clone(), entry.into()))
        })
        .collect();
    // `[Content_Types].xml` first (as Word writes it), then by name: a fixed order.
    parts.sort_by(|a, b| (a.1 != CONTENT_TYPES, &a.1).cmp(&(b.1 != CONTENT_TYPES, &b.1)));
    parts
}

/// Render every part of the Word document with `ctx` and zip them; `None` when the templates
/// hold no part of it.
pub fn render(
    env: &Environment<'_>,
    templates: &Templates,
    ctx: &Value,
) -> anyhow::Result<Option<Vec<u8>>> {
    let parts = parts(templates);
    if parts.is_empty() {
        return Ok(None);
    }
    let mut rendered = Vec::with_capacity(parts.len());
    for (template, entry) in parts {
        let tmpl = env
            .get_template(&template)
            .map_err(|e| anyhow::anyhow!("failed to find template `{template}` ({e})"))?;
        let text = tmpl
            .render(ctx)
            .map_err(|e| anyhow::anyhow!("{}", super::describe(&e)))?;
        rendered.push((entry, text.into_bytes()));
    }
    zip(&rendered).map(Some)
}

/// Zip `(entry name, bytes)` in the given order, reproducibly (fixed timestamps,
/// permissions, system and compression).
pub fn zip(entries: &[(String, Vec<u8>)]) -> anyhow::Result<Vec<u8>> {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(zip::DateTime::default())
        .system(zip::System::Unix)
        .unix_permissions(0o644);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        w.start_file(name.as_str(), options)
            .and_then(|()| w.write_all(bytes).map_err(zip::result::ZipError::from))
            .map_err(|e| anyhow::anyhow!("failed to zip `{name}` into {OUTPUT} ({e})"))?;
    }
    let cursor = w
        .finish()
        .map_err(|e| anyhow::anyhow!("failed to finish {OUTPUT} ({e})"))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_come_in_a_fixed_order_without_the_partials() {
        let templates: Templates = BUILTIN
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .chain([("rapport.typ.j2".to_string(), String::new())])
            .collect();
        let entries: Vec<String> = parts(&templates).into_iter().map(|(_, e)| e).collect();
        assert_eq!(
            entries,
            [
                "[Content_Types].xml",
                "_rels/.rels",
                "docProps/app.xml",
                "docProps/core.xml",
                "word/_rels/document.xml.rels",
                "word/document.xml",
                "word/footer1.xml",
                "word/footnotes.xml",
                "word/header1.xml",
                "word/numbering.xml",
                "word/settings.xml",
                "word/styles.xml",
            ]
        );
    }

    #[test]
    fn xml_templates_escape_every_printed_value() {
        let templates: Templates = [
            ("d/a.xml.j2", "<w:t>{{ x }}</w:t>"),
            ("d/_rels/.rels.j2", "<R T=\"{{ x }}\"/>"),
            ("d/b.xml.j2", "{{ n }}|{{ c }}"),
        ]
        .into_iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect();
        let env = super::super::environment(&templates).unwrap();
        let ctx =
            minijinja::context! { x => "Avd. <1> & \"rus\" 'a'", n => (), c => "a\u{1}b\u{c}" };
        let render = |name: &str| env.get_template(name).unwrap().render(&ctx).unwrap();
        assert_eq!(
            render("d/a.xml.j2"),
            "<w:t>Avd. &lt;1&gt; &amp; &quot;rus&quot; &apos;a&apos;</w:t>"
        );
        assert_eq!(
            render("d/_rels/.rels.j2"),
            "<R T=\"Avd. &lt;1&gt; &amp; &quot;rus&quot; &apos;a&apos;\"/>"
        );
        // `none` as `..`, like the PDFs; control characters (not allowed in XML) dropped.
        assert_eq!(render("d/b.xml.j2"), "..|ab");
    }

    #[test]
    fn the_zip_is_the_same_bytes_every_time() {
        let entries = vec![
            ("[Content_Types].xml".to_string(), b"<a/>".to_vec()),
            ("word/document.xml".to_string(), b"<b/>".to_vec()),
        ];
        let a = zip(&entries).unwrap();
        assert_eq!(a, zip(&entries).unwrap());
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(a)).unwrap();
        let first = archive.by_index(0).unwrap();
        assert_eq!(first.name().unwrap(), "[Content_Types].xml");
        assert_eq!(first.last_modified(), Some(zip::DateTime::default()));
    }
}
