//! Reading one cell as the value of its field: numbers, days, enumerations in French or
//! English, lists, roles and sources.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::NaiveDate;
use entity::{CompanyStage, OrganisationKind, ProgrammeKind, TechnologyDomain, Topic};
use serde_json::{Value, json};

use super::columns::{Ty, Vocabulary, heading_key};
use crate::search::vocabulary;

/// The separators of a list cell unless the mapping names others.
const SEPARATORS: [char; 4] = [';', '|', '\n', ','];

/// The value of a cell for a field of type `ty`, `None` when the cell is empty; or what is wrong.
pub fn value(ty: Ty, cell: &str, separator: Option<&str>) -> Result<Option<Value>, String> {
    if cell.trim().is_empty() {
        return Ok(None);
    }
    let line = cell.trim();
    let value = match ty {
        Ty::Text => Value::String(cell.to_string()),
        Ty::Line | Ty::Ref(_) => Value::String(line.to_string()),
        Ty::Int => json!(int(line)?),
        Ty::Coordinate => json!(
            line.replace(',', ".").parse::<f64>().map_err(|_| format!("must be a number of degrees, got {line:?}"))?
        ),
        Ty::Date => Value::String(date(line)?.to_string()),
        Ty::Enum(vocabulary) => Value::String(enumerated(vocabulary, line)?.to_string()),
        Ty::EnumList(vocabulary) => {
            let values = items(cell, separator)?
                .iter()
                .map(|item| enumerated(vocabulary, item))
                .collect::<Result<Vec<_>, _>>()?;
            json!(values)
        }
        Ty::List | Ty::RefList(_) => json!(items(cell, separator)?),
        Ty::Roles => json!(items(cell, separator)?.iter().map(|item| role(item)).collect::<Result<Vec<_>, _>>()?),
        Ty::Sources => sources(cell, separator)?,
        Ty::Json => serde_json::from_str(line).map_err(|err| format!("must be the document's JSON: {err}"))?,
    };
    Ok(Some(value))
}

/// The items of a list cell: a JSON array as an export writes it when an item holds a
/// separator, or the text split at the separators; empty items dropped.
fn items(cell: &str, separator: Option<&str>) -> Result<Vec<String>, String> {
    let line = cell.trim();
    if line.starts_with('[') {
        return serde_json::from_str(line)
            .map_err(|err| format!("a list written as JSON must be an array of texts: {err}"));
    }
    let parts: Vec<&str> = match separator {
        Some(separator) => cell.split(separator).collect(),
        None => cell.split(SEPARATORS).collect(),
    };
    Ok(parts.into_iter().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
}

/// A whole number, as typed or as a spreadsheet stores it (`2008.0`), spaces between thousands allowed.
fn int(text: &str) -> Result<i64, String> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace() && *c != '\u{202f}').collect();
    if let Ok(n) = digits.parse::<i64>() {
        return Ok(n);
    }
    match digits.parse::<f64>() {
        Ok(f) if f.fract() == 0.0 && f.abs() < 1e15 => Ok(f as i64),
        _ => Err(format!("must be a whole number, got {text:?}")),
    }
}

/// A day: ISO (`2022-06-22`), or as written in France (`22/06/2022`, `22.06.2022`).
fn date(text: &str) -> Result<NaiveDate, String> {
    let day = text.split(['T', ' ']).next().unwrap_or(text);
    ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(day, format).ok())
        .ok_or_else(|| format!("must be a day such as 2022-06-22 or 22/06/2022, got {text:?}"))
}

/// A role: `title @ organisation`.
fn role(item: &str) -> Result<Value, String> {
    match item.rsplit_once('@') {
        Some((title, organisation)) if !title.trim().is_empty() && !organisation.trim().is_empty() => {
            Ok(json!({"title": title.trim(), "organisation": organisation.trim()}))
        }
        _ => Err(format!("a role is written \"title @ organisation\", got {item:?}")),
    }
}

/// Sources: the document's JSON, or items that are each a URL (its own title) or a title.
fn sources(cell: &str, separator: Option<&str>) -> Result<Value, String> {
    let line = cell.trim();
    if line.starts_with('[') {
        return serde_json::from_str(line)
            .map_err(|err| format!("sources written as JSON must be the document's: {err}"));
    }
    // A URL may hold commas: only the other separators split sources unless the mapping says.
    let parts: Vec<&str> = match separator {
        Some(separator) => cell.split(separator).collect(),
        None => cell.split([';', '|', '\n']).collect(),
    };
    let sources: Vec<Value> = parts
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            if item.starts_with("http://") || item.starts_with("https://") {
                json!({"title": item, "url": item})
            } else {
                json!({"title": item})
            }
        })
        .collect();
    Ok(json!(sources))
}

/// The value an enumeration's cell names: the value itself (`LARGE_GROUP`, `large group`) or a
/// word people use for it, in French or English (`PME`, `grand groupe`, `mentorat`).
fn enumerated(vocabulary: Vocabulary, text: &str) -> Result<&'static str, String> {
    if let Some(value) = named(vocabulary).get(&heading_key(text)) {
        return Ok(value);
    }
    Err(format!(
        "unknown {} {text:?}; expected one of {}",
        noun(vocabulary),
        values(vocabulary)
            .iter()
            .map(|(value, words)| match words.first() {
                Some(word) => format!("{value} ({word})"),
                None => value.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// The values of an enumeration by their folded names and words, built once for every cell:
/// where two values share a word, the first one declared takes it.
fn named(vocabulary: Vocabulary) -> &'static HashMap<String, &'static str> {
    static TABLES: OnceLock<HashMap<Vocabulary, HashMap<String, &'static str>>> = OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        Vocabulary::ALL
            .iter()
            .map(|&vocabulary| {
                let mut keys = HashMap::new();
                for (value, words) in values(vocabulary) {
                    for word in std::iter::once(value).chain(words) {
                        keys.entry(heading_key(word)).or_insert(value);
                    }
                }
                (vocabulary, keys)
            })
            .collect()
    });
    &tables[&vocabulary]
}

fn noun(vocabulary: Vocabulary) -> &'static str {
    match vocabulary {
        Vocabulary::Lang => "language",
        Vocabulary::Stage => "stage",
        Vocabulary::Domain => "technology domain",
        Vocabulary::OrganisationKind => "kind of organisation",
        Vocabulary::ProgrammeKind => "kind of programme",
        Vocabulary::Topic => "topic",
    }
}

/// Each value of an enumeration with the words that name it; the search's vocabulary, and a
/// few words only spreadsheets use.
fn values(vocabulary: Vocabulary) -> Vec<(&'static str, Vec<&'static str>)> {
    fn with<T: Copy>(
        all: &[T],
        name: fn(T) -> &'static str,
        words: fn(T) -> &'static [&'static str],
        extra: fn(T) -> &'static [&'static str],
    ) -> Vec<(&'static str, Vec<&'static str>)> {
        all.iter().map(|&v| (name(v), words(v).iter().chain(extra(v)).copied().collect())).collect()
    }
    fn none<T>(_: T) -> &'static [&'static str] {
        &[]
    }
    match vocabulary {
        Vocabulary::Lang => vec![("fr", vec!["français", "french", "francais"]), ("en", vec!["anglais", "english"])],
        Vocabulary::Stage => {
            with(CompanyStage::ALL, CompanyStage::as_str, vocabulary::stage_words, |stage| match stage {
                CompanyStage::Startup => &["jei"],
                CompanyStage::Sme => &["TPE", "TPE/PME", "micro-entreprise"],
                CompanyStage::Midcap => &[],
                CompanyStage::LargeGroup => &["GE"],
            })
        }
        Vocabulary::Domain => with(TechnologyDomain::ALL, TechnologyDomain::as_str, vocabulary::domain_words, none),
        Vocabulary::OrganisationKind => {
            with(OrganisationKind::ALL, OrganisationKind::as_str, vocabulary::organisation_kind_words, none)
        }
        Vocabulary::ProgrammeKind => {
            with(ProgrammeKind::ALL, ProgrammeKind::as_str, vocabulary::programme_kind_words, none)
        }
        Vocabulary::Topic => with(Topic::ALL, Topic::as_str, vocabulary::topic_words, none),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::EntityKind;

    #[test]
    fn enumerations_read_their_names_and_the_words_people_write() {
        let stage = Ty::Enum(Vocabulary::Stage);
        assert_eq!(value(stage, "PME", None), Ok(Some(json!("SME"))));
        assert_eq!(value(stage, " Grand groupe ", None), Ok(Some(json!("LARGE_GROUP"))));
        assert_eq!(value(stage, "large_group", None), Ok(Some(json!("LARGE_GROUP"))));
        assert_eq!(value(Ty::Enum(Vocabulary::Lang), "Français", None), Ok(Some(json!("fr"))));
        let error = value(stage, "moyenne", None).unwrap_err();
        assert!(
            error.starts_with("unknown stage \"moyenne\"; expected one of STARTUP (startup), SME (SME)"),
            "{error}"
        );
    }

    #[test]
    fn numbers_days_and_lists_read_as_spreadsheets_write_them() {
        assert_eq!(value(Ty::Int, "2008.0", None), Ok(Some(json!(2008))));
        assert_eq!(value(Ty::Int, "1 250", None), Ok(Some(json!(1250))));
        assert!(value(Ty::Int, "douze", None).is_err());
        assert_eq!(value(Ty::Coordinate, "43,4905", None), Ok(Some(json!(43.4905))));
        assert_eq!(value(Ty::Date, "22/06/2022", None), Ok(Some(json!("2022-06-22"))));
        assert_eq!(value(Ty::Date, "2022-06-22T00:00:00", None), Ok(Some(json!("2022-06-22"))));
        let list = Ty::RefList(EntityKind::Technology);
        assert_eq!(
            value(list, "Fibre optique; fuel-analysis,", None),
            Ok(Some(json!(["Fibre optique", "fuel-analysis"])))
        );
        assert_eq!(value(list, "a / b", Some("/")), Ok(Some(json!(["a", "b"]))));
        assert_eq!(value(Ty::List, r#"["a; b", "c"]"#, None), Ok(Some(json!(["a; b", "c"]))));
        assert_eq!(value(list, "  ", None), Ok(None));
    }

    #[test]
    fn roles_and_sources_have_a_short_form() {
        assert_eq!(
            value(Ty::Roles, "Président @ UPE 13", None),
            Ok(Some(json!([{"title": "Président", "organisation": "UPE 13"}])))
        );
        assert!(value(Ty::Roles, "Président", None).is_err());
        assert_eq!(
            value(Ty::Sources, "https://example.org/a,b; Rapport annuel", None),
            Ok(Some(
                json!([{"title": "https://example.org/a,b", "url": "https://example.org/a,b"}, {"title": "Rapport annuel"}])
            ))
        );
    }
}
