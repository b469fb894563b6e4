//! Sets of a segment's documents, one bit each, and walks through them.

use std::sync::Arc;

use tantivy::{DocId, DocSet, TERMINATED};

/// A segment's documents, one bit each, 64 to a word: inserting a document is one `or`, and the
/// searches sharing a filled set walk it without copying it.
#[derive(Clone, Debug)]
pub(super) struct Bits(Vec<u64>);

impl Bits {
    pub fn new(max_doc: DocId) -> Bits {
        Bits(vec![0; max_doc.div_ceil(64) as usize])
    }

    pub fn insert(&mut self, doc: DocId) {
        self.0[(doc / 64) as usize] |= 1 << (doc % 64);
    }

    pub fn contains(&self, doc: DocId) -> bool {
        self.0[(doc / 64) as usize] & (1 << (doc % 64)) != 0
    }

    pub fn len(&self) -> u64 {
        self.0.iter().map(|word| u64::from(word.count_ones())).sum()
    }

    /// Its words of 64 documents: what reading it whole costs.
    pub fn words(&self) -> usize {
        self.0.len()
    }

    pub fn bytes(&self) -> usize {
        self.0.capacity() * size_of::<u64>()
    }

    pub fn intersect(&mut self, other: &Bits) {
        for (word, other) in self.0.iter_mut().zip(&other.0) {
            *word &= other;
        }
    }

    pub fn union(&mut self, other: &Bits) {
        for (word, other) in self.0.iter_mut().zip(&other.0) {
            *word |= other;
        }
    }

    /// How many documents it shares with `other`.
    pub fn intersection_len(&self, other: &Bits) -> u64 {
        self.0.iter().zip(&other.0).map(|(a, b)| u64::from((a & b).count_ones())).sum()
    }

    /// Calls `f` with each of its documents, in order.
    pub fn each(&self, mut f: impl FnMut(DocId)) {
        for (i, &word) in self.0.iter().enumerate() {
            let mut rest = word;
            while rest != 0 {
                f(i as DocId * 64 + rest.trailing_zeros());
                rest &= rest - 1;
            }
        }
    }

    /// Keeps the documents `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(DocId) -> bool) {
        for (i, word) in self.0.iter_mut().enumerate() {
            let mut rest = *word;
            while rest != 0 {
                let bit = rest.trailing_zeros();
                rest &= rest - 1;
                if !keep(i as DocId * 64 + bit) {
                    *word &= !(1 << bit);
                }
            }
        }
    }
}

/// A walk through a shared set, in increasing order.
pub(super) struct BitsDocSet {
    bits: Arc<Bits>,
    /// The word of the current document, and its documents after it.
    word: usize,
    rest: u64,
    doc: DocId,
    len: u32,
}

impl BitsDocSet {
    /// The whole set, however far it has been walked, and how many documents it holds.
    pub fn whole(&self) -> (&Bits, u32) {
        (&self.bits, self.len)
    }

    pub fn new(bits: Arc<Bits>) -> Self {
        let rest = bits.0.first().copied().unwrap_or(0);
        let len = bits.len() as u32;
        let mut set = BitsDocSet { bits, word: 0, rest, doc: 0, len };
        set.next();
        set
    }

    /// Moves to the first document of `rest` or of the words after it.
    fn next(&mut self) -> DocId {
        while self.rest == 0 {
            self.word += 1;
            match self.bits.0.get(self.word) {
                Some(&word) => self.rest = word,
                None => {
                    self.doc = TERMINATED;
                    return TERMINATED;
                }
            }
        }
        let bit = self.rest.trailing_zeros();
        self.rest &= self.rest - 1;
        self.doc = self.word as DocId * 64 + bit;
        self.doc
    }
}

impl DocSet for BitsDocSet {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.next()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        let word = (target / 64) as usize;
        if word > self.word {
            self.word = word;
            self.rest = self.bits.0.get(word).copied().unwrap_or(0);
        }
        // The documents from the target on.
        self.rest &= !0u64 << (target % 64);
        self.next()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walked, sought or filtered, a set gives its documents in order, as a sorted list does.
    #[test]
    fn a_set_walks_and_seeks_as_a_sorted_list() {
        let max = 1_000;
        let docs: Vec<DocId> = (0..max).filter(|d| d % 7 == 0 || d % 64 == 63 || (130..200).contains(d)).collect();
        let mut bits = Bits::new(max);
        for &doc in &docs {
            bits.insert(doc);
        }
        assert_eq!(bits.len(), docs.len() as u64);
        let bits = Arc::new(bits);
        let mut walked = Vec::new();
        let mut set = BitsDocSet::new(bits.clone());
        while set.doc() != TERMINATED {
            walked.push(set.doc());
            set.advance();
        }
        assert_eq!(walked, docs);
        assert_eq!(set.advance(), TERMINATED);
        for stride in [1, 3, 50, 64, 65, 300] {
            let mut set = BitsDocSet::new(bits.clone());
            for target in (0..max + 100).step_by(stride) {
                let expected = docs.iter().copied().find(|&d| d >= target).unwrap_or(TERMINATED);
                assert_eq!(set.seek(target), expected, "seek {target}, every {stride}");
            }
        }
        let mut even = Bits::clone(&bits);
        even.retain(|doc| doc % 2 == 0);
        let mut walked = Vec::new();
        let mut set = BitsDocSet::new(Arc::new(even));
        while set.doc() != TERMINATED {
            walked.push(set.doc());
            set.advance();
        }
        assert_eq!(walked, docs.iter().copied().filter(|d| d % 2 == 0).collect::<Vec<_>>());
        assert_eq!(BitsDocSet::new(Arc::new(Bits::new(0))).doc(), TERMINATED);
    }
}
