//! The queries of technologies: `technology` (by slug or global id) and `technologies` (filtered, sorted, in pages).

use async_graphql::{Context, ID, Object, Result};

use crate::graphql::context::kb;
use crate::graphql::inputs::{OrderBy, TechnologyFilter};
use crate::graphql::limits;
use crate::graphql::mirror::IntoDomain;
use crate::graphql::node::lookup;
use crate::graphql::nodes::Technology;
use crate::graphql::relay::{CountedConnection, ListArgs};

/// The queries of technologies.
#[derive(Default)]
pub struct TechnologyQuery;

#[Object]
impl TechnologyQuery {
    /// A technology by `slug` or by `id` (give exactly one).
    async fn technology(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its slug.")] slug: Option<String>,
        #[graphql(desc = "Its global id.")] id: Option<ID>,
    ) -> Result<Option<Technology>> {
        Ok(lookup(ctx, slug, id).await?.map(Technology))
    }

    /// Technologies, filtered and sorted, in pages of at most 100.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "limits::page_cost(first, last, child_complexity)")]
    async fn technologies(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the entities matching every field given.")] filter: Option<TechnologyFilter>,
        #[graphql(desc = "How to sort (default: by name, A to Z).")] order_by: Option<OrderBy>,
        #[graphql(desc = "A cursor returned by this list: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "A cursor returned by this list: the page ends before it.")] before: Option<String>,
        #[graphql(desc = "The first this many after `after`, at most 100 (default 20 when `last` is absent too).")]
        first: Option<i32>,
        #[graphql(desc = "The last this many before `before`, at most 100.")] last: Option<i32>,
    ) -> Result<CountedConnection<Technology>> {
        let args = ListArgs::sorted(order_by, after, before, first, last)?;
        let page = kb(ctx).technologies(&filter.unwrap_or_default().into_domain(), args.order(), args.slice()).await?;
        Ok(args.connection(page, Technology))
    }
}
