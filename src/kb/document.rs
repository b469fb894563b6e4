//! The knowledge-base document: one JSON value holding a whole knowledge base, and its checks.

use std::collections::{HashMap, HashSet};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::draft::{Check, CompanyDraft, EventDraft, OrganisationDraft, PersonDraft, ProgrammeDraft, TechnologyDraft};
use crate::error::{AppError, Problem, Result};
use crate::search::EntityKind;

/// A whole knowledge base, or a part of one to upsert; references between entities are slugs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Document {
    pub organisations: Vec<OrganisationDraft>,
    pub technologies: Vec<TechnologyDraft>,
    pub programmes: Vec<ProgrammeDraft>,
    pub companies: Vec<CompanyDraft>,
    /// People, with their roles at organisations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<PersonDraft>,
    /// Events, with who organised them and who took part.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventDraft>,
    /// Entities of the parsed text that do not have the right shape, reported by `validate`
    /// together with every other problem.
    #[serde(skip)]
    misshapen: Misshapen,
}

/// What parsing left out, so that problems keep the paths of the original text.
#[derive(Clone, Debug, Default, PartialEq)]
struct Misshapen {
    problems: Vec<Problem>,
    /// For each kind, the original index of every parsed entity (absent when none was left out).
    positions: HashMap<EntityKind, Vec<usize>>,
    /// Slugs of the entities left out, so that references to them are not reported as unknown.
    slugs: HashMap<EntityKind, Vec<String>>,
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
            #[serde(borrow, default)]
            people: Vec<&'a RawValue>,
            #[serde(borrow, default)]
            events: Vec<&'a RawValue>,
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
            organisations: parse_list(EntityKind::Organisation, &raw.organisations, &mut misshapen),
            technologies: parse_list(EntityKind::Technology, &raw.technologies, &mut misshapen),
            programmes: parse_list(EntityKind::Programme, &raw.programmes, &mut misshapen),
            companies: parse_list(EntityKind::Company, &raw.companies, &mut misshapen),
            people: parse_list(EntityKind::Person, &raw.people, &mut misshapen),
            events: parse_list(EntityKind::Event, &raw.events, &mut misshapen),
            misshapen,
        })
    }

    /// The path of the `i`-th parsed entity of a kind, as numbered in the original text.
    pub(crate) fn path(&self, kind: EntityKind, i: usize) -> String {
        let original = self.misshapen.positions.get(&kind).and_then(|p| p.get(i)).copied().unwrap_or(i);
        format!("{}[{original}]", kind.list_name())
    }

    /// A document of checked entities.
    pub fn new(
        organisations: Vec<OrganisationDraft>,
        technologies: Vec<TechnologyDraft>,
        programmes: Vec<ProgrammeDraft>,
        companies: Vec<CompanyDraft>,
    ) -> Document {
        Document { organisations, technologies, programmes, companies, ..Document::default() }
    }

    /// The document with these people added.
    pub fn with_people(mut self, people: Vec<PersonDraft>) -> Document {
        self.people = people;
        self
    }

    /// The document with these events added.
    pub fn with_events(mut self, events: Vec<EventDraft>) -> Document {
        self.events = events;
        self
    }

    /// How many entities the document holds.
    pub fn len(&self) -> usize {
        self.organisations.len()
            + self.technologies.len()
            + self.programmes.len()
            + self.companies.len()
            + self.people.len()
            + self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks every field rule and every reference, against the document itself and `existing`.
    pub fn validate(&self, existing: &Existing) -> Result<()> {
        let mut problems = self.misshapen.problems.clone();
        use EntityKind as K;
        let orgs = self.slugs(
            K::Organisation,
            self.organisations.iter().map(|d| &d.slug),
            &existing.organisations,
            &mut problems,
        );
        let techs =
            self.slugs(K::Technology, self.technologies.iter().map(|d| &d.slug), &existing.technologies, &mut problems);
        let progs =
            self.slugs(K::Programme, self.programmes.iter().map(|d| &d.slug), &existing.programmes, &mut problems);
        let companies =
            self.slugs(K::Company, self.companies.iter().map(|d| &d.slug), &existing.companies, &mut problems);
        let people = self.slugs(K::Person, self.people.iter().map(|d| &d.slug), &existing.people, &mut problems);
        self.slugs(K::Event, self.events.iter().map(|d| &d.slug), &existing.events, &mut problems);

        for (i, d) in self.organisations.iter().enumerate() {
            d.check(&mut Check::new(self.path(K::Organisation, i), &mut problems));
        }
        for (i, d) in self.technologies.iter().enumerate() {
            let mut check = Check::new(self.path(K::Technology, i), &mut problems);
            d.check(&mut check);
            reference(&mut check, "parent", "technology", d.parent.as_deref(), &techs);
        }
        for (i, d) in self.programmes.iter().enumerate() {
            let mut check = Check::new(self.path(K::Programme, i), &mut problems);
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
            let mut check = Check::new(self.path(K::Company, i), &mut problems);
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
        for (i, d) in self.people.iter().enumerate() {
            let mut check = Check::new(self.path(K::Person, i), &mut problems);
            d.check(&mut check);
            for (j, role) in d.roles.iter().enumerate() {
                reference(
                    &mut check,
                    &format!("roles[{j}].organisation"),
                    "organisation",
                    Some(&role.organisation),
                    &orgs,
                );
            }
        }
        for (i, d) in self.events.iter().enumerate() {
            let mut check = Check::new(self.path(K::Event, i), &mut problems);
            d.check(&mut check);
            reference(&mut check, "site", "organisation", d.site.as_deref(), &orgs);
            let lists = [
                ("organisers", "organisation", &d.organisers, &orgs),
                ("companies", "company", &d.companies, &companies),
                ("people", "person", &d.people, &people),
                ("organisations", "organisation", &d.organisations, &orgs),
            ];
            for (field, kind, slugs, known) in lists {
                for (j, slug) in slugs.iter().enumerate() {
                    reference(&mut check, &format!("{field}[{j}]"), kind, Some(slug), known);
                }
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
        kind: EntityKind,
        own: impl Iterator<Item = &'a String>,
        existing: &HashSet<String>,
        problems: &mut Vec<Problem>,
    ) -> HashSet<String> {
        let mut all = existing.clone();
        all.extend(self.misshapen.slugs.get(&kind).into_iter().flatten().cloned());
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
                            path: format!("{}.parent", self.path(EntityKind::Technology, i)),
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
    pub people: HashSet<String>,
    pub events: HashSet<String>,
    /// Technology slug to its parent's slug.
    pub technology_parents: HashMap<String, String>,
}

fn parse_list<T: DeserializeOwned>(kind: EntityKind, raws: &[&RawValue], misshapen: &mut Misshapen) -> Vec<T> {
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
                let name = kind.list_name();
                let path = if inner == "." { format!("{name}[{i}]") } else { format!("{name}[{i}].{inner}") };
                misshapen.problems.push(Problem { path, message: tidy(&err.into_inner().to_string()) });
                #[derive(Deserialize)]
                struct Slug {
                    slug: String,
                }
                if let Ok(Slug { slug }) = serde_json::from_str(raw.get()) {
                    misshapen.slugs.entry(kind).or_default().push(slug);
                }
            }
        }
    }
    if positions.len() < raws.len() {
        misshapen.positions.insert(kind, positions);
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
