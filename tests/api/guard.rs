//! Every mutation of the schema, found by introspection, refuses a request without a token and
//! one with a wrong token: a new mutation cannot forget the check.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

/// A literal of the given introspected type that passes validation: enough to reach the guard.
fn literal(ty: &Value, types: &[Value]) -> String {
    match ty["kind"].as_str().unwrap() {
        "NON_NULL" => literal(&ty["ofType"], types),
        "LIST" => "[]".into(),
        "ENUM" => {
            let found = types.iter().find(|t| t["name"] == ty["name"]).expect("the enum");
            found["enumValues"][0]["name"].as_str().unwrap().to_string()
        }
        "INPUT_OBJECT" => {
            let found = types.iter().find(|t| t["name"] == ty["name"]).expect("the input");
            let fields: Vec<String> = found["inputFields"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["type"]["kind"] == "NON_NULL" && f["defaultValue"].is_null())
                .map(|f| format!("{}: {}", f["name"].as_str().unwrap(), literal(&f["type"], types)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        _ => match ty["name"].as_str().unwrap() {
            "Int" => "1".into(),
            "Float" => "1.5".into(),
            "Boolean" => "false".into(),
            "DateTime" => "\"2020-01-01T00:00:00Z\"".into(),
            "NaiveDate" => "\"2020-01-01\"".into(),
            "JSON" => "{}".into(),
            _ => "\"Q29tcGFueTox\"".into(),
        },
    }
}

fn innermost_kind(ty: &Value) -> &str {
    if ty["ofType"].is_object() { innermost_kind(&ty["ofType"]) } else { ty["kind"].as_str().unwrap() }
}

#[tokio::test]
async fn every_mutation_needs_a_token_that_may_write() {
    let app = spawn_app().await;
    let schema = app.data(include_str!("introspection.graphql"), json!({})).await;
    let types = schema["__schema"]["types"].as_array().unwrap().clone();
    let mutation = types.iter().find(|t| t["name"] == "Mutation").expect("a Mutation type");
    let fields = mutation["fields"].as_array().unwrap();
    assert!(fields.len() >= 19, "every kind's mutations are listed: {}", fields.len());

    for field in fields {
        let name = field["name"].as_str().unwrap();
        let args: Vec<String> = field["args"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["type"]["kind"] == "NON_NULL" && a["defaultValue"].is_null())
            .map(|a| format!("{}: {}", a["name"].as_str().unwrap(), literal(&a["type"], &types)))
            .collect();
        let args = if args.is_empty() { String::new() } else { format!("({})", args.join(", ")) };
        let selection = if innermost_kind(&field["type"]) == "OBJECT" { " { __typename }" } else { "" };
        let query = format!("mutation {{ {name}{args}{selection} }}");

        for (token, expected) in [(None, "UNAUTHENTICATED"), (Some("not-a-token"), "FORBIDDEN")] {
            let answer = app.graphql_as(token, &query, json!({})).await;
            assert_eq!(answer["errors"][0]["extensions"]["code"], expected, "{query}: {answer}");
        }
    }
    assert_eq!(app.data("{ companies { totalCount } }", json!({})).await["companies"]["totalCount"], 2);
}
