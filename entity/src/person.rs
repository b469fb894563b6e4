//! A person of the ecosystem: only public professional facts from cited sources (no e-mail,
//! phone or address).
use crate::enums::Lang;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "person")]
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
    /// What the person offers as a mentor, with their consent and its sources (a JSON object
    /// `{since, topics, domains, stages, languages, sources}`); none when they offer nothing.
    /// The technologies they know are in `mentor_technology`.
    pub mentor: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
