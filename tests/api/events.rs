//! Events: import, GraphQL (lists, filters, dates, relations both ways), search by date words,
//! export round trip, mutations, and what deleting a linked entity does.

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

fn slugs(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|n| n["slug"].as_str().unwrap()).collect()
}

fn event(slug: &str, name: &str, date: &str, extra: Value) -> Value {
    let mut e = json!({"slug": slug, "name": name, "lang": "fr", "date": date,
                       "sources": [{"title": "Agenda du pôle", "publishedOn": "2024-01-10"}]});
    for (k, v) in extra.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

const EVENT: &str = "query($slug: String!) {
    event(slug: $slug) { id name date endDate site { slug } organisers { slug } companies { slug }
        people { slug } organisations { slug } sources { title } }
}";

#[tokio::test]
async fn an_event_goes_from_import_to_graphql_search_export_and_back() {
    let app = spawn_app().await;
    let document = json!({
        "people": [{"slug": "ines-garcia", "name": "Inès Garcia", "lang": "fr", "roles": [{"organisation": "safe-cluster", "title": "chargée de mission"}]}],
        "events": [
            event("salon-risques-2023", "Salon des risques naturels", "2023-10-03", json!({
                "endDate": "2023-10-05", "site": "technopole-arbois", "organisers": ["safe-cluster"],
                "companies": ["sp3h"], "people": ["ines-garcia"], "organisations": ["ccimp"],
                "description": "Rencontres sur la prévention des inondations."
            })),
            event("atelier-hydrogene-2021", "Atelier hydrogène", "2021-03-15", json!({"organisers": ["upe-13"], "companies": ["echy"]}))
        ]
    });

    let output = app.import(&document).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("events: 2 created"), "{}", stderr(&output));

    let data = app.data(EVENT, json!({"slug": "salon-risques-2023"})).await;
    let salon = &data["event"];
    assert_eq!(salon["date"], "2023-10-03");
    assert_eq!(salon["endDate"], "2023-10-05");
    assert_eq!(salon["site"]["slug"], "technopole-arbois");
    assert_eq!(slugs(&salon["organisers"]), ["safe-cluster"]);
    assert_eq!(slugs(&salon["companies"]), ["sp3h"]);
    assert_eq!(slugs(&salon["people"]), ["ines-garcia"]);
    assert_eq!(slugs(&salon["organisations"]), ["ccimp"]);
    let id = salon["id"].as_str().unwrap();
    let node =
        app.data("query($id: ID!) { node(id: $id) { __typename ... on Event { date } } }", json!({"id": id})).await;
    assert_eq!(node["node"], json!({"__typename": "Event", "date": "2023-10-03"}));

    lists_find_the_events(&app).await;
    search_finds_the_event(&app, id).await;

    // Export → import → export: identical, and the re-import changes nothing.
    let exported = app.export().await;
    let salon = exported["events"].as_array().unwrap().iter().find(|e| e["slug"] == "salon-risques-2023").unwrap();
    assert_eq!(salon["people"], json!(["ines-garcia"]));
    let again = app.import(&exported).await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stderr(&again).contains("events: 0 created, 0 updated"), "{}", stderr(&again));
    assert_eq!(app.export().await, exported);
}

/// Lists: by date either way, filtered by period and by who took part.
async fn lists_find_the_events(app: &TestApp) {
    let lists = app
        .data(
            r#"{
              latest: events(orderBy: {field: DATE, direction: DESC}) { nodes { slug } }
              in2023: events(filter: {from: "2023-10-04", to: "2023-12-31"}) { totalCount nodes { slug } }
              before: events(filter: {to: "2022-01-01"}) { nodes { slug } }
              byOrg: events(filter: {organisation: ["ccimp"]}) { nodes { slug } }
              byCompany: events(filter: {company: ["echy"]}) { nodes { slug } }
              byPerson: events(filter: {person: ["ines-garcia"]}) { nodes { slug } }
              company(slug: "sp3h") { events { totalCount nodes { slug } } }
              person(slug: "ines-garcia") { events { nodes { slug } } }
              organisation(slug: "technopole-arbois") { events { nodes { slug } } }
              upe: organisation(slug: "upe-13") { events { nodes { slug } } }
            }"#,
            json!({}),
        )
        .await;
    let latest = slugs(&lists["latest"]["nodes"]);
    let salon_at = latest.iter().position(|s| *s == "salon-risques-2023").unwrap();
    let atelier_at = latest.iter().position(|s| *s == "atelier-hydrogene-2021").unwrap();
    assert!(salon_at < atelier_at, "latest first: {latest:?}");
    assert_eq!(slugs(&lists["in2023"]["nodes"]), ["salon-risques-2023"], "an event over several days overlaps");
    assert!(slugs(&lists["before"]["nodes"]).contains(&"atelier-hydrogene-2021"));
    assert!(!slugs(&lists["before"]["nodes"]).contains(&"salon-risques-2023"));
    assert_eq!(slugs(&lists["byOrg"]["nodes"]), ["salon-risques-2023"]);
    assert!(slugs(&lists["byCompany"]["nodes"]).contains(&"atelier-hydrogene-2021"));
    assert!(!slugs(&lists["byCompany"]["nodes"]).contains(&"salon-risques-2023"));
    assert_eq!(slugs(&lists["byPerson"]["nodes"]), ["salon-risques-2023"]);
    assert_eq!(
        slugs(&lists["company"]["events"]["nodes"]),
        ["salon-risques-2023", "visite-upe-13-technopole-arbois-2022"],
        "latest first"
    );
    assert_eq!(slugs(&lists["person"]["events"]["nodes"]), ["salon-risques-2023"]);
    assert!(slugs(&lists["organisation"]["events"]["nodes"]).contains(&"salon-risques-2023"), "the site's events");
    assert!(slugs(&lists["upe"]["events"]["nodes"]).contains(&"atelier-hydrogene-2021"), "the organiser's events");
    let wrong = app.error(r#"{ companies(orderBy: {field: DATE}) { totalCount } }"#, json!({})).await;
    assert_eq!(wrong["extensions"]["code"], "BAD_USER_INPUT", "{wrong}");
}

/// Search: by the date in words (either language), by who took part, by the site.
async fn search_finds_the_event(app: &TestApp, id: &str) {
    let salon = ("Event".to_string(), "salon-risques-2023".to_string());
    for query in ["salon octobre 2023", "October 2023", "mardi 3 octobre", "Inès Garcia salon", "inondations"] {
        assert!(found(app, query).await.contains(&salon), "{query:?} finds the event");
    }
    let other_month = app
        .data(r#"{ search(query: "salon juin 2023", matchingStrategy: ALL) { edges { node { slug } } } }"#, json!({}))
        .await;
    assert!(!other_month.to_string().contains("salon-risques-2023"), "another month does not match: {other_month}");
    let suggestions = app.data(r#"{ suggest(prefix: "salon des ri", kinds: [EVENT]) { kind slug } }"#, json!({})).await;
    assert_eq!(suggestions["suggest"][0], json!({"kind": "EVENT", "slug": "salon-risques-2023"}));
    let facets = app
        .data(r#"{ search(query: "", kinds: [EVENT]) { totalCount facets { kind { value count } } } }"#, json!({}))
        .await;
    assert!(facets["search"]["facets"]["kind"].as_array().unwrap().iter().any(|v| v["value"] == "EVENT"));
    let similar = app
        .data("query($id: ID!) { similar(id: $id, first: 50) { edges { node { slug } } } }", json!({"id": id}))
        .await;
    let similar: Vec<&str> =
        similar["similar"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["slug"].as_str().unwrap()).collect();
    assert!(!similar.contains(&"salon-risques-2023") && !similar.is_empty(), "{similar:?}");
}

#[tokio::test]
async fn bad_events_are_refused_with_their_paths() {
    let app = spawn_app().await;
    let document = json!({"events": [
        event("e1", "Fine", "2022-01-01", json!({})),
        event("e2", "Backwards", "2022-06-22", json!({"endDate": "2022-06-21", "site": "nowhere",
            "organisers": ["upe-13", "ghost"], "companies": ["nobody"], "people": ["no-one"], "organisations": ["none"]})),
        json!({"slug": "e3", "name": "No date", "lang": "fr"})
    ]});

    let output = app.import(&document).await;

    let report = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{report}");
    for line in [
        "events[1].endDate: ends (2022-06-21) before it starts (2022-06-22)",
        "events[1].site: unknown organisation \"nowhere\"",
        "events[1].organisers[1]: unknown organisation \"ghost\"",
        "events[1].companies[0]: unknown company \"nobody\"",
        "events[1].people[0]: unknown person \"no-one\"",
        "events[1].organisations[0]: unknown organisation \"none\"",
        "events[2]: missing field date",
    ] {
        assert!(report.contains(line), "missing {line:?} in:\n{report}");
    }
    assert!(app.data(r#"{ event(slug: "e1") { slug } }"#, json!({})).await["event"].is_null(), "all or nothing");
}

const CREATE: &str =
    "mutation($input: CreateEventInput!) { createEvent(input: $input) { id slug date companies { slug } } }";

#[tokio::test]
async fn events_are_written_through_mutations_and_follow_the_deletion_of_what_they_link_to() {
    let app = spawn_app().await;
    let before = *app.kb.index().applied().borrow();
    let created = app
        .mutate_ok(
            CREATE,
            json!({"input": event("forum-eau", "Forum de l'eau", "2024-05-02", json!({
                "site": "upe-pays-d-aix", "companies": ["sp3h", "echy"], "organisations": ["ccimp"]
            }))}),
        )
        .await;
    let id = created["createEvent"]["id"].as_str().unwrap().to_string();
    assert_eq!(slugs(&created["createEvent"]["companies"]), ["echy", "sp3h"]);

    let refused = app
        .mutate(
            "mutation($id: ID!) { updateEvent(id: $id, input: {endDate: \"2024-05-01\"}) { date } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(refused["errors"][0]["extensions"]["problems"][0]["path"], "input.endDate", "{refused}");
    let updated = app
        .mutate_ok(
            "mutation($id: ID!) { updateEvent(id: $id, input: {date: \"2024-05-03\", endDate: \"2024-05-04\", companies: [\"sp3h\"]}) { date endDate companies { slug } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        updated["updateEvent"],
        json!({"date": "2024-05-03", "endDate": "2024-05-04", "companies": [{"slug": "sp3h"}]})
    );
    assert!(found(&app, "forum mai 2024").await.contains(&("Event".into(), "forum-eau".into())));

    // The site is a reference: deleting it is refused unless forced, which clears it.
    let site = app.id_of("organisation", "upe-pays-d-aix").await;
    let refused = app.mutate("mutation($id: ID!) { deleteOrganisation(id: $id) }", json!({"id": site})).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "CONFLICT", "{refused}");
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("1 events"), "{refused}");
    app.mutate_ok("mutation($id: ID!) { deleteOrganisation(id: $id, force: true) }", json!({"id": site})).await;
    // Participants are links: they go with what they link to.
    let ccimp = app.id_of("organisation", "ccimp").await;
    app.mutate_ok("mutation($id: ID!) { deleteOrganisation(id: $id) }", json!({"id": ccimp})).await;
    let sp3h = app.id_of("company", "sp3h").await;
    app.mutate_ok("mutation($id: ID!) { deleteCompany(id: $id) }", json!({"id": sp3h})).await;

    let data = app.data(EVENT, json!({"slug": "forum-eau"})).await;
    assert!(data["event"]["site"].is_null());
    assert_eq!(data["event"]["companies"], json!([]));
    assert_eq!(data["event"]["organisations"], json!([]));
    let ccimp_gone = app
        .data(
            r#"{ search(query: "forum Aix-Marseille-Provence", matchingStrategy: ALL) { edges { node { slug } } } }"#,
            json!({}),
        )
        .await;
    assert!(!ccimp_gone.to_string().contains("forum-eau"), "its document was rewritten: {ccimp_gone}");

    app.mutate_ok("mutation($id: ID!) { deleteEvent(id: $id) }", json!({"id": id})).await;
    assert!(app.data(r#"{ event(slug: "forum-eau") { slug } }"#, json!({})).await["event"].is_null());
    assert!(!found(&app, "forum de l'eau").await.iter().any(|(_, s)| s == "forum-eau"));

    // The change log follows the event: created, updated (by its own update and by the deletion
    // of what it linked to), deleted, with its slug.
    let changes = pepite::changelog::after(app.kb.database(), before, 100).await.unwrap().changes;
    let operations: Vec<&str> = changes
        .iter()
        .filter(|c| c.kind == entity::EntityKind::Event && c.slug == "forum-eau")
        .map(|c| c.operation.as_str())
        .collect();
    assert_eq!(operations.first(), Some(&"CREATED"), "{operations:?}");
    assert_eq!(operations.last(), Some(&"DELETED"), "{operations:?}");
    assert!(
        operations[1..operations.len() - 1].iter().all(|o| *o == "UPDATED") && operations.len() >= 5,
        "{operations:?}"
    );
}

#[tokio::test]
async fn the_bundled_knowledge_base_tells_who_met_whom_on_22_june_2022() {
    let app = spawn_app().await;

    let bencivenga = found(&app, "Bencivenga").await;
    assert_eq!(bencivenga.first(), Some(&("Person".to_string(), "johan-bencivenga".to_string())), "{bencivenga:?}");
    let visit = found(&app, "visite Technopôle juin 2022").await;
    assert_eq!(
        visit.first(),
        Some(&("Event".to_string(), "visite-upe-13-technopole-arbois-2022".to_string())),
        "{visit:?}"
    );

    let english = found(&app, "UPE 13 visit June 2022").await;
    assert_eq!(
        english.first(),
        Some(&("Event".to_string(), "visite-upe-13-technopole-arbois-2022".to_string())),
        "in English too: {english:?}"
    );
    let bilingual = app
        .data(r#"{ person(slug: "sebastien-giraud") { description(lang: en) } company(slug: "echy") { name(lang: en) } }"#, json!({}))
        .await;
    assert!(bilingual["person"]["description"].as_str().unwrap().starts_with("Director general of Safe Cluster"));
    assert_eq!(bilingual["company"]["name"], "ECHY", "no translated name: the original");

    let data = app
        .data(
            r#"{ event(slug: "visite-upe-13-technopole-arbois-2022") {
                    date site { slug } organisers { slug } companies { slug } people { name } organisations { slug }
                    sources { title publishedOn } }
                 organisation(slug: "upe-13") { people { edges { node { title person { name } } } } } }"#,
            json!({}),
        )
        .await;
    let event = &data["event"];
    assert_eq!(event["date"], "2022-06-22");
    assert_eq!(event["site"]["slug"], "technopole-arbois");
    assert_eq!(slugs(&event["companies"]), ["echy", "sp3h"]);
    assert_eq!(event["people"], json!([{"name": "Jean-Marc Perrin"}, {"name": "Sébastien Giraud"}]));
    assert_eq!(
        event["sources"][0],
        json!({"title": "Technopôle de l'environnement Arbois Méditerranée : AMP, champion de l'innovation", "publishedOn": "2022-06-27"})
    );
    assert_eq!(
        data["organisation"]["people"]["edges"],
        json!([
            {"node": {"title": "candidat de l'UPE 13 à la CCIMP", "person": {"name": "Jean-Luc Chauvin"}}},
            {"node": {"title": "président", "person": {"name": "Johan Bencivenga"}}}
        ])
    );
}
