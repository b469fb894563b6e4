//! The change log: one row per entity changed by a write, appended in the write's transaction.
//!
//! Every replica's search index follows it (its commits record the last `seq` applied), and so do
//! subscriptions; rows are pruned by age, never because one reader applied them.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change")]
pub struct Model {
    /// The log position: increasing in commit order.
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// `COMPANY`, `TECHNOLOGY`, `PROGRAMME` or `ORGANISATION`.
    pub kind: String,
    pub entity_id: i32,
    /// `CREATED`, `UPDATED` or `DELETED`.
    pub operation: String,
    /// The entity's slug when it was written (or deleted).
    pub slug: String,
    /// When the write happened.
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
