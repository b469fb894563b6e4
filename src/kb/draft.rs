//! The writable shape of each entity: the import document's, and what the GraphQL inputs become,
//! and the rules every write must follow.

use chrono::{Datelike, NaiveDate};
use entity::{CompanyStage, Lang, OrganisationKind, ProgrammeKind, TechnologyDomain, Topic};
use serde::{Deserialize, Serialize};

use super::geo::{Place, Point};
use crate::error::Problem;

/// Where a fact comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Source {
    /// Title of the article, page or document.
    pub title: String,
    /// Where to read it (http or https URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When it was published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_on: Option<NaiveDate>,
}

/// An entity's name and description in another language than its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Translation {
    /// The language of this translation (not the entity's own `lang`).
    pub lang: Lang,
    /// The name in that language, 1–200 characters; the original name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The description in that language, up to 10,000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Declares a draft: the fields every entity shares, then its own.
macro_rules! draft {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            /// Unique, URL-friendly identifier: lowercase letters, digits and hyphens, 1–80 characters.
            pub slug: String,
            /// Display name, 1–200 characters.
            pub name: String,
            /// Free text, up to 10,000 characters, in the language given by `lang`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub description: Option<String>,
            /// The language of the description.
            pub lang: Lang,
            /// Web site (http or https URL).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub website: Option<String>,
            /// Where the facts come from.
            #[serde(default)]
            pub sources: Vec<Source>,
            /// The name and description in other languages, at most one per language.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub translations: Vec<Translation>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            /// Checks the fields every entity shares.
            fn check_common(&self, check: &mut Check) {
                check.slug("slug", &self.slug);
                check.text("name", &self.name, 200, true);
                if let Some(description) = &self.description {
                    check.text("description", description, 10_000, false);
                }
                if let Some(website) = &self.website {
                    check.url("website", website);
                }
                check.translations(self.lang, &self.translations);
                for (i, source) in self.sources.iter().enumerate() {
                    check.text(&format!("sources[{i}].title"), &source.title, 500, true);
                    if let Some(url) = &source.url {
                        check.url(&format!("sources[{i}].url"), url);
                    }
                }
            }
        }
    };
}

draft!(
    /// An organisation: a technopole, a cluster, a chamber of commerce, a business network…
    OrganisationDraft {
        /// What kind of organisation it is.
        kind: OrganisationKind,
        /// The city it is based in.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        city: Option<String>,
        /// Other names, in any language: names in the other language, acronyms, former names.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        aliases: Vec<String>,
        /// Its main point (WGS84); a company without one is placed at its host site's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<Point>,
        /// Its other places (establishments, second sites), each with a name and a point.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        places: Vec<Place>,
    }
);

draft!(
    /// A technology companies work on.
    TechnologyDraft {
        /// The field it belongs to.
        domain: TechnologyDomain,
        /// Other names, in any language ("fibre optique", "fiber optics").
        #[serde(default)]
        aliases: Vec<String>,
        /// Slug of the broader technology this one belongs to.
        #[serde(default)]
        parent: Option<String>,
    }
);

draft!(
    /// A support programme: mentoring, funding, acceleration…
    ProgrammeDraft {
        /// What the programme offers.
        kind: ProgrammeKind,
        /// Slug of the organisation running it.
        #[serde(default)]
        operator: Option<String>,
        /// Company stages the programme is open to (empty: every stage).
        #[serde(default)]
        eligible_stages: Vec<CompanyStage>,
        /// Technology domains the programme is open to: a company qualifies when one of its
        /// technologies is in one of them (empty: every domain).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        eligible_domains: Vec<TechnologyDomain>,
        /// Slugs of the organisations a company must be hosted by, any of them (empty: any site).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        eligible_sites: Vec<String>,
        /// Slugs of the organisations a company must belong to, any of them (empty: no membership required).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        required_memberships: Vec<String>,
        /// First day of the programme.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        starts_on: Option<NaiveDate>,
        /// Last day of the programme.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ends_on: Option<NaiveDate>,
        /// Other names, in any language: names in the other language, acronyms, former names.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        aliases: Vec<String>,
    }
);

draft!(
    /// A company.
    CompanyDraft {
        /// How grown-up the company is.
        stage: CompanyStage,
        /// The city it is based in.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        city: Option<String>,
        /// The year it was founded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        founded_year: Option<i32>,
        /// How many people it employs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        employees: Option<i32>,
        /// Slug of the organisation hosting it, e.g. a technopole.
        #[serde(default)]
        site: Option<String>,
        /// Slugs of the technologies it works on.
        #[serde(default)]
        technologies: Vec<String>,
        /// Slugs of the support programmes it takes part in.
        #[serde(default)]
        programmes: Vec<String>,
        /// Slugs of the organisations it belongs to, e.g. a cluster.
        #[serde(default)]
        memberships: Vec<String>,
        /// Other names, in any language: names in the other language, acronyms, former names.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        aliases: Vec<String>,
        /// What it needs help with now, as the park or the company says.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        needs: Vec<Topic>,
        /// Its main point (WGS84); a company without one is placed at its host site's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<Point>,
        /// Its other places (establishments, second sites), each with a name and a point.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        places: Vec<Place>,
    }
);

draft!(
    /// A person of the ecosystem: only public professional facts from cited sources, never an
    /// e-mail address, a phone number or a home address.
    PersonDraft {
        /// The roles the person holds or held at organisations, most relevant first.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        roles: Vec<RoleDraft>,
        /// Other names, in any language: former names, usual short forms.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        aliases: Vec<String>,
        /// What the person offers as a mentor, published by them or with their consent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mentor: Option<MentorDraft>,
    }
);

/// What a person offers as a mentor: only with their consent, from a cited source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MentorDraft {
    /// Since when they offer it, when the source says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<NaiveDate>,
    /// What they help with, at least one.
    pub topics: Vec<Topic>,
    /// Slugs of the technologies they know.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub technologies: Vec<String>,
    /// The technology domains they know.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<TechnologyDomain>,
    /// The stages of the companies they prefer to help (empty: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<CompanyStage>,
    /// The languages they mentor in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<Lang>,
    /// Where the person publishes the offer or consents to it: at least one.
    pub sources: Vec<Source>,
}

impl MentorDraft {
    fn check(&self, check: &mut Check) {
        if self.topics.is_empty() {
            check.problem("mentor.topics", "must name at least one topic");
        }
        for (i, topic) in self.topics.iter().enumerate() {
            if self.topics[..i].contains(topic) {
                check.problem(&format!("mentor.topics[{i}]"), format!("{} appears twice", topic.as_str()));
            }
        }
        if self.sources.is_empty() {
            check.problem("mentor.sources", "must cite at least one source where the person offers it (their consent)");
        }
        for (i, source) in self.sources.iter().enumerate() {
            check.text(&format!("mentor.sources[{i}].title"), &source.title, 500, true);
            if let Some(url) = &source.url {
                check.url(&format!("mentor.sources[{i}].url"), url);
            }
        }
        if self.technologies.len() > 100 {
            check.problem(
                "mentor.technologies",
                format!("must hold at most 100 slugs, got {}", self.technologies.len()),
            );
        }
    }
}

draft!(
    /// An event of the ecosystem: a visit, a meeting, a fair.
    EventDraft {
        /// The (first) day.
        date: NaiveDate,
        /// The last day of an event over several days.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end_date: Option<NaiveDate>,
        /// Slug of the organisation where it took place.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        site: Option<String>,
        /// Slugs of the organisations that organised it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        organisers: Vec<String>,
        /// Slugs of the companies that took part.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        companies: Vec<String>,
        /// Slugs of the people who took part.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        people: Vec<String>,
        /// Slugs of the organisations that took part (besides organising it).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        organisations: Vec<String>,
        /// Other names, in any language.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        aliases: Vec<String>,
    }
);

impl EventDraft {
    pub fn check(&self, check: &mut Check) {
        self.check_common(check);
        check.aliases(&self.aliases);
        if let Some(end) = self.end_date
            && end < self.date
        {
            check.problem("endDate", format!("ends ({end}) before it starts ({})", self.date));
        }
        for (field, list) in [
            ("organisers", &self.organisers),
            ("companies", &self.companies),
            ("people", &self.people),
            ("organisations", &self.organisations),
        ] {
            if list.len() > 500 {
                check.problem(field, format!("must hold at most 500 slugs, got {}", list.len()));
            }
        }
    }
}

/// A role a person holds or held at an organisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleDraft {
    /// Slug of the organisation.
    pub organisation: String,
    /// The role, in the words of the source ("président", "directeur général"), 1–200 characters.
    pub title: String,
    /// First day in the role, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<NaiveDate>,
    /// Last day in the role, when it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
}

impl PersonDraft {
    pub fn check(&self, check: &mut Check) {
        self.check_common(check);
        check.aliases(&self.aliases);
        if self.roles.len() > 100 {
            check.problem("roles", format!("must hold at most 100 roles, got {}", self.roles.len()));
        }
        for (i, role) in self.roles.iter().enumerate() {
            check.text(&format!("roles[{i}].title"), &role.title, 200, true);
            if let (Some(since), Some(until)) = (role.since, role.until)
                && until < since
            {
                check.problem(&format!("roles[{i}].until"), format!("ends ({until}) before it starts ({since})"));
            }
        }
        if let Some(mentor) = &self.mentor {
            mentor.check(check);
        }
    }
}

impl OrganisationDraft {
    /// Problems with this draft's own fields (references are checked against the database later).
    pub fn check(&self, check: &mut Check) {
        self.check_common(check);
        check.aliases(&self.aliases);
        if let Some(city) = &self.city {
            check.text("city", city, 100, true);
        }
        super::geo::check_location(check, self.location.as_ref(), &self.places);
    }
}

impl TechnologyDraft {
    pub fn check(&self, check: &mut Check) {
        self.check_common(check);
        check.aliases(&self.aliases);
        if self.parent.as_deref() == Some(self.slug.as_str()) {
            check.problem("parent", "a technology cannot be its own parent");
        }
    }
}

impl ProgrammeDraft {
    pub fn check(&self, check: &mut Check) {
        self.check_common(check);
        check.aliases(&self.aliases);
        if let (Some(starts), Some(ends)) = (self.starts_on, self.ends_on)
            && ends < starts
        {
            check.problem("endsOn", format!("ends ({ends}) before it starts ({starts})"));
        }
    }
}

impl CompanyDraft {
    pub fn check(&self, check: &mut Check) {
        self.check_common(check);
        check.aliases(&self.aliases);
        if let Some(city) = &self.city {
            check.text("city", city, 100, true);
        }
        super::geo::check_location(check, self.location.as_ref(), &self.places);
        if let Some(year) = self.founded_year {
            let this_year = chrono::Utc::now().year();
            if !(1800..=this_year).contains(&year) {
                check.problem("foundedYear", format!("must be between 1800 and {this_year}, got {year}"));
            }
        }
        if let Some(employees) = self.employees
            && !(0..=10_000_000).contains(&employees)
        {
            check.problem("employees", format!("must be between 0 and 10000000, got {employees}"));
        }
    }
}

/// Collects problems under a path prefix such as `companies[3]`.
pub struct Check<'a> {
    prefix: String,
    problems: &'a mut Vec<Problem>,
}

impl<'a> Check<'a> {
    pub fn new(prefix: impl Into<String>, problems: &'a mut Vec<Problem>) -> Self {
        Check { prefix: prefix.into(), problems }
    }

    pub fn problem(&mut self, field: &str, message: impl Into<String>) {
        let path = match (self.prefix.is_empty(), field.is_empty()) {
            (true, _) => field.to_string(),
            (false, true) => self.prefix.clone(),
            (false, false) => format!("{}.{field}", self.prefix),
        };
        self.problems.push(Problem { path, message: message.into() });
    }

    fn slug(&mut self, field: &str, slug: &str) {
        if let Err(message) = check_slug(slug) {
            self.problem(field, message);
        }
    }

    fn text(&mut self, field: &str, value: &str, max: usize, required: bool) {
        let len = value.chars().count();
        if required && value.trim().is_empty() {
            self.problem(field, "must not be empty");
        } else if len > max {
            self.problem(field, format!("must be at most {max} characters, got {len}"));
        }
    }

    /// At most one translation per language, none in the entity's own; each with a name or a
    /// description of the usual lengths.
    fn translations(&mut self, own: Lang, translations: &[Translation]) {
        let mut seen = Vec::new();
        for (i, t) in translations.iter().enumerate() {
            if t.lang == own {
                self.problem(
                    &format!("translations[{i}].lang"),
                    format!(
                        "{} is the entity's own language: its name and description are the originals",
                        own.as_str()
                    ),
                );
            } else if seen.contains(&t.lang) {
                self.problem(&format!("translations[{i}].lang"), format!("{} is translated twice", t.lang.as_str()));
            }
            seen.push(t.lang);
            if t.name.is_none() && t.description.is_none() {
                self.problem(&format!("translations[{i}]"), "give a name, a description or both");
            }
            if let Some(name) = &t.name {
                self.text(&format!("translations[{i}].name"), name, 200, true);
            }
            if let Some(description) = &t.description {
                self.text(&format!("translations[{i}].description"), description, 10_000, false);
            }
        }
    }

    /// At most 50 aliases of 1–200 characters each.
    fn aliases(&mut self, aliases: &[String]) {
        if aliases.len() > 50 {
            self.problem("aliases", format!("must hold at most 50 names, got {}", aliases.len()));
        }
        for (i, alias) in aliases.iter().enumerate() {
            self.text(&format!("aliases[{i}]"), alias, 200, true);
        }
    }

    fn url(&mut self, field: &str, url: &str) {
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
        match rest {
            Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !url.chars().any(char::is_whitespace) => {
                if url.len() > 2000 {
                    self.problem(field, "must be at most 2000 characters");
                }
            }
            _ => self.problem(field, format!("must be an http or https URL, got {url:?}")),
        }
    }
}

/// Checks a slug: lowercase letters, digits and hyphens, 1–80 characters.
pub fn check_slug(slug: &str) -> Result<(), String> {
    if slug.is_empty() || slug.len() > 80 {
        return Err(format!("must be 1 to 80 characters, got {}", slug.chars().count()));
    }
    if !slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(format!("{slug:?} may only hold lowercase letters a-z, digits and hyphens"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_format() {
        assert!(check_slug("safe-cluster").is_ok());
        assert!(check_slug("sp3h").is_ok());
        assert!(check_slug("").is_err());
        assert!(check_slug("Safe").is_err());
        assert!(check_slug("é").is_err());
        assert!(check_slug(&"a".repeat(81)).is_err());
    }

    #[test]
    fn urls_need_a_scheme_and_a_host() {
        let mut problems = Vec::new();
        let mut check = Check::new("x", &mut problems);
        check.url("a", "https://example.org/page");
        check.url("b", "ftp://example.org");
        check.url("c", "https://");
        check.url("d", "http://a b");
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["x.b", "x.c", "x.d"]);
    }
}
