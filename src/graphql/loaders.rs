//! DataLoaders: one batched statement per relation and per page, whatever the number of parents.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{
    company, company_membership, company_programme, company_technology, event, event_company, event_organisation,
    event_organiser, event_person, organisation, person, person_role, programme, technology,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::error::AppError;

/// The loader of one request, caching what it loaded for the request's lifetime.
pub type RequestLoader = async_graphql::dataloader::DataLoader<DbLoader, async_graphql::dataloader::HashMapCache>;

/// Loads entities and relations for one request; built per request so that nothing stale is cached.
pub struct DbLoader {
    pub db: DatabaseConnection,
}

type LoadResult<K, V> = Result<HashMap<K, V>, async_graphql::Error>;

fn db_error(err: sea_orm::DbErr) -> async_graphql::Error {
    AppError::from(err).into()
}

/// Keys of the loaders: the id of an entity, or of a company whose relation is wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OrganisationId(pub i32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TechnologyId(pub i32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProgrammeId(pub i32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CompanyId(pub i32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PersonId(pub i32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventId(pub i32);
/// The organisers of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OrganisersOf(pub i32);
/// The companies that took part in an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventCompaniesOf(pub i32);
/// The people who took part in an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventPeopleOf(pub i32);
/// The organisations that took part in an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventOrganisationsOf(pub i32);
/// The roles of a person, in their order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RolesOf(pub i32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TechnologiesOf(pub i32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProgrammesOf(pub i32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MembershipsOf(pub i32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChildrenOf(pub i32);

/// Loads `keys` with one statement now, without a DataLoader's batching delay (none when empty).
pub async fn load_now<K, V>(loader: &DbLoader, keys: impl IntoIterator<Item = K>) -> LoadResult<K, V>
where
    K: Send + Sync + Clone + Eq + std::hash::Hash + 'static,
    V: Send + Sync + Clone + 'static,
    DbLoader: Loader<K, Value = V, Error = async_graphql::Error>,
{
    let keys: Vec<K> = keys.into_iter().collect();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    loader.load(&keys).await
}

macro_rules! by_id {
    ($key:ident, $entity:ident) => {
        impl Loader<$key> for DbLoader {
            type Value = $entity::Model;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, $entity::Model> {
                let rows = $entity::Entity::find()
                    .filter($entity::Column::Id.is_in(keys.iter().map(|k| k.0)))
                    .all(&self.db)
                    .await
                    .map_err(db_error)?;
                Ok(rows.into_iter().map(|m| ($key(m.id), m)).collect())
            }
        }
    };
}

by_id!(OrganisationId, organisation);
by_id!(TechnologyId, technology);
by_id!(ProgrammeId, programme);
by_id!(CompanyId, company);
by_id!(PersonId, person);
by_id!(EventId, event);

/// Loads, for each company (or event), the `$target` rows linked to it through `$link`, sorted by name
/// (the folded name, as lists are):
/// two statements (the links, then the targets) for any number of companies.
macro_rules! linked {
    ($key:ident, $link:ident, $owner_col:ident, $target_col:ident, $target:ident) => {
        impl Loader<$key> for DbLoader {
            type Value = Vec<$target::Model>;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, Vec<$target::Model>> {
                let links: Vec<(i32, i32)> = $link::Entity::find()
                    .select_only()
                    .columns([$link::Column::$owner_col, $link::Column::$target_col])
                    .filter($link::Column::$owner_col.is_in(keys.iter().map(|k| k.0)))
                    .into_tuple()
                    .all(&self.db)
                    .await
                    .map_err(db_error)?;
                let mut ids: Vec<i32> = links.iter().map(|l| l.1).collect();
                ids.sort_unstable();
                ids.dedup();
                let targets: HashMap<i32, $target::Model> = $target::Entity::find()
                    .filter($target::Column::Id.is_in(ids))
                    .order_by_asc($target::Column::NameKey)
                    .all(&self.db)
                    .await
                    .map_err(db_error)?
                    .into_iter()
                    .map(|m| (m.id, m))
                    .collect();
                let mut out: HashMap<$key, Vec<$target::Model>> = keys.iter().map(|k| (*k, Vec::new())).collect();
                for (company, target) in links {
                    if let (Some(list), Some(model)) = (out.get_mut(&$key(company)), targets.get(&target)) {
                        list.push(model.clone());
                    }
                }
                for list in out.values_mut() {
                    list.sort_by(|a, b| a.name_key.cmp(&b.name_key).then(a.id.cmp(&b.id)));
                }
                Ok(out)
            }
        }
    };
}

linked!(TechnologiesOf, company_technology, CompanyId, TechnologyId, technology);
linked!(ProgrammesOf, company_programme, CompanyId, ProgrammeId, programme);
linked!(MembershipsOf, company_membership, CompanyId, OrganisationId, organisation);
linked!(OrganisersOf, event_organiser, EventId, OrganisationId, organisation);
linked!(EventCompaniesOf, event_company, EventId, CompanyId, company);
linked!(EventPeopleOf, event_person, EventId, PersonId, person);
linked!(EventOrganisationsOf, event_organisation, EventId, OrganisationId, organisation);

impl Loader<ChildrenOf> for DbLoader {
    type Value = Vec<technology::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ChildrenOf]) -> LoadResult<ChildrenOf, Vec<technology::Model>> {
        let rows = technology::Entity::find()
            .filter(technology::Column::ParentId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(technology::Column::NameKey)
            .order_by_asc(technology::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<ChildrenOf, Vec<technology::Model>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            if let Some(parent) = row.parent_id {
                out.entry(ChildrenOf(parent)).or_default().push(row);
            }
        }
        Ok(out)
    }
}

impl Loader<RolesOf> for DbLoader {
    type Value = Vec<person_role::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[RolesOf]) -> LoadResult<RolesOf, Vec<person_role::Model>> {
        let rows = person_role::Entity::find()
            .filter(person_role::Column::PersonId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(person_role::Column::PersonId)
            .order_by_asc(person_role::Column::Position)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<RolesOf, Vec<person_role::Model>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(RolesOf(row.person_id)).or_default().push(row);
        }
        Ok(out)
    }
}

/// Empties a DataLoader's cache, so that what it loads next is read afresh.
pub fn forget(loader: &RequestLoader) {
    loader.clear::<OrganisationId>();
    loader.clear::<TechnologyId>();
    loader.clear::<ProgrammeId>();
    loader.clear::<CompanyId>();
    loader.clear::<TechnologiesOf>();
    loader.clear::<ProgrammesOf>();
    loader.clear::<MembershipsOf>();
    loader.clear::<ChildrenOf>();
    loader.clear::<PersonId>();
    loader.clear::<RolesOf>();
    loader.clear::<EventId>();
    loader.clear::<OrganisersOf>();
    loader.clear::<EventCompaniesOf>();
    loader.clear::<EventPeopleOf>();
    loader.clear::<EventOrganisationsOf>();
}
