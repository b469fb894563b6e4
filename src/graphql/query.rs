//! The read side of the API: lookups, lists, and search.

use async_graphql::connection::PageInfo;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use entity::{company, organisation, programme, technology};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::ids::{CountedConnection, ListArgs, PageArgs, parse_global_id};
use super::limits;
use super::loaders::{CompanyId, OrganisationId, ProgrammeId, TechnologyId};
use super::types::{Company, Entity, Organisation, Programme, Technology, kb, loader, prefetch_relations};
use crate::error::AppError;
use crate::kb::read::{self, CompanyFilter, OrderBy, OrganisationFilter, ProgrammeFilter, TechnologyFilter};
use crate::metrics::METRICS;
use crate::search::EntityKind;
use crate::search::SearchIndex;
use crate::search::query::{Facets, SearchFilter, SearchRequest, Suggestion};

#[derive(Default)]
pub struct EntityQuery;

/// Loads one entity by kind and database id.
pub(super) async fn load_entity(ctx: &Context<'_>, kind: EntityKind, id: i32) -> Result<Option<Entity>> {
    let db = &kb(ctx).db;
    Ok(match kind {
        EntityKind::Company => {
            company::Entity::find_by_id(id).one(db).await.map_err(AppError::from)?.map(|m| Entity::Company(Company(m)))
        }
        EntityKind::Technology => technology::Entity::find_by_id(id)
            .one(db)
            .await
            .map_err(AppError::from)?
            .map(|m| Entity::Technology(Technology(m))),
        EntityKind::Programme => programme::Entity::find_by_id(id)
            .one(db)
            .await
            .map_err(AppError::from)?
            .map(|m| Entity::Programme(Programme(m))),
        EntityKind::Organisation => organisation::Entity::find_by_id(id)
            .one(db)
            .await
            .map_err(AppError::from)?
            .map(|m| Entity::Organisation(Organisation(m))),
    })
}

/// Checks that exactly one of `slug` and `id` is given, and turns the id into a database id.
fn one_key(slug: &Option<String>, id: &Option<ID>, kind: EntityKind) -> Result<Option<i32>, AppError> {
    match (slug, id) {
        (Some(_), None) => Ok(None),
        (None, Some(id)) => super::ids::parse_id_of(id, kind, "id").map(Some),
        _ => Err(AppError::invalid("", "give exactly one of `slug` and `id`")),
    }
}

/// Looks one entity up by slug or id.
macro_rules! lookup {
    ($ctx:expr, $slug:expr, $id:expr, $kind:expr, $entity:ident, $wrap:ident) => {{
        let db = &kb($ctx).db;
        let found = match one_key(&$slug, &$id, $kind)? {
            Some(id) => $entity::Entity::find_by_id(id).one(db).await,
            None => $entity::Entity::find().filter($entity::Column::Slug.eq($slug.unwrap_or_default())).one(db).await,
        };
        Ok(found.map_err(AppError::from)?.map($wrap))
    }};
}

#[Object]
impl EntityQuery {
    /// Any entity by its global id.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Entity>> {
        let (kind, id) = parse_global_id(&id, "id")?;
        load_entity(ctx, kind, id).await
    }

    /// A company by `slug` or by `id` (give exactly one).
    async fn company(&self, ctx: &Context<'_>, slug: Option<String>, id: Option<ID>) -> Result<Option<Company>> {
        lookup!(ctx, slug, id, EntityKind::Company, company, Company)
    }

    /// A technology by `slug` or by `id` (give exactly one).
    async fn technology(&self, ctx: &Context<'_>, slug: Option<String>, id: Option<ID>) -> Result<Option<Technology>> {
        lookup!(ctx, slug, id, EntityKind::Technology, technology, Technology)
    }

    /// A programme by `slug` or by `id` (give exactly one).
    async fn programme(&self, ctx: &Context<'_>, slug: Option<String>, id: Option<ID>) -> Result<Option<Programme>> {
        lookup!(ctx, slug, id, EntityKind::Programme, programme, Programme)
    }

    /// An organisation by `slug` or by `id` (give exactly one).
    async fn organisation(
        &self,
        ctx: &Context<'_>,
        slug: Option<String>,
        id: Option<ID>,
    ) -> Result<Option<Organisation>> {
        lookup!(ctx, slug, id, EntityKind::Organisation, organisation, Organisation)
    }

    /// Companies, filtered and sorted (by name unless `orderBy` says otherwise), in pages of at most 100.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "limits::page_cost(first, last, child_complexity)")]
    async fn companies(
        &self,
        ctx: &Context<'_>,
        filter: Option<CompanyFilter>,
        order_by: Option<OrderBy>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<CountedConnection<Company>> {
        let args = ListArgs::new(order_by.unwrap_or_default(), after, before, first, last)?;
        let page = read::companies(&kb(ctx).db, &filter.unwrap_or_default(), args.order(), args.slice()).await?;
        prefetch_relations(ctx, &page.rows).await?;
        Ok(args.connection(page, Company))
    }

    /// Technologies, filtered and sorted, in pages of at most 100.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "limits::page_cost(first, last, child_complexity)")]
    async fn technologies(
        &self,
        ctx: &Context<'_>,
        filter: Option<TechnologyFilter>,
        order_by: Option<OrderBy>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<CountedConnection<Technology>> {
        let args = ListArgs::new(order_by.unwrap_or_default(), after, before, first, last)?;
        let page = read::technologies(&kb(ctx).db, &filter.unwrap_or_default(), args.order(), args.slice()).await?;
        Ok(args.connection(page, Technology))
    }

    /// Support programmes, filtered and sorted, in pages of at most 100.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "limits::page_cost(first, last, child_complexity)")]
    async fn programmes(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProgrammeFilter>,
        order_by: Option<OrderBy>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<CountedConnection<Programme>> {
        let args = ListArgs::new(order_by.unwrap_or_default(), after, before, first, last)?;
        let page = read::programmes(&kb(ctx).db, &filter.unwrap_or_default(), args.order(), args.slice()).await?;
        Ok(args.connection(page, Programme))
    }

    /// Organisations, filtered and sorted, in pages of at most 100.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "limits::page_cost(first, last, child_complexity)")]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrganisationFilter>,
        order_by: Option<OrderBy>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<CountedConnection<Organisation>> {
        let args = ListArgs::new(order_by.unwrap_or_default(), after, before, first, last)?;
        let page = read::organisations(&kb(ctx).db, &filter.unwrap_or_default(), args.order(), args.slice()).await?;
        Ok(args.connection(page, Organisation))
    }

    /// Finds companies, technologies, programmes and organisations from plain words, in French or English.
    ///
    /// Accents and case do not matter, words match their plural and other forms, typos are
    /// forgiven (one for words of 5+ letters, two for 9+), the last word also matches as a prefix,
    /// and "quoted words" must appear as a phrase. A company also matches through its
    /// technologies, site, programmes and memberships. An empty query lists the filtered
    /// entities by name. Any input is accepted.
    #[graphql(complexity = "limits::search_cost(first, child_complexity)")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        #[graphql(desc = "Only these kinds (all kinds when empty or absent).")] kinds: Option<Vec<EntityKind>>,
        filter: Option<SearchFilter>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<SearchConnection> {
        let args = PageArgs::forward(after, first)?;
        let window = args.window(u64::MAX);
        let request = SearchRequest {
            text: query,
            kinds: kinds.unwrap_or_default(),
            filter: filter.unwrap_or_default(),
            offset: window.offset as usize,
            limit: window.limit as usize,
        };
        let started = std::time::Instant::now();
        let found = search_index(ctx).search(request).await?;
        METRICS.search_seconds.with_label_values(&["search"]).observe(started.elapsed().as_secs_f64());
        SearchConnection::build(ctx, &args, found).await
    }

    /// Entities most like a given one, never itself: shared words and shared technologies.
    /// For matchmaking: programmes for a company, companies for a large group's need.
    #[graphql(complexity = "limits::search_cost(first, child_complexity)")]
    async fn similar(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "Only these kinds (all kinds when empty or absent).")] kinds: Option<Vec<EntityKind>>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<SearchConnection> {
        let (kind, id) = parse_global_id(&id, "id")?;
        let args = PageArgs::forward(after, first)?;
        let window = args.window(u64::MAX);
        let found = search_index(ctx)
            .similar(kind, id, kinds.unwrap_or_default(), window.offset as usize, window.limit as usize)
            .await?;
        SearchConnection::build(ctx, &args, found).await
    }

    /// Names for search-as-you-type: earlier words whole, the last one as a prefix.
    #[graphql(complexity = "limits::search_cost(Some(first), child_complexity)")]
    async fn suggest(
        &self,
        ctx: &Context<'_>,
        prefix: String,
        #[graphql(desc = "Only these kinds (all kinds when empty or absent).")] kinds: Option<Vec<EntityKind>>,
        #[graphql(desc = "How many names, at most 100 (default 10).", default = 10)] first: i32,
    ) -> Result<Vec<Suggestion>> {
        if !(0..=100).contains(&first) {
            return Err(AppError::invalid("first", format!("must be between 0 and 100, got {first}")).into());
        }
        Ok(search_index(ctx).suggest(prefix, kinds.unwrap_or_default(), first as usize).await?)
    }
}

fn search_index<'a>(ctx: &Context<'a>) -> &'a SearchIndex {
    &kb(ctx).search
}

/// One entity found, with why it matched.
#[derive(SimpleObject)]
pub struct SearchEdge {
    /// Pass it as `after` to get the results after this one.
    pub cursor: String,
    /// Relevance: higher is better; comparable within one search only.
    pub score: f32,
    /// The matched fields, matched words in `<mark>` elements.
    #[graphql(complexity = "limits::HIGHLIGHTS_PRICE + child_complexity")]
    pub highlights: Vec<crate::search::query::Highlight>,
    /// The entity found.
    pub node: Entity,
}

/// A page of search results, with counts over all matches.
#[derive(SimpleObject)]
pub struct SearchConnection {
    /// How many entities match, over all pages.
    pub total_count: u64,
    /// Where this page stands.
    pub page_info: PageInfo,
    /// The results of this page, best first (by name for an empty query).
    pub edges: Vec<SearchEdge>,
    /// Counts by kind, domain, stage, programme kind and city, over all matches.
    #[graphql(complexity = "limits::FACETS_PRICE + child_complexity")]
    pub facets: Facets,
}

impl SearchConnection {
    async fn build(ctx: &Context<'_>, args: &PageArgs, found: crate::search::query::Found) -> Result<SearchConnection> {
        let total = found.total as u64;
        let window = args.window(total);
        // One statement per kind for the whole page.
        let loader = loader(ctx);
        let ids = |kind: EntityKind| found.hits.iter().filter(move |h| h.kind == kind).map(|h| h.id);
        let (companies, technologies, programmes, organisations) = tokio::try_join!(
            loader.load_many(ids(EntityKind::Company).map(CompanyId)),
            loader.load_many(ids(EntityKind::Technology).map(TechnologyId)),
            loader.load_many(ids(EntityKind::Programme).map(ProgrammeId)),
            loader.load_many(ids(EntityKind::Organisation).map(OrganisationId)),
        )?;
        let mut edges = Vec::with_capacity(found.hits.len());
        for (i, hit) in found.hits.into_iter().enumerate() {
            let node = match hit.kind {
                EntityKind::Company => companies.get(&CompanyId(hit.id)).cloned().map(|m| Entity::Company(Company(m))),
                EntityKind::Technology => {
                    technologies.get(&TechnologyId(hit.id)).cloned().map(|m| Entity::Technology(Technology(m)))
                }
                EntityKind::Programme => {
                    programmes.get(&ProgrammeId(hit.id)).cloned().map(|m| Entity::Programme(Programme(m)))
                }
                EntityKind::Organisation => {
                    organisations.get(&OrganisationId(hit.id)).cloned().map(|m| Entity::Organisation(Organisation(m)))
                }
            };
            // The index may briefly hold an entity deleted a moment ago: skip it.
            let Some(node) = node else { continue };
            edges.push(SearchEdge {
                cursor: PageArgs::cursor_at(window.offset + i as u64),
                score: hit.score,
                highlights: hit.highlights,
                node,
            });
        }
        Ok(SearchConnection {
            total_count: total,
            page_info: args.page_info(total, window, edges.len()),
            edges,
            facets: found.facets,
        })
    }
}
