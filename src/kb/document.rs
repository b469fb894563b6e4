//! The knowledge-base document: one JSON value holding a whole knowledge base, and its checks.

use std::collections::{HashMap, HashSet};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::draft::{Check, CompanyDraft, EventDraft, OrganisationDraft, PersonDraft, ProgrammeDraft, TechnologyDraft};
use crate::error::{AppError, Problem, Result};
use entity::EntityKind;

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

    /// Adds `other`'s entities after this document's, kind by kind.
    pub fn append(&mut self, other: Document) {
        self.organisations.extend(other.organisations);
        self.technologies.extend(other.technologies);
        self.programmes.extend(other.programmes);
        self.companies.extend(other.companies);
        self.people.extend(other.people);
        self.events.extend(other.events);
        self.misshapen.problems.extend(other.misshapen.problems);
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

    /// The slugs of the document's entities of one kind.
    pub(crate) fn slugs_of(&self, kind: EntityKind) -> Box<dyn Iterator<Item = String> + '_> {
        match kind {
            EntityKind::Organisation => Box::new(self.organisations.iter().map(|d| d.slug.clone())),
            EntityKind::Technology => Box::new(self.technologies.iter().map(|d| d.slug.clone())),
            EntityKind::Programme => Box::new(self.programmes.iter().map(|d| d.slug.clone())),
            EntityKind::Company => Box::new(self.companies.iter().map(|d| d.slug.clone())),
            EntityKind::Person => Box::new(self.people.iter().map(|d| d.slug.clone())),
            EntityKind::Event => Box::new(self.events.iter().map(|d| d.slug.clone())),
        }
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

        self.check_fields(&mut problems);
        for reference in self.references() {
            let known = match reference.kind {
                K::Organisation => &orgs,
                K::Technology => &techs,
                K::Programme => &progs,
                K::Company => &companies,
                K::Person => &people,
                K::Event => continue,
            };
            if !known.contains(reference.slug) {
                let (kind, slug) = (reference.kind.as_str().to_lowercase(), reference.slug);
                problems.push(Problem { path: reference.path, message: format!("unknown {kind} {slug:?}") });
            }
        }
        self.check_taxonomy(existing, &mut problems);
        problems.sort_by_key(|p| natural_key(&p.path));
        if problems.is_empty() { Ok(()) } else { Err(AppError::Invalid(problems)) }
    }

    /// Checks the field rules of every entity.
    fn check_fields(&self, problems: &mut Vec<Problem>) {
        use EntityKind as K;
        fn each<D>(document: &Document, kind: K, list: &[D], check: fn(&D, &mut Check), problems: &mut Vec<Problem>) {
            for (i, d) in list.iter().enumerate() {
                check(d, &mut Check::new(document.path(kind, i), problems));
            }
        }
        each(self, K::Organisation, &self.organisations, OrganisationDraft::check, problems);
        each(self, K::Technology, &self.technologies, TechnologyDraft::check, problems);
        each(self, K::Programme, &self.programmes, ProgrammeDraft::check, problems);
        each(self, K::Company, &self.companies, CompanyDraft::check, problems);
        each(self, K::Person, &self.people, PersonDraft::check, problems);
        each(self, K::Event, &self.events, EventDraft::check, problems);
    }

    /// Every reference from an entity of the document to another entity, by slug, in document order.
    pub fn references<'a>(&'a self) -> Vec<Reference<'a>> {
        use EntityKind as K;
        let mut out = Vec::new();
        let mut add = |path: String, kind: K, slug: &'a String| out.push(Reference { path, kind, slug });
        for (i, d) in self.technologies.iter().enumerate() {
            let at = self.path(K::Technology, i);
            d.parent.iter().for_each(|slug| add(format!("{at}.parent"), K::Technology, slug));
        }
        for (i, d) in self.programmes.iter().enumerate() {
            let at = self.path(K::Programme, i);
            d.operator.iter().for_each(|slug| add(format!("{at}.operator"), K::Organisation, slug));
            for (j, slug) in d.eligible_sites.iter().enumerate() {
                add(format!("{at}.eligibleSites[{j}]"), K::Organisation, slug);
            }
            for (j, slug) in d.required_memberships.iter().enumerate() {
                add(format!("{at}.requiredMemberships[{j}]"), K::Organisation, slug);
            }
        }
        for (i, d) in self.companies.iter().enumerate() {
            let at = self.path(K::Company, i);
            d.site.iter().for_each(|slug| add(format!("{at}.site"), K::Organisation, slug));
            let lists = [
                ("technologies", K::Technology, &d.technologies),
                ("programmes", K::Programme, &d.programmes),
                ("memberships", K::Organisation, &d.memberships),
            ];
            for (field, kind, slugs) in lists {
                for (j, slug) in slugs.iter().enumerate() {
                    add(format!("{at}.{field}[{j}]"), kind, slug);
                }
            }
        }
        for (i, d) in self.people.iter().enumerate() {
            let at = self.path(K::Person, i);
            for (j, role) in d.roles.iter().enumerate() {
                add(format!("{at}.roles[{j}].organisation"), K::Organisation, &role.organisation);
            }
            for (j, slug) in d.mentor.iter().flat_map(|m| m.technologies.iter()).enumerate() {
                add(format!("{at}.mentor.technologies[{j}]"), K::Technology, slug);
            }
        }
        for (i, d) in self.events.iter().enumerate() {
            let at = self.path(K::Event, i);
            d.site.iter().for_each(|slug| add(format!("{at}.site"), K::Organisation, slug));
            let lists = [
                ("organisers", K::Organisation, &d.organisers),
                ("companies", K::Company, &d.companies),
                ("people", K::Person, &d.people),
                ("organisations", K::Organisation, &d.organisations),
            ];
            for (field, kind, slugs) in lists {
                for (j, slug) in slugs.iter().enumerate() {
                    add(format!("{at}.{field}[{j}]"), kind, slug);
                }
            }
        }
        out
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

/// A reference from an entity of a document to another entity.
pub struct Reference<'a> {
    /// Where it is written, e.g. `companies[3].memberships[0]`.
    pub path: String,
    /// The kind of entity it names.
    pub kind: EntityKind,
    pub slug: &'a String,
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
