//! The change log: one row per entity changed by a write, appended in the write's transaction.
//!
//! Every replica's search index follows it (its commits record the last `seq` applied), and so do
//! subscriptions; rows are pruned by age, never because one reader applied them.
use sea_orm::entity::prelude::*;

use crate::EntityKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change")]
pub struct Model {
    /// The log position: increasing in commit order.
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// The kind of the entity changed: `COMPANY`, `TECHNOLOGY`, `PROGRAMME`, `ORGANISATION`,
    /// `PERSON` or `EVENT`.
    pub kind: EntityKind,
    pub entity_id: i32,
    /// What the write did: `CREATED`, `UPDATED` or `DELETED`.
    pub operation: Operation,
    /// The entity's slug when it was written (or deleted); empty for a person.
    pub slug: String,
    /// When the write happened.
    pub at: DateTimeUtc,
}

/// What a write did to an entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Operation {
    /// The entity was created.
    #[sea_orm(string_value = "CREATED")]
    Created,
    /// The entity, or one of its relations, was changed.
    #[sea_orm(string_value = "UPDATED")]
    Updated,
    /// The entity was deleted.
    #[sea_orm(string_value = "DELETED")]
    Deleted,
}

impl Operation {
    /// The name stored in the change log.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Created => "CREATED",
            Operation::Updated => "UPDATED",
            Operation::Deleted => "DELETED",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::Operation;

    /// The change log keeps the names written before the column was typed: no data migration.
    #[test]
    fn the_stored_name_of_an_operation_is_its_name() {
        let names: Vec<String> = Operation::iter().map(|o| o.to_value()).collect();
        assert_eq!(names, ["CREATED", "UPDATED", "DELETED"]);
        for operation in Operation::iter() {
            assert_eq!(operation.to_value(), operation.as_str());
        }
    }
}
