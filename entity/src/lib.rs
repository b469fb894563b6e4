//! sea-orm entities of Pépite's knowledge base.

pub mod change;
pub mod company;
pub mod company_membership;
pub mod company_programme;
pub mod company_technology;
pub mod enums;
pub mod event;
pub mod event_company;
pub mod event_organisation;
pub mod event_organiser;
pub mod event_person;
pub mod kind;
pub mod mentor_technology;
pub mod meta;
pub mod organisation;
pub mod person;
pub mod person_role;
pub mod programme;
pub mod sort_key;
pub mod technology;

pub use change::Operation;
pub use enums::{CompanyStage, Lang, LocationSource, OrganisationKind, ProgrammeKind, TechnologyDomain, Topic};
pub use kind::EntityKind;
pub use sort_key::name_key;

/// The columns every entity table has, for statements that work on any kind of entity.
#[derive(Clone, Copy, Debug, sea_orm::DeriveIden)]
pub enum Shared {
    Id,
    Slug,
    Name,
    Aliases,
    CreatedAt,
    UpdatedAt,
}
