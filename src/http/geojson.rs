//! `GET /geojson`: the companies, organisations or events of a list as a GeoJSON
//! `FeatureCollection` (RFC 7946), for a map client to show as it comes.
//!
//! It runs the GraphQL list of its kind (`companies`, `organisations`, `events`) page after page
//! with the same `filter`, `near` and `within`, so that it takes exactly their filters, checks
//! and limits; `bbox` is a map's visible box as Leaflet and MapLibre write it.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};
use serde_json::{Map, Value, json};

use super::endpoint::{RequestErrors, admitted, bearer_token, cached, enter, request_id, transport_status};
use super::{Serving, error_response};
use crate::error::ErrorCode;
use crate::graphql::limits::OperationInfo;
use crate::graphql::{self, AppSchema};

/// Features in a collection when `limit` is not given.
const DEFAULT_LIMIT: usize = 1_000;
/// At most this many features in a collection; the lists' place filters hold as many.
const MAX_LIMIT: usize = 10_000;
/// Entities read a page.
const PAGE: usize = 100;
/// At most this many entities read for one collection, with a point or not.
const MAX_READ: usize = MAX_LIMIT;

/// The kinds on a map, each with the GraphQL document that reads a page of them.
#[derive(Clone, Copy, Debug, PartialEq)]
enum MapKind {
    Company,
    Organisation,
    Event,
}

impl MapKind {
    fn parse(kind: Option<&str>) -> Result<Self, String> {
        match kind.unwrap_or("company") {
            "company" => Ok(MapKind::Company),
            "organisation" => Ok(MapKind::Organisation),
            "event" => Ok(MapKind::Event),
            other => Err(format!("unknown kind {other:?}: give company, organisation or event")),
        }
    }

    fn name(self) -> &'static str {
        match self {
            MapKind::Company => "company",
            MapKind::Organisation => "organisation",
            MapKind::Event => "event",
        }
    }

    /// A page of the list, with what its features show.
    fn document(self) -> &'static str {
        match self {
            MapKind::Company => {
                "query GeoJson($filter: CompanyFilter, $near: NearInput, $within: WithinInput, $first: Int, $after: String) {
                   list: companies(filter: $filter, near: $near, within: $within, first: $first, after: $after) {
                     nodes { slug name stage website location { latitude longitude } places { name latitude longitude } }
                     pageInfo { hasNextPage endCursor } } }"
            }
            MapKind::Organisation => {
                "query GeoJson($filter: OrganisationFilter, $near: NearInput, $within: WithinInput, $first: Int, $after: String) {
                   list: organisations(filter: $filter, near: $near, within: $within, first: $first, after: $after) {
                     nodes { slug name organisationKind: kind website location { latitude longitude } places { name latitude longitude } }
                     pageInfo { hasNextPage endCursor } } }"
            }
            MapKind::Event => {
                "query GeoJson($filter: EventFilter, $near: NearInput, $within: WithinInput, $first: Int, $after: String) {
                   list: events(filter: $filter, near: $near, within: $within, first: $first, after: $after) {
                     nodes { slug name date website location { latitude longitude } }
                     pageInfo { hasNextPage endCursor } } }"
            }
        }
    }
}

/// What a map asks for, read from the query string.
#[derive(Debug, PartialEq)]
struct MapRequest {
    kind: MapKind,
    /// The list's variables but the page: `filter`, `near`, `within`.
    variables: Map<String, Value>,
    limit: usize,
}

impl MapRequest {
    fn parse(query: &str) -> Result<Self, String> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Params {
            kind: Option<String>,
            filter: Option<String>,
            near: Option<String>,
            within: Option<String>,
            bbox: Option<String>,
            limit: Option<String>,
        }
        let params: Params =
            serde_urlencoded::from_str(query).map_err(|err| format!("unreadable query string: {err}"))?;
        let json = |name: &str, text: &str| {
            serde_json::from_str::<Value>(text).map_err(|err| format!("`{name}` is not JSON: {err}"))
        };
        let mut variables = Map::new();
        for (name, text) in [("filter", &params.filter), ("near", &params.near), ("within", &params.within)] {
            if let Some(text) = text {
                variables.insert(name.to_string(), json(name, text)?);
            }
        }
        if let Some(bbox) = &params.bbox {
            if params.within.is_some() {
                return Err("give `bbox` or `within`, not both".into());
            }
            variables.insert("within".into(), bbox_within(bbox)?);
        }
        let limit = match &params.limit {
            None => DEFAULT_LIMIT,
            Some(text) => match text.parse::<usize>() {
                Ok(limit @ 1..=MAX_LIMIT) => limit,
                _ => return Err(format!("`limit` must be a whole number from 1 to {MAX_LIMIT}, got {text:?}")),
            },
        };
        Ok(MapRequest { kind: MapKind::parse(params.kind.as_deref())?, variables, limit })
    }
}

/// `west,south,east,north` in degrees (Leaflet's `toBBoxString()`) as the lists' `within`.
fn bbox_within(bbox: &str) -> Result<Value, String> {
    let numbers: Vec<f64> = bbox
        .split(',')
        .map(|n| n.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("`bbox` must be four numbers, west,south,east,north, got {bbox:?}"))?;
    let [west, south, east, north] = numbers[..] else {
        return Err(format!("`bbox` must be four numbers, west,south,east,north, got {bbox:?}"));
    };
    Ok(json!({"north": north, "south": south, "east": east, "west": west}))
}

/// A GeoJSON position: longitude first.
fn position(point: &Value) -> Option<Value> {
    Some(json!([point.get("longitude")?.as_f64()?, point.get("latitude")?.as_f64()?]))
}

/// One entity of the list as a feature: a `Point` at its location, or a `MultiPoint` when it has
/// other places (named in `places`, in the same order); `None` when it has no point at all.
fn feature(kind: MapKind, node: &Value) -> Option<Value> {
    let main = node.get("location").and_then(position);
    let places = node.get("places").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let mut properties = Map::new();
    properties.insert("kind".into(), kind.name().into());
    for field in ["slug", "name", "stage", "organisationKind", "date"] {
        if let Some(value) = node.get(field) {
            properties.insert(field.into(), value.clone());
        }
    }
    properties.insert("url".into(), node.get("website").cloned().unwrap_or(Value::Null));
    let geometry = if places.is_empty() {
        json!({"type": "Point", "coordinates": main?})
    } else {
        let names = main.iter().map(|_| Value::Null).chain(places.iter().map(|p| p["name"].clone()));
        properties.insert("places".into(), names.collect());
        let coordinates: Vec<Value> = main.into_iter().chain(places.iter().filter_map(position)).collect();
        json!({"type": "MultiPoint", "coordinates": coordinates})
    };
    Some(json!({"type": "Feature", "id": node.get("slug"), "geometry": geometry, "properties": properties}))
}

/// The map of a list; see the module's documentation. The answer is cacheable, as GET answers
/// to `/graphql` are; `truncated` says the list holds more than `limit` features, or more than
/// 10,000 entities to read (most without a point): narrow it with `bbox`, `near` or `filter`.
#[handler]
pub(super) async fn geojson_endpoint(
    req: &Request,
    schema: Data<&AppSchema>,
    serving: Data<&Arc<Serving>>,
) -> Response {
    let map = match MapRequest::parse(req.uri().query().unwrap_or_default()) {
        Ok(map) => map,
        Err(message) => return error_response(ErrorCode::BadRequest, &message),
    };
    let token = bearer_token(req);
    let slot = match enter(req, &serving, token.as_deref()).await {
        Ok(slot) => slot,
        Err(answer) => return answer,
    };
    let request_id = request_id(req);
    let deadline = tokio::time::Instant::now() + serving.request_timeout;
    let mut features = Vec::new();
    let mut truncated = false;
    let pages = async {
        let (mut after, mut read) = (Value::Null, 0);
        loop {
            let mut variables = map.variables.clone();
            variables.insert("first".into(), PAGE.min(map.limit - features.len()).into());
            variables.insert("after".into(), after);
            let request = async_graphql::Request::new(map.kind.document())
                .variables(async_graphql::Variables::from_json(Value::Object(variables)))
                .data(graphql::loader(&serving.kb))
                .data(Arc::new(OperationInfo::default()))
                .data(graphql::ReadOnlyRequest);
            let response = schema.execute(request).await;
            if !response.errors.is_empty() {
                return response;
            }
            let list = response.data.into_json().unwrap_or_default()["list"].take();
            let nodes = list["nodes"].as_array().map(Vec::as_slice).unwrap_or_default();
            features.extend(nodes.iter().filter_map(|node| feature(map.kind, node)));
            read += nodes.len();
            let more = list["pageInfo"]["hasNextPage"].as_bool().unwrap_or(false);
            if !more || nodes.is_empty() {
                return async_graphql::Response::new(async_graphql::Value::Null);
            }
            if features.len() >= map.limit || read >= MAX_READ {
                truncated = true;
                return async_graphql::Response::new(async_graphql::Value::Null);
            }
            after = list["pageInfo"]["endCursor"].clone();
        }
    };
    let response = admitted(&serving, slot, deadline, &request_id, pages).await;
    if !response.errors.is_empty() {
        let status = transport_status(&response).map_or(StatusCode::BAD_REQUEST, |(status, _)| status);
        let body = serde_json::to_string(&RequestErrors { errors: &response.errors }).unwrap_or_default();
        return Response::builder().status(status).content_type("application/json; charset=utf-8").body(body);
    }
    features.truncate(map.limit);
    let collection = json!({"type": "FeatureCollection", "features": features, "truncated": truncated});
    let http = Response::builder().content_type("application/geo+json");
    cached(req, http, collection.to_string(), serving.cache_max_age)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bbox_is_west_south_east_north() {
        let map = MapRequest::parse("bbox=5.2,43.4,5.6,43.6&limit=50").unwrap();
        assert_eq!(map.variables["within"], json!({"north": 43.6, "south": 43.4, "east": 5.6, "west": 5.2}));
        assert_eq!((map.kind, map.limit), (MapKind::Company, 50));
    }

    #[test]
    fn bad_parameters_are_named() {
        for (query, named) in [
            ("kind=person", "unknown kind"),
            ("bbox=1,2,3", "`bbox`"),
            ("bbox=1,2,3,4&within={}", "not both"),
            ("filter={stage", "`filter` is not JSON"),
            ("limit=0", "`limit`"),
            ("limit=10001", "`limit`"),
            ("colour=red", "unreadable query string"),
        ] {
            let err = MapRequest::parse(query).unwrap_err();
            assert!(err.contains(named), "{query}: {err}");
        }
    }

    #[test]
    fn a_feature_is_at_its_location_and_its_other_places() {
        let node = json!({"slug": "a", "name": "A", "stage": "STARTUP", "website": null,
            "location": {"latitude": 43.5, "longitude": 5.3}, "places": []});
        let f = feature(MapKind::Company, &node).unwrap();
        assert_eq!(f["geometry"], json!({"type": "Point", "coordinates": [5.3, 43.5]}));
        assert_eq!(f["properties"]["kind"], "company");
        assert_eq!(f["properties"]["stage"], "STARTUP");

        let node = json!({"slug": "b", "name": "B", "location": null,
            "places": [{"name": "Rousset", "latitude": 43.48, "longitude": 5.62}]});
        let f = feature(MapKind::Organisation, &node).unwrap();
        assert_eq!(f["geometry"], json!({"type": "MultiPoint", "coordinates": [[5.62, 43.48]]}));
        assert_eq!(f["properties"]["places"], json!(["Rousset"]));

        assert_eq!(feature(MapKind::Event, &json!({"slug": "c", "name": "C", "location": null})), None);
    }
}
