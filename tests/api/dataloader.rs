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
