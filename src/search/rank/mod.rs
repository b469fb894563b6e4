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
//! reach the page (see `RankScorer::prune` in `scorer`). With several segments, tantivy computes a
//! block's highest BM25 with its segment's average field length rather than the whole index's, so in
//! rare cases the bound is slightly low, as in tantivy's own block-max WAND; the server compacts an
//! idle index into one segment, where it is exact.
//!
//! Here, what a query asks for ([`RankQuery`], its clauses and their field levels); the rules
//! packed into a key in `rules`, a part's postings read block by block in `postings`, and the
//! walk that scores and skips documents in `scorer`.

mod postings;
mod rules;
mod scorer;

use tantivy::Term;
use tantivy::query::{Bm25Weight, EnableScoring, PhraseQuery, Query, TermQuery, Weight};
use tantivy::schema::IndexRecordOption;

pub use rules::display_score;
use scorer::{PartWeight, RankWeight};

/// At most this many words are ranked (the parser keeps fewer).
pub const MAX_RANKED_WORDS: usize = 24;

/// Field levels of [`Rule::field`]: the higher, the better the match.
/// The words of an entity's stage, kinds and domains (see `vocabulary`).
pub const VOCABULARY: u8 = 0;
pub const DESCRIPTION: u8 = 1;
pub const RELATED: u8 = 2;
pub const PRIMARY: u8 = 3;
/// A company's own city: it ranks above an organisation named after that city.
pub const PLACE: u8 = 4;
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
