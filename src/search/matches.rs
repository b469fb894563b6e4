//! Matches as bit sets: each required word is the union of its terms and phrases, filled into a
//! bit set a postings block at a time; each restriction (kinds, facet filters) is filled into a
//! bit set of its own; the sets are then intersected. This costs the length of the postings,
//! where an intersection of unions seeks into each of their parts (up to about 50 for a word:
//! field levels, stems, typos and completions) for every candidate. The total and the facets
//! walk the matches this way, and the ranked walk checks its candidates against the
//! restrictions' set.

use tantivy::BitSet;
use tantivy::query::{BitSetDocSet, ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader};

use super::rank::Part;

/// Matches every word of `words` (each a union of parts) and every query of `all_of`.
#[derive(Debug)]
pub(super) struct MatchQuery {
    pub words: Vec<Vec<Part>>,
    pub all_of: Vec<Box<dyn Query>>,
}

impl Clone for MatchQuery {
    fn clone(&self) -> Self {
        MatchQuery { words: self.words.clone(), all_of: self.all_of.iter().map(|q| q.box_clone()).collect() }
    }
}

/// Matches every one of `queries`, unscored.
pub(super) fn all_of(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(MatchQuery { words: Vec::new(), all_of: queries })
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
        Ok(Box::new(MatchWeight { words, all_of }))
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
}

impl MatchWeight {
    fn docs(&self, reader: &SegmentReader) -> tantivy::Result<BitSet> {
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
        for weight in &self.all_of {
            let mut set = BitSet::with_max_value(max);
            fill(weight.as_ref(), reader, &mut set)?;
            matched = Some(intersect(matched, set));
        }
        Ok(matched.unwrap_or_else(|| BitSet::with_max_value(max)))
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
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(self.docs(reader)?), boost)))
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        let docs = self.docs(reader)?;
        Ok(match reader.alive_bitset() {
            Some(alive) => BitSetDocSet::from(docs).count(alive),
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
