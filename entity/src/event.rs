//! Something that happened in the ecosystem on a given day: a visit, a meeting, a fair.
use crate::enums::Lang;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    /// `name` folded for sorting (see [`crate::name_key`]).
    pub name_key: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub lang: Lang,
    pub website: Option<String>,
    pub sources: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Hash of what an import writes (fields and relations), to skip unchanged entities.
    pub content_hash: Option<String>,
    /// Other names, in any language (a JSON array of strings).
    pub aliases: Json,
    /// The name and description in other languages (a JSON array of `{lang, name, description}`).
    pub translations: Json,
    /// The (first) day.
    pub date: Date,
    /// The last day of an event over several days.
    pub end_date: Option<Date>,
    /// The organisation where it took place.
    pub site_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
