//! The place arguments of searches and lists: `near` (a radius around a point) and `within` (a
//! map's visible box, or GeoJSON polygons), checked into one [`Area`].

use async_graphql::{InputObject, Json, SimpleObject};

use crate::error::AppError;
use crate::geo::{Area, Point};

/// A radius around a point.
#[derive(Clone, Debug, InputObject)]
pub struct NearInput {
    /// Degrees north of the equator, −90 to 90.
    pub latitude: f64,
    /// Degrees east of Greenwich, −180 to 180.
    pub longitude: f64,
    /// The radius, in kilometres: over 0, at most 20,000.
    pub radius_km: f64,
}

/// An area: a box (`north`, `south`, `east`, `west`, all four) or `polygon`, not both.
#[derive(Clone, Debug, InputObject)]
pub struct WithinInput {
    /// The box's northern edge, in degrees of latitude.
    pub north: Option<f64>,
    /// The box's southern edge, in degrees of latitude; not north of `north`.
    pub south: Option<f64>,
    /// The box's eastern edge, in degrees of longitude.
    pub east: Option<f64>,
    /// The box's western edge, in degrees of longitude; east of `east` for a box across the
    /// antimeridian.
    pub west: Option<f64>,
    /// A GeoJSON `Polygon` or `MultiPolygon` geometry (positions `[longitude, latitude]`, rings
    /// closed), such as a commune's outline; at most 10,000 positions.
    pub polygon: Option<Json<serde_json::Value>>,
}

/// The area `near` and `within` describe, checked: give at most one of them.
pub fn area(near: Option<NearInput>, within: Option<WithinInput>) -> Result<Option<Area>, AppError> {
    match (near, within) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(AppError::invalid("within", "give `near` or `within`, not both")),
        (Some(near), None) => {
            let centre = Point { latitude: near.latitude, longitude: near.longitude };
            Area::near(centre, near.radius_km).map(Some).map_err(|m| AppError::invalid("near", m))
        }
        (None, Some(within)) => {
            let bad = |m: String| AppError::invalid("within", m);
            match (within.north, within.south, within.east, within.west, within.polygon) {
                (None, None, None, None, Some(polygon)) => Area::geojson(&polygon.0).map(Some).map_err(bad),
                (Some(north), Some(south), Some(east), Some(west), None) => {
                    Area::boxed(north, south, east, west).map(Some).map_err(bad)
                }
                _ => Err(bad("give either all of north, south, east and west, or polygon".into())),
            }
        }
    }
}

/// The place of a result that matched an area.
#[derive(Clone, Debug, SimpleObject)]
pub struct MatchedPlace {
    /// The name of the other place that matched (an establishment, a second site); `null` when
    /// it is the entity's main point.
    pub name: Option<String>,
    /// Degrees north of the equator.
    pub latitude: f64,
    /// Degrees east of Greenwich.
    pub longitude: f64,
}
