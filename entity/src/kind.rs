//! The kinds of entity: the one place that lists them.

use sea_orm::entity::prelude::*;

/// The kinds of entity in the knowledge base, stored by name in the change log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EntityKind {
    /// Companies.
    #[sea_orm(string_value = "COMPANY")]
    Company,
    /// Technologies.
    #[sea_orm(string_value = "TECHNOLOGY")]
    Technology,
    /// Support programmes.
    #[sea_orm(string_value = "PROGRAMME")]
    Programme,
    /// Organisations.
    #[sea_orm(string_value = "ORGANISATION")]
    Organisation,
    /// People, with their roles at organisations.
    #[sea_orm(string_value = "PERSON")]
    Person,
    /// Events: visits, meetings, fairs.
    #[sea_orm(string_value = "EVENT")]
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

    /// The name stored in the change log and used in index keys and facets.
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

    /// The kind of that name, as [`EntityKind::as_str`] spells it.
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

#[cfg(test)]
mod tests {
    use sea_orm::ActiveEnum;

    use super::EntityKind;

    /// The change log keeps the names written before the column was typed: no data migration.
    #[test]
    fn the_stored_name_of_a_kind_is_its_name() {
        for kind in EntityKind::ALL {
            assert_eq!(kind.to_value(), kind.as_str());
            assert_eq!(EntityKind::try_from_value(&kind.as_str().to_string()).ok(), Some(kind));
            assert_eq!(EntityKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(
            EntityKind::ALL.map(EntityKind::as_str),
            ["ORGANISATION", "TECHNOLOGY", "PROGRAMME", "COMPANY", "PERSON", "EVENT"]
        );
    }
}
