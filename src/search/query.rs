//! Turning plain words into a tantivy query, and running searches, similarity and suggestions.

use std::collections::HashMap;

use async_graphql::{InputObject, SimpleObject};
use entity::{CompanyStage, ProgrammeKind, TechnologyDomain};
use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, MoreLikeThisQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, OwnedValue, Value};
use tantivy::{DocAddress, DocId, Order, Score, Searcher, SegmentReader, TantivyDocument, Term};

use super::analyzer::Analyzers;
pub use super::highlight::Highlight;
use super::highlight::{self, Matcher};
use super::indexer::{bounded, key};
use super::schema::Fields;
use super::{EntityKind, SearchIndex};
use crate::error::{AppError, Result};

/// Only so much of a query is read: longer input is cut, never refused.
const MAX_QUERY_CHARS: usize = 1_000;
const MAX_WORDS: usize = 16;
const PRIMARY: Score = 3.0;
const RELATED: Score = 1.5;
const DESCRIPTION: Score = 1.0;
/// A typo or prefix match is worth a fraction of an exact one, so exact matches always rank first.
const APPROXIMATE: Score = 0.3;

/// Narrows a search to entities with these facet values: any value of a list, every list given.
#[derive(Clone, Debug, Default, InputObject)]
pub struct SearchFilter {
    /// Technology domains (of a technology, or of a company's technologies).
    pub domain: Option<Vec<TechnologyDomain>>,
    /// Company stages (of a company, or the stages a programme is open to).
    pub stage: Option<Vec<CompanyStage>>,
    /// Programme kinds (of a programme, or of the programmes a company takes part in).
    pub programme_kind: Option<Vec<ProgrammeKind>>,
    /// Cities of companies and organisations, as written in the knowledge base.
    pub city: Option<Vec<String>>,
    /// Slugs of the organisations hosting companies.
    pub site: Option<Vec<String>>,
    /// Slugs of organisations companies belong to.
    pub membership: Option<Vec<String>>,
}

/// One value of a facet and how many matches have it.
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct FacetValue {
    /// The value, e.g. `ENERGY` or `Marseille`.
    pub value: String,
    /// How many matches have it.
    pub count: u64,
}

/// Counts over every match of a search, not only the page shown.
#[derive(Clone, Debug, Default, PartialEq, SimpleObject)]
pub struct Facets {
    /// Matches by entity kind (COMPANY, TECHNOLOGY, PROGRAMME, ORGANISATION).
    pub kind: Vec<FacetValue>,
    /// Matches by technology domain.
    pub domain: Vec<FacetValue>,
    /// Matches by company stage.
    pub stage: Vec<FacetValue>,
    /// Matches by programme kind.
    pub programme_kind: Vec<FacetValue>,
    /// Matches by city.
    pub city: Vec<FacetValue>,
}

/// One entity found.
#[derive(Clone, Debug)]
pub struct Hit {
    pub kind: EntityKind,
    pub id: i32,
    pub score: f32,
    pub highlights: Vec<Highlight>,
}

/// A page of matches, with the total and the facets of all matches.
#[derive(Clone, Debug)]
pub struct Found {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

/// A name to complete a search box with.
#[derive(Clone, Debug, SimpleObject)]
pub struct Suggestion {
    /// The entity's name.
    pub name: String,
    /// The entity's slug, to look it up.
    pub slug: String,
    /// The entity's kind.
    pub kind: EntityKind,
}

/// What the words of a query mean once analyzed.
#[derive(Debug, Default, PartialEq)]
struct Parsed {
    words: Vec<Word>,
    /// Quoted phrases, as folded words.
    phrases: Vec<Vec<String>>,
    /// Whether the last word may be unfinished (search-as-you-type).
    prefix: bool,
}

#[derive(Debug, PartialEq)]
struct Word {
    raw: String,
    french: Option<String>,
    english: Option<String>,
}

/// The folded, lower-cased form of a name: the key of the stable listing order.
pub fn sort_name(name: &str) -> String {
    let words: Vec<String> = Analyzers::with(|a| a.raw_tokens(name)).into_iter().map(|t| t.text).collect();
    words.join(" ")
}

fn parse(text: &str, analyzers: &mut Analyzers) -> Parsed {
    let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
    let quotes = text.matches('"').count();
    let mut parsed = Parsed::default();
    let mut last_free_end = 0;
    for (i, segment) in text.split('"').enumerate() {
        // Odd segments sit between quotes; an unbalanced last quote counts as plain text.
        let quoted = i % 2 == 1 && i < quotes;
        let tokens = analyzers.raw_tokens(segment);
        if quoted {
            let words: Vec<String> = tokens.into_iter().map(|t| t.text).collect();
            if words.len() > 1 {
                parsed.phrases.push(words);
            } else if let Some(word) = words.into_iter().next() {
                push_word(&mut parsed, word, analyzers);
            }
        } else {
            for token in tokens {
                push_word(&mut parsed, token.text, analyzers);
            }
            last_free_end = parsed.words.len();
        }
    }
    let ends_open = text.chars().last().is_some_and(|c| c.is_alphanumeric());
    parsed.prefix = ends_open && last_free_end == parsed.words.len() && !parsed.words.is_empty();
    parsed.words.truncate(MAX_WORDS);
    parsed.phrases.truncate(4);
    parsed
}

fn push_word(parsed: &mut Parsed, raw: String, analyzers: &mut Analyzers) {
    if raw.chars().count() < 2 || Analyzers::is_stop_word(&raw) || parsed.words.iter().any(|w| w.raw == raw) {
        return;
    }
    let french = analyzers.french_stem(&raw);
    let english = analyzers.english_stem(&raw);
    parsed.words.push(Word { raw, french, english });
}

/// How many edits a typo may have: none under 5 letters, one from 5, two from 9.
pub(super) fn typo_distance(word: &str) -> u8 {
    match word.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

fn boxed(query: impl Query + 'static, boost: Score) -> Box<dyn Query> {
    if boost == 1.0 { Box::new(query) } else { Box::new(BoostQuery::new(Box::new(query), boost)) }
}

fn term(field: Field, text: &str) -> Term {
    Term::from_field_text(field, text)
}

/// Every way one word may match, summed: stems in each language, typos, and a prefix for the last word.
fn word_query(f: &Fields, word: &Word, is_prefix: bool) -> Box<dyn Query> {
    let mut clauses: Vec<Box<dyn Query>> = Vec::new();
    let groups = [
        (f.primary_fr, f.primary_en, f.primary_raw, PRIMARY),
        (f.related_fr, f.related_en, f.related_raw, RELATED),
        (f.desc_fr, f.desc_en, f.desc_raw, DESCRIPTION),
    ];
    for (fr, en, raw, weight) in groups {
        if let Some(stem) = &word.french {
            clauses.push(boxed(TermQuery::new(term(fr, stem), IndexRecordOption::WithFreqs), weight));
        }
        if let Some(stem) = &word.english {
            clauses.push(boxed(TermQuery::new(term(en, stem), IndexRecordOption::WithFreqs), weight));
        }
        let distance = typo_distance(&word.raw);
        if distance > 0 {
            clauses.push(boxed(FuzzyTermQuery::new(term(raw, &word.raw), distance, true), weight * APPROXIMATE));
        }
        if is_prefix {
            clauses.push(boxed(FuzzyTermQuery::new_prefix(term(raw, &word.raw), 0, true), weight * APPROXIMATE));
        }
    }
    Box::new(BooleanQuery::union(clauses))
}

fn phrase_query(f: &Fields, words: &[String]) -> Box<dyn Query> {
    let clauses = [(f.primary_raw, PRIMARY), (f.related_raw, RELATED), (f.desc_raw, DESCRIPTION)]
        .into_iter()
        .map(|(field, weight)| boxed(PhraseQuery::new(words.iter().map(|w| term(field, w)).collect()), weight))
        .collect();
    Box::new(BooleanQuery::union(clauses))
}

fn any_of(field: Field, values: impl IntoIterator<Item = String>) -> Box<dyn Query> {
    let clauses = values
        .into_iter()
        .map(|v| Box::new(TermQuery::new(term(field, &v), IndexRecordOption::Basic)) as Box<dyn Query>)
        .collect();
    Box::new(BooleanQuery::union(clauses))
}

fn names<T: Copy>(list: &Option<Vec<T>>, name: fn(T) -> &'static str) -> Option<Vec<String>> {
    list.as_ref().map(|l| l.iter().map(|v| name(*v).to_string()).collect())
}

/// The clauses every result must satisfy: kinds and facet filters.
fn restrictions(f: &Fields, kinds: &[EntityKind], filter: &SearchFilter) -> Vec<(Occur, Box<dyn Query>)> {
    let mut must = Vec::new();
    if !kinds.is_empty() {
        must.push(any_of(f.kind, kinds.iter().map(|k| k.as_str().to_string())));
    }
    let lists = [
        (f.domain, names(&filter.domain, TechnologyDomain::as_str)),
        (f.stage, names(&filter.stage, CompanyStage::as_str)),
        (f.programme_kind, names(&filter.programme_kind, ProgrammeKind::as_str)),
        (f.city, filter.city.clone()),
        (f.site, filter.site.clone()),
        (f.membership, filter.membership.clone()),
    ];
    for (field, values) in lists {
        if let Some(values) = values {
            must.push(any_of(field, values));
        }
    }
    must.into_iter().map(|q| (Occur::Must, q)).collect()
}

/// What to search for.
#[derive(Clone, Debug, Default)]
pub struct SearchRequest {
    pub text: String,
    pub kinds: Vec<EntityKind>,
    pub filter: SearchFilter,
    pub offset: usize,
    pub limit: usize,
}

impl SearchIndex {
    /// Finds entities matching plain words, ranked; an empty query lists the filtered entities by name.
    #[tracing::instrument(skip(self), fields(query = %request.text.chars().take(80).collect::<String>()))]
    pub async fn search(&self, request: SearchRequest) -> Result<Found> {
        let this = self.clone();
        bounded(move || this.search_now(&request)).await
    }

    fn search_now(&self, request: &SearchRequest) -> Result<Found> {
        let f = &self.fields;
        let parsed = Analyzers::with(|a| parse(&request.text, a));
        let mut clauses = restrictions(f, &request.kinds, &request.filter);
        let listing = parsed.words.is_empty() && parsed.phrases.is_empty();
        if !parsed.words.is_empty() {
            let last = parsed.words.len() - 1;
            let words =
                parsed.words.iter().enumerate().map(|(i, w)| word_query(f, w, parsed.prefix && i == last)).collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::union(words))));
        }
        for phrase in &parsed.phrases {
            clauses.push((Occur::Must, phrase_query(f, phrase)));
        }
        if clauses.is_empty() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let limit = request.limit.max(1);
        let (total, page, facets) = if listing {
            let top = TopDocs::with_limit(limit)
                .and_offset(request.offset)
                .order_by_string_fast_field("name_sort", Order::Asc);
            let (count, docs, facets) = searcher.search(&query, &(Count, top, FacetCollector))?;
            (count, docs.into_iter().map(|(_, d)| (0.0, d)).collect::<Vec<_>>(), facets)
        } else {
            let top = TopDocs::with_limit(limit).and_offset(request.offset).order_by_score();
            searcher.search(&query, &(Count, top, FacetCollector))?
        };
        let matcher = Matcher::new(
            &parsed.words.iter().map(|w| w.raw.clone()).collect::<Vec<_>>(),
            parsed.prefix,
            &parsed.phrases,
        );
        let hits = page
            .into_iter()
            .take(request.limit)
            .map(|(score, address)| self.hit(&searcher, address, score, Some(&matcher)))
            .collect::<Result<_>>()?;
        Ok(Found { total, hits, facets })
    }

    fn hit(&self, searcher: &Searcher, address: DocAddress, score: Score, matcher: Option<&Matcher>) -> Result<Hit> {
        let f = &self.fields;
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field: Field| doc.get_all(field).filter_map(|v| v.as_str().map(str::to_string)).collect::<Vec<_>>();
        let kind = doc
            .get_first(f.kind)
            .and_then(|v| v.as_str())
            .and_then(EntityKind::parse)
            .ok_or_else(|| AppError::Internal("search document without a kind".into()))?;
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
        Ok(Hit { kind, id, score, highlights })
    }

    /// Entities most like a given one: shared words (tantivy's more-like-this) and shared technologies.
    pub async fn similar(
        &self,
        kind: EntityKind,
        id: i32,
        kinds: Vec<EntityKind>,
        offset: usize,
        limit: usize,
    ) -> Result<Found> {
        let this = self.clone();
        bounded(move || {
            let f = &this.fields;
            let searcher = this.reader.searcher();
            let own = TermQuery::new(term(f.key, &key(kind, id)), IndexRecordOption::Basic);
            let Some((_, address)) =
                searcher.search(&own, &TopDocs::with_limit(1).order_by_score())?.into_iter().next()
            else {
                return Err(AppError::NotFound(format!(
                    "no {} with id {id} in the search index",
                    kind.as_str().to_lowercase()
                )));
            };
            let doc: TantivyDocument = searcher.doc(address)?;
            let values = |field: Field| doc.get_all(field).map(OwnedValue::from).collect::<Vec<_>>();
            let mut fields = vec![(f.primary_fr, values(f.name)), (f.primary_en, values(f.name))];
            for alias in [f.aliases, f.related] {
                fields.push((f.related_fr, values(alias)));
                fields.push((f.related_en, values(alias)));
            }
            fields.push((f.desc_fr, values(f.description)));
            fields.push((f.desc_en, values(f.description)));
            let mlt = MoreLikeThisQuery::builder()
                // A word only the entity itself has cannot make another entity similar.
                .with_min_doc_frequency(2)
                .with_min_term_frequency(1)
                .with_max_query_terms(60)
                .with_min_word_length(3)
                .with_document_fields(fields);
            let mut likeness: Vec<Box<dyn Query>> = vec![Box::new(mlt)];
            let technologies: Vec<String> =
                doc.get_all(f.technology).filter_map(|v| v.as_str().map(str::to_string)).collect();
            if !technologies.is_empty() {
                likeness.push(boxed(
                    BooleanQuery::union(
                        technologies
                            .into_iter()
                            .map(|t| {
                                Box::new(TermQuery::new(term(f.technology, &t), IndexRecordOption::WithFreqs))
                                    as Box<dyn Query>
                            })
                            .collect(),
                    ),
                    4.0,
                ));
            }
            let mut clauses = restrictions(f, &kinds, &SearchFilter::default());
            clauses.push((Occur::Must, Box::new(BooleanQuery::union(likeness))));
            clauses.push((Occur::MustNot, Box::new(own)));
            let query = BooleanQuery::new(clauses);
            let top = TopDocs::with_limit(limit.max(1)).and_offset(offset).order_by_score();
            let (total, page, facets) = searcher.search(&query, &(Count, top, FacetCollector))?;
            let hits = page
                .into_iter()
                .take(limit)
                .map(|(score, address)| this.hit(&searcher, address, score, None))
                .collect::<Result<_>>()?;
            Ok(Found { total, hits, facets })
        })
        .await
    }

    /// Names starting with what was typed so far: earlier words whole (or with a typo), the last as a prefix.
    pub async fn suggest(&self, prefix: String, kinds: Vec<EntityKind>, limit: usize) -> Result<Vec<Suggestion>> {
        let this = self.clone();
        bounded(move || {
            let f = &this.fields;
            let prefix: String = prefix.chars().take(200).collect();
            let words: Vec<String> =
                Analyzers::with(|a| a.raw_tokens(&prefix)).into_iter().map(|t| t.text).take(MAX_WORDS).collect();
            let Some((last, rest)) = words.split_last() else { return Ok(Vec::new()) };
            let mut clauses = restrictions(f, &kinds, &SearchFilter::default());
            for word in rest {
                clauses.push((
                    Occur::Must,
                    Box::new(FuzzyTermQuery::new(term(f.primary_raw, word), typo_distance(word), true)),
                ));
            }
            clauses.push((Occur::Must, Box::new(FuzzyTermQuery::new_prefix(term(f.primary_raw, last), 0, true))));
            // Among equal matches, whole-word ones first.
            clauses
                .push((Occur::Should, Box::new(TermQuery::new(term(f.primary_raw, last), IndexRecordOption::Basic))));
            let query = BooleanQuery::new(clauses);
            let searcher = this.reader.searcher();
            let top = searcher.search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
            top.into_iter()
                .take(limit)
                .map(|(_, address)| {
                    let doc: TantivyDocument = searcher.doc(address)?;
                    let get =
                        |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_string();
                    let kind = EntityKind::parse(&get(f.kind)).unwrap_or(EntityKind::Company);
                    Ok(Suggestion { name: get(f.name), slug: get(f.slug), kind })
                })
                .collect()
        })
        .await
    }
}

/// Counts the values of the facet fields over every matching document.
struct FacetCollector;

/// The fast fields counted, in the order of [`Facets`]' fields.
const FACET_FIELDS: [&str; 5] = ["kind", "domain", "stage", "programme_kind", "city"];

struct SegmentFacets {
    columns: Vec<Option<StrColumn>>,
    /// For each facet, a count per term ordinal of the segment's dictionary.
    counts: Vec<Vec<u64>>,
}

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = SegmentFacets;

    fn for_segment(&self, _: u32, segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let columns =
            FACET_FIELDS.iter().map(|name| segment.fast_fields().str(name)).collect::<tantivy::Result<Vec<_>>>()?;
        let counts = columns.iter().map(|c| vec![0; c.as_ref().map_or(0, |c| c.num_terms())]).collect();
        Ok(SegmentFacets { counts, columns })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Vec<HashMap<String, u64>>>) -> tantivy::Result<Facets> {
        let mut merged: Vec<HashMap<String, u64>> = vec![HashMap::new(); FACET_FIELDS.len()];
        for segment in segments {
            for (total, counts) in merged.iter_mut().zip(segment) {
                for (value, n) in counts {
                    *total.entry(value).or_default() += n;
                }
            }
        }
        let mut lists = merged.into_iter().map(|counts| {
            let mut list: Vec<FacetValue> =
                counts.into_iter().map(|(value, count)| FacetValue { value, count }).collect();
            list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            list
        });
        let mut next = || lists.next().unwrap_or_default();
        Ok(Facets { kind: next(), domain: next(), stage: next(), programme_kind: next(), city: next() })
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = Vec<HashMap<String, u64>>;

    fn collect(&mut self, doc: DocId, _: Score) {
        for (column, counts) in self.columns.iter().zip(&mut self.counts) {
            if let Some(column) = column {
                for ord in column.term_ords(doc) {
                    counts[ord as usize] += 1;
                }
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.columns
            .iter()
            .zip(self.counts)
            .map(|(column, counts)| {
                let mut out = HashMap::new();
                let Some(column) = column else { return out };
                for (ord, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                    let mut value = String::new();
                    if column.ord_to_str(ord as u64, &mut value).unwrap_or(false) {
                        out.insert(value, n);
                    }
                }
                out
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> (Vec<String>, Vec<Vec<String>>, bool) {
        let p = parse(text, &mut Analyzers::default());
        (p.words.into_iter().map(|w| w.raw).collect(), p.phrases, p.prefix)
    }

    #[test]
    fn queries_are_folded_and_stop_words_dropped() {
        assert_eq!(words("Analyse des Carburants "), (vec!["analyse".into(), "carburants".into()], vec![], false));
        assert_eq!(words("l'énergie photovolt").0, ["energie", "photovolt"]);
        assert!(words("photovolt").2);
    }

    #[test]
    fn quotes_make_phrases_and_unbalanced_quotes_are_plain_text() {
        let (w, p, _) = words("\"fibre optique\" lumière");
        assert_eq!(w, ["lumiere"]);
        assert_eq!(p, vec![vec!["fibre".to_string(), "optique".to_string()]]);
        let (w, p, _) = words("\"fibre optique");
        assert_eq!(w, ["fibre", "optique"]);
        assert!(p.is_empty());
    }

    #[test]
    fn any_input_parses() {
        for text in ["", "\"", "AND OR -:*", "🌞🔥", &"x".repeat(10_000), "a\"b\"c\"d"] {
            let _ = parse(text, &mut Analyzers::default());
        }
    }

    #[test]
    fn typo_budget_grows_with_word_length() {
        assert_eq!(typo_distance("fuel"), 0);
        assert_eq!(typo_distance("carbu"), 1);
        assert_eq!(typo_distance("irrigation"), 2);
    }
}
