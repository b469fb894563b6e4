//! A parsed query turned into the clauses [`RankQuery`] ranks: for each word, its exact and
//! stemmed forms, its vocabulary synonyms, its typos and completions, in each field level.

use std::collections::HashSet;

use tantivy::query::{PhraseQuery, Query};
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

use super::analyzer::Analyzers;
use super::expand;
use super::matches::{Filled, MatchQuery, Restrictions};
use super::rank::{self, Clause, Part, RankQuery, Rule};
use super::schema::Fields;
use super::terms::term;
use super::words::{Parsed, Word, synonyms_of};
use crate::error::Result;

/// How far apart two query words may stand and still count as close together.
const PROXIMITY_SLOP: u32 = 3;

/// The terms and phrases of one clause.
#[derive(Default)]
struct Union {
    parts: Vec<Part>,
}

impl Union {
    fn term(&mut self, field: Field, text: &str) {
        self.parts.push(Part::Term(term(field, text)));
    }

    fn phrase(&mut self, field: Field, words: &[String]) {
        self.parts.push(Part::Phrase(words.iter().map(|w| term(field, w)).collect()));
    }

    fn of_terms<'t>(field: Field, terms: impl IntoIterator<Item = &'t String>) -> Self {
        Union { parts: terms.into_iter().map(|t| Part::Term(term(field, t))).collect() }
    }

    fn clause(self, words: u32, cost: u8, field: u8) -> Option<Clause> {
        (!self.parts.is_empty()).then_some(Clause { rule: Rule { words, cost, field }, parts: self.parts })
    }
}

/// The fields of one field level: the raw (folded) text, and its French and English stems.
struct Group {
    level: u8,
    raw: Field,
    stemmed: Option<(Field, Field)>,
}

fn groups(f: &Fields) -> [Group; 5] {
    [
        Group { level: rank::PLACE, raw: f.place_raw, stemmed: None },
        Group { level: rank::PRIMARY, raw: f.primary_raw, stemmed: Some((f.primary_fr, f.primary_en)) },
        Group { level: rank::RELATED, raw: f.related_raw, stemmed: Some((f.related_fr, f.related_en)) },
        Group { level: rank::DESCRIPTION, raw: f.desc_raw, stemmed: Some((f.desc_fr, f.desc_en)) },
        Group { level: rank::VOCABULARY, raw: f.vocabulary_raw, stemmed: Some((f.vocabulary_fr, f.vocabulary_en)) },
    ]
}

/// A word's exact forms in one field level: as typed (folded), its stems, its parts as a
/// phrase when hyphenated, and its vocabulary synonyms.
fn exact(g: &Group, word: &Word, synonyms: &[Vec<String>]) -> Union {
    let mut exact = Union::default();
    exact.term(g.raw, &word.raw);
    if let Some((fr, en)) = g.stemmed {
        if let Some(stem) = &word.french {
            exact.term(fr, stem);
        }
        if let Some(stem) = &word.english {
            exact.term(en, stem);
        }
    }
    if !word.parts.is_empty() {
        exact.phrase(g.raw, &word.parts);
    }
    for synonym in synonyms {
        match synonym.as_slice() {
            [one] => exact.term(g.raw, one),
            many => exact.phrase(g.raw, many),
        }
    }
    exact
}

/// The raw terms of the clauses in field levels with stems, with their French and English stems
/// there. Only plain words are taken: the stem of a word folded into other characters ("½") is
/// not the stem of its parts in the text.
fn stemmed_terms(f: &Fields, clauses: &[Clause]) -> Vec<(Term, [Term; 2])> {
    let levels: Vec<(Field, (Field, Field))> =
        groups(f).into_iter().filter_map(|g| g.stemmed.map(|stems| (g.raw, stems))).collect();
    let mut stemmed = Vec::new();
    Analyzers::with(|a| {
        for term in clauses.iter().flat_map(|c| &c.parts).filter_map(Part::term) {
            let Some(&(_, (fr, en))) = levels.iter().find(|(raw, _)| *raw == term.field()) else { continue };
            let value = term.value();
            let Some(text) = value.as_str().filter(|t| t.bytes().all(|b| b.is_ascii_alphanumeric())) else {
                continue;
            };
            if let (Some(french), Some(english)) = (a.french_stem(text), a.english_stem(text)) {
                stemmed.push((term.clone(), [Term::from_field_text(fr, &french), Term::from_field_text(en, &english)]));
            }
        }
    });
    stemmed
}

/// A query turned into ranked clauses.
pub(super) struct Plan {
    rank: RankQuery,
    /// How many plain words (bits `0..words`); phrases follow them.
    pub words: usize,
    /// The bits of the quoted phrases, always required.
    phrases: u32,
    /// Per level, the documents with its words, once filled.
    filled: Vec<Filled>,
    /// The raw terms of field levels with stems, each with its French and English stems in the
    /// same level: every document with the raw term has one of them (the description of a
    /// document is stemmed in its own language, its other texts in both).
    stemmed: Vec<(Term, [Term; 2])>,
}

impl Plan {
    pub fn build(f: &Fields, searcher: &Searcher, parsed: &Parsed) -> Result<Plan> {
        let raw_fields: Vec<Field> = groups(f).iter().map(|g| g.raw).collect();
        let synonyms: Vec<Vec<Vec<String>>> = parsed.words.iter().map(synonyms_of).collect();
        let mut clauses = Vec::new();
        let last = parsed.words.len().saturating_sub(1);
        for (i, word) in parsed.words.iter().enumerate() {
            let bit = 1 << i;
            let typos = expand::typo_terms(searcher, &raw_fields, &word.raw)?;
            let completions = if parsed.prefix && i == last {
                expand::prefix_terms(searcher, &raw_fields, &word.raw)?
            } else {
                Vec::new()
            };
            for g in groups(f) {
                clauses.extend(exact(&g, word, &synonyms[i]).clause(bit, 0, g.level));
                for n in 1..=2 {
                    let terms = typos.iter().filter(|(_, t)| *t == n).map(|(t, _)| t);
                    clauses.extend(Union::of_terms(g.raw, terms).clause(bit, 2 * n, g.level));
                }
                clauses.extend(Union::of_terms(g.raw, &completions).clause(bit, 1, g.level));
            }
        }
        // Two words written apart may be one word in the text ("start up", "startup").
        let mut proximity = Vec::new();
        for (i, pair) in parsed.words.windows(2).enumerate() {
            let (a, b) = (&pair[0], &pair[1]);
            let joined = format!("{}{}", a.raw, b.raw);
            for g in groups(f) {
                clauses.extend(Union::of_terms(g.raw, [&joined]).clause(0b11 << i, 0, g.level));
            }
            let (a, b) = (a.parts.last().unwrap_or(&a.raw), b.parts.first().unwrap_or(&b.raw));
            let close = groups(f)
                .iter()
                .skip(1)
                .map(|g| {
                    PhraseQuery::new_with_offset_and_slop(
                        vec![(0, term(g.raw, a)), (1, term(g.raw, b))],
                        PROXIMITY_SLOP,
                    )
                })
                .collect();
            proximity.push(close);
        }
        let words = parsed.words.len();
        let mut phrases = 0;
        for (j, phrase) in parsed.phrases.iter().enumerate() {
            let bit = 1 << (words + j);
            phrases |= bit;
            for g in groups(f).into_iter().skip(1) {
                let mut one = Union::default();
                one.phrase(g.raw, phrase);
                clauses.extend(one.clause(bit, 0, g.level));
            }
        }
        let stemmed = stemmed_terms(f, &clauses);
        Ok(Plan {
            rank: RankQuery { clauses, proximity, required: phrases, filter: None, filter_has_words: false },
            words,
            phrases,
            filled: (0..=words).map(|_| Filled::default()).collect(),
            stemmed,
        })
    }

    /// The bits of the words a match must have at `level`: the first `level` words and every phrase.
    pub fn required(&self, level: usize) -> u32 {
        let words = if level >= 32 { u32::MAX } else { (1u32 << level) - 1 };
        (words & ((1u32 << self.words) - 1)) | self.phrases
    }

    /// The matches of a level, unranked (for the total and the facets), also within every
    /// restriction: each required word's clauses, or every clause when no word is required.
    pub fn matching(&self, level: usize, restrictions: Restrictions) -> Box<dyn Query> {
        let parts = |bits: u32| -> Vec<Part> {
            let clauses = self.rank.clauses.iter().filter(|c| bits == 0 || c.rule.words & bits != 0);
            let parts: Vec<&Part> = clauses.flat_map(|c| &c.parts).collect();
            // A raw term whose two stems are in the union adds no document to it.
            let terms: HashSet<&Term> = parts.iter().filter_map(|p| p.term()).collect();
            let covered: HashSet<&Term> = self
                .stemmed
                .iter()
                .filter(|(_, stems)| stems.iter().all(|s| terms.contains(s)))
                .map(|(raw, _)| raw)
                .collect();
            parts.into_iter().filter(|p| p.term().is_none_or(|t| !covered.contains(t))).cloned().collect()
        };
        let mut words = Vec::new();
        let mut bits = self.required(level);
        if bits == 0 {
            words.push(parts(0));
        }
        while bits != 0 {
            let bit = 1 << bits.trailing_zeros();
            bits &= bits - 1;
            words.push(parts(bit));
        }
        Box::new(MatchQuery::new(words, restrictions, self.filled[level.min(self.words)].clone()))
    }

    /// The ranked query of a level, its matches also matching `filter`.
    pub fn ranked(&self, level: usize, filter: Option<Box<dyn Query>>) -> RankQuery {
        RankQuery { required: self.required(level), filter, ..self.rank.clone() }
    }

    /// The ranked query of a level, walking only `matches`: the level's matches as
    /// [`Self::matching`] gives them (with any restrictions), rather than leapfrogging between
    /// the words' parts to find them.
    pub fn ranked_within(&self, level: usize, matches: Box<dyn Query>) -> RankQuery {
        RankQuery { filter_has_words: true, ..self.ranked(level, Some(matches)) }
    }
}
