//! Where entities are: points and places, their ranges, and a company placed at its host site.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const CREATE_COMPANY: &str = "mutation($input: CreateCompanyInput!) {
    createCompany(input: $input) { slug location { latitude longitude source } places { name latitude longitude } }
}";
const CREATE_ORGANISATION: &str = "mutation($input: CreateOrganisationInput!) {
    createOrganisation(input: $input) { slug location { latitude longitude source } }
}";

fn problem_paths(response: &Value) -> Vec<String> {
    assert_eq!(response["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{response}");
    let problems = response["errors"][0]["extensions"]["problems"].as_array().expect("problems");
    problems.iter().map(|p| p["path"].as_str().expect("a path").to_string()).collect()
}

async fn organisation(app: &TestApp, slug: &str, location: Value) {
    let input = json!({"slug": slug, "name": slug, "kind": "TECHNOPOLE", "lang": "fr", "location": location});
    app.mutate_ok(CREATE_ORGANISATION, json!({"input": input})).await;
}

#[tokio::test]
async fn a_point_or_place_out_of_range_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let company = |location: Value, places: Value| json!({"input": {"slug": "far", "name": "Far", "stage": "SME", "lang": "fr", "location": location, "places": places}});

    let bad = app.mutate(CREATE_COMPANY, company(json!({"latitude": 90.5, "longitude": -180.5}), json!([]))).await;
    assert_eq!(problem_paths(&bad), ["input.location.latitude", "input.location.longitude"]);
    let place =
        json!([{"name": "ok", "latitude": 10, "longitude": 10}, {"name": " ", "latitude": -91, "longitude": 0}]);
    let bad = app.mutate(CREATE_COMPANY, company(Value::Null, place)).await;
    assert_eq!(problem_paths(&bad), ["input.places[1].latitude", "input.places[1].name"]);
    let update =
        "mutation($id: ID!) { updateOrganisation(id: $id, input: {location: {latitude: 0, longitude: 181}}) { slug } }";
    organisation(&app, "edge", json!({"latitude": -90, "longitude": 180})).await;
    let id = app.id_of("organisation", "edge").await;
    let bad = app.mutate(update, json!({"id": id})).await;
    assert_eq!(problem_paths(&bad), ["input.location.longitude"]);

    // The edges themselves are valid.
    let data = app.mutate_ok(CREATE_COMPANY, company(json!({"latitude": 90, "longitude": -180}), json!([]))).await;
    assert_eq!(data["createCompany"]["location"], json!({"latitude": 90.0, "longitude": -180.0, "source": "OWN"}));
}

#[tokio::test]
async fn a_company_without_a_point_is_placed_at_its_host_site_and_an_event_at_its_site() {
    // Arrange: a placed technopole, an unplaced one.
    let app = spawn_app().await;
    organisation(&app, "arbois", json!({"latitude": 43.4866, "longitude": 5.3963})).await;
    organisation(&app, "nowhere", Value::Null).await;
    let company = |slug: &str, site: &str, location: Value| json!({"input": {"slug": slug, "name": slug, "stage": "STARTUP", "lang": "fr", "site": site, "location": location}});

    // Act
    let hosted = app.mutate_ok(CREATE_COMPANY, company("hosted", "arbois", Value::Null)).await;
    let own =
        app.mutate_ok(CREATE_COMPANY, company("own", "arbois", json!({"latitude": 43.3, "longitude": 5.4}))).await;
    let unplaced = app.mutate_ok(CREATE_COMPANY, company("unplaced", "nowhere", Value::Null)).await;
    let event = "mutation { createEvent(input: {slug: \"visite\", name: \"Visite\", lang: fr, date: \"2025-01-10\", site: \"arbois\"}) { location { latitude longitude source } } }";
    let event = app.mutate_ok(event, json!({})).await;

    // Assert
    let at_site = json!({"latitude": 43.4866, "longitude": 5.3963, "source": "SITE"});
    assert_eq!(hosted["createCompany"]["location"], at_site);
    assert_eq!(own["createCompany"]["location"], json!({"latitude": 43.3, "longitude": 5.4, "source": "OWN"}));
    assert_eq!(unplaced["createCompany"]["location"], Value::Null);
    assert_eq!(event["createEvent"]["location"], at_site);

    // Clearing its own point places it at its site again; moving the site moves it.
    let id = app.id_of("company", "own").await;
    let clear = "mutation($id: ID!) { updateCompany(id: $id, input: {location: null}) { location { source } } }";
    assert_eq!(app.mutate_ok(clear, json!({"id": id})).await["updateCompany"]["location"]["source"], "SITE");
    let site = app.id_of("organisation", "arbois").await;
    let moved = "mutation($id: ID!) { updateOrganisation(id: $id, input: {location: {latitude: 43.5, longitude: 5.45}}) { slug } }";
    app.mutate_ok(moved, json!({"id": site})).await;
    let read = app.data("{ company(slug: \"hosted\") { location { latitude longitude source } } }", json!({})).await;
    assert_eq!(read["company"]["location"], json!({"latitude": 43.5, "longitude": 5.45, "source": "SITE"}));
}

#[tokio::test]
async fn partners_placed_both_are_told_how_far_apart_they_are() {
    // Arrange: an SME at Aix-en-Provence, a large group at Marseille, one unplaced.
    let app = spawn_app().await;
    let tech =
        "mutation { createTechnology(input: {slug: \"solar\", name: \"Solar\", domain: ENERGY, lang: en}) { id } }";
    app.mutate_ok(tech, json!({})).await;
    let company = |slug: &str, stage: &str, location: Value| json!({"input": {"slug": slug, "name": slug, "stage": stage, "lang": "fr", "technologies": ["solar"], "location": location}});
    app.mutate_ok(CREATE_COMPANY, company("aix-sme", "SME", json!({"latitude": 43.5297, "longitude": 5.4474}))).await;
    app.mutate_ok(
        CREATE_COMPANY,
        company("marseille-group", "LARGE_GROUP", json!({"latitude": 43.2965, "longitude": 5.3698})),
    )
    .await;
    app.mutate_ok(CREATE_COMPANY, company("unplaced-group", "LARGE_GROUP", Value::Null)).await;

    // Act
    let data =
        app.data("{ company(slug: \"aix-sme\") { partners(first: 5) { company { slug } reasons } } }", json!({})).await;

    // Assert
    let partners = data["company"]["partners"].as_array().expect("partners");
    let reasons = |slug: &str| {
        let found =
            partners.iter().find(|p| p["company"]["slug"] == slug).unwrap_or_else(|| panic!("{slug} in {data}"));
        found["reasons"].clone()
    };
    assert_eq!(reasons("marseille-group"), json!(["both work on Solar", "27 km apart"]));
    assert_eq!(reasons("unplaced-group"), json!(["both work on Solar"]));
}

#[tokio::test]
async fn entry_points_of_the_same_rank_come_nearest_first_saying_how_far() {
    // Arrange: a company at Aix-en-Provence, a member of three organisations, two of them placed,
    // named in the reverse order of their distances.
    let app = spawn_app().await;
    organisation(&app, "z-marseille", json!({"latitude": 43.2965, "longitude": 5.3698})).await;
    organisation(&app, "y-nice", json!({"latitude": 43.7102, "longitude": 7.262})).await;
    organisation(&app, "a-nowhere", Value::Null).await;
    let input = json!({"slug": "aix", "name": "Aix", "stage": "SME", "lang": "fr",
        "memberships": ["y-nice", "a-nowhere", "z-marseille"], "location": {"latitude": 43.5297, "longitude": 5.4474}});
    app.mutate_ok(CREATE_COMPANY, json!({"input": input})).await;

    // Act
    let data =
        app.data("{ company(slug: \"aix\") { entryPoints { organisation { slug } reasons } } }", json!({})).await;

    // Assert
    let entries = data["company"]["entryPoints"].as_array().expect("entry points");
    assert_eq!(
        json!(entries[..3]),
        json!([
            {"organisation": {"slug": "z-marseille"}, "reasons": ["this company is a member", "27 km away"]},
            {"organisation": {"slug": "y-nice"}, "reasons": ["this company is a member", "147 km away"]},
            {"organisation": {"slug": "a-nowhere"}, "reasons": ["this company is a member"]},
        ]),
        "{data}"
    );
}
