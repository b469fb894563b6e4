//! What clients send besides ids and words: filters, orderings, and the fields of a new entity.

use async_graphql::InputObject;
use chrono::NaiveDate;

use super::enums::{CompanyStage, Direction, Lang, OrderField, OrganisationKind, ProgrammeKind, TechnologyDomain};
use crate::kb::{draft, read};
use crate::search::query as search;

mirror_struct!(
    /// Which companies to list: every field given must match, a list matches any of its values.
    #[derive(Clone, Debug, Default, InputObject)]
    CompanyFilter = read::CompanyFilter, in,
    {
        /// Company stages.
        stage: Option<Vec<CompanyStage>>,
        /// Cities; case and accents do not matter.
        city: Option<Vec<String>>,
        /// Slugs of host organisations.
        site: Option<Vec<String>>,
        /// Slugs of technologies the company works on, each with every technology below it.
        technology: Option<Vec<String>>,
        /// Slugs of programmes the company takes part in.
        programme: Option<Vec<String>>,
        /// Slugs of organisations the company belongs to.
        membership: Option<Vec<String>>,
        /// Part of the name, case-insensitive.
        name_contains: Option<String>,
    }
);

mirror_struct!(
    /// Which technologies to list.
    #[derive(Clone, Debug, Default, InputObject)]
    TechnologyFilter = read::TechnologyFilter, in,
    {
        /// Technology domains.
        domain: Option<Vec<TechnologyDomain>>,
        /// Slugs of parent technologies: lists their direct children.
        parent: Option<Vec<String>>,
        /// Part of the name, case-insensitive.
        name_contains: Option<String>,
    }
);

mirror_struct!(
    /// Which programmes to list.
    #[derive(Clone, Debug, Default, InputObject)]
    ProgrammeFilter = read::ProgrammeFilter, in,
    {
        /// Programme kinds.
        kind: Option<Vec<ProgrammeKind>>,
        /// Slugs of the organisations running them.
        operator: Option<Vec<String>>,
        /// Programmes running on this day (no start date means "already started", no end date "still running").
        open_on: Option<NaiveDate>,
        /// Part of the name, case-insensitive.
        name_contains: Option<String>,
    }
);

mirror_struct!(
    /// Which organisations to list.
    #[derive(Clone, Debug, Default, InputObject)]
    OrganisationFilter = read::OrganisationFilter, in,
    {
        /// Organisation kinds.
        kind: Option<Vec<OrganisationKind>>,
        /// Cities; case and accents do not matter.
        city: Option<Vec<String>>,
        /// Part of the name, case-insensitive.
        name_contains: Option<String>,
    }
);

mirror_struct!(
    /// Which people to list.
    #[derive(Clone, Debug, Default, InputObject)]
    PersonFilter = read::PersonFilter, in,
    {
        /// Slugs of organisations the person holds or held a role at.
        organisation: Option<Vec<String>>,
        /// Part of the name, case-insensitive.
        name_contains: Option<String>,
    }
);

mirror_struct!(
    /// Which events to list: every field given must match, a list matches any of its values.
    #[derive(Clone, Debug, Default, InputObject)]
    EventFilter = read::EventFilter, in,
    {
        /// Events that end on or after this day.
        from: Option<NaiveDate>,
        /// Events that start on or before this day.
        to: Option<NaiveDate>,
        /// Slugs of organisations that were the site, organised or took part.
        organisation: Option<Vec<String>>,
        /// Slugs of companies that took part.
        company: Option<Vec<String>>,
        /// Slugs of people who took part.
        person: Option<Vec<String>>,
        /// Part of the name, case-insensitive.
        name_contains: Option<String>,
    }
);

mirror_struct!(
    /// How to sort a list.
    #[derive(Clone, Copy, Debug, Default, InputObject)]
    OrderBy = read::OrderBy, in,
    {
        /// What to sort by (default: NAME).
        #[graphql(default)]
        field: OrderField,
        /// Which way (default: ASC).
        #[graphql(default)]
        direction: Direction,
    }
);

mirror_struct!(
    /// Narrows a search to entities with these facet values: any value of a list, every list given.
    #[derive(Clone, Debug, Default, InputObject)]
    SearchFilter = search::SearchFilter, in,
    {
        /// Technology domains (of a technology, or of a company's technologies).
        domain: Option<Vec<TechnologyDomain>>,
        /// Company stages (of a company, or the stages a programme is open to).
        stage: Option<Vec<CompanyStage>>,
        /// Programme kinds (of a programme, or of the programmes a company takes part in).
        programme_kind: Option<Vec<ProgrammeKind>>,
        /// Cities of companies and organisations; case and accents do not matter.
        city: Option<Vec<String>>,
        /// Slugs of the organisations hosting companies.
        site: Option<Vec<String>>,
        /// Slugs of organisations companies belong to.
        membership: Option<Vec<String>>,
        /// Slugs of technologies, each with every technology below it: the technologies themselves
        /// and the companies working on them.
        technology: Option<Vec<String>>,
    }
);

mirror_struct!(
    /// Where a fact comes from.
    #[derive(Clone, Debug, InputObject, async_graphql::SimpleObject)]
    #[graphql(input_name = "SourceInput")]
    Source = draft::Source, both,
    {
        /// Title of the article, page or document.
        title: String,
        /// Where to read it (http or https URL).
        url: Option<String>,
        /// When it was published.
        published_on: Option<NaiveDate>,
    }
);

mirror_struct!(
    /// An entity's name and description in another language than its own.
    #[derive(Clone, Debug, InputObject, async_graphql::SimpleObject)]
    #[graphql(input_name = "TranslationInput")]
    Translation = draft::Translation, both,
    {
        /// The language of this translation (not the entity's own `lang`).
        lang: Lang,
        /// The name in that language, 1–200 characters; the original name when absent.
        name: Option<String>,
        /// The description in that language, up to 10,000 characters.
        description: Option<String>,
    }
);

mirror_struct!(
    /// A role a person holds or held at an organisation.
    #[derive(Clone, Debug, InputObject)]
    RoleInput = draft::RoleDraft, in,
    {
        /// Slug of the organisation.
        organisation: String,
        /// The role, in the words of the source ("président", "directeur général"), 1–200 characters.
        title: String,
        /// First day in the role, when known.
        since: Option<NaiveDate>,
        /// Last day in the role, when it ended.
        until: Option<NaiveDate>,
    }
);

/// Declares the input creating an entity: the fields every entity shares, then its own.
macro_rules! create_input {
    ($(#[$meta:meta])* $name:ident = $draft:path { $($own:tt)* }) => {
        mirror_struct!(
            $(#[$meta])*
            #[derive(Clone, Debug, InputObject)]
            $name = $draft, in,
            {
                /// Unique, URL-friendly identifier: lowercase letters, digits and hyphens, 1–80 characters.
                slug: String,
                /// Display name, 1–200 characters.
                name: String,
                /// Free text, up to 10,000 characters, in the language given by `lang`.
                description: Option<String>,
                /// The language of the description.
                lang: Lang,
                /// Web site (http or https URL).
                website: Option<String>,
                /// Where the facts come from.
                #[graphql(default)]
                sources: Vec<Source>,
                /// The name and description in other languages, at most one per language.
                #[graphql(default)]
                translations: Vec<Translation>,
                $($own)*
            }
        );
    };
}

create_input!(
    /// An organisation: a technopole, a cluster, a chamber of commerce, a business network…
    CreateOrganisationInput = draft::OrganisationDraft {
        /// What kind of organisation it is.
        kind: OrganisationKind,
        /// The city it is based in.
        city: Option<String>,
        /// Other names, in any language: names in the other language, acronyms, former names.
        #[graphql(default)]
        aliases: Vec<String>,
    }
);

create_input!(
    /// A technology companies work on.
    CreateTechnologyInput = draft::TechnologyDraft {
        /// The field it belongs to.
        domain: TechnologyDomain,
        /// Other names, in any language ("fibre optique", "fiber optics").
        #[graphql(default)]
        aliases: Vec<String>,
        /// Slug of the broader technology this one belongs to.
        parent: Option<String>,
    }
);

create_input!(
    /// A support programme: mentoring, funding, acceleration…
    CreateProgrammeInput = draft::ProgrammeDraft {
        /// What the programme offers.
        kind: ProgrammeKind,
        /// Slug of the organisation running it.
        operator: Option<String>,
        /// Company stages the programme is open to (empty: every stage).
        #[graphql(default)]
        eligible_stages: Vec<CompanyStage>,
        /// Technology domains the programme is open to: a company qualifies when one of its
        /// technologies is in one of them (empty: every domain).
        #[graphql(default)]
        eligible_domains: Vec<TechnologyDomain>,
        /// Slugs of the organisations a company must be hosted by, any of them (empty: any site).
        #[graphql(default)]
        eligible_sites: Vec<String>,
        /// Slugs of the organisations a company must belong to, any of them (empty: no membership required).
        #[graphql(default)]
        required_memberships: Vec<String>,
        /// First day of the programme.
        starts_on: Option<NaiveDate>,
        /// Last day of the programme.
        ends_on: Option<NaiveDate>,
        /// Other names, in any language: names in the other language, acronyms, former names.
        #[graphql(default)]
        aliases: Vec<String>,
    }
);

create_input!(
    /// A company.
    CreateCompanyInput = draft::CompanyDraft {
        /// How grown-up the company is.
        stage: CompanyStage,
        /// The city it is based in.
        city: Option<String>,
        /// The year it was founded.
        founded_year: Option<i32>,
        /// How many people it employs.
        employees: Option<i32>,
        /// Slug of the organisation hosting it, e.g. a technopole.
        site: Option<String>,
        /// Slugs of the technologies it works on.
        #[graphql(default)]
        technologies: Vec<String>,
        /// Slugs of the support programmes it takes part in.
        #[graphql(default)]
        programmes: Vec<String>,
        /// Slugs of the organisations it belongs to, e.g. a cluster.
        #[graphql(default)]
        memberships: Vec<String>,
        /// Other names, in any language: names in the other language, acronyms, former names.
        #[graphql(default)]
        aliases: Vec<String>,
    }
);

create_input!(
    /// A person of the ecosystem: only public professional facts from cited sources, never an
    /// e-mail address, a phone number or a home address.
    CreatePersonInput = draft::PersonDraft {
        /// The roles the person holds or held at organisations, most relevant first.
        #[graphql(default)]
        roles: Vec<RoleInput>,
        /// Other names, in any language: former names, usual short forms.
        #[graphql(default)]
        aliases: Vec<String>,
    }
);

create_input!(
    /// An event of the ecosystem: a visit, a meeting, a fair.
    CreateEventInput = draft::EventDraft {
        /// The (first) day.
        date: NaiveDate,
        /// The last day of an event over several days.
        end_date: Option<NaiveDate>,
        /// Slug of the organisation where it took place.
        site: Option<String>,
        /// Slugs of the organisations that organised it.
        #[graphql(default)]
        organisers: Vec<String>,
        /// Slugs of the companies that took part.
        #[graphql(default)]
        companies: Vec<String>,
        /// Slugs of the people who took part.
        #[graphql(default)]
        people: Vec<String>,
        /// Slugs of the organisations that took part (besides organising it).
        #[graphql(default)]
        organisations: Vec<String>,
        /// Other names, in any language.
        #[graphql(default)]
        aliases: Vec<String>,
    }
);
