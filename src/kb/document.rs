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
    /// Entities of the parsed text that do not have the right shape, reported by `validate`
    /// together with every other problem.
    #[serde(skip)]
    misshapen: Misshapen,
}

/// What parsing left out, so that problems keep the paths of the original text.
#[derive(Clone, Debug, Default, PartialEq)]
struct Misshapen {
    problems: Vec<Problem>,
    /// For each kind, the original index of every parsed entity (empty when none was left out).
    positions: [Vec<usize>; 4],
    /// Slugs of the entities left out, so that references to them are not reported as unknown.
    slugs: [Vec<String>; 4],
}

const KINDS: [&str; 4] = ["organisations", "technologies", "programmes", "companies"];

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
        let mut misshapen = Misshapen::default();
        Ok(Document {
            organisations: parse_list(0, &raw.organisations, &mut misshapen),
            technologies: parse_list(1, &raw.technologies, &mut misshapen),
            programmes: parse_list(2, &raw.programmes, &mut misshapen),
            companies: parse_list(3, &raw.companies, &mut misshapen),
            misshapen,
        })
    }

    /// The path of the `i`-th parsed entity of a kind, as numbered in the original text.
    pub(crate) fn path(&self, kind: usize, i: usize) -> String {
        let original = self.misshapen.positions[kind].get(i).copied().unwrap_or(i);
        format!("{}[{original}]", KINDS[kind])
    }

    /// A document of checked entities.
    pub fn new(
        organisations: Vec<OrganisationDraft>,
        technologies: Vec<TechnologyDraft>,
        programmes: Vec<ProgrammeDraft>,
        companies: Vec<CompanyDraft>,
    ) -> Document {
        Document { organisations, technologies, programmes, companies, misshapen: Misshapen::default() }
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
        let mut problems = self.misshapen.problems.clone();
        let orgs = self.slugs(0, self.organisations.iter().map(|d| &d.slug), &existing.organisations, &mut problems);
        let techs = self.slugs(1, self.technologies.iter().map(|d| &d.slug), &existing.technologies, &mut problems);
        let progs = self.slugs(2, self.programmes.iter().map(|d| &d.slug), &existing.programmes, &mut problems);
        self.slugs(3, self.companies.iter().map(|d| &d.slug), &existing.companies, &mut problems);

        for (i, d) in self.organisations.iter().enumerate() {
            d.check(&mut Check::new(self.path(0, i), &mut problems));
        }
        for (i, d) in self.technologies.iter().enumerate() {
            let mut check = Check::new(self.path(1, i), &mut problems);
            d.check(&mut check);
            reference(&mut check, "parent", "technology", d.parent.as_deref(), &techs);
        }
        for (i, d) in self.programmes.iter().enumerate() {
            let mut check = Check::new(self.path(2, i), &mut problems);
            d.check(&mut check);
            reference(&mut check, "operator", "organisation", d.operator.as_deref(), &orgs);
            for (j, slug) in d.eligible_sites.iter().enumerate() {
                reference(&mut check, &format!("eligibleSites[{j}]"), "organisation", Some(slug), &orgs);
            }
            for (j, slug) in d.required_memberships.iter().enumerate() {
                reference(&mut check, &format!("requiredMemberships[{j}]"), "organisation", Some(slug), &orgs);
            }
        }
        for (i, d) in self.companies.iter().enumerate() {
            let mut check = Check::new(self.path(3, i), &mut problems);
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
        problems.sort_by_key(|p| natural_key(&p.path));
        if problems.is_empty() { Ok(()) } else { Err(AppError::Invalid(problems)) }
    }

    /// Collects the slugs the database will hold once the document is written,
    /// reporting duplicates inside the document.
    fn slugs<'a>(
        &self,
        kind: usize,
        own: impl Iterator<Item = &'a String>,
        existing: &HashSet<String>,
        problems: &mut Vec<Problem>,
    ) -> HashSet<String> {
        let mut all = existing.clone();
        all.extend(self.misshapen.slugs[kind].iter().cloned());
        let mut in_document = HashSet::new();
        for (i, slug) in own.enumerate() {
            if !in_document.insert(slug.as_str()) {
                problems.push(Problem {
                    path: format!("{}.slug", self.path(kind, i)),
                    message: format!("{slug:?} appears twice in the document"),
                });
            }
            all.insert(slug.clone());
        }
        all
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
                            path: format!("{}.parent", self.path(1, i)),
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

fn parse_list<T: DeserializeOwned>(kind: usize, raws: &[&RawValue], misshapen: &mut Misshapen) -> Vec<T> {
    let mut parsed = Vec::with_capacity(raws.len());
    let mut positions = Vec::new();
    for (i, raw) in raws.iter().enumerate() {
        let de = &mut serde_json::Deserializer::from_str(raw.get());
        match serde_path_to_error::deserialize(de) {
            Ok(value) => {
                parsed.push(value);
                positions.push(i);
            }
            Err(err) => {
                let inner = err.path().to_string();
                let name = KINDS[kind];
                let path = if inner == "." { format!("{name}[{i}]") } else { format!("{name}[{i}].{inner}") };
                misshapen.problems.push(Problem { path, message: tidy(&err.into_inner().to_string()) });
                #[derive(Deserialize)]
                struct Slug {
                    slug: String,
                }
                if let Ok(Slug { slug }) = serde_json::from_str(raw.get()) {
                    misshapen.slugs[kind].push(slug);
                }
            }
        }
    }
    if positions.len() < raws.len() {
        misshapen.positions[kind] = positions;
    }
    parsed
}

/// Sorts `companies[10]` after `companies[9]`.
fn natural_key(path: &str) -> Vec<Result<u64, String>> {
    let mut key = Vec::new();
    let mut current = String::new();
    for c in path.chars() {
        if c.is_ascii_digit() != current.chars().next().is_some_and(|p| p.is_ascii_digit()) && !current.is_empty() {
            key.push(current.parse().map_err(|_| current.clone()));
            current.clear();
        }
        current.push(c);
    }
    if !current.is_empty() {
        key.push(current.parse().map_err(|_| current.clone()));
    }
    key
}

/// Turns serde's messages into plain words: no backticks, no position inside a fragment.
fn tidy(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    };
    let message = message.replace('`', "");
    if let Some(rest) = message.strip_prefix("unknown variant ")
        && let Some((got, expected)) = rest.split_once(", expected ")
    {
        return format!("expected {expected}, got {got:?}");
    }
    message
}

fn reference(check: &mut Check, field: &str, kind: &str, slug: Option<&str>, known: &HashSet<String>) {
    if let Some(slug) = slug
        && !known.contains(slug)
    {
        check.problem(field, format!("unknown {kind} {slug:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_problem_is_reported_with_its_path() {
        let text = r#"{
            "programmes": [{"slug": "p", "name": "P", "kind": "COOKING", "lang": "fr"}],
            "companies": [{"slug": "c", "name": "C", "lang": "fr"}, {"slug": "d", "name": "D", "stage": "SME", "lang": "fr", "colour": 1},
                          {"slug": "e", "name": "", "stage": "SME", "lang": "fr", "programmes": ["p"]}]
        }"#;
        let document = Document::parse(text).unwrap();
        let Err(AppError::Invalid(problems)) = document.validate(&Existing::default()) else {
            panic!("expected problems")
        };
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(lines[0], "companies[0]: missing field stage");
        assert!(lines[1].starts_with("companies[1].colour: unknown field colour"), "{}", lines[1]);
        assert_eq!(lines[2], "companies[2].name: must not be empty", "paths count every entity of the text");
        assert!(lines[3].starts_with("programmes[0].kind: expected one of MENTORING, FUNDING"), "{}", lines[3]);
        assert!(lines[3].ends_with("got \"COOKING\""), "{}", lines[3]);
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
