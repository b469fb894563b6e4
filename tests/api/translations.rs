//! Translations: names and descriptions in the other language, read back with `lang`, searched
//! with that language's analyzer, checked, exported and imported.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn export(app: &TestApp) -> Value {
    let output = app.cli(&["export"]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("export writes JSON")
}

async fn search_slugs(app: &TestApp, query: &str) -> Vec<String> {
    let data = app
        .data(
            "query($q: String!) { search(query: $q, matchingStrategy: ALL) { edges { node { slug } } } }",
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

const CREATE: &str = "mutation($input: CreateCompanyInput!) { createCompany(input: $input) { id } }";

fn aquaclair() -> Value {
    json!({
        "slug": "aquaclair", "name": "AquaClair", "stage": "STARTUP", "lang": "fr",
        "description": "Traitement des eaux usées par filtres céramiques.",
        "translations": [{"lang": "en", "name": "AquaClear", "description": "Wastewater treatment with ceramic membranes."}]
    })
}

#[tokio::test]
async fn a_translation_is_read_with_lang_and_found_in_its_own_language() {
    let app = spawn_app().await;
    let created = app.mutate_ok(CREATE, json!({"input": aquaclair()})).await;
    let id = created["createCompany"]["id"].as_str().unwrap().to_string();

    let data = app
        .data(
            r#"query($id: ID!) {
                company(slug: "aquaclair") { name en: name(lang: en) fr: name(lang: fr) description
                    english: description(lang: en) french: description(lang: fr) translations { lang name description } }
                node(id: $id) { name(lang: en) description(lang: en) translations { lang } }
                fibre: technology(slug: "optical-fibre") { description french: description(lang: fr) name(lang: fr) }
            }"#,
            json!({"id": id}),
        )
        .await;
    let company = &data["company"];
    assert_eq!(company["name"], "AquaClair");
    assert_eq!(company["en"], "AquaClear");
    assert_eq!(company["fr"], "AquaClair", "the entity's own language is the original");
    assert_eq!(company["description"], "Traitement des eaux usées par filtres céramiques.");
    assert_eq!(company["english"], "Wastewater treatment with ceramic membranes.");
    assert_eq!(company["french"], company["description"]);
    assert_eq!(
        company["translations"],
        json!([{"lang": "en", "name": "AquaClear", "description": "Wastewater treatment with ceramic membranes."}])
    );
    assert_eq!(
        data["node"],
        json!({"name": "AquaClear", "description": "Wastewater treatment with ceramic membranes.", "translations": [{"lang": "en"}]}),
        "the Entity interface takes `lang` too"
    );
    assert!(data["fibre"]["description"].as_str().unwrap().starts_with("Thin glass"));
    assert_eq!(data["fibre"]["french"], data["fibre"]["description"], "no translation: the original");
    assert_eq!(data["fibre"]["name"], "Optical fibre");

    // English words find it through the English text, stemmed as English ("membrane" = "membranes").
    assert!(search_slugs(&app, "wastewater membrane").await.contains(&"aquaclair".to_string()));
    assert!(search_slugs(&app, "AquaClear").await.contains(&"aquaclair".to_string()));
    assert!(search_slugs(&app, "eaux usées céramique").await.contains(&"aquaclair".to_string()));

    // Dropping the translation drops its words from search.
    app.mutate_ok(
        "mutation($id: ID!) { updateCompany(id: $id, input: {translations: null}) { id } }",
        json!({"id": id}),
    )
    .await;
    assert!(!search_slugs(&app, "wastewater membrane").await.contains(&"aquaclair".to_string()));
    let data =
        app.data(r#"{ company(slug: "aquaclair") { description(lang: en) translations { lang } } }"#, json!({})).await;
    assert_eq!(
        data["company"],
        json!({"description": "Traitement des eaux usées par filtres céramiques.", "translations": []})
    );
}

#[tokio::test]
async fn translations_are_checked_exported_and_imported_for_every_kind() {
    let app = spawn_app().await;
    let mut bad = aquaclair();
    bad["translations"] = json!([
        {"lang": "fr", "name": "Doublon"},
        {"lang": "en"},
        {"lang": "en", "name": ""}
    ]);

    let refused = app.mutate(CREATE, json!({"input": bad})).await;

    assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
    let paths: Vec<&str> = refused["errors"][0]["extensions"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "input.translations[0].lang",
            "input.translations[1]",
            "input.translations[2].lang",
            "input.translations[2].name"
        ]
    );

    // Every kind carries them through an import and an export.
    let translation = |text: &str| json!([{"lang": "en", "description": text}]);
    let document = json!({
        "organisations": [{"slug": "pole-eau", "name": "Pôle Eau", "kind": "CLUSTER", "lang": "fr", "translations": [{"lang": "en", "name": "Water Cluster"}]}],
        "technologies": [{"slug": "osmose", "name": "Osmose inverse", "domain": "WATER", "lang": "fr", "translations": translation("Reverse osmosis desalination.")}],
        "programmes": [{"slug": "tremplin", "name": "Tremplin", "kind": "ACCELERATION", "lang": "fr", "translations": translation("A springboard accelerator.")}],
        "companies": [aquaclair()],
        "people": [{"slug": "ana-ruiz", "name": "Ana Ruiz", "lang": "fr", "description": "Hydrologue.", "translations": translation("Hydrologist.")}],
        "events": [{"slug": "forum", "name": "Forum de l'eau", "lang": "fr", "date": "2024-05-02", "translations": [{"lang": "en", "name": "Water forum"}]}]
    });
    let output = app.import(&document).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let data = app
        .data(
            r#"{ organisation(slug: "pole-eau") { name(lang: en) } technology(slug: "osmose") { description(lang: en) }
                 programme(slug: "tremplin") { description(lang: en) } person(slug: "ana-ruiz") { description(lang: en) }
                 event(slug: "forum") { name(lang: en) } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        data,
        json!({"organisation": {"name": "Water Cluster"}, "technology": {"description": "Reverse osmosis desalination."},
               "programme": {"description": "A springboard accelerator."}, "person": {"description": "Hydrologist."},
               "event": {"name": "Water forum"}})
    );
    assert!(search_slugs(&app, "hydrologist").await.contains(&"ana-ruiz".to_string()));
    assert!(search_slugs(&app, "water forum").await.contains(&"forum".to_string()));

    let exported = export(&app).await;
    let pole = exported["organisations"].as_array().unwrap().iter().find(|o| o["slug"] == "pole-eau").unwrap();
    assert_eq!(pole["translations"], json!([{"lang": "en", "name": "Water Cluster"}]));
    let again = app.import(&exported).await;
    let report = stderr(&again);
    assert!(again.status.success(), "{report}");
    for kind in ["organisations", "technologies", "programmes", "companies", "people", "events"] {
        assert!(report.contains(&format!("{kind}: 0 created, 0 updated")), "{report}");
    }
    assert_eq!(export(&app).await, exported);
}
