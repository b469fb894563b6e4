//! Writing through GraphQL: authentication, validation, partial updates, deletes, links,
//! concurrency, and read-your-writes in search.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const CREATE_COMPANY: &str = "mutation($input: CreateCompanyInput!) {
    createCompany(input: $input) { id slug name description stage site { slug } technologies { slug } updatedAt }
}";
const UPDATE_COMPANY: &str = "mutation($id: ID!, $input: UpdateCompanyInput!, $at: DateTime) {
    updateCompany(id: $id, input: $input, expectedUpdatedAt: $at) { id slug name description city stage technologies { slug } updatedAt }
}";

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {response}"))
}

fn field(response: &Value) -> &str {
    response["errors"][0]["extensions"]["field"].as_str().unwrap_or_else(|| panic!("no error field in {response}"))
}

async fn export(app: &TestApp) -> String {
    String::from_utf8(app.cli(&["export"]).await.stdout).unwrap()
}

async fn search_slugs(app: &TestApp, q: &str) -> Vec<String> {
    let data = app
        .data("query($q: String!) { search(query: $q, first: 50) { edges { node { slug } } } }", json!({"q": q}))
        .await;
    data["search"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["slug"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn mutations_need_a_valid_bearer_token_and_queries_do_not() {
    let app = spawn_app().await;
    let input = json!({"input": {"slug": "newco", "name": "NewCo", "stage": "STARTUP", "lang": "fr"}});

    let anonymous = app.graphql_as(None, CREATE_COMPANY, input.clone()).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    let wrong = app.graphql_as(Some("not-the-token"), CREATE_COMPANY, input.clone()).await;
    assert_eq!(code(&wrong), "FORBIDDEN");
    let over_get =
        app.graphql_get(Some(crate::helpers::ADMIN_TOKEN), "mutation { deleteCompany(id: \"Q29tcGFueTox\") }").await;
    assert_eq!(code(&over_get), "METHOD_NOT_ALLOWED", "{over_get}");
    assert!(
        app.data(r#"{ company(slug: "newco") { slug } }"#, json!({})).await["company"].is_null(),
        "nothing written"
    );

    let second = app.graphql_as(Some("second-token"), CREATE_COMPANY, input).await;
    assert!(second.get("errors").is_none(), "any configured token may write: {second}");
    assert_eq!(second["data"]["createCompany"]["slug"], "newco");
}

#[tokio::test]
async fn each_kind_is_created_with_its_relations_and_checked_like_an_import() {
    let app = spawn_app().await;

    let org = app
        .mutate_ok(
            "mutation { createOrganisation(input: {slug: \"pole-eau\", name: \"Pôle Eau\", kind: CLUSTER, lang: fr, city: \"Montpellier\"}) { slug kind city } }",
            json!({}),
        )
        .await;
    assert_eq!(org["createOrganisation"], json!({"slug": "pole-eau", "kind": "CLUSTER", "city": "Montpellier"}));
    let tech = app
        .mutate_ok(
            "mutation { createTechnology(input: {slug: \"desalination\", name: \"Desalination\", domain: WATER, lang: en, aliases: [\"dessalement\"], parent: \"optical-fibre\"}) { slug aliases parent { slug } } }",
            json!({}),
        )
        .await;
    assert_eq!(tech["createTechnology"]["parent"]["slug"], "optical-fibre");
    let programme = app
        .mutate_ok(
            "mutation { createProgramme(input: {slug: \"eau-accel\", name: \"Accélérateur Eau\", kind: ACCELERATION, lang: fr, operator: \"pole-eau\", eligibleStages: [STARTUP], startsOn: \"2026-01-01\"}) { slug operator { slug } eligibleStages startsOn } }",
            json!({}),
        )
        .await;
    assert_eq!(programme["createProgramme"]["operator"]["slug"], "pole-eau");
    let company = app
        .mutate_ok(
            CREATE_COMPANY,
            json!({"input": {"slug": "aquasel", "name": "AquaSel", "stage": "STARTUP", "lang": "fr", "site": "technopole-arbois",
                "technologies": ["desalination"], "programmes": ["eau-accel"], "memberships": ["pole-eau"],
                "description": "Dessalement solaire de l'eau de mer."}}),
        )
        .await;
    assert_eq!(company["createCompany"]["technologies"], json!([{"slug": "desalination"}]));

    let back = app
        .data(
            r#"{ organisation(slug: "pole-eau") { members { totalCount } programmes { totalCount } }
                  programme(slug: "eau-accel") { participants { nodes { slug } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(back["organisation"]["members"]["totalCount"], 1);
    assert_eq!(back["programme"]["participants"]["nodes"], json!([{"slug": "aquasel"}]));

    let taken = app
        .mutate(CREATE_COMPANY, json!({"input": {"slug": "aquasel", "name": "Other", "stage": "SME", "lang": "fr"}}))
        .await;
    assert_eq!(code(&taken), "CONFLICT");
    assert_eq!(field(&taken), "input.slug");
    let bad_slug = app
        .mutate(CREATE_COMPANY, json!({"input": {"slug": "Aqua Sel", "name": "X", "stage": "SME", "lang": "fr"}}))
        .await;
    assert_eq!(code(&bad_slug), "BAD_USER_INPUT");
    assert_eq!(field(&bad_slug), "input.slug");
    let unknown = app
        .mutate(
            CREATE_COMPANY,
            json!({"input": {"slug": "x", "name": "X", "stage": "SME", "lang": "fr", "technologies": ["warp-drive"]}}),
        )
        .await;
    assert_eq!(field(&unknown), "input.technologies[0]");
    assert!(unknown["errors"][0]["message"].as_str().unwrap().contains("unknown technology \"warp-drive\""));
    let several = app.mutate(CREATE_COMPANY, json!({"input": {"slug": "y", "name": "", "stage": "SME", "lang": "fr", "website": "mailto:a@b", "foundedYear": 3000}})).await;
    assert_eq!(code(&several), "BAD_USER_INPUT");
    assert_eq!(several["errors"][0]["extensions"]["problems"].as_array().unwrap().len(), 3, "{several}");
    let bad_enum =
        app.mutate(CREATE_COMPANY, json!({"input": {"slug": "z", "name": "Z", "stage": "GIANT", "lang": "fr"}})).await;
    assert!(bad_enum["errors"][0]["message"].as_str().unwrap().contains("GIANT"), "{bad_enum}");
}

#[tokio::test]
async fn updates_change_only_the_given_fields_and_null_clears() {
    let app = spawn_app().await;
    let id = app.id_of("company", "sp3h").await;

    let renamed = app
        .mutate_ok(UPDATE_COMPANY, json!({"id": id, "input": {"name": "SP3H Analyse", "city": "Aix-en-Provence"}}))
        .await;
    let company = &renamed["updateCompany"];
    assert_eq!(company["name"], "SP3H Analyse");
    assert_eq!(company["city"], "Aix-en-Provence");
    assert_eq!(company["stage"], "SME", "untouched fields are kept");
    assert_eq!(company["technologies"].as_array().unwrap().len(), 2, "relations are kept");
    assert!(company["description"].as_str().unwrap().contains("carburants"));

    let cleared =
        app.mutate_ok(UPDATE_COMPANY, json!({"id": id, "input": {"description": null, "technologies": null}})).await;
    assert_eq!(cleared["updateCompany"]["description"], json!(null));
    assert_eq!(cleared["updateCompany"]["technologies"], json!([]));

    let null_name = app.mutate(UPDATE_COMPANY, json!({"id": id, "input": {"name": null}})).await;
    assert_eq!(code(&null_name), "BAD_USER_INPUT");
    assert_eq!(field(&null_name), "input.name");

    let slug = app.mutate_ok(UPDATE_COMPANY, json!({"id": id, "input": {"slug": "sp3h-analyse"}})).await;
    assert_eq!(slug["updateCompany"]["id"], id, "a new slug keeps the entity");
    assert!(app.data(r#"{ company(slug: "sp3h") { id } }"#, json!({})).await["company"].is_null());
    let taken = app.mutate(UPDATE_COMPANY, json!({"id": id, "input": {"slug": "echy"}})).await;
    assert_eq!(code(&taken), "CONFLICT");

    let missing = app.mutate(UPDATE_COMPANY, json!({"id": "Q29tcGFueTo5OTk5", "input": {"name": "Ghost"}})).await;
    assert_eq!(code(&missing), "NOT_FOUND");
    let wrong_kind =
        app.mutate(UPDATE_COMPANY, json!({"id": app.id_of("technology", "optical-fibre").await, "input": {}})).await;
    assert_eq!(code(&wrong_kind), "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_stale_expected_updated_at_is_a_conflict() {
    let app = spawn_app().await;
    let read = app.data(r#"{ company(slug: "echy") { id updatedAt } }"#, json!({})).await;
    let (id, seen) = (read["company"]["id"].clone(), read["company"]["updatedAt"].clone());

    let first = app.mutate_ok(UPDATE_COMPANY, json!({"id": id, "input": {"city": "Aix"}, "at": seen})).await;
    let second = app.mutate(UPDATE_COMPANY, json!({"id": id, "input": {"city": "Marseille"}, "at": seen})).await;

    assert_eq!(code(&second), "CONFLICT");
    assert_eq!(field(&second), "expectedUpdatedAt");
    let now = app.data(r#"{ company(slug: "echy") { city updatedAt } }"#, json!({})).await;
    assert_eq!(now["company"]["city"], "Aix");
    assert_eq!(now["company"]["updatedAt"], first["updateCompany"]["updatedAt"]);
    let fresh = app
        .mutate_ok(UPDATE_COMPANY, json!({"id": id, "input": {"city": "Marseille"}, "at": now["company"]["updatedAt"]}))
        .await;
    assert_eq!(fresh["updateCompany"]["city"], "Marseille");
}

#[tokio::test]
async fn deletes_unlink_reparent_and_protect_organisations_in_use() {
    let app = spawn_app().await;

    let solar = app.id_of("technology", "solar-daylighting").await;
    app.mutate_ok("mutation($id: ID!) { deleteTechnology(id: $id) }", json!({"id": solar})).await;
    let after = app
        .data(r#"{ company(slug: "echy") { technologies { slug } } technology(slug: "fibre-optic-lighting") { parent { slug } } }"#, json!({}))
        .await;
    assert_eq!(after["company"]["technologies"], json!([{"slug": "fibre-optic-lighting"}, {"slug": "optical-fibre"}]));
    assert_eq!(
        after["technology"]["parent"],
        json!(null),
        "children move up to the deleted technology's parent (none)"
    );
    let efficiency = app.id_of("technology", "energy-efficiency").await;
    let child = app.mutate_ok("mutation { createTechnology(input: {slug: \"burners\", name: \"Burners\", domain: ENERGY, lang: en, parent: \"combustion-optimisation\"}) { slug } }", json!({})).await;
    assert_eq!(child["createTechnology"]["slug"], "burners");
    app.mutate_ok(
        "mutation($id: ID!) { deleteTechnology(id: $id) }",
        json!({"id": app.id_of("technology", "combustion-optimisation").await}),
    )
    .await;
    let moved = app.data(r#"{ technology(slug: "burners") { parent { id slug } } }"#, json!({})).await;
    assert_eq!(moved["technology"]["parent"]["id"], json!(efficiency));

    let technopole = app.id_of("organisation", "technopole-arbois").await;
    let refused = app.mutate("mutation($id: ID!) { deleteOrganisation(id: $id) }", json!({"id": technopole})).await;
    assert_eq!(code(&refused), "CONFLICT");
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("hosts 2 companies"), "{refused}");
    let upe = app.id_of("organisation", "upe-13").await;
    assert_eq!(
        code(&app.mutate("mutation($id: ID!) { deleteOrganisation(id: $id) }", json!({"id": upe})).await),
        "CONFLICT"
    );
    app.mutate_ok("mutation($id: ID!) { deleteOrganisation(id: $id, force: true) }", json!({"id": technopole})).await;
    let orphan = app.data(r#"{ company(slug: "sp3h") { site { slug } } }"#, json!({})).await;
    assert_eq!(orphan["company"]["site"], json!(null));

    let sp3h = app.id_of("company", "sp3h").await;
    app.mutate_ok("mutation($id: ID!) { deleteCompany(id: $id) }", json!({"id": sp3h})).await;
    let again = app.mutate("mutation($id: ID!) { deleteCompany(id: $id) }", json!({"id": sp3h})).await;
    assert_eq!(code(&again), "NOT_FOUND");
    assert!(
        !search_slugs(&app, "carburants").await.contains(&"sp3h".to_string()),
        "a deleted company leaves the index"
    );
}

#[tokio::test]
async fn links_are_seen_from_both_sides() {
    let app = spawn_app().await;
    let (echy, fuel, mentorat, cluster) = (
        app.id_of("company", "echy").await,
        app.id_of("technology", "fuel-analysis").await,
        app.id_of("programme", "mentorat-a-la-carte").await,
        app.id_of("organisation", "safe-cluster").await,
    );
    let vars = json!({"c": echy, "t": fuel, "p": mentorat, "o": cluster});

    app.mutate_ok(
        "mutation($c: ID!, $t: ID!, $p: ID!, $o: ID!) {
            a: linkCompanyTechnology(companyId: $c, technologyId: $t) { slug }
            b: linkCompanyProgramme(companyId: $c, programmeId: $p) { slug }
            c: linkCompanyMembership(companyId: $c, organisationId: $o) { slug }
            d: linkCompanyTechnology(companyId: $c, technologyId: $t) { technologies { slug } }
        }",
        vars.clone(),
    )
    .await;
    let linked = app
        .data(
            r#"{ technology(slug: "fuel-analysis") { companies { nodes { slug } } }
                  programme(slug: "mentorat-a-la-carte") { participants { nodes { slug } } }
                  organisation(slug: "safe-cluster") { members { nodes { slug } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(linked["technology"]["companies"]["nodes"], json!([{"slug": "echy"}, {"slug": "sp3h"}]));
    assert_eq!(linked["programme"]["participants"]["nodes"], json!([{"slug": "echy"}]));
    assert_eq!(linked["organisation"]["members"]["nodes"], json!([{"slug": "echy"}]));

    let unlinked = app
        .mutate_ok("mutation($c: ID!, $t: ID!) { unlinkCompanyTechnology(companyId: $c, technologyId: $t) { technologies { slug } } }", json!({"c": vars["c"], "t": vars["t"]}))
        .await;
    assert_eq!(unlinked["unlinkCompanyTechnology"]["technologies"].as_array().unwrap().len(), 3);
    let missing = app.mutate("mutation($c: ID!) { linkCompanyTechnology(companyId: $c, technologyId: \"VGVjaG5vbG9neTo5OTk\") { slug } }", json!({"c": vars["c"]})).await;
    assert_eq!(code(&missing), "NOT_FOUND");
}

#[tokio::test]
async fn import_through_graphql_reports_every_problem_and_writes_all_or_nothing() {
    let app = spawn_app().await;
    let before = export(&app).await;

    let bad = app
        .mutate(
            "mutation($d: JSON!) { importKnowledgeBase(document: $d) { companies { created } } }",
            json!({"d": {"companies": [
                {"slug": "ok", "name": "Ok", "stage": "SME", "lang": "fr"},
                {"slug": "bad", "name": "Bad", "stage": "SME", "lang": "fr", "site": "nowhere"},
                {"slug": "worse", "name": "Worse", "stage": "HUGE", "lang": "fr"}
            ]}}),
        )
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    let problems: Vec<String> = bad["errors"][0]["extensions"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(problems, ["companies[1].site", "companies[2].stage"]);
    assert_eq!(export(&app).await, before, "nothing was written");
    assert!(search_slugs(&app, "ok").await.is_empty());

    let good = app
        .mutate_ok(
            "mutation($d: JSON!) { importKnowledgeBase(document: $d) {
                organisations { created updated unchanged deleted } companies { created updated unchanged deleted } dryRun
            } }",
            json!({"d": {"companies": [{"slug": "solenergie", "name": "Solénergie", "stage": "SME", "lang": "fr", "description": "Centrales photovoltaïques."}]}}),
        )
        .await;
    assert_eq!(
        good["importKnowledgeBase"],
        json!({
            "organisations": {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0},
            "companies": {"created": 1, "updated": 0, "unchanged": 0, "deleted": 0},
            "dryRun": false
        })
    );
    assert_eq!(search_slugs(&app, "photovoltaique").await, ["solenergie"]);
}

#[tokio::test]
async fn every_write_is_searchable_by_the_next_request_and_a_failed_one_changes_nothing() {
    let app = spawn_app().await;
    let created = app
        .mutate_ok(CREATE_COMPANY, json!({"input": {"slug": "geo", "name": "GéoChaleur", "stage": "STARTUP", "lang": "fr", "description": "Sondes de géothermie."}}))
        .await;
    assert_eq!(search_slugs(&app, "geothermie").await, ["geo"]);

    let id = created["createCompany"]["id"].clone();
    app.mutate_ok(UPDATE_COMPANY, json!({"id": id, "input": {"description": "Pompes à chaleur marines."}})).await;
    assert!(search_slugs(&app, "geothermie").await.is_empty());
    assert_eq!(search_slugs(&app, "pompes chaleur marines").await[0], "geo");

    let renamed = app
        .mutate_ok(
            "mutation($id: ID!) { updateTechnology(id: $id, input: {aliases: [\"lumière guidée\"]}) { slug } }",
            json!({"id": app.id_of("technology", "optical-fibre").await}),
        )
        .await;
    assert_eq!(renamed["updateTechnology"]["slug"], "optical-fibre");
    assert!(
        search_slugs(&app, "lumière guidée").await.contains(&"echy".to_string()),
        "a company's document follows its technologies' aliases"
    );

    let before_db = export(&app).await;
    let before_index = search_slugs(&app, "").await;
    let failed = app
        .mutate(UPDATE_COMPANY, json!({"id": id, "input": {"description": "Tout autre chose.", "site": "nowhere"}}))
        .await;
    assert_eq!(code(&failed), "BAD_USER_INPUT");
    assert_eq!(export(&app).await, before_db);
    assert_eq!(search_slugs(&app, "").await, before_index);
    assert!(search_slugs(&app, "autre chose").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_lose_nothing_and_never_fail_inside() {
    let app = std::sync::Arc::new(spawn_app().await);
    let read = app.data(r#"{ company(slug: "echy") { id updatedAt } }"#, json!({})).await;
    let (id, seen) = (read["company"]["id"].clone(), read["company"]["updatedAt"].clone());

    // Many updates from the same version: one wins, the others are told, none is lost silently.
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (app, id, seen) = (app.clone(), id.clone(), seen.clone());
        tasks.push(tokio::spawn(async move {
            app.mutate(UPDATE_COMPANY, json!({"id": id, "input": {"city": format!("City {i}")}, "at": seen})).await
        }));
    }
    let mut codes = Vec::new();
    for task in tasks {
        let response = task.await.unwrap();
        codes.push(response["errors"][0]["extensions"]["code"].as_str().unwrap_or("OK").to_string());
    }
    assert_eq!(codes.iter().filter(|c| *c == "OK").count(), 1, "{codes:?}");
    assert!(codes.iter().all(|c| c == "OK" || c == "CONFLICT"), "{codes:?}");

    // Partial updates without a version, and creates, in parallel: every one of them lands.
    let techs = ["fuel-analysis", "combustion-optimisation", "energy-efficiency"];
    let mut tasks = Vec::new();
    for (i, tech) in techs.iter().enumerate() {
        let tech_id = app.id_of("technology", tech).await;
        let (linker, company) = (app.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            linker
                .mutate(
                    "mutation($c: ID!, $t: ID!) { linkCompanyTechnology(companyId: $c, technologyId: $t) { slug } }",
                    json!({"c": company, "t": tech_id}),
                )
                .await
        }));
        let creator = app.clone();
        tasks.push(tokio::spawn(async move {
            creator.mutate(CREATE_COMPANY, json!({"input": {"slug": format!("parallel-{i}"), "name": format!("Parallel {i}"), "stage": "SME", "lang": "en"}})).await
        }));
        let rival = app.clone();
        tasks.push(tokio::spawn(async move {
            rival
                .mutate(
                    CREATE_COMPANY,
                    json!({"input": {"slug": "same-slug", "name": "Same", "stage": "SME", "lang": "en"}}),
                )
                .await
        }));
    }
    let mut same_slug_wins = 0;
    for task in tasks {
        let response = task.await.unwrap();
        match response.get("errors") {
            None => same_slug_wins += usize::from(response["data"]["createCompany"]["slug"] == "same-slug"),
            Some(_) => assert_eq!(code(&response), "CONFLICT", "{response}"),
        }
    }
    assert_eq!(same_slug_wins, 1);
    let echy = app.data(r#"{ company(slug: "echy") { technologies { slug } } companies(filter: {nameContains: "parallel"}) { totalCount } }"#, json!({})).await;
    assert_eq!(echy["company"]["technologies"].as_array().unwrap().len(), 6, "no link was lost: {echy}");
    assert_eq!(echy["companies"]["totalCount"], 3);
}
