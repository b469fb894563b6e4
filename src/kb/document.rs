//! The knowledge-base document: one JSON value holding a whole knowledge base, and its checks.

use std::collections::{HashMap, HashSet};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::draft::{Check, CompanyDraft, OrganisationDraft, ProgrammeDraft, TechnologyDraft};
use crate::error::{AppError, Problem, Result};

/// A whole knowledge base, or a part of one to upsert; references between entities are slugs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Document {
    pub organisations: Vec<OrganisationDraft>,
    pub technologies: Vec<TechnologyDraft>,
    pub programmes: Vec<ProgrammeDraft>,
    pub companies: Vec<CompanyDraft>,
}

impl Document {
    /// Parses a document, reporting every entity that does not have the right shape.
    pub fn parse(text: &str) -> Result<Document> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw<'a> {
            #[serde(borrow, default)]
            organisations: Vec<&'a RawValue>,
            #[serde(borrow, default)]
            technologies: Vec<&'a RawValue>,
            #[serde(borrow, default)]
            programmes: Vec<&'a RawValue>,
            #[serde(borrow, default)]
            companies: Vec<&'a RawValue>,
        }
        let raw: Raw = serde_json::from_str(text).map_err(|err| {
            let message = if err.is_syntax() || err.is_eof() {
                format!("malformed JSON: {err}")
            } else {
                format!("not a knowledge-base document: {}", tidy(&err.to_string()))
            };
            AppError::invalid("", message)
        })?;
        let mut problems = Vec::new();
        let document = Document {
            organisations: parse_list("organisations", &raw.organisations, &mut problems),
            technologies: parse_list("technologies", &raw.technologies, &mut problems),
            programmes: parse_list("programmes", &raw.programmes, &mut problems),
            companies: parse_list("companies", &raw.companies, &mut problems),
        };
        if problems.is_empty() { Ok(document) } else { Err(AppError::Invalid(problems)) }
    }

    /// How many entities the document holds.
    pub fn len(&self) -> usize {
        self.organisations.len() + self.technologies.len() + self.programmes.len() + self.companies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks every field rule and every reference, against the document itself and `existing`.
    pub fn validate(&self, existing: &Existing) -> Result<()> {
        let mut problems = Vec::new();
        let orgs =
            slugs("organisations", self.organisations.iter().map(|d| &d.slug), &existing.organisations, &mut problems);
        let techs =
            slugs("technologies", self.technologies.iter().map(|d| &d.slug), &existing.technologies, &mut problems);
        let progs = slugs("programmes", self.programmes.iter().map(|d| &d.slug), &existing.programmes, &mut problems);
        slugs("companies", self.companies.iter().map(|d| &d.slug), &existing.companies, &mut problems);

        for (i, d) in self.organisations.iter().enumerate() {
            d.check(&mut Check::new(format!("organisations[{i}]"), &mut problems));
        }
        for (i, d) in self.technologies.iter().enumerate() {
            let mut check = Check::new(format!("technologies[{i}]"), &mut problems);
            d.check(&mut check);
            reference(&mut check, "parent", "technology", d.parent.as_deref(), &techs);
        }
        for (i, d) in self.programmes.iter().enumerate() {
            let mut check = Check::new(format!("programmes[{i}]"), &mut problems);
            d.check(&mut check);
            reference(&mut check, "operator", "organisation", d.operator.as_deref(), &orgs);
        }
        for (i, d) in self.companies.iter().enumerate() {
            let mut check = Check::new(format!("companies[{i}]"), &mut problems);
            d.check(&mut check);
            reference(&mut check, "site", "organisation", d.site.as_deref(), &orgs);
            for (j, slug) in d.technologies.iter().enumerate() {
                reference(&mut check, &format!("technologies[{j}]"), "technology", Some(slug), &techs);
            }
            for (j, slug) in d.programmes.iter().enumerate() {
                reference(&mut check, &format!("programmes[{j}]"), "programme", Some(slug), &progs);
            }
            for (j, slug) in d.memberships.iter().enumerate() {
                reference(&mut check, &format!("memberships[{j}]"), "organisation", Some(slug), &orgs);
            }
        }
        self.check_taxonomy(existing, &mut problems);
        if problems.is_empty() { Ok(()) } else { Err(AppError::Invalid(problems)) }
    }

    /// Refuses parent chains that loop, once the document's parents replace the stored ones.
    fn check_taxonomy(&self, existing: &Existing, problems: &mut Vec<Problem>) {
        let mut parents: HashMap<&str, &str> =
            existing.technology_parents.iter().map(|(child, parent)| (child.as_str(), parent.as_str())).collect();
        for d in &self.technologies {
            match &d.parent {
                Some(parent) => parents.insert(d.slug.as_str(), parent.as_str()),
                None => parents.remove(d.slug.as_str()),
            };
        }
        for (i, d) in self.technologies.iter().enumerate() {
            let mut seen = HashSet::from([d.slug.as_str()]);
            let mut current = d.slug.as_str();
            while let Some(&parent) = parents.get(current) {
                if !seen.insert(parent) {
                    if parent == d.slug {
                        problems.push(Problem {
                            path: format!("technologies[{i}].parent"),
                            message: format!("{:?} would become its own ancestor", d.slug),
                        });
                    }
                    break;
                }
                current = parent;
            }
        }
    }
}

/// What the database already holds, as far as checking a document needs.
#[derive(Debug, Default)]
pub struct Existing {
    pub organisations: HashSet<String>,
    pub technologies: HashSet<String>,
    pub programmes: HashSet<String>,
    pub companies: HashSet<String>,
    /// Technology slug to its parent's slug.
    pub technology_parents: HashMap<String, String>,
}

fn parse_list<T: DeserializeOwned>(kind: &str, raws: &[&RawValue], problems: &mut Vec<Problem>) -> Vec<T> {
    let mut parsed = Vec::with_capacity(raws.len());
    for (i, raw) in raws.iter().enumerate() {
        let de = &mut serde_json::Deserializer::from_str(raw.get());
        match serde_path_to_error::deserialize(de) {
            Ok(value) => parsed.push(value),
            Err(err) => {
                let inner = err.path().to_string();
                let path = if inner == "." { format!("{kind}[{i}]") } else { format!("{kind}[{i}].{inner}") };
                problems.push(Problem { path, message: tidy(&err.into_inner().to_string()) });
            }
        }
    }
    parsed
}

/// Turns serde's messages into plain words: no backticks, no position inside a fragment.
fn tidy(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    };
    let message = message.replace('`', "");
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        if let Some((got, expected)) = rest.split_once(", expected ") {
            return format!("expected {expected}, got {got:?}");
        }
    }
    message
}

/// Collects the slugs a document will hold, reporting duplicates inside the document.
fn slugs<'a>(
    kind: &str,
    own: impl Iterator<Item = &'a String>,
    existing: &HashSet<String>,
    problems: &mut Vec<Problem>,
) -> HashSet<String> {
    let mut all = existing.clone();
    let mut in_document = HashSet::new();
    for (i, slug) in own.enumerate() {
        if !in_document.insert(slug.as_str()) {
            problems.push(Problem {
                path: format!("{kind}[{i}].slug"),
                message: format!("{slug:?} appears twice in the document"),
            });
        }
        all.insert(slug.clone());
    }
    all
}

fn reference(check: &mut Check, field: &str, kind: &str, slug: Option<&str>, known: &HashSet<String>) {
    if let Some(slug) = slug {
        if !known.contains(slug) {
            check.problem(field, format!("unknown {kind} {slug:?}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_problem_is_reported_with_its_path() {
        let text = r#"{
            "programmes": [{"slug": "p", "name": "P", "kind": "COOKING", "lang": "fr"}],
            "companies": [{"slug": "c", "name": "C", "lang": "fr"}, {"slug": "d", "name": "D", "stage": "SME", "lang": "fr", "colour": 1}]
        }"#;
        let Err(AppError::Invalid(problems)) = Document::parse(text) else { panic!("expected problems") };
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].starts_with("programmes[0].kind: expected one of MENTORING, FUNDING"), "{}", lines[0]);
        assert!(lines[0].ends_with("got \"COOKING\""), "{}", lines[0]);
        assert_eq!(lines[1], "companies[0]: missing field stage");
        assert!(lines[2].starts_with("companies[1].colour: unknown field colour"), "{}", lines[2]);
    }

    #[test]
    fn malformed_json_gives_line_and_column() {
        let Err(AppError::Invalid(problems)) = Document::parse("{\n  \"companies\": [,]\n}") else { panic!() };
        assert_eq!(problems[0].message, "malformed JSON: expected value at line 2 column 17");
    }

    #[test]
    fn references_and_loops_are_checked() {
        let text = r#"{
            "technologies": [
                {"slug": "a", "name": "A", "domain": "ENERGY", "lang": "en", "parent": "b"},
                {"slug": "b", "name": "B", "domain": "ENERGY", "lang": "en", "parent": "a"}
            ],
            "companies": [{"slug": "c", "name": "C", "stage": "SME", "lang": "fr", "technologies": ["a", "foo"]}]
        }"#;
        let document = Document::parse(text).unwrap();
        let Err(AppError::Invalid(problems)) = document.validate(&Existing::default()) else { panic!() };
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "companies[0].technologies[1]: unknown technology \"foo\"",
                "technologies[0].parent: \"a\" would become its own ancestor",
                "technologies[1].parent: \"b\" would become its own ancestor",
            ]
        );
    }
}
