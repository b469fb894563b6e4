//! Requests an attacker would send, against a `pepite serve` child process under a memory cap:
//! each is refused or answered quickly, a concurrent small query keeps answering, and the process
//! stays small.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{ServerProcess, test_settings};

/// Generous bounds: the suite runs debug builds on a loaded 2-core machine.
const PROBE_BOUND: Duration = Duration::from_secs(5);
const SMALL_QUERY_BOUND: Duration = Duration::from_secs(2);

fn fragment_bomb(levels: usize, spreads: usize) -> String {
    let mut query = String::from("query { ...F0 }");
    for i in 0..levels {
        let body = vec![format!("...F{}", i + 1); spreads].join(" ");
        query.push_str(&format!(" fragment F{i} on Query {{ {body} }}"));
    }
    query.push_str(&format!(" fragment F{levels} on Query {{ __typename }}"));
    query
}

fn nested(levels: usize) -> String {
    format!("{{ technologies {{ nodes {{ {} name {} }} }} }}", "parent { ".repeat(levels), "}".repeat(levels))
}

async fn post(server: &ServerProcess, body: String) -> (u16, Value, Duration) {
    let started = Instant::now();
    let response = server
        .client
        .post(format!("{}/graphql", server.address))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|err| panic!("an answer, not a dropped connection: {err}"));
    let status = response.status().as_u16();
    let value = response.json().await.unwrap_or(Value::Null);
    (status, value, started.elapsed())
}

/// Sends `query` and, at the same time, `{ __typename }`, which must answer fast.
async fn probe(server: &ServerProcess, name: &str, body: String) -> (u16, Value) {
    let small = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        post(server, json!({"query": "{ __typename }"}).to_string()).await
    };
    let ((status, value, took), (small_status, small_value, small_took)) = tokio::join!(post(server, body), small);
    assert!(took < PROBE_BOUND, "{name}: answered in {took:?}");
    assert_eq!((small_status, &small_value["data"]["__typename"]), (200, &json!("Query")), "{name}");
    assert!(small_took < SMALL_QUERY_BOUND, "{name}: a concurrent small query took {small_took:?}");
    (status, value)
}

/// Announces a body of `length` bytes and reads the answer without sending it: the server refuses
/// an oversized body before reading it.
async fn announce_body(server: &ServerProcess, length: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = server.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let request = format!(
        "POST /graphql HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("send the head");
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(PROBE_BOUND, stream.read(&mut answer)).await.expect("answered in time").unwrap();
    String::from_utf8_lossy(&answer[..read]).into_owned()
}

fn code(value: &Value) -> &str {
    value["errors"][0]["extensions"]["code"].as_str().unwrap_or_default()
}

fn query(text: &str) -> String {
    json!({ "query": text }).to_string()
}

#[tokio::test]
async fn hostile_requests_are_refused_quickly_and_the_server_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path()).await;
    let mut server = ServerProcess::start(&settings, &[], 3 * 1024);

    let refused_as = |expected: &'static str| {
        move |(status, value): (u16, Value), name: &str| {
            assert_eq!(status, 200, "{name}: {value}");
            assert_eq!(code(&value), expected, "{name}: {value}");
            assert!(value["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()), "{name}");
        }
    };
    let validation = refused_as("GRAPHQL_VALIDATION_FAILED");

    validation(probe(&server, "deep fragment bomb", query(&fragment_bomb(30, 2))).await, "deep fragment bomb");
    validation(probe(&server, "wide fragment bomb", query(&fragment_bomb(8, 10))).await, "wide fragment bomb");
    let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
    let (status, value) = probe(&server, "fragment cycle", query(cycle)).await;
    validation((status, value.clone()), "fragment cycle");
    assert!(value["errors"][0]["message"].as_str().unwrap().contains("spreads itself"), "{value}");

    let aliases: String = (0..10_000).map(|i| format!("a{i}:__typename ")).collect();
    validation(probe(&server, "10,000 aliases", query(&format!("{{{aliases}}}"))).await, "10,000 aliases");
    let few_aliases: String = (0..2_000).map(|i| format!("a{i}:__typename ")).collect();
    let (status, value) = probe(&server, "2,000 aliases", query(&format!("{{{few_aliases}}}"))).await;
    validation((status, value.clone()), "2,000 aliases");
    assert!(value["errors"][0]["message"].as_str().unwrap().contains("aliases"), "{value}");

    validation(probe(&server, "nesting past the depth limit", query(&nested(20))).await, "depth");
    refused_as("GRAPHQL_PARSE_FAILED")(probe(&server, "nesting past the parser", query(&nested(200))).await, "parser");

    let pages = "{ companies(first:100){ nodes{ technologies{ companies(first:100){ nodes{ technologies{ \
                 companies(first:100){ nodes{ name description technologies{name description} }}}}}}}}}";
    let (status, value) = probe(&server, "nested connections", query(pages)).await;
    refused_as("QUERY_TOO_COMPLEX")((status, value.clone()), "nested connections");
    let extensions = &value["errors"][0]["extensions"];
    assert!(extensions["cost"].as_u64().unwrap() > extensions["limit"].as_u64().unwrap(), "{value}");
    assert_eq!(extensions["limit"], 10_000);

    let search = "search(query: \"energie solaire\", first: 100) { totalCount facets { city { value count } } \
                  edges { highlights { field snippet } node { name description } } }";
    let many: String = (0..300).map(|i| format!("s{i}: {search} ")).collect();
    validation(probe(&server, "300 aliased searches", query(&format!("{{{many}}}"))).await, "300 searches");
    let some: String = (0..50).map(|i| format!("s{i}: {search} ")).collect();
    refused_as("QUERY_TOO_COMPLEX")(probe(&server, "50 aliased searches", query(&format!("{{{some}}}"))).await, "50");

    let padded = format!("{{ __typename }}{}", " ".repeat(1 << 20));
    validation(probe(&server, "1 MiB query", query(&padded)).await, "1 MiB query");
    let padded = format!("{{ __typename }}{}", " ".repeat(8 << 20));
    validation(probe(&server, "8 MiB query", query(&padded)).await, "8 MiB query");
    let big = "a".repeat(8 << 20);
    let lookup = json!({"query": "query($x: String) { company(slug: $x) { name } }", "variables": {"x": big}});
    let (status, value) = probe(&server, "8 MiB of variables", lookup.to_string()).await;
    assert_eq!((status, &value["data"]["company"]), (200, &Value::Null), "{value}");
    let search = json!({"query": "query($x: String!) { search(query: $x) { totalCount } }", "variables": {"x": big}});
    let (status, value) = probe(&server, "an 8 MiB search", search.to_string()).await;
    assert_eq!(status, 200, "any text is a query; only its beginning is read: {value}");
    assert!(value["data"]["search"]["totalCount"].is_u64(), "{value}");
    let head = announce_body(&server, 17 << 20).await;
    assert!(head.starts_with("HTTP/1.1 413"), "a 17 MiB body is refused from its Content-Length: {head}");
    assert!(head.contains("PAYLOAD_TOO_LARGE"), "{head}");

    assert!(server.alive(), "the server survived every probe");
    let peak = server.peak_rss_mib();
    assert!(peak < 1024, "peak resident memory {peak} MiB");
}
