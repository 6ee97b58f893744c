//! The rule language of `[[anbefaling]]` (report §9, indicators.md): a rule is a title, a
//! sentence with `{navn}` placeholders and conditions, each naming one published indicator
//! cell and its threshold(s).
//!
//! [`crate::config`] only deserialises the rules (into [`RuleSettings`], defined here with
//! the rest of the language, so that this module does not depend on config); this module
//! parses the sentence ([`parse_text`], [`fill`]), checks a rule against the indicator
//! registry when the settings are read ([`check`]), and evaluates a condition against the
//! indicator table ([`evaluate`]). Wording the outcome for the documents is
//! `render::rules`'s job.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::indicators::registry::{self, IndicatorDef};
use crate::indicators::{IndicatorRow, IndicatorTable, Keys};

/// `[[anbefaling]]`: a candidate recommendation raised when every condition holds on a
/// published (not suppressed) indicator value. Read with the settings ([`crate::config`]),
/// checked by [`check`] and evaluated by [`evaluate`].
///
/// ```toml
/// [[anbefaling]]
/// tittel = "Spre LAR-piloten"
/// tekst = "Vakansgraden for legespesialister er {vakansgrad}."
/// [[anbefaling.vilkar]]
/// navn = "vakansgrad"
/// indikator = "vakansgrad"
/// gruppering = "yrke"
/// yrke_id = "legespesialist"
/// over = 0.15
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    /// The recommendation's title.
    pub tittel: String,
    /// The sentence; `{navn}` is replaced by the formatted value of the condition `navn`
    /// (`{{` and `}}` print a brace).
    pub tekst: String,
    /// The conditions; all must hold.
    pub vilkar: Vec<ConditionSettings>,
}

/// `[[anbefaling.vilkar]]`: one indicator cell and its threshold(s).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSettings {
    /// Placeholder name in `tekst` (`[a-z0-9_]`, unique within the rule).
    pub navn: String,
    /// Indicator id from the registry.
    pub indikator: String,
    /// Grouping (`region`, `foretak`, `yrke`, `pilot`, …), one the indicator is computed at.
    pub gruppering: String,
    /// Health trust id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foretak_id: Option<String>,
    /// Unit id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enhet_id: Option<String>,
    /// Profession id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yrke_id: Option<String>,
    /// Competence level 1–4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kompetanseniva: Option<u8>,
    /// Pilot id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pilot_id: Option<String>,
    /// `før`, `pilot` or `endring`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fase: Option<String>,
    /// Challenge area or task area.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub omrade: Option<String>,
    /// Survey key (export file stem, `ansattundersokelse-2026`); required for survey
    /// indicators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undersokelse: Option<String>,
    /// Holds when the value is greater than this (shares as fractions: `0.15` is 15 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over: Option<f64>,
    /// Holds when the value is less than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub under: Option<f64>,
    /// Holds when the value is at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minst: Option<f64>,
    /// Holds when the value is at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hoyst: Option<f64>,
}

/// A piece of a rule's `tekst`: literal text or a placeholder name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextPart {
    /// Literal text.
    Text(String),
    /// `{navn}`.
    Placeholder(String),
}

/// Split a rule's `tekst` into literal text and `{navn}` placeholders; `{{` and `}}` are
/// literal braces. Errors on an unclosed `{` or a lone `}`.
pub fn parse_text(text: &str) -> Result<Vec<TextPart>, String> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                lit.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                lit.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => return Err(format!("`{{{name}` is not closed with `}}`")),
                    }
                }
                if !lit.is_empty() {
                    parts.push(TextPart::Text(std::mem::take(&mut lit)));
                }
                parts.push(TextPart::Placeholder(name.trim().to_string()));
            }
            '}' => return Err("a lone `}` (write `}}` for a brace)".to_string()),
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        parts.push(TextPart::Text(lit));
    }
    Ok(parts)
}

/// A rule's `tekst` with every placeholder replaced by `value(name)`. A text that does not
/// parse (never one [`check`] passed) is returned as it stands.
pub fn fill(text: &str, value: impl Fn(&str) -> String) -> String {
    parse_text(text)
        .unwrap_or_else(|_| vec![TextPart::Text(text.to_string())])
        .into_iter()
        .map(|p| match p {
            TextPart::Text(t) => t,
            TextPart::Placeholder(n) => value(&n),
        })
        .collect()
}

/// A condition's comparison with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `over`: the value is greater than the threshold.
    Over,
    /// `under`: less than.
    Under,
    /// `minst`: at least.
    Minst,
    /// `hoyst`: at most.
    Hoyst,
}

impl Comparison {
    /// The comparison in words, as the documents and messages print it: `over`, `høyst`.
    pub fn word(self) -> &'static str {
        match self {
            Comparison::Over => "over",
            Comparison::Under => "under",
            Comparison::Minst => "minst",
            Comparison::Hoyst => "høyst",
        }
    }

    /// Whether `value` compares so with `threshold`.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Over => value > threshold,
            Comparison::Under => value < threshold,
            Comparison::Minst => value >= threshold,
            Comparison::Hoyst => value <= threshold,
        }
    }
}

/// The thresholds a condition sets, in the order `over`, `under`, `minst`, `hoyst`.
pub fn thresholds(c: &ConditionSettings) -> Vec<(Comparison, f64)> {
    [
        (Comparison::Over, c.over),
        (Comparison::Under, c.under),
        (Comparison::Minst, c.minst),
        (Comparison::Hoyst, c.hoyst),
    ]
    .into_iter()
    .filter_map(|(w, t)| t.map(|t| (w, t)))
    .collect()
}

/// The key fields a condition may set at a grouping, for `indikator` (survey indicators also
/// take `undersokelse` and `omrade`).
fn allowed_keys(gruppering: &str, survey: bool) -> Vec<&'static str> {
    let mut keys = Vec::new();
    for part in gruppering.split('_') {
        match part {
            "foretak" => keys.push("foretak_id"),
            "enhet" => keys.extend(["foretak_id", "enhet_id"]),
            "yrke" => keys.push("yrke_id"),
            "kompetansenivå" => keys.push("kompetanseniva"),
            "pilot" => keys.extend(["pilot_id", "fase"]),
            "område" => keys.push("omrade"),
            _ => {}
        }
    }
    if survey {
        keys.extend(["omrade", "undersokelse"]);
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The key fields a condition must set at a grouping (the cell is otherwise ambiguous);
/// survey indicators also need `undersokelse`, challenge areas `omrade`.
fn required_keys(gruppering: &str) -> Vec<&'static str> {
    let mut keys = Vec::new();
    for part in gruppering.split('_') {
        match part {
            "foretak" => keys.push("foretak_id"),
            "enhet" => keys.push("enhet_id"),
            "yrke" => keys.push("yrke_id"),
            "kompetansenivå" => keys.push("kompetanseniva"),
            "pilot" => keys.extend(["pilot_id", "fase"]),
            "område" => keys.push("omrade"),
            _ => {}
        }
    }
    keys
}

/// Check one `[[anbefaling]]` against the indicator registry: every condition names a
/// published indicator at a grouping it is computed at, with exactly the keys that pick one
/// cell and at least one finite threshold; every placeholder of `tekst` names a condition.
pub fn check(rule: &RuleSettings) -> Result<(), String> {
    if rule.tittel.trim().is_empty() {
        return Err("`tittel` is empty".into());
    }
    if rule.vilkar.is_empty() {
        return Err("it has no `[[anbefaling.vilkar]]`, so it would always be raised".into());
    }
    let mut names = BTreeSet::new();
    for c in &rule.vilkar {
        check_condition(c, &mut names)?;
    }
    check_text(&rule.tekst, &names)
}

/// Check one condition; `names` holds the names of the rule's conditions before it.
fn check_condition<'a>(
    c: &'a ConditionSettings,
    names: &mut BTreeSet<&'a str>,
) -> Result<(), String> {
    let at = format!("condition `{}`", c.navn);
    if c.navn.is_empty()
        || !c
            .navn
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
    {
        return Err(format!(
            "{at}: `navn` must be a non-empty name of a-z, 0-9 and _"
        ));
    }
    if !names.insert(c.navn.as_str()) {
        return Err(format!("{at}: the name is used twice in this rule"));
    }
    let def = exported_def(&c.indikator).map_err(|e| format!("{at}: {e}"))?;
    if !def.grupperinger.contains(&c.gruppering.as_str()) {
        return Err(format!(
            "{at}: indicator `{}` is not computed at grouping `{}`; it is at {}",
            c.indikator,
            c.gruppering,
            def.grupperinger.join(", ")
        ));
    }
    check_keys(c, def, &at)?;
    check_key_values(c, &at)?;
    check_thresholds(c, def, &at)
}

/// The exported indicator `id`, or why not: unknown, with the nearest id or the known ones.
fn exported_def(id: &str) -> Result<&'static IndicatorDef, String> {
    if let Some(def) = registry::def(id).filter(|d| d.eksporteres) {
        return Ok(def);
    }
    let ids: Vec<&str> = registry::registry()
        .iter()
        .filter(|d| d.eksporteres)
        .map(|d| d.id)
        .collect();
    let best = ids
        .iter()
        .map(|known| (strsim::jaro_winkler(known, id), *known))
        .filter(|(s, _)| *s > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    Err(match best {
        Some((_, known)) => format!("unknown indicator `{id}`; did you mean `{known}`?"),
        None => format!("unknown indicator `{id}`; known: {}", ids.join(", ")),
    })
}

/// The condition sets only keys that apply at its grouping, and every key the grouping needs.
fn check_keys(c: &ConditionSettings, def: &IndicatorDef, at: &str) -> Result<(), String> {
    let survey = def.kilde.starts_with("§4");
    let allowed = allowed_keys(&c.gruppering, survey);
    let set = [
        ("foretak_id", c.foretak_id.is_some()),
        ("enhet_id", c.enhet_id.is_some()),
        ("yrke_id", c.yrke_id.is_some()),
        ("kompetanseniva", c.kompetanseniva.is_some()),
        ("pilot_id", c.pilot_id.is_some()),
        ("fase", c.fase.is_some()),
        ("omrade", c.omrade.is_some()),
        ("undersokelse", c.undersokelse.is_some()),
    ];
    for (key, _) in set.iter().filter(|(_, s)| *s) {
        if !allowed.contains(key) {
            return Err(format!(
                "{at}: `{key}` does not apply at grouping `{}`{}",
                c.gruppering,
                if allowed.is_empty() {
                    String::new()
                } else {
                    format!(" (it takes {})", allowed.join(", "))
                }
            ));
        }
    }
    let mut required = required_keys(&c.gruppering);
    if c.indikator.starts_with("utfordring_") {
        required.push("omrade");
    }
    if survey && c.undersokelse.is_none() {
        return Err(format!(
            "{at}: `{}` comes from a survey and needs `undersokelse` (the export's file name without extension)",
            c.indikator
        ));
    }
    for key in required {
        if !set.iter().any(|(k, s)| *k == key && *s) {
            return Err(format!("{at}: grouping `{}` needs `{key}`", c.gruppering));
        }
    }
    Ok(())
}

/// `fase` and `kompetanseniva`, when set, hold values the table has.
fn check_key_values(c: &ConditionSettings, at: &str) -> Result<(), String> {
    if let Some(f) = &c.fase
        && !["før", "pilot", "endring"].contains(&f.as_str())
    {
        return Err(format!(
            "{at}: `fase` is `{f}`, but must be `før`, `pilot` or `endring`"
        ));
    }
    if let Some(l) = c.kompetanseniva
        && !(1..=4).contains(&l)
    {
        return Err(format!("{at}: `kompetanseniva` must be 1–4, found {l}"));
    }
    Ok(())
}

/// At least one threshold, each finite, and a share's written as a fraction.
fn check_thresholds(c: &ConditionSettings, def: &IndicatorDef, at: &str) -> Result<(), String> {
    let thresholds = thresholds(c);
    if thresholds.is_empty() {
        return Err(format!(
            "{at}: it needs a threshold: `over`, `under`, `minst` or `hoyst`"
        ));
    }
    for (cmp, t) in thresholds {
        if !t.is_finite() {
            return Err(format!("{at}: `{}` must be a number", cmp.word()));
        }
        if def.maleenhet == "andel" && t.abs() > 1.0 {
            return Err(format!(
                "{at}: `{}` is a share, written as a fraction (0.15 for 15 %), but the threshold is {t}",
                c.indikator
            ));
        }
    }
    Ok(())
}

/// `tekst` parses, and each placeholder names a condition in `names`.
fn check_text(tekst: &str, names: &BTreeSet<&str>) -> Result<(), String> {
    for part in parse_text(tekst).map_err(|e| format!("`tekst`: {e}"))? {
        if let TextPart::Placeholder(p) = part
            && !names.contains(p.as_str())
        {
            return Err(format!(
                "`tekst` uses `{{{p}}}`, but no condition is named `{p}` (conditions: {})",
                names.iter().copied().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    Ok(())
}

/// How one condition came out against the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome<'a> {
    /// The cell is published and every threshold holds.
    Holds(&'a IndicatorRow),
    /// The cell is published and a threshold fails.
    Fails(&'a IndicatorRow),
    /// The cell is suppressed: the condition cannot be judged.
    Suppressed(&'a IndicatorRow),
    /// No cell (or one without a value) matches.
    Missing,
    /// This many cells match.
    Ambiguous(usize),
}

/// The condition's keys as table keys (no date: current values).
pub fn keys_of(c: &ConditionSettings) -> Keys {
    Keys {
        foretak_id: c.foretak_id.clone(),
        enhet_id: c.enhet_id.clone(),
        yrke_id: c.yrke_id.clone(),
        kompetanseniva: c.kompetanseniva,
        pilot_id: c.pilot_id.clone(),
        fase: c.fase.clone(),
        omrade: c.omrade.clone(),
        undersokelse: c.undersokelse.clone(),
        dato: None,
    }
}

/// The current row a condition names: every given key equal, no date; more than one match
/// is reported as ambiguous.
fn lookup<'a>(table: &'a IndicatorTable, c: &ConditionSettings) -> Result<&'a IndicatorRow, usize> {
    let want = keys_of(c);
    let eq = |a: &Option<String>, b: &Option<String>| a.is_none() || a == b;
    let rows: Vec<&IndicatorRow> = table
        .rows
        .iter()
        .filter(|r| r.indikator == c.indikator && r.gruppering == c.gruppering)
        .filter(|r| r.keys.dato.is_none())
        .filter(|r| {
            let k = &r.keys;
            eq(&want.foretak_id, &k.foretak_id)
                && eq(&want.enhet_id, &k.enhet_id)
                && eq(&want.yrke_id, &k.yrke_id)
                && (want.kompetanseniva.is_none() || want.kompetanseniva == k.kompetanseniva)
                && eq(&want.pilot_id, &k.pilot_id)
                && eq(&want.fase, &k.fase)
                && eq(&want.omrade, &k.omrade)
                && eq(&want.undersokelse, &k.undersokelse)
        })
        .collect();
    match rows.as_slice() {
        [one] => Ok(*one),
        many => Err(many.len()),
    }
}

/// Evaluate one condition against the published table.
pub fn evaluate<'a>(table: &'a IndicatorTable, c: &ConditionSettings) -> Outcome<'a> {
    match lookup(table, c) {
        Err(0) => Outcome::Missing,
        Err(n) => Outcome::Ambiguous(n),
        Ok(r) if r.prikket => Outcome::Suppressed(r),
        Ok(r) => match r.verdi {
            None => Outcome::Missing,
            Some(v) => {
                if thresholds(c).iter().all(|(cmp, t)| cmp.holds(v, *t)) {
                    Outcome::Holds(r)
                } else {
                    Outcome::Fails(r)
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_text_placeholders_and_braces() {
        assert_eq!(
            parse_text("a {x} {{b}}").unwrap(),
            [
                TextPart::Text("a ".into()),
                TextPart::Placeholder("x".into()),
                TextPart::Text(" {b}".into()),
            ]
        );
        assert!(parse_text("a {x").is_err());
        assert!(parse_text("a } b").is_err());
    }

    #[test]
    fn fill_replaces_placeholders_and_keeps_an_unparsable_text() {
        let v = |n: &str| format!("<{n}>");
        assert_eq!(fill("a {x} {{b}}", v), "a <x> {b}");
        assert_eq!(fill("a {x", v), "a {x");
    }

    #[test]
    fn comparisons_hold_as_their_words_say() {
        assert!(Comparison::Over.holds(0.2, 0.15) && !Comparison::Over.holds(0.15, 0.15));
        assert!(Comparison::Minst.holds(0.15, 0.15) && !Comparison::Under.holds(0.15, 0.15));
        assert!(Comparison::Hoyst.holds(0.15, 0.15));
        assert_eq!(Comparison::Hoyst.word(), "høyst");
    }
}
