//! Imports that skip unchanged entities, count what they did, and mirror a file with `--prune`.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, stderr};

/// Imports `document` through the CLI with extra flags; returns whether it succeeded and its report.
async fn import(app: &TestApp, document: &Value, flags: &[&str]) -> (bool, String) {
    let file = app.settings.data_dir.join("mirror.json");
    std::fs::write(&file, document.to_string()).unwrap();
    let mut args = vec!["import"];
    args.extend(flags);
    args.push(file.to_str().unwrap());
    let output = app.cli(&args).await;
    (output.status.success(), stderr(&output))
}

/// The last sequence number the change log handed out: it grows with every
/// entry, even once the index has applied and removed them.
async fn last_change(app: &TestApp) -> i64 {
    let db = app.kb.database();
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT COALESCE(last_value, 0) AS seq FROM pg_sequences WHERE sequencename = 'change_seq_seq'"
        }
        _ => "SELECT seq FROM sqlite_sequence WHERE name = 'change'",
    };
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    row.map(|r| r.try_get::<i64>("", "seq").unwrap()).unwrap_or(0)
}

const UPDATED_AT: &str = r#"{ company(slug: "sp3h") { updatedAt } organisation(slug: "upe-13") { updatedAt }
    technology(slug: "fuel-analysis") { updatedAt } programme(slug: "mentorat-a-la-carte") { updatedAt } }"#;

/// The entities of `list` in `document` but those with the given slugs.
fn without(document: &mut Value, list: &str, slugs: &[&str]) {
    document[list].as_array_mut().unwrap().retain(|e| !slugs.contains(&e["slug"].as_str().unwrap()));
}

/// `document` without ECHY: the company, and its part in the events.
fn without_echy(document: &mut Value) {
    without(document, "companies", &["echy"]);
    for event in document["events"].as_array_mut().unwrap() {
        event["companies"].as_array_mut().unwrap().retain(|c| c != "echy");
    }
}

#[tokio::test]
async fn importing_the_same_document_again_writes_nothing_and_says_so() {
    // Arrange: the bundled knowledge base, exported.
    let app = spawn_app().await;
    let document = app.export().await;
    let stamps = app.data(UPDATED_AT, json!({})).await;
    let log = last_change(&app).await;
    assert!(log > 0, "the seed import wrote to the change log");

    // Act
    let (ok, report) = import(&app, &document, &[]).await;

    // Assert: every entity unchanged, no updatedAt bumped, nothing for the index to do.
    assert!(ok, "{report}");
    for line in [
        "organisations: 0 created, 0 updated, 6 unchanged, 0 deleted",
        "technologies: 0 created, 0 updated, 6 unchanged, 0 deleted",
        "programmes: 0 created, 0 updated, 2 unchanged, 0 deleted",
        "companies: 0 created, 0 updated, 2 unchanged, 0 deleted",
        "imported in ",
    ] {
        assert!(report.contains(line), "missing {line:?} in:\n{report}");
    }
    assert_eq!(app.data(UPDATED_AT, json!({})).await, stamps);
    assert_eq!(last_change(&app).await, log, "no change-log entry for unchanged entities");

    // A changed description, a changed relation and a new company: only those are written.
    let mut changed = document.clone();
    let companies = changed["companies"].as_array_mut().unwrap();
    let sp3h = companies.iter_mut().find(|c| c["slug"] == "sp3h").unwrap();
    sp3h["description"] = json!("Analyse des carburants en ligne.");
    let echy = companies.iter_mut().find(|c| c["slug"] == "echy").unwrap();
    echy["memberships"] = json!(["safe-cluster"]);
    companies.push(json!({"slug": "newco", "name": "NewCo", "stage": "STARTUP", "lang": "fr"}));
    let (ok, report) = import(&app, &changed, &[]).await;
    assert!(ok, "{report}");
    assert!(report.contains("companies: 1 created, 2 updated, 0 unchanged, 0 deleted"), "{report}");
    assert!(report.contains("organisations: 0 created, 0 updated, 6 unchanged, 0 deleted"), "{report}");
    let after = app.data(UPDATED_AT, json!({})).await;
    assert_ne!(after["company"], stamps["company"], "a changed company gets a new updatedAt");
    assert_eq!(after["organisation"], stamps["organisation"]);
    // One entry per written entity, and one for Safe Cluster, which gained a member (its index
    // document counts them).
    assert_eq!(last_change(&app).await, log + 4, "one change-log entry per changed entity");
}

#[tokio::test]
async fn a_pruning_import_says_what_it_would_delete_then_makes_the_knowledge_base_equal_to_the_file() {
    // Arrange: the bundled knowledge base without ECHY and what only it uses.
    let app = spawn_app().await;
    let before = app.export().await;
    let mut document = before.clone();
    without_echy(&mut document);
    without(&mut document, "technologies", &["solar-daylighting", "optical-fibre", "fibre-optic-lighting"]);
    without(&mut document, "programmes", &["rapprochement-pme-grands-groupes"]);
    without(&mut document, "organisations", &["ccimp"]);
    let expected = [
        "organisations: 0 created, 0 updated, 5 unchanged, 1 deleted",
        "technologies: 0 created, 0 updated, 3 unchanged, 3 deleted",
        "programmes: 0 created, 0 updated, 1 unchanged, 1 deleted",
        "companies: 0 created, 0 updated, 1 unchanged, 1 deleted",
    ];

    // Act and assert: a dry run reports and writes nothing.
    let (ok, report) = import(&app, &document, &["--prune", "--dry-run"]).await;
    assert!(ok, "{report}");
    for line in expected {
        assert!(report.contains(line), "missing {line:?} in:\n{report}");
    }
    assert!(report.contains("dry run, nothing written in "), "{report}");
    assert_eq!(app.export().await, before);

    // Then for real: the knowledge base equals the file, and search forgets what went.
    let (ok, report) = import(&app, &document, &["--prune"]).await;
    assert!(ok, "{report}");
    for line in expected {
        assert!(report.contains(line), "missing {line:?} in:\n{report}");
    }
    assert_eq!(app.export().await, document);
    let found = app.data(r#"{ search(query: "") { totalCount } }"#, json!({})).await;
    assert_eq!(found["search"]["totalCount"], 5 + 3 + 1 + 1 + 5 + 1, "and the people and the event");
}

#[tokio::test]
async fn pruning_what_the_file_still_refers_to_is_refused_unless_forced() {
    // Arrange: the file drops the technopole (the site of both companies) and a technology SP3H works on.
    let app = spawn_app().await;
    let before = app.export().await;
    let mut document = before.clone();
    without(&mut document, "organisations", &["technopole-arbois"]);
    without(&mut document, "technologies", &["fuel-analysis"]);

    // Act
    let (ok, report) = import(&app, &document, &["--prune"]).await;

    // Assert: every reference that blocks a delete is listed, and nothing is written.
    assert!(!ok, "{report}");
    for line in [
        "companies[0].site: organisation \"technopole-arbois\" is not in the document, so pruning deletes it",
        "companies[1].site: organisation \"technopole-arbois\"",
        "companies[1].technologies[1]: technology \"fuel-analysis\"",
    ] {
        assert!(report.contains(line), "missing {line:?} in:\n{report}");
    }
    assert_eq!(app.export().await, before);

    // With --force the references are cleared, as deleteOrganisation(force: true) clears them.
    let (ok, report) = import(&app, &document, &["--prune", "--force"]).await;
    assert!(ok, "{report}");
    assert!(report.contains("companies: 0 created, 2 updated, 0 unchanged, 0 deleted"), "{report}");
    assert!(report.contains("organisations: 0 created, 0 updated, 5 unchanged, 1 deleted"), "{report}");
    for company in document["companies"].as_array_mut().unwrap() {
        company["site"] = Value::Null;
        company["technologies"].as_array_mut().unwrap().retain(|t| t != "fuel-analysis");
    }
    document["events"][0].as_object_mut().unwrap().remove("site");
    for person in document["people"].as_array_mut().unwrap() {
        person["roles"].as_array_mut().unwrap().retain(|r| r["organisation"] != "technopole-arbois");
        if person["roles"] == json!([]) {
            person.as_object_mut().unwrap().remove("roles");
        }
    }
    assert_eq!(app.export().await, document);
}

#[tokio::test]
async fn import_knowledge_base_returns_the_same_summary() {
    let app = spawn_app().await;
    let mut document = app.export().await;
    without_echy(&mut document);
    document["companies"][0]["employees"] = json!(13);
    let query = "mutation($d: JSON!, $dry: Boolean!) { importKnowledgeBase(document: $d, prune: true, dryRun: $dry) {
        companies { created updated unchanged deleted } technologies { unchanged deleted } dryRun } }";

    let dry = app.mutate_ok(query, json!({"d": document, "dry": true})).await;
    let real = app.mutate_ok(query, json!({"d": document, "dry": false})).await;

    let counts = json!({
        "companies": {"created": 0, "updated": 1, "unchanged": 0, "deleted": 1},
        "technologies": {"unchanged": 6, "deleted": 0},
    });
    assert_eq!(dry["importKnowledgeBase"]["companies"], counts["companies"]);
    assert_eq!(dry["importKnowledgeBase"]["technologies"], counts["technologies"]);
    assert_eq!(dry["importKnowledgeBase"]["dryRun"], true);
    assert_eq!(real["importKnowledgeBase"]["companies"], counts["companies"]);
    assert_eq!(real["importKnowledgeBase"]["dryRun"], false);
    let left = app.data("{ companies { nodes { slug employees } } }", json!({})).await;
    assert_eq!(left["companies"]["nodes"], json!([{"slug": "sp3h", "employees": 13}]));
}

#[tokio::test]
async fn an_update_that_changes_nothing_keeps_updated_at() {
    let app = spawn_app().await;
    let id = app.id_of("company", "sp3h").await;
    let query =
        "mutation($id: ID!, $input: UpdateCompanyInput!) { updateCompany(id: $id, input: $input) { city updatedAt } }";
    let before = app.data(r#"{ company(slug: "sp3h") { city updatedAt } }"#, json!({})).await["company"].clone();

    let same = app.mutate_ok(query, json!({"id": id, "input": {"city": before["city"]}})).await;
    let moved = app.mutate_ok(query, json!({"id": id, "input": {"city": "Gardanne"}})).await;

    assert_eq!(same["updateCompany"], before);
    assert_ne!(moved["updateCompany"]["updatedAt"], before["updatedAt"]);
}
