//! Points on Earth (WGS84 degrees), distances, and the areas searches and lists filter on: a
//! radius around a point, a map's visible box (which may cross the antimeridian), or polygons
//! as GeoJSON writes them.

use serde::{Deserialize, Serialize};

/// Mean Earth radius (IUGG), in kilometres.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Kilometres per degree of latitude.
const KM_PER_DEGREE: f64 = EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;

/// A radius is at most this long: half the Earth's circumference.
pub const MAX_RADIUS_KM: f64 = 20_000.0;

/// A polygon area holds at most this many positions in all.
pub const MAX_POSITIONS: usize = 10_000;

/// A point on Earth, WGS84 degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Point {
    /// Degrees north of the equator, −90 to 90.
    pub latitude: f64,
    /// Degrees east of Greenwich, −180 to 180.
    pub longitude: f64,
}

impl Point {
    /// Why the point is not on Earth, if it is not.
    pub fn problem(self) -> Option<String> {
        if !(-90.0..=90.0).contains(&self.latitude) {
            return Some(format!("latitude must be between -90 and 90, got {}", self.latitude));
        }
        if !(-180.0..=180.0).contains(&self.longitude) {
            return Some(format!("longitude must be between -180 and 180, got {}", self.longitude));
        }
        None
    }
}

/// Great-circle distance between two points (haversine), in kilometres.
pub fn distance_km(a: Point, b: Point) -> f64 {
    let (la, lb) = (a.latitude.to_radians(), b.latitude.to_radians());
    let (dlat, dlon) = (lb - la, (b.longitude - a.longitude).to_radians());
    let h = (dlat / 2.0).sin().powi(2) + la.cos() * lb.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// One polygon: its outer ring, then its holes; each ring closed (first position = last).
pub type Polygon = Vec<Vec<Point>>;

/// Where results must be.
#[derive(Clone, Debug, PartialEq)]
pub enum Area {
    /// Within `radius_km` of a point (great-circle distance).
    Near { centre: Point, radius_km: f64 },
    /// In a box; `west` greater than `east` is a box across the antimeridian.
    Box { north: f64, south: f64, east: f64, west: f64 },
    /// In one of the polygons (inside the outer ring, outside its holes).
    Polygons(Vec<Polygon>),
}

/// A range of latitudes and the ranges of longitudes (two across the antimeridian), in degrees.
#[derive(Clone, Debug, PartialEq)]
pub struct Bounds {
    pub south: f64,
    pub north: f64,
    pub longitudes: Vec<(f64, f64)>,
}

impl Area {
    /// A radius around a point, checked.
    pub fn near(centre: Point, radius_km: f64) -> Result<Area, String> {
        if let Some(problem) = centre.problem() {
            return Err(problem);
        }
        if !(radius_km > 0.0 && radius_km <= MAX_RADIUS_KM) {
            return Err(format!("radiusKm must be over 0 and at most {MAX_RADIUS_KM}, got {radius_km}"));
        }
        Ok(Area::Near { centre, radius_km })
    }

    /// A box, checked: its south may not be north of its north; a west east of its east is a box
    /// across the antimeridian.
    pub fn boxed(north: f64, south: f64, east: f64, west: f64) -> Result<Area, String> {
        for (name, value, limit) in
            [("north", north, 90.0), ("south", south, 90.0), ("east", east, 180.0), ("west", west, 180.0)]
        {
            if !(-limit..=limit).contains(&value) {
                return Err(format!("{name} must be between -{limit} and {limit}, got {value}"));
            }
        }
        if south > north {
            return Err(format!("south ({south}) must not be north of north ({north})"));
        }
        Ok(Area::Box { north, south, east, west })
    }

    /// Polygons from a GeoJSON geometry (`Polygon` or `MultiPolygon`), checked: positions are
    /// `[longitude, latitude]`, each ring closed with at least four positions.
    pub fn geojson(geometry: &serde_json::Value) -> Result<Area, String> {
        let kind = geometry.get("type").and_then(|t| t.as_str()).unwrap_or_default();
        let coordinates = geometry.get("coordinates").ok_or("a GeoJSON geometry needs \"coordinates\"")?;
        let polygons = match kind {
            "Polygon" => vec![coordinates],
            "MultiPolygon" => {
                coordinates.as_array().ok_or("MultiPolygon coordinates must be an array")?.iter().collect()
            }
            other => return Err(format!("the geometry must be a GeoJSON Polygon or MultiPolygon, got {other:?}")),
        };
        let mut positions = 0;
        let mut out = Vec::with_capacity(polygons.len());
        for polygon in polygons {
            let rings = polygon.as_array().filter(|r| !r.is_empty()).ok_or("a polygon must be an array of rings")?;
            let mut parsed = Vec::with_capacity(rings.len());
            for ring in rings {
                let ring = ring.as_array().ok_or("a ring must be an array of positions")?;
                positions += ring.len();
                if positions > MAX_POSITIONS {
                    return Err(format!("the polygons may hold at most {MAX_POSITIONS} positions"));
                }
                let points = ring.iter().map(position).collect::<Result<Vec<_>, _>>()?;
                if points.len() < 4 || points.first() != points.last() {
                    return Err("each ring must be closed (its last position equal to its first) and hold at least four positions".into());
                }
                parsed.push(points);
            }
            out.push(parsed);
        }
        if out.is_empty() {
            return Err("a MultiPolygon must hold at least one polygon".into());
        }
        Ok(Area::Polygons(out))
    }

    /// The same area, a little wider: by `degrees` on a box's sides, or as many kilometres
    /// (at about 111 km a degree) on a radius; polygons as they are.
    pub fn widened(&self, degrees: f64) -> Area {
        match self {
            Area::Near { centre, radius_km } => {
                Area::Near { centre: *centre, radius_km: radius_km + degrees * KM_PER_DEGREE }
            }
            Area::Box { north, south, east, west } => Area::Box {
                north: (north + degrees).min(90.0),
                south: (south - degrees).max(-90.0),
                east: east + degrees,
                west: west - degrees,
            },
            Area::Polygons(_) => self.clone(),
        }
    }

    /// Whether the point is in the area.
    pub fn contains(&self, point: Point) -> bool {
        match self {
            Area::Near { centre, radius_km } => distance_km(*centre, point) <= *radius_km,
            Area::Box { north, south, east, west } => {
                let longitude = if west <= east {
                    (*west..=*east).contains(&point.longitude)
                } else {
                    point.longitude >= *west || point.longitude <= *east
                };
                longitude && (*south..=*north).contains(&point.latitude)
            }
            Area::Polygons(polygons) => polygons.iter().any(|rings| {
                let mut rings = rings.iter();
                rings.next().is_some_and(|outer| in_ring(outer, point)) && !rings.any(|hole| in_ring(hole, point))
            }),
        }
    }

    /// The point distances are measured from: a radius's centre, or the middle of a box or of
    /// the polygons' bounds.
    pub fn origin(&self) -> Point {
        match self {
            Area::Near { centre, .. } => *centre,
            _ => {
                let bounds = self.bounds();
                let (west, east) = (bounds.longitudes[0].0, bounds.longitudes[bounds.longitudes.len() - 1].1);
                let mut longitude =
                    if bounds.longitudes.len() == 2 { (west + 360.0 + east) / 2.0 } else { (west + east) / 2.0 };
                if longitude > 180.0 {
                    longitude -= 360.0;
                }
                Point { latitude: (bounds.south + bounds.north) / 2.0, longitude }
            }
        }
    }

    /// A box holding the whole area.
    pub fn bounds(&self) -> Bounds {
        match self {
            Area::Near { centre, radius_km } => {
                let dlat = radius_km / KM_PER_DEGREE;
                let (south, north) = ((centre.latitude - dlat).max(-90.0), (centre.latitude + dlat).min(90.0));
                // The widest the circle gets in longitude, at the latitude nearest a pole.
                let widest = south.abs().max(north.abs()).to_radians().cos();
                if north >= 90.0 || south <= -90.0 || widest <= 0.0 {
                    return Bounds { south, north, longitudes: vec![(-180.0, 180.0)] };
                }
                let dlon = radius_km / (KM_PER_DEGREE * widest);
                if dlon >= 180.0 {
                    return Bounds { south, north, longitudes: vec![(-180.0, 180.0)] };
                }
                let (west, east) = (centre.longitude - dlon, centre.longitude + dlon);
                let longitudes = if west < -180.0 {
                    vec![(west + 360.0, 180.0), (-180.0, east)]
                } else if east > 180.0 {
                    vec![(west, 180.0), (-180.0, east - 360.0)]
                } else {
                    vec![(west, east)]
                };
                Bounds { south, north, longitudes }
            }
            Area::Box { north, south, east, west } => {
                let longitudes =
                    if west <= east { vec![(*west, *east)] } else { vec![(*west, 180.0), (-180.0, *east)] };
                Bounds { south: *south, north: *north, longitudes }
            }
            Area::Polygons(polygons) => {
                let points = polygons.iter().flatten().flatten();
                let (mut south, mut north, mut west, mut east) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
                for p in points {
                    south = south.min(p.latitude);
                    north = north.max(p.latitude);
                    west = west.min(p.longitude);
                    east = east.max(p.longitude);
                }
                Bounds { south, north, longitudes: vec![(west, east)] }
            }
        }
    }
}

/// A GeoJSON position, `[longitude, latitude]`, checked.
fn position(value: &serde_json::Value) -> Result<Point, String> {
    let pair = value.as_array().filter(|p| p.len() >= 2).ok_or("a position must be [longitude, latitude]")?;
    let number = |v: &serde_json::Value| v.as_f64().ok_or("a position's coordinates must be numbers");
    let point = Point { longitude: number(&pair[0])?, latitude: number(&pair[1])? };
    match point.problem() {
        Some(problem) => Err(format!("position {value}: {problem}")),
        None => Ok(point),
    }
}

/// Whether a point is inside a closed ring, by the even-odd rule on longitude and latitude as
/// plane coordinates (right for the outlines of communes and regions).
fn in_ring(ring: &[Point], point: Point) -> bool {
    let (x, y) = (point.longitude, point.latitude);
    let mut inside = false;
    for edge in ring.windows(2) {
        let (a, b) = (edge[0], edge[1]);
        if (a.latitude > y) != (b.latitude > y) {
            let crossing = a.longitude + (y - a.latitude) / (b.latitude - a.latitude) * (b.longitude - a.longitude);
            if x < crossing {
                inside = !inside;
            }
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    const AIX: Point = Point { latitude: 43.5297, longitude: 5.4474 };
    const MARSEILLE: Point = Point { latitude: 43.2965, longitude: 5.3698 };
    const PARIS: Point = Point { latitude: 48.8566, longitude: 2.3522 };
    const LYON: Point = Point { latitude: 45.7640, longitude: 4.8357 };

    #[test]
    fn distances_between_known_city_pairs() {
        let pairs = [(AIX, MARSEILLE, 26.7), (PARIS, LYON, 391.5), (PARIS, MARSEILLE, 660.5)];
        for (a, b, expected) in pairs {
            let got = distance_km(a, b);
            assert!((got - expected).abs() < 1.5, "{a:?}–{b:?}: {got} km, expected about {expected}");
            assert!((distance_km(b, a) - got).abs() < 1e-9, "symmetric");
        }
        assert_eq!(distance_km(AIX, AIX), 0.0);
    }

    #[test]
    fn distance_across_the_antimeridian_is_the_short_way() {
        let west = Point { latitude: 0.0, longitude: 179.5 };
        let east = Point { latitude: 0.0, longitude: -179.5 };
        assert!((distance_km(west, east) - 111.2).abs() < 0.5, "{}", distance_km(west, east));
    }

    #[test]
    fn a_radius_holds_what_is_within_it_and_its_bounds_hold_the_radius() {
        let near = Area::near(AIX, 30.0).unwrap();
        assert!(near.contains(MARSEILLE));
        assert!(!Area::near(AIX, 25.0).unwrap().contains(MARSEILLE));
        assert!(!near.contains(LYON));
        // Points on the circle in every direction are inside the bounds.
        for radius in [1.0, 30.0, 500.0, 5_000.0] {
            for centre in [AIX, Point { latitude: 0.0, longitude: 179.9 }, Point { latitude: -70.0, longitude: -179.0 }]
            {
                let bounds = Area::near(centre, radius).unwrap().bounds();
                for step in 0..72 {
                    let bearing = (step as f64 * 5.0).to_radians();
                    let p = destination(centre, radius * 0.999, bearing);
                    assert!(p.latitude >= bounds.south && p.latitude <= bounds.north, "{centre:?} {radius} {p:?}");
                    assert!(
                        bounds.longitudes.iter().any(|(w, e)| p.longitude >= *w && p.longitude <= *e),
                        "{centre:?} {radius} {p:?} {bounds:?}"
                    );
                }
            }
        }
    }

    /// The point `km` away along `bearing` (radians from north).
    fn destination(from: Point, km: f64, bearing: f64) -> Point {
        let d = km / EARTH_RADIUS_KM;
        let (lat, lon) = (from.latitude.to_radians(), from.longitude.to_radians());
        let lat2 = (lat.sin() * d.cos() + lat.cos() * d.sin() * bearing.cos()).asin();
        let lon2 = lon + (bearing.sin() * d.sin() * lat.cos()).atan2(d.cos() - lat.sin() * lat2.sin());
        let mut longitude = lon2.to_degrees();
        if longitude > 180.0 {
            longitude -= 360.0;
        } else if longitude < -180.0 {
            longitude += 360.0;
        }
        Point { latitude: lat2.to_degrees(), longitude }
    }

    #[test]
    fn boxes_include_their_edges_and_may_cross_the_antimeridian() {
        let provence = Area::boxed(43.6, 43.2, 5.5, 5.3).unwrap();
        assert!(provence.contains(AIX) && provence.contains(MARSEILLE));
        assert!(provence.contains(Point { latitude: 43.6, longitude: 5.5 }), "edges are inside");
        assert!(!provence.contains(Point { latitude: 43.6001, longitude: 5.4 }));
        let pacific = Area::boxed(10.0, -10.0, -170.0, 170.0).unwrap();
        assert!(pacific.contains(Point { latitude: 0.0, longitude: 179.0 }));
        assert!(pacific.contains(Point { latitude: 0.0, longitude: -175.0 }));
        assert!(!pacific.contains(Point { latitude: 0.0, longitude: 0.0 }));
        assert_eq!(pacific.bounds().longitudes, vec![(170.0, 180.0), (-180.0, -170.0)]);
        assert!((pacific.origin().longitude.abs() - 180.0).abs() < 1e-9, "{:?}", pacific.origin());
        assert!(Area::boxed(43.0, 44.0, 5.5, 5.3).unwrap_err().contains("south"));
        assert!(Area::boxed(91.0, 44.0, 5.5, 5.3).unwrap_err().contains("north"));
    }

    #[test]
    fn polygons_hold_their_inside_not_their_holes() {
        let square = |w: f64, s: f64, e: f64, n: f64| serde_json::json!([[w, s], [e, s], [e, n], [w, n], [w, s]]);
        let geometry = serde_json::json!({"type": "Polygon", "coordinates": [square(5.0, 43.0, 6.0, 44.0), square(5.4, 43.5, 5.5, 43.6)]});
        let area = Area::geojson(&geometry).unwrap();
        assert!(area.contains(MARSEILLE));
        assert!(!area.contains(AIX), "Aix is in the hole");
        assert!(!area.contains(LYON));
        let open = serde_json::json!({"type": "Polygon", "coordinates": [[[5.0, 43.0], [6.0, 43.0], [6.0, 44.0], [5.0, 44.0]]]});
        assert!(Area::geojson(&open).unwrap_err().contains("closed"));
        let point = serde_json::json!({"type": "Point", "coordinates": [5.0, 43.0]});
        assert!(Area::geojson(&point).unwrap_err().contains("Polygon"));
        let outside = serde_json::json!({"type": "Polygon", "coordinates": [[[5.0, 93.0], [6.0, 43.0], [6.0, 44.0], [5.0, 93.0]]]});
        assert!(Area::geojson(&outside).unwrap_err().contains("latitude"));
    }

    #[test]
    fn bad_radii_are_refused() {
        for radius in [0.0, -1.0, 20_001.0, f64::NAN] {
            assert!(Area::near(AIX, radius).unwrap_err().contains("radiusKm"), "{radius}");
        }
        assert!(Area::near(Point { latitude: 91.0, longitude: 0.0 }, 1.0).unwrap_err().contains("latitude"));
    }
}
