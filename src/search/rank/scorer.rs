//! The walk over a segment: the documents having the required words and passing the filter,
//! scored by the ranking rules, and, for the top-k collector, skipping those that cannot reach
//! the page (MaxScore over the parts, block-max within their blocks).

use tantivy::query::{Bm25Weight, Explanation, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

use super::Rule;
use super::postings::{Cursor, Near, TermCursor};
use super::rules::{Tally, display_score};

/// A part of a clause, ready to score: a term with its BM25 weight, read block by block, or a
/// phrase scored by tantivy, with the highest BM25 it can give.
pub(super) enum PartWeight {
    Term(Term, Bm25Weight),
    Scored(Box<dyn Weight>, Score),
}

pub(super) struct RankWeight {
    pub(super) parts: Vec<(Rule, PartWeight)>,
    pub(super) proximity: Vec<Vec<Box<dyn Weight>>>,
    pub(super) required: u32,
    pub(super) filter: Option<Box<dyn Weight>>,
    /// Whether the walk must find the documents with the required words itself (the filter
    /// does not guarantee them).
    pub(super) words: bool,
}

impl RankWeight {
    fn rank_scorer(&self, reader: &SegmentReader) -> tantivy::Result<RankScorer> {
        let mut children = Vec::with_capacity(self.parts.len());
        for (rule, weight) in &self.parts {
            let cursor = match weight {
                PartWeight::Term(term, bm25) => {
                    let postings =
                        reader.inverted_index(term.field())?.read_block_postings(term, IndexRecordOption::WithFreqs)?;
                    let Some(block) = postings else { continue };
                    let fieldnorms = reader.get_fieldnorms_reader(term.field())?;
                    Cursor::Term(TermCursor { block, at: 0, fieldnorms, bm25: bm25.clone() })
                }
                PartWeight::Scored(weight, max) => Cursor::Scored(weight.scorer(reader, 1.0)?, *max),
            };
            if cursor.doc() != TERMINATED {
                children.push(Child { rule: *rule, cursor });
            }
        }
        let proximity = self
            .proximity
            .iter()
            .map(|pair| pair.iter().map(|w| Ok(Near::new(w.scorer(reader, 1.0)?))).collect())
            .collect::<tantivy::Result<_>>()?;
        let filter = self.filter.as_ref().map(|w| w.scorer(reader, 1.0)).transpose()?;
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut bits = if self.words { self.required } else { 0 };
        while bits != 0 {
            let bit = 1 << bits.trailing_zeros();
            bits &= bits - 1;
            groups.push((0..children.len()).filter(|&i| children[i].rule.words & bit != 0).collect());
        }
        if groups.is_empty() && self.words {
            groups.push((0..children.len()).collect());
        }
        Ok(RankScorer {
            at: children.iter().map(|c| c.cursor.doc()).collect(),
            children,
            proximity,
            filter,
            required: self.required,
            groups,
            strong: Vec::new(),
            doc: 0,
            score: 0.0,
        })
    }
}

impl Weight for RankWeight {
    fn scorer(&self, reader: &SegmentReader, _boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorer = self.rank_scorer(reader)?;
        scorer.settle();
        Ok(Box::new(scorer))
    }

    /// The top-k walk skips the documents that cannot beat the page's worst key so far.
    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        self.rank_scorer(reader)?.prune(threshold, callback);
        Ok(())
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match")));
        }
        Ok(Explanation::new("ranking rules", display_score(scorer.score())))
    }
}
/// A part of a clause, with what its match is worth to the ranking rules.
struct Child {
    rule: Rule,
    cursor: Cursor,
}
struct RankScorer {
    children: Vec<Child>,
    /// Where each child stands: read on every step of the walk, kept beside the children.
    at: Vec<DocId>,
    /// Per pair of consecutive words, whether they stand close together in each field.
    proximity: Vec<Vec<Near>>,
    filter: Option<Box<dyn Scorer>>,
    required: u32,
    /// A document needs a child of each group: one group per required word (the children that
    /// match it), or one group of every child when no word is required; none when the filter's
    /// documents have the words.
    groups: Vec<Vec<usize>>,
    /// While pruning, the parts that can still lift a document onto the page: a document
    /// needs one of them too (none while not pruning).
    strong: Vec<usize>,
    doc: DocId,
    score: Score,
}

impl RankScorer {
    /// Moves to the first document at or after the children's positions that has every required
    /// word and passes the filter, scores it, and moves the children past it.
    fn settle(&mut self) -> DocId {
        let mut from = 0;
        loop {
            let doc = self.align(from);
            if doc == TERMINATED {
                self.doc = TERMINATED;
                return TERMINATED;
            }
            if let Some(score) = self.evaluate(doc, None) {
                self.doc = doc;
                self.score = score;
                return doc;
            }
            // Past it, even when no required word holds the walk (every part optional, within
            // a filter that stays on `doc`).
            from = doc + 1;
        }
    }

    /// Scores the document the children stand on (`doc`), if it has every required word and its
    /// key can beat `threshold`, and moves the children past it.
    fn evaluate(&mut self, doc: DocId, threshold: Option<Score>) -> Option<Score> {
        let mut tally = Tally::new();
        // The highest BM25 the parts on it could give: below the threshold, no need to score.
        let mut bound = 0.0;
        for (child, _) in self.children.iter_mut().zip(&self.at).filter(|(_, at)| **at == doc) {
            tally.add(&child.rule);
            if threshold.is_some() {
                bound += child.cursor.block_max();
            }
        }
        let beats = |key: Score| threshold.is_none_or(|t| key > t);
        let worth = tally.has(self.required) && beats(tally.key(self.proximity.len() as u32, bound));
        let mut bm25 = 0.0;
        for (child, at) in self.children.iter_mut().zip(&mut self.at).filter(|(_, at)| **at == doc) {
            if worth {
                bm25 += child.cursor.score();
            }
            *at = child.cursor.advance();
        }
        // Words found close together are the costliest rule to check (positions are read):
        // not for a document that could not beat the threshold with all of them.
        if !worth || !beats(tally.key(self.proximity.len() as u32, bm25)) {
            return None;
        }
        let mut close = 0;
        for pair in &mut self.proximity {
            close += u32::from(pair.iter_mut().any(|field| field.matches(doc)));
        }
        let score = tally.key(close, bm25);
        beats(score).then_some(score)
    }

    /// Calls `callback` with every document whose key beats the threshold it returns, skipping
    /// those that cannot (as MaxScore does): the parts are taken from the weakest, adding up
    /// what each could bring to the key (its words, typos and field, and its highest BM25), for
    /// as long as together they could not beat the threshold. A document matched by these weak
    /// parts alone cannot reach the page, so a document needs one of the others, the strong
    /// ones, and the walk leapfrogs over the rest. Within the walk, a run of documents up to the
    /// end of the parts' current blocks is skipped whole when the parts there, each at its
    /// block's highest BM25, could not beat the threshold (block-max).
    fn prune(&mut self, mut threshold: Score, callback: &mut dyn FnMut(DocId, Score) -> Score) {
        let proximity = self.proximity.len() as u32;
        let alone = |c: &Child| {
            let mut tally = Tally::new();
            tally.add(&c.rule);
            tally.key(proximity, c.cursor.max())
        };
        let mut weakest: Vec<usize> = (0..self.children.len()).collect();
        weakest.sort_by(|&a, &b| alone(&self.children[a]).total_cmp(&alone(&self.children[b])));
        let mut strong_from = None;
        loop {
            let mut tally = Tally::new();
            let mut bm25 = 0.0;
            let mut weak = 0;
            for &i in &weakest {
                tally.add(&self.children[i].rule);
                bm25 += self.children[i].cursor.max();
                if tally.has(self.required) && tally.key(proximity, bm25) > threshold {
                    break;
                }
                weak += 1;
            }
            if weak == weakest.len() {
                return;
            }
            if strong_from != Some(weak) {
                strong_from = Some(weak);
                self.strong = weakest[weak..].to_vec();
            }
            let before = threshold;
            // Documents up to here may beat the threshold, by their blocks' bounds.
            let mut hopeful_until = None;
            let mut from = 0;
            while threshold == before {
                let doc = self.align(from);
                if doc == TERMINATED {
                    return;
                }
                if hopeful_until.is_none_or(|end| doc > end) {
                    let (end, hopeful) = self.blocks_bound(threshold);
                    if !hopeful {
                        if end == TERMINATED {
                            return;
                        }
                        from = end + 1;
                        continue;
                    }
                    hopeful_until = Some(end);
                }
                from = 0;
                if let Some(score) = self.evaluate(doc, Some(threshold)) {
                    threshold = callback(doc, score);
                }
            }
        }
    }

    /// With every child at or after the document the walk stands on: the last document up to
    /// which every child's current block reaches, and whether a document from here to there
    /// could beat `threshold`, each child that may match there counted at its block's highest
    /// BM25.
    fn blocks_bound(&mut self, threshold: Score) -> (DocId, bool) {
        let end = self.children.iter().map(|c| c.cursor.block_end()).min().unwrap_or(TERMINATED);
        let mut tally = Tally::new();
        let mut bm25 = 0.0;
        for (child, _) in self.children.iter_mut().zip(&self.at).filter(|(_, at)| **at <= end) {
            tally.add(&child.rule);
            bm25 += child.cursor.block_max();
        }
        let hopeful = tally.has(self.required) && tally.key(self.proximity.len() as u32, bm25) > threshold;
        (end, hopeful)
    }

    /// Moves every child still behind `target` to its first document at or after it.
    fn catch_up(&mut self, target: DocId) {
        for (child, at) in self.children.iter_mut().zip(&mut self.at) {
            if *at < target {
                *at = child.cursor.seek(target);
            }
        }
    }

    /// The first document, at or after `from` and the children's positions, that has a child of
    /// each group (and a strong one, while pruning) and passes the filter: the groups leapfrog
    /// to the furthest of their next documents, so the rarest word drives the walk and documents
    /// missing a word are skipped rather than visited. Every child then stands at or after it.
    fn align(&mut self, from: DocId) -> DocId {
        let mut target = from;
        loop {
            if let Some(filter) = &mut self.filter {
                if filter.doc() < target {
                    filter.seek(target);
                }
                target = target.max(filter.doc());
            }
            if target == TERMINATED {
                return TERMINATED;
            }
            // One pass: each group's children move up to the target, and the group's next
            // document is the lowest of theirs; the furthest of those is the next target.
            let mut furthest = target;
            let strong = (!self.strong.is_empty()).then_some(&self.strong);
            for group in self.groups.iter().chain(strong) {
                let mut lowest = TERMINATED;
                for &i in group {
                    if self.at[i] < target {
                        self.at[i] = self.children[i].cursor.seek(target);
                    }
                    lowest = lowest.min(self.at[i]);
                }
                furthest = furthest.max(lowest);
            }
            if furthest == target {
                // Parts of words not required may still be behind: bring them up.
                self.catch_up(target);
                return target;
            }
            target = furthest;
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
        self.catch_up(target);
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.children.iter().map(|c| c.cursor.size_hint()).max().unwrap_or(0)
    }
}

impl Scorer for RankScorer {
    fn score(&mut self) -> Score {
        self.score
    }
}
