//! Search across every kind: `search` (plain words, facets, highlights), `similar` (entities
//! most like a given one) and `suggest` (search-as-you-type), with their page and cursor types.

use async_graphql::connection::PageInfo;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

use super::context::{kb, loader};
use super::enums::{self, MatchingStrategy, SearchOrder};
use super::inputs::SearchFilter;
use super::limits;
use super::loaders::{self, CompanyId, EventId, OrganisationId, PersonId, ProgrammeId, TechnologyId};
use super::mirror::{IntoDomain, IntoGraphql};
use super::nodes::{Company, Entity, Event, Organisation, Person, Programme, Technology};
use super::outputs::{Facets, Highlight, Suggestion};
use super::places::{self, MatchedPlace, NearInput, WithinInput};
use super::relay::{PageArgs, parse_global_id};
use crate::error::AppError;
use crate::metrics::METRICS;
use crate::search;
use crate::search::facets::Facet;
use crate::search::query::SearchRequest;
use entity::EntityKind;

/// Search, similar entities and suggestions, over every kind.
#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Finds companies, technologies, programmes, organisations, people and events from plain words, in French or English.
    ///
    /// Results are ordered by these rules, each breaking the ties of the one before: (1) how many
    /// of the query's words they match, (2) fewer typos, (3) the words close together or as a
    /// phrase, (4) which field matched (a company's city, then names and aliases, then the names
    /// of linked entities, then the description), (5) BM25. A result with every word always ranks
    /// above one with fewer. `matchingStrategy` says how many words a result needs (default
    /// `LAST`: every word, dropping words from the end until the first page fills); the level
    /// chosen on the first page is kept in the cursor.
    ///
    /// Accents and case do not matter, words match their other forms, typos are forgiven (one
    /// for words of 5+ letters, two for 9+, a wrong first letter counting as two), the last word
    /// also matches as a prefix from 3 letters, hyphenated words match whole, joined or in parts
    /// ("start-up" = "startup" = "start up"), and "quoted words" must appear as a phrase. Stages,
    /// programme kinds, organisation kinds and technology domains are searchable by their French
    /// and English names ("mentoring", "mentorat", "jeune pousse"). A company also matches through
    /// its technologies, site, programmes and memberships. An empty query lists the filtered
    /// entities by name. Any input is accepted.
    ///
    /// `near` (a radius around a point) or `within` (a map's box, or GeoJSON polygons) keep the
    /// entities with a point there: their own, their site's, or one of their other places; each
    /// edge then says how far it is and which place matched. `orderBy: DISTANCE` puts the
    /// nearest first; with no words, an area lists everything in it, nearest first.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "limits::search_cost(first, child_complexity)")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Plain words, in French or English; empty to list the filtered entities by name.")]
        query: String,
        #[graphql(desc = "Only these kinds (all kinds when empty or absent).")] kinds: Option<Vec<enums::EntityKind>>,
        #[graphql(desc = "Only the entities with these facet values.")] filter: Option<SearchFilter>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before: the page starts after it.")] after: Option<String>,
        #[graphql(
            desc = "How many of the query's words a result needs (default LAST).",
            default_with = "Some(MatchingStrategy::Last)"
        )]
        matching_strategy: Option<MatchingStrategy>,
        #[graphql(
            desc = "How many values each facet lists, the most frequent first (default 20).",
            default_with = "Some(20)"
        )]
        facet_limit: Option<i32>,
        #[graphql(desc = "Only the entities with a point within this radius.")] near: Option<NearInput>,
        #[graphql(desc = "Only the entities with a point in this box or these polygons.")] within: Option<WithinInput>,
        #[graphql(
            desc = "How to order the results (default RELEVANCE; DISTANCE needs `near` or `within`, and is the default for an area with no words)."
        )]
        order_by: Option<SearchOrder>,
    ) -> Result<SearchConnection> {
        let facet_limit = facet_limit.unwrap_or(20);
        let area = places::area(near, within)?;
        let order = match order_by {
            Some(order) => order.into_domain(),
            None if area.is_some() && query.trim().is_empty() => search::query::SearchOrder::Distance,
            None => search::query::SearchOrder::Relevance,
        };
        if order == search::query::SearchOrder::Distance && area.is_none() {
            return Err(AppError::invalid(
                "orderBy",
                "DISTANCE needs an area to measure from: give `near` or `within`",
            )
            .into());
        }
        if !(0..=1000).contains(&facet_limit) {
            return Err(
                AppError::invalid("facetLimit", format!("must be between 0 and 1000, got {facet_limit}")).into()
            );
        }
        let cursor = after.as_deref().map(SearchCursor::parse).transpose()?;
        let args = PageArgs::forward(cursor.map(|c| PageArgs::cursor_at(c.offset)), first)?;
        let window = args.window(u64::MAX);
        let request = SearchRequest {
            text: query,
            kinds: kinds.unwrap_or_default().into_domain(),
            filter: filter.unwrap_or_default().into_domain(),
            area,
            order,
            offset: window.offset as usize,
            limit: window.limit as usize,
            strategy: matching_strategy.unwrap_or_default().into_domain(),
            level: cursor.and_then(|c| c.level),
            facets: selected_facets(ctx),
            facet_limit: facet_limit as usize,
            highlights: ctx.look_ahead().field("edges").field("highlights").exists(),
            count: ctx.look_ahead().field("totalCount").exists(),
        };
        let started = std::time::Instant::now();
        let found = kb(ctx).search(request).await?;
        METRICS.search_seconds.with_label_values(&["search"]).observe(started.elapsed().as_secs_f64());
        SearchConnection::build(ctx, &args, found).await
    }

    /// Entities most like a given one, never itself: shared words and shared technologies.
    /// For matchmaking: programmes for a company, companies for a large group's need.
    #[graphql(complexity = "limits::search_cost(first, child_complexity)")]
    async fn similar(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the entity to compare with.")] id: ID,
        #[graphql(desc = "Only these kinds (all kinds when empty or absent).")] kinds: Option<Vec<enums::EntityKind>>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before: the page starts after it.")] after: Option<String>,
    ) -> Result<SearchConnection> {
        let (kind, id) = parse_global_id(&id, "id")?;
        let cursor = after.as_deref().map(SearchCursor::parse).transpose()?;
        let args = PageArgs::forward(cursor.map(|c| PageArgs::cursor_at(c.offset)), first)?;
        let window = args.window(u64::MAX);
        let found = kb(ctx)
            .similar(
                kind,
                id,
                kinds.unwrap_or_default().into_domain(),
                window.offset as usize,
                window.limit as usize,
                selected_facets(ctx),
            )
            .await?;
        SearchConnection::build(ctx, &args, found).await
    }

    /// Names for search-as-you-type: earlier words whole, the last one as a prefix.
    #[graphql(complexity = "limits::search_cost(Some(first), child_complexity)")]
    async fn suggest(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What was typed so far.")] prefix: String,
        #[graphql(desc = "Only these kinds (all kinds when empty or absent).")] kinds: Option<Vec<enums::EntityKind>>,
        #[graphql(desc = "How many names, at most 100 (default 10).", default = 10)] first: i32,
    ) -> Result<Vec<Suggestion>> {
        if !(0..=100).contains(&first) {
            return Err(AppError::invalid("first", format!("must be between 0 and 100, got {first}")).into());
        }
        let found = kb(ctx).suggest(prefix, kinds.unwrap_or_default().into_domain(), first as usize).await?;
        Ok(found.into_graphql())
    }
}

/// The name of the entity's other place at `point`, if it is one of them rather than its main point.
fn place_name(node: &Entity, point: crate::geo::Point) -> Option<String> {
    let places = match node {
        Entity::Company(c) => &c.0.places,
        Entity::Organisation(o) => &o.0.places,
        _ => return None,
    };
    // The index keeps points to about 5 mm.
    let nearest = places.iter().min_by(|a, b| {
        crate::geo::distance_km(a.point(), point).total_cmp(&crate::geo::distance_km(b.point(), point))
    })?;
    (crate::geo::distance_km(nearest.point(), point) < 0.001).then(|| nearest.name.clone())
}

/// The facets the query selects: only those are counted.
fn selected_facets(ctx: &Context<'_>) -> Vec<Facet> {
    let facets = ctx.look_ahead().field("facets");
    if !facets.exists() {
        return Vec::new();
    }
    let names = [
        ("kind", Facet::Kind),
        ("domain", Facet::Domain),
        ("stage", Facet::Stage),
        ("programmeKind", Facet::ProgrammeKind),
        ("city", Facet::City),
    ];
    names.into_iter().filter(|(name, _)| facets.field(name).exists()).map(|(_, facet)| facet).collect()
}

/// Where a search page ends: the offset of its last result, and the matching strategy's level
/// chosen on the first page, so that later pages neither switch level, repeat nor skip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SearchCursor {
    offset: u64,
    level: Option<usize>,
}

impl SearchCursor {
    fn encode(self) -> String {
        let level = self.level.map_or_else(|| "-".to_string(), |l| l.to_string());
        B64.encode(format!("s:{level}:{}", self.offset))
    }

    fn parse(cursor: &str) -> Result<SearchCursor, AppError> {
        let bad = || AppError::invalid("after", format!("{cursor:?} is not a cursor returned by this search"));
        let decoded = String::from_utf8(B64.decode(cursor).map_err(|_| bad())?).map_err(|_| bad())?;
        let rest = decoded.strip_prefix("s:").ok_or_else(bad)?;
        let (level, offset) = rest.split_once(':').ok_or_else(bad)?;
        let level = if level == "-" { None } else { Some(level.parse().map_err(|_| bad())?) };
        Ok(SearchCursor { offset: offset.parse().map_err(|_| bad())?, level })
    }
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
    pub highlights: Vec<Highlight>,
    /// With `near` or `within`: how far its matched place is from `near`'s point or the middle
    /// of `within`'s area, in kilometres.
    pub distance_km: Option<f64>,
    /// With `near` or `within`: which of its places is in the area (the nearest, when several).
    pub place: Option<MatchedPlace>,
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
    /// Counts by kind, domain, stage, programme kind and city, over all matches (of the level the
    /// matching strategy chose). Only the facets selected are computed; each ignores its own filter.
    #[graphql(complexity = "limits::FACETS_PRICE + child_complexity")]
    pub facets: Facets,
}

impl SearchConnection {
    async fn build(ctx: &Context<'_>, args: &PageArgs, found: crate::search::query::Found) -> Result<SearchConnection> {
        // Not counted when not selected, and then not shown.
        let total = found.total.unwrap_or_default() as u64;
        let window = args.window(u64::MAX);
        let level = found.level;
        let more = found.more;
        let cursor = |offset: u64| SearchCursor { offset, level }.encode();
        // One statement per kind for the whole page, at once: the page is complete, so there is
        // nothing to wait for (a DataLoader would wait its batching delay first).
        let loader = loader(ctx);
        let ids = |kind: EntityKind| found.hits.iter().filter(move |h| h.kind == kind).map(|h| h.id);
        let (companies, technologies, programmes, organisations, people, events) = tokio::try_join!(
            loaders::load_now(loader.loader(), ids(EntityKind::Company).map(CompanyId)),
            loaders::load_now(loader.loader(), ids(EntityKind::Technology).map(TechnologyId)),
            loaders::load_now(loader.loader(), ids(EntityKind::Programme).map(ProgrammeId)),
            loaders::load_now(loader.loader(), ids(EntityKind::Organisation).map(OrganisationId)),
            loaders::load_now(loader.loader(), ids(EntityKind::Person).map(PersonId)),
            loaders::load_now(loader.loader(), ids(EntityKind::Event).map(EventId)),
        )?;
        // What the page's fields load next (a company's site…) may be on the page already.
        tokio::join!(
            loader.feed_many(companies.clone()),
            loader.feed_many(technologies.clone()),
            loader.feed_many(programmes.clone()),
            loader.feed_many(organisations.clone()),
            loader.feed_many(people.clone()),
            loader.feed_many(events.clone()),
        );
        let mut edges = Vec::with_capacity(found.hits.len());
        // Positions in the index's ranking, not in the page: a hit skipped below keeps its place,
        // so that the cursors neither repeat nor skip a result while the index lags behind a delete.
        let ranked = found.hits.len() as u64;
        let (mut first, mut last) = (None, None);
        for (i, hit) in found.hits.into_iter().enumerate() {
            let position = window.offset + i as u64;
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
                EntityKind::Person => people.get(&PersonId(hit.id)).cloned().map(|m| Entity::Person(Person(m))),
                EntityKind::Event => events.get(&EventId(hit.id)).cloned().map(|m| Entity::Event(Event(m))),
            };
            // The index may briefly hold an entity deleted a moment ago: skip it.
            let Some(node) = node else { continue };
            first.get_or_insert(position);
            last = Some(position);
            let place = hit.nearest.map(|nearest| MatchedPlace {
                name: place_name(&node, nearest.point),
                latitude: nearest.point.latitude,
                longitude: nearest.point.longitude,
            });
            edges.push(SearchEdge {
                cursor: cursor(position),
                score: hit.score,
                highlights: hit.highlights.into_graphql(),
                distance_km: hit.nearest.map(|n| (n.distance_km * 1000.0).round() / 1000.0),
                place,
                node,
            });
        }
        // A page whose every hit was skipped still says where it ends, so that the next one follows it.
        let (first, last) = match (first, last) {
            (Some(first), Some(last)) => (Some(first), Some(last)),
            _ if ranked > 0 => (Some(window.offset), Some(window.offset + ranked - 1)),
            _ => (None, None),
        };
        let page_info = PageInfo {
            has_previous_page: window.offset > 0,
            has_next_page: more,
            start_cursor: first.map(cursor),
            end_cursor: last.map(cursor),
        };
        Ok(SearchConnection { total_count: total, page_info, edges, facets: found.facets.into_graphql() })
    }
}
