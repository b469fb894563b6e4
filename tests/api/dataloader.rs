//! Relations are batched: listing companies with their relations runs a constant number of statements.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn listing_companies_with_relations_runs_a_constant_number_of_statements() {
    let app = spawn_app().await;
    let mut document = Vec::new();
    pepite::generate::write(&mut document, 150, 3).unwrap();
    let document: serde_json::Value = serde_json::from_slice(&document).unwrap();
    let output = app.import(&document).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let query = "query($n: Int) { companies(first: $n) { totalCount nodes {
        name site { name } technologies { name domain } programmes { name operator { name } } memberships { name }
    } } }";

    let mut counts = Vec::new();
    for n in [50, 100] {
        let before = app.statements();
        let data = app.data(query, json!({"n": n})).await;
        counts.push(app.statements() - before);
        let nodes = data["companies"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), n);
        assert!(
            nodes.iter().all(|c| !c["technologies"].as_array().unwrap().is_empty()),
            "every generated company has technologies"
        );
    }

    assert_eq!(counts[0], counts[1], "the number of statements does not grow with the page: {counts:?}");
    assert!(counts[1] <= 12, "{} statements for 100 companies with their relations", counts[1]);
}

#[tokio::test]
async fn listing_people_and_events_with_relations_runs_a_constant_number_of_statements() {
    let app = spawn_app().await;
    let orgs = ["upe-13", "safe-cluster", "ccimp", "technopole-arbois"];
    let people: Vec<serde_json::Value> = (0..60)
        .map(|i| {
            json!({"slug": format!("person-{i:02}"), "name": format!("Person {i:02}"), "lang": "fr", "roles": [
                {"organisation": orgs[i % 4], "title": "membre"}, {"organisation": orgs[(i + 1) % 4], "title": "élu"}
            ]})
        })
        .collect();
    let events: Vec<serde_json::Value> = (0..60)
        .map(|i| {
            json!({"slug": format!("event-{i:02}"), "name": format!("Event {i:02}"), "lang": "fr", "date": "2024-01-01",
                   "site": orgs[i % 4], "organisers": [orgs[(i + 1) % 4]], "companies": ["sp3h"],
                   "people": [format!("person-{i:02}")], "organisations": [orgs[(i + 2) % 4]]})
        })
        .collect();
    let output = app.import(&json!({"people": people, "events": events})).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // One list per request: two root fields resolve concurrently, and may or may not share a batch.
    let people = "query($n: Int) { people(first: $n) { nodes { name roles { title organisation { name } } } } }";
    let events =
        "query($n: Int) { events(first: $n) { nodes { name site { name } organisers { name } companies { name }
        people { name roles { title } } organisations { name } } } }";

    let mut counts = Vec::new();
    for n in [20, 50] {
        let before = app.statements();
        let listed = app.data(people, json!({"n": n})).await;
        let data = app.data(events, json!({"n": n})).await;
        counts.push(app.statements() - before);
        assert_eq!(listed["people"]["nodes"].as_array().unwrap().len(), n);
        let events = data["events"]["nodes"].as_array().unwrap();
        assert_eq!(events.len(), n);
        assert!(events.iter().all(|e| e["people"][0]["roles"].as_array().unwrap().len() == 2), "{events:?}");
    }

    assert_eq!(counts[0], counts[1], "the number of statements does not grow with the page: {counts:?}");
    assert!(counts[1] <= 16, "{} statements for 50 people and 50 events with their relations", counts[1]);
}
