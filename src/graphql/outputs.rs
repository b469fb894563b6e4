//! Plain values the API returns besides entities: search facets, highlights and suggestions,
//! eligibility criteria, import counts.

use async_graphql::SimpleObject;

use super::enums::{EligibilityCriterion, EntityKind};
use crate::kb::advice::eligibility;
use crate::kb::import;
use crate::search::query as search;

mirror_struct!(
    /// One value of a facet and how many matches have it.
    #[derive(Clone, Debug, SimpleObject)]
    FacetValue = search::FacetValue, out,
    {
        /// The value, e.g. `ENERGY` or `Marseille`.
        value: String,
        /// How many matches have it.
        count: u64,
    }
);

mirror_struct!(
    /// Counts over every match of a search, not only the page shown. A facet's counts ignore the
    /// filter on that same facet (so the other values stay visible), and only the facets selected
    /// in the query are computed.
    #[derive(Clone, Debug, SimpleObject)]
    Facets = search::Facets, out,
    {
        /// Matches by entity kind (COMPANY, TECHNOLOGY, PROGRAMME, ORGANISATION, PERSON, EVENT), ignoring `kinds`.
        kind: Vec<FacetValue>,
        /// Matches by technology domain, ignoring `filter.domain`.
        domain: Vec<FacetValue>,
        /// Matches by company stage, ignoring `filter.stage`.
        stage: Vec<FacetValue>,
        /// Matches by programme kind, ignoring `filter.programmeKind`.
        programme_kind: Vec<FacetValue>,
        /// Matches by city, ignoring `filter.city`.
        city: Vec<FacetValue>,
    }
);

mirror_struct!(
    /// A piece of a matched field.
    #[derive(Clone, Debug, SimpleObject)]
    Highlight = search::Highlight, out,
    {
        /// `name`, `aliases`, `description`, or `related` (names of linked entities).
        field: String,
        /// HTML: the text around the matches, matched words in `<mark>` elements.
        snippet: String,
    }
);

mirror_struct!(
    /// A name to complete a search box with.
    #[derive(Clone, Debug, SimpleObject)]
    Suggestion = search::Suggestion, out,
    {
        /// The entity's name.
        name: String,
        /// The entity's slug, to look it up.
        slug: String,
        /// The entity's kind.
        kind: EntityKind,
    }
);

mirror_struct!(
    /// One criterion of a programme, checked for one company.
    #[derive(Clone, Debug, SimpleObject)]
    Criterion = eligibility::Criterion, out,
    {
        /// Which criterion.
        name: EligibilityCriterion,
        /// Whether the company meets it. A criterion the programme leaves empty is met by every company.
        met: bool,
        /// What the programme asks and what the company has, in one English sentence,
        /// e.g. "open to STARTUP and SME; this company is LARGE_GROUP".
        detail: String,
    }
);

mirror_struct!(
    /// What an import did to the entities of one kind.
    #[derive(Clone, Copy, Debug, SimpleObject)]
    ImportCounts = import::KindCounts, out,
    {
        /// Entities the document added.
        created: usize,
        /// Entities whose fields or relations the document changed.
        updated: usize,
        /// Entities the document holds as they already were: not written at all.
        unchanged: usize,
        /// Entities the document does not hold, deleted by a pruning import.
        deleted: usize,
    }
);

/// What an import did, kind by kind.
#[derive(Clone, Debug, SimpleObject)]
pub struct ImportSummary {
    /// What happened to organisations.
    pub organisations: ImportCounts,
    /// What happened to technologies.
    pub technologies: ImportCounts,
    /// What happened to programmes.
    pub programmes: ImportCounts,
    /// What happened to companies.
    pub companies: ImportCounts,
    /// What happened to people.
    pub people: ImportCounts,
    /// What happened to events.
    pub events: ImportCounts,
    /// Whether this was a dry run: the counts say what the import would do, and nothing was written.
    pub dry_run: bool,
}

impl From<import::ImportSummary> for ImportSummary {
    fn from(s: import::ImportSummary) -> Self {
        use super::mirror::IntoGraphql as _;
        ImportSummary {
            organisations: s.organisations.into_graphql(),
            technologies: s.technologies.into_graphql(),
            programmes: s.programmes.into_graphql(),
            companies: s.companies.into_graphql(),
            people: s.people.into_graphql(),
            events: s.events.into_graphql(),
            dry_run: s.dry_run,
        }
    }
}

mirror_struct!(
    /// Where an entity is: a point (WGS84 degrees) and where it comes from.
    #[derive(Clone, Debug, SimpleObject)]
    Location = crate::kb::geo::Location, out,
    {
        /// Degrees north of the equator, −90 to 90.
        latitude: f64,
        /// Degrees east of Greenwich, −180 to 180.
        longitude: f64,
        /// Whether the point is its own, its host site's or the registry's.
        source: super::enums::LocationSource,
    }
);
