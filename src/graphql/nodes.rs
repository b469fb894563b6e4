//! The GraphQL entity types as plain wrappers of the domain's, and the `Entity` interface they
//! share; a leaf, so that the files answering their fields (and the advice types) need not
//! import each other.

use async_graphql::{ID, Interface};
use chrono::{DateTime, Utc};

use super::enums::Lang;
use super::inputs::{Source, Translation};
use crate::kb::model;
use entity::EntityKind;

/// A company working on environmental or industrial technologies.
pub struct Company(pub model::Company);
/// A technology companies work on; technologies form a taxonomy through `parent`.
pub struct Technology(pub model::Technology);
/// A support programme (mentoring, funding, acceleration…) helping companies from innovation to production.
pub struct Programme(pub model::Programme);
/// An organisation: technopole, cluster, chamber of commerce, business network, public authority…
pub struct Organisation(pub model::Organisation);
/// A person of the ecosystem, with their roles at organisations. Only public professional facts
/// from cited sources: never an e-mail address, a phone number or a home address.
pub struct Person(pub model::Person);
/// A role a person holds or held at an organisation.
pub struct Role(pub model::Role);
/// An event of the ecosystem: a visit, a meeting, a fair; where and when, who organised it and who took part.
pub struct Event(pub model::Event);

/// The wrapper of one kind, taken out of an [`Entity`] of that kind.
pub trait OfKind: Sized {
    /// The kind it wraps.
    const KIND: EntityKind;
    /// The wrapper, when the entity is of that kind.
    fn from_entity(entity: Entity) -> Option<Self>;
}

/// `impl OfKind` for each wrapper: the variant of `Entity` and of `EntityKind` share its name.
macro_rules! of_kind {
    ($($ty:ident),*) => {$(
        impl OfKind for $ty {
            const KIND: EntityKind = EntityKind::$ty;
            fn from_entity(entity: Entity) -> Option<Self> {
                match entity {
                    Entity::$ty(found) => Some(found),
                    _ => None,
                }
            }
        }
    )*};
}
of_kind!(Company, Technology, Programme, Organisation, Person, Event);

/// Anything the knowledge base describes.
#[allow(clippy::duplicated_attributes)] // each `field(...)` names its own type
#[derive(Interface)]
#[graphql(
    field(name = "id", ty = "ID", desc = "Global id, usable with `node(id:)`."),
    field(name = "slug", ty = "&String", desc = "Unique, URL-friendly identifier."),
    field(
        name = "name",
        ty = "String",
        desc = "Display name.",
        arg(
            name = "lang",
            ty = "Option<Lang>",
            desc = "In this language: its translation, or the original when there is none."
        )
    ),
    field(
        name = "aliases",
        ty = "Vec<String>",
        desc = "Other names, in any language: names in the other language, acronyms, former names."
    ),
    field(
        name = "description",
        ty = "Option<String>",
        desc = "Free text, in the language given by `lang`.",
        arg(
            name = "lang",
            ty = "Option<Lang>",
            desc = "In this language: its translation, or the original when there is none."
        )
    ),
    field(name = "translations", ty = "Vec<Translation>", desc = "The name and description in other languages."),
    field(name = "lang", ty = "Lang", desc = "The language of the description."),
    field(name = "website", ty = "&Option<String>", desc = "Web site."),
    field(name = "sources", ty = "Vec<Source>", desc = "Where the facts come from."),
    field(name = "created_at", ty = "DateTime<Utc>", desc = "When it was added."),
    field(name = "updated_at", ty = "DateTime<Utc>", desc = "When it last changed.")
)]
pub enum Entity {
    Company(Company),
    Technology(Technology),
    Programme(Programme),
    Organisation(Organisation),
    Person(Person),
    Event(Event),
}
