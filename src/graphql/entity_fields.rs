//! The answers to the fields every kind shares (the `Entity` interface), read from an entity's
//! header. Each kind's object writes those fields out and answers each with one call here, so
//! that the rules (the translation picked by `lang`, the global id) live in one place.

use async_graphql::ID;
use chrono::{DateTime, Utc};

use super::enums::Lang;
use super::inputs::{Source, Translation};
use super::mirror::{IntoDomain, IntoGraphql};
use super::relay::global_id;
use crate::kb::model::{Header, Stored};
use entity::EntityKind;

/// An entity of any kind, as the fields of the `Entity` interface see it.
pub(super) struct EntityFields<'a> {
    kind: EntityKind,
    header: &'a Header,
}

impl<'a> EntityFields<'a> {
    /// The shared fields of a stored entity.
    pub(super) fn of<S: Stored>(entity: &'a S) -> Self {
        EntityFields { kind: S::KIND, header: entity.header() }
    }

    /// Global id, usable with `node(id:)`.
    pub(super) fn id(&self) -> ID {
        global_id(self.kind, self.header.id)
    }

    /// Unique, URL-friendly identifier.
    pub(super) fn slug(&self) -> &'a String {
        &self.header.slug
    }

    /// Display name in `lang`: its translation, or the original when there is none.
    pub(super) fn name(&self, lang: Option<Lang>) -> String {
        let header = self.header;
        header.translated(lang.into_domain(), |t| t.name.as_ref()).unwrap_or(&header.name).clone()
    }

    /// Other names, in any language.
    pub(super) fn aliases(&self) -> Vec<String> {
        self.header.aliases.clone()
    }

    /// Free text in `lang`: its translation, or the original when there is none.
    pub(super) fn description(&self, lang: Option<Lang>) -> Option<String> {
        let header = self.header;
        header.translated(lang.into_domain(), |t| t.description.as_ref()).or(header.description.as_ref()).cloned()
    }

    /// The name and description in other languages.
    pub(super) fn translations(&self) -> Vec<Translation> {
        self.header.translations.clone().into_graphql()
    }

    /// The language of the description.
    pub(super) fn lang(&self) -> Lang {
        self.header.lang.into_graphql()
    }

    /// Web site.
    pub(super) fn website(&self) -> &'a Option<String> {
        &self.header.website
    }

    /// Where the facts come from.
    pub(super) fn sources(&self) -> Vec<Source> {
        self.header.sources.clone().into_graphql()
    }

    /// When it was added.
    pub(super) fn created_at(&self) -> DateTime<Utc> {
        self.header.created_at
    }

    /// When it last changed.
    pub(super) fn updated_at(&self) -> DateTime<Utc> {
        self.header.updated_at
    }
}
