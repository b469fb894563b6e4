//! The keys of every answer come in the order of the query (GraphQL spec, 6.3), whatever order
//! the fields are resolved in.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::json;

use crate::helpers::spawn_app;

/// A JSON value that keeps the order of object keys as they came in the response text.
#[derive(Debug)]
enum Ordered {
    Object(Vec<(String, Ordered)>),
    List(Vec<Ordered>),
    Scalar,
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor;
        impl<'de> Visitor<'de> for OrderedVisitor {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Ordered>()? {
                    entries.push((key, value));
                }
                Ok(Ordered::Object(entries))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Ordered::List(items))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
            fn visit_str<E>(self, _: &str) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
        }
        deserializer.deserialize_any(OrderedVisitor)
    }
}

impl Ordered {
    /// The value at a path of keys and list indexes, e.g. `data.search.edges.0.node`.
    fn at(&self, path: &str) -> &Ordered {
        path.split('.').filter(|p| !p.is_empty()).fold(self, |value, step| match value {
            Ordered::Object(entries) => {
                &entries.iter().find(|(k, _)| k == step).unwrap_or_else(|| panic!("no {step:?} in {path}")).1
            }
            Ordered::List(items) => &items[step.parse::<usize>().expect("a list index")],
            Ordered::Scalar => panic!("{path} goes through a scalar"),
        })
    }

    fn keys(&self) -> Vec<&str> {
        match self {
            Ordered::Object(entries) => entries.iter().map(|(k, _)| k.as_str()).collect(),
            other => panic!("not an object: {other:?}"),
        }
    }
}

/// A query and the keys expected, in order, at some of its paths.
struct Shape {
    query: &'static str,
    expected: &'static [(&'static str, &'static [&'static str])],
}

const SHAPES: &[Shape] = &[
    // Root fields of very different latency: the search index, a slug lookup, a count, a constant.
    Shape {
        query: r#"{ search(query: "fibre optique", first: 3) { totalCount } company(slug: "sp3h") { name }
                    __typename companies(first: 2) { totalCount } technologies { totalCount } }"#,
        expected: &[("data", &["search", "company", "__typename", "companies", "technologies"])],
    },
    Shape {
        query: r#"{ __typename technologies { totalCount } company(slug: "echy") { name }
                    organisations(first: 1) { totalCount } search(query: "carburants") { totalCount } }"#,
        expected: &[("data", &["__typename", "technologies", "company", "organisations", "search"])],
    },
    // Aliases, including one that sorts before the others and a constant between slow fields.
    Shape {
        query: r#"{ z: company(slug: "sp3h") { name } a: search(query: "lumière") { totalCount } m: __typename
                    b: technology(slug: "fuel-analysis") { companies { totalCount } name } }"#,
        expected: &[("data", &["z", "a", "m", "b"]), ("data.b", &["companies", "name"])],
    },
    // Nested objects whose fields load through DataLoaders.
    Shape {
        query: r#"{ company(slug: "sp3h") { technologies { slug name } site { name slug } programmes { name }
                    name __typename memberships { slug } id stage } }"#,
        expected: &[
            (
                "data.company",
                &["technologies", "site", "programmes", "name", "__typename", "memberships", "id", "stage"],
            ),
            ("data.company.site", &["name", "slug"]),
            ("data.company.technologies.0", &["slug", "name"]),
        ],
    },
    // Named fragments, inline fragments on an interface, and a field selected twice (merged).
    Shape {
        query: r#"query { companies(first: 2) { nodes { ...Names stage ... on Company { site { slug } city } }
                                           pageInfo { endCursor hasNextPage } totalCount }
                          search(query: "fibre", first: 5) { edges { node { __typename ... on Technology { domain name }
                                                                                     ... on Company { name stage } slug } } } }
                  fragment Names on Company { slug name technologies { name } }"#,
        expected: &[
            ("data", &["companies", "search"]),
            ("data.companies", &["nodes", "pageInfo", "totalCount"]),
            ("data.companies.nodes.0", &["slug", "name", "technologies", "stage", "site", "city"]),
            ("data.companies.pageInfo", &["endCursor", "hasNextPage"]),
        ],
    },
    Shape {
        query: r#"{ c: company(slug: "sp3h") { name site { name } } t: technologies { totalCount }
                    c: company(slug: "sp3h") { slug site { slug } } }"#,
        expected: &[("data", &["c", "t"]), ("data.c", &["name", "site", "slug"]), ("data.c.site", &["name", "slug"])],
    },
];

#[tokio::test]
async fn answers_keep_the_query_order_over_many_runs_and_shapes() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address);

    for run in 0..100 {
        // All the shapes at once, so that their fields interleave on the server.
        let requests: Vec<_> = SHAPES
            .iter()
            .map(|shape| {
                let request = app.client.post(&url).json(&json!({"query": shape.query}));
                tokio::spawn(async move { request.send().await.expect("request").text().await.expect("body") })
            })
            .collect();

        for (shape, request) in SHAPES.iter().zip(requests) {
            let text = request.await.expect("join");
            let answer: Ordered = serde_json::from_str(&text).expect("JSON");
            assert_eq!(answer.keys(), ["data"], "run {run}: {text}");
            for (path, keys) in shape.expected {
                assert_eq!(answer.at(path).keys(), *keys, "run {run}, {path} of {}\n{text}", shape.query);
            }
            for node in search_nodes(&answer) {
                let keys = node.keys();
                // Each hit's keys in the order its fragments select them.
                let expected: &[&str] = if keys.contains(&"domain") {
                    &["__typename", "domain", "name", "slug"]
                } else if keys.contains(&"stage") {
                    &["__typename", "name", "stage", "slug"]
                } else {
                    &["__typename", "slug"]
                };
                assert_eq!(keys, expected, "run {run}: {text}");
            }
        }
    }
}

/// The nodes of `data.search.edges`, when the query asked for them.
fn search_nodes(answer: &Ordered) -> Vec<&Ordered> {
    let Ordered::Object(data) = answer.at("data") else { return Vec::new() };
    let Some((_, Ordered::Object(search))) = data.iter().find(|(k, _)| k == "search") else { return Vec::new() };
    let Some((_, Ordered::List(edges))) = search.iter().find(|(k, _)| k == "edges") else { return Vec::new() };
    edges.iter().map(|edge| edge.at("node")).collect()
}
