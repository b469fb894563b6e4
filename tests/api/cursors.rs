//! Keyset cursors: a cursor points at an item, so writes before the page never shift the next one.

use base64::Engine;
use serde_json::{Value, json};

use crate::helpers::{TestApp, names, spawn_app};

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String, $order: OrderBy) {
    companies(filter: {city: [\"Testville\"]}, orderBy: $order, first: $first, after: $after, last: $last, before: $before) {
        totalCount nodes { name foundedYear } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
}";

fn company(slug: &str, name: &str, founded_year: Option<i32>) -> Value {
    json!({"slug": slug, "name": name, "stage": "STARTUP", "lang": "fr", "city": "Testville", "foundedYear": founded_year})
}

/// Imports companies in Testville through the CLI.
async fn import(app: &TestApp, companies: Vec<Value>) {
    let output = app.import(&json!({ "companies": companies })).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

async fn page(app: &TestApp, variables: Value) -> Value {
    app.data(PAGE, variables).await["companies"].clone()
}

async fn create(app: &TestApp, slug: &str, name: &str, founded_year: Option<i32>) {
    app.mutate_ok(
        "mutation($input: CreateCompanyInput!) { createCompany(input: $input) { id } }",
        json!({"input": company(slug, name, founded_year)}),
    )
    .await;
}

async fn delete(app: &TestApp, slug: &str) {
    let id = app.id_of("company", slug).await;
    app.mutate_ok("mutation($id: ID!) { deleteCompany(id: $id) }", json!({"id": id})).await;
}

#[tokio::test]
async fn paging_forward_while_rows_come_and_go_before_the_page_never_repeats_or_skips() {
    // Arrange: 20 companies "Company 00" to "Company 19".
    let app = spawn_app().await;
    import(&app, (0..20).map(|i| company(&format!("c{i:02}"), &format!("Company {i:02}"), None)).collect()).await;
    let expected: Vec<String> = (0..20).map(|i| format!("Company {i:02}")).collect();

    // Act: read pages of 4; between pages, add one company before the page and delete one already read.
    let mut seen: Vec<String> = Vec::new();
    let mut after = Value::Null;
    let mut step = 0;
    loop {
        let page = page(&app, json!({"first": 4, "after": after})).await;
        let total = app.data("{ companies(filter: {city: [\"Testville\"]}) { totalCount } }", json!({})).await;
        assert_eq!(page["totalCount"], total["companies"]["totalCount"], "totalCount stays exact");
        assert_eq!(page["pageInfo"]["hasPreviousPage"], step > 0);
        seen.extend(names(&page["nodes"]));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
        create(&app, &format!("early-{step}"), &format!("Aardvark {step}"), None).await;
        delete(&app, &format!("c{:02}", step * 4)).await;
        step += 1;
    }

    // Assert: every original company once, in order, and none of those added before the page.
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn paging_backward_and_by_a_nullable_field_keeps_its_place() {
    // Arrange: founding years with ties and gaps (nulls come last in both directions).
    let app = spawn_app().await;
    let years = [Some(2001), None, Some(1999), Some(2001), None, Some(2010), Some(1999), Some(2005), None, Some(2001)];
    import(&app, years.iter().enumerate().map(|(i, y)| company(&format!("y{i}"), &format!("Y{i}"), *y)).collect())
        .await;
    for direction in ["ASC", "DESC"] {
        let order = json!({"field": "FOUNDED_YEAR", "direction": direction});
        let all = names(&page(&app, json!({"first": 100, "order": order})).await["nodes"]);
        let all_years: Vec<Value> = page(&app, json!({"first": 100, "order": order})).await["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["foundedYear"].clone())
            .collect();
        assert_eq!(&all_years[7..], [Value::Null, Value::Null, Value::Null], "nulls last, {direction}: {all_years:?}");

        // Act: forward by 3, then backward by 3 from the end, with a company added after each forward page.
        let mut forward = Vec::new();
        let mut after = Value::Null;
        let mut added = 0;
        loop {
            let page = page(&app, json!({"first": 3, "after": after, "order": order})).await;
            forward.extend(names(&page["nodes"]));
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
            // Sorts before every remaining item of this page's direction: a year at the start.
            let year = if direction == "ASC" { 1900 } else { 2020 };
            create(&app, &format!("added-{direction}-{added}").to_lowercase(), &format!("Added {added}"), Some(year))
                .await;
            added += 1;
        }
        let mut backward = Vec::new();
        let mut before = Value::Null;
        loop {
            let page = page(&app, json!({"last": 3, "before": before, "order": order})).await;
            let mut earlier = names(&page["nodes"]);
            earlier.extend(backward);
            backward = earlier;
            if page["pageInfo"]["hasPreviousPage"] == false {
                break;
            }
            assert_eq!(page["pageInfo"]["hasNextPage"], before != Value::Null);
            before = page["pageInfo"]["startCursor"].clone();
        }

        // Assert: the forward walk saw exactly the list as it was; the backward walk sees it as it is now.
        assert_eq!(forward, all, "{direction}");
        let now = names(&page(&app, json!({"first": 100, "order": order})).await["nodes"]);
        assert_eq!(backward, now, "{direction}");
        for i in 0..added {
            delete(&app, &format!("added-{direction}-{i}").to_lowercase()).await;
        }
    }
}

#[tokio::test]
async fn cursors_of_offsets_or_of_another_order_are_refused_clearly() {
    let app = spawn_app().await;
    let old = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("o:4");

    let error = app.error(&format!("{{ companies(after: \"{old}\") {{ totalCount }} }}"), json!({})).await;

    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    assert_eq!(error["extensions"]["field"], "after", "{error}");
    assert!(error["message"].as_str().unwrap().contains("first page"), "{error}");
    let error =
        app.error(&format!("{{ organisations(before: \"{old}\", last: 2) {{ totalCount }} }}"), json!({})).await;
    assert_eq!(error["extensions"]["field"], "before", "{error}");

    let by_name = app.data("{ companies(first: 1) { pageInfo { endCursor } } }", json!({})).await;
    let cursor = by_name["companies"]["pageInfo"]["endCursor"].as_str().unwrap().to_string();
    let error = app
        .error(
            &format!("{{ companies(after: \"{cursor}\", orderBy: {{field: CREATED_AT}}) {{ totalCount }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    assert!(error["message"].as_str().unwrap().contains("NAME ASC"), "{error}");
}

/// Run on SQLite and on PostgreSQL (`PEPITE_TEST_DATABASE_URL`), it checks the same order on both.
#[tokio::test]
async fn names_sort_without_case_or_accents_the_same_on_every_database() {
    let app = spawn_app().await;
    let names_in_any_order = [
        "Zèbre", "zebra", "Éole", "eau", "Œuvre", "oeil", "Ábaco", "abeille", "Ça va", "cab", "a b", "ab", "Delta",
        "delta",
    ];
    import(
        &app,
        names_in_any_order.iter().enumerate().map(|(i, name)| company(&format!("n{i:02}"), name, None)).collect(),
    )
    .await;

    let asc = names(&page(&app, json!({"first": 100})).await["nodes"]);
    let desc =
        names(&page(&app, json!({"first": 100, "order": {"field": "NAME", "direction": "DESC"}})).await["nodes"]);

    let expected = [
        "a b", "ab", "Ábaco", "abeille", "Ça va", "cab", "Delta", "delta", "eau", "Éole", "oeil", "Œuvre", "zebra",
        "Zèbre",
    ];
    assert_eq!(asc, expected);
    let mut reversed = expected.to_vec();
    reversed.reverse();
    // Ties ("Delta", "delta") are broken by id, in the list's direction.
    assert_eq!(desc, reversed);
    // Pages of 5 by name meet the same order.
    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = page(&app, json!({"first": 5, "after": after})).await;
        paged.extend(names(&page["nodes"]));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(paged, expected);
}

#[tokio::test]
async fn ties_of_creation_time_page_by_id() {
    // One import gives every company the same creation time.
    let app = spawn_app().await;
    import(&app, (0..7).map(|i| company(&format!("t{i}"), &format!("T{}", 7 - i), None)).collect()).await;
    let order = json!({"field": "CREATED_AT", "direction": "DESC"});
    let all = names(&page(&app, json!({"first": 100, "order": order})).await["nodes"]);

    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = page(&app, json!({"first": 2, "after": after, "order": order})).await;
        paged.extend(names(&page["nodes"]));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }

    assert_eq!(all, ["T1", "T2", "T3", "T4", "T5", "T6", "T7"], "ties broken by id, descending");
    assert_eq!(paged, all);
}

#[tokio::test]
async fn the_migration_gives_existing_rows_their_name_key() {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::ConnectionTrait;

    let dir = tempfile::tempdir().unwrap();
    let settings = crate::helpers::test_settings(dir.path()).await;
    let db = pepite::startup::connect(&settings).await.unwrap();
    Migrator::up(&db, Some(1)).await.unwrap();
    db.execute_unprepared(
        "INSERT INTO organisation (slug, name, lang, sources, created_at, updated_at, kind)
         VALUES ('x', 'Écluse Œil', 'fr', '[]', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00', 'CLUSTER')",
    )
    .await
    .unwrap();

    Migrator::up(&db, None).await.unwrap();

    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT name_key FROM organisation"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "name_key").unwrap(), "ecluse oeil");
}

const SEARCH: &str = "query($first: Int, $after: String) {
    search(query: \"zorglub\", kinds: [COMPANY], first: $first, after: $after) {
        edges { cursor node { slug } } pageInfo { hasNextPage endCursor }
    }
}";

#[tokio::test]
async fn search_pages_neither_repeat_nor_skip_a_hit_deleted_before_the_index_applies_it() {
    // Arrange: six companies matching the query, ranked once in full.
    let app = spawn_app().await;
    import(&app, (0..6).map(|i| company(&format!("z{i}"), &format!("Zorglub {i}"), None)).collect()).await;
    let slugs = |page: &Value| -> Vec<String> {
        let edges = page["edges"].as_array().cloned().unwrap_or_default();
        edges.iter().map(|e| e["node"]["slug"].as_str().unwrap_or_default().to_string()).collect()
    };
    let ranked = slugs(&app.data(SEARCH, json!({"first": 10})).await["search"]);
    assert_eq!(ranked.len(), 6, "{ranked:?}");

    // Act: read a first page of two, then delete the third hit in the database alone: the change
    // log does not hear of it, so the index keeps it, as it does for a moment after any delete.
    let first = app.data(SEARCH, json!({"first": 2})).await["search"].clone();
    let mut seen = slugs(&first);
    let deleted = &ranked[2];
    let sql = format!("DELETE FROM company WHERE slug = '{deleted}'");
    sea_orm::ConnectionTrait::execute_unprepared(app.kb.database(), &sql).await.unwrap();
    let mut after = first["pageInfo"]["endCursor"].clone();
    loop {
        let page = app.data(SEARCH, json!({"first": 2, "after": after})).await["search"].clone();
        seen.extend(slugs(&page));
        let cursors: Vec<&Value> = page["edges"].as_array().into_iter().flatten().map(|e| &e["cursor"]).collect();
        if let Some(last) = cursors.last() {
            assert_eq!(*last, &page["pageInfo"]["endCursor"], "endCursor is the last edge's cursor");
        }
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }

    // Assert: every hit still in the database once, in the ranking's order.
    let expected: Vec<String> = ranked.iter().filter(|s| *s != deleted).cloned().collect();
    assert_eq!(seen, expected);
}
