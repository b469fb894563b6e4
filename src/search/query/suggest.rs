//! Names for search-as-you-type: earlier words whole (or with a typo), the last as a prefix.

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur};
use tantivy::schema::{Field, Value};
use tantivy::{Score, TantivyDocument};

use super::filters::{must, restrictions};
use super::{SearchFilter, Suggestion, kind_of};
use crate::error::Result;
use crate::search::SearchIndex;
use crate::search::analyzer::Analyzers;
use crate::search::expand;
use crate::search::pool::bounded;
use crate::search::schema::fast;
use crate::search::terms::term;
use crate::search::words::MAX_WORDS;
use entity::EntityKind;

/// The ordinals of a sorted string column's values that start with `prefix`.
fn ordinals_starting_with(column: &tantivy::columnar::StrColumn, prefix: &str) -> std::ops::Range<u64> {
    let dictionary = column.dictionary();
    let ord = |key: &[u8]| match dictionary.term_ord_or_next(key) {
        Ok(tantivy::columnar::TermOrdHit::Exact(o) | tantivy::columnar::TermOrdHit::Next(o)) => o,
        Err(_) => 0,
    };
    let mut upper = prefix.as_bytes().to_vec();
    match upper.last_mut() {
        Some(last) if *last < u8::MAX => *last += 1,
        _ => return 0..0,
    }
    ord(prefix.as_bytes())..ord(&upper)
}
impl SearchIndex {
    /// Names for what was typed so far: earlier words whole (or with a typo), the last as a
    /// prefix. Names that start with the text come first, then shorter names, then entities
    /// with more links.
    pub async fn suggest(&self, prefix: String, kinds: Vec<EntityKind>, limit: usize) -> Result<Vec<Suggestion>> {
        let this = self.clone();
        bounded(move || {
            let f = &this.fields;
            let prefix: String = prefix.chars().take(200).collect();
            let words: Vec<String> =
                Analyzers::with(|a| a.raw_tokens(&prefix)).into_iter().map(|t| t.text).take(MAX_WORDS).collect();
            let Some((last, rest)) = words.split_last() else { return Ok(Vec::new()) };
            let mut clauses = must(restrictions(f, &kinds, &SearchFilter::default(), &[]));
            for word in rest {
                clauses.push((
                    Occur::Must,
                    Box::new(FuzzyTermQuery::new(term(f.primary_raw, word), expand::typo_budget(word), true)),
                ));
            }
            clauses.push((Occur::Must, Box::new(FuzzyTermQuery::new_prefix(term(f.primary_raw, last), 0, true))));
            let query = BooleanQuery::new(clauses);
            let searcher = this.reader.searcher();
            let typed = words.join(" ");
            let order = TopDocs::with_limit(limit.max(1)).tweak_score(move |segment: &tantivy::SegmentReader| {
                let columns = segment.fast_fields();
                let names = columns.str(fast::NAME_SORT).ok().flatten();
                let lengths = columns.u64(fast::NAME_LEN).ok().map(|c| c.first_or_default_col(u64::MAX));
                let links = columns.u64(fast::LINKS).ok().map(|c| c.first_or_default_col(0));
                // Sorted names: those starting with the text are one run of ordinals.
                let starting = names.as_ref().map_or(0..0, |n| ordinals_starting_with(n, &typed));
                move |doc: tantivy::DocId, score: Score| {
                    let ord = names.as_ref().and_then(|n| n.term_ords(doc).next());
                    let starts = ord.is_some_and(|o| starting.contains(&o));
                    let length = lengths.as_ref().map_or(u64::MAX, |l| l.get_val(doc));
                    let links = links.as_ref().map_or(0, |l| l.get_val(doc));
                    (starts, std::cmp::Reverse(length), links, score)
                }
            });
            let top = searcher.search(&query, &order)?;
            top.into_iter()
                .take(limit)
                .map(|(_, address)| {
                    let doc: TantivyDocument = searcher.doc(address)?;
                    let get =
                        |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_string();
                    let kind = kind_of(f, &doc)?;
                    Ok(Suggestion { name: get(f.name), slug: get(f.slug), kind })
                })
                .collect()
        })
        .await
    }
}
