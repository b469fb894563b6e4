//! Turning plain words into ranked matches, and running searches, similarity and suggestions.
//!
//! A query's words are expanded (stems in French and English, typos and completions read from the
//! term dictionaries, hyphenated words whole and in parts) into clauses that `RankQuery` (in
//! `search::rank`) orders by the ranking rules; the matching strategy decides how many words a
//! result must have.
//!
//! Here, the request and what it finds, and the search itself; the kinds and facet filters as
//! restrictions in `filters`, similar entities in `similar`, suggestions in `suggest`.

mod filters;
mod similar;
mod suggest;

use std::sync::Arc;

use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::{AllQuery, Query};
use tantivy::schema::{Field, Value};
use tantivy::{DocAddress, Order, Score, Searcher, TantivyDocument};

use super::SearchIndex;
use super::analyzer::Analyzers;
pub use super::facets::Facet;
use super::facets::{DisjunctiveCollector, FacetCollector};
pub use super::facets::{FacetValue, Facets};
use super::geo::{AreaFilter, NearestFirst, Points, tolerant};
pub use super::highlight::Highlight;
use super::highlight::{self, Matcher};
use super::matches::{Restrictions, all_of};
use super::ordinals::FacetOrdinals;
use super::plan::Plan;
use super::pool::bounded;
use super::rank;
use super::schema::{Fields, fast};
pub use super::words::sort_name;
use super::words::{Parsed, parse};
use crate::error::{AppError, Result};
pub use crate::geo::{Area, Point};
use entity::{CompanyStage, EntityKind, ProgrammeKind, TechnologyDomain};
use filters::{filter_values, filtered, restrictions};

/// How many of the query's words a result must match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MatchingStrategy {
    /// Only results with every word.
    All,
    /// Results with every word; when they do not fill the first page, words are dropped from
    /// the end of the query, one at a time, until it fills.
    #[default]
    Last,
    /// Every result with at least one of the words.
    Any,
}

/// Narrows a search to entities with these facet values: any value of a list, every list given.
#[derive(Clone, Debug, Default)]
pub struct SearchFilter {
    /// Technology domains (of a technology, or of a company's technologies).
    pub domain: Option<Vec<TechnologyDomain>>,
    /// Company stages (of a company, or the stages a programme is open to).
    pub stage: Option<Vec<CompanyStage>>,
    /// Programme kinds (of a programme, or of the programmes a company takes part in).
    pub programme_kind: Option<Vec<ProgrammeKind>>,
    /// Cities of companies and organisations; case and accents do not matter.
    pub city: Option<Vec<String>>,
    /// Slugs of the organisations hosting companies.
    pub site: Option<Vec<String>>,
    /// Slugs of organisations companies belong to.
    pub membership: Option<Vec<String>>,
    /// Slugs of technologies, each with every technology below it: the technologies themselves
    /// and the companies working on them.
    pub technology: Option<Vec<String>>,
}

/// How results are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SearchOrder {
    /// Best first by the ranking rules (by name for an empty query).
    #[default]
    Relevance,
    /// Nearest the area's origin first (a radius's centre, the middle of a box), ties by relevance.
    Distance,
}

/// One entity found.
#[derive(Clone, Debug)]
pub struct Hit {
    pub kind: EntityKind,
    pub id: i32,
    pub score: f32,
    pub highlights: Vec<Highlight>,
    /// With an area: its point in the area nearest the area's origin.
    pub nearest: Option<Nearest>,
}

/// The point of a result nearest an area's origin, and how far it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Nearest {
    pub point: Point,
    pub distance_km: f64,
}

/// A page of matches, with the total and the facets of all matches.
#[derive(Clone, Debug)]
pub struct Found {
    /// How many entities match, when counted.
    pub total: Option<usize>,
    /// Whether more matches follow this page.
    pub more: bool,
    pub hits: Vec<Hit>,
    pub facets: Facets,
    /// How many of the query's words every match has (the level of the matching strategy), to
    /// keep for the next pages.
    pub level: Option<usize>,
}

/// A name to complete a search box with.
#[derive(Clone, Debug)]
pub struct Suggestion {
    /// The entity's name.
    pub name: String,
    /// The entity's slug, to look it up.
    pub slug: String,
    /// The entity's kind.
    pub kind: EntityKind,
}

/// The matches of a request, unranked, with its filters but for those of some facets.
type Matching<'a> = dyn Fn(&[Facet]) -> Box<dyn Query> + 'a;

/// What to search for.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    pub text: String,
    pub kinds: Vec<EntityKind>,
    pub filter: SearchFilter,
    /// Only the entities with a point in this area.
    pub area: Option<Area>,
    pub order: SearchOrder,
    pub offset: usize,
    pub limit: usize,
    pub strategy: MatchingStrategy,
    /// The level chosen on the first page, from the cursor.
    pub level: Option<usize>,
    /// The facets to count.
    pub facets: Vec<Facet>,
    /// At most this many values per facet.
    pub facet_limit: usize,
    /// Whether to mark the matched words of each hit (they cost an analysis of its texts).
    pub highlights: bool,
    /// Whether to count every match (a pass of its own).
    pub count: bool,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            text: String::new(),
            kinds: Vec::new(),
            filter: SearchFilter::default(),
            area: None,
            order: SearchOrder::Relevance,
            offset: 0,
            limit: 20,
            strategy: MatchingStrategy::Last,
            level: None,
            facets: Facet::ALL.to_vec(),
            facet_limit: 20,
            highlights: true,
            count: true,
        }
    }
}

impl SearchIndex {
    /// Finds entities matching plain words, ranked; an empty query lists the filtered entities by name.
    #[tracing::instrument(skip(self), fields(query = %request.text.chars().take(80).collect::<String>()))]
    pub async fn search(&self, request: SearchRequest) -> Result<Found> {
        let this = self.clone();
        bounded(move || this.search_now(&request)).await
    }

    /// The ids of the entities of one kind with a point in `area`; more than `cap` is an error
    /// naming the area's argument, since a list takes them as a condition.
    pub async fn in_area(&self, kind: EntityKind, area: Area, cap: usize) -> Result<Vec<i32>> {
        let this = self.clone();
        let argument = if matches!(area, Area::Near { .. }) { "near" } else { "within" };
        bounded(move || {
            let f = &this.fields;
            let searcher = this.reader.searcher();
            let restricted = Restrictions {
                list: restrictions(f, &[kind], &SearchFilter::default(), &[]),
                ordinals: this.ordinals(&searcher),
                area: Some(Arc::new(AreaFilter::new(area, f.cell))),
            };
            let docs = searcher.search(&all_of(restricted), &DocSetCollector)?;
            if docs.len() > cap {
                let message = format!(
                    "the area holds {} {}, more than the {cap} a list filters on; narrow it, or use `search`, which pages any area",
                    docs.len(),
                    kind.list_name()
                );
                return Err(AppError::invalid(argument, message));
            }
            let mut ids = Vec::with_capacity(docs.len());
            for (segment, reader) in searcher.segment_readers().iter().enumerate() {
                let column = reader.fast_fields().u64("id")?;
                let docs = docs.iter().filter(|a| a.segment_ord as usize == segment);
                ids.extend(docs.filter_map(|a| column.first(a.doc_id)).map(|id| id as i32));
            }
            Ok(ids)
        })
        .await
    }

    /// At most three passes, each only as wide as it must be: the page (ranked, skipping the
    /// documents that cannot reach it); the total and the facets, when selected, over the
    /// matches unranked; and the facets filtered on, each counted without its own filter.
    fn search_now(&self, request: &SearchRequest) -> Result<Found> {
        let f = &self.fields;
        let searcher = self.reader.searcher();
        let parsed = Analyzers::with(|a| parse(&request.text, a));
        let limit = request.limit.max(1);
        // One more than the page: whether another page follows.
        let top = || TopDocs::with_limit(limit + 1).and_offset(request.offset);
        // The request's kinds and filters, but for those of the facets `except`, and all of them
        // as one query.
        let ordinals = self.ordinals(&searcher);
        let area = request.area.clone().map(|area| Arc::new(AreaFilter::new(area, f.cell)));
        let restricted = |except: &[Facet]| Restrictions {
            list: restrictions(f, &request.kinds, &request.filter, except),
            ordinals: ordinals.clone(),
            area: area.clone(),
        };
        let filter = |except: &[Facet]| {
            let restricted = restricted(except);
            (!restricted.is_empty()).then(|| all_of(restricted))
        };
        let nearest = nearest_first(request, limit)?;

        if parsed.words.is_empty() && parsed.phrases.is_empty() {
            let every = |except: &[Facet]| filter(except).unwrap_or_else(|| Box::new(AllQuery));
            let page = match &nearest {
                Some(nearest) => searcher.search(&every(&[]), nearest)?,
                None => {
                    let page =
                        searcher.search(&every(&[]), &top().order_by_string_fast_field(fast::NAME_SORT, Order::Asc))?;
                    page.into_iter().map(|(_, d)| (0.0, d)).collect()
                }
            };
            return self.found(&searcher, request, &parsed, page, &every, None);
        }
        let plan = Plan::build(f, &searcher, &parsed)?;
        // Each level's matches, with the request's restrictions, as bit sets filled once per
        // segment: the total and the facets count them, and the page's walk visits only them
        // when they are filled anyway or spare it leapfrogging between several words. For a
        // page of one word alone, filling them costs more than the walk skips.
        let matches: Vec<Box<dyn Query>> =
            (0..=plan.words).map(|level| plan.matching(level, restricted(&[]))).collect();
        let counted = request.count || request.facets.iter().any(|f| !filtered(*f, &request.kinds, &request.filter));
        let run = |level: usize| {
            let ranked = if counted || plan.required(level).count_ones() > 1 {
                plan.ranked_within(level, matches[level].box_clone())
            } else {
                plan.ranked(level, filter(&[]))
            };
            match &nearest {
                Some(nearest) => searcher.search(&ranked, nearest),
                None => searcher.search(&ranked, &top().order_by_score()),
            }
        };
        let count = |level: usize| self.count(&searcher, matches[level].as_ref());
        let (level, page) = match (request.strategy, request.level) {
            (MatchingStrategy::All, _) => (plan.words, run(plan.words)?),
            (MatchingStrategy::Any, _) => (0, run(0)?),
            (MatchingStrategy::Last, Some(level)) => (level.min(plan.words), run(level.min(plan.words))?),
            (MatchingStrategy::Last, None) => {
                // Most queries fill the first page with every word: no need to count first.
                let every = run(plan.words)?;
                let filled = if request.offset == 0 { every.len() >= limit } else { count(plan.words)? >= limit };
                if filled || plan.words == 0 || (plan.words == 1 && !every.is_empty()) {
                    (plan.words, every)
                } else {
                    // Words are dropped from the end until the first page fills; when even the
                    // first word finds nothing, any word will do.
                    let mut level = plan.words - 1;
                    while level > 0 {
                        let n = count(level)?;
                        if n >= limit || (level == 1 && n > 0) {
                            break;
                        }
                        level -= 1;
                    }
                    (level, run(level)?)
                }
            }
        };
        let matching = |except: &[Facet]| match except {
            [] => matches[level].box_clone(),
            _ => plan.matching(level, restricted(except)),
        };
        self.found(&searcher, request, &parsed, page, &matching, Some(level))
    }

    /// The found page with its highlights, and the total and the facets when selected.
    fn found(
        &self,
        searcher: &Searcher,
        request: &SearchRequest,
        parsed: &Parsed,
        page: Vec<(Score, DocAddress)>,
        matching: &Matching<'_>,
        level: Option<usize>,
    ) -> Result<Found> {
        let (apart, together): (Vec<Facet>, Vec<Facet>) =
            request.facets.iter().partition(|facet| filtered(**facet, &request.kinds, &request.filter));
        let ordinals = self.ordinals(searcher);
        // The matches' bit sets are counted rather than walked, and so are the facets' values
        // when they are many.
        let total = request.count.then(|| self.count(searcher, matching(&[]).as_ref())).transpose()?;
        let mut counted = Vec::new();
        if !together.is_empty() {
            let together = FacetCollector { facets: together, limit: request.facet_limit, ordinals: ordinals.clone() };
            counted = searcher.search(&matching(&[]), &together)?;
        }
        if !apart.is_empty() {
            let facets = apart.iter().map(|facet| (*facet, filter_values(*facet, request))).collect();
            let disjunctive = DisjunctiveCollector { facets, limit: request.facet_limit, ordinals };
            counted.extend(searcher.search(&matching(&apart), &disjunctive)?);
        }
        let mut facets = Facets::default();
        for (facet, values) in counted {
            facet.set(&mut facets, values);
        }

        let mut words: Vec<String> = Vec::new();
        for w in &parsed.words {
            words.push(w.raw.clone());
            words.extend(w.parts.iter().cloned());
        }
        let matcher = Matcher::new(&words, parsed.prefix, &parsed.phrases);
        let matcher = request.highlights.then_some(&matcher);
        let more = page.len() > request.limit.max(1);
        let hits = page
            .into_iter()
            .take(request.limit)
            .map(|(score, address)| {
                let mut hit = self.hit(searcher, address, rank::display_score(score), matcher)?;
                if let Some(area) = &request.area {
                    let points = Points::open(searcher.segment_reader(address.segment_ord))?;
                    hit.nearest = points
                        .nearest(address.doc_id, area.origin(), Some(&tolerant(area)))
                        .map(|(point, distance_km)| Nearest { point, distance_km });
                }
                Ok(hit)
            })
            .collect::<Result<_>>()?;
        Ok(Found { total, more, hits, facets, level })
    }

    /// The facets' ordinals, kept for the segments `searcher` searches only.
    fn ordinals(&self, searcher: &Searcher) -> Arc<FacetOrdinals> {
        let segments: Vec<_> = searcher.segment_readers().iter().map(|r| r.segment_id()).collect();
        self.ordinals.keep_only(&segments);
        self.ordinals.clone()
    }

    fn count(&self, searcher: &Searcher, query: &dyn Query) -> Result<usize> {
        Ok(searcher.search(query, &Count)?)
    }

    fn hit(&self, searcher: &Searcher, address: DocAddress, score: Score, matcher: Option<&Matcher>) -> Result<Hit> {
        let f = &self.fields;
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field: Field| doc.get_all(field).filter_map(|v| v.as_str().map(str::to_string)).collect::<Vec<_>>();
        let kind = kind_of(f, &doc)?;
        let id = doc.get_first(f.id).and_then(|v| v.as_u64()).unwrap_or_default() as i32;
        let highlights = match matcher {
            Some(matcher) => Analyzers::with(|analyzers| {
                [
                    ("name", text(f.name)),
                    ("aliases", text(f.aliases)),
                    ("description", text(f.description)),
                    ("related", text(f.related)),
                ]
                .into_iter()
                .filter_map(|(field, values)| highlight::snippet(field, &values.join(" · "), matcher, analyzers))
                .collect()
            }),
            None => Vec::new(),
        };
        Ok(Hit { kind, id, score, highlights, nearest: None })
    }
}

/// The kind of an index document: one it does not name is an error, never a guess.
/// Nearest first: every match in the area is visited (the area bounds how many).
fn nearest_first(request: &SearchRequest, limit: usize) -> Result<Option<NearestFirst>> {
    match (&request.area, request.order) {
        (Some(area), SearchOrder::Distance) => Ok(Some(NearestFirst {
            origin: area.origin(),
            area: Some(area.clone()),
            offset: request.offset,
            limit: limit + 1,
        })),
        (None, SearchOrder::Distance) => {
            Err(AppError::invalid("orderBy", "DISTANCE needs an area to measure from: give `near` or `within`"))
        }
        _ => Ok(None),
    }
}

fn kind_of(f: &Fields, doc: &TantivyDocument) -> Result<EntityKind> {
    doc.get_first(f.kind)
        .and_then(|v| v.as_str())
        .and_then(EntityKind::parse)
        .ok_or_else(|| AppError::Internal("search document without a kind".into()))
}

#[cfg(test)]
mod tests {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::Database;
    use tantivy::collector::{Count, DocSetCollector, TopDocs};
    use tantivy::query::{BooleanQuery, Occur};

    use super::filters::must;
    use super::*;
    use crate::kb::{Document, ImportOptions, Kb};

    /// The page the pruned walk finds is the page of every match ranked (tantivy's collectors
    /// walk every match when the top documents are collected alongside a count), at every
    /// level, with and without filters, whether it leapfrogs between the words or walks the
    /// matches' bit set, and the filter keeps what the restrictions keep; the unranked matches
    /// are as many as the ranked ones.
    #[tokio::test(flavor = "multi_thread")]
    async fn the_pruned_page_is_the_page_of_every_match_ranked() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::connect(format!("sqlite://{}?mode=rwc", dir.path().join("kb.db").display())).await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        let search =
            SearchIndex::open(db.clone(), &dir.path().join("index"), crate::kb::IndexSource::shared()).await.unwrap();
        let mut document = Vec::new();
        crate::generate::write(&mut document, 2_000, 7).unwrap();
        let document = Document::parse(std::str::from_utf8(&document).unwrap()).unwrap();
        Kb::new(db, search.clone()).import("test", &document, ImportOptions::default(), &()).await.unwrap();
        search.sync().await.unwrap();

        let f = &search.fields;
        let searcher = search.reader.searcher();
        let companies = [EntityKind::Company];
        let energy = SearchFilter { domain: Some(vec![TechnologyDomain::Energy]), ..SearchFilter::default() };
        let texts = [
            "carburants",
            "combustoin",
            "photovolt",
            "recyclage batteries électriques",
            "heat pumps",
            "fuel analysis",
            "énergie solaire",
            "\"pompes à chaleur\" marseille",
            "start-up capteurs",
        ];
        let mut compared = 0;
        for text in texts {
            let parsed = Analyzers::with(|a| parse(text, a));
            let plan = Plan::build(f, &searcher, &parsed).unwrap();
            for level in 0..=plan.words {
                for (kinds, filter) in [(&[][..], SearchFilter::default()), (&companies[..], energy.clone())] {
                    let list = restrictions(f, kinds, &filter, &[]);
                    let restricted = |query: Box<dyn Query>| {
                        let mut clauses = must(list.clone());
                        clauses.push((Occur::Must, query));
                        BooleanQuery::new(clauses)
                    };
                    // As the search builds them: the restrictions' matches as one bit set, the
                    // wider ones checked on the narrower ones' matches.
                    let list = Restrictions { list: list.clone(), ordinals: search.ordinals(&searcher), area: None };
                    let matching = plan.matching(level, list.clone());
                    let filter = (!list.list.is_empty()).then(|| all_of(list));
                    let ranked = restricted(Box::new(plan.ranked(level, None)));
                    let every = TopDocs::with_limit(1_000_000).order_by_score();
                    assert_eq!(
                        searcher.search(matching.as_ref(), &DocSetCollector).unwrap(),
                        searcher.search(&ranked, &every).unwrap().into_iter().map(|(_, d)| d).collect(),
                        "{text:?} at level {level}, {kinds:?}: the unranked matches are the ranked ones"
                    );
                    for (offset, limit) in [(0, 1), (0, 10), (7, 20)] {
                        let top = || TopDocs::with_limit(limit).and_offset(offset).order_by_score();
                        let pruned = searcher
                            .search(&plan.ranked(level, filter.as_ref().map(|q| q.box_clone())), &top())
                            .unwrap();
                        let within = searcher.search(&plan.ranked_within(level, matching.box_clone()), &top()).unwrap();
                        let (total, every) = searcher.search(&ranked, &(Count, top())).unwrap();
                        assert_eq!(pruned, every, "{text:?} at level {level}, {kinds:?}, page {offset}+{limit}");
                        assert_eq!(
                            within, every,
                            "{text:?} at level {level}, {kinds:?}, page {offset}+{limit}, within"
                        );
                        assert_eq!(
                            searcher.search(matching.as_ref(), &Count).unwrap(),
                            total,
                            "{text:?} at level {level}"
                        );
                        compared += usize::from(total > limit);
                    }
                }
            }
        }
        assert!(compared > 50, "most pages are picked among more matches than they hold: {compared}");
    }
}
