//! The facets' ordinals of a segment's documents, read once from the fast fields and kept: what
//! facet counts and fast-field filters read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;
use tantivy::{DocId, SegmentReader};

use super::bits::Bits;

/// A facet's term ordinals for each document of a segment, read once from its fast field, as
/// small as they fit: counting then reads one or two compact arrays, mostly from the processor's
/// cache, instead of the column's index and bit-packed values.
pub(super) enum Ordinals {
    /// At most one value per document: its ordinal, or `u16::MAX` for none.
    One(Vec<u16>),
    /// Document `d`'s ordinals are `ords[starts[d]..starts[d + 1]]`.
    Many { starts: Vec<u32>, ords: Vec<u16> },
    /// Too many values for 16 bits: read from the column.
    Column,
}

impl Ordinals {
    pub(super) fn read(column: &StrColumn, max_doc: DocId) -> Ordinals {
        if column.num_terms() >= usize::from(u16::MAX) {
            return Ordinals::Column;
        }
        let mut starts = Vec::with_capacity(max_doc as usize + 1);
        let mut ords = Vec::with_capacity(max_doc as usize);
        starts.push(0);
        for doc in 0..max_doc {
            ords.extend(column.term_ords(doc).map(|o| o as u16));
            starts.push(ords.len() as u32);
        }
        if starts.windows(2).all(|w| w[1] - w[0] <= 1) {
            let one = starts.windows(2).map(|w| if w[1] > w[0] { ords[w[0] as usize] } else { u16::MAX }).collect();
            return Ordinals::One(one);
        }
        Ordinals::Many { starts, ords }
    }

    /// The memory its arrays hold, in bytes.
    pub(super) fn bytes(&self) -> usize {
        match self {
            Ordinals::One(one) => one.capacity() * size_of::<u16>(),
            Ordinals::Many { starts, ords } => {
                starts.capacity() * size_of::<u32>() + ords.capacity() * size_of::<u16>()
            }
            Ordinals::Column => 0,
        }
    }

    /// Calls `f` with each of `doc`'s ordinals.
    pub(super) fn each(&self, column: &StrColumn, doc: DocId, mut f: impl FnMut(usize)) {
        match self {
            Ordinals::One(one) => {
                let ord = one[doc as usize];
                if ord != u16::MAX {
                    f(usize::from(ord));
                }
            }
            Ordinals::Many { starts, ords } => {
                for &ord in &ords[starts[doc as usize] as usize..starts[doc as usize + 1] as usize] {
                    f(usize::from(ord));
                }
            }
            Ordinals::Column => column.term_ords(doc).for_each(|ord| f(ord as usize)),
        }
    }
}

/// The documents of each value of a facet in a segment, by term ordinal, for counting many
/// matches at once: a value's count is then the size of its documents' intersection with the
/// matches' set, read in order. A value held by more than one document in 32 has a set of its
/// own (a bit per document of the segment), any other a sorted list (4 bytes per document
/// holding it): no value takes more memory than the smaller of the two.
pub(super) struct ValueDocs {
    pub(super) values: Vec<Docs>,
    /// What counting every value reads: the sets' words and the lists' documents.
    pub(super) cost: u64,
}

pub(super) enum Docs {
    Set(Bits),
    List(Vec<DocId>),
}

impl ValueDocs {
    pub(super) fn read(ordinals: &Ordinals, column: &StrColumn, max_doc: DocId) -> ValueDocs {
        let mut lists = vec![Vec::new(); column.num_terms()];
        for doc in 0..max_doc {
            ordinals.each(column, doc, |ord| lists[ord].push(doc));
        }
        let values: Vec<Docs> = lists
            .into_iter()
            .map(|list| {
                if list.len() * 32 <= max_doc as usize {
                    return Docs::List(list);
                }
                let mut set = Bits::new(max_doc);
                list.into_iter().for_each(|doc| set.insert(doc));
                Docs::Set(set)
            })
            .collect();
        let cost = values
            .iter()
            .map(|docs| match docs {
                Docs::Set(set) => set.words() as u64,
                Docs::List(list) => list.len() as u64,
            })
            .sum();
        ValueDocs { values, cost }
    }

    pub(super) fn bytes(&self) -> usize {
        self.values
            .iter()
            .map(|docs| match docs {
                Docs::Set(set) => set.bytes(),
                Docs::List(list) => list.capacity() * size_of::<DocId>(),
            })
            .sum()
    }

    /// Adds to `counts` how many documents of `matches` (a set of the segment) hold each value.
    pub(super) fn count(&self, matches: &Bits, counts: &mut [u64]) {
        for (docs, count) in self.values.iter().zip(counts) {
            *count += match docs {
                Docs::Set(set) => set.intersection_len(matches),
                Docs::List(list) => list.iter().filter(|&&doc| matches.contains(doc)).count() as u64,
            };
        }
    }
}

/// What is kept of a fast field of a segment: its ordinals, and its values' documents once a
/// count has needed them.
pub(super) struct Kept {
    pub(super) ordinals: Ordinals,
    pub(super) values: OnceLock<Option<ValueDocs>>,
}

impl Kept {
    /// The values' documents; none for a column with too many values to keep ordinals of.
    pub(super) fn values(&self, column: &StrColumn, max_doc: DocId) -> Option<&ValueDocs> {
        let read = || match self.ordinals {
            Ordinals::Column => None,
            _ => Some(ValueDocs::read(&self.ordinals, column, max_doc)),
        };
        self.values.get_or_init(read).as_ref()
    }

    pub(super) fn bytes(&self) -> usize {
        self.ordinals.bytes() + self.values.get().and_then(Option::as_ref).map_or(0, ValueDocs::bytes)
    }
}

/// A filter on a fast field, checked against a segment's ordinals: whether a document has one of
/// the accepted values.
pub(super) struct Accepting {
    pub(super) column: StrColumn,
    pub(super) kept: Arc<Kept>,
    /// The term ordinals of the accepted values the column holds.
    pub(super) accepted: Vec<usize>,
}

impl Accepting {
    pub fn accepts(&self, doc: DocId) -> bool {
        let mut passes = false;
        self.kept.ordinals.each(&self.column, doc, |ord| passes |= self.accepted.contains(&ord));
        passes
    }

    /// The documents of the segment it accepts, as a set, from its values' documents; none for
    /// a column with too many values to keep ordinals of.
    pub(super) fn set(&self, max_doc: DocId) -> Option<Bits> {
        let values = self.kept.values(&self.column, max_doc)?;
        let mut set = Bits::new(max_doc);
        for &ord in &self.accepted {
            match &values.values[ord] {
                Docs::Set(docs) => set.union(docs),
                Docs::List(docs) => docs.iter().for_each(|&doc| set.insert(doc)),
            }
        }
        Some(set)
    }
}

/// A segment's fast field, with what is kept of it.
pub(super) type FastField = (StrColumn, Arc<Kept>);

/// The facets' ordinals of the segments searched lately, kept by the search index: a segment
/// never changes once written, so they are read once per segment (2 bytes per document and
/// facet, 4 more for a facet with several values per document), and so are its values'
/// documents once a count needs them (at most a bit per document and value, or 4 bytes per
/// document holding it).
#[derive(Default)]
pub struct FacetOrdinals(Mutex<HashMap<(SegmentId, &'static str), Arc<Kept>>>);

impl FacetOrdinals {
    /// The memory the ordinals and values' documents kept hold, in bytes (`/health` and
    /// `/metrics` show it).
    pub fn bytes(&self) -> u64 {
        self.0.lock().expect("facet ordinals lock").values().map(|o| o.bytes() as u64).sum()
    }

    /// A fast field's ordinals, with its column.
    pub(super) fn get(&self, field: &'static str, segment: &SegmentReader) -> tantivy::Result<Option<FastField>> {
        let Some(column) = segment.fast_fields().str(field)? else { return Ok(None) };
        let key = (segment.segment_id(), field);
        if let Some(kept) = self.0.lock().expect("facet ordinals lock").get(&key) {
            return Ok(Some((column, kept.clone())));
        }
        let kept = Arc::new(Kept { ordinals: Ordinals::read(&column, segment.max_doc()), values: OnceLock::new() });
        let kept = self.0.lock().expect("facet ordinals lock").entry(key).or_insert(kept).clone();
        Ok(Some((column, kept)))
    }

    /// The filter accepting the documents with one of `values` in the fast field `field`, read
    /// from its ordinals (kept, as the facets' are); none when the segment has no such field.
    pub(super) fn filter(
        &self,
        field: &'static str,
        values: &[String],
        segment: &SegmentReader,
    ) -> tantivy::Result<Option<Accepting>> {
        let Some((column, kept)) = self.get(field, segment)? else { return Ok(None) };
        let mut accepted = Vec::with_capacity(values.len());
        for value in values {
            if let Some(ord) = column.dictionary().term_ord(value)? {
                accepted.push(ord as usize);
            }
        }
        Ok(Some(Accepting { column, kept, accepted }))
    }

    /// Forgets the segments no longer searched (merged away).
    pub fn keep_only(&self, segments: &[SegmentId]) {
        self.0.lock().expect("facet ordinals lock").retain(|(segment, _), _| segments.contains(segment));
    }
}
