//! The outbox of changes the search index has yet to apply.
//!
//! Every write appends rows here in the same transaction as the data it changes; the indexer
//! applies them, commits the index with the last applied `seq` in its payload, then prunes them.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// `company`, `technology`, `programme`, `organisation`, or `all` for a full rebuild.
    pub kind: String,
    pub entity_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
