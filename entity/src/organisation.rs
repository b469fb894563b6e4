use crate::enums::{Lang, LocationSource, OrganisationKind};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "organisation")]
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
    pub kind: OrganisationKind,
    pub city: Option<String>,
    /// Other names, in any language (a JSON array of strings).
    pub aliases: Json,
    /// The name and description in other languages (a JSON array of `{lang, name, description}`).
    pub translations: Json,
    /// Latitude of its own point, WGS84 degrees.
    pub latitude: Option<f64>,
    /// Longitude of its own point, WGS84 degrees.
    pub longitude: Option<f64>,
    /// Where its own point comes from; none without one.
    pub location_source: Option<LocationSource>,
    /// Its other places (a JSON array of `{name, latitude, longitude}`).
    pub places: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
