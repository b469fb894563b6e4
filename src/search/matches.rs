//! Matches as bit sets: each required word is the union of its terms and phrases, filled into a
//! bit set a postings block at a time; each restriction (kinds, facet filters) is filled into a
//! bit set of its own, or, when it is much wider than the matches found so far, checked on them
//! against its fast field; the sets are then intersected. This costs the length of the postings,
//! where an intersection of unions seeks into each of their parts (up to about 50 for a word:
//! field levels, stems, typos and completions) for every candidate. The total and the facets
//! walk the matches this way, and the ranked walk visits only the documents of the set. Each
//! segment's set is filled once per search and kept: a search's page, total and facets share
//! it, and its facets counted without their own filters share the words' set.

use std::sync::{Arc, Mutex};

use tantivy::index::SegmentId;
use tantivy::query::{BooleanQuery, ConstScoreQuery, EnableScoring, Explanation, Query, Scorer, TermQuery, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

use super::bits::{Bits, BitsDocSet};
use super::geo::{AreaFilter, Points};
use super::ordinals::FacetOrdinals;
use super::rank::Part;
use super::terms::term;

/// A restriction holding more than this many times as many documents as the matches so far is
/// checked on those matches, one document at a time, against its fast field's ordinals, rather
/// than filled from its postings (a broad filter such as a common stage).
const CHECKED_WHEN_WIDER: u64 = 4;

/// The scorer of a [`MatchQuery`]: its segment's set, walked, each document with the same
/// score. The facets read the set itself (see [`MatchScorer::set`]).
pub(super) struct MatchScorer {
    docs: BitsDocSet,
    score: Score,
}

impl MatchScorer {
    /// The whole set, however far it has been walked, and how many documents it holds.
    pub fn set(&self) -> (&Bits, u32) {
        self.docs.whole()
    }
}

impl DocSet for MatchScorer {
    fn advance(&mut self) -> DocId {
        self.docs.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.docs.seek(target)
    }

    fn doc(&self) -> DocId {
        self.docs.doc()
    }

    fn size_hint(&self) -> u32 {
        self.docs.size_hint()
    }
}

impl Scorer for MatchScorer {
    fn score(&mut self) -> Score {
        self.score
    }
}

/// A segment's set.
type SegmentSet = (SegmentId, Arc<Bits>);

/// Each segment's set, once filled; shared by the clones of the query that filled it.
#[derive(Clone, Default)]
pub(super) struct Filled(Arc<Mutex<Vec<SegmentSet>>>);

impl Filled {
    /// The segment's set, filled by `fill` on first use.
    fn get(&self, reader: &SegmentReader, fill: impl FnOnce() -> tantivy::Result<Bits>) -> tantivy::Result<Arc<Bits>> {
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

/// The documents with one of some values in a field indexed as is and as a fast field: an entity
/// kind, or a filter on a facet or a link.
#[derive(Clone, Debug)]
pub(super) struct Restriction {
    pub field: Field,
    /// The name of its fast field.
    pub column: &'static str,
    pub values: Vec<String>,
}

impl Restriction {
    fn terms(&self) -> impl Iterator<Item = Term> + '_ {
        self.values.iter().map(|v| term(self.field, v))
    }

    /// As a query of its own, which adds nothing to the score.
    pub fn query(&self) -> Box<dyn Query> {
        let terms = self.terms().map(|t| Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Box<dyn Query>);
        Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::union(terms.collect())), 0.0))
    }
}

/// A search's restrictions, with the facets' ordinals they may be checked against, and the area
/// results must be in.
#[derive(Clone)]
pub(super) struct Restrictions {
    pub list: Vec<Restriction>,
    pub ordinals: Arc<FacetOrdinals>,
    pub area: Option<Arc<AreaFilter>>,
}

impl Restrictions {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty() && self.area.is_none()
    }
}

/// Matches every word of `words` (each a union of parts) and every restriction. A clone shares
/// the sets already filled, and those it fills.
#[derive(Clone)]
pub(super) struct MatchQuery {
    words: Vec<Vec<Part>>,
    restrictions: Restrictions,
    /// The matches of the words alone, which the queries of the same words with other
    /// restrictions (the facets counted without their own filters) share.
    words_filled: Filled,
    filled: Filled,
}

impl MatchQuery {
    pub fn new(words: Vec<Vec<Part>>, restrictions: Restrictions, words_filled: Filled) -> Self {
        MatchQuery { words, restrictions, words_filled, filled: Filled::default() }
    }
}

impl std::fmt::Debug for MatchQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let restrictions = &self.restrictions.list;
        f.debug_struct("MatchQuery").field("words", &self.words).field("restrictions", restrictions).finish()
    }
}

/// Matches every restriction, unscored.
pub(super) fn all_of(restrictions: Restrictions) -> Box<dyn Query> {
    Box::new(MatchQuery::new(Vec::new(), restrictions, Filled::default()))
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
        Ok(Box::new(MatchWeight {
            words,
            restrictions: self.restrictions.clone(),
            words_filled: self.words_filled.clone(),
            filled: self.filled.clone(),
        }))
    }
}

enum PartDocs {
    /// Read straight from its postings blocks.
    Term(Term),
    Docs(Box<dyn Weight>),
}

struct MatchWeight {
    words: Vec<Vec<PartDocs>>,
    restrictions: Restrictions,
    words_filled: Filled,
    filled: Filled,
}

impl MatchWeight {
    /// The segment's matches, filled on first use.
    fn docs(&self, reader: &SegmentReader) -> tantivy::Result<Arc<Bits>> {
        let Restrictions { list, ordinals, area } = &self.restrictions;
        if list.is_empty() && area.is_none() {
            return self.words(reader);
        }
        self.filled.get(reader, || {
            // The narrowest restriction first: the wider ones may then be checked on its matches.
            let mut sized = Vec::with_capacity(list.len());
            for restriction in list {
                let index = reader.inverted_index(restriction.field)?;
                let mut docs = 0;
                for term in restriction.terms() {
                    docs += u64::from(index.doc_freq(&term)?);
                }
                sized.push((docs, restriction));
            }
            sized.sort_by_key(|(docs, _)| *docs);
            let mut matched = if self.words.is_empty() { None } else { Some(Bits::clone(&*self.words(reader)?)) };
            if let Some(area) = area {
                matched = Some(in_area(reader, area, matched)?);
            }
            for (docs, restriction) in sized {
                if let Some(so_far) = &mut matched
                    && docs > CHECKED_WHEN_WIDER * so_far.len()
                    && let Some(filter) = ordinals.filter(restriction.column, &restriction.values, reader)?
                {
                    so_far.retain(|doc| filter.accepts(doc));
                    continue;
                }
                let mut set = Bits::new(reader.max_doc());
                for term in restriction.terms() {
                    insert_postings(reader, &term, &mut set)?;
                }
                matched = Some(intersect(matched, set));
            }
            Ok(matched.unwrap_or_else(|| Bits::new(reader.max_doc())))
        })
    }

    /// The segment's documents with every word, filled on first use.
    fn words(&self, reader: &SegmentReader) -> tantivy::Result<Arc<Bits>> {
        self.words_filled.get(reader, || {
            let max = reader.max_doc();
            let mut matched: Option<Bits> = None;
            for word in &self.words {
                let mut set = Bits::new(max);
                for part in word {
                    match part {
                        PartDocs::Term(term) => insert_postings(reader, term, &mut set)?,
                        PartDocs::Docs(weight) => fill(weight.as_ref(), reader, &mut set)?,
                    }
                }
                matched = Some(intersect(matched, set));
            }
            Ok(matched.unwrap_or_else(|| Bits::new(max)))
        })
    }
}

/// The documents in the area among `matched` (every document when `None`): the documents of
/// the cells covering it, or `matched` themselves when they are much fewer, checked on their
/// points.
fn in_area(reader: &SegmentReader, area: &AreaFilter, matched: Option<Bits>) -> tantivy::Result<Bits> {
    let points = Points::open(reader)?;
    let cells = reader.inverted_index(area.cell_field)?;
    let mut in_cells = 0u64;
    for cell in &area.cells {
        in_cells += u64::from(cells.doc_freq(&term(area.cell_field, cell))?);
    }
    let mut set = match matched {
        Some(so_far) if in_cells > CHECKED_WHEN_WIDER * so_far.len() => so_far,
        matched => {
            let mut set = Bits::new(reader.max_doc());
            for cell in &area.cells {
                insert_postings(reader, &term(area.cell_field, cell), &mut set)?;
            }
            intersect(matched, set)
        }
    };
    set.retain(|doc| points.any_in(doc, &area.area));
    Ok(set)
}

/// Inserts a term's documents, read straight from its postings blocks, without frequencies.
fn insert_postings(reader: &SegmentReader, term: &Term, set: &mut Bits) -> tantivy::Result<()> {
    let index = reader.inverted_index(term.field())?;
    if let Some(mut block) = index.read_block_postings(term, IndexRecordOption::Basic)? {
        while !block.docs().is_empty() {
            for &doc in block.docs() {
                set.insert(doc);
            }
            block.advance();
        }
    }
    Ok(())
}

fn fill(weight: &dyn Weight, reader: &SegmentReader, set: &mut Bits) -> tantivy::Result<()> {
    weight.for_each_no_score(reader, &mut |docs: &[DocId]| {
        for &doc in docs {
            set.insert(doc);
        }
    })
}

fn intersect(matched: Option<Bits>, set: Bits) -> Bits {
    match matched {
        None => set,
        Some(mut matched) => {
            matched.intersect(&set);
            matched
        }
    }
}

impl Weight for MatchWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(MatchScorer { docs: BitsDocSet::new(self.docs(reader)?), score: boost }))
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        let docs = self.docs(reader)?;
        Ok(match reader.alive_bitset() {
            Some(alive) => BitsDocSet::new(docs).count(alive),
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
