//! DataLoaders: one batched statement per relation and per page, whatever the number of parents.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{company, company_membership, company_programme, company_technology, organisation, programme, technology};
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

/// Loads, for each company, the `$target` rows linked to it through `$link`, sorted by name
/// (the folded name, as lists are):
/// two statements (the links, then the targets) for any number of companies.
macro_rules! linked {
    ($key:ident, $link:ident, $target_col:ident, $target:ident) => {
        impl Loader<$key> for DbLoader {
            type Value = Vec<$target::Model>;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, Vec<$target::Model>> {
                let links: Vec<(i32, i32)> = $link::Entity::find()
                    .select_only()
                    .columns([$link::Column::CompanyId, $link::Column::$target_col])
                    .filter($link::Column::CompanyId.is_in(keys.iter().map(|k| k.0)))
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

linked!(TechnologiesOf, company_technology, TechnologyId, technology);
linked!(ProgrammesOf, company_programme, ProgrammeId, programme);
linked!(MembershipsOf, company_membership, OrganisationId, organisation);

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
}
