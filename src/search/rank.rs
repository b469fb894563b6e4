//! The ranking rules, as one tantivy query: documents are ordered by (1) how many of the query's
//! words they match, (2) fewer typos, (3) query words found next to each other, (4) which field
//! matched, (5) BM25 — each rule only breaking the ties of the one before.
//!
//! Each clause says which query words it stands for, at what typo cost and in which field. For
//! each document the scorer keeps, per word, its best clause (fewest typos, then best field), and
//! packs the rules into one key whose bits order as the rules do. The key is handed to tantivy as
//! the bit pattern of a positive `f32`, whose order is the order of its bits.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

/// At most this many words are ranked (the parser keeps fewer).
pub const MAX_RANKED_WORDS: usize = 24;

/// Field levels of [`Clause::field`]: the higher, the better the match.
/// The words of an entity's stage, kinds and domains (see `vocabulary`).
pub const VOCABULARY: u8 = 0;
pub const DESCRIPTION: u8 = 1;
pub const RELATED: u8 = 2;
pub const PRIMARY: u8 = 3;
/// A company's own city: it ranks above an organisation named after that city.
pub const PLACE: u8 = 4;

/// Keeps every key a normal, positive float.
const BASE: u32 = 1 << 24;
const WORDS_SHIFT: u32 = 25;
const TYPOS_SHIFT: u32 = 19;
const PROXIMITY_SHIFT: u32 = 15;
const FIELD_SHIFT: u32 = 9;
const BM25_LEVELS: f32 = 511.0;

/// One way for some query words to match.
#[derive(Debug)]
pub struct Clause {
    /// The query words it matches, as a bit set.
    pub words: u32,
    /// Typo cost: 0 exact or stemmed, 1 completed prefix, 2 per typo.
    pub cost: u8,
    /// Field level ([`DESCRIPTION`] to [`PLACE`]).
    pub field: u8,
    pub query: Box<dyn Query>,
}

impl Clone for Clause {
    fn clone(&self) -> Self {
        Clause { words: self.words, cost: self.cost, field: self.field, query: self.query.box_clone() }
    }
}

/// Ranks documents matching any clause; those missing a `required` word are left out.
#[derive(Debug)]
pub struct RankQuery {
    pub clauses: Vec<Clause>,
    /// Pairs of consecutive query words found close together.
    pub proximity: Vec<Box<dyn Query>>,
    /// The words every document must match, as a bit set.
    pub required: u32,
}

impl Clone for RankQuery {
    fn clone(&self) -> Self {
        RankQuery {
            clauses: self.clauses.clone(),
            proximity: self.proximity.iter().map(|q| q.box_clone()).collect(),
            required: self.required,
        }
    }
}

/// A human-sized score from a key: the integer part is the number of words matched.
pub fn display_score(key: Score) -> Score {
    let bits = key.to_bits();
    if bits < BASE {
        return key;
    }
    (bits - BASE) as f32 / (1u32 << WORDS_SHIFT) as f32
}

fn key(words: u32, typos: u32, proximity: u32, field: u32, bm25: Score) -> Score {
    let bm25 = (BM25_LEVELS * bm25 / (bm25 + 8.0)).clamp(0.0, BM25_LEVELS) as u32;
    let bits = (words.min(31) << WORDS_SHIFT)
        + ((63 - typos.min(63)) << TYPOS_SHIFT)
        + (proximity.min(15) << PROXIMITY_SHIFT)
        + (field.min(63) << FIELD_SHIFT)
        + bm25;
    f32::from_bits(BASE + bits)
}

impl Query for RankQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let clauses = self
            .clauses
            .iter()
            .map(|c| Ok((c.words, c.cost, c.field, c.query.weight(enable_scoring)?)))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let proximity = self.proximity.iter().map(|q| q.weight(enable_scoring)).collect::<tantivy::Result<_>>()?;
        Ok(Box::new(RankWeight { clauses, proximity, required: self.required }))
    }
}

struct RankWeight {
    clauses: Vec<(u32, u8, u8, Box<dyn Weight>)>,
    proximity: Vec<Box<dyn Weight>>,
    required: u32,
}

impl Weight for RankWeight {
    fn scorer(&self, reader: &SegmentReader, _boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut children = Vec::with_capacity(self.clauses.len());
        for (words, cost, field, weight) in &self.clauses {
            let scorer = weight.scorer(reader, 1.0)?;
            if scorer.doc() != TERMINATED {
                children.push(Child { words: *words, cost: *cost, field: *field, scorer });
            }
        }
        let proximity = self.proximity.iter().map(|w| w.scorer(reader, 1.0)).collect::<tantivy::Result<_>>()?;
        let mut required = Vec::new();
        let mut bits = self.required;
        while bits != 0 {
            let bit = 1 << bits.trailing_zeros();
            bits &= bits - 1;
            required.push((0..children.len()).filter(|&i| children[i].words & bit != 0).collect());
        }
        let mut scorer =
            RankScorer { children, proximity, required: self.required, groups: required, doc: 0, score: 0.0 };
        scorer.settle();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match")));
        }
        Ok(Explanation::new("ranking rules", display_score(scorer.score())))
    }
}

struct Child {
    words: u32,
    cost: u8,
    field: u8,
    scorer: Box<dyn Scorer>,
}

struct RankScorer {
    children: Vec<Child>,
    proximity: Vec<Box<dyn Scorer>>,
    required: u32,
    /// For each required word, the children that match it: a document needs one of each.
    groups: Vec<Vec<usize>>,
    doc: DocId,
    score: Score,
}

impl RankScorer {
    /// Moves to the first document at or after the children's positions that has every required
    /// word, scores it, and moves the children past it.
    fn settle(&mut self) -> DocId {
        loop {
            let doc = self.align();
            if doc == TERMINATED {
                self.doc = TERMINATED;
                return TERMINATED;
            }
            let mut best = [(u8::MAX, 0u8); MAX_RANKED_WORDS];
            let mut matched = 0u32;
            let mut bm25 = 0.0;
            for child in self.children.iter_mut().filter(|c| c.scorer.doc() == doc) {
                bm25 += child.scorer.score();
                matched |= child.words;
                let mut words = child.words;
                while words != 0 {
                    let w = words.trailing_zeros() as usize;
                    words &= words - 1;
                    let slot = &mut best[w.min(MAX_RANKED_WORDS - 1)];
                    if child.cost < slot.0 || (child.cost == slot.0 && child.field > slot.1) {
                        *slot = (child.cost, child.field);
                    }
                }
                child.scorer.advance();
            }
            if matched & self.required != self.required {
                continue;
            }
            let (mut typos, mut fields) = (0u32, 0u32);
            for &(cost, field) in best.iter().filter(|b| b.0 != u8::MAX) {
                typos += u32::from(cost);
                fields += u32::from(field);
            }
            let mut close = 0;
            for pair in &mut self.proximity {
                if pair.doc() < doc {
                    pair.seek(doc);
                }
                close += u32::from(pair.doc() == doc);
            }
            self.doc = doc;
            self.score = key(matched.count_ones(), typos, close, fields, bm25);
            return doc;
        }
    }
}

impl RankScorer {
    /// The first document, at or after the children's positions, that has every required word:
    /// the children of each required word leapfrog to the furthest of their groups' next
    /// documents, so the rarest word drives the walk and documents missing a word are skipped
    /// rather than visited. With no required word, the next document of any child.
    fn align(&mut self) -> DocId {
        let next = |children: &[Child], group: &[usize]| {
            group.iter().map(|&i| children[i].scorer.doc()).min().unwrap_or(TERMINATED)
        };
        if self.groups.is_empty() {
            return self.children.iter().map(|c| c.scorer.doc()).min().unwrap_or(TERMINATED);
        }
        let mut target = 0;
        loop {
            for group in &self.groups {
                target = target.max(next(&self.children, group));
            }
            if target == TERMINATED {
                return TERMINATED;
            }
            let mut aligned = true;
            for group in &self.groups {
                for &i in group {
                    let scorer = &mut self.children[i].scorer;
                    if scorer.doc() < target {
                        scorer.seek(target);
                    }
                }
                aligned &= next(&self.children, group) == target;
            }
            if aligned {
                // Clauses of words not required may still be behind: bring them up.
                for child in &mut self.children {
                    if child.scorer.doc() < target {
                        child.scorer.seek(target);
                    }
                }
                return target;
            }
        }
    }
}

impl DocSet for RankScorer {
    fn advance(&mut self) -> DocId {
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for child in &mut self.children {
            if child.scorer.doc() < target {
                child.scorer.seek(target);
            }
        }
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.children.iter().map(|c| c.scorer.size_hint()).max().unwrap_or(0)
    }
}

impl Scorer for RankScorer {
    fn score(&mut self) -> Score {
        self.score
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_as_the_rules_do() {
        let more_words = key(3, 20, 0, 0, 0.0);
        let fewer_words = key(2, 0, 15, 63, 100.0);
        assert!(more_words > fewer_words);
        assert!(key(2, 0, 0, 0, 0.0) > key(2, 1, 15, 63, 100.0), "fewer typos first");
        assert!(key(2, 0, 1, 0, 0.0) > key(2, 0, 0, 63, 100.0), "words together first");
        assert!(key(2, 0, 0, 4, 0.0) > key(2, 0, 0, 3, 100.0), "better fields first");
        assert!(key(2, 0, 0, 4, 2.0) > key(2, 0, 0, 4, 1.0), "then BM25");
        assert_eq!(display_score(key(2, 0, 0, 0, 0.0)).floor(), 2.0);
    }
}
