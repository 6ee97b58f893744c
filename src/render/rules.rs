//! Candidate recommendations from the `[[anbefaling]]` rules in `tsb-report.toml` (report
//! §9), in words: [`crate::rules`] evaluates each rule's conditions against published
//! indicator values; here a raised rule's sentence is filled with the values it rests on, and
//! a rule not raised says why. Pure: reads the table only.

use serde::Serialize;

use super::format;
use super::names::describe_cell;
use crate::indicators::{IndicatorTable, Keys};
use crate::model::Dataset;
use crate::rules::{ConditionSettings, Outcome, RuleSettings, evaluate, keys_of, thresholds};

/// A raised candidate recommendation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateView {
    /// Title.
    pub tittel: String,
    /// The sentence with its placeholders filled.
    pub tekst: String,
    /// The values it rests on, one line each: `Vakansgrad, Legespesialist: 20,5 % (vilkår:
    /// over 15,0 %)`.
    pub grunnlag: Vec<String>,
}

/// A rule that was not raised, with why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotRaisedView {
    /// Title.
    pub tittel: String,
    /// The conditions that failed, one line each.
    pub arsaker: Vec<String>,
}

/// The rules' outcome for section 9.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RulesView {
    /// Number of rules in the settings.
    pub antall: usize,
    /// Raised candidates, in settings order.
    pub kandidater: Vec<CandidateView>,
    /// Rules not raised, in settings order.
    pub ikke_utlost: Vec<NotRaisedView>,
}

/// A value as the documents print it: percent for shares (percentage points for a change),
/// one decimal for FTE and hours, per the unit.
pub fn value_text(v: f64, maleenhet: &str, fase: Option<&str>) -> String {
    if maleenhet == "andel" && fase == Some("endring") {
        format::percentage_points(v)
    } else {
        format::in_unit(v, maleenhet)
    }
}

/// A value with its unit in words, for the lines that cite it.
fn with_unit(v: f64, maleenhet: &str, fase: Option<&str>) -> String {
    let t = value_text(v, maleenhet, fase);
    match maleenhet {
        "årsverk" => format!("{t} årsverk"),
        "timer_per_uke" => format!("{t} timer per uke"),
        "minutter" => format!("{t} minutter"),
        _ => t,
    }
}

fn condition_text(c: &ConditionSettings, maleenhet: &str) -> String {
    thresholds(c)
        .iter()
        .map(|(cmp, t)| {
            format!(
                "{} {}",
                cmp.word(),
                with_unit(*t, maleenhet, c.fase.as_deref())
            )
        })
        .collect::<Vec<_>>()
        .join(" og ")
}

fn unit_of(c: &ConditionSettings) -> &'static str {
    crate::indicators::registry::def(&c.indikator)
        .map(|d| d.maleenhet)
        .unwrap_or("")
}

fn cell_name(dataset: &Dataset, c: &ConditionSettings, keys: &Keys) -> String {
    let navn = crate::indicators::registry::def(&c.indikator)
        .map(|d| d.navn.to_string())
        .unwrap_or_else(|| c.indikator.clone());
    format!("{navn}, {}", describe_cell(dataset, keys))
}

/// Check every rule against the table.
pub fn evaluate_rules(
    rules: &[RuleSettings],
    table: &IndicatorTable,
    dataset: &Dataset,
) -> RulesView {
    let mut view = RulesView {
        antall: rules.len(),
        ..RulesView::default()
    };
    for rule in rules {
        let mut grunnlag = Vec::new();
        let mut arsaker = Vec::new();
        let mut values = std::collections::BTreeMap::new();
        for c in &rule.vilkar {
            let unit = unit_of(c);
            let krav = condition_text(c, unit);
            match evaluate(table, c) {
                Outcome::Holds(r) => {
                    let v = r.verdi.unwrap_or_default();
                    values.insert(
                        c.navn.clone(),
                        value_text(v, &r.maleenhet, r.keys.fase.as_deref()),
                    );
                    grunnlag.push(format!(
                        "{}: {} (vilkår: {krav})",
                        cell_name(dataset, c, &r.keys),
                        with_unit(v, &r.maleenhet, r.keys.fase.as_deref())
                    ));
                }
                Outcome::Fails(r) => arsaker.push(format!(
                    "{}: {} (vilkår: {krav})",
                    cell_name(dataset, c, &r.keys),
                    with_unit(
                        r.verdi.unwrap_or_default(),
                        &r.maleenhet,
                        r.keys.fase.as_deref()
                    )
                )),
                Outcome::Suppressed(r) => arsaker.push(format!(
                    "{}: prikket, så regelen kan ikke vurderes (vilkår: {krav})",
                    cell_name(dataset, c, &r.keys)
                )),
                Outcome::Missing => arsaker.push(format!(
                    "{}: finnes ikke i datagrunnlaget",
                    cell_name(dataset, c, &keys_of(c))
                )),
                Outcome::Ambiguous(n) => arsaker.push(format!(
                    "{}: {n} verdier passer; angi flere nøkler i regelen",
                    cell_name(dataset, c, &keys_of(c))
                )),
            }
        }
        if arsaker.is_empty() {
            // `tekst` was checked when the settings were read; an unknown name prints `..`.
            let tekst = crate::rules::fill(&rule.tekst, |n| {
                values
                    .get(n)
                    .cloned()
                    .unwrap_or_else(|| format::MANGLER.to_string())
            });
            view.kandidater.push(CandidateView {
                tittel: rule.tittel.clone(),
                tekst,
                grunnlag,
            });
        } else {
            view.ikke_utlost.push(NotRaisedView {
                tittel: rule.tittel.clone(),
                arsaker,
            });
        }
    }
    view
}
