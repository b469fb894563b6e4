//! Places in the index: each point of an entity (its main point and its other places) is a value
//! of a multi-valued fast field, and the cells holding it, at three sizes, are terms. An area's
//! matches are the documents of the cells covering it (read from their postings, so the cost
//! follows the area, not the index), each checked against the area on its points; results are
//! ordered by distance to the area's origin by [`NearestFirst`].

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::schema::Field;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use super::schema::fast;
use crate::geo::{Area, Bounds, Point, distance_km};

/// Cell sizes, in degrees, finest first.
const CELL_DEGREES: [f64; 3] = [0.1, 1.0, 10.0];

/// An area is covered with the finest cells that take at most this many.
const MAX_COVER: usize = 128;

/// Steps of the packed coordinates: about 5 mm.
const STEPS: f64 = u32::MAX as f64;

/// A point as one fast-field value: latitude in the high 32 bits, longitude in the low ones.
pub(super) fn encode(p: Point) -> u64 {
    let latitude = ((p.latitude + 90.0) / 180.0 * STEPS).round() as u64;
    let longitude = ((p.longitude + 180.0) / 360.0 * STEPS).round() as u64;
    (latitude << 32) | longitude
}

pub(super) fn decode(value: u64) -> Point {
    let latitude = (value >> 32) as f64 / STEPS * 180.0 - 90.0;
    let longitude = (value & u64::from(u32::MAX)) as f64 / STEPS * 360.0 - 180.0;
    Point { latitude, longitude }
}

fn cell(level: usize, latitude: f64, longitude: f64) -> (i64, i64) {
    let size = CELL_DEGREES[level];
    (((latitude + 90.0) / size).floor() as i64, ((longitude + 180.0) / size).floor() as i64)
}

fn cell_term(level: usize, (row, column): (i64, i64)) -> String {
    format!("{level}/{row}/{column}")
}

/// The terms of the cells holding a point, one per size.
pub(super) fn cells(p: Point) -> impl Iterator<Item = String> {
    (0..CELL_DEGREES.len()).map(move |level| cell_term(level, cell(level, p.latitude, p.longitude)))
}

/// The terms of the cells covering a box: the finest size that takes at most [`MAX_COVER`]
/// cells (the coarsest otherwise: 19 × 37 for the whole Earth, its edges included).
fn cover(bounds: &Bounds) -> Vec<String> {
    let level =
        (0..CELL_DEGREES.len()).find(|&level| cover_size(level, bounds) <= MAX_COVER).unwrap_or(CELL_DEGREES.len() - 1);
    cells_in(level, bounds).map(|c| cell_term(level, c)).collect()
}

/// How many cells of a size cover a box, without listing them.
fn cover_size(level: usize, bounds: &Bounds) -> usize {
    let rows = cell(level, bounds.north, 0.0).0 - cell(level, bounds.south, 0.0).0 + 1;
    let columns: i64 =
        bounds.longitudes.iter().map(|&(west, east)| cell(level, 0.0, east).1 - cell(level, 0.0, west).1 + 1).sum();
    (rows.max(0) * columns.max(0)) as usize
}

fn cells_in(level: usize, bounds: &Bounds) -> impl Iterator<Item = (i64, i64)> + '_ {
    let (south, _) = cell(level, bounds.south, 0.0);
    let (north, _) = cell(level, bounds.north, 0.0);
    bounds.longitudes.iter().flat_map(move |&(west, east)| {
        let (_, west) = cell(level, 0.0, west);
        let (_, east) = cell(level, 0.0, east);
        (south..=north).flat_map(move |row| (west..=east).map(move |column| (row, column)))
    })
}

/// A search's area, with the cells covering it.
#[derive(Clone, Debug)]
pub(super) struct AreaFilter {
    /// The area, widened by the packing's precision: a point on its edge stays on it.
    pub area: Area,
    /// The field of the cells' terms.
    pub cell_field: Field,
    pub cells: Vec<String>,
}

impl AreaFilter {
    pub fn new(area: Area, cell_field: Field) -> Self {
        let cells = cover(&area.bounds());
        AreaFilter { area: tolerant(&area), cell_field, cells }
    }
}

/// An area as the index's points are checked against it: wider by their precision, about 5 mm.
pub(super) fn tolerant(area: &Area) -> Area {
    area.widened(1e-7)
}

/// A segment's points, read from their fast field (absent from a segment without any).
pub(super) struct Points(Option<Column<u64>>);

impl Points {
    pub fn open(reader: &SegmentReader) -> tantivy::Result<Points> {
        Ok(Points(reader.fast_fields().column_opt(fast::POINT)?))
    }

    fn of(&self, doc: DocId) -> impl Iterator<Item = Point> + '_ {
        self.0.iter().flat_map(move |column| column.values_for_doc(doc)).map(decode)
    }

    /// Whether one of the document's points is in the area.
    pub fn any_in(&self, doc: DocId, area: &Area) -> bool {
        self.of(doc).any(|p| area.contains(p))
    }

    /// The document's point nearest `origin` among those in `area` (any of them without one),
    /// and its distance.
    pub fn nearest(&self, doc: DocId, origin: Point, area: Option<&Area>) -> Option<(Point, f64)> {
        self.of(doc)
            .filter(|p| area.is_none_or(|a| a.contains(*p)))
            .map(|p| (p, distance_km(origin, p)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// The first `offset + limit` matches nearest an origin, ties by score (best first), then by
/// address; a match without a point comes last.
pub(super) struct NearestFirst {
    pub origin: Point,
    pub area: Option<Area>,
    pub offset: usize,
    pub limit: usize,
}

/// A match ranked by its distance.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ranked {
    distance: f64,
    score: Score,
    address: DocAddress,
}

impl Ranked {
    fn order(&self, other: &Self) -> Ordering {
        self.distance
            .total_cmp(&other.distance)
            .then_with(|| other.score.total_cmp(&self.score))
            .then_with(|| self.address.cmp(&other.address))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.order(other) == Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.order(other)
    }
}

pub(super) struct NearestFirstSegment {
    points: Points,
    origin: Point,
    area: Option<Area>,
    segment: SegmentOrdinal,
    keep: usize,
    /// The nearest so far, the farthest on top.
    heap: BinaryHeap<Ranked>,
}

impl Collector for NearestFirst {
    type Fruit = Vec<(Score, DocAddress)>;
    type Child = NearestFirstSegment;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<NearestFirstSegment> {
        Ok(NearestFirstSegment {
            points: Points::open(reader)?,
            origin: self.origin,
            area: self.area.as_ref().map(tolerant),
            segment,
            keep: self.offset + self.limit,
            heap: BinaryHeap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, segments: Vec<Vec<Ranked>>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<Ranked> = segments.into_iter().flatten().collect();
        all.sort_unstable();
        Ok(all.into_iter().skip(self.offset).take(self.limit).map(|r| (r.score, r.address)).collect())
    }
}

impl SegmentCollector for NearestFirstSegment {
    type Fruit = Vec<Ranked>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let distance =
            self.points.nearest(doc, self.origin, self.area.as_ref()).map_or(f64::INFINITY, |(_, distance)| distance);
        let ranked = Ranked { distance, score, address: DocAddress::new(self.segment, doc) };
        if self.heap.len() < self.keep {
            self.heap.push(ranked);
        } else if let Some(mut worst) = self.heap.peek_mut()
            && ranked < *worst
        {
            *worst = ranked;
        }
    }

    fn harvest(self) -> Vec<Ranked> {
        self.heap.into_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_point_is_within_a_centimetre_of_itself() {
        for p in [(43.5297, 5.4474), (-90.0, -180.0), (90.0, 180.0), (0.0, 0.0), (-33.8688, 151.2093)] {
            let point = Point { latitude: p.0, longitude: p.1 };
            let back = decode(encode(point));
            assert!(distance_km(point, back) < 1e-5, "{point:?} {back:?}");
        }
    }

    #[test]
    fn an_area_is_covered_by_the_cells_of_its_points() {
        let aix = Point { latitude: 43.5297, longitude: 5.4474 };
        for (area, inside) in [
            (Area::near(aix, 20.0).unwrap(), Point { latitude: 43.45, longitude: 5.3 }),
            (Area::near(aix, 2_000.0).unwrap(), Point { latitude: 50.0, longitude: 14.0 }),
            (Area::boxed(10.0, -10.0, -170.0, 170.0).unwrap(), Point { latitude: 1.0, longitude: -179.99 }),
            (Area::boxed(90.0, -90.0, 180.0, -180.0).unwrap(), Point { latitude: -89.0, longitude: 179.0 }),
        ] {
            assert!(area.contains(inside));
            let filter = AreaFilter::new(area, Field::from_field_id(0));
            assert!(filter.cells.len() <= 703, "{}", filter.cells.len());
            assert!(cells(inside).any(|c| filter.cells.contains(&c)), "{filter:?} {inside:?}");
        }
        // A 20 km radius takes a few cells of the finest size.
        let near = AreaFilter::new(Area::near(aix, 20.0).unwrap(), Field::from_field_id(0));
        assert!(near.cells.iter().all(|c| c.starts_with("0/")) && near.cells.len() <= 30, "{:?}", near.cells);
    }
}
