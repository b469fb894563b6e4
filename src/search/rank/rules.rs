//! The ranking rules as one key: the number of words matched, then fewer typos, words close
//! together, better fields and BM25, packed into bits that order as the rules do.

use tantivy::Score;

use super::{MAX_RANKED_WORDS, Rule};

/// Keeps every key a normal, positive float.
const BASE: u32 = 1 << 24;
const WORDS_SHIFT: u32 = 25;
const TYPOS_SHIFT: u32 = 19;
const PROXIMITY_SHIFT: u32 = 15;
const FIELD_SHIFT: u32 = 9;
const BM25_LEVELS: f32 = 511.0;
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

/// The ranking rules' inputs gathered from the clauses on one document.
pub(super) struct Tally {
    /// Per word, its best clause: fewest typos, then best field.
    best: [(u8, u8); MAX_RANKED_WORDS],
    matched: u32,
    typos: u32,
    fields: u32,
}

impl Tally {
    pub(super) fn new() -> Self {
        Tally { best: [(u8::MAX, 0); MAX_RANKED_WORDS], matched: 0, typos: 0, fields: 0 }
    }

    /// Counts a clause in; the key can only grow with each clause added.
    pub(super) fn add(&mut self, rule: &Rule) {
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
    pub(super) fn has(&self, required: u32) -> bool {
        self.matched & required == required
    }

    pub(super) fn key(&self, proximity: u32, bm25: Score) -> Score {
        key(self.matched.count_ones(), self.typos, proximity, self.fields, bm25)
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
