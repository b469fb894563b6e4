//! Mentorat à la carte: what experts offer, in and out through imports, exports and mutations;
//! the experts ranked for a company with reasons, and the reverse; search by what they offer;
//! a withdrawn offer leaves no trace.

use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{TestApp, repo_root, spawn_app};

/// A server whose knowledge base is exactly the fictional example.
async fn example_app() -> TestApp {
    let app = spawn_app().await;
    let file = repo_root().join("examples/matchmaking.json");
    let output = app.cli(&["import", "--prune", "--force", file.to_str().unwrap()]).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    app
}

/// `(person, score, reasons)` of each mentor suggested to a company, best first.
async fn mentors(app: &TestApp, company: &str, topics: Option<Value>) -> Vec<(String, f64, Vec<String>)> {
    let data = app
        .data(
            "query($slug: String!, $topics: [Topic!]) { company(slug: $slug) { \
               mentors(topics: $topics, first: 10) { person { name } score reasons } } }",
            json!({"slug": company, "topics": topics}),
        )
        .await;
    suggestions(&data["company"]["mentors"], "person")
}

fn suggestions(list: &Value, who: &str) -> Vec<(String, f64, Vec<String>)> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|s| {
            let reasons = s["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect();
            (s[who]["name"].as_str().unwrap().to_string(), s["score"].as_f64().unwrap(), reasons)
        })
        .collect()
}

fn ranking(list: &[(String, f64, Vec<String>)]) -> Vec<(&str, f64)> {
    list.iter().map(|(name, score, _)| (name.as_str(), *score)).collect()
}

#[tokio::test]
async fn a_start_up_gets_the_experts_who_help_with_what_it_needs_ranked_with_reasons() {
    // Arrange
    let app = example_app().await;

    // Act
    let found = mentors(&app, "perovskia-exemple", None).await;

    // Assert: Claire helps with both needs and knows the broader technology; Paul one need, the
    // same technology and he is at its incubator; Ana one need; Marc nothing it needs.
    assert_eq!(ranking(&found), [("Claire Exemple", 13.0), ("Paul Exemple", 11.0), ("Ana Exemple", 6.0)]);
    assert_eq!(
        found[0].2,
        [
            "helps with INDUSTRIALISATION, which Pérovskia Exemple needs",
            "helps with FUNDING, which Pérovskia Exemple needs",
            "Pérovskia Exemple works on Perovskite cells, a kind of Photovoltaics that Claire Exemple knows",
            "prefers to help start-ups, as Pérovskia Exemple is one",
            "mentors in English, the language of Pérovskia Exemple's record",
        ]
    );
    assert_eq!(
        found[1].2,
        [
            "helps with INDUSTRIALISATION, which Pérovskia Exemple needs",
            "knows Perovskite cells, which Pérovskia Exemple works on",
            "holds a role at Pépinière Exemple, which hosts Pérovskia Exemple",
            "prefers to help start-ups, as Pérovskia Exemple is one",
        ]
    );
}

#[tokio::test]
async fn the_topics_asked_replace_the_company_s_own_needs() {
    let app = example_app().await;

    let found = mentors(&app, "perovskia-exemple", Some(json!(["EXPORT"]))).await;

    assert_eq!(ranking(&found), [("Paul Exemple", 7.0), ("Claire Exemple", 5.0), ("Marc Exemple", 5.0)]);
    assert_eq!(found[2].2[0], "helps with EXPORT, which Pérovskia Exemple needs");
}

#[tokio::test]
async fn an_expert_whose_network_the_company_belongs_to_says_so() {
    let app = example_app().await;

    let found = mentors(&app, "aquapure-exemple", None).await;

    assert_eq!(found[0].0, "Marc Exemple");
    assert_eq!(found[0].1, 15.0);
    assert_eq!(
        found[0].2,
        [
            "helps with EXPORT, which AquaPure Exemple needs",
            "helps with REGULATION, which AquaPure Exemple needs",
            "knows Water treatment, which AquaPure Exemple works on",
            "holds a role at Réseau Eau Exemple, which AquaPure Exemple is a member of",
            "prefers to help start-ups, as AquaPure Exemple is one",
        ]
    );
}

#[tokio::test]
async fn an_expert_gets_the_companies_they_could_help_a_narrower_technology_matching_its_parent() {
    let app = example_app().await;

    let data = app
        .data(r#"{ person(slug: "paul-exemple") { mentees(first: 5) { company { name } score reasons } } }"#, json!({}))
        .await;
    let found = suggestions(&data["person"]["mentees"], "company");

    assert_eq!(
        ranking(&found),
        [("Pérovskia Exemple", 11.0), ("Exemple Solaire SAS", 3.0), ("Groupe Énergie Exemple", 3.0)]
    );
    assert_eq!(found[1].2, ["knows Perovskite cells, a kind of Photovoltaics that Exemple Solaire SAS works on"]);
}

#[tokio::test]
async fn offers_and_needs_come_out_of_an_export_as_they_went_in() {
    let app = example_app().await;

    let export = app.cli(&["export"]).await;
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let document: Value = serde_json::from_slice(&export.stdout).unwrap();

    let person =
        |slug: &str| document["people"].as_array().unwrap().iter().find(|p| p["slug"] == slug).unwrap().clone();
    assert_eq!(
        person("claire-exemple")["mentor"],
        json!({
            "since": "2024-01-01",
            "topics": ["INDUSTRIALISATION", "FUNDING"],
            "technologies": ["photovoltaics-exemple"],
            "domains": ["ENERGY"],
            "stages": ["STARTUP", "SME"],
            "languages": ["fr", "en"],
            "sources": [{"title": "Fictional mentor offer, published by Claire Exemple"}],
        })
    );
    let company = document["companies"].as_array().unwrap().iter().find(|c| c["slug"] == "aquapure-exemple").unwrap();
    assert_eq!(company["needs"], json!(["EXPORT", "REGULATION"]));
}

/// The slugs of the people a search finds, best first.
async fn people_found(app: &TestApp, query: &str) -> Vec<String> {
    let data = app
        .data(
            "query($q: String!) { search(query: $q, kinds: [PERSON]) { edges { node { ... on Person { slug } } } } }",
            json!({"q": query}),
        )
        .await;
    data["search"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["slug"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn search_finds_experts_by_what_they_offer_in_french_and_english() {
    let app = example_app().await;

    assert_eq!(people_found(&app, "mentor export").await.first().map(String::as_str), Some("marc-exemple"));
    let fundraising = people_found(&app, "mentorat levée de fonds").await;
    assert!(fundraising.starts_with(&["ana-exemple".into(), "claire-exemple".into()]), "{fundraising:?}");
    let industrialisation = people_found(&app, "expert industrialisation photovoltaïque").await;
    assert_eq!(industrialisation.first().map(String::as_str), Some("claire-exemple"), "{industrialisation:?}");
    let patents = people_found(&app, "intellectual property mentoring").await;
    assert_eq!(patents, ["paul-exemple"]);
}

const SET_OFFER: &str = "mutation($id: ID!, $offer: MentorInput!) { setMentorOffer(id: $id, offer: $offer) { \
    mentor { since topics technologies { slug } domains stages languages sources { title } } } }";

#[tokio::test]
async fn an_offer_set_by_mutation_is_read_searched_and_matched() {
    // Arrange
    let app = example_app().await;
    let id = app.id_of("person", "ana-exemple").await;
    let offer = json!({
        "topics": ["CERTIFICATION"],
        "technologies": ["iot-sensors-exemple"],
        "languages": ["en"],
        "sources": [{"title": "Fictional mentor offer, updated by Ana Exemple"}],
    });

    // Act
    let data = app.mutate_ok(SET_OFFER, json!({"id": id, "offer": offer})).await;

    // Assert
    assert_eq!(
        data["setMentorOffer"]["mentor"],
        json!({
            "since": null,
            "topics": ["CERTIFICATION"],
            "technologies": [{"slug": "iot-sensors-exemple"}],
            "domains": [],
            "stages": [],
            "languages": ["en"],
            "sources": [{"title": "Fictional mentor offer, updated by Ana Exemple"}],
        })
    );
    assert_eq!(people_found(&app, "certification").await, ["ana-exemple"]);
    let found = mentors(&app, "atelier-numerique-exemple", None).await;
    assert_eq!(found[0].0, "Ana Exemple");
    assert_eq!(found[0].2[0], "knows IoT sensors, which Atelier Numérique Exemple works on");
    assert!(mentors(&app, "perovskia-exemple", None).await.iter().all(|m| m.0 != "Ana Exemple"), "FUNDING is gone");
}

#[tokio::test]
async fn an_unknown_technology_or_an_offer_without_a_source_is_refused_naming_the_field() {
    let app = example_app().await;
    let id = app.id_of("person", "ana-exemple").await;

    let unknown = app
        .mutate(
            SET_OFFER,
            json!({"id": id, "offer": {"topics": ["FUNDING"], "technologies": ["no-such-technology"], "sources": [{"title": "s"}]}}),
        )
        .await;
    let unsourced = app.mutate(SET_OFFER, json!({"id": id, "offer": {"topics": ["FUNDING"], "sources": []}})).await;
    let twice = app
        .mutate(SET_OFFER, json!({"id": id, "offer": {"topics": ["FUNDING", "FUNDING"], "sources": [{"title": "s"}]}}))
        .await;
    let bad_topic =
        app.mutate(SET_OFFER, json!({"id": id, "offer": {"topics": ["ASTROLOGY"], "sources": [{"title": "s"}]}})).await;

    for (response, path) in
        [(&unknown, "mentor.technologies[0]"), (&unsourced, "mentor.sources"), (&twice, "mentor.topics[1]")]
    {
        let error = &response["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{response}");
        let problems = error["extensions"]["problems"].to_string();
        assert!(problems.contains(path), "{path} named in {response}");
    }
    let error = &bad_topic["errors"][0];
    assert!(error["message"].as_str().unwrap().contains("ASTROLOGY"), "{bad_topic}");
    let after = app.data(r#"{ person(slug: "ana-exemple") { mentor { topics } } }"#, json!({})).await;
    assert_eq!(after["person"]["mentor"]["topics"], json!(["FUNDING", "GOVERNANCE"]), "nothing was written");
}

#[tokio::test]
async fn an_import_naming_an_unknown_topic_or_technology_is_refused_with_its_path() {
    let app = example_app().await;
    let person =
        |mentor: Value| json!({"people": [{"slug": "x-exemple", "name": "X Exemple", "lang": "en", "mentor": mentor}]});

    let topic = app.import(&person(json!({"topics": ["ASTROLOGY"], "sources": [{"title": "s"}]}))).await;
    let technology =
        app.import(&person(json!({"topics": ["EXPORT"], "technologies": ["nope"], "sources": [{"title": "s"}]}))).await;

    let stderr = |output: &std::process::Output| String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!topic.status.success());
    assert!(stderr(&topic).contains("people[0]") && stderr(&topic).contains("ASTROLOGY"), "{}", stderr(&topic));
    assert!(!technology.status.success());
    assert!(stderr(&technology).contains("people[0].mentor.technologies[0]"), "{}", stderr(&technology));
}

#[tokio::test]
async fn a_withdrawn_offer_leaves_no_trace_in_search_matching_exports_or_the_change_feed() {
    // Arrange
    let app = example_app().await;
    let before = *app.kb.index().applied().borrow();
    let id = app.id_of("person", "marc-exemple").await;
    assert_eq!(people_found(&app, "réglementation").await, ["marc-exemple"], "only his offer says it");

    // Act
    let data = app
        .mutate_ok("mutation($id: ID!) { withdrawMentorOffer(id: $id) { slug mentor { topics } } }", json!({"id": id}))
        .await;

    // Assert
    assert_eq!(data["withdrawMentorOffer"], json!({"slug": "marc-exemple", "mentor": null}));
    assert!(people_found(&app, "réglementation").await.is_empty());
    assert!(!people_found(&app, "mentor").await.contains(&"marc-exemple".to_string()));
    assert!(mentors(&app, "aquapure-exemple", None).await.iter().all(|m| m.0 != "Marc Exemple"));
    let mentees = app.data(r#"{ person(slug: "marc-exemple") { mentees { score } } }"#, json!({})).await;
    assert_eq!(mentees["person"]["mentees"], json!([]));
    let export = app.cli(&["export"]).await;
    let exported: Value = serde_json::from_slice(&export.stdout).unwrap();
    let marc = exported["people"].as_array().unwrap().iter().find(|p| p["slug"] == "marc-exemple").unwrap();
    assert!(marc.get("mentor").is_none(), "{marc}");
    assert_eq!(marc["roles"][0]["title"], "chair", "the rest of the record stays");

    // Replaying the change feed from before shows the person as they are now: without an offer.
    let mut socket = crate::websocket_limits::connect(&app.address).await;
    let query = format!(
        "subscription {{ changes(after: \"{before}\", kinds: [PERSON]) {{ operation id node {{ ... on Person {{ mentor {{ topics }} }} }} }} }}"
    );
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": query}});
    socket.send(Message::text(subscribe.to_string())).await.unwrap();
    let message = crate::websocket_limits::next_json(&mut socket).await;
    let change = &message["payload"]["data"]["changes"];
    assert_eq!(change["id"], id.as_str(), "{message}");
    assert_eq!(change["node"]["mentor"], Value::Null, "{message}");
    assert!(!message.to_string().contains("EXPORT"), "{message}");
}

#[tokio::test]
async fn mentors_inside_a_page_of_a_hundred_companies_is_refused_as_too_complex() {
    let app = example_app().await;

    let error = app.error("{ companies(first: 100) { nodes { mentors { reasons } } } }", json!({})).await;
    let one = app.graphql(r#"{ company(slug: "perovskia-exemple") { mentors { score } } }"#, json!({})).await;

    assert_eq!(error["extensions"]["code"], "QUERY_TOO_COMPLEX", "{error}");
    assert!(one.get("errors").is_none(), "{one}");
}

#[tokio::test]
async fn a_deleted_technology_leaves_the_offers_naming_it_without_a_dangling_slug() {
    let app = example_app().await;
    let id = app.id_of("technology", "water-treatment-exemple").await;

    app.mutate_ok("mutation($id: ID!) { deleteTechnology(id: $id) }", json!({"id": id})).await;

    let data =
        app.data(r#"{ person(slug: "marc-exemple") { mentor { topics technologies { slug } } } }"#, json!({})).await;
    assert_eq!(data["person"]["mentor"], json!({"topics": ["EXPORT", "REGULATION"], "technologies": []}));
    let export = app.cli(&["export"]).await;
    let exported: Value = serde_json::from_slice(&export.stdout).unwrap();
    assert!(!exported.to_string().contains("water-treatment-exemple"), "no slug left behind");
    let again = app.import(&exported).await;
    assert!(again.status.success(), "the export imports back: {}", String::from_utf8_lossy(&again.stderr));
}
