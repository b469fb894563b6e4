//! Where a clause's part stands in its postings: a term's, read a block of 128 documents at a
//! time with each block's highest BM25, or a phrase's; and whether a phrase matches the
//! documents it is asked about.

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::BlockSegmentPostings;
use tantivy::query::{Bm25Weight, Scorer};
use tantivy::{DocId, DocSet, Score, SeekDangerResult, TERMINATED};

/// tantivy's postings come in blocks of this many documents.
const BLOCK: usize = 128;

/// A term's postings, read a block at a time, each block with the highest BM25 of its documents.
pub(super) struct TermCursor {
    pub(super) block: BlockSegmentPostings,
    /// The current document's index in the block.
    pub(super) at: usize,
    pub(super) fieldnorms: FieldNormReader,
    pub(super) bm25: Bm25Weight,
}

impl TermCursor {
    pub(super) fn doc(&self) -> DocId {
        self.block.doc(self.at)
    }

    pub(super) fn advance(&mut self) -> DocId {
        if self.at == BLOCK - 1 {
            self.at = 0;
            self.block.advance();
        } else {
            self.at += 1;
        }
        self.doc()
    }

    pub(super) fn seek(&mut self, target: DocId) -> DocId {
        if self.doc() < target {
            self.at = self.block.seek(target);
        }
        self.doc()
    }

    pub(super) fn score(&self) -> Score {
        let doc = self.doc();
        self.bm25.score(self.fieldnorms.fieldnorm_id(doc), self.block.freq(self.at))
    }
}

/// Where a clause's part stands in its postings.
#[expect(
    clippy::large_enum_variant,
    reason = "built once per segment and walked in place: boxing would add an indirection to every step"
)]
pub(super) enum Cursor {
    Term(TermCursor),
    /// A phrase, with the highest BM25 it can give.
    Scored(Box<dyn Scorer>, Score),
}

impl Cursor {
    pub(super) fn doc(&self) -> DocId {
        match self {
            Cursor::Term(t) => t.doc(),
            Cursor::Scored(s, _) => s.doc(),
        }
    }

    pub(super) fn advance(&mut self) -> DocId {
        match self {
            Cursor::Term(t) => t.advance(),
            Cursor::Scored(s, _) => s.advance(),
        }
    }

    pub(super) fn seek(&mut self, target: DocId) -> DocId {
        match self {
            Cursor::Term(t) => t.seek(target),
            Cursor::Scored(s, _) => s.seek(target),
        }
    }

    pub(super) fn score(&mut self) -> Score {
        match self {
            Cursor::Term(t) => t.score(),
            Cursor::Scored(s, _) => s.score(),
        }
    }

    /// The highest BM25 it can give any document of its current block.
    pub(super) fn block_max(&mut self) -> Score {
        match self {
            Cursor::Term(t) => t.block.block_max_score(&t.fieldnorms, &t.bm25),
            Cursor::Scored(_, max) => *max,
        }
    }

    /// The highest BM25 it can give any document.
    pub(super) fn max(&self) -> Score {
        match self {
            Cursor::Term(t) => t.bm25.max_score(),
            Cursor::Scored(_, max) => *max,
        }
    }

    /// The last document of its current block: [`Self::block_max`] holds up to there.
    pub(super) fn block_end(&self) -> DocId {
        match self {
            Cursor::Term(t) if t.doc() == TERMINATED => TERMINATED,
            Cursor::Term(t) => t.block.doc(t.block.block_len() - 1),
            Cursor::Scored(..) => TERMINATED,
        }
    }

    pub(super) fn size_hint(&self) -> u32 {
        match self {
            Cursor::Term(t) => t.block.doc_freq(),
            Cursor::Scored(s, _) => s.size_hint(),
        }
    }
}

/// Whether a phrase matches the documents it is asked about, in increasing order: only those
/// are read (tantivy's `seek_danger`), where a seek would read the positions of every
/// document with both words up to the next match.
pub(super) struct Near {
    phrase: Box<dyn Scorer>,
    /// No document before this one matches; whether it does is known only when `known`.
    next: DocId,
    known: bool,
}

impl Near {
    pub(super) fn new(phrase: Box<dyn Scorer>) -> Self {
        Near { next: phrase.doc(), phrase, known: true }
    }

    /// Asked of increasing documents only.
    pub(super) fn matches(&mut self, doc: DocId) -> bool {
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

#[cfg(test)]
mod tests {
    use tantivy::collector::DocSetCollector;
    use tantivy::query::{EnableScoring, PhraseQuery, Query};
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{Index, Term, doc};

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
}
