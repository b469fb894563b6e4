use crate::enums::{Lang, ProgrammeKind};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "programme")]
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
    /// Hash of what an import writes (fields and relations), to skip unchanged entities; none for rows older than it.
    pub content_hash: Option<String>,
    pub kind: ProgrammeKind,
    pub operator_id: Option<i32>,
    /// Company stages the programme is open to (a JSON array of stage names).
    pub eligible_stages: Json,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
    /// Other names, in any language (a JSON array of strings).
    pub aliases: Json,
    /// The name and description in other languages (a JSON array of `{lang, name, description}`).
    pub translations: Json,
    /// Technology domains the programme is open to (a JSON array of domain names; empty: all).
    pub eligible_domains: Json,
    /// Ids of the organisations a company must be hosted by, any of them (a JSON array; empty: any site).
    pub eligible_site_ids: Json,
    /// Ids of the organisations a company must belong to, any of them (a JSON array; empty: none required).
    pub required_membership_ids: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
