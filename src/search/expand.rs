//! Expanding a query word into the indexed words it may stand for, read from the term
//! dictionaries: words within its typo budget, or words it starts. Expansions are bounded and
//! the most frequent come first, so a word never turns into thousands of clauses.

use std::collections::HashMap;

use tantivy::Searcher;
use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;

use crate::error::Result;

/// At most this many typo expansions per word.
pub const MAX_TYPOS: usize = 8;
/// At most this many completions of the last word.
pub const MAX_PREFIXES: usize = 16;
/// The last word is completed from this many letters on.
pub const MIN_PREFIX: usize = 3;

/// How many typos a word may have: none under 5 letters, one from 5, two from 9.
pub fn typo_budget(word: &str) -> u8 {
    match word.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// The typos between a query word and an indexed word: a changed first letter counts as two,
/// since people rarely get it wrong.
pub fn typos(query: &str, candidate: &str, budget: u8) -> Option<u8> {
    let edits = edit_distance(query, candidate, budget as usize + 1);
    let first_differs = query.chars().next() != candidate.chars().next();
    let typos = edits + usize::from(first_differs);
    (edits > 0 && typos <= budget as usize).then_some(typos as u8)
}

/// Optimal string alignment distance (a swap of two letters is one edit), stopping past `max`.
fn edit_distance(a: &str, b: &str, max: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

/// Indexed words within the typo budget of `word` in any of `fields`, with their typos, most
/// frequent first.
pub fn typo_terms(searcher: &Searcher, fields: &[Field], word: &str) -> Result<Vec<(String, u8)>> {
    let budget = typo_budget(word);
    let Some(&first) = fields.first() else { return Ok(Vec::new()) };
    if budget == 0 {
        return Ok(Vec::new());
    }
    let automaton = FuzzyTermQuery::new(tantivy::Term::from_field_text(first, word), budget, true).automaton()?;
    let mut found: HashMap<String, (u64, u8)> = HashMap::new();
    for segment in searcher.segment_readers() {
        for &field in fields {
            let index = segment.inverted_index(field)?;
            let mut stream = index.terms().search(&automaton).into_stream().map_err(tantivy::TantivyError::from)?;
            while stream.advance() {
                let Ok(term) = std::str::from_utf8(stream.key()) else { continue };
                let Some(typos) = typos(word, term, budget) else { continue };
                let entry = found.entry(term.to_string()).or_insert((0, typos));
                entry.0 += u64::from(stream.value().doc_freq);
            }
        }
    }
    Ok(most_frequent(found, MAX_TYPOS))
}

/// Indexed words that start with `prefix` (not the prefix itself), most frequent first.
pub fn prefix_terms(searcher: &Searcher, fields: &[Field], prefix: &str) -> Result<Vec<String>> {
    if prefix.chars().count() < MIN_PREFIX {
        return Ok(Vec::new());
    }
    let mut upper = prefix.as_bytes().to_vec();
    // Folded words are ASCII, so the last byte can always grow by one.
    if let Some(last) = upper.last_mut() {
        *last = last.saturating_add(1);
    }
    let mut found: HashMap<String, (u64, u8)> = HashMap::new();
    for segment in searcher.segment_readers() {
        for &field in fields {
            let index = segment.inverted_index(field)?;
            let mut stream = index
                .terms()
                .range()
                .gt(prefix.as_bytes())
                .lt(&upper)
                .into_stream()
                .map_err(tantivy::TantivyError::from)?;
            while stream.advance() {
                let Ok(term) = std::str::from_utf8(stream.key()) else { continue };
                found.entry(term.to_string()).or_insert((0, 0)).0 += u64::from(stream.value().doc_freq);
            }
        }
    }
    Ok(most_frequent(found, MAX_PREFIXES).into_iter().map(|(term, _)| term).collect())
}

fn most_frequent(found: HashMap<String, (u64, u8)>, max: usize) -> Vec<(String, u8)> {
    let mut list: Vec<(String, u64, u8)> = found.into_iter().map(|(t, (n, typos))| (t, n, typos)).collect();
    // Fewer typos first, then the most frequent, then alphabetical for a stable order.
    list.sort_by(|a, b| a.2.cmp(&b.2).then(b.1.cmp(&a.1)).then_with(|| a.0.cmp(&b.0)));
    list.truncate(max);
    list.into_iter().map(|(t, _, typos)| (t, typos)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_budget_grows_with_word_length() {
        assert_eq!(typo_budget("fuel"), 0);
        assert_eq!(typo_budget("carbu"), 1);
        assert_eq!(typo_budget("irrigation"), 2);
    }

    #[test]
    fn a_changed_first_letter_counts_as_two_typos() {
        assert_eq!(typos("combustoin", "combustion", 2), Some(1));
        assert_eq!(typos("mentoring", "monitoring", 2), Some(2));
        assert_eq!(typos("capteur", "rapteur", 1), None, "first letter, 7 letters");
        assert_eq!(typos("hombustion", "combustion", 2), Some(2), "first letter, 10 letters");
        assert_eq!(typos("capteur", "capteur", 1), None, "an exact match is no typo");
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("combustoin", "combustion", 2), 1);
        assert_eq!(edit_distance("irigation", "irrigation", 2), 1);
        assert!(edit_distance("fuel", "carburant", 2) > 2);
    }
}
