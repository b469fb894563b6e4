//! Counting facet values over every match, by term ordinal of the fast fields, for the facets asked for only.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::Weight;
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

use super::bits::Bits;
use super::matches::MatchScorer;
use super::ordinals::{Accepting, FacetOrdinals, FastField};
use super::schema::fast;

/// Looking up one match's values costs about as much as reading this many words (64 documents
/// each) of the values' sets, or this many documents of their lists: the lookups jump about
/// arrays of megabytes, the sets are read in order (see [`ValueDocs`](super::ordinals::ValueDocs)).
const LOOKUP_COST: u64 = 8;

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
            Facet::City => fast::CITY_KEY,
            other => other.field(),
        }
    }

    /// The fast field counted.
    fn field(self) -> &'static str {
        match self {
            Facet::Kind => fast::KIND,
            Facet::Domain => fast::DOMAIN,
            Facet::Stage => fast::STAGE,
            Facet::ProgrammeKind => fast::PROGRAMME_KIND,
            Facet::City => fast::CITY,
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

/// Collects a segment's matches: a search's ([`MatchScorer`]) at once from their set and how
/// many they are, with `set`; any other query's one document at a time.
fn collect_matches<C: SegmentCollector>(
    collector: &mut C,
    weight: &dyn Weight,
    segment: &SegmentReader,
    set: impl FnOnce(&mut C, &Bits, u32),
) -> tantivy::Result<()> {
    let mut scorer = weight.scorer(segment, 1.0)?;
    let alive = segment.alive_bitset();
    match (scorer.downcast_ref::<MatchScorer>(), alive) {
        (Some(matches), None) => {
            let (docs, len) = matches.set();
            set(collector, docs, len);
        }
        (Some(matches), Some(alive)) => {
            // The set holds the segment's deleted documents too: counted without them.
            let mut living = Bits::clone(matches.set().0);
            living.retain(|doc| alive.is_alive(doc));
            let len = living.len() as u32;
            set(collector, &living, len);
        }
        (None, _) => {
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                if alive.is_none_or(|alive| alive.is_alive(doc)) {
                    collector.collect(doc, 0.0);
                }
                doc = scorer.advance();
            }
        }
    }
    Ok(())
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
    max_doc: DocId,
}

impl Collector for FacetCollector {
    type Fruit = Vec<(Facet, Vec<FacetValue>)>;
    type Child = SegmentFacets;

    fn for_segment(&self, _: u32, segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let columns =
            self.facets.iter().map(|f| self.ordinals.get(f.field(), segment)).collect::<tantivy::Result<Vec<_>>>()?;
        let counts = columns.iter().map(|c| vec![0; c.as_ref().map_or(0, |(c, _)| c.num_terms())]).collect();
        Ok(SegmentFacets { counts, columns, max_doc: segment.max_doc() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    /// Each facet is counted from its values' documents when that reads less than looking up
    /// each match's values.
    fn collect_segment(
        &self,
        weight: &dyn Weight,
        ord: u32,
        segment: &SegmentReader,
    ) -> tantivy::Result<Vec<HashMap<String, u64>>> {
        let mut counted = self.for_segment(ord, segment)?;
        collect_matches(&mut counted, weight, segment, |c, set, len| c.count_set(set, len, LOOKUP_COST, None))?;
        Ok(counted.harvest())
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
    /// Counts the `len` documents of a set of the segment, for every facet or for the facet at
    /// index `only`: each facet from its values' documents, or by looking up each document's
    /// values when that costs less, a lookup costing `lookup` words of the values' sets.
    fn count_set(&mut self, set: &Bits, len: u32, lookup: u64, only: Option<usize>) {
        for (i, (column, counts)) in self.columns.iter().zip(&mut self.counts).enumerate() {
            if only.is_some_and(|only| only != i) {
                continue;
            }
            let Some((column, kept)) = column else { continue };
            // Too few matches to read even the set's words once: the values' documents are
            // not read.
            let lookups = u64::from(len).saturating_mul(lookup);
            let values = (lookups > set.words() as u64).then(|| kept.values(column, self.max_doc)).flatten();
            match values {
                Some(values) if values.cost < lookups => values.count(set, counts),
                _ => set.each(|doc| kept.ordinals.each(column, doc, |ord| counts[ord] += 1)),
            }
        }
    }

    /// Counts `doc`'s values of every facet, or of the facet at index `only`.
    fn count(&mut self, doc: DocId, only: Option<usize>) {
        for (i, (column, counts)) in self.columns.iter().zip(&mut self.counts).enumerate() {
            if only.is_some_and(|only| only != i) {
                continue;
            }
            if let Some((column, kept)) = column {
                kept.ordinals.each(column, doc, |ord| counts[ord] += 1);
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

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        ord: u32,
        segment: &SegmentReader,
    ) -> tantivy::Result<Vec<HashMap<String, u64>>> {
        let mut counted = self.for_segment(ord, segment)?;
        collect_matches(&mut counted, weight, segment, SegmentDisjunctive::count_set)?;
        Ok(counted.harvest())
    }

    fn merge_fruits(&self, segments: Vec<Vec<HashMap<String, u64>>>) -> tantivy::Result<Self::Fruit> {
        self.counting().merge_fruits(segments)
    }
}

impl SegmentDisjunctive {
    /// Counts the `len` documents of a set of the segment. When they are many, each facet is
    /// counted over the matches that pass every other filter: the set intersected with those
    /// filters' accepted documents, read as sets; otherwise one document at a time.
    fn count_set(&mut self, set: &Bits, len: u32) {
        let max_doc = self.counted.max_doc;
        let sets_cost = (set.words() * self.filters.len() * self.filters.len()) as u64;
        let accepted: Option<Vec<Bits>> = (sets_cost < u64::from(len) * LOOKUP_COST)
            .then(|| {
                let none = || Some(Bits::new(max_doc));
                self.filters.iter().map(|filter| filter.as_ref().map_or_else(none, |f| f.set(max_doc))).collect()
            })
            .flatten();
        let Some(accepted) = accepted else {
            set.each(|doc| self.collect(doc, 0.0));
            return;
        };
        for i in 0..accepted.len() {
            let mut passing = Bits::clone(set);
            for (_, other) in accepted.iter().enumerate().filter(|(j, _)| *j != i) {
                passing.intersect(other);
            }
            let len = passing.len() as u32;
            self.counted.count_set(&passing, len, LOOKUP_COST, Some(i));
        }
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
    use crate::search::ordinals::{Docs, Ordinals};

    /// The searcher of an index whose documents are replaced by `n` documents, document `i`
    /// with `values(i)` in `field`.
    fn rewritten(
        index: &Index,
        writer: &mut tantivy::IndexWriter,
        field: tantivy::schema::Field,
        n: u32,
        values: fn(u32) -> Vec<String>,
    ) -> tantivy::Searcher {
        writer.delete_all_documents().unwrap();
        for i in 0..n {
            let mut doc = TantivyDocument::default();
            for value in values(i) {
                doc.add_text(field, value);
            }
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        index.reader().unwrap().searcher()
    }

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
            let searcher = rewritten(&index, &mut writer, field, n, values);
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

    /// A set of matches counts the same whether each match's values are looked up or each
    /// value's documents are intersected with the set, for values held by many documents (a
    /// set of their own) and by few (a list), one or several per document.
    #[test]
    fn a_set_of_matches_counts_the_same_from_its_values_documents() {
        let mut schema = Schema::builder();
        let field = schema.add_text_field("f", STRING | FAST);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 50_000_000).unwrap();
        type Values = fn(u32) -> Vec<String>;
        let cases: [(&str, Values); 2] = [
            ("one", |i| match i {
                _ if i % 50 == 0 => vec![format!("rare{}", i % 3)],
                _ if i % 9 == 4 => vec![],
                _ => vec![format!("v{}", i % 7)],
            }),
            ("many", |i| {
                let mut values: Vec<String> = (0..i % 4).map(|k| format!("v{}", (i + k) % 11)).collect();
                if i % 64 == 1 {
                    values.push("rare".into());
                }
                values
            }),
        ];
        for (form, values) in cases {
            let searcher = rewritten(&index, &mut writer, field, 3_000, values);
            let segment = searcher.segment_reader(0);
            let max_doc = segment.max_doc();
            let mut set = Bits::new(max_doc);
            let matches: Vec<DocId> = (0..max_doc).filter(|d| d % 5 != 1 && d % 128 < 100).collect();
            matches.iter().for_each(|&doc| set.insert(doc));
            let kept = FacetOrdinals::default();
            let counted = |how: &dyn Fn(&mut SegmentFacets)| {
                let column = kept.get("f", segment).unwrap();
                let terms = column.as_ref().unwrap().0.num_terms();
                let mut facets = SegmentFacets { columns: vec![column], counts: vec![vec![0; terms]], max_doc };
                how(&mut facets);
                facets.counts.remove(0)
            };
            let looked_up = counted(&|f| f.count_set(&set, matches.len() as u32, 0, None));
            let one_by_one = counted(&|f| matches.iter().for_each(|&doc| f.count(doc, None)));
            let before = kept.bytes();
            let intersected = counted(&|f| f.count_set(&set, matches.len() as u32, u64::MAX, None));
            assert_eq!(looked_up, one_by_one, "{form}");
            assert_eq!(intersected, one_by_one, "{form}");
            assert!(one_by_one.iter().all(|&n| n > 0), "{form}: every value is counted: {one_by_one:?}");
            let (column, kept_field) = kept.get("f", segment).unwrap().unwrap();
            let values = kept_field.values(&column, max_doc).unwrap();
            let sets = values.values.iter().filter(|d| matches!(d, Docs::Set(_))).count();
            assert!(
                sets > 0 && sets < values.values.len(),
                "{form}: {sets} of {} values have sets",
                values.values.len()
            );
            assert_eq!(kept.bytes(), before + values.bytes() as u64, "{form}: the values' documents are counted");
        }
    }

    /// Facets filtered on, each counted without its own filter, count the same from the
    /// filters' accepted documents as sets as one match at a time.
    #[test]
    fn facets_filtered_on_count_the_same_from_sets() {
        let mut schema = Schema::builder();
        let (f, g) = (schema.add_text_field("f", STRING | FAST), schema.add_text_field("g", STRING | FAST));
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 50_000_000).unwrap();
        for i in 0..3_000u32 {
            let mut doc = TantivyDocument::default();
            doc.add_text(f, format!("f{}", i % 5));
            for k in 0..i % 3 {
                doc.add_text(g, format!("g{}", (i + k) % 7));
            }
            if i % 97 == 0 {
                doc.add_text(g, "rare");
            }
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let segment = searcher.segment_reader(0);
        let max_doc = segment.max_doc();
        let mut set = Bits::new(max_doc);
        let matches: Vec<DocId> = (0..max_doc).filter(|d| d % 4 != 1).collect();
        matches.iter().for_each(|&doc| set.insert(doc));
        let kept = FacetOrdinals::default();
        let disjunctive = || {
            let filters = vec![
                kept.filter("f", &["f1".into(), "f3".into()], segment).unwrap(),
                kept.filter("g", &["g2".into(), "rare".into()], segment).unwrap(),
            ];
            let columns = vec![kept.get("f", segment).unwrap(), kept.get("g", segment).unwrap()];
            let counts = columns.iter().map(|c| vec![0; c.as_ref().unwrap().0.num_terms()]).collect();
            SegmentDisjunctive { filters, counted: SegmentFacets { columns, counts, max_doc } }
        };
        let mut one_by_one = disjunctive();
        matches.iter().for_each(|&doc| one_by_one.collect(doc, 0.0));
        let mut from_sets = disjunctive();
        from_sets.count_set(&set, matches.len() as u32);
        assert_eq!(from_sets.counted.counts, one_by_one.counted.counts);
        // Each facet ignores its own filter: every value of `f` is counted.
        assert!(one_by_one.counted.counts[0].iter().all(|&n| n > 0), "{:?}", one_by_one.counted.counts);
        let (_, read) = kept.get("g", segment).unwrap().unwrap();
        assert!(read.values.get().is_some_and(Option::is_some), "the filters were read as sets");
    }
}
