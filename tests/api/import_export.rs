//! The import command's checks and report, and the export round trip.

use serde_json::{Value, json};

use crate::helpers::{TestApp, cli, spawn_app, stderr, test_settings};

/// Imports a bad document: it must fail, change nothing, and report each expected line.
async fn refused(app: &TestApp, document: Value, expected: &[&str]) {
    let before = app.export().await;
    let output = app.import(&document).await;
    let report = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{report}");
    for line in expected {
        assert!(report.contains(line), "missing {line:?} in:\n{report}");
    }
    assert_eq!(app.export().await, before, "a failed import changes nothing");
}

fn company(extra: Value) -> Value {
    let mut c = json!({"slug": "newco", "name": "NewCo", "stage": "STARTUP", "lang": "fr"});
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

#[tokio::test]
async fn every_problem_of_a_document_is_reported_with_its_path_and_nothing_is_written() {
    let app = spawn_app().await;

    refused(
        &app,
        json!({
            "organisations": [{"slug": "ok-org", "name": "Fine", "kind": "CLUSTER", "lang": "fr"}],
            "programmes": [{"slug": "p", "name": "P", "kind": "COOKING", "lang": "fr"}],
            "companies": [
                company(json!({"slug": "a"})),
                company(json!({"slug": "b"})),
                company(json!({"slug": "c"})),
                company(json!({"slug": "d", "technologies": ["fuel-analysis", "foo"]})),
            ]
        }),
        &["programmes[0].kind: expected one of MENTORING, FUNDING", "got \"COOKING\""],
    )
    .await;

    refused(
        &app,
        json!({"companies": [
            company(json!({"slug": "Bad Slug"})),
            company(json!({"slug": "n2", "name": ""})),
            company(json!({"slug": "n3", "name": "x".repeat(201)})),
            company(json!({"slug": "n4", "website": "ftp://example.org"})),
            company(json!({"slug": "n5", "foundedYear": 1500})),
            company(json!({"slug": "n6", "site": "nowhere", "memberships": ["ghost"], "programmes": ["none"]})),
            company(json!({"slug": "n7", "technologies": ["fuel-analysis", "foo"]})),
            company(json!({"slug": "n7"})),
            company(json!({"slug": "n9", "description": "é".repeat(10_001)})),
        ]}),
        &[
            "companies[0].slug: \"Bad Slug\" may only hold lowercase letters",
            "companies[1].name: must not be empty",
            "companies[2].name: must be at most 200 characters",
            "companies[3].website: must be an http or https URL",
            "companies[4].foundedYear: must be between 1800",
            "companies[5].site: unknown organisation \"nowhere\"",
            "companies[5].memberships[0]: unknown organisation \"ghost\"",
            "companies[5].programmes[0]: unknown programme \"none\"",
            "companies[6].technologies[1]: unknown technology \"foo\"",
            "companies[7].slug: \"n7\" appears twice in the document",
            "companies[8].description: must be at most 10000 characters",
        ],
    )
    .await;

    refused(
        &app,
        json!({
            "technologies": [{"slug": "energy-efficiency", "name": "Energy efficiency", "domain": "ENERGY", "lang": "en", "parent": "combustion-optimisation"}],
            "programmes": [{"slug": "p", "name": "P", "kind": "FUNDING", "lang": "fr", "startsOn": "2026-05-01", "endsOn": "2026-01-01"}],
            "companies": [{"slug": "x", "name": "X", "lang": "fr"}, company(json!({"colour": "blue"}))]
        }),
        &[
            "technologies[0].parent: \"energy-efficiency\" would become its own ancestor",
            "programmes[0].endsOn: ends (2026-01-01) before it starts (2026-05-01)",
            "companies[0]: missing field stage",
            "companies[1].colour: unknown field colour",
        ],
    )
    .await;
}

#[tokio::test]
async fn malformed_json_is_reported_with_line_and_column() {
    let app = spawn_app().await;
    let file = app.settings.data_dir.join("broken.json");
    std::fs::write(&file, "{\n  \"companies\": [\n    {\"slug\": \"x\",}\n  ]\n}").unwrap();

    let output = app.cli(&["import", file.to_str().unwrap()]).await;

    assert_eq!(output.status.code(), Some(2));
    let report = stderr(&output);
    assert!(report.contains("malformed JSON: ") && report.contains(" at line 3 column 18"), "{report}");
    let missing = app.cli(&["import", "/nonexistent/kb.json"]).await;
    assert!(stderr(&missing).contains("cannot read /nonexistent/kb.json"), "{}", stderr(&missing));
}

#[tokio::test]
async fn export_then_import_into_an_empty_database_then_export_gives_the_same_document() {
    let app = spawn_app().await;
    let fixture = json!({"companies": [company(json!({"slug": "sp3h", "name": "SP3H", "stage": "SME", "site": "technopole-arbois",
        "technologies": ["fuel-analysis", "combustion-optimisation"], "programmes": ["mentorat-a-la-carte"], "memberships": ["safe-cluster", "upe-13"],
        "foundedYear": 2004, "employees": 12, "website": "https://example.org", "city": "Aix-en-Provence"}))]});
    assert!(app.import(&fixture).await.status.success());
    let first = app.cli(&["export"]).await;
    assert!(first.status.success(), "{}", stderr(&first));

    let dir = tempfile::tempdir().unwrap();
    let empty = test_settings(dir.path()).await;
    let mut import = crate::helpers::cli_command(&empty, &["import", "-"]);
    import
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = import.spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &first.stdout).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "organisations: 6 created, 0 updated, 0 unchanged, 0 deleted\n\
             technologies: 6 created, 0 updated, 0 unchanged, 0 deleted\n\
             programmes: 2 created, 0 updated, 0 unchanged, 0 deleted\n\
             companies: 2 created, 0 updated, 0 unchanged, 0 deleted\n\
             people: 5 created, 0 updated, 0 unchanged, 0 deleted\n\
             events: 1 created, 0 updated, 0 unchanged, 0 deleted\n\
             imported in "
        ),
        "{}",
        stderr(&output)
    );
    let second = cli(&empty, &["export"]);

    assert_eq!(String::from_utf8_lossy(&second.stdout), String::from_utf8_lossy(&first.stdout));
    let document: Value = serde_json::from_slice(&first.stdout).unwrap();
    let sp3h = document["companies"].as_array().unwrap().iter().find(|c| c["slug"] == "sp3h").unwrap();
    assert_eq!(sp3h["memberships"], json!(["safe-cluster", "upe-13"]));
    assert_eq!(sp3h["foundedYear"], 2004);
}

#[tokio::test]
async fn a_large_import_is_batched_and_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path()).await;
    let output = cli(&settings, &["generate", "--companies", "3000", "--seed", "9"]);
    assert!(output.status.success());
    let file = dir.path().join("kb.json");
    std::fs::write(&file, &output.stdout).unwrap();

    let imported = cli(&settings, &["import", file.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(stderr(&imported).contains("companies: 3000 created, 0 updated, 0 unchanged"), "{}", stderr(&imported));
    let again = cli(&settings, &["import", file.to_str().unwrap()]);
    assert!(again.status.success(), "importing the same document twice updates in place");
    assert!(stderr(&again).contains("companies: 0 created, 0 updated, 3000 unchanged"), "{}", stderr(&again));

    let app = crate::helpers::spawn_app_with(dir, settings).await;
    let data =
        app.data(r#"{ companies { totalCount } search(query: "", kinds: [COMPANY]) { totalCount } }"#, json!({})).await;
    assert_eq!(data["companies"]["totalCount"], 3000);
    assert_eq!(data["search"]["totalCount"], 3000);
}
