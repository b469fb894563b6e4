//! The API's enums, each mirroring a domain enum variant for variant.

mirror_enum!(
    /// The language of a description.
    Lang = crate::kb::model::Lang {
        /// French.
        #[graphql(name = "fr")]
        Fr,
        /// English.
        #[graphql(name = "en")]
        En,
    }
);

mirror_enum!(
    /// What kind of organisation it is.
    OrganisationKind = crate::kb::model::OrganisationKind {
        /// A technopole or science park hosting companies.
        Technopole,
        /// A cluster (pôle de compétitivité) of companies and labs in one field.
        Cluster,
        /// A chamber of commerce and industry.
        Chamber,
        /// A business network or association of entrepreneurs.
        BusinessNetwork,
        /// A public authority: a region, a metropolis, a state agency.
        PublicAuthority,
        /// An investor: a fund, a bank, business angels.
        Investor,
        /// A research lab, university or school.
        Research,
        /// Any other kind.
        Other,
    }
);

mirror_enum!(
    /// The field a technology belongs to.
    TechnologyDomain = crate::kb::model::TechnologyDomain {
        /// Energy: renewables, storage, grids, efficiency.
        Energy,
        /// Mobility and transport.
        Mobility,
        /// Building and construction.
        Building,
        /// Water: supply, treatment, monitoring.
        Water,
        /// Waste: recycling, recovery, circular economy.
        Waste,
        /// Air quality.
        Air,
        /// Natural risks: floods, fires, earthquakes.
        NaturalRisks,
        /// Biodiversity and ecosystems.
        Biodiversity,
        /// Agriculture and food.
        Agriculture,
        /// Digital technologies: software, data, AI.
        Digital,
        /// Safety and security.
        Security,
        /// Any other domain.
        Other,
    }
);

mirror_enum!(
    /// What a support programme offers.
    ProgrammeKind = crate::kb::model::ProgrammeKind {
        /// Mentoring or coaching.
        Mentoring,
        /// Funding: grants, loans, equity.
        Funding,
        /// Acceleration of a young company.
        Acceleration,
        /// Incubation of a project or young company.
        Incubation,
        /// Networking: meetings, introductions, events.
        Networking,
        /// Expertise: technical or business advice, testing.
        Expertise,
        /// Any other kind.
        Other,
    }
);

mirror_enum!(
    /// What start-ups and SMEs ask an expert's help with: what a mentor offers and a company needs.
    Topic = crate::kb::model::Topic {
        /// Industrialisation: from a prototype to production, scaling up manufacturing.
        Industrialisation,
        /// Funding: raising funds, grants, loans, investors.
        Funding,
        /// Export and international markets.
        Export,
        /// Recruitment: hiring, building a team.
        Recruitment,
        /// Intellectual property: patents, licences, trade secrets.
        IntellectualProperty,
        /// Governance: board, shareholders, management.
        Governance,
        /// Sales: first customers, go-to-market, distribution.
        Sales,
        /// Regulation and compliance.
        Regulation,
        /// Certification and standards: homologation, norms, labels.
        Certification,
        /// Partnerships with large groups, labs and suppliers.
        Partnerships,
        /// Anything else.
        Other,
    }
);

mirror_enum!(
    /// How grown-up a company is.
    CompanyStage = crate::kb::model::CompanyStage {
        /// A start-up: a young company growing fast.
        Startup,
        /// A small or medium-sized enterprise (PME).
        Sme,
        /// A mid-cap (ETI).
        Midcap,
        /// A large group.
        LargeGroup,
    }
);

mirror_enum!(
    /// The kinds of entity in the knowledge base.
    EntityKind = entity::EntityKind {
        /// Companies.
        Company,
        /// Technologies.
        Technology,
        /// Support programmes.
        Programme,
        /// Organisations.
        Organisation,
        /// People, with their roles at organisations.
        Person,
        /// Events: visits, meetings, fairs.
        Event,
    }
);

mirror_enum!(
    /// What a write did to an entity.
    ChangeOperation = crate::changelog::Operation {
        /// The entity was created.
        Created,
        /// The entity, or one of its relations, was changed.
        Updated,
        /// The entity was deleted.
        Deleted,
    }
);

mirror_enum!(
    /// How many of the query's words a result must match.
    MatchingStrategy = crate::search::query::MatchingStrategy {
        /// Only results with every word.
        All,
        /// Results with every word; when they do not fill the first page, words are dropped from
        /// the end of the query, one at a time, until it fills.
        Last,
        /// Every result with at least one of the words.
        Any,
    }
);

mirror_enum!(
    /// How search results are ordered.
    SearchOrder = crate::search::query::SearchOrder {
        /// Best first by the ranking rules (by name for an empty query).
        Relevance,
        /// Nearest first, from `near`'s point or the middle of `within`'s area; ties by relevance.
        Distance,
    }
);

mirror_enum!(
    /// What a list is sorted by; ties are broken by id.
    OrderField = crate::kb::read::OrderField {
        /// Alphabetical order of names.
        Name,
        /// When entities were added.
        CreatedAt,
        /// Companies only.
        FoundedYear,
        /// The day it took place: events only.
        Date,
    }
);

mirror_enum!(
    /// Which way to sort.
    Direction = crate::kb::read::Direction {
        /// Smallest first (A to Z, oldest first).
        Asc,
        /// Largest first.
        Desc,
    }
);

mirror_enum!(
    /// A criterion a programme may set.
    EligibilityCriterion = crate::kb::advice::eligibility::EligibilityCriterion {
        /// The company's stage must be one of `eligibleStages`.
        Stage,
        /// One of the company's technologies must be in one of `eligibleDomains`.
        Domain,
        /// The company must be hosted by one of `eligibleSites`.
        Site,
        /// The company must belong to one of `requiredMemberships`.
        Membership,
        /// The programme must not have ended (`endsOn` is today or later, or not set).
        Dates,
    }
);

/// The defaults of optional arguments, as the domain has them.
macro_rules! domain_default {
    ($($name:ident),+) => {$(
        impl Default for $name {
            fn default() -> Self {
                use super::mirror::IntoGraphql as _;
                <$name as super::mirror::IntoDomain>::Domain::default().into_graphql()
            }
        }
    )+};
}

domain_default!(MatchingStrategy, SearchOrder, OrderField, Direction);

mirror_enum!(
    /// Where an entity's point comes from.
    LocationSource = crate::kb::geo::Origin {
        /// Its own, as written in the knowledge base.
        Own,
        /// Its host site's: it has none of its own.
        Site,
        /// The business registry's.
        Registry,
    }
);
