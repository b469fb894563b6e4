//! Counting facet values over every match, by term ordinal of the fast fields, for the facets asked for only.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
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
    fn filter_field(self) -> &'static str {
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

/// Counts the values of some facets over every matching document; at most `limit` values per
/// facet, the most frequent first.
#[derive(Clone)]
pub struct FacetCollector {
    pub facets: Vec<Facet>,
    pub limit: usize,
}

pub struct SegmentFacets {
    columns: Vec<Option<StrColumn>>,
    /// For each facet, a count per term ordinal of the segment's dictionary.
    counts: Vec<Vec<u64>>,
}

impl Collector for FacetCollector {
    type Fruit = Vec<(Facet, Vec<FacetValue>)>;
    type Child = SegmentFacets;

    fn for_segment(&self, _: u32, segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let columns =
            self.facets.iter().map(|f| segment.fast_fields().str(f.field())).collect::<tantivy::Result<Vec<_>>>()?;
        let counts = columns.iter().map(|c| vec![0; c.as_ref().map_or(0, |c| c.num_terms())]).collect();
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

impl SegmentCollector for SegmentFacets {
    type Fruit = Vec<HashMap<String, u64>>;

    fn collect(&mut self, doc: DocId, _: Score) {
        for (column, counts) in self.columns.iter().zip(&mut self.counts) {
            if let Some(column) = column {
                for ord in column.term_ords(doc) {
                    counts[ord as usize] += 1;
                }
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.columns
            .iter()
            .zip(self.counts)
            .map(|(column, counts)| {
                let mut out = HashMap::new();
                let Some(column) = column else { return out };
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
}

pub struct SegmentDisjunctive {
    /// For each facet: the column checked by its filter, with the accepted ordinals, and the counts.
    filters: Vec<(Option<StrColumn>, Vec<u64>)>,
    counted: SegmentFacets,
}

impl Collector for DisjunctiveCollector {
    type Fruit = Vec<(Facet, Vec<FacetValue>)>;
    type Child = SegmentDisjunctive;

    fn for_segment(&self, ord: u32, segment: &SegmentReader) -> tantivy::Result<SegmentDisjunctive> {
        let mut filters = Vec::with_capacity(self.facets.len());
        for (facet, values) in &self.facets {
            let column = segment.fast_fields().str(facet.filter_field())?;
            let mut accepted = Vec::new();
            if let Some(column) = &column {
                for value in values {
                    if let Some(ord) = column.dictionary().term_ord(value)? {
                        accepted.push(ord);
                    }
                }
            }
            filters.push((column, accepted));
        }
        let counting = FacetCollector { facets: self.facets.iter().map(|(f, _)| *f).collect(), limit: self.limit };
        Ok(SegmentDisjunctive { filters, counted: counting.for_segment(ord, segment)? })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Vec<HashMap<String, u64>>>) -> tantivy::Result<Self::Fruit> {
        FacetCollector { facets: self.facets.iter().map(|(f, _)| *f).collect(), limit: self.limit }
            .merge_fruits(segments)
    }
}

impl SegmentCollector for SegmentDisjunctive {
    type Fruit = Vec<HashMap<String, u64>>;

    fn collect(&mut self, doc: DocId, _: Score) {
        let mut failed = None;
        for (i, (column, accepted)) in self.filters.iter().enumerate() {
            let passes = column.as_ref().is_some_and(|c| c.term_ords(doc).any(|o| accepted.contains(&o)));
            if !passes {
                if failed.is_some() {
                    return;
                }
                failed = Some(i);
            }
        }
        let counted = &mut self.counted;
        for (i, (column, counts)) in counted.columns.iter().zip(&mut counted.counts).enumerate() {
            if failed.is_some_and(|f| f != i) {
                continue;
            }
            if let Some(column) = column {
                for ord in column.term_ords(doc) {
                    counts[ord as usize] += 1;
                }
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.counted.harvest()
    }
}
