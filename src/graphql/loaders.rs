//! DataLoaders: one batched statement per relation and per page, whatever the number of parents.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use crate::kb::Kb;
use crate::kb::model::{Company, Event, Organisation, Person, Programme, Role, Technology};

/// The loader of one request, caching what it loaded for the request's lifetime.
pub type RequestLoader = async_graphql::dataloader::DataLoader<DbLoader, async_graphql::dataloader::HashMapCache>;

/// Loads entities and relations for one request; built per request so that nothing stale is cached.
pub struct DbLoader {
    pub kb: Kb,
}

type LoadResult<K, V> = Result<HashMap<K, V>, async_graphql::Error>;

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
/// The technologies a person's mentor offer names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MentorTechnologiesOf(pub i32);

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
    ($key:ident, $ty:ident) => {
        impl Loader<$key> for DbLoader {
            type Value = $ty;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, $ty> {
                let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
                let found = self.kb.by_ids::<$ty>(&ids).await?;
                Ok(found.into_iter().map(|m| ($key(m.header.id), m)).collect())
            }
        }
    };
}

by_id!(OrganisationId, Organisation);
by_id!(TechnologyId, Technology);
by_id!(ProgrammeId, Programme);
by_id!(CompanyId, Company);
by_id!(PersonId, Person);
by_id!(EventId, Event);

/// Entities by slug, for the lookups of a federation gateway (`_entities`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CompanySlug(pub String);
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TechnologySlug(pub String);
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProgrammeSlug(pub String);
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OrganisationSlug(pub String);
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PersonSlug(pub String);
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventSlug(pub String);

macro_rules! by_slug {
    ($key:ident, $ty:ident) => {
        impl Loader<$key> for DbLoader {
            type Value = $ty;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, $ty> {
                let slugs: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
                let found = self.kb.by_slugs::<$ty>(&slugs).await?;
                Ok(found.into_iter().map(|m| ($key(m.header.slug.clone()), m)).collect())
            }
        }
    };
}

by_slug!(CompanySlug, Company);
by_slug!(TechnologySlug, Technology);
by_slug!(ProgrammeSlug, Programme);
by_slug!(OrganisationSlug, Organisation);
by_slug!(PersonSlug, Person);
by_slug!(EventSlug, Event);

/// Loads, for each owner, a list the knowledge base reads for many owners at once.
macro_rules! related {
    ($key:ident, $ty:ident, $read:ident) => {
        impl Loader<$key> for DbLoader {
            type Value = Vec<$ty>;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, Vec<$ty>> {
                let owners: Vec<i32> = keys.iter().map(|k| k.0).collect();
                let found = self.kb.$read(&owners).await?;
                Ok(found.into_iter().map(|(owner, list)| ($key(owner), list)).collect())
            }
        }
    };
}

related!(TechnologiesOf, Technology, technologies_of);
related!(ProgrammesOf, Programme, programmes_of);
related!(MembershipsOf, Organisation, memberships_of);
related!(OrganisersOf, Organisation, organisers_of);
related!(EventCompaniesOf, Company, companies_at);
related!(EventPeopleOf, Person, people_at);
related!(EventOrganisationsOf, Organisation, organisations_at);
related!(ChildrenOf, Technology, children_of);
related!(RolesOf, Role, roles_of);
related!(MentorTechnologiesOf, Technology, mentor_technologies_of);

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
    loader.clear::<MentorTechnologiesOf>();
    loader.clear::<EventId>();
    loader.clear::<OrganisersOf>();
    loader.clear::<EventCompaniesOf>();
    loader.clear::<EventPeopleOf>();
    loader.clear::<EventOrganisationsOf>();
}
