//! What resolvers read from the request's context: the knowledge base, the request's loader, and
//! what the query selects below a connection.

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
    K: Send + Sync + Clone + Eq + std::hash::Hash + 'static,
    T: Send + Sync + Clone + 'static,
    DbLoader: async_graphql::dataloader::Loader<K, Value = Vec<T>, Error = async_graphql::Error>,
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
