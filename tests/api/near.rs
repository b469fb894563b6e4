//! "Near here": searches and lists filtered by a radius, a map's box or polygons, ordered by
//! distance, with the place that matched; partners within a distance.

use serde_json::{Value, json};

use crate::helpers::{TestApp, run_browser_check, spawn_app};

const AIX: (f64, f64) = (43.5297, 5.4474);

const SEARCH: &str = "query($q: String!, $near: NearInput, $within: WithinInput, $order: SearchOrder) {
    search(query: $q, kinds: [COMPANY], near: $near, within: $within, orderBy: $order, first: 50) {
        totalCount facets { city { value count } }
        edges { distanceKm place { name latitude longitude } node { ... on Company { slug } } }
    }
}";

/// A park around Aix-en-Provence, and two companies on either side of the antimeridian.
async fn park() -> TestApp {
    let app = spawn_app().await;
    let organisation = "mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) { slug } }";
    let arbois = json!({"slug": "arbois", "name": "Technopôle de l'Arbois", "kind": "TECHNOPOLE", "lang": "fr",
        "city": "Aix-en-Provence", "location": {"latitude": 43.4866, "longitude": 5.3963}});
    app.mutate_ok(organisation, json!({"input": arbois})).await;
    let solar =
        "mutation { createTechnology(input: {slug: \"solar\", name: \"Solar\", domain: ENERGY, lang: en}) { id } }";
    app.mutate_ok(solar, json!({})).await;
    let company = "mutation($input: CreateCompanyInput!) { createCompany(input: $input) { slug } }";
    let placed = |slug: &str, name: &str, city: &str, at: Option<(f64, f64)>, description: &str| {
        let location = at.map(|(latitude, longitude)| json!({"latitude": latitude, "longitude": longitude}));
        json!({"slug": slug, "name": name, "stage": "SME", "lang": "fr", "city": city,
            "description": description, "location": location, "technologies": ["solar"]})
    };
    let companies = [
        placed("aix-solaire", "Aix Solaire", "Aix-en-Provence", Some(AIX), "Panneaux solaires"),
        placed("marseille-solaire", "Phocée Énergie", "Marseille", Some((43.2965, 5.3698)), "Énergie solaire"),
        placed("lyon-solaire", "Rhône Énergie", "Lyon", Some((45.764, 4.8357)), "Énergie solaire"),
        // Two at the same point: relevance breaks the tie.
        placed("twin-name", "Solaire Jumeau", "Gardanne", Some((43.4546, 5.4694)), "Bureau d'études"),
        placed("twin-text", "Jumeau Études", "Gardanne", Some((43.4546, 5.4694)), "Études, solaire"),
        placed("fiji", "Fiji Solar", "Suva", Some((-18.1248, 178.4501)), "Solar farms"),
        placed("samoa", "Samoa Solar", "Apia", Some((-13.8333, -171.7667)), "Solar farms"),
    ];
    for mut input in companies {
        // A large group far away, for partners within a distance.
        if input["slug"] == "lyon-solaire" {
            input["stage"] = json!("LARGE_GROUP");
        }
        app.mutate_ok(company, json!({"input": input})).await;
    }
    // At its host site, and one placed far away with an establishment near Aix.
    let hosted = json!({"slug": "hosted", "name": "Capteurs de l'Arbois", "stage": "STARTUP", "lang": "fr",
        "site": "arbois", "description": "Capteurs solaires"});
    app.mutate_ok(company, json!({"input": hosted})).await;
    let multi = json!({"slug": "multi", "name": "Multisite", "stage": "LARGE_GROUP", "lang": "fr", "city": "Paris", "technologies": ["solar"],
        "location": {"latitude": 48.8566, "longitude": 2.3522},
        "places": [{"name": "Établissement de Rousset", "latitude": 43.4833, "longitude": 5.6167}]});
    app.mutate_ok(company, json!({"input": multi})).await;
    app
}

fn near(km: f64) -> Value {
    json!({"latitude": AIX.0, "longitude": AIX.1, "radiusKm": km})
}

fn slugs(data: &Value) -> Vec<String> {
    let edges = data["search"]["edges"].as_array().unwrap_or_else(|| panic!("edges in {data}"));
    edges.iter().map(|e| e["node"]["slug"].as_str().expect("a slug").to_string()).collect()
}

fn distances(data: &Value) -> Vec<f64> {
    data["search"]["edges"].as_array().expect("edges").iter().map(|e| e["distanceKm"].as_f64().expect("km")).collect()
}

#[tokio::test]
async fn an_area_without_words_lists_everything_in_it_nearest_first() {
    let app = park().await;

    let data = app.data(SEARCH, json!({"q": "", "near": near(30.0)})).await;

    // The two at one point tie (no words to rank them by): either order.
    let mut found = slugs(&data);
    found[2..4].sort();
    assert_eq!(found, ["aix-solaire", "hosted", "twin-name", "twin-text", "multi", "marseille-solaire"], "{data}");
    let km = distances(&data);
    assert_eq!(km[0], 0.0);
    assert!(km.windows(2).all(|w| w[0] <= w[1]), "nearest first: {km:?}");
    assert!((km[5] - 26.7).abs() < 1.0, "Aix–Marseille ≈ 27 km: {km:?}");
    assert_eq!(data["search"]["totalCount"], 6, "the total counts what the area keeps");
    let cities = &data["search"]["facets"]["city"];
    assert!(cities.as_array().unwrap().iter().all(|c| c["value"] != "Lyon"), "{cities}");
    // The company placed at Paris matched through its establishment, which the edge names.
    let multi = &data["search"]["edges"][4];
    assert_eq!(multi["place"]["name"], "Établissement de Rousset", "{multi}");
    assert_eq!(data["search"]["edges"][0]["place"]["name"], Value::Null, "its main point");

    // A smaller radius leaves Marseille out; the company at its site is where the site is.
    let data = app.data(SEARCH, json!({"q": "", "near": near(10.0)})).await;
    let mut found = slugs(&data);
    found[2..4].sort();
    assert_eq!(found, ["aix-solaire", "hosted", "twin-name", "twin-text"], "{data}");
    let hosted = &data["search"]["edges"][1]["place"];
    assert_eq!(hosted["name"], Value::Null, "{hosted}");
    let (latitude, longitude) = (hosted["latitude"].as_f64().unwrap(), hosted["longitude"].as_f64().unwrap());
    assert!((latitude - 43.4866).abs() < 1e-6 && (longitude - 5.3963).abs() < 1e-6, "at its site: {hosted}");
}

#[tokio::test]
async fn words_near_a_point_rank_by_relevance_or_by_distance_with_ties_by_relevance() {
    let app = park().await;

    let by_relevance = app.data(SEARCH, json!({"q": "solaire", "near": near(30.0)})).await;
    let by_distance = app.data(SEARCH, json!({"q": "solaire", "near": near(30.0), "order": "DISTANCE"})).await;
    let everywhere = app.data(SEARCH, json!({"q": "solaire"})).await;

    let mut nearby = slugs(&by_relevance);
    assert!(!nearby.contains(&"lyon-solaire".to_string()) && nearby.len() == 5, "{by_relevance}");
    assert!(slugs(&everywhere).contains(&"lyon-solaire".to_string()), "{everywhere}");
    assert_eq!(everywhere["search"]["edges"][0]["distanceKm"], Value::Null, "no area, no distance");
    // The same matches, nearest first; the two at one point by relevance (the name first).
    assert_eq!(slugs(&by_distance), ["aix-solaire", "hosted", "twin-name", "twin-text", "marseille-solaire"]);
    nearby.sort();
    let mut same = slugs(&by_distance);
    same.sort();
    assert_eq!(nearby, same);
}

#[tokio::test]
async fn boxes_keep_their_edges_cross_the_antimeridian_and_polygons_are_geojson() {
    let app = park().await;
    let within = |w: Value| app.data(SEARCH, json!({"q": "", "within": w, "order": "DISTANCE"}));

    // A box whose northern edge is Aix's latitude, whose eastern edge is Aix's longitude.
    let edge = within(json!({"north": AIX.0, "south": 43.2, "east": AIX.1, "west": 5.3})).await;
    let mut found = slugs(&edge);
    found.sort();
    assert_eq!(found, ["aix-solaire", "hosted", "marseille-solaire"], "{edge}");
    let pacific = within(json!({"north": -10.0, "south": -20.0, "east": -170.0, "west": 170.0})).await;
    let mut found = slugs(&pacific);
    found.sort();
    assert_eq!(found, ["fiji", "samoa"], "{pacific}");
    let not_across = within(json!({"north": -10.0, "south": -20.0, "east": 170.0, "west": -170.0})).await;
    assert_eq!(slugs(&not_across), Vec::<String>::new(), "{not_across}");

    // Marseille's square, with Aix's point as a hole in a second polygon.
    let square = |w: f64, s: f64, e: f64, n: f64| json!([[w, s], [e, s], [e, n], [w, n], [w, s]]);
    let polygon = json!({"type": "MultiPolygon", "coordinates": [
        [square(5.2, 43.2, 5.45, 43.35)],
        [square(5.4, 43.5, 5.5, 43.6), square(5.44, 43.52, 5.45, 43.53)],
    ]});
    let data = within(json!({"polygon": polygon})).await;
    assert_eq!(slugs(&data), ["marseille-solaire"], "{data}");
}

#[tokio::test]
async fn bad_places_are_refused_naming_the_argument() {
    let app = park().await;
    let refused = |variables: Value| async {
        let response = app.graphql(SEARCH, variables).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{response}");
        let problem = &response["errors"][0]["extensions"]["problems"][0];
        (problem["path"].as_str().unwrap_or_default().to_string(), problem["message"].to_string())
    };
    let point =
        |latitude: f64, longitude: f64, km: f64| json!({"latitude": latitude, "longitude": longitude, "radiusKm": km});

    for (variables, path, says) in [
        (json!({"q": "", "near": point(90.5, 0.0, 1.0)}), "near", "latitude"),
        (json!({"q": "", "near": point(0.0, -181.0, 1.0)}), "near", "longitude"),
        (json!({"q": "", "near": point(0.0, 0.0, 0.0)}), "near", "radiusKm"),
        (json!({"q": "", "near": point(0.0, 0.0, 20_001.0)}), "near", "radiusKm"),
        (json!({"q": "", "within": {"north": 43.0, "south": 44.0, "east": 6.0, "west": 5.0}}), "within", "south"),
        (json!({"q": "", "within": {"north": 43.0, "south": 42.0}}), "within", "all of north"),
        (json!({"q": "", "within": {"polygon": {"type": "Point", "coordinates": [5.0, 43.0]}}}), "within", "Polygon"),
        (
            json!({"q": "", "near": near(1.0), "within": {"north": 43.0, "south": 42.0, "east": 6.0, "west": 5.0}}),
            "within",
            "not both",
        ),
        (json!({"q": "solaire", "order": "DISTANCE"}), "orderBy", "near"),
    ] {
        let (got_path, message) = refused(variables.clone()).await;
        assert_eq!(got_path, path, "{variables}: {message}");
        assert!(message.contains(says), "{variables}: {message}");
    }
}

#[tokio::test]
async fn lists_take_the_same_places_and_partners_a_distance() {
    let app = park().await;
    let event = "mutation { createEvent(input: {slug: \"visite\", name: \"Visite\", lang: fr, date: \"2025-01-10\", site: \"arbois\"}) { slug } }";
    app.mutate_ok(event, json!({})).await;

    let lists = app
        .data(
            "query($near: NearInput, $far: NearInput) {
                companies(near: $near) { totalCount nodes { slug } }
                organisations(near: $near) { nodes { slug } }
                events(near: $near) { nodes { slug } }
                farEvents: events(near: $far) { nodes { slug } }
            }",
            json!({"near": near(10.0), "far": {"latitude": 48.8566, "longitude": 2.3522, "radiusKm": 50.0}}),
        )
        .await;
    let slugs = |list: &Value| -> Vec<String> {
        list["nodes"].as_array().expect("nodes").iter().map(|n| n["slug"].as_str().unwrap().to_string()).collect()
    };
    // By name, as lists are.
    assert_eq!(slugs(&lists["companies"]), ["aix-solaire", "hosted", "twin-text", "twin-name"], "{lists}");
    assert_eq!(lists["companies"]["totalCount"], 4, "{lists}");
    assert_eq!(slugs(&lists["organisations"]), ["arbois"], "{lists}");
    assert_eq!(slugs(&lists["events"]), ["visite"], "{lists}");
    assert_eq!(slugs(&lists["farEvents"]), Vec::<String>::new(), "{lists}");

    // Partners within 20 km of Aix leave Marseille and Paris out, but not the establishment near Aix.
    let app = &app;
    let partners = |km: f64| async move {
        let query = format!(
            "{{ company(slug: \"twin-name\") {{ partners(first: 20, maxDistanceKm: {km}) {{ company {{ slug }} }} }} }}"
        );
        app.data(&query, json!({})).await
    };
    let close = partners(20.0).await;
    let partner_slugs: Vec<&str> = close["company"]["partners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["company"]["slug"].as_str().unwrap())
        .collect();
    assert_eq!(partner_slugs, ["multi"], "the large group's establishment is near: {close}");
    let all = partners(20_000.0).await;
    assert!(all.to_string().contains("lyon-solaire"), "{all}");
    let unplaced = app
        .graphql("{ company(slug: \"samoa\") { partners(maxDistanceKm: 0) { company { slug } } } }", json!({}))
        .await;
    assert_eq!(unplaced["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{unplaced}");
}

/// GETs `/geojson` with these parameters: the status and the body, checked as GeoJSON by the
/// `geojson` crate when the status is 200.
async fn map(app: &TestApp, params: &[(&str, &str)]) -> (u16, Value) {
    let response = app.client.get(format!("{}/geojson", app.address)).query(params).send().await.expect("GET");
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    let body = response.text().await.expect("body");
    if status == 200 {
        assert_eq!(content_type, "application/geo+json", "{body}");
        let parsed: geojson::GeoJson = body.parse().unwrap_or_else(|e| panic!("not GeoJSON ({e}): {body}"));
        assert!(matches!(parsed, geojson::GeoJson::FeatureCollection(_)), "{body}");
    }
    (status, serde_json::from_str(&body).expect("JSON"))
}

fn feature_slugs(collection: &Value) -> Vec<String> {
    let features = collection["features"].as_array().unwrap_or_else(|| panic!("features in {collection}"));
    features.iter().map(|f| f["properties"]["slug"].as_str().expect("a slug").to_string()).collect()
}

#[tokio::test]
async fn the_map_of_a_list_is_geojson_with_the_lists_filters() {
    let app = park().await;

    let (status, all) = map(&app, &[]).await;
    assert_eq!(status, 200, "{all}");
    // Every company with a point (its own, its site's or an establishment's), by name as lists are.
    assert_eq!(
        feature_slugs(&all),
        [
            "aix-solaire",
            "hosted",
            "fiji",
            "twin-text",
            "multi",
            "marseille-solaire",
            "lyon-solaire",
            "samoa",
            "twin-name"
        ],
        "{all}"
    );
    assert_eq!(all["truncated"], false);
    let feature = |collection: &Value, slug: &str| -> Value {
        let features = collection["features"].as_array().unwrap();
        features.iter().find(|f| f["properties"]["slug"] == slug).unwrap_or_else(|| panic!("{slug}")).clone()
    };
    let aix = feature(&all, "aix-solaire");
    assert_eq!(aix["geometry"], json!({"type": "Point", "coordinates": [AIX.1, AIX.0]}));
    assert_eq!(aix["properties"]["kind"], "company");
    assert_eq!(aix["properties"]["name"], "Aix Solaire");
    assert_eq!(aix["properties"]["stage"], "SME");
    assert_eq!(feature(&all, "hosted")["geometry"]["coordinates"], json!([5.3963, 43.4866]), "the site's point");
    let multi = feature(&all, "multi");
    assert_eq!(multi["geometry"]["type"], "MultiPoint");
    assert_eq!(multi["geometry"]["coordinates"], json!([[2.3522, 48.8566], [5.6167, 43.4833]]));
    assert_eq!(multi["properties"]["places"], json!([null, "Établissement de Rousset"]));

    // The lists' filters: a radius, a map's box, the kind's own filter, and another kind.
    let near = near(10.0).to_string();
    let (_, close) = map(&app, &[("near", &near)]).await;
    assert_eq!(feature_slugs(&close), ["aix-solaire", "hosted", "twin-text", "twin-name"], "{close}");
    let (_, boxed) = map(&app, &[("bbox", "5.3,43.2,5.5,43.35")]).await;
    assert_eq!(feature_slugs(&boxed), ["marseille-solaire"], "{boxed}");
    let (_, across) = map(&app, &[("bbox", "170,-20,-170,-10")]).await;
    assert_eq!(feature_slugs(&across), ["fiji", "samoa"], "a box across the antimeridian: {across}");
    let (_, groups) = map(&app, &[("filter", r#"{"stage": ["LARGE_GROUP"]}"#)]).await;
    assert_eq!(feature_slugs(&groups), ["multi", "lyon-solaire"], "{groups}");
    let (_, organisations) = map(&app, &[("kind", "organisation")]).await;
    assert_eq!(feature_slugs(&organisations), ["arbois"], "{organisations}");
    assert_eq!(organisations["features"][0]["properties"]["organisationKind"], "TECHNOPOLE");

    // A limit keeps the first features and says more were left.
    let (_, first) = map(&app, &[("limit", "2")]).await;
    assert_eq!(feature_slugs(&first), ["aix-solaire", "hosted"], "{first}");
    assert_eq!(first["truncated"], true);

    // Bad input is refused, named, as the lists refuse it.
    for (params, status, code, says) in [
        (vec![("bbox", "5.5,43.4,5.3")], 400, "BAD_REQUEST", "bbox"),
        (vec![("bbox", "5.3,43.6,5.5,43.4")], 400, "BAD_USER_INPUT", "south"),
        (vec![("near", r#"{"latitude": 91, "longitude": 5, "radiusKm": 10}"#)], 400, "BAD_USER_INPUT", "latitude"),
        (vec![("filter", r#"{"colour": "red"}"#)], 400, "BAD_USER_INPUT", "colour"),
        (vec![("kind", "person")], 400, "BAD_REQUEST", "kind"),
        (vec![("limit", "100000")], 400, "BAD_REQUEST", "limit"),
    ] {
        let (got, body) = map(&app, &params).await;
        assert_eq!(got, status, "{params:?}: {body}");
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], code, "{params:?}: {body}");
        assert!(error["message"].as_str().unwrap().contains(says), "{params:?}: {body}");
    }
}

/// Needs Debian's Chromium and `npm ci --prefix tests/browser` (see tests/browser/README.md).
#[tokio::test]
#[ignore = "needs Chromium and `npm ci --prefix tests/browser`: run with --include-ignored"]
async fn the_example_map_shows_the_directory_in_a_real_browser() {
    let app = park().await;
    // Nine companies with a point, one of them with a second place: ten markers.
    run_browser_check("map.mjs", vec![app.address.clone(), "10".into()]).await;
}
