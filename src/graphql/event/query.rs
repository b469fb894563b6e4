//! The queries of events: `event` (by slug or global id) and `events` (filtered, sorted, in pages).

use crate::graphql::places::{self, NearInput, WithinInput};
use async_graphql::{Context, ID, Object, Result};

use super::object::events_page;
use crate::graphql::inputs::{EventFilter, OrderBy};
use crate::graphql::limits;
use crate::graphql::mirror::IntoDomain;
use crate::graphql::node::lookup;
use crate::graphql::nodes::Event;
use crate::graphql::relay::{CountedConnection, ListArgs};

/// The queries of events.
#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    /// An event by `slug` or by `id` (give exactly one).
    async fn event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its slug.")] slug: Option<String>,
        #[graphql(desc = "Its global id.")] id: Option<ID>,
    ) -> Result<Option<Event>> {
        Ok(lookup(ctx, slug, id).await?.map(Event))
    }

    /// Events, filtered and sorted (by name unless `orderBy` says otherwise; `{field: DATE,
    /// direction: DESC}` lists the latest first), in pages of at most 100.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "limits::page_cost(first, last, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the entities matching every field given.")] filter: Option<EventFilter>,
        #[graphql(desc = "How to sort (default: by name, A to Z).")] order_by: Option<OrderBy>,
        #[graphql(desc = "A cursor returned by this list: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "A cursor returned by this list: the page ends before it.")] before: Option<String>,
        #[graphql(desc = "The first this many after `after`, at most 100 (default 20 when `last` is absent too).")]
        first: Option<i32>,
        #[graphql(desc = "The last this many before `before`, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Only those with a point within this radius (at most 10,000 in it).")] near: Option<NearInput>,
        #[graphql(desc = "Only those with a point in this box or these polygons (at most 10,000 in it).")]
        within: Option<WithinInput>,
    ) -> Result<CountedConnection<Event>> {
        let args = ListArgs::sorted(order_by, after, before, first, last)?;
        let area = places::area(near, within)?;
        events_page(ctx, &filter.unwrap_or_default().into_domain(), area, &args).await
    }
}
