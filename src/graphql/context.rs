//! What resolvers read from the request's context: the knowledge base, the request's loader, and
//! what the query selects below a connection, and loading it only when it does.

use std::collections::HashMap;
use std::hash::Hash;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Result};

use super::loaders::{DbLoader, RequestLoader};
use crate::kb::Kb;

/// The knowledge base the schema serves.
pub(super) fn kb<'a>(ctx: &Context<'a>) -> &'a Kb {
    ctx.data_unchecked::<Kb>()
}

/// The request's DataLoader.
pub(super) fn loader<'a>(ctx: &Context<'a>) -> &'a RequestLoader {
    ctx.data_unchecked::<RequestLoader>()
}

/// A list that the loaders read for many owners at once, as GraphQL objects.
pub(super) async fn related<K, T, W>(ctx: &Context<'_>, key: K, wrap: fn(T) -> W) -> Result<Vec<W>>
where
    K: Send + Sync + Clone + Eq + Hash + 'static,
    T: Send + Sync + Clone + 'static,
    DbLoader: Loader<K, Value = Vec<T>, Error = async_graphql::Error>,
{
    let list = loader(ctx).load_one(key).await?.unwrap_or_default();
    Ok(list.into_iter().map(wrap).collect())
}

/// Whether the query selects `outer` (and `inner` below it, when given) on the nodes of the
/// connection being resolved, through `nodes` or `edges.node`.
pub(super) fn wanted(ctx: &Context<'_>, outer: &str, inner: Option<&str>) -> bool {
    let look = ctx.look_ahead();
    [look.field("nodes"), look.field("edges").field("node")].iter().any(|n| match inner {
        Some(inner) => n.field(outer).field(inner).exists(),
        None => n.field(outer).exists(),
    })
}

/// Loads `keys` in one batch when the query selects `field` on the nodes of the connection being
/// resolved (see [`wanted`]): what was loaded, or `None`, loading nothing, when it is not selected.
pub(super) async fn load_if_wanted<K, V>(
    ctx: &Context<'_>,
    field: &str,
    keys: impl IntoIterator<Item = K>,
) -> Result<Option<HashMap<K, V>>>
where
    K: Send + Sync + Clone + Eq + Hash + 'static,
    V: Send + Sync + Clone + 'static,
    DbLoader: Loader<K, Value = V, Error = async_graphql::Error>,
{
    if !wanted(ctx, field, None) {
        return Ok(None);
    }
    loader(ctx).load_many(keys).await.map(Some)
}
