//! Where things are: points and named places (WGS84 degrees), their rules, and distances.

use serde::{Deserialize, Serialize};

use super::draft::Check;

pub use crate::geo::{Point, distance_km};

/// One of an entity's places besides its main point: an establishment, a second site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Place {
    /// What the place is ("Établissement de Rousset"), 1–200 characters.
    pub name: String,
    /// Degrees north of the equator, −90 to 90.
    pub latitude: f64,
    /// Degrees east of Greenwich, −180 to 180.
    pub longitude: f64,
}

impl Place {
    pub fn point(&self) -> Point {
        Point { latitude: self.latitude, longitude: self.longitude }
    }
}

/// Where an entity's point comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Its own, as written in the knowledge base.
    Own,
    /// Its host site's: it has none of its own.
    Site,
    /// The business registry's.
    Registry,
}

/// An entity's point and where it comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub source: Origin,
}

impl Location {
    /// An entity's own point, if it has one.
    pub fn own(latitude: Option<f64>, longitude: Option<f64>, source: Option<entity::LocationSource>) -> Option<Self> {
        let source = match source {
            Some(entity::LocationSource::Registry) => Origin::Registry,
            _ => Origin::Own,
        };
        Some(Location { latitude: latitude?, longitude: longitude?, source })
    }

    /// The same point, as inherited by what it hosts.
    pub fn inherited(self) -> Self {
        Location { source: Origin::Site, ..self }
    }
}

/// An entity's own point, from its columns, if it has one.
pub fn own_point(latitude: Option<f64>, longitude: Option<f64>) -> Option<Point> {
    Some(Point { latitude: latitude?, longitude: longitude? })
}

/// At most this many places per entity.
pub const MAX_PLACES: usize = 100;

/// Checks a point's ranges, naming `field.latitude` or `field.longitude`.
pub fn check_point(check: &mut Check, field: &str, latitude: f64, longitude: f64) {
    if !(-90.0..=90.0).contains(&latitude) {
        check.problem(&format!("{field}.latitude"), format!("must be between -90 and 90, got {latitude}"));
    }
    if !(-180.0..=180.0).contains(&longitude) {
        check.problem(&format!("{field}.longitude"), format!("must be between -180 and 180, got {longitude}"));
    }
}

/// Checks an entity's point and places.
pub fn check_location(check: &mut Check, location: Option<&Point>, places: &[Place]) {
    if let Some(point) = location {
        check_point(check, "location", point.latitude, point.longitude);
    }
    if places.len() > MAX_PLACES {
        check.problem("places", format!("must hold at most {MAX_PLACES} places, got {}", places.len()));
    }
    for (i, place) in places.iter().enumerate() {
        let length = place.name.trim().chars().count();
        if !(1..=200).contains(&length) {
            check.problem(&format!("places[{i}].name"), format!("must be 1–200 characters, got {length}"));
        }
        check_point(check, &format!("places[{i}]"), place.latitude, place.longitude);
    }
}
