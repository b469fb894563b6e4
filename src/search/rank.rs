//! The ranking rules, as one tantivy query: documents are ordered by (1) how many of the query's
//! words they match, (2) fewer typos, (3) query words found next to each other, (4) which field
//! matched, (5) BM25 — each rule only breaking the ties of the one before.
//!
//! Each clause says which query words it stands for, at what typo cost and in which field. For
//! each document the scorer keeps, per word, its best clause (fewest typos, then best field), and
//! packs the rules into one key whose bits order as the rules do. The key is handed to tantivy as
//! the bit pattern of a positive `f32`, whose order is the order of its bits.
//!
//! The scorer reads each term's postings itself, a block of 128 documents at a time, with the
//! highest BM25 of each block that tantivy stores beside it: the top-k walk skips what cannot
//! reach the page (see [`RankScorer::prune`]). With several segments, tantivy computes a block's
//! highest BM25 with its segment's average field length rather than the whole index's, so in
//! rare cases the bound is slightly low, as in tantivy's own block-max WAND; the server compacts an
//! idle index into one segment, where it is exact.

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::BlockSegmentPostings;
use tantivy::query::{Bm25Weight, EnableScoring, Explanation, PhraseQuery, Query, Scorer, TermQuery, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED, Term};

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

/// What a clause's match is worth to the ranking rules.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    /// The query words it matches, as a bit set.
    pub words: u32,
    /// Typo cost: 0 exact or stemmed, 1 completed prefix, 2 per typo.
    pub cost: u8,
    /// Field level ([`DESCRIPTION`] to [`PLACE`]).
    pub field: u8,
}

/// What a clause matches: a term, or the terms of a phrase in a row.
#[derive(Clone, Debug)]
pub enum Part {
    Term(Term),
    Phrase(Vec<Term>),
}

impl Part {
    pub(super) fn query(&self) -> Box<dyn Query> {
        match self {
            Part::Term(term) => Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
            Part::Phrase(terms) => Box::new(PhraseQuery::new(terms.clone())),
        }
    }

    /// Its term, when it is one.
    pub(super) fn term(&self) -> Option<&Term> {
        match self {
            Part::Term(term) => Some(term),
            Part::Phrase(_) => None,
        }
    }

    fn terms(&self) -> &[Term] {
        match self {
            Part::Term(term) => std::slice::from_ref(term),
            Part::Phrase(terms) => terms,
        }
    }
}

/// One way for some query words to match: any of its parts.
#[derive(Clone, Debug)]
pub struct Clause {
    pub rule: Rule,
    pub parts: Vec<Part>,
}

/// Ranks documents matching any clause; those missing a `required` word, or not matching
/// `filter`, are left out.
#[derive(Debug)]
pub struct RankQuery {
    pub clauses: Vec<Clause>,
    /// Pairs of consecutive query words found close together, each in any of several fields.
    pub proximity: Vec<Vec<PhraseQuery>>,
    /// The words every document must match, as a bit set.
    pub required: u32,
    /// What every document must also match (kinds and facet filters); it adds nothing to the score.
    pub filter: Option<Box<dyn Query>>,
    /// Whether every document of `filter` has the `required` words: the walk then goes from one
    /// document of the filter to the next, instead of leapfrogging between the words.
    pub filter_has_words: bool,
}

impl Clone for RankQuery {
    fn clone(&self) -> Self {
        RankQuery {
            clauses: self.clauses.clone(),
            proximity: self.proximity.clone(),
            required: self.required,
            filter: self.filter.as_ref().map(|q| q.box_clone()),
            filter_has_words: self.filter_has_words,
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
        let EnableScoring::Enabled { statistics_provider, .. } = enable_scoring else {
            return Err(tantivy::TantivyError::InvalidArgument("ranking needs scores".into()));
        };
        let mut parts = Vec::new();
        for clause in &self.clauses {
            for part in &clause.parts {
                let bm25 = Bm25Weight::for_terms(statistics_provider, part.terms())?;
                let weight = match part {
                    Part::Term(term) => PartWeight::Term(term.clone(), bm25),
                    Part::Phrase(_) => PartWeight::Scored(part.query().weight(enable_scoring)?, bm25.max_score()),
                };
                parts.push((clause.rule, weight));
            }
        }
        let proximity = self
            .proximity
            .iter()
            .map(|pair| pair.iter().map(|q| q.weight(enable_scoring)).collect())
            .collect::<tantivy::Result<_>>()?;
        let filter = self.filter.as_ref().map(|q| q.weight(enable_scoring)).transpose()?;
        let words = !(self.filter_has_words && filter.is_some());
        Ok(Box::new(RankWeight { parts, proximity, required: self.required, filter, words }))
    }
}

/// A part of a clause, ready to score: a term with its BM25 weight, read block by block, or a
/// phrase scored by tantivy, with the highest BM25 it can give.
enum PartWeight {
    Term(Term, Bm25Weight),
    Scored(Box<dyn Weight>, Score),
}

struct RankWeight {
    parts: Vec<(Rule, PartWeight)>,
    proximity: Vec<Vec<Box<dyn Weight>>>,
    required: u32,
    filter: Option<Box<dyn Weight>>,
    /// Whether the walk must find the documents with the required words itself (the filter
    /// does not guarantee them).
    words: bool,
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

/// tantivy's postings come in blocks of this many documents.
const BLOCK: usize = 128;

/// A term's postings, read a block at a time, each block with the highest BM25 of its documents.
struct TermCursor {
    block: BlockSegmentPostings,
    /// The current document's index in the block.
    at: usize,
    fieldnorms: FieldNormReader,
    bm25: Bm25Weight,
}

impl TermCursor {
    fn doc(&self) -> DocId {
        self.block.doc(self.at)
    }

    fn advance(&mut self) -> DocId {
        if self.at == BLOCK - 1 {
            self.at = 0;
            self.block.advance();
        } else {
            self.at += 1;
        }
        self.doc()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc() < target {
            self.at = self.block.seek(target);
        }
        self.doc()
    }

    fn score(&self) -> Score {
        let doc = self.doc();
        self.bm25.score(self.fieldnorms.fieldnorm_id(doc), self.block.freq(self.at))
    }
}

/// Where a clause's part stands in its postings.
#[expect(
    clippy::large_enum_variant,
    reason = "built once per segment and walked in place: boxing would add an indirection to every step"
)]
enum Cursor {
    Term(TermCursor),
    /// A phrase, with the highest BM25 it can give.
    Scored(Box<dyn Scorer>, Score),
}

impl Cursor {
    fn doc(&self) -> DocId {
        match self {
            Cursor::Term(t) => t.doc(),
            Cursor::Scored(s, _) => s.doc(),
        }
    }

    fn advance(&mut self) -> DocId {
        match self {
            Cursor::Term(t) => t.advance(),
            Cursor::Scored(s, _) => s.advance(),
        }
    }

    fn seek(&mut self, target: DocId) -> DocId {
        match self {
            Cursor::Term(t) => t.seek(target),
            Cursor::Scored(s, _) => s.seek(target),
        }
    }

    fn score(&mut self) -> Score {
        match self {
            Cursor::Term(t) => t.score(),
            Cursor::Scored(s, _) => s.score(),
        }
    }

    /// The highest BM25 it can give any document of its current block.
    fn block_max(&mut self) -> Score {
        match self {
            Cursor::Term(t) => t.block.block_max_score(&t.fieldnorms, &t.bm25),
            Cursor::Scored(_, max) => *max,
        }
    }

    /// The highest BM25 it can give any document.
    fn max(&self) -> Score {
        match self {
            Cursor::Term(t) => t.bm25.max_score(),
            Cursor::Scored(_, max) => *max,
        }
    }

    /// The last document of its current block: [`Self::block_max`] holds up to there.
    fn block_end(&self) -> DocId {
        match self {
            Cursor::Term(t) if t.doc() == TERMINATED => TERMINATED,
            Cursor::Term(t) => t.block.doc(t.block.block_len() - 1),
            Cursor::Scored(..) => TERMINATED,
        }
    }

    fn size_hint(&self) -> u32 {
        match self {
            Cursor::Term(t) => t.block.doc_freq(),
            Cursor::Scored(s, _) => s.size_hint(),
        }
    }
}

/// Whether a phrase matches the documents it is asked about, in increasing order: only those
/// are read (tantivy's `seek_danger`), where a seek would read the positions of every
/// document with both words up to the next match.
struct Near {
    phrase: Box<dyn Scorer>,
    /// No document before this one matches; whether it does is known only when `known`.
    next: DocId,
    known: bool,
}

impl Near {
    fn new(phrase: Box<dyn Scorer>) -> Self {
        Near { next: phrase.doc(), phrase, known: true }
    }

    /// Asked of increasing documents only.
    fn matches(&mut self, doc: DocId) -> bool {
        if self.next > doc || (self.next == doc && self.known) {
            return self.next == doc;
        }
        match self.phrase.seek_danger(doc) {
            SeekDangerResult::Found => {
                (self.next, self.known) = (doc, true);
                true
            }
            SeekDangerResult::SeekLowerBound(next) => {
                (self.next, self.known) = (next, false);
                false
            }
        }
    }
}

/// A part of a clause, with what its match is worth to the ranking rules.
struct Child {
    rule: Rule,
    cursor: Cursor,
}

/// The ranking rules' inputs gathered from the clauses on one document.
struct Tally {
    /// Per word, its best clause: fewest typos, then best field.
    best: [(u8, u8); MAX_RANKED_WORDS],
    matched: u32,
    typos: u32,
    fields: u32,
}

impl Tally {
    fn new() -> Self {
        Tally { best: [(u8::MAX, 0); MAX_RANKED_WORDS], matched: 0, typos: 0, fields: 0 }
    }

    /// Counts a clause in; the key can only grow with each clause added.
    fn add(&mut self, rule: &Rule) {
        self.matched |= rule.words;
        let mut words = rule.words;
        while words != 0 {
            let w = words.trailing_zeros() as usize;
            words &= words - 1;
            let slot = &mut self.best[w.min(MAX_RANKED_WORDS - 1)];
            if rule.cost < slot.0 || (rule.cost == slot.0 && rule.field > slot.1) {
                if slot.0 != u8::MAX {
                    self.typos -= u32::from(slot.0);
                    self.fields -= u32::from(slot.1);
                }
                *slot = (rule.cost, rule.field);
                self.typos += u32::from(rule.cost);
                self.fields += u32::from(rule.field);
            }
        }
    }

    /// Whether every word of `required` (a bit set) is matched.
    fn has(&self, required: u32) -> bool {
        self.matched & required == required
    }

    fn key(&self, proximity: u32, bm25: Score) -> Score {
        key(self.matched.count_ones(), self.typos, proximity, self.fields, bm25)
    }
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
        loop {
            let doc = self.align(0);
            if doc == TERMINATED {
                self.doc = TERMINATED;
                return TERMINATED;
            }
            if let Some(score) = self.evaluate(doc, None) {
                self.doc = doc;
                self.score = score;
                return doc;
            }
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

#[cfg(test)]
mod tests {
    use tantivy::collector::DocSetCollector;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{Index, doc};

    use super::*;

    /// Asked about documents in increasing order, skipping some, a phrase answers as tantivy's
    /// own phrase query does: words next to each other, within the slop, in either order,
    /// repeated, or apart.
    #[test]
    fn a_phrase_asked_about_some_documents_answers_as_the_phrase_query() {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let texts = [
            "heat pumps",
            "pumps heat",
            "heat and water pumps",
            "heat one two three four pumps",
            "heat only",
            "pumps only",
            "pumps heat heat pumps",
            "nothing here",
        ];
        for i in 0..1_000 {
            writer.add_document(doc!(text => texts[(i * 7 + i / 13) % texts.len()])).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let term = |w: &str| Term::from_field_text(text, w);
        let phrase = PhraseQuery::new_with_offset_and_slop(vec![(0, term("heat")), (1, term("pumps"))], 3);
        let expected: Vec<DocId> =
            searcher.search(&phrase, &DocSetCollector).unwrap().into_iter().map(|d| d.doc_id).collect();
        let weight = phrase.weight(EnableScoring::enabled_from_searcher(&searcher)).unwrap();
        for stride in [1, 2, 3, 7, 50] {
            let mut near = Near::new(weight.scorer(searcher.segment_reader(0), 1.0).unwrap());
            for doc in (0..1_000).step_by(stride) {
                assert_eq!(near.matches(doc), expected.contains(&doc), "document {doc}, every {stride}");
            }
        }
        assert!(expected.len() > 300 && expected.len() < 700, "{} of 1000", expected.len());
    }

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
