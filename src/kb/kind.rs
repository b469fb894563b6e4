//! The kinds of entity: the one place that lists them.

/// The kinds of entity in the knowledge base.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
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

impl EntityKind {
    /// Every kind, in the order a document lists them: each kind refers only to kinds before it
    /// (or to itself). The one place that lists the kinds.
    pub const ALL: [EntityKind; 6] = [
        EntityKind::Organisation,
        EntityKind::Technology,
        EntityKind::Programme,
        EntityKind::Company,
        EntityKind::Person,
        EntityKind::Event,
    ];

    /// The name used in the outbox, in index keys and in facets.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Company => "COMPANY",
            EntityKind::Technology => "TECHNOLOGY",
            EntityKind::Programme => "PROGRAMME",
            EntityKind::Organisation => "ORGANISATION",
            EntityKind::Person => "PERSON",
            EntityKind::Event => "EVENT",
        }
    }

    pub fn parse(s: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The database table holding entities of this kind.
    pub fn table(self) -> &'static str {
        match self {
            EntityKind::Company => "company",
            EntityKind::Technology => "technology",
            EntityKind::Programme => "programme",
            EntityKind::Organisation => "organisation",
            EntityKind::Person => "person",
            EntityKind::Event => "event",
        }
    }

    /// How a knowledge-base document names its list of this kind (the prefix of problem paths).
    pub fn list_name(self) -> &'static str {
        match self {
            EntityKind::Company => "companies",
            EntityKind::Technology => "technologies",
            EntityKind::Programme => "programmes",
            EntityKind::Organisation => "organisations",
            EntityKind::Person => "people",
            EntityKind::Event => "events",
        }
    }
}
