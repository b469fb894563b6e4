//! What clients send besides ids, words and a kind's fields: filters, orderings, sources and translations.

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
    /// A point on Earth, WGS84 degrees.
    #[derive(Clone, Debug, InputObject)]
    PointInput = crate::kb::geo::Point, in,
    {
        /// Degrees north of the equator, −90 to 90.
        latitude: f64,
        /// Degrees east of Greenwich, −180 to 180.
        longitude: f64,
    }
);

mirror_struct!(
    /// One of an entity's places besides its main point: an establishment, a second site.
    #[derive(Clone, Debug, InputObject, async_graphql::SimpleObject)]
    #[graphql(input_name = "PlaceInput")]
    Place = crate::kb::geo::Place, both,
    {
        /// What the place is ("Établissement de Rousset"), 1–200 characters.
        name: String,
        /// Degrees north of the equator, −90 to 90.
        latitude: f64,
        /// Degrees east of Greenwich, −180 to 180.
        longitude: f64,
    }
);
