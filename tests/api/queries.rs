//! Lookups, lists, filters, orderings, pagination and relations, over the bundled knowledge base.

use serde_json::json;

use crate::helpers::{names, spawn_app};

#[tokio::test]
async fn companies_are_listed_by_name_with_their_relations() {
    let app = spawn_app().await;

    let data = app
        .data("{ companies { totalCount nodes { slug name stage site { slug } technologies { slug } } } }", json!({}))
        .await;

    assert_eq!(data["companies"]["totalCount"], 2);
    assert_eq!(names(&data["companies"]["nodes"]), ["ECHY", "SP3H"]);
    let sp3h = &data["companies"]["nodes"][1];
    assert_eq!(sp3h["site"]["slug"], "technopole-arbois");
    let techs: Vec<&str> =
        sp3h["technologies"].as_array().unwrap().iter().map(|t| t["slug"].as_str().unwrap()).collect();
    assert_eq!(techs, ["combustion-optimisation", "fuel-analysis"]);
}

#[tokio::test]
async fn filters_match_any_value_of_a_list_and_all_given_fields() {
    let app = spawn_app().await;
    let query = "query($f: CompanyFilter) { companies(filter: $f) { totalCount nodes { name } } }";

    let cases = [
        (json!({"technology": ["fuel-analysis"]}), vec!["SP3H"]),
        (json!({"technology": ["fuel-analysis", "optical-fibre"]}), vec!["ECHY", "SP3H"]),
        (json!({"site": ["technopole-arbois"], "stage": ["SME"]}), vec!["ECHY", "SP3H"]),
        (json!({"stage": ["LARGE_GROUP"]}), vec![]),
        (json!({"nameContains": "ch"}), vec!["ECHY"]),
        (json!({"nameContains": "%"}), vec![]),
        (json!({"city": ["Marseille"]}), vec![]),
        (json!({"programme": ["mentorat-a-la-carte"]}), vec![]),
    ];
    for (filter, expected) in cases {
        let data = app.data(query, json!({"f": filter})).await;
        assert_eq!(names(&data["companies"]["nodes"]), expected, "filter {filter}");
        assert_eq!(data["companies"]["totalCount"], expected.len(), "filter {filter}");
    }

    let data = app.data(r#"{ technologies(filter: {domain: [ENERGY]}) { nodes { name } } }"#, json!({})).await;
    assert_eq!(
        names(&data["technologies"]["nodes"]),
        ["Combustion optimisation", "Energy efficiency", "Fuel analysis"]
    );
    let data =
        app.data(r#"{ technologies(filter: {parent: ["energy-efficiency"]}) { nodes { name } } }"#, json!({})).await;
    assert_eq!(names(&data["technologies"]["nodes"]), ["Combustion optimisation"]);
    let data = app
        .data(r#"{ programmes(filter: {kind: [MENTORING], operator: ["upe-13"]}) { nodes { name } } }"#, json!({}))
        .await;
    assert_eq!(names(&data["programmes"]["nodes"]), ["Mentorat à la carte"]);
    let data = app.data(r#"{ programmes(filter: {openOn: "2026-01-01"}) { totalCount } }"#, json!({})).await;
    assert_eq!(data["programmes"]["totalCount"], 2);
    let data = app.data(r#"{ organisations(filter: {kind: [CLUSTER]}) { nodes { name } } }"#, json!({})).await;
    assert_eq!(names(&data["organisations"]["nodes"]), ["Safe Cluster"]);
}

#[tokio::test]
async fn orderings_sort_and_break_ties_by_id() {
    let app = spawn_app().await;

    let desc =
        app.data("{ organisations(orderBy: {field: NAME, direction: DESC}) { nodes { name } } }", json!({})).await;
    let asc = app.data("{ organisations(orderBy: {field: NAME}) { nodes { name } } }", json!({})).await;
    let mut reversed = names(&asc["organisations"]["nodes"]);
    reversed.reverse();
    assert_eq!(names(&desc["organisations"]["nodes"]), reversed);
    assert_eq!(names(&asc["organisations"]["nodes"]).len(), 6);

    let by_year = app.data("{ companies(orderBy: {field: FOUNDED_YEAR}) { totalCount } }", json!({})).await;
    assert_eq!(by_year["companies"]["totalCount"], 2);
    let error = app.error("{ technologies(orderBy: {field: FOUNDED_YEAR}) { totalCount } }", json!({})).await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn pages_follow_relay_both_ways() {
    let app = spawn_app().await;
    let query = "query($first: Int, $after: String, $last: Int, $before: String) {
        organisations(first: $first, after: $after, last: $last, before: $before) {
            totalCount edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        }
    }";
    let all = app.data(query, json!({"first": 100})).await["organisations"].clone();
    let every: Vec<String> =
        all["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(every.len(), 6);

    let first = app.data(query, json!({"first": 4})).await["organisations"].clone();
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);
    let second =
        app.data(query, json!({"first": 4, "after": first["pageInfo"]["endCursor"]})).await["organisations"].clone();
    let second_names: Vec<&str> =
        second["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap()).collect();
    assert_eq!(second_names, &every[4..]);
    assert_eq!(second["pageInfo"]["hasNextPage"], false, "the last page says so");
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);

    let last = app.data(query, json!({"last": 2})).await["organisations"].clone();
    let last_names: Vec<&str> =
        last["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap()).collect();
    assert_eq!(last_names, &every[4..]);
    let before =
        app.data(query, json!({"last": 2, "before": last["pageInfo"]["startCursor"]})).await["organisations"].clone();
    let before_names: Vec<&str> =
        before["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap()).collect();
    assert_eq!(before_names, &every[2..4]);

    let empty = app.data(r#"{ companies(filter: {stage: [MIDCAP]}) { totalCount edges { cursor } pageInfo { hasNextPage startCursor } } }"#, json!({})).await;
    assert_eq!(empty["companies"]["totalCount"], 0);
    assert_eq!(empty["companies"]["edges"], json!([]));
    assert_eq!(empty["companies"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(empty["companies"]["pageInfo"]["startCursor"], json!(null));
}

#[tokio::test]
async fn bad_page_arguments_are_refused_clearly() {
    let app = spawn_app().await;

    for (args, field) in
        [("first: 101", "first"), ("first: -1", "first"), ("after: \"garbage\"", "after"), ("last: 1000", "last")]
    {
        let error = app.error(&format!("{{ companies({args}) {{ totalCount }} }}"), json!({})).await;
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{args}: {error}");
        assert_eq!(error["extensions"]["field"], field, "{args}: {error}");
    }
    let error =
        app.error("{ technology(slug: \"fuel-analysis\") { companies(first: 500) { totalCount } } }", json!({})).await;
    assert!(error["message"].as_str().unwrap().contains("at most 100"), "{error}");
}

#[tokio::test]
async fn every_relation_is_navigable_both_ways() {
    let app = spawn_app().await;

    let data = app
        .data(
            r#"{
                company(slug: "echy") { site { name hostedCompanies { totalCount nodes { slug } } } }
                technology(slug: "fibre-optic-lighting") { parent { slug children { slug } } companies { totalCount nodes { slug } } }
                programme(slug: "mentorat-a-la-carte") { operator { slug programmes { totalCount nodes { slug } } } participants { totalCount } eligibleStages }
            }"#,
            json!({}),
        )
        .await;

    let hosted = &data["company"]["site"]["hostedCompanies"];
    assert_eq!(hosted["totalCount"], 2);
    assert_eq!(hosted["nodes"], json!([{"slug": "echy"}, {"slug": "sp3h"}]));
    let tech = &data["technology"];
    assert_eq!(tech["parent"]["slug"], "solar-daylighting");
    assert_eq!(tech["parent"]["children"], json!([{"slug": "fibre-optic-lighting"}]));
    assert_eq!(tech["companies"]["nodes"], json!([{"slug": "echy"}]));
    let programme = &data["programme"];
    assert_eq!(programme["operator"]["slug"], "upe-13");
    assert_eq!(programme["operator"]["programmes"]["totalCount"], 2);
    assert_eq!(programme["participants"]["totalCount"], 0);
    assert_eq!(programme["eligibleStages"], json!(["STARTUP", "SME"]));
}

#[tokio::test]
async fn memberships_and_participation_are_navigable_both_ways() {
    let app = spawn_app().await;
    let fixture = json!({
        "companies": [{"slug": "sp3h", "name": "SP3H", "stage": "SME", "lang": "fr", "site": "technopole-arbois",
            "technologies": ["fuel-analysis"], "programmes": ["mentorat-a-la-carte"], "memberships": ["safe-cluster"]}]
    });
    let output = app.import(&fixture).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let data = app
        .data(
            r#"{
                company(slug: "sp3h") { programmes { slug } memberships { slug } technologies { slug } }
                organisation(slug: "safe-cluster") { members { totalCount nodes { slug } } }
                programme(slug: "mentorat-a-la-carte") { participants { totalCount nodes { slug } } }
            }"#,
            json!({}),
        )
        .await;

    assert_eq!(data["company"]["programmes"], json!([{"slug": "mentorat-a-la-carte"}]));
    assert_eq!(data["company"]["memberships"], json!([{"slug": "safe-cluster"}]));
    assert_eq!(
        data["company"]["technologies"],
        json!([{"slug": "fuel-analysis"}]),
        "relations are replaced by an upsert"
    );
    assert_eq!(data["organisation"]["members"]["nodes"], json!([{"slug": "sp3h"}]));
    assert_eq!(data["programme"]["participants"]["nodes"], json!([{"slug": "sp3h"}]));
}

#[tokio::test]
async fn entities_are_found_by_global_id_slug_or_id() {
    let app = spawn_app().await;
    let data =
        app.data(r#"{ company(slug: "sp3h") { id name createdAt sources { title publishedOn } } }"#, json!({})).await;
    let id = data["company"]["id"].as_str().unwrap().to_string();
    assert_eq!(data["company"]["sources"][0]["publishedOn"], "2022-06-27");

    let by_node = app
        .data("query($id: ID!) { node(id: $id) { __typename slug ... on Company { stage } } }", json!({"id": id}))
        .await;
    assert_eq!(by_node["node"], json!({"__typename": "Company", "slug": "sp3h", "stage": "SME"}));
    let by_id = app.data("query($id: ID!) { company(id: $id) { slug } }", json!({"id": id})).await;
    assert_eq!(by_id["company"]["slug"], "sp3h");

    let missing = app.data(r#"{ company(slug: "nobody") { slug } }"#, json!({})).await;
    assert_eq!(missing["company"], json!(null));
    let error = app.error("query($id: ID!) { technology(id: $id) { slug } }", json!({"id": id})).await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
    let error = app.error(r#"{ node(id: "not-an-id") { slug } }"#, json!({})).await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
    let error = app.error("query($id: ID!) { company(slug: \"sp3h\", id: $id) { slug } }", json!({"id": id})).await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
}
