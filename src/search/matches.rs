//! Matches as bit sets: each required word is the union of its terms and phrases, filled into a
//! bit set a postings block at a time; each restriction (kinds, facet filters) is filled into a
//! bit set of its own; the sets are then intersected. This costs the length of the postings,
//! where an intersection of unions seeks into each of their parts (up to about 50 for a word:
//! field levels, stems, typos and completions) for every candidate. The total and the facets
//! walk the matches this way, and the ranked walk visits only the documents of the set. Each
//! segment's set is filled once per search and kept: a search's page, total and facets share
//! it, and its facets counted without their own filters share the words' set.

use std::sync::{Arc, Mutex};

use tantivy::BitSet;
use tantivy::index::SegmentId;
use tantivy::query::{BitSetDocSet, ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader};

use super::rank::Part;

/// A segment's set.
type SegmentSet = (SegmentId, Arc<BitSet>);

/// Each segment's set, once filled; shared by the clones of the query that filled it.
#[derive(Clone, Default)]
pub(super) struct Filled(Arc<Mutex<Vec<SegmentSet>>>);

impl Filled {
    /// The segment's set, filled by `fill` on first use.
    fn get(
        &self,
        reader: &SegmentReader,
        fill: impl FnOnce() -> tantivy::Result<BitSet>,
    ) -> tantivy::Result<Arc<BitSet>> {
        let segment = reader.segment_id();
        let find = |list: &[SegmentSet]| list.iter().find(|(s, _)| *s == segment).map(|(_, d)| d.clone());
        if let Some(docs) = find(&self.0.lock().expect("matches lock")) {
            return Ok(docs);
        }
        // Filled outside the lock: two passes racing on a segment fill the same set.
        let docs = Arc::new(fill()?);
        let mut list = self.0.lock().expect("matches lock");
        Ok(find(&list).unwrap_or_else(|| {
            list.push((segment, docs.clone()));
            docs
        }))
    }
}

/// Matches every word of `words` (each a union of parts) and every query of `all_of`.
pub(super) struct MatchQuery {
    words: Vec<Vec<Part>>,
    all_of: Vec<Box<dyn Query>>,
    /// The matches of the words alone, which the queries of the same words with other
    /// restrictions (the facets counted without their own filters) share.
    words_filled: Filled,
    filled: Filled,
}

impl MatchQuery {
    pub fn new(words: Vec<Vec<Part>>, all_of: Vec<Box<dyn Query>>, words_filled: Filled) -> Self {
        MatchQuery { words, all_of, words_filled, filled: Filled::default() }
    }
}

impl std::fmt::Debug for MatchQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatchQuery").field("words", &self.words).field("all_of", &self.all_of).finish()
    }
}

/// A clone shares the sets already filled, and those it fills.
impl Clone for MatchQuery {
    fn clone(&self) -> Self {
        MatchQuery {
            words: self.words.clone(),
            all_of: self.all_of.iter().map(|q| q.box_clone()).collect(),
            words_filled: self.words_filled.clone(),
            filled: self.filled.clone(),
        }
    }
}

/// Matches every one of `queries`, unscored.
pub(super) fn all_of(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(MatchQuery::new(Vec::new(), queries, Filled::default()))
}

impl Query for MatchQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let scoring = match scoring.searcher() {
            Some(searcher) => EnableScoring::disabled_from_searcher(searcher),
            None => EnableScoring::disabled_from_schema(scoring.schema()),
        };
        let mut words = Vec::with_capacity(self.words.len());
        for parts in &self.words {
            let mut word = Vec::with_capacity(parts.len());
            for part in parts {
                word.push(match part {
                    Part::Term(term) => PartDocs::Term(term.clone()),
                    Part::Phrase(_) => PartDocs::Docs(part.query().weight(scoring)?),
                });
            }
            words.push(word);
        }
        let all_of = self.all_of.iter().map(|q| q.weight(scoring)).collect::<tantivy::Result<_>>()?;
        Ok(Box::new(MatchWeight {
            words,
            all_of,
            words_filled: self.words_filled.clone(),
            filled: self.filled.clone(),
        }))
    }
}

enum PartDocs {
    /// Read straight from its postings blocks, without frequencies.
    Term(tantivy::Term),
    Docs(Box<dyn Weight>),
}

struct MatchWeight {
    words: Vec<Vec<PartDocs>>,
    all_of: Vec<Box<dyn Weight>>,
    words_filled: Filled,
    filled: Filled,
}

impl MatchWeight {
    /// The segment's matches, filled on first use.
    fn docs(&self, reader: &SegmentReader) -> tantivy::Result<Arc<BitSet>> {
        if self.all_of.is_empty() {
            return self.words(reader);
        }
        self.filled.get(reader, || {
            let mut matched = if self.words.is_empty() { None } else { Some(BitSet::clone(&*self.words(reader)?)) };
            for weight in &self.all_of {
                let mut set = BitSet::with_max_value(reader.max_doc());
                fill(weight.as_ref(), reader, &mut set)?;
                matched = Some(intersect(matched, set));
            }
            Ok(matched.unwrap_or_else(|| BitSet::with_max_value(reader.max_doc())))
        })
    }

    /// The segment's documents with every word, filled on first use.
    fn words(&self, reader: &SegmentReader) -> tantivy::Result<Arc<BitSet>> {
        self.words_filled.get(reader, || {
            let max = reader.max_doc();
            let mut matched: Option<BitSet> = None;
            for word in &self.words {
                let mut set = BitSet::with_max_value(max);
                for part in word {
                    match part {
                        PartDocs::Term(term) => {
                            let index = reader.inverted_index(term.field())?;
                            let Some(mut block) = index.read_block_postings(term, IndexRecordOption::Basic)? else {
                                continue;
                            };
                            while !block.docs().is_empty() {
                                for &doc in block.docs() {
                                    set.insert(doc);
                                }
                                block.advance();
                            }
                        }
                        PartDocs::Docs(weight) => fill(weight.as_ref(), reader, &mut set)?,
                    }
                }
                matched = Some(intersect(matched, set));
            }
            Ok(matched.unwrap_or_else(|| BitSet::with_max_value(max)))
        })
    }
}

fn fill(weight: &dyn Weight, reader: &SegmentReader, set: &mut BitSet) -> tantivy::Result<()> {
    weight.for_each_no_score(reader, &mut |docs: &[DocId]| {
        for &doc in docs {
            set.insert(doc);
        }
    })
}

fn intersect(matched: Option<BitSet>, set: BitSet) -> BitSet {
    match matched {
        None => set,
        Some(mut matched) => {
            matched.intersect_update(&tantivy_common::ReadOnlyBitSet::from(&set));
            matched
        }
    }
}

impl Weight for MatchWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(BitSet::clone(&*self.docs(reader)?)), boost)))
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        let docs = self.docs(reader)?;
        Ok(match reader.alive_bitset() {
            Some(alive) => BitSetDocSet::from(BitSet::clone(&*docs)).count(alive),
            None => docs.len() as u32,
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match")));
        }
        Ok(Explanation::new("MatchQuery", 1.0))
    }
}
