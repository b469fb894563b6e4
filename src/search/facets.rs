//! Counting facet values over every match, by term ordinal of the fast fields, for the facets asked for only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, SegmentReader};

/// One value of a facet and how many matches have it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacetValue {
    /// The value, e.g. `ENERGY` or `Marseille`.
    pub value: String,
    /// How many matches have it.
    pub count: u64,
}

/// Counts over every match of a search, not only the page shown. A facet's counts ignore the
/// filter on that same facet (so the other values stay visible), and only the facets selected
/// in the query are computed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facets {
    /// Matches by entity kind (COMPANY, TECHNOLOGY, PROGRAMME, ORGANISATION, PERSON, EVENT), ignoring `kinds`.
    pub kind: Vec<FacetValue>,
    /// Matches by technology domain, ignoring `filter.domain`.
    pub domain: Vec<FacetValue>,
    /// Matches by company stage, ignoring `filter.stage`.
    pub stage: Vec<FacetValue>,
    /// Matches by programme kind, ignoring `filter.programmeKind`.
    pub programme_kind: Vec<FacetValue>,
    /// Matches by city, ignoring `filter.city`.
    pub city: Vec<FacetValue>,
}

/// The facets of [`Facets`], in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Facet {
    Kind,
    Domain,
    Stage,
    ProgrammeKind,
    City,
}

impl Facet {
    pub const ALL: [Facet; 5] = [Facet::Kind, Facet::Domain, Facet::Stage, Facet::ProgrammeKind, Facet::City];

    /// The fast field a filter on this facet is checked against (cities are compared folded).
    pub(super) fn filter_field(self) -> &'static str {
        match self {
            Facet::City => "city_key",
            other => other.field(),
        }
    }

    /// The fast field counted.
    fn field(self) -> &'static str {
        match self {
            Facet::Kind => "kind",
            Facet::Domain => "domain",
            Facet::Stage => "stage",
            Facet::ProgrammeKind => "programme_kind",
            Facet::City => "city",
        }
    }

    /// Stores a facet's values in its place.
    pub fn set(self, facets: &mut Facets, values: Vec<FacetValue>) {
        let slot = match self {
            Facet::Kind => &mut facets.kind,
            Facet::Domain => &mut facets.domain,
            Facet::Stage => &mut facets.stage,
            Facet::ProgrammeKind => &mut facets.programme_kind,
            Facet::City => &mut facets.city,
        };
        *slot = values;
    }
}

/// A facet's term ordinals for each document of a segment, read once from its fast field, as
/// small as they fit: counting then reads one or two compact arrays, mostly from the processor's
/// cache, instead of the column's index and bit-packed values.
enum Ordinals {
    /// At most one value per document: its ordinal, or `u16::MAX` for none.
    One(Vec<u16>),
    /// Document `d`'s ordinals are `ords[starts[d]..starts[d + 1]]`.
    Many { starts: Vec<u32>, ords: Vec<u16> },
    /// Too many values for 16 bits: read from the column.
    Column,
}

impl Ordinals {
    fn read(column: &StrColumn, max_doc: DocId) -> Ordinals {
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
    fn bytes(&self) -> usize {
        match self {
            Ordinals::One(one) => one.capacity() * size_of::<u16>(),
            Ordinals::Many { starts, ords } => {
                starts.capacity() * size_of::<u32>() + ords.capacity() * size_of::<u16>()
            }
            Ordinals::Column => 0,
        }
    }

    /// Calls `f` with each of `doc`'s ordinals.
    fn each(&self, column: &StrColumn, doc: DocId, mut f: impl FnMut(usize)) {
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

/// A filter on a fast field, checked against a segment's ordinals: whether a document has one of
/// the accepted values.
pub(super) struct Accepting {
    column: StrColumn,
    ordinals: Arc<Ordinals>,
    /// The term ordinals of the accepted values the column holds.
    accepted: Vec<usize>,
}

impl Accepting {
    pub fn accepts(&self, doc: DocId) -> bool {
        let mut passes = false;
        self.ordinals.each(&self.column, doc, |ord| passes |= self.accepted.contains(&ord));
        passes
    }
}

/// A segment's fast field, with its ordinals.
type FastField = (StrColumn, Arc<Ordinals>);

/// The facets' ordinals of the segments searched lately, kept by the search index: a segment
/// never changes once written, so they are read once per segment (2 bytes per document and
/// facet, 4 more for a facet with several values per document).
#[derive(Default)]
pub struct FacetOrdinals(Mutex<HashMap<(SegmentId, &'static str), Arc<Ordinals>>>);

impl FacetOrdinals {
    /// The memory the ordinals kept hold, in bytes (`/health` and `/metrics` show it).
    pub fn bytes(&self) -> u64 {
        self.0.lock().expect("facet ordinals lock").values().map(|o| o.bytes() as u64).sum()
    }

    /// A fast field's ordinals, with its column.
    fn get(&self, field: &'static str, segment: &SegmentReader) -> tantivy::Result<Option<FastField>> {
        let Some(column) = segment.fast_fields().str(field)? else { return Ok(None) };
        let key = (segment.segment_id(), field);
        if let Some(ordinals) = self.0.lock().expect("facet ordinals lock").get(&key) {
            return Ok(Some((column, ordinals.clone())));
        }
        let ordinals = Arc::new(Ordinals::read(&column, segment.max_doc()));
        let ordinals = self.0.lock().expect("facet ordinals lock").entry(key).or_insert(ordinals).clone();
        Ok(Some((column, ordinals)))
    }

    /// The filter accepting the documents with one of `values` in the fast field `field`, read
    /// from its ordinals (kept, as the facets' are); none when the segment has no such field.
    pub(super) fn filter(
        &self,
        field: &'static str,
        values: &[String],
        segment: &SegmentReader,
    ) -> tantivy::Result<Option<Accepting>> {
        let Some((column, ordinals)) = self.get(field, segment)? else { return Ok(None) };
        let mut accepted = Vec::with_capacity(values.len());
        for value in values {
            if let Some(ord) = column.dictionary().term_ord(value)? {
                accepted.push(ord as usize);
            }
        }
        Ok(Some(Accepting { column, ordinals, accepted }))
    }

    /// Forgets the segments no longer searched (merged away).
    pub fn keep_only(&self, segments: &[SegmentId]) {
        self.0.lock().expect("facet ordinals lock").retain(|(segment, _), _| segments.contains(segment));
    }
}

/// Counts the values of some facets over every matching document; at most `limit` values per
/// facet, the most frequent first.
#[derive(Clone)]
pub struct FacetCollector {
    pub facets: Vec<Facet>,
    pub limit: usize,
    pub ordinals: Arc<FacetOrdinals>,
}

pub struct SegmentFacets {
    /// For each facet, its column (to name the values) and each document's ordinals.
    columns: Vec<Option<FastField>>,
    /// For each facet, a count per term ordinal of the segment's dictionary.
    counts: Vec<Vec<u64>>,
}

impl Collector for FacetCollector {
    type Fruit = Vec<(Facet, Vec<FacetValue>)>;
    type Child = SegmentFacets;

    fn for_segment(&self, _: u32, segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let columns =
            self.facets.iter().map(|f| self.ordinals.get(f.field(), segment)).collect::<tantivy::Result<Vec<_>>>()?;
        let counts = columns.iter().map(|c| vec![0; c.as_ref().map_or(0, |(c, _)| c.num_terms())]).collect();
        Ok(SegmentFacets { counts, columns })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Vec<HashMap<String, u64>>>) -> tantivy::Result<Self::Fruit> {
        let mut merged: Vec<HashMap<String, u64>> = vec![HashMap::new(); self.facets.len()];
        for segment in segments {
            for (total, counts) in merged.iter_mut().zip(segment) {
                for (value, n) in counts {
                    *total.entry(value).or_default() += n;
                }
            }
        }
        Ok(self
            .facets
            .iter()
            .zip(merged)
            .map(|(facet, counts)| {
                let mut list: Vec<FacetValue> =
                    counts.into_iter().map(|(value, count)| FacetValue { value, count }).collect();
                list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
                list.truncate(self.limit);
                (*facet, list)
            })
            .collect())
    }
}

impl SegmentFacets {
    /// Counts `doc`'s values of every facet, or of the facet at index `only`.
    fn count(&mut self, doc: DocId, only: Option<usize>) {
        for (i, (column, counts)) in self.columns.iter().zip(&mut self.counts).enumerate() {
            if only.is_some_and(|only| only != i) {
                continue;
            }
            if let Some((column, ordinals)) = column {
                ordinals.each(column, doc, |ord| counts[ord] += 1);
            }
        }
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = Vec<HashMap<String, u64>>;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.count(doc, None);
    }

    fn harvest(self) -> Self::Fruit {
        self.columns
            .iter()
            .zip(self.counts)
            .map(|(column, counts)| {
                let mut out = HashMap::new();
                let Some((column, _)) = column else { return out };
                for (ord, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                    let mut value = String::new();
                    if column.ord_to_str(ord as u64, &mut value).unwrap_or(false) {
                        out.insert(value, n);
                    }
                }
                out
            })
            .collect()
    }
}

/// Counts facets whose own filter is set, in one pass over the matches of every other filter: a
/// match that passes all these filters counts for each facet, one that fails exactly one counts
/// for that facet only (its counts ignore its own filter).
pub struct DisjunctiveCollector {
    /// Each facet with the values its filter accepts, as stored in its filter field.
    pub facets: Vec<(Facet, Vec<String>)>,
    pub limit: usize,
    pub ordinals: Arc<FacetOrdinals>,
}

impl DisjunctiveCollector {
    fn counting(&self) -> FacetCollector {
        FacetCollector {
            facets: self.facets.iter().map(|(f, _)| *f).collect(),
            limit: self.limit,
            ordinals: self.ordinals.clone(),
        }
    }
}

pub struct SegmentDisjunctive {
    /// For each facet, its filter (none when the segment has no such field: nothing passes).
    filters: Vec<Option<Accepting>>,
    counted: SegmentFacets,
}

impl Collector for DisjunctiveCollector {
    type Fruit = Vec<(Facet, Vec<FacetValue>)>;
    type Child = SegmentDisjunctive;

    fn for_segment(&self, ord: u32, segment: &SegmentReader) -> tantivy::Result<SegmentDisjunctive> {
        let mut filters = Vec::with_capacity(self.facets.len());
        for (facet, values) in &self.facets {
            filters.push(self.ordinals.filter(facet.filter_field(), values, segment)?);
        }
        Ok(SegmentDisjunctive { filters, counted: self.counting().for_segment(ord, segment)? })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Vec<HashMap<String, u64>>>) -> tantivy::Result<Self::Fruit> {
        self.counting().merge_fruits(segments)
    }
}

impl SegmentCollector for SegmentDisjunctive {
    type Fruit = Vec<HashMap<String, u64>>;

    fn collect(&mut self, doc: DocId, _: Score) {
        let mut failed = None;
        for (i, filter) in self.filters.iter().enumerate() {
            if !filter.as_ref().is_some_and(|f| f.accepts(doc)) {
                if failed.is_some() {
                    return;
                }
                failed = Some(i);
            }
        }
        self.counted.count(doc, failed);
    }

    fn harvest(self) -> Self::Fruit {
        self.counted.harvest()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::schema::{FAST, IndexRecordOption, STRING, Schema};
    use tantivy::{DocSet, Index, TantivyDocument};

    use super::*;

    /// Each document's ordinals, kept in the smallest form that holds them, are the column's:
    /// one value or none per document, several, and too many distinct values for 16 bits. A
    /// filter checked against them keeps the documents its values' postings hold.
    #[test]
    fn ordinals_are_the_columns_in_each_form() {
        let mut schema = Schema::builder();
        let field = schema.add_text_field("f", STRING | FAST);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 50_000_000).unwrap();
        type Values = fn(u32) -> Vec<String>;
        let cases: [(&str, u32, Values); 3] = [
            ("one", 1_000, |i| if i % 3 == 0 { vec![] } else { vec![format!("v{}", i % 7)] }),
            ("many", 1_000, |i| (0..i % 4).map(|k| format!("v{}", (i + k) % 11)).collect()),
            ("column", 70_000, |i| vec![format!("v{i}")]),
        ];
        for (expected, n, values) in cases {
            writer.delete_all_documents().unwrap();
            for i in 0..n {
                let mut doc = TantivyDocument::default();
                for value in values(i) {
                    doc.add_text(field, value);
                }
                writer.add_document(doc).unwrap();
            }
            writer.commit().unwrap();
            let searcher = index.reader().unwrap().searcher();
            let segment = searcher.segment_reader(0);
            let column = segment.fast_fields().str("f").unwrap().unwrap();
            let ordinals = Ordinals::read(&column, segment.max_doc());
            let form = match &ordinals {
                Ordinals::One(_) => "one",
                Ordinals::Many { .. } => "many",
                Ordinals::Column => "column",
            };
            assert_eq!(form, expected);
            let mut held = 0;
            for doc in 0..segment.max_doc() {
                let mut read = Vec::new();
                ordinals.each(&column, doc, |ord| read.push(ord as u64));
                assert_eq!(read, column.term_ords(doc).collect::<Vec<_>>(), "document {doc} ({form})");
                held += read.len();
            }
            // Their memory: 2 bytes a document, or 4 a document and 2 a value (grown by doubling).
            let docs = segment.max_doc() as usize;
            let (least, most) = match form {
                "one" => (2 * docs, 2 * docs),
                "many" => (4 * (docs + 1) + 2 * held, 4 * (docs + 1) + 4 * held.max(docs)),
                _ => (0, 0),
            };
            assert!((least..=most).contains(&ordinals.bytes()), "{form}: {} bytes", ordinals.bytes());
            // A filter checked against them accepts the documents its values' postings hold.
            let values = ["v1", "v5", "v69998", "absent"].map(String::from);
            let kept = FacetOrdinals::default();
            let filter = kept.filter("f", &values, segment).unwrap().unwrap();
            assert_eq!(kept.bytes(), ordinals.bytes() as u64, "{form}: what is kept is counted");
            let index = segment.inverted_index(field).unwrap();
            let mut expected = Vec::new();
            for value in &values {
                let term = tantivy::Term::from_field_text(field, value);
                if let Some(mut postings) = index.read_postings(&term, IndexRecordOption::Basic).unwrap() {
                    while postings.doc() != tantivy::TERMINATED {
                        expected.push(postings.doc());
                        postings.advance();
                    }
                }
            }
            expected.sort_unstable();
            expected.dedup();
            let accepted: Vec<DocId> = (0..segment.max_doc()).filter(|&d| filter.accepts(d)).collect();
            assert!(!accepted.is_empty(), "{form}");
            assert_eq!(accepted, expected, "{form}");
        }
    }
}
