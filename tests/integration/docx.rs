//! Tests: `styrenotat.docx`, the board briefing as an editable Word document (issue 13). The
//! document is read back: unzipped, every XML part parsed, and its sections, table and
//! numbers compared with `styrenotat.pdf` (read back with pdf-extract).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use roxmltree::{Document, Node};
use tsb_report::indicators::{IndicatorRow, IndicatorTable, Keys};
use tsb_report::model::Dataset;
use tsb_report::render::{ReportMeta, builtin_templates, render};

use crate::support::model::{NBSP, render_input};
use crate::support::{Project, pdf_info, pdf_text, planted};

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const HOSTILE: &str = "Avd. <1> & \"rus\"";

/// The entries of a zip, in order: (name, text).
fn unzip_bytes(bytes: &[u8]) -> Vec<(String, String)> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("the .docx is a zip");
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let name = entry.name().expect("a UTF-8 entry name").to_string();
            assert_eq!(
                entry.last_modified(),
                Some(zip::DateTime::default()),
                "{name}: a fixed timestamp"
            );
            let mut text = String::new();
            entry
                .read_to_string(&mut text)
                .unwrap_or_else(|e| panic!("{name}: not UTF-8 text ({e})"));
            (name, text)
        })
        .collect()
}

fn unzip(path: &Path) -> Vec<(String, String)> {
    unzip_bytes(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// Parse every part (each must be well-formed, namespace-correct XML); by name.
fn parse_all(entries: &[(String, String)]) -> BTreeMap<String, Document<'_>> {
    entries
        .iter()
        .map(|(name, text)| {
            let doc = Document::parse(text)
                .unwrap_or_else(|e| panic!("{name} is not well-formed XML: {e}"));
            (name.clone(), doc)
        })
        .collect()
}

fn is_w(n: &Node<'_, '_>, name: &str) -> bool {
    n.is_element() && n.tag_name().namespace() == Some(W) && n.tag_name().name() == name
}

fn w_attr<'a>(n: &Node<'a, '_>, name: &str) -> Option<&'a str> {
    n.attribute((W, name))
}

/// The text a reader sees in `n`: every `w:t`, and `w:tab` as a tab.
fn text_of(n: &Node<'_, '_>) -> String {
    n.descendants()
        .filter_map(|d| {
            if is_w(&d, "t") {
                Some(d.text().unwrap_or("").to_string())
            } else if is_w(&d, "tab") && d.parent().is_some_and(|p| is_w(&p, "r")) {
                Some("\t".to_string())
            } else {
                None
            }
        })
        .collect()
}

/// The paragraph style of `p` (`""` for Normal).
fn style_of<'a>(p: &Node<'a, '_>) -> &'a str {
    p.children()
        .find(|c| is_w(c, "pPr"))
        .and_then(|ppr| ppr.children().find(|c| is_w(c, "pStyle")))
        .and_then(|s| w_attr(&s, "val"))
        .unwrap_or("")
}

/// Whitespace collapsed, no-break spaces as spaces.
fn flat(s: &str) -> String {
    s.replace(NBSP, " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The bundled sample with a hostile pilot name and a hostile author.
fn hostile_sample(name: &str) -> Project {
    let p = Project::new(name)
        .sample()
        .file("tsb-report.toml", format!("[rapport]\nfra = '{HOSTILE}'\n"));
    let toml = p.path("data/piloter/lar-sykepleier/pilot.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let text = text.replace(
        "navn = \"Sykepleierkoordinert LAR-oppfølging\"",
        &format!("navn = '{HOSTILE}'"),
    );
    assert!(text.contains(HOSTILE));
    std::fs::write(&toml, text).unwrap();
    p
}

/// The relationship targets of a `.rels` part, resolved against the folder of its source.
fn rel_targets(rels_name: &str, rels: &Document<'_>) -> Vec<String> {
    let base = rels_name
        .strip_suffix(".rels")
        .and_then(|s| s.rsplit_once("_rels/"))
        .map(|(dir, _)| dir.to_string())
        .unwrap_or_default();
    rels.descendants()
        .filter(|n| n.has_tag_name("Relationship"))
        .map(|n| format!("{base}{}", n.attribute("Target").unwrap()))
        .collect()
}

#[test]
fn the_board_briefing_comes_as_a_word_document_with_the_pdfs_sections_and_numbers() {
    let p = hostile_sample("docx-sample");
    let r = p.run(&["build"]).code(0);
    assert!(r.stdout.contains("output/styrenotat.docx"), "{}", r.stdout);
    let entries = unzip(&p.path("output/styrenotat.docx"));
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[0], "[Content_Types].xml");
    let parts = parse_all(&entries);

    // The package is whole: every declared part and every relationship target exists.
    let types = &parts["[Content_Types].xml"];
    for o in types.descendants().filter(|n| n.has_tag_name("Override")) {
        let part = o.attribute("PartName").unwrap().trim_start_matches('/');
        assert!(names.contains(&part), "{part} is declared but missing");
    }
    for (name, doc) in parts.iter().filter(|(n, _)| n.ends_with(".rels")) {
        for target in rel_targets(name, doc) {
            assert!(names.contains(&target.as_str()), "{name}: {target} missing");
        }
    }

    let pdf_path = p.path("output/styrenotat.pdf");
    let pdf = flat(&pdf_text(&pdf_path));
    let document = &parts["word/document.xml"];
    let body = document
        .descendants()
        .find(|n| is_w(n, "body"))
        .expect("w:body");
    let paras: Vec<Node<'_, '_>> = body.children().filter(|n| is_w(n, "p")).collect();

    // Real headings, with the built-in style ids, in the PDF's order.
    let headings: Vec<String> = paras
        .iter()
        .filter(|p| style_of(p) == "Heading1")
        .map(text_of)
        .collect();
    assert_eq!(
        headings,
        [
            "Sammendrag",
            "Nøkkeltall",
            "Vurdering",
            "Forslag til vedtak"
        ]
    );
    for h in &headings {
        assert!(pdf.contains(h.as_str()), "the PDF has no `{h}`");
    }
    let styles = &parts["word/styles.xml"];
    for (id, name) in [("Heading1", "heading 1"), ("Heading2", "heading 2")] {
        let style = styles
            .descendants()
            .find(|n| is_w(n, "style") && w_attr(n, "styleId") == Some(id))
            .unwrap_or_else(|| panic!("no style {id}"));
        let shown = style.children().find(|c| is_w(c, "name")).unwrap();
        assert_eq!(w_attr(&shown, "val"), Some(name));
    }
    let lang = styles
        .descendants()
        .find(|n| is_w(n, "lang") && n.ancestors().any(|a| is_w(&a, "rPrDefault")))
        .expect("a default language");
    assert_eq!(w_attr(&lang, "val"), Some("nb-NO"));
    assert!(
        parts["word/settings.xml"]
            .descendants()
            .any(|n| is_w(&n, "themeFontLang") && w_attr(&n, "val") == Some("nb-NO"))
    );

    // The header block: paragraphs with a tab, not a table; the date is the PDF's.
    let head: Vec<String> = paras
        .iter()
        .filter(|p| style_of(p) == "Brevhode")
        .map(text_of)
        .collect();
    assert_eq!(head.len(), 4, "{head:?}");
    assert_eq!(head[0], "Til:\tStyret");
    assert_eq!(head[1], format!("Fra:\t{HOSTILE}"));
    let dato = head[2].strip_prefix("Dato:\t").expect("Dato");
    assert!(!dato.is_empty() && pdf.contains(&flat(dato)), "{dato}");
    assert_eq!(head[3], "Saksnr.:\t");

    // Draft and sample-data marks where the PDF has them: by the title and on every page.
    let title = paras.iter().find(|p| style_of(p) == "Title").unwrap();
    assert!(text_of(title).ends_with("UTKAST"), "{}", text_of(title));
    assert!(
        paras
            .iter()
            .any(|p| style_of(p) == "Eksempeldata"
                && text_of(p) == "EKSEMPELDATA – ikke reelle tall")
    );
    let header = text_of(&parts["word/header1.xml"].root_element());
    assert!(
        header.contains("EKSEMPELDATA") && header.contains("UTKAST"),
        "{header}"
    );
    assert!(pdf.contains("EKSEMPELDATA") && pdf.contains("UTKAST"));

    // Nøkkeltall: one real table with a repeating header row.
    let tables: Vec<Node<'_, '_>> = document.descendants().filter(|n| is_w(n, "tbl")).collect();
    assert_eq!(tables.len(), 1, "only the key figures are a table");
    let rows: Vec<Vec<String>> = tables[0]
        .children()
        .filter(|n| is_w(n, "tr"))
        .map(|tr| {
            tr.children()
                .filter(|c| is_w(c, "tc"))
                .map(|tc| text_of(&tc))
                .collect()
        })
        .collect();
    let first_row = tables[0].children().find(|n| is_w(n, "tr")).unwrap();
    assert!(
        first_row.descendants().any(|n| is_w(&n, "tblHeader")),
        "the header row repeats"
    );
    assert_eq!(rows[0], ["Indikator", "Verdi"]);
    assert!(rows.len() >= 7, "{rows:?}");
    assert!(rows.iter().all(|r| r.len() == 2), "{rows:?}");
    assert_eq!(rows[4][0], "Vakansgrad");
    assert!(
        rows.iter()
            .any(|r| r[0] == format!("{HOSTILE}: riktig nivå før → pilot")),
        "{rows:?}"
    );
    // Every number equals the PDF's: the PDF's table reads as the document's rows.
    let table_text = flat(
        &rows
            .iter()
            .map(|r| r.join(" "))
            .collect::<Vec<_>>()
            .join(" "),
    );
    let caption = "Nøkkeltall for Helse Midt-Norge.";
    let pdf_table = pdf
        .split(caption)
        .nth(1)
        .and_then(|t| t.split("Vurdering").next())
        .expect("the PDF's key-figure table");
    assert_eq!(flat(pdf_table), table_text);
    for row in &rows[1..] {
        assert!(
            row[1].chars().any(|c| c.is_ascii_digit()) || row[1].contains('–'),
            "{row:?}"
        );
    }
    let caption_para = paras
        .iter()
        .find(|p| style_of(p) == "Caption")
        .expect("a caption");
    assert_eq!(text_of(caption_para), format!("Tabell 1: {caption}"));
    assert!(pdf.contains(&format!("Tabell 1: {caption}")));

    // The suppression footnote.
    assert!(
        document
            .descendants()
            .any(|n| is_w(&n, "footnoteReference") && w_attr(&n, "id") == Some("1"))
    );
    let note = parts["word/footnotes.xml"]
        .descendants()
        .find(|n| is_w(n, "footnote") && w_attr(n, "id") == Some("1"))
        .expect("footnote 1");
    assert_eq!(
        flat(&text_of(&note)),
        "Færre enn 5 svar. Verdien er prikket for å beskytte anonymiteten."
    );
    assert!(pdf.contains("Færre enn 5 svar."));

    // Forslag til vedtak: a numbered list (decimal numbering from numbering.xml).
    let items: Vec<String> = paras
        .iter()
        .filter(|p| {
            p.descendants()
                .any(|n| is_w(&n, "numId") && w_attr(&n, "val") == Some("1"))
        })
        .map(text_of)
        .collect();
    assert_eq!(items.len(), 3, "{items:?}");
    assert!(items.iter().all(|i| i.starts_with("Styret ")), "{items:?}");
    for item in &items {
        let start: String = item.chars().take(40).collect();
        assert!(pdf.contains(&flat(&start)), "the PDF has no `{start}`");
    }
    let numbering = &parts["word/numbering.xml"];
    let num = numbering
        .descendants()
        .find(|n| is_w(n, "num") && w_attr(n, "numId") == Some("1"))
        .expect("num 1");
    let abstract_id = num
        .children()
        .find(|c| is_w(c, "abstractNumId"))
        .and_then(|a| w_attr(&a, "val"))
        .unwrap();
    let level = numbering
        .descendants()
        .find(|n| is_w(n, "abstractNum") && w_attr(n, "abstractNumId") == Some(abstract_id))
        .and_then(|a| a.descendants().find(|n| is_w(n, "numFmt")))
        .unwrap();
    assert_eq!(w_attr(&level, "val"), Some("decimal"));

    // Sammendrag and Vurdering carry the PDF's sentences with their numbers.
    let after = |heading: &str| {
        let i = paras
            .iter()
            .position(|p| style_of(p) == "Heading1" && text_of(p) == heading)
            .unwrap();
        text_of(&paras[i + 1])
    };
    // (Without spaces and hyphens: the justified PDF hyphenates across lines.)
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '\u{ad}')
            .collect()
    };
    let pdf_squashed = squash(&pdf);
    for section in ["Sammendrag", "Vurdering"] {
        let text = flat(&after(section));
        assert!(text.len() > 100, "{section}: {text}");
        for sentence in text.split(". ").filter(|s| s.len() > 20) {
            // A sentence may run across a page break, where the PDF's text has the page's
            // footer and the next page's header in between: allow one such break.
            let want = squash(sentence);
            let across_a_page_break = || {
                want.char_indices().skip(5).any(|(i, _)| {
                    let (head, tail) = want.split_at(i);
                    pdf_squashed.match_indices(head).any(|(h, _)| {
                        let rest = &pdf_squashed[h + head.len()..];
                        tail.chars().count() >= 5 && rest.find(tail).is_some_and(|t| t < 400)
                    })
                })
            };
            assert!(
                pdf_squashed.contains(&want) || across_a_page_break(),
                "{section}: the PDF lacks `{sentence}`"
            );
        }
    }

    // Document properties: the PDF's title, the author, Norwegian.
    let core = &parts["docProps/core.xml"];
    let prop = |name: &str| {
        core.descendants()
            .find(|n| n.tag_name().name() == name)
            .and_then(|n| n.text())
            .unwrap_or_else(|| panic!("no {name}"))
            .to_string()
    };
    let pdf_title = pdf_info(&pdf_path)
        .lines()
        .find_map(|l| l.strip_prefix("Title:"))
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(prop("title"), pdf_title);
    assert_eq!(prop("creator"), HOSTILE);
    assert_eq!(prop("language"), "nb-NO");

    // The hostile names print literally: escaped in the XML, the same characters on reading.
    let raw = &entries
        .iter()
        .find(|(n, _)| n == "word/document.xml")
        .unwrap()
        .1;
    assert!(raw.contains("Avd. &lt;1&gt; &amp; &quot;rus&quot;"));
    assert!(!raw.contains(HOSTILE));
    assert!(pdf.contains(HOSTILE), "the PDF prints it literally too");

    // Manifest: recorded like the other outputs.
    let m = p.manifest();
    assert!(
        m["outputs"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("styrenotat.docx"))
    );
    assert!(m["documents"]["styrenotat.docx"].is_string());
}

#[test]
fn two_builds_of_the_same_inputs_give_byte_identical_docx_files() {
    let a = planted("docx-same-a");
    let b = planted("docx-same-bb");
    a.run(&["build"]).code(0);
    b.run(&["build"]).code(0);
    let (x, y) = (
        std::fs::read(a.path("output/styrenotat.docx")).unwrap(),
        std::fs::read(b.path("output/styrenotat.docx")).unwrap(),
    );
    assert!(x == y, "two builds of the same inputs differ");
    // And no temporary file is left beside it.
    let left: Vec<String> = a
        .files()
        .into_iter()
        .filter(|f| f.contains(".tmp-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

fn reused_documents(p: &Project) -> Vec<String> {
    let m = p.manifest();
    m["reused"]["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_docx_is_rewritten_only_when_its_inputs_change() {
    let p = planted("docx-incremental").templates();
    p.run(&["build"]).code(0);
    let docx = "output/styrenotat.docx";
    let first = p.mtime(docx);
    // The report's prose: not an input of the board briefing.
    let tpl = p.path("report-templates/rapport.typ.j2");
    let text = std::fs::read_to_string(&tpl).unwrap();
    std::fs::write(&tpl, format!("{text}\nEn ny setning i rapporten.\n")).unwrap();
    p.run(&["build"]).code(0);
    assert_eq!(p.mtime(docx), first, "styrenotat.docx was rewritten");
    assert!(reused_documents(&p).contains(&"styrenotat.docx".to_string()));
    // Its own prose: rewritten, with the new sentence.
    let tpl = p.path("report-templates/styrenotat.docx/word/document.xml.j2");
    let text = std::fs::read_to_string(&tpl).unwrap();
    let edited = text.replace(
        "del av forløpet.",
        "del av forløpet. En ny setning for styret.",
    );
    assert_ne!(edited, text);
    std::fs::write(&tpl, edited).unwrap();
    p.run(&["build"]).code(0);
    assert!(!reused_documents(&p).contains(&"styrenotat.docx".to_string()));
    let entries = unzip(&p.path(docx));
    let document = &entries
        .iter()
        .find(|(n, _)| n == "word/document.xml")
        .unwrap()
        .1;
    assert!(document.contains("En ny setning for styret."));
    // A deleted document is made again, though nothing else changed.
    std::fs::remove_file(p.path(docx)).unwrap();
    let r = p.run(&["build"]).code(0);
    assert!(!r.stderr.contains("up to date"), "{}", r.stderr);
    assert!(p.path(docx).is_file());
}

/// Render with an otherwise empty table whose regional vacancy rate is suppressed.
fn render_docx(meta: &ReportMeta) -> Vec<(String, String)> {
    let table = IndicatorTable {
        rows: vec![IndicatorRow {
            indikator: "vakansgrad".into(),
            gruppering: "region".into(),
            keys: Keys::default(),
            verdi: None,
            nedre: None,
            ovre: None,
            n: None,
            maleenhet: "andel".into(),
            prikket: true,
            serie: None,
            runde: None,
        }],
        merknader: Vec::new(),
    };
    let dataset = Dataset::default();
    let input = render_input(&table, &dataset, meta);
    let r = render(&input, &builtin_templates()).expect("render succeeds");
    assert_eq!(
        r.outputs.keys().collect::<Vec<_>>(),
        ["styrenotat.docx"],
        "only the board briefing comes as DOCX"
    );
    // `TSB_DOCX_OUT=dir` keeps the document for a look by hand (or in LibreOffice).
    if let Some(dir) = std::env::var_os("TSB_DOCX_OUT") {
        let name = if meta.is_final { "endelig" } else { "utkast" };
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            Path::new(&dir).join(format!("{name}.docx")),
            &r.outputs["styrenotat.docx"],
        )
        .unwrap();
    }
    unzip_bytes(&r.outputs["styrenotat.docx"])
}

#[test]
fn draft_and_sample_marks_follow_the_meta_and_every_value_is_escaped() {
    let hostile = ReportMeta {
        title: format!("Tittel {HOSTILE} ]]> &amp;"),
        author: HOSTILE.into(),
        is_sample: true,
        is_final: false,
        k: 5,
        ..ReportMeta::default()
    };
    let entries = render_docx(&hostile);
    let parts = parse_all(&entries);
    let all: String = parts.values().map(|d| text_of(&d.root_element())).collect();
    assert!(all.contains("UTKAST") && all.contains("EKSEMPELDATA"));
    let title = parts["docProps/core.xml"]
        .descendants()
        .find(|n| n.tag_name().name() == "title")
        .and_then(|n| n.text())
        .unwrap();
    assert_eq!(title, hostile.title);
    let document = text_of(&parts["word/document.xml"].root_element());
    assert!(document.contains(&format!("Fra:\t{HOSTILE}")));
    assert!(document.contains(&hostile.title));
    let header = text_of(&parts["word/header1.xml"].root_element());
    assert!(header.contains(&hostile.title));
    // A suppressed value: a dash and a reference (NOTEREF) to the one suppression footnote,
    // whose mark sits in the bookmark the field points to.
    let doc = &parts["word/document.xml"];
    let vakans = doc
        .descendants()
        .filter(|n| is_w(n, "tr"))
        .find(|tr| text_of(tr).starts_with("Vakansgrad"))
        .expect("a Vakansgrad row");
    assert_eq!(text_of(&vakans), "Vakansgrad–1");
    let field = vakans
        .descendants()
        .find(|n| is_w(n, "fldSimple"))
        .expect("a field");
    assert_eq!(w_attr(&field, "instr"), Some(" NOTEREF _Refprikk \\f \\h "));
    let mark = doc
        .descendants()
        .find(|n| is_w(n, "bookmarkStart") && w_attr(n, "name") == Some("_Refprikk"))
        .and_then(|b| b.next_sibling_element())
        .expect("the bookmarked footnote mark");
    assert!(mark.descendants().any(|n| is_w(&n, "footnoteReference")));

    let real_final = ReportMeta {
        title: "Riktig person".into(),
        is_sample: false,
        is_final: true,
        k: 5,
        ..ReportMeta::default()
    };
    let entries = render_docx(&real_final);
    for (name, text) in &entries {
        assert!(!text.contains("UTKAST"), "{name}");
        assert!(!text.contains("EKSEMPELDATA"), "{name}");
    }
    parse_all(&entries);
}

#[test]
fn a_project_whose_templates_predate_the_docx_gets_the_built_in_one() {
    let table = IndicatorTable::default();
    let dataset = Dataset::default();
    let meta = ReportMeta::default();
    let input = render_input(&table, &dataset, &meta);
    let mut templates = builtin_templates();
    templates.retain(|name, _| !name.starts_with("styrenotat.docx/"));
    let r = render(&input, &templates).expect("render succeeds");
    let entries = unzip_bytes(&r.outputs["styrenotat.docx"]);
    assert!(entries.iter().any(|(n, _)| n == "word/document.xml"));
}
