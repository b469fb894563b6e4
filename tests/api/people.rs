//! People: import, GraphQL, search, export round trip, mutations, the change log, and erasure.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, stderr};

/// Kind and slug of every result of a search, best first.
async fn found(app: &TestApp, query: &str) -> Vec<(String, String)> {
    let data = app
        .data(
            "query($q: String!) { search(query: $q, first: 50) { edges { node { __typename slug } } } }",
            json!({"q": query}),
        )
        .await;
    data["search"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (e["node"]["__typename"].as_str().unwrap().to_string(), e["node"]["slug"].as_str().unwrap().to_string())
        })
        .collect()
}

fn person(slug: &str, name: &str, roles: Value) -> Value {
    json!({
        "slug": slug,
        "name": name,
        "lang": "fr",
        "description": "Spécialiste de la désalinisation solaire.",
        "roles": roles,
        "sources": [{"title": "Annuaire du pôle", "publishedOn": "2024-03-01"}]
    })
}

const PERSON: &str = "query($slug: String!) {
    person(slug: $slug) { id slug name description lang sources { title publishedOn }
        roles { organisation { slug } title since until person { slug } } }
}";

#[tokio::test]
async fn a_person_goes_from_import_to_graphql_search_export_and_back() {
    let app = spawn_app().await;
    let document = json!({
        "organisations": [{"slug": "pole-eau", "name": "Pôle Eau", "kind": "CLUSTER", "lang": "fr"}],
        "people": [
            person("ada-marchetti", "Ada Marchetti", json!([
                {"organisation": "pole-eau", "title": "présidente", "since": "2020-01-01"},
                {"organisation": "safe-cluster", "title": "administratrice", "since": "2015-05-01", "until": "2019-12-31"}
            ])),
            {"slug": "bruno-vidal", "name": "Bruno Vidal", "lang": "fr", "roles": [{"organisation": "pole-eau", "title": "trésorier"}]}
        ]
    });

    let output = app.import(&document).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("people: 2 created"), "{output:?}");

    let data = app.data(PERSON, json!({"slug": "ada-marchetti"})).await;
    let ada = &data["person"];
    assert_eq!(ada["name"], "Ada Marchetti");
    assert_eq!(ada["sources"][0]["publishedOn"], "2024-03-01");
    assert_eq!(
        ada["roles"],
        json!([
            {"organisation": {"slug": "pole-eau"}, "title": "présidente", "since": "2020-01-01", "until": null, "person": {"slug": "ada-marchetti"}},
            {"organisation": {"slug": "safe-cluster"}, "title": "administratrice", "since": "2015-05-01", "until": "2019-12-31", "person": {"slug": "ada-marchetti"}}
        ])
    );
    let id = ada["id"].as_str().unwrap();
    let node =
        app.data("query($id: ID!) { node(id: $id) { __typename ... on Person { slug } } }", json!({"id": id})).await;
    assert_eq!(node["node"], json!({"__typename": "Person", "slug": "ada-marchetti"}));
    let by_id = app.data("query($id: ID!) { person(id: $id) { slug } }", json!({"id": id})).await;
    assert_eq!(by_id["person"]["slug"], "ada-marchetti");

    // Lists: by organisation, and the organisation's side of the role.
    let listed = app
        .data(
            r#"{ people(filter: {organisation: ["safe-cluster"]}) { totalCount nodes { slug } }
                 organisation(slug: "pole-eau") { people { totalCount edges { node { title person { name } } } } } }"#,
            json!({}),
        )
        .await;
    let safe_people: Vec<&str> =
        listed["people"]["nodes"].as_array().unwrap().iter().map(|n| n["slug"].as_str().unwrap()).collect();
    assert!(safe_people.contains(&"ada-marchetti"), "{listed}");
    assert_eq!(
        listed["organisation"]["people"],
        json!({"totalCount": 2, "edges": [
            {"node": {"title": "présidente", "person": {"name": "Ada Marchetti"}}},
            {"node": {"title": "trésorier", "person": {"name": "Bruno Vidal"}}}
        ]})
    );

    // Search: by name (typo and all), by role title, by the organisation's name.
    for query in ["Ada Marchetti", "marcheti", "présidente pôle eau", "desalinisation"] {
        assert!(
            found(&app, query).await.contains(&("Person".to_string(), "ada-marchetti".to_string())),
            "{query:?} finds the person"
        );
    }
    let people_only = app
        .data(
            r#"{ search(query: "", kinds: [PERSON], first: 50) { totalCount facets { kind { value count } } } }"#,
            json!({}),
        )
        .await;
    let kinds = &people_only["search"]["facets"]["kind"];
    assert!(kinds.as_array().unwrap().iter().any(|v| v["value"] == "PERSON"), "{kinds}");
    let suggestions = app.data(r#"{ suggest(prefix: "marche", kinds: [PERSON]) { kind slug name } }"#, json!({})).await;
    assert_eq!(suggestions["suggest"][0], json!({"kind": "PERSON", "slug": "ada-marchetti", "name": "Ada Marchetti"}));
    let similar = app
        .data("query($id: ID!) { similar(id: $id, first: 50) { edges { node { slug } } } }", json!({"id": id}))
        .await;
    let similar: Vec<&str> =
        similar["similar"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["slug"].as_str().unwrap()).collect();
    assert!(!similar.contains(&"ada-marchetti"), "never itself: {similar:?}");
    assert!(similar.contains(&"bruno-vidal"), "someone of the same organisation: {similar:?}");

    // Export → import → export: identical, and the re-import changes nothing.
    let exported = app.export().await;
    let ada = exported["people"].as_array().unwrap().iter().find(|p| p["slug"] == "ada-marchetti").unwrap();
    assert_eq!(ada["roles"][1]["until"], "2019-12-31");
    let again = app.import(&exported).await;
    assert!(again.status.success(), "{}", stderr(&again));
    let report = stderr(&again);
    assert!(report.contains("people: 0 created, 0 updated"), "{report}");
    assert_eq!(app.export().await, exported);
}

#[tokio::test]
async fn bad_people_are_refused_with_their_paths() {
    let app = spawn_app().await;
    let document = json!({"people": [
        person("ok", "Fine", json!([])),
        person("bad", "", json!([
            {"organisation": "upe-13", "title": "président", "since": "2022-01-01", "until": "2021-01-01"},
            {"organisation": "foo", "title": " "}
        ])),
        // Only public professional facts: there is no field for private contact details.
        {"slug": "private", "name": "Private", "lang": "fr", "email": "someone@example.org"}
    ]});

    let output = app.import(&document).await;

    let report = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{report}");
    for line in [
        "people[1].name: must not be empty",
        "people[1].roles[0].until: ends (2021-01-01) before it starts (2022-01-01)",
        "people[1].roles[1].organisation: unknown organisation \"foo\"",
        "people[1].roles[1].title: must not be empty",
        "people[2].email: unknown field email",
    ] {
        assert!(report.contains(line), "missing {line:?} in:\n{report}");
    }
    assert!(app.data(r#"{ person(slug: "ok") { slug } }"#, json!({})).await["person"].is_null(), "all or nothing");
}

const CREATE: &str = "mutation($input: CreatePersonInput!) { createPerson(input: $input) { id slug roles { title organisation { slug } } } }";
const UPDATE: &str =
    "mutation($id: ID!, $input: UpdatePersonInput!) { updatePerson(id: $id, input: $input) { name roles { title } } }";

#[tokio::test]
async fn people_are_created_updated_and_deleted_through_mutations_with_the_change_log() {
    let app = spawn_app().await;
    let before = app.kb.index().applied().borrow().to_owned();

    let created = app
        .mutate_ok(CREATE, json!({"input": person("lea-fontaine", "Léa Fontaine", json!([{"organisation": "upe-13", "title": "trésorière"}]))}))
        .await;
    let id = created["createPerson"]["id"].as_str().unwrap().to_string();
    assert_eq!(created["createPerson"]["roles"], json!([{"title": "trésorière", "organisation": {"slug": "upe-13"}}]));

    let unknown =
        app.mutate(UPDATE, json!({"id": id, "input": {"roles": [{"organisation": "nowhere", "title": "x"}]}})).await;
    assert_eq!(unknown["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{unknown}");
    assert_eq!(unknown["errors"][0]["extensions"]["problems"][0]["path"], "input.roles[0].organisation", "{unknown}");
    let taken = app.mutate(CREATE, json!({"input": person("lea-fontaine", "Other", json!([]))})).await;
    assert_eq!(taken["errors"][0]["extensions"]["code"], "CONFLICT", "{taken}");

    let updated = app
        .mutate_ok(UPDATE, json!({"id": id, "input": {"name": "Léa Fontaine-Roux", "roles": [{"organisation": "ccimp", "title": "élue"}]}}))
        .await;
    assert_eq!(updated["updatePerson"], json!({"name": "Léa Fontaine-Roux", "roles": [{"title": "élue"}]}));
    assert!(found(&app, "Fontaine-Roux élue").await.contains(&("Person".into(), "lea-fontaine".into())));
    assert!(!found(&app, "trésorière").await.iter().any(|(_, slug)| slug == "lea-fontaine"), "old role gone");

    let deleted = app.mutate_ok("mutation($id: ID!) { deletePerson(id: $id) }", json!({"id": id})).await;
    assert_eq!(deleted["deletePerson"], id.as_str());

    let changes = pepite::changelog::after(app.kb.database(), before, 100).await.unwrap().changes;
    let people: Vec<(&str, &str)> = changes
        .iter()
        .filter(|c| c.kind == entity::EntityKind::Person)
        .map(|c| (c.operation.as_str(), c.slug.as_str()))
        .collect();
    assert_eq!(people, [("CREATED", ""), ("UPDATED", ""), ("DELETED", "")], "ids only, never a person's slug");
}

#[tokio::test]
async fn deleting_an_organisation_removes_the_roles_held_there() {
    let app = spawn_app().await;
    app.mutate_ok(
        CREATE,
        json!({"input": person("tom-nadal", "Tom Nadal", json!([
            {"organisation": "ccimp", "title": "élu consulaire"},
            {"organisation": "upe-13", "title": "adhérent"}
        ]))}),
    )
    .await;
    assert!(found(&app, "Nadal CCI Aix-Marseille-Provence").await.contains(&("Person".into(), "tom-nadal".into())));
    let ccimp = app.id_of("organisation", "ccimp").await;

    app.mutate_ok("mutation($id: ID!) { deleteOrganisation(id: $id) }", json!({"id": ccimp})).await;

    let data = app.data(PERSON, json!({"slug": "tom-nadal"})).await;
    let titles: Vec<&str> =
        data["person"]["roles"].as_array().unwrap().iter().map(|r| r["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["adhérent"]);
    assert!(
        found(&app, "élu consulaire").await.iter().all(|(_, slug)| slug != "tom-nadal"),
        "its document was rewritten"
    );
}

#[tokio::test]
async fn a_pruning_import_deletes_the_people_it_does_not_hold_and_refuses_roles_at_pruned_organisations() {
    let app = spawn_app().await;
    app.mutate_ok(CREATE, json!({"input": person("zoe-martin", "Zoé Martin", json!([]))})).await;
    let mut document = app.export().await;
    let kept: Vec<Value> =
        document["people"].as_array().unwrap().iter().filter(|p| p["slug"] != "zoe-martin").cloned().collect();
    document["people"] = json!(kept);
    let file = app.settings.data_dir.join("pruned.json");
    std::fs::write(&file, document.to_string()).unwrap();

    let output = app.cli(&["import", "--prune", file.to_str().unwrap()]).await;

    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!("people: 0 created, 0 updated, {} unchanged, 1 deleted", kept.len())),
        "{}",
        stderr(&output)
    );
    assert!(app.data(r#"{ person(slug: "zoe-martin") { slug } }"#, json!({})).await["person"].is_null());

    let mut document = app.export().await;
    document["organisations"] = json!(
        document["organisations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["slug"] != "ccimp")
            .cloned()
            .collect::<Vec<_>>()
    );
    document["people"] = json!([person("max-roy", "Max Roy", json!([{"organisation": "ccimp", "title": "élu"}]))]);
    std::fs::write(&file, document.to_string()).unwrap();
    let output = app.cli(&["import", "--prune", file.to_str().unwrap()]).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("people[0].roles[0].organisation: organisation \"ccimp\" is not in the document"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn erasing_a_person_leaves_no_trace_in_search_exports_or_the_change_log() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;

    let app = spawn_app().await;
    let before = *app.kb.index().applied().borrow();
    let created = app
        .mutate_ok(
            CREATE,
            json!({"input": person("zephyrin-quasimodo", "Zéphyrin Quasimodo", json!([{"organisation": "upe-13", "title": "vice-président"}]))}),
        )
        .await;
    let id = created["createPerson"]["id"].as_str().unwrap().to_string();
    app.mutate_ok(
        "mutation { createEvent(input: {slug: \"rencontre\", name: \"Rencontre\", lang: fr, date: \"2024-02-02\", people: [\"zephyrin-quasimodo\"]}) { slug } }",
        json!({}),
    )
    .await;
    assert!(found(&app, "Quasimodo").await.contains(&("Person".into(), "zephyrin-quasimodo".into())));

    app.mutate_ok("mutation($id: ID!) { deletePerson(id: $id) }", json!({"id": id})).await;

    let search = app
        .data(
            r#"{ search(query: "Quasimodo Zéphyrin", matchingStrategy: ANY) { totalCount edges { node { slug } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(search["search"]["totalCount"], 0, "{search}");
    let suggest = app.data(r#"{ suggest(prefix: "quasim") { slug } }"#, json!({})).await;
    assert_eq!(suggest["suggest"], json!([]));
    let node = app.data("query($id: ID!) { node(id: $id) { id } }", json!({"id": id})).await;
    assert!(node["node"].is_null());
    let event = app.data(r#"{ event(slug: "rencontre") { people { slug } } }"#, json!({})).await;
    assert_eq!(event["event"]["people"], json!([]), "gone from the events too");
    let exported = app.export().await.to_string().to_lowercase();
    assert!(!exported.contains("quasimodo") && !exported.contains("zephyrin"), "nothing in exports");

    // Replaying the change log from before the person existed shows ids, never their fields.
    let mut socket = crate::websocket_limits::connect(&app.address).await;
    let query = format!(
        "subscription {{ changes(after: \"{before}\") {{ operation kind id slug position node {{ __typename }} }} }}"
    );
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": query}});
    socket.send(Message::text(subscribe.to_string())).await.unwrap();
    let mut people = Vec::new();
    while people.len() < 2 {
        let message = crate::websocket_limits::next_json(&mut socket).await;
        let change = message["payload"]["data"]["changes"].clone();
        assert!(!change.is_null(), "{message}");
        let text = change.to_string().to_lowercase();
        assert!(!text.contains("quasimodo") && !text.contains("zephyrin"), "{change}");
        if change["kind"] == "PERSON" {
            assert_eq!(change["id"], id.as_str());
            people.push((
                change["operation"].as_str().unwrap().to_string(),
                change["slug"].clone(),
                change["node"].clone(),
            ));
        }
    }
    assert_eq!(people[0].0, "CREATED");
    assert_eq!(people[1], ("DELETED".to_string(), json!(""), Value::Null));
}
