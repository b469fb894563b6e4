//! The queries of people: `person` (by slug or global id) and `people` (filtered, sorted, in pages).

use async_graphql::{Context, ID, Object, Result};

use super::object::prefetch_people;
use crate::graphql::context::kb;
use crate::graphql::inputs::{OrderBy, PersonFilter};
use crate::graphql::limits;
use crate::graphql::mirror::IntoDomain;
use crate::graphql::node::lookup;
use crate::graphql::nodes::Person;
use crate::graphql::relay::{CountedConnection, ListArgs};

/// The queries of people.
#[derive(Default)]
pub struct PersonQuery;

#[Object]
impl PersonQuery {
    /// A person by `slug` or by `id` (give exactly one).
    async fn person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its slug.")] slug: Option<String>,
        #[graphql(desc = "Its global id.")] id: Option<ID>,
    ) -> Result<Option<Person>> {
        Ok(lookup(ctx, slug, id).await?.map(Person))
    }

    /// People, filtered and sorted, in pages of at most 100.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "limits::page_cost(first, last, child_complexity)")]
    async fn people(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the entities matching every field given.")] filter: Option<PersonFilter>,
        #[graphql(desc = "How to sort (default: by name, A to Z).")] order_by: Option<OrderBy>,
        #[graphql(desc = "A cursor returned by this list: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "A cursor returned by this list: the page ends before it.")] before: Option<String>,
        #[graphql(desc = "The first this many after `after`, at most 100 (default 20 when `last` is absent too).")]
        first: Option<i32>,
        #[graphql(desc = "The last this many before `before`, at most 100.")] last: Option<i32>,
    ) -> Result<CountedConnection<Person>> {
        let args = ListArgs::sorted(order_by, after, before, first, last)?;
        let page = kb(ctx).people(&filter.unwrap_or_default().into_domain(), args.order(), args.slice()).await?;
        prefetch_people(ctx, &page.rows).await?;
        Ok(args.connection(page, Person))
    }
}
