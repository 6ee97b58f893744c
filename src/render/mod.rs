//! Render: indicator table + run facts → Typst sources and SVG charts, through minijinja
//! templates under `report-templates/`.
//!
//! [`view`] builds the template contract (formatted strings only), [`svg`] draws the charts,
//! [`escape`] holds the one markup escape (the auto-escape of every `.typ` template),
//! [`format`](mod@format) the Norwegian number and date presentation and [`names`] the
//! display names, [`rules`] the candidate recommendations from `tsb-report.toml` in words,
//! [`trust`] the per-trust reports, and [`docx`] the board
//! briefing as a Word document.

pub mod docx;
pub mod escape;
pub mod format;
pub mod names;
pub mod rules;
pub mod svg;
pub mod trust;
pub mod view;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, UndefinedBehavior};

pub use view::{ChangedIndicator, ChangesView, DefinitionView, ReportView};

use crate::indicators::IndicatorTable;
use crate::model::{Dataset, InputFile};

/// Facts about the run that the documents print (never indicator numbers).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ReportMeta {
    /// Report title (from `tsb-report.toml`).
    pub title: String,
    /// Subtitle.
    pub subtitle: String,
    /// Who the board briefing is from (`Fra`).
    pub author: String,
    /// Report date, derived from the data (the newest date in the inputs).
    pub date: Option<NaiveDate>,
    /// Short hash of all inputs.
    pub data_version: String,
    /// The data is the bundled synthetic set (`EKSEMPELDATA.md` present).
    pub is_sample: bool,
    /// Built with `--final` (no UTKAST).
    pub is_final: bool,
    /// Disclosure-control threshold.
    pub k: u32,
    /// `tsb-report` version.
    pub tool_version: String,
    /// typst version.
    pub typst_version: String,
    /// The settings used, as TOML text, for Vedlegg D.
    pub settings_text: String,
}

/// Everything render reads.
#[derive(Debug, Clone, Copy)]
pub struct RenderInput<'a> {
    /// The indicator table: the only source of numbers.
    pub table: &'a IndicatorTable,
    /// Reference tables and pilot descriptions (names, workflows), never numbers.
    pub dataset: &'a Dataset,
    /// Per-file accounting for Vedlegg B and D.
    pub inputs: &'a [InputFile],
    /// Run facts.
    pub meta: &'a ReportMeta,
    /// Indicator definitions for Vedlegg A, from the indicator registry; when empty, the
    /// registry is read ([`view::registry_definitions`]).
    pub definitions: &'a [DefinitionView],
    /// What changed since the previous run (Vedlegg C); `None` prints "første kjøring".
    pub changes: Option<&'a ChangesView>,
    /// The `[[anbefaling]]` rules from `tsb-report.toml` (§9 candidates).
    pub anbefalinger: &'a [crate::rules::RuleSettings],
}

/// Templates by name (`rapport.typ.j2`, …), loaded once by the pipeline.
pub type Templates = BTreeMap<String, String>;

/// The generated files: path relative to the build folder → contents; and the documents to
/// compile.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// Files to write into the build folder (`rapport.typ`, `figurer/vakans.svg`, …).
    pub files: BTreeMap<String, Vec<u8>>,
    /// Documents to compile: (source in the build folder, output PDF name, title).
    pub documents: Vec<Document>,
    /// Finished files for the output folder, made without typst: output name (relative to the
    /// output folder, `styrenotat.docx`) → contents.
    pub outputs: BTreeMap<String, Vec<u8>>,
}

/// One document to typeset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Main `.typ` file, relative to the build folder.
    pub source: String,
    /// Output PDF file name, relative to the output folder.
    pub pdf: String,
}

/// The templates shipped with the tool, embedded at build time (for `tsb-report init` and as
/// the fallback when the project has none).
pub fn builtin_templates() -> Templates {
    [
        (
            "rapport.typ.j2",
            include_str!("../../report-templates/rapport.typ.j2"),
        ),
        (
            "styrenotat.typ.j2",
            include_str!("../../report-templates/styrenotat.typ.j2"),
        ),
        (
            "_stil.typ.j2",
            include_str!("../../report-templates/_stil.typ.j2"),
        ),
        (
            "_makroer.typ.j2",
            include_str!("../../report-templates/_makroer.typ.j2"),
        ),
        (
            "_anbefalinger.typ.j2",
            include_str!("../../report-templates/_anbefalinger.typ.j2"),
        ),
        (
            "foretak.typ.j2",
            include_str!("../../report-templates/foretak.typ.j2"),
        ),
    ]
    .into_iter()
    .chain(docx::BUILTIN)
    .map(|(n, s)| (n.to_string(), s.to_string()))
    .collect()
}

/// The documents render produces, in order: (template, Typst source, PDF).
const DOCUMENTS: [(&str, &str, &str); 2] = [
    ("rapport.typ.j2", "rapport.typ", "rapport.pdf"),
    ("styrenotat.typ.j2", "styrenotat.typ", "styrenotat.pdf"),
];

/// The per-trust template: rendered once per health trust into `foretak/<id>.typ`.
const TRUST_TEMPLATE: &str = "foretak.typ.j2";

/// The auto-escape name for `.typ` templates.
const TYPST: &str = "typst";

/// The auto-escape name for `.xml` and `.rels` templates (the Word document's parts).
const XML: &str = "xml";

/// The minijinja environment every template runs in: strict undefined, Typst auto-escape for
/// `*.typ` and `*.typ.j2`, the Norwegian filters.
pub fn environment(templates: &Templates) -> anyhow::Result<Environment<'static>> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| anyhow::anyhow!("failed to configure templates ({e})"))?,
    );
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".typ") || name.ends_with(".typ.j2") {
            AutoEscape::Custom(TYPST.into())
        } else if [".xml", ".xml.j2", ".rels", ".rels.j2"]
            .iter()
            .any(|e| name.ends_with(e))
        {
            AutoEscape::Custom(XML.into())
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(|out, state, value| {
        if value.is_undefined() {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                "printed an undefined value",
            ));
        }
        if value.is_safe() {
            return out
                .write_str(value.as_str().unwrap_or_default())
                .map_err(Error::from);
        }
        match state.auto_escape() {
            AutoEscape::Custom(name) if name == TYPST => out
                .write_str(&escape::escape_markup(&plain_text(value)))
                .map_err(Error::from),
            AutoEscape::Custom(name) if name == XML => out
                .write_str(&escape::xml(&plain_text(value)))
                .map_err(Error::from),
            _ => minijinja::escape_formatter(out, state, value),
        }
    });
    format::add_filters(&mut env);
    // Only `*.j2` files are templates; a README or an editor's backup beside them is not.
    for (name, source) in templates.iter().filter(|(n, _)| n.ends_with(".j2")) {
        env.add_template_owned(name.clone(), source.clone())
            .map_err(|e| anyhow::anyhow!("failed to load template `{name}` ({e})"))?;
    }
    Ok(env)
}

/// A value as the text a reader sees: `none` as `..`, numbers with a decimal comma, booleans
/// as `ja`/`nei`.
fn plain_text(value: &Value) -> String {
    if value.is_none() {
        return format::MANGLER.to_string();
    }
    if let Some(s) = value.as_str() {
        return s.to_string();
    }
    match value.kind() {
        minijinja::value::ValueKind::Bool => {
            if value.is_true() {
                "ja".into()
            } else {
                "nei".into()
            }
        }
        minijinja::value::ValueKind::Number => match i64::try_from(value.clone()) {
            Ok(i) if value.as_i64().is_some() => i.to_string(),
            _ => value.to_string().replace('.', ","),
        },
        _ => value.to_string(),
    }
}

/// Render every document.
pub fn render(input: &RenderInput<'_>, templates: &Templates) -> anyhow::Result<Rendered> {
    // A project made before the per-trust report existed has no `foretak.typ.j2`: use the
    // built-in one (with the project's own partials).
    let mut templates = templates.clone();
    if !templates.contains_key(TRUST_TEMPLATE) {
        templates.insert(
            TRUST_TEMPLATE.to_string(),
            include_str!("../../report-templates/foretak.typ.j2").to_string(),
        );
    }
    // Nor the Word document's parts: use the built-in ones.
    if !templates.keys().any(|n| n.starts_with(docx::FOLDER)) {
        for (name, source) in docx::BUILTIN {
            templates.insert(name.to_string(), source.to_string());
        }
    }
    let env = environment(&templates)?;
    let (view, charts) = view::build(input);
    let ctx = Value::from(minijinja::value::Serde(&view));
    let mut rendered = Rendered::default();
    for (template, source, pdf) in DOCUMENTS {
        let tmpl = env
            .get_template(template)
            .map_err(|e| anyhow::anyhow!("failed to find template `{template}` ({e})"))?;
        let text = tmpl
            .render(&ctx)
            .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
        rendered.files.insert(source.to_string(), text.into_bytes());
        rendered.documents.push(Document {
            source: source.to_string(),
            pdf: pdf.to_string(),
        });
    }
    // One short report per health trust, from the same environment and view: `ft` is the
    // trust, `meta.tittel` names it (metadata and header).
    let tmpl = env
        .get_template(TRUST_TEMPLATE)
        .map_err(|e| anyhow::anyhow!("failed to find template `{TRUST_TEMPLATE}` ({e})"))?;
    let mut stems = std::collections::BTreeSet::new();
    for ft in trust::build(&view::Ctx::new(input), &view) {
        let mut stem = trust::file_stem(&ft.id);
        let mut n = 2;
        while !stems.insert(stem.clone()) {
            stem = format!("{}-{n}", trust::file_stem(&ft.id));
            n += 1;
        }
        let mut meta = view.meta.clone();
        meta.tittel = format!("{}: {}", ft.navn, view.meta.tittel);
        let local = minijinja::context! {
            ft => Value::from(minijinja::value::Serde(&ft)),
            meta => Value::from(minijinja::value::Serde(&meta)),
            hovedtittel => view.meta.tittel.clone(),
        };
        let text = tmpl
            .render(minijinja::value::merge_maps([ctx.clone(), local]))
            .map_err(|e| anyhow::anyhow!("{} (for `{}`)", describe(&e), ft.id))?;
        let source = format!("foretak/{stem}.typ");
        rendered.files.insert(source.clone(), text.into_bytes());
        rendered.documents.push(Document {
            source,
            pdf: format!("foretak/{stem}.pdf"),
        });
    }
    for (path, svg) in charts {
        rendered.files.insert(path, svg.into_bytes());
    }
    // The board briefing as a Word document, from the same view; `dokument.opprettet` is the
    // PDFs' creation time (the data date at noon UTC), for the document properties.
    let opprettet = input
        .meta
        .date
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    let local = minijinja::context! { dokument => minijinja::context! { opprettet } };
    if let Some(bytes) = docx::render(
        &env,
        &templates,
        &minijinja::value::merge_maps([ctx, local]),
    )? {
        rendered.outputs.insert(docx::OUTPUT.to_string(), bytes);
    }
    Ok(rendered)
}

/// A template error as one line: `failed to render `rapport.typ.j2` line 12 (message)`.
fn describe(e: &Error) -> String {
    let mut msg = format!(
        "failed to render `{}`{} ({})",
        e.name().unwrap_or("?"),
        e.line().map(|l| format!(" line {l}")).unwrap_or_default(),
        e.detail().unwrap_or(&e.kind().to_string())
    );
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, source: &str, ctx: Value) -> Result<String, Error> {
        let templates: Templates = [(name.to_string(), source.to_string())]
            .into_iter()
            .collect();
        let env = environment(&templates).expect("environment");
        env.get_template(name)?.render(ctx)
    }

    #[test]
    fn typ_templates_escape_every_printed_value() {
        let ctx = minijinja::context! { x => "#read(\"/etc/passwd\") *b*" };
        let out = run("a.typ.j2", "[{{ x }}]", ctx.clone()).unwrap();
        assert_eq!(out, "[\\#read(\\\"\\/etc\\/passwd\\\") \\*b\\*]");
        let plain = run("a.txt.j2", "{{ x }}", ctx).unwrap();
        assert_eq!(plain, "#read(\"/etc/passwd\") *b*");
    }

    #[test]
    fn typst_str_quotes_for_string_literals() {
        let ctx = minijinja::context! { x => "a \"b\" \\ #c" };
        let out = run(
            "a.typ.j2",
            "#image(\"f.svg\", alt: {{ x | typst_str }})",
            ctx,
        )
        .unwrap();
        assert_eq!(out, "#image(\"f.svg\", alt: \"a \\\"b\\\" \\\\ #c\")");
    }

    #[test]
    fn numbers_and_none_print_the_norwegian_way() {
        let ctx = minijinja::context! { i => 2026, f => 0.4321, n => () };
        let out = run(
            "a.typ.j2",
            "{{ i }} {{ f | prosent }} {{ n | prosent }} {{ n }}",
            ctx,
        )
        .unwrap();
        assert_eq!(out, "2026 43,2\u{a0}% – \\.\\.");
    }

    #[test]
    fn filters_and_printing_reject_undefined_values() {
        let ctx = minijinja::context! { x => 1 };
        assert!(run("a.typ.j2", "{{ missing | prosent }}", ctx.clone()).is_err());
        assert!(run("a.typ.j2", "{{ missing }}", ctx).is_err());
    }

    #[test]
    fn only_j2_files_are_templates() {
        let mut templates = builtin_templates();
        templates.insert("README.md".into(), "{{ not a template".into());
        assert!(environment(&templates).is_ok());
    }
}
