//! The search contract, over the bundled knowledge base plus decoys that share single words with it.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

fn company(slug: &str, name: &str, lang: &str, description: &str) -> Value {
    json!({"slug": slug, "name": name, "stage": "SME", "lang": lang, "description": description, "city": "Marseille"})
}

/// The bundled knowledge base plus decoys.
async fn app_with_decoys() -> TestApp {
    let app = spawn_app().await;
    let decoys = json!({"companies": [
        company("station-du-cours", "Station du Cours", "fr", "Station-service qui vend des carburants, du gaz et des boissons."),
        company("lumi-boutique", "Lumi Boutique", "fr", "Magasin d'éclairage LED pour les particuliers."),
        company("provence-haut-debit", "Provence Haut Débit", "fr", "Opérateur de fibre optique pour les particuliers et les entreprises."),
        company("tisserand", "Le Tisserand", "fr", "Nous tissons une fibre naturelle ; notre atelier d'optique est à côté."),
        company("sunpv", "SunPV", "fr", "Installation de panneaux photovoltaïques et d'énergie solaire sur les toits."),
        company("recyclo", "Recyclo", "fr", "Atelier de recyclage des batteries de véhicules électriques."),
        company("aquagoutte", "AquaGoutte", "fr", "Irrigation goutte à goutte pour les vergers."),
        company("capteur-sas", "Capteur SAS", "fr", "Fabrique un capteur de pollution pour les villes."),
        company("capter-conseil", "Capter Conseil", "fr", "Aide les commerces à capter de nouveaux clients."),
        company("heatwise", "Heatwise", "en", "Designs heat recovery systems for industrial buildings."),
        company("hydrogene-vert", "Hydrogène Vert", "fr", "Électrolyseurs pour l'industrie."),
        company("h2-conseil", "H2 Conseil", "fr", "Conseil aux industriels qui veulent passer à l'hydrogène vert."),
        company("balises", "Balises & Co", "fr", "Signalétique <script>alert(1)</script> pour les carburants."),
    ]});
    let output = app.import(&decoys).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    app
}

const SEARCH: &str = "query($q: String!, $kinds: [EntityKind!], $filter: SearchFilter, $first: Int, $after: String, $matchingStrategy: MatchingStrategy) {
    search(query: $q, kinds: $kinds, filter: $filter, first: $first, after: $after, matchingStrategy: $matchingStrategy) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor score highlights { field snippet } node { __typename slug name } }
        facets { kind { value count } domain { value count } stage { value count } programmeKind { value count } city { value count } }
    }
}";

async fn search(app: &TestApp, q: &str, vars: Value) -> Value {
    let mut variables = json!({"q": q, "first": 50});
    for (k, v) in vars.as_object().unwrap() {
        variables[k] = v.clone();
    }
    app.data(SEARCH, variables).await["search"].clone()
}

fn slugs(result: &Value) -> Vec<String> {
    result["edges"].as_array().unwrap().iter().map(|e| e["node"]["slug"].as_str().unwrap().to_string()).collect()
}

async fn companies(app: &TestApp, q: &str) -> Vec<String> {
    slugs(&search(app, q, json!({"kinds": ["COMPANY"]})).await)
}

fn rank(list: &[String], slug: &str) -> usize {
    list.iter().position(|s| s == slug).unwrap_or_else(|| panic!("{slug} not found in {list:?}"))
}

#[tokio::test]
async fn english_words_find_french_companies_through_their_technologies() {
    let app = app_with_decoys().await;

    let fuel = companies(&app, "fuel analysis").await;
    assert_eq!(fuel[0], "sp3h", "{fuel:?}");

    let light = companies(&app, "solar fibre lighting").await;
    assert_eq!(light[0], "echy", "{light:?}");
    for decoy in ["provence-haut-debit", "lumi-boutique", "tisserand", "sunpv"] {
        if let Some(pos) = light.iter().position(|s| s == decoy) {
            assert!(pos > 0, "{decoy} ranks above ECHY: {light:?}");
        }
    }
    // The fuel station has "carburants" but not "analyse": documents with every word come first,
    // and the default LAST strategy needs the first word.
    let carburants = companies(&app, "analyse des carburants").await;
    assert_eq!(carburants[0], "sp3h", "{carburants:?}");
    let any =
        slugs(&search(&app, "analyse des carburants", json!({"kinds": ["COMPANY"], "matchingStrategy": "ANY"})).await);
    assert!(rank(&any, "sp3h") < rank(&any, "station-du-cours"), "{any:?}");
}

#[tokio::test]
async fn accents_and_case_do_not_matter() {
    let app = app_with_decoys().await;

    assert_eq!(companies(&app, "energie solaire").await[0], "sunpv");
    assert_eq!(companies(&app, "ÉNERGIE SOLAIRE").await[0], "sunpv");
    assert_eq!(companies(&app, "pieces aveugles batiments").await, ["echy"]);
    assert_eq!(companies(&app, "Pièces Aveugles des Bâtiments").await, ["echy"]);
}

#[tokio::test]
async fn words_match_their_other_forms_in_each_language() {
    let app = app_with_decoys().await;

    let carburant = companies(&app, "carburant").await;
    assert!(carburant.contains(&"sp3h".into()) && carburant.contains(&"station-du-cours".into()), "{carburant:?}");
    assert_eq!(companies(&app, "recyclage batteries").await[0], "recyclo");
    // ECHY comes second, through the BUILDING domain of its technologies.
    assert_eq!(companies(&app, "building").await[0], "heatwise", "English descriptions use an English stemmer");
    assert_eq!(companies(&app, "designed").await, ["heatwise"]);
}

#[tokio::test]
async fn stop_words_and_elisions_are_not_matches() {
    let app = app_with_decoys().await;

    let with = search(&app, "des carburants", json!({})).await;
    let without = search(&app, "carburants", json!({})).await;
    assert_eq!(with["totalCount"], without["totalCount"]);
    assert_eq!(slugs(&with), slugs(&without));
    assert_eq!(companies(&app, "l'irrigation").await, companies(&app, "irrigation").await);
    let elided = search(&app, "d'analyse", json!({"kinds": ["COMPANY"]})).await;
    let snippet = elided["edges"][0]["highlights"][0]["snippet"].as_str().unwrap();
    assert!(!snippet.contains("<mark>d</mark>") && snippet.contains("<mark>analyse</mark>"), "{snippet}");
}

#[tokio::test]
async fn typos_are_forgiven_and_exact_matches_rank_first() {
    let app = app_with_decoys().await;

    assert!(companies(&app, "combustoin").await.contains(&"sp3h".into()));
    assert_eq!(companies(&app, "irigation").await, ["aquagoutte"]);
    assert_eq!(companies(&app, "optimsiation").await, ["sp3h"], "two letters swapped count as one typo");
    assert!(companies(&app, "fuol").await.is_empty(), "no typo allowed under 5 letters");

    let capteur = companies(&app, "capteur").await;
    assert_eq!(capteur, ["capteur-sas", "capter-conseil"], "the exact match first, the typo second");

    let typo = search(&app, "combustoin", json!({"kinds": ["COMPANY"]})).await;
    let snippets: Vec<&str> =
        typo["edges"][0]["highlights"].as_array().unwrap().iter().map(|h| h["snippet"].as_str().unwrap()).collect();
    assert!(
        snippets.iter().any(|s| s.contains("<mark>combustion</mark>")),
        "a typo-matched word is highlighted: {snippets:?}"
    );
}

#[tokio::test]
async fn the_last_word_matches_as_a_prefix() {
    let app = app_with_decoys().await;

    assert_eq!(companies(&app, "photovolt").await, ["sunpv"]);
    assert_eq!(companies(&app, "panneaux photovolt").await[0], "sunpv");
    assert!(companies(&app, "photovolt panneaux").await.contains(&"sunpv".into()));
}

#[tokio::test]
async fn ranking_weighs_names_and_matched_words_and_honours_phrases() {
    let app = app_with_decoys().await;

    let hydrogen = companies(&app, "hydrogène vert").await;
    assert_eq!(hydrogen, ["hydrogene-vert", "h2-conseil"], "a name match weighs more than a description match");

    let phrase = companies(&app, "\"fibre optique\"").await;
    assert!(phrase.contains(&"echy".into()) && phrase.contains(&"provence-haut-debit".into()), "{phrase:?}");
    assert!(!phrase.contains(&"tisserand".into()), "the words apart are not the phrase: {phrase:?}");
    assert!(companies(&app, "fibre optique").await.contains(&"tisserand".into()));
}

#[tokio::test]
async fn any_input_is_a_query() {
    let app = app_with_decoys().await;
    let long = "carburant ".repeat(1_000);
    let inputs = [
        "\"unbalanced",
        "AND OR NOT",
        "-carburant",
        "kind:COMPANY",
        "*",
        "**",
        "fibre*",
        "🌞 énergie ☀️",
        "\\",
        "(",
        ")",
        "[]{}",
        "a\"b\"c\"",
        "'",
        "l'",
        long.as_str(),
        "\u{0}",
    ];
    for input in inputs {
        let response = app.graphql(SEARCH, json!({"q": input})).await;
        assert!(response.get("errors").is_none(), "{input:?} failed: {response}");
    }
    let emoji = search(&app, "🌞 énergie ☀️", json!({"kinds": ["COMPANY"]})).await;
    assert_eq!(slugs(&emoji)[0], "sunpv");
}

#[tokio::test]
async fn an_empty_query_lists_filtered_matches_in_a_stable_order() {
    let app = app_with_decoys().await;

    let all = search(&app, "", json!({"kinds": ["COMPANY"]})).await;
    assert_eq!(all["totalCount"], 15);
    let names: Vec<String> =
        all["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap().to_lowercase()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "an empty query lists the companies by name");
    assert_eq!(names[0], "aquagoutte");
    assert_eq!(names.len(), 15);

    let hosted = search(&app, "  ", json!({"filter": {"site": ["technopole-arbois"]}})).await;
    assert_eq!(slugs(&hosted), ["echy", "sp3h"]);
    let building = search(&app, "", json!({"filter": {"domain": ["BUILDING"]}, "kinds": ["COMPANY"]})).await;
    assert_eq!(slugs(&building), ["echy"]);
    let again = search(&app, "", json!({"kinds": ["COMPANY"]})).await;
    assert_eq!(slugs(&again), slugs(&all));
}

/// An update deletes the company's former document from its segment and adds the new one:
/// the facets count the company once, with its new value, and the total is unchanged.
#[tokio::test]
async fn after_an_update_facets_count_the_company_once_with_its_new_value() {
    let app = spawn_app().await;
    let query = "{ search(query: \"\", kinds: [COMPANY]) { totalCount facets { stage { value count } } } }";
    let stages = |data: &Value| -> std::collections::HashMap<String, u64> {
        let list = data["search"]["facets"]["stage"].as_array().unwrap();
        list.iter().map(|v| (v["value"].as_str().unwrap().to_string(), v["count"].as_u64().unwrap())).collect()
    };
    let before = app.data(query, json!({})).await;
    let stage = app.data(r#"{ company(slug: "sp3h") { stage } }"#, json!({})).await["company"]["stage"].clone();
    let new_stage = if stage == "LARGE_GROUP" { "MIDCAP" } else { "LARGE_GROUP" };
    let id = app.id_of("company", "sp3h").await;
    app.mutate_ok(
        "mutation($id: ID!, $input: UpdateCompanyInput!) { updateCompany(id: $id, input: $input) { stage } }",
        json!({"id": id, "input": {"stage": new_stage}}),
    )
    .await;

    let after = app.data(query, json!({})).await;
    assert_eq!(after["search"]["totalCount"], before["search"]["totalCount"]);
    let (old, new) = (stages(&before), stages(&after));
    let old_stage = stage.as_str().unwrap();
    assert_eq!(new.get(old_stage).copied().unwrap_or(0), old[old_stage] - 1, "{after}");
    assert_eq!(new[new_stage], old.get(new_stage).copied().unwrap_or(0) + 1, "{after}");
    assert_eq!(new.values().sum::<u64>(), old.values().sum::<u64>(), "{after}");
}

#[tokio::test]
async fn filters_combine_with_words_and_facets_count_every_match() {
    let app = app_with_decoys().await;

    let marseille = search(&app, "carburants", json!({"filter": {"city": ["Marseille"]}})).await;
    let mut found = slugs(&marseille);
    found.sort();
    assert_eq!(found, ["balises", "station-du-cours"]);
    let sme = search(&app, "fibre", json!({"filter": {"stage": ["SME"], "site": ["technopole-arbois"]}})).await;
    assert_eq!(slugs(&sme), ["echy"]);
    let mentoring = search(&app, "", json!({"filter": {"programmeKind": ["MENTORING"]}})).await;
    assert_eq!(slugs(&mentoring), ["mentorat-a-la-carte"]);

    let page = search(&app, "fibre", json!({"first": 1})).await;
    let all = search(&app, "fibre", json!({})).await;
    assert_eq!(page["edges"].as_array().unwrap().len(), 1);
    assert_eq!(page["facets"], all["facets"], "facets count all matches, not only the page");
    let kinds: u64 = all["facets"]["kind"].as_array().unwrap().iter().map(|f| f["count"].as_u64().unwrap()).sum();
    assert_eq!(kinds, all["totalCount"].as_u64().unwrap());
    let company_count =
        all["facets"]["kind"].as_array().unwrap().iter().find(|f| f["value"] == "COMPANY").unwrap()["count"].clone();
    assert_eq!(company_count, 3, "ECHY, the broadband operator and the weaver: {}", all["facets"]);
    assert!(all["facets"]["city"].as_array().unwrap().iter().any(|f| f["value"] == "Marseille"));
    assert!(all["facets"]["domain"].as_array().unwrap().iter().any(|f| f["value"] == "BUILDING"));

    let next = search(&app, "fibre", json!({"first": 1, "after": page["pageInfo"]["endCursor"]})).await;
    assert_eq!(slugs(&next)[0], slugs(&all)[1]);
}

#[tokio::test]
async fn snippets_mark_matches_and_escape_html() {
    let app = app_with_decoys().await;

    let found = search(&app, "carburants signalétique", json!({"kinds": ["COMPANY"]})).await;
    let balises = found["edges"].as_array().unwrap().iter().find(|e| e["node"]["slug"] == "balises").unwrap();
    let description = balises["highlights"].as_array().unwrap().iter().find(|h| h["field"] == "description").unwrap();
    assert_eq!(
        description["snippet"],
        "<mark>Signalétique</mark> &lt;script&gt;alert(1)&lt;/script&gt; pour les <mark>carburants</mark>."
    );
    let fuel = search(&app, "fuel analysis", json!({"kinds": ["COMPANY"]})).await;
    let related = fuel["edges"][0]["highlights"].as_array().unwrap().iter().find(|h| h["field"] == "related").unwrap();
    assert!(related["snippet"].as_str().unwrap().contains("<mark>Fuel</mark> <mark>analysis</mark>"), "{related}");
}

#[tokio::test]
async fn similar_entities_share_words_or_technologies_and_never_include_the_entity() {
    let app = app_with_decoys().await;
    let id = app.data(r#"{ company(slug: "echy") { id } }"#, json!({})).await["company"]["id"].clone();
    let query = "query($id: ID!, $kinds: [EntityKind!]) { similar(id: $id, kinds: $kinds, first: 20) { totalCount edges { node { slug } } } }";

    let similar = app.data(query, json!({"id": id})).await["similar"].clone();
    let found = slugs(&similar);
    assert!(!found.contains(&"echy".into()), "{found:?}");
    let techs = slugs(&app.data(query, json!({"id": id, "kinds": ["TECHNOLOGY"]})).await["similar"]);
    for tech in ["fibre-optic-lighting", "optical-fibre", "solar-daylighting"] {
        assert!(techs[..3].contains(&tech.to_string()), "{tech} not among the first: {techs:?}");
    }
    let companies = slugs(&app.data(query, json!({"id": id, "kinds": ["COMPANY"]})).await["similar"]);
    assert!(companies.contains(&"provence-haut-debit".into()), "{companies:?}");

    let error = app.error(query, json!({"id": "bogus"})).await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn suggestions_complete_names_as_you_type() {
    let app = app_with_decoys().await;
    let query = "query($p: String!, $kinds: [EntityKind!]) { suggest(prefix: $p, kinds: $kinds) { name slug kind } }";

    let fib = app.data(query, json!({"p": "fib"})).await;
    let names: Vec<&str> = fib["suggest"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Optical fibre") && names.contains(&"Fibre-optic lighting"), "{names:?}");
    let sp = app.data(query, json!({"p": "sp", "kinds": ["COMPANY"]})).await;
    assert_eq!(sp["suggest"], json!([{"name": "SP3H", "slug": "sp3h", "kind": "COMPANY"}]));
    let two_words = app.data(query, json!({"p": "mentorat à la ca"})).await;
    assert_eq!(two_words["suggest"][0]["slug"], "mentorat-a-la-carte");
    let nothing = app.data(query, json!({"p": "  "})).await;
    assert_eq!(nothing["suggest"], json!([]));
}

#[tokio::test]
async fn a_write_is_searchable_once_it_returns() {
    let app = app_with_decoys().await;
    assert!(companies(&app, "géothermie").await.is_empty());

    let output = app
        .import(&json!({"companies": [company("geoprovence", "GéoProvence", "fr", "Forages de géothermie profonde.")]}))
        .await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    assert_eq!(companies(&app, "geothermie").await, ["geoprovence"]);
}

#[tokio::test]
async fn suggestions_follow_link_counts_as_links_change() {
    let app = spawn_app().await;
    for slug in ["zyxa-one", "zyxa-two"] {
        let name = if slug.ends_with("one") { "Zyxa one" } else { "Zyxa two" };
        let create = format!(
            r#"mutation {{ createTechnology(input: {{slug: "{slug}", name: "{name}", domain: ENERGY, lang: en}}) {{ id }} }}"#
        );
        app.mutate_ok(&create, json!({})).await;
    }
    let suggested = async |app: &TestApp| {
        let data = app.data(r#"{ suggest(prefix: "zyxa", kinds: [TECHNOLOGY]) { slug } }"#, json!({})).await;
        data["suggest"].as_array().unwrap().iter().map(|s| s["slug"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let link = |technology: &'static str, add: bool| {
        let app = &app;
        async move {
            let company = app.id_of("company", "sp3h").await;
            let technology = app.id_of("technology", technology).await;
            let field = if add { "linkCompanyTechnology" } else { "unlinkCompanyTechnology" };
            let query = format!("mutation($c: ID!, $t: ID!) {{ {field}(companyId: $c, technologyId: $t) {{ slug }} }}");
            app.mutate_ok(&query, json!({"c": company, "t": technology})).await;
        }
    };

    link("zyxa-two", true).await;
    assert_eq!(suggested(&app).await, ["zyxa-two", "zyxa-one"], "the linked one first");
    link("zyxa-two", false).await;
    link("zyxa-one", true).await;
    assert_eq!(suggested(&app).await, ["zyxa-one", "zyxa-two"], "counts follow the links both ways");
}

/// An import that creates a company, then imports that move it from one technology to the
/// other: the link counts of both technologies follow.
#[tokio::test]
async fn suggestions_follow_link_counts_as_imports_relink() {
    let app = spawn_app().await;
    let import = async |technology: &str| {
        let document = json!({
            "technologies": [
                {"slug": "zyxa-one", "name": "Zyxa one", "domain": "ENERGY", "lang": "en"},
                {"slug": "zyxa-two", "name": "Zyxa two", "domain": "ENERGY", "lang": "en"}
            ],
            "companies": [
                {"slug": "zyxa-maker", "name": "Zyxa Maker", "stage": "SME", "lang": "en", "technologies": [technology]}
            ]
        });
        let query = "mutation($d: JSON!) { importKnowledgeBase(document: $d) { companies { created } } }";
        app.mutate_ok(query, json!({"d": document})).await;
    };
    let suggested = async || {
        let data = app.data(r#"{ suggest(prefix: "zyxa", kinds: [TECHNOLOGY]) { slug } }"#, json!({})).await;
        data["suggest"].as_array().unwrap().iter().map(|s| s["slug"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };

    // Back and forth: a count left behind would tie the two, ordered the same way both times.
    for (linked, other) in [("zyxa-two", "zyxa-one"), ("zyxa-one", "zyxa-two"), ("zyxa-two", "zyxa-one")] {
        import(linked).await;
        assert_eq!(suggested().await, [linked, other], "linked to {linked} by an import");
    }
}
