//! Spreadsheets and NDJSON in, spreadsheets out: French headings, names instead of slugs, every
//! problem at its row and column, and exports that read back as they were.

use serde_json::{Value, json};

use crate::helpers::{TestApp, cli, spawn_app, stderr, test_settings};

/// Writes `bytes` in the app's data directory under `name` and imports it with `args`.
async fn import_file(app: &TestApp, name: &str, bytes: &[u8], args: &[&str]) -> std::process::Output {
    let path = app.settings.data_dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let mut all = vec!["import", path.to_str().unwrap()];
    all.extend_from_slice(args);
    app.cli(&all).await
}

/// Text in Windows-1252, as Excel saves "CSV (séparateur: point-virgule)" in France.
fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            'é' => 0xe9,
            'è' => 0xe8,
            'ô' => 0xf4,
            'É' => 0xc9,
            c if c.is_ascii() => c as u8,
            c => panic!("no Windows-1252 byte for {c:?} in this test"),
        })
        .collect()
}

#[tokio::test]
async fn a_csv_saved_by_excel_in_french_imports_with_its_headings_and_names_as_people_write_them() {
    let app = spawn_app().await;
    let csv = "Raison sociale;Ville;Site web;Stade;Technologies;Adhésions;Année de création;Description;Téléphone\r\n\
               Lumière Fibrée;Aix-en-Provence;https://example.org/lf;PME;Fibre optique, Analyse de carburant;Safe Cluster;2012;\"Éclairage; fibre\";04 42 00 00 00\r\n\
               Hélio Sud;Marseille;;Start-up;optical-fibre;;2021.0;;\r\n";

    let output = import_file(&app, "parc.csv", &windows_1252(csv), &["--kind", "company"]).await;

    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("companies: 2 created"), "{}", stderr(&output));
    let data = app
        .data(
            r#"{ company(slug: "lumiere-fibree") { name city website stage foundedYear description
                 technologies { slug } memberships { slug } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        data["company"],
        json!({"name": "Lumière Fibrée", "city": "Aix-en-Provence", "website": "https://example.org/lf", "stage": "SME",
               "foundedYear": 2012, "description": "Éclairage; fibre",
               "technologies": [{"slug": "fuel-analysis"}, {"slug": "optical-fibre"}], "memberships": [{"slug": "safe-cluster"}]})
    );
    let data = app.data(r#"{ company(slug: "helio-sud") { stage foundedYear } }"#, json!({})).await;
    assert_eq!(data["company"], json!({"stage": "STARTUP", "foundedYear": 2021}));
    let hits = app
        .data(r#"{ search(query: "lumiere fibree") { edges { node { ... on Company { slug } } } } }"#, json!({}))
        .await;
    assert_eq!(hits["search"]["edges"][0]["node"]["slug"], "lumiere-fibree");

    // The same rows again: the same slugs, nothing written.
    let again = import_file(&app, "parc.csv", &windows_1252(csv), &["--kind", "company"]).await;
    assert!(stderr(&again).contains("companies: 0 created, 0 updated, 2 unchanged"), "{}", stderr(&again));
}

#[tokio::test]
async fn every_problem_is_said_at_its_row_and_column_and_nothing_is_written() {
    let app = spawn_app().await;
    let before = app.export().await;
    let csv = "\u{feff}Nom,Stade,Technologies,Effectif\n\
               Bonne Boîte,SME,optical-fibre,12\n\
               Mauvaise Techno,SME,fibre optiqe,3\n\
               Mauvais Stade,moyen,,douze\n";

    let output = import_file(&app, "entreprises.csv", csv.as_bytes(), &[]).await;

    let report = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{report}");
    for line in [
        "entreprises.csv, row 3, column \"Technologies\": unknown technology \"fibre optiqe\" — did you mean \"Optical fibre\" (optical-fibre)?",
        "entreprises.csv, row 4, column \"Stade\": unknown stage \"moyen\"",
        "entreprises.csv, row 4, column \"Effectif\": must be a whole number, got \"douze\"",
    ] {
        assert!(report.contains(line), "missing {line:?} in:\n{report}");
    }
    assert_eq!(app.export().await, before, "a refused import writes nothing");

    let unnamed = import_file(&app, "liste.csv", b"Nom,Stade\nA,SME\n", &[]).await;
    assert!(stderr(&unnamed).contains("say which kind its rows are, e.g. --kind company"), "{}", stderr(&unnamed));
    let prune = import_file(&app, "entreprises.csv", b"Nom,Stade\nA,SME\n", &["--prune"]).await;
    assert!(stderr(&prune).contains("--prune"), "{}", stderr(&prune));
}

#[tokio::test]
async fn a_mapping_file_names_columns_the_import_does_not_know() {
    let app = spawn_app().await;
    let mapping = app.settings.data_dir.join("mapping.toml");
    std::fs::write(
        &mapping,
        "kind = \"company\"\n[columns]\n\"Société\" = \"name\"\n\"Techs\" = { field = \"technologies\", separator = \"/\" }\n\
         \"Taille\" = \"stage\"\n",
    )
    .unwrap();

    let csv = "Société,Techs,Taille\nMappée,Fibre optique / fuel-analysis,ETI\n";
    let output = import_file(&app, "crm.csv", csv.as_bytes(), &["--mapping", mapping.to_str().unwrap()]).await;

    assert!(output.status.success(), "{}", stderr(&output));
    let data = app.data(r#"{ company(slug: "mappee") { stage technologies { slug } } }"#, json!({})).await;
    assert_eq!(
        data["company"],
        json!({"stage": "MIDCAP", "technologies": [{"slug": "fuel-analysis"}, {"slug": "optical-fibre"}]})
    );
}

#[tokio::test]
async fn ndjson_lines_carry_their_kind_and_their_problems_their_line() {
    let app = spawn_app().await;
    let good = concat!(
        r#"{"kind": "technology", "slug": "hydrogen", "name": "Hydrogène", "domain": "ENERGY", "lang": "fr"}"#,
        "\n\n",
        r#"{"kind": "company", "slug": "h2-sud", "name": "H2 Sud", "stage": "STARTUP", "lang": "fr", "technologies": ["hydrogen"]}"#,
        "\n"
    );
    let output = import_file(&app, "lines.ndjson", good.as_bytes(), &[]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let data = app.data(r#"{ company(slug: "h2-sud") { technologies { slug } } }"#, json!({})).await;
    assert_eq!(data["company"]["technologies"], json!([{"slug": "hydrogen"}]));

    let bad = concat!(
        r#"{"kind": "company", "slug": "ok-co", "name": "OK", "stage": "SME", "lang": "fr"}"#,
        "\n",
        r#"{"slug": "no-kind", "name": "No kind", "stage": "SME", "lang": "fr"}"#,
        "\n",
        "{not json\n"
    );
    let output = import_file(&app, "bad.ndjson", bad.as_bytes(), &[]).await;
    let report = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{report}");
    assert!(report.contains("bad.ndjson, line 2: says no kind"), "{report}");
    assert!(report.contains("bad.ndjson, line 3: malformed JSON"), "{report}");
}

#[tokio::test]
async fn a_workbook_and_a_csv_export_read_back_as_the_same_knowledge_base() {
    let app = spawn_app().await;
    let original = app.export().await;
    let workbook = app.settings.data_dir.join("parc.xlsx");
    let written = app.cli(&["export", "--format", "xlsx", "--output", workbook.to_str().unwrap()]).await;
    assert!(written.status.success(), "{}", stderr(&written));
    let companies = app.cli(&["export", "--format", "csv", "--kind", "company"]).await;
    assert!(companies.status.success(), "{}", stderr(&companies));

    // Into an empty database: the workbook, then its companies again from the CSV.
    let dir = tempfile::tempdir().unwrap();
    let empty = test_settings(dir.path()).await;
    let imported = cli(&empty, &["import", workbook.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let csv = dir.path().join("companies.csv");
    std::fs::write(&csv, &companies.stdout).unwrap();
    let again = cli(&empty, &["import", csv.to_str().unwrap()]);
    assert!(stderr(&again).contains("companies: 0 created, 0 updated, 2 unchanged"), "{}", stderr(&again));

    let read_back: Value = serde_json::from_slice(&cli(&empty, &["export"]).stdout).unwrap();
    assert_eq!(read_back, original);
}
