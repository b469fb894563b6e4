//! The park's three questions (which aids, which partners, which entry points), answered with
//! reasons on the fictional knowledge base of `examples/matchmaking.json`.

use serde_json::{Value, json};

use crate::helpers::{TestApp, names, repo_root, spawn_app};

/// A server whose knowledge base is exactly the fictional example.
async fn example_app() -> TestApp {
    let app = spawn_app().await;
    let file = repo_root().join("examples/matchmaking.json");
    let output = app.cli(&["import", "--prune", "--force", file.to_str().unwrap()]).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    app
}

/// `(programme, eligible, participating, [unmet criteria with their details])` of each programme, in order.
async fn eligibility(app: &TestApp, company: &str) -> Vec<(String, bool, bool, Vec<(String, String)>)> {
    let data = app
        .data(
            "query($slug: String!) { company(slug: $slug) { eligibleProgrammes { programme { name } eligible \
               participating criteria { name met detail } } } }",
            json!({"slug": company}),
        )
        .await;
    data["company"]["eligibleProgrammes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let unmet = e["criteria"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["met"] == false)
                .map(|c| (c["name"].as_str().unwrap().to_string(), c["detail"].as_str().unwrap().to_string()))
                .collect();
            let name = e["programme"]["name"].as_str().unwrap().to_string();
            (name, e["eligible"].as_bool().unwrap(), e["participating"].as_bool().unwrap(), unmet)
        })
        .collect()
}

fn unmet(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[tokio::test]
async fn an_sme_is_told_which_programmes_it_may_join_and_which_criterion_keeps_it_out() {
    let app = example_app().await;

    let found = eligibility(&app, "exemple-solaire-sas").await;

    assert_eq!(
        found,
        [
            ("Accélérateur Solaire Exemple".to_string(), true, false, vec![]),
            ("Club des Membres Exemple".to_string(), true, true, vec![]),
            ("Fonds d'Amorçage 2024 Exemple".to_string(), false, false, unmet(&[("DATES", "ended on 2024-12-31")])),
            (
                "Incubateur Technopôle Exemple".to_string(),
                false,
                false,
                unmet(&[("STAGE", "open to STARTUP; this company is SME")])
            ),
            (
                "Open Innovation Exemple".to_string(),
                false,
                false,
                unmet(&[("STAGE", "open to LARGE_GROUP and MIDCAP; this company is SME")])
            ),
        ]
    );
}

#[tokio::test]
async fn every_criterion_is_explained_and_those_missing_fewest_come_first() {
    let app = example_app().await;

    let data = app
        .data(
            "{ company(slug: \"exemple-solaire-sas\") { eligibleProgrammes { criteria { name met detail } } } }",
            json!({}),
        )
        .await;
    let accelerator = &data["company"]["eligibleProgrammes"][0]["criteria"];
    let club = &data["company"]["eligibleProgrammes"][1]["criteria"];
    let group = eligibility(&app, "groupe-energie-exemple").await;

    assert_eq!(
        *accelerator,
        json!([
            {"name": "STAGE", "met": true, "detail": "open to STARTUP and SME; this company is SME"},
            {"name": "DOMAIN", "met": true, "detail": "open to ENERGY; this company works on Photovoltaics (ENERGY)"},
            {"name": "SITE", "met": true, "detail": "open to companies on any site"},
            {"name": "MEMBERSHIP", "met": true, "detail": "no membership required"},
            {"name": "DATES", "met": true, "detail": "runs until 2099-12-31"}
        ])
    );
    assert_eq!(
        club[3]["detail"],
        "open to members of Cluster Solaire Exemple or Réseau Eau Exemple; this company is a member of Cluster Solaire Exemple"
    );
    let order: Vec<(&str, usize)> = group.iter().map(|(name, _, _, unmet)| (name.as_str(), unmet.len())).collect();
    assert_eq!(
        order,
        [
            ("Club des Membres Exemple", 0),
            ("Open Innovation Exemple", 0),
            ("Accélérateur Solaire Exemple", 1),
            ("Incubateur Technopôle Exemple", 1),
            ("Fonds d'Amorçage 2024 Exemple", 2),
        ]
    );
    assert_eq!(
        group[4].3,
        unmet(&[("STAGE", "open to STARTUP and SME; this company is LARGE_GROUP"), ("DATES", "ended on 2024-12-31"),])
    );
}

/// `(partner, score, reasons)` of a company's partner suggestions.
async fn partners(app: &TestApp, company: &str) -> Vec<(String, f64, Vec<String>)> {
    let data = app
        .data(
            "query($slug: String!) { company(slug: $slug) { partners { company { name } score reasons } } }",
            json!({"slug": company}),
        )
        .await;
    data["company"]["partners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let reasons = p["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect();
            (p["company"]["name"].as_str().unwrap().to_string(), p["score"].as_f64().unwrap(), reasons)
        })
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn an_sme_is_matched_with_the_large_group_sharing_its_technology_and_the_reverse() {
    let app = example_app().await;

    let of_sme = partners(&app, "exemple-solaire-sas").await;
    let of_group = partners(&app, "groupe-energie-exemple").await;

    let shared = strings(&[
        "both work on Photovoltaics",
        "both members of Cluster Solaire Exemple",
        "both take part in Club des Membres Exemple",
        "both hosted by Technopôle Exemple",
    ]);
    assert_eq!(
        of_sme,
        [
            ("Groupe Énergie Exemple".to_string(), 9.0, shared.clone()),
            ("Capteurs Exemple ETI".to_string(), 1.0, strings(&["both hosted by Technopôle Exemple"])),
        ],
        "large groups and mid-caps only; the other large group shares nothing"
    );
    assert_eq!(
        of_group,
        [
            ("Exemple Solaire SAS".to_string(), 9.0, shared),
            (
                "Pérovskia Exemple".to_string(),
                3.0,
                strings(&[
                    "Pérovskia Exemple works on Perovskite cells, a kind of Photovoltaics that Groupe Énergie Exemple works on"
                ])
            ),
            ("AquaPure Exemple".to_string(), 1.0, strings(&["both hosted by Technopôle Exemple"])),
        ],
        "start-ups and SMEs only"
    );
}

#[tokio::test]
async fn a_start_up_is_matched_through_a_narrower_technology_with_what_they_share() {
    let app = example_app().await;

    let data = app
        .data(
            "{ company(slug: \"perovskia-exemple\") { partners(first: 5) { company { slug stage } score \
               sharedTechnologies { name } sharedDomains reasons } } }",
            json!({}),
        )
        .await;

    assert_eq!(
        data["company"]["partners"],
        json!([{
            "company": {"slug": "groupe-energie-exemple", "stage": "LARGE_GROUP"},
            "score": 3.0,
            "sharedTechnologies": [{"name": "Photovoltaics"}],
            "sharedDomains": ["ENERGY"],
            "reasons": ["Pérovskia Exemple works on Perovskite cells, a kind of Photovoltaics that Groupe Énergie Exemple works on"]
        }])
    );
}

#[tokio::test]
async fn equal_partners_are_ordered_by_name_and_first_bounds_the_list() {
    let app = example_app().await;

    let all = partners(&app, "atelier-numerique-exemple").await;
    let one = app
        .data("{ company(slug: \"atelier-numerique-exemple\") { partners(first: 1) { company { name } } } }", json!({}))
        .await;
    let error =
        app.error("{ company(slug: \"atelier-numerique-exemple\") { partners(first: 0) { score } } }", json!({})).await;

    let both = strings(&["both work on IoT sensors"]);
    assert_eq!(
        all,
        [("Capteurs Exemple ETI".to_string(), 4.0, both.clone()), ("Groupe des Eaux Exemple".to_string(), 4.0, both)]
    );
    assert_eq!(one["company"]["partners"], json!([{"company": {"name": "Capteurs Exemple ETI"}}]));
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    assert_eq!(error["message"], "first: must be between 1 and 50, got 0", "{error}");
}

/// `(organisation, reasons)` of a company's entry points, in order.
async fn entry_points(app: &TestApp, company: &str) -> Vec<(String, Vec<String>)> {
    let data = app
        .data(
            "query($slug: String!) { company(slug: $slug) { entryPoints { organisation { name } reasons } } }",
            json!({"slug": company}),
        )
        .await;
    data["company"]["entryPoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let reasons = e["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect();
            (e["organisation"]["name"].as_str().unwrap().to_string(), reasons)
        })
        .collect()
}

#[tokio::test]
async fn entry_points_are_the_host_site_the_clusters_and_the_operators_of_eligible_programmes() {
    let app = example_app().await;

    let of_sme = entry_points(&app, "exemple-solaire-sas").await;
    let of_startup = entry_points(&app, "perovskia-exemple").await;

    assert_eq!(
        of_sme,
        [
            (
                "Cluster Solaire Exemple".to_string(),
                strings(&[
                    "this company is a member",
                    "runs Accélérateur Solaire Exemple, which this company is eligible for",
                    "another of its members works in the energy domain",
                ])
            ),
            ("Technopôle Exemple".to_string(), strings(&["hosts this company"])),
            (
                "Chambre Exemple".to_string(),
                strings(&["runs Club des Membres Exemple, in which this company takes part"])
            ),
        ],
        "the fund's programme has ended, the technopole's are not for SMEs"
    );
    assert_eq!(
        of_startup,
        [
            ("Pépinière Exemple".to_string(), strings(&["hosts this company"])),
            (
                "Cluster Solaire Exemple".to_string(),
                strings(&[
                    "runs Accélérateur Solaire Exemple, which this company is eligible for",
                    "2 of its members work in the energy domain",
                ])
            ),
        ],
        "a cluster it does not belong to, through its domain"
    );
}

#[tokio::test]
async fn a_programme_lists_its_eligible_companies_in_database_pages() {
    let app = example_app().await;
    let query = "query($slug: String!, $filter: CompanyFilter, $first: Int) { programme(slug: $slug) { \
                 eligibleCompanies(filter: $filter, first: $first) { totalCount pageInfo { hasNextPage } nodes { name } } } }";
    let list = |slug: &str, filter: Value, first: i32| {
        let app = &app;
        let slug = slug.to_string();
        async move {
            let data = app.data(query, json!({"slug": slug, "filter": filter, "first": first})).await;
            data["programme"]["eligibleCompanies"].clone()
        }
    };

    let accelerator = list("accelerateur-solaire-exemple", Value::Null, 20).await;
    let club = list("club-membres-exemple", Value::Null, 20).await;
    let incubator = list("incubateur-technopole-exemple", Value::Null, 20).await;
    let ended = list("fonds-amorcage-2024-exemple", Value::Null, 20).await;
    let large_members = list("club-membres-exemple", json!({"stage": ["LARGE_GROUP"]}), 1).await;

    assert_eq!(names(&accelerator["nodes"]), ["Exemple Solaire SAS", "Pérovskia Exemple"]);
    assert_eq!(
        names(&club["nodes"]),
        ["AquaPure Exemple", "Exemple Solaire SAS", "Groupe des Eaux Exemple", "Groupe Énergie Exemple"]
    );
    assert_eq!(names(&incubator["nodes"]), ["AquaPure Exemple"]);
    assert_eq!(ended["totalCount"], 0);
    assert_eq!(large_members["totalCount"], 2);
    assert_eq!(large_members["pageInfo"]["hasNextPage"], true);
    assert_eq!(names(&large_members["nodes"]), ["Groupe des Eaux Exemple"]);
}

#[tokio::test]
async fn programme_criteria_are_shown_and_written_through_mutations_with_checked_references() {
    let app = example_app().await;
    let shown = app
        .data(
            "{ programme(slug: \"club-membres-exemple\") { eligibleStages eligibleDomains eligibleSites { slug } \
               requiredMemberships { slug } } }",
            json!({}),
        )
        .await;
    let refused = app
        .mutate(
            "mutation($input: CreateProgrammeInput!) { createProgramme(input: $input) { slug } }",
            json!({"input": {"slug": "new-programme", "name": "New", "kind": "FUNDING", "lang": "en",
                             "eligibleSites": ["technopole-exemple", "nowhere"], "requiredMemberships": ["nobody"]}}),
        )
        .await;
    let id = app.id_of("programme", "incubateur-technopole-exemple").await;
    let updated = app
        .mutate_ok(
            "mutation($id: ID!, $input: UpdateProgrammeInput!) { updateProgramme(id: $id, input: $input) { \
               eligibleDomains eligibleSites { slug } requiredMemberships { slug } } }",
            json!({"id": id, "input": {"eligibleDomains": ["WATER"], "eligibleSites": null,
                                       "requiredMemberships": ["reseau-eau-exemple"]}}),
        )
        .await;

    assert_eq!(
        shown["programme"],
        json!({"eligibleStages": [], "eligibleDomains": [], "eligibleSites": [],
               "requiredMemberships": [{"slug": "cluster-solaire-exemple"}, {"slug": "reseau-eau-exemple"}]})
    );
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
    let problems: Vec<String> = refused["errors"][0]["extensions"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{}: {}", p["path"].as_str().unwrap(), p["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [
            "input.eligibleSites[1]: unknown organisation \"nowhere\"",
            "input.requiredMemberships[0]: unknown organisation \"nobody\""
        ]
    );
    assert_eq!(
        updated["updateProgramme"],
        json!({"eligibleDomains": ["WATER"], "eligibleSites": [], "requiredMemberships": [{"slug": "reseau-eau-exemple"}]})
    );
    let eligible = app
        .data(
            "{ programme(slug: \"incubateur-technopole-exemple\") { eligibleCompanies { nodes { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(names(&eligible["programme"]["eligibleCompanies"]["nodes"]), ["AquaPure Exemple"]);
}

#[tokio::test]
async fn an_organisation_named_in_criteria_is_deleted_only_by_force_which_removes_it_from_them() {
    let app = example_app().await;
    let id = app.id_of("organisation", "reseau-eau-exemple").await;
    let delete = "mutation($id: ID!, $force: Boolean) { deleteOrganisation(id: $id, force: $force) }";

    let refused = app.mutate(delete, json!({"id": id, "force": false})).await;
    app.mutate_ok(delete, json!({"id": id, "force": true})).await;
    let club =
        app.data("{ programme(slug: \"club-membres-exemple\") { requiredMemberships { slug } } }", json!({})).await;
    let aquapure = eligibility(&app, "aquapure-exemple").await;

    assert_eq!(refused["errors"][0]["extensions"]["code"], "CONFLICT", "{refused}");
    assert!(
        refused["errors"][0]["message"].as_str().unwrap().contains("1 programmes name it in their criteria"),
        "{refused}"
    );
    assert_eq!(club["programme"]["requiredMemberships"], json!([{"slug": "cluster-solaire-exemple"}]));
    let club_for_aquapure = aquapure.iter().find(|(name, ..)| name == "Club des Membres Exemple").unwrap();
    assert_eq!(
        club_for_aquapure.3,
        unmet(&[("MEMBERSHIP", "open to members of Cluster Solaire Exemple; this company is not a member")])
    );
}

#[tokio::test]
async fn criteria_survive_an_export_round_trip_and_an_unchanged_import_writes_nothing() {
    let app = example_app().await;

    let output = app.cli(&["export"]).await;
    let exported: Value = serde_json::from_slice(&output.stdout).unwrap();
    let again = app.import(&exported).await;

    let programme =
        |slug: &str| exported["programmes"].as_array().unwrap().iter().find(|p| p["slug"] == slug).unwrap().clone();
    assert_eq!(
        programme("club-membres-exemple")["requiredMemberships"],
        json!(["cluster-solaire-exemple", "reseau-eau-exemple"])
    );
    assert_eq!(programme("incubateur-technopole-exemple")["eligibleSites"], json!(["technopole-exemple"]));
    assert_eq!(programme("accelerateur-solaire-exemple")["eligibleDomains"], json!(["ENERGY"]));
    assert!(programme("open-innovation-exemple").get("eligibleDomains").is_none(), "empty criteria are left out");
    let report = String::from_utf8_lossy(&again.stdout).into_owned() + &String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{report}");
    assert!(report.contains("programmes: 0 created, 0 updated, 5 unchanged, 0 deleted"), "{report}");
}

#[tokio::test]
async fn partners_inside_a_page_of_a_hundred_companies_is_refused_as_too_complex() {
    let app = example_app().await;

    let error = app.error("{ companies(first: 100) { nodes { partners { reasons } } } }", json!({})).await;
    let single = app.graphql("{ companies(first: 10) { nodes { eligibleProgrammes { eligible } } } }", json!({})).await;

    assert_eq!(error["extensions"]["code"], "QUERY_TOO_COMPLEX", "{error}");
    assert!(single.get("errors").is_none(), "{single}");
}

#[tokio::test]
async fn the_playground_opens_with_the_three_questions_and_they_run_on_the_bundled_knowledge_base() {
    let app = spawn_app().await;

    let data = app.data(pepite::http::DEFAULT_QUERY, json!({})).await;

    let company = &data["company"];
    assert!(!company["eligibleProgrammes"].as_array().unwrap().is_empty(), "{company}");
    assert_eq!(company["partners"], json!([]), "the bundled park has no start-up and no large group");
    let entry_points = company["entryPoints"].as_array().unwrap();
    assert!(entry_points.iter().any(|e| e["reasons"][0] == "hosts this company"), "{company}");
}
