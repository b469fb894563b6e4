//! Entities most like a given one: shared words (tantivy's more-like-this) and shared
//! technologies.

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, MoreLikeThisQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, OwnedValue, Value};
use tantivy::{Score, TantivyDocument};

use super::filters::{must, restrictions};
use super::{Facet, Facets, Found, SearchFilter};
use crate::error::{AppError, Result};
use crate::search::SearchIndex;
use crate::search::document::key;
use crate::search::facets::FacetCollector;
use crate::search::pool::bounded;
use crate::search::terms::term;
use entity::EntityKind;

fn boxed(query: impl Query + 'static, boost: Score) -> Box<dyn Query> {
    if boost == 1.0 { Box::new(query) } else { Box::new(BoostQuery::new(Box::new(query), boost)) }
}
impl SearchIndex {
    /// Entities most like a given one: shared words (tantivy's more-like-this) and shared technologies.
    pub async fn similar(
        &self,
        kind: EntityKind,
        id: i32,
        kinds: Vec<EntityKind>,
        offset: usize,
        limit: usize,
        facets: Vec<Facet>,
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
            let mut clauses = must(restrictions(f, &kinds, &SearchFilter::default(), &[]));
            clauses.push((Occur::Must, Box::new(BooleanQuery::union(likeness))));
            clauses.push((Occur::MustNot, Box::new(own)));
            let query = BooleanQuery::new(clauses);
            let top = TopDocs::with_limit(limit.max(1)).and_offset(offset).order_by_score();
            let selected = FacetCollector { facets, limit: 20, ordinals: this.ordinals(&searcher) };
            let (total, page, counted) = searcher.search(&query, &(Count, top, selected))?;
            let more = offset + page.len().min(limit) < total;
            let mut facets = Facets::default();
            for (facet, values) in counted {
                facet.set(&mut facets, values);
            }
            let hits = page
                .into_iter()
                .take(limit)
                .map(|(score, address)| this.hit(&searcher, address, score, None))
                .collect::<Result<_>>()?;
            Ok(Found { total: Some(total), more, hits, facets, level: None })
        })
        .await
    }
}
