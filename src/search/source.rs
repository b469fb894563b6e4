//! What the index reads from the database, and how: a [`Source`] that the services implement, so
//! that the index knows nothing of how entities are stored.

use entity::{EntityKind, Lang};
use futures_util::future::BoxFuture;
use sea_orm::DatabaseExecutor;

use crate::error::Result;

/// One entity as the index sees it.
#[derive(Clone, Debug, Default)]
pub struct SearchDoc {
    pub kind: Option<EntityKind>,
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub description: Option<String>,
    pub lang: Option<Lang>,
    /// Names of linked entities, and the aliases of linked technologies.
    pub related: Vec<String>,
    pub domains: Vec<&'static str>,
    pub stages: Vec<&'static str>,
    pub programme_kinds: Vec<&'static str>,
    pub organisation_kind: Option<&'static str>,
    pub city: Option<String>,
    pub site: Option<String>,
    pub memberships: Vec<String>,
    /// Slugs of the programmes a company takes part in.
    pub programmes: Vec<String>,
    pub technologies: Vec<String>,
    /// How many other entities it is linked to: breaks ties between suggestions.
    pub links: u64,
    /// The name and description in other languages.
    pub translations: Vec<Translated>,
    /// A mentor's topics (as stored, e.g. `EXPORT`): their words are searched.
    pub offer_topics: Vec<&'static str>,
    /// A mentor's technology domains: their words are searched, not the domain facet.
    pub offer_domains: Vec<&'static str>,
    /// The exact terms mentor matching reads (see [`super::mentors::Offered`]).
    pub mentoring: Vec<String>,
    /// Where it is: its main point (its own or its site's), then its other places.
    pub points: Vec<crate::geo::Point>,
}

/// An entity's name and description in another language than its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Translated {
    pub lang: Lang,
    /// The name in that language, when it differs.
    pub name: Option<String>,
    pub description: Option<String>,
}

/// How the index reads entities from the database, through the connection it is given: its own
/// (a rebuild, the log it follows) or an import's transaction (see [`super::Bulk`]).
pub trait Source: Send + Sync + 'static {
    /// Ids of one kind, in order, after `after`: the pages of a rebuild.
    fn ids_after<'a>(
        &'a self,
        db: &'a DatabaseExecutor<'a>,
        kind: EntityKind,
        after: i32,
        limit: u64,
    ) -> BoxFuture<'a, Result<Vec<i32>>>;

    /// The documents of the given entities; ids that no longer exist are left out.
    fn load<'a>(
        &'a self,
        db: &'a DatabaseExecutor<'a>,
        kind: EntityKind,
        ids: &'a [i32],
    ) -> BoxFuture<'a, Result<Vec<SearchDoc>>>;

    /// The entities whose documents show something of the given ones, and must be rewritten
    /// when they change.
    fn dependents<'a>(
        &'a self,
        db: &'a DatabaseExecutor<'a>,
        kind: EntityKind,
        ids: &'a [i32],
    ) -> BoxFuture<'a, Result<Vec<(EntityKind, i32)>>>;
}
