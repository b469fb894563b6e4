//! The knowledge base's entities as its readers see them: one shared header and a struct per
//! kind, read from the database rows with their JSON columns decoded once, errors surfaced.

use chrono::{DateTime, NaiveDate, Utc};
pub use entity::{CompanyStage, Lang, LocationSource, OrganisationKind, ProgrammeKind, TechnologyDomain, Topic};
use entity::{company, event, organisation, person, person_role, programme, technology};
use sea_orm::EntityTrait;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::draft::{MentorDraft, Source, Translation};
use super::geo::Place;
use crate::error::{AppError, Result};
use entity::EntityKind;

/// What every entity has.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    pub id: i32,
    pub slug: String,
    pub name: String,
    /// `name` folded for sorting (see [`entity::name_key`]).
    pub name_key: String,
    /// The language of `description`.
    pub lang: Lang,
    pub description: Option<String>,
    pub website: Option<String>,
    /// Other names, in any language.
    pub aliases: Vec<String>,
    /// Where the facts come from.
    pub sources: Vec<Source>,
    /// The name and description in other languages.
    pub translations: Vec<Translation>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Header {
    /// A field of the translation into `wanted`, if that is another language than the entity's
    /// own and the translation gives that field.
    pub fn translated(&self, wanted: Option<Lang>, field: fn(&Translation) -> Option<&String>) -> Option<&String> {
        let wanted = wanted.filter(|wanted| *wanted != self.lang)?;
        field(self.translations.iter().find(|t| t.lang == wanted)?)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Company {
    pub header: Header,
    pub stage: CompanyStage,
    pub city: Option<String>,
    pub founded_year: Option<i32>,
    pub employees: Option<i32>,
    /// The organisation hosting it.
    pub site_id: Option<i32>,
    /// What it needs help with now.
    pub needs: Vec<Topic>,
    /// Its own point, WGS84 degrees, and where it comes from (none without one).
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub location_source: Option<LocationSource>,
    /// Its other places.
    pub places: Vec<Place>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Technology {
    pub header: Header,
    pub domain: TechnologyDomain,
    pub parent_id: Option<i32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Programme {
    pub header: Header,
    pub kind: ProgrammeKind,
    pub operator_id: Option<i32>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub eligible_stages: Vec<CompanyStage>,
    pub eligible_domains: Vec<TechnologyDomain>,
    pub eligible_site_ids: Vec<i32>,
    pub required_membership_ids: Vec<i32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Organisation {
    pub header: Header,
    pub kind: OrganisationKind,
    pub city: Option<String>,
    /// Its own point, WGS84 degrees, and where it comes from (none without one).
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub location_source: Option<LocationSource>,
    /// Its other places.
    pub places: Vec<Place>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    pub header: Header,
    /// What the person offers as a mentor; the technologies they know are read apart.
    pub mentor: Option<MentorOffer>,
}

/// What a person offers as a mentor, as stored on the person (technologies are links).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MentorOffer {
    #[serde(default)]
    pub since: Option<NaiveDate>,
    pub topics: Vec<Topic>,
    #[serde(default)]
    pub domains: Vec<TechnologyDomain>,
    #[serde(default)]
    pub stages: Vec<CompanyStage>,
    #[serde(default)]
    pub languages: Vec<Lang>,
    pub sources: Vec<Source>,
}

impl MentorOffer {
    pub fn from_draft(d: &MentorDraft) -> MentorOffer {
        MentorOffer {
            since: d.since,
            topics: d.topics.clone(),
            domains: d.domains.clone(),
            stages: d.stages.clone(),
            languages: d.languages.clone(),
            sources: d.sources.clone(),
        }
    }

    /// The offer back as a draft, with the slugs of the technologies it names.
    pub fn into_draft(self, technologies: Vec<String>) -> MentorDraft {
        MentorDraft {
            since: self.since,
            topics: self.topics,
            technologies,
            domains: self.domains,
            stages: self.stages,
            languages: self.languages,
            sources: self.sources,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub header: Header,
    pub date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub site_id: Option<i32>,
}

/// A role a person holds or held at an organisation.
#[derive(Clone, Debug, PartialEq)]
pub struct Role {
    pub person_id: i32,
    pub organisation_id: i32,
    pub title: String,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

impl From<person_role::Model> for Role {
    fn from(m: person_role::Model) -> Role {
        Role {
            person_id: m.person_id,
            organisation_id: m.organisation_id,
            title: m.title,
            since: m.since,
            until: m.until,
        }
    }
}

/// A JSON column's value, or an error naming the row and the column.
pub(crate) fn decode<T: DeserializeOwned>(
    value: impl Into<serde_json::Value>,
    table: &str,
    id: i32,
    column: &str,
) -> Result<T> {
    serde_json::from_value(value.into())
        .map_err(|err| AppError::Internal(format!("{table} {id}: column {column} does not hold what it should: {err}")))
}

/// An entity kind as stored: its table's rows and how they read into the domain's struct.
pub trait Stored: Sized + Clone + Send + Sync + 'static {
    type Entity: EntityTrait<Model: Sync>;
    const KIND: EntityKind;
    fn id_column() -> <Self::Entity as EntityTrait>::Column;
    fn slug_column() -> <Self::Entity as EntityTrait>::Column;
    fn name_key_column() -> <Self::Entity as EntityTrait>::Column;
    fn read(row: <Self::Entity as EntityTrait>::Model) -> Result<Self>;
    fn header(&self) -> &Header;
}

/// Declares how a kind reads from its table: the header, then its own fields (`json` ones decoded).
macro_rules! stored {
    ($ty:ident, $entity:ident, $kind:expr, { $($field:ident),* } $(json { $($json:ident),* })?) => {
        impl Stored for $ty {
            type Entity = $entity::Entity;
            const KIND: EntityKind = $kind;
            fn id_column() -> $entity::Column {
                $entity::Column::Id
            }
            fn slug_column() -> $entity::Column {
                $entity::Column::Slug
            }
            fn name_key_column() -> $entity::Column {
                $entity::Column::NameKey
            }
            fn read(m: $entity::Model) -> Result<$ty> {
                let table = stringify!($entity);
                Ok($ty {
                    header: Header {
                        aliases: decode(m.aliases, table, m.id, "aliases")?,
                        sources: decode(m.sources, table, m.id, "sources")?,
                        translations: decode(m.translations, table, m.id, "translations")?,
                        id: m.id,
                        slug: m.slug,
                        name: m.name,
                        name_key: m.name_key,
                        lang: m.lang,
                        description: m.description,
                        website: m.website,
                        created_at: m.created_at,
                        updated_at: m.updated_at,
                    },
                    $($($json: decode(m.$json, table, m.id, stringify!($json))?,)*)?
                    $($field: m.$field,)*
                })
            }
            fn header(&self) -> &Header {
                &self.header
            }
        }
    };
}

stored!(Company, company, EntityKind::Company, { stage, city, founded_year, employees, site_id, latitude, longitude, location_source } json { needs, places });
stored!(Technology, technology, EntityKind::Technology, { domain, parent_id });
stored!(
    Programme,
    programme,
    EntityKind::Programme,
    { kind, operator_id, starts_on, ends_on }
    json { eligible_stages, eligible_domains, eligible_site_ids, required_membership_ids }
);
stored!(
    Organisation,
    organisation,
    EntityKind::Organisation,
    { kind, city, latitude, longitude, location_source }
    json { places }
);
stored!(Person, person, EntityKind::Person, {} json { mentor });
stored!(Event, event, EntityKind::Event, { date, end_date, site_id });

/// Reads rows into the domain's structs.
pub fn read_all<S: Stored>(rows: Vec<<S::Entity as EntityTrait>::Model>) -> Result<Vec<S>> {
    rows.into_iter().map(S::read).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(aliases: serde_json::Value) -> company::Model {
        company::Model {
            id: 7,
            slug: "helio".into(),
            name: "Hélio".into(),
            name_key: "helio".into(),
            description: None,
            lang: Lang::Fr,
            website: None,
            sources: serde_json::json!([{"title": "Le journal"}]),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            content_hash: None,
            stage: CompanyStage::Startup,
            city: Some("Aix".into()),
            founded_year: None,
            employees: None,
            site_id: None,
            needs: serde_json::json!([]),
            latitude: None,
            longitude: None,
            location_source: None,
            places: serde_json::json!([]),
            aliases,
            translations: serde_json::json!([{"lang": "en", "name": "Helio"}]),
        }
    }

    #[test]
    fn a_row_reads_with_its_json_columns_decoded() {
        let company = Company::read(row(serde_json::json!(["Hélio SAS"]))).unwrap();
        assert_eq!(company.header.aliases, ["Hélio SAS"]);
        assert_eq!(company.header.sources[0].title, "Le journal");
        assert_eq!(company.header.translated(Some(Lang::En), |t| t.name.as_ref()).unwrap(), "Helio");
        assert_eq!(company.header.translated(Some(Lang::Fr), |t| t.name.as_ref()), None, "its own language");
    }

    #[test]
    fn a_column_that_does_not_decode_is_an_error_naming_it_not_an_empty_list() {
        let err = Company::read(row(serde_json::json!({"not": "a list"}))).unwrap_err();
        let AppError::Internal(message) = err else { panic!("expected an internal error, got {err:?}") };
        assert!(message.contains("company 7: column aliases"), "{message}");
    }
}
