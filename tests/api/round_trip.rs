//! Every field of every kind, through every layer: created with every input field set, read back,
//! updated to other values, read back, exported, imported into a fresh server, and read back again.
//!
//! The inputs below are the list of covered fields: a create or update input field that the schema
//! has and they do not set, or an output field the test neither reads nor names as derived, fails
//! `every_input_and_output_field_of_every_kind_is_covered_by_the_round_trip`.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, spawn_app};

/// One kind of entity: the values it is created with, then updated to, each setting every field.
struct Subject {
    /// The GraphQL type, e.g. `Company`.
    object: &'static str,
    /// The query field that looks one up, e.g. `company`.
    lookup: &'static str,
    create: Value,
    update: Value,
    /// Output fields computed from other entities or set by the server, not given in an input.
    derived: &'static [&'static str],
}

/// Input fields holding one slug of another entity, read back as that entity.
const REFERENCES: [&str; 3] = ["site", "operator", "parent"];

/// Input fields holding slugs of other entities, read back as those entities (by name).
const REFERENCE_LISTS: [&str; 9] = [
    "technologies",
    "programmes",
    "memberships",
    "eligibleSites",
    "requiredMemberships",
    "organisers",
    "companies",
    "people",
    "organisations",
];

/// Output fields of every kind that no input sets.
const SERVER_SET: [&str; 3] = ["id", "createdAt", "updatedAt"];

/// The fields every kind shares, in the entity's language `lang` and translated to `other`.
fn common(slug: &str, name: &str, lang: &str, other: &str, version: u32) -> Value {
    json!({
        "slug": slug,
        "name": name,
        "description": format!("{name}, described in {lang} (version {version})."),
        "lang": lang,
        "website": format!("https://{slug}.example.org/v{version}"),
        "sources": (1..=version).map(|n| json!({
            "title": format!("{name}: source {n}"),
            "url": format!("https://news.example.org/{slug}/{n}"),
            "publishedOn": format!("202{n}-0{version}-1{n}"),
        })).collect::<Vec<_>>(),
        "translations": [{
            "lang": other,
            "name": format!("{name} ({other})"),
            "description": format!("{name}, translated to {other} (version {version})."),
        }],
        "aliases": [format!("{name} alias {version}"), format!("RT{version}")],
    })
}

/// `common` with the kind's own fields added.
fn with(mut base: Value, own: Value) -> Value {
    let fields = base.as_object_mut().expect("an object");
    fields.extend(own.as_object().expect("an object").clone());
    base
}

fn organisation() -> Subject {
    Subject {
        object: "Organisation",
        lookup: "organisation",
        create: with(
            common("rt-organisation", "Round Trip Organisation", "en", "fr", 1),
            json!({
                "kind": "CLUSTER",
                "city": "Aix-en-Provence",
                "location": {"latitude": 43.4866, "longitude": 5.3963},
                "places": [{"name": "Antenne de Marseille", "latitude": 43.2965, "longitude": 5.3698}],
            }),
        ),
        update: with(
            common("rt-organisation-renamed", "Round Trip Organisation Renamed", "fr", "en", 2),
            json!({
                "kind": "RESEARCH",
                "city": "Marseille",
                "location": {"latitude": 43.3, "longitude": 5.4},
                "places": [{"name": "Site de Luminy", "latitude": 43.2316, "longitude": 5.4399}],
            }),
        ),
        derived: &["hostedCompanies", "members", "people", "events", "programmes"],
    }
}

fn technology() -> Subject {
    Subject {
        object: "Technology",
        lookup: "technology",
        create: with(
            common("rt-technology", "Round Trip Technology", "en", "fr", 1),
            json!({"domain": "ENERGY", "parent": "rt-broad"}),
        ),
        update: with(
            common("rt-technology-renamed", "Round Trip Technology Renamed", "fr", "en", 2),
            json!({"domain": "WATER", "parent": "rt-broader"}),
        ),
        derived: &["children", "companies"],
    }
}

fn programme() -> Subject {
    Subject {
        object: "Programme",
        lookup: "programme",
        create: with(
            common("rt-programme", "Round Trip Programme", "en", "fr", 1),
            json!({
                "kind": "FUNDING",
                "operator": "rt-organisation",
                "eligibleStages": ["STARTUP", "SME"],
                "eligibleDomains": ["ENERGY", "WATER"],
                "eligibleSites": ["rt-host", "rt-organisation"],
                "requiredMemberships": ["rt-cluster", "rt-network"],
                "startsOn": "2024-01-01",
                "endsOn": "2030-12-31",
            }),
        ),
        update: with(
            common("rt-programme-renamed", "Round Trip Programme Renamed", "fr", "en", 2),
            json!({
                "kind": "MENTORING",
                "operator": "rt-cluster",
                "eligibleStages": ["MIDCAP", "LARGE_GROUP"],
                "eligibleDomains": ["AIR", "SECURITY"],
                "eligibleSites": ["rt-organisation-renamed"],
                "requiredMemberships": ["rt-host", "rt-network"],
                "startsOn": "2025-02-01",
                "endsOn": "2031-06-30",
            }),
        ),
        derived: &["eligibleCompanies", "participants"],
    }
}

fn company() -> Subject {
    Subject {
        object: "Company",
        lookup: "company",
        create: with(
            common("rt-company", "Round Trip Company", "en", "fr", 1),
            json!({
                "stage": "SME",
                "city": "Aix-en-Provence",
                "foundedYear": 2011,
                "employees": 42,
                "site": "rt-organisation",
                "technologies": ["rt-broad", "rt-technology"],
                "programmes": ["rt-programme"],
                "memberships": ["rt-cluster", "rt-organisation"],
                "needs": ["FUNDING", "EXPORT"],
                "location": {"latitude": 43.5297, "longitude": 5.4474},
                "places": [
                    {"name": "Établissement de Rousset", "latitude": 43.4831, "longitude": 5.6197},
                    {"name": "Bureau de Nice", "latitude": 43.7102, "longitude": 7.262},
                ],
            }),
        ),
        update: with(
            common("rt-company-renamed", "Round Trip Company Renamed", "fr", "en", 2),
            json!({
                "stage": "MIDCAP",
                "city": "Marseille",
                "foundedYear": 2015,
                "employees": 120,
                "site": "rt-host",
                "technologies": ["rt-broader", "rt-technology-renamed"],
                "programmes": ["rt-programme-renamed"],
                "memberships": ["rt-network", "rt-organisation-renamed"],
                "needs": ["INDUSTRIALISATION"],
                "location": {"latitude": -33.8688, "longitude": 151.2093},
                "places": [{"name": "Antipodes", "latitude": -43.5, "longitude": -179.9}],
            }),
        ),
        derived: &["events", "eligibleProgrammes", "partners", "entryPoints", "mentors"],
    }
}

fn person() -> Subject {
    let role = |organisation: &str, title: &str, since: &str, until: &str| json!({"organisation": organisation, "title": title, "since": since, "until": until});
    Subject {
        object: "Person",
        lookup: "person",
        create: with(
            common("rt-person", "Round Trip Person", "en", "fr", 1),
            json!({"roles": [
                role("rt-organisation", "présidente", "2019-01-01", "2023-06-30"),
                role("rt-cluster", "trésorière", "2020-03-01", "2024-01-31"),
            ], "mentor": {
                "since": "2024-01-15",
                "topics": ["INDUSTRIALISATION", "EXPORT"],
                "technologies": ["rt-broad", "rt-technology"],
                "domains": ["ENERGY"],
                "stages": ["STARTUP", "SME"],
                "languages": ["fr", "en"],
                "sources": [{"title": "Round Trip Person offers mentoring", "url": "https://news.example.org/rt-person/mentor", "publishedOn": "2024-01-15"}],
            }}),
        ),
        update: with(
            common("rt-person-renamed", "Round Trip Person Renamed", "fr", "en", 2),
            json!({"roles": [
                role("rt-network", "directrice générale", "2024-02-01", "2025-12-31"),
                role("rt-organisation-renamed", "administratrice", "2021-05-01", "2026-01-31"),
            ], "mentor": {
                "since": "2025-03-01",
                "topics": ["FUNDING"],
                "technologies": ["rt-broader"],
                "domains": ["WATER", "AIR"],
                "stages": ["MIDCAP"],
                "languages": ["en"],
                "sources": [{"title": "Round Trip Person, renamed, offers mentoring", "url": "https://news.example.org/rt-person/mentor-2", "publishedOn": "2025-03-01"}],
            }}),
        ),
        derived: &["events", "mentees"],
    }
}

fn event() -> Subject {
    Subject {
        object: "Event",
        lookup: "event",
        create: with(
            common("rt-event", "Round Trip Event", "en", "fr", 1),
            json!({
                "date": "2024-05-14",
                "endDate": "2024-05-16",
                "site": "rt-host",
                "organisers": ["rt-cluster", "rt-organisation"],
                "companies": ["rt-company"],
                "people": ["rt-person"],
                "organisations": ["rt-network"],
            }),
        ),
        update: with(
            common("rt-event-renamed", "Round Trip Event Renamed", "fr", "en", 2),
            json!({
                "date": "2025-03-03",
                "endDate": "2025-03-04",
                "site": "rt-organisation-renamed",
                "organisers": ["rt-network"],
                "companies": ["rt-company-renamed"],
                "people": ["rt-person-renamed"],
                "organisations": ["rt-cluster", "rt-host"],
            }),
        ),
        derived: &["location"],
    }
}

/// The six kinds, each after the kinds its references point to, so that they can be created in
/// this order and each update can name the others' new slugs.
fn subjects() -> Vec<Subject> {
    vec![organisation(), technology(), programme(), company(), person(), event()]
}

/// Nested output types and the fields of theirs that no input sets.
const NESTED: [(&str, &[&str]); 6] = [
    ("Source", &[]),
    ("Translation", &[]),
    ("Role", &["person"]),
    ("MentorOffer", &[]),
    ("Location", &["source"]),
    ("Place", &[]),
];

/// Nested input types whose output type has another name.
const OUTPUT_OF: [(&str, &str); 1] = [("PointInput", "Location")];

/// Nested input types, and the subject field whose items show which of their fields are set.
const NESTED_INPUTS: [(&str, &str, &str); 6] = [
    ("SourceInput", "Company", "sources"),
    ("TranslationInput", "Company", "translations"),
    ("RoleInput", "Person", "roles"),
    ("MentorInput", "Person", "mentor"),
    ("PointInput", "Company", "location"),
    ("PlaceInput", "Company", "places"),
];

/// The entities the subjects refer to besides each other, with their required fields only.
async fn create_references(app: &TestApp) {
    for (slug, name, kind) in [
        ("rt-cluster", "Round Trip Cluster", "CLUSTER"),
        ("rt-network", "Round Trip Network", "BUSINESS_NETWORK"),
        ("rt-host", "Round Trip Host", "TECHNOPOLE"),
    ] {
        let input = json!({"input": {"slug": slug, "name": name, "kind": kind, "lang": "fr"}});
        app.mutate_ok("mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) { id } }", input)
            .await;
    }
    for (slug, name, domain) in
        [("rt-broad", "Round Trip Broad", "ENERGY"), ("rt-broader", "Round Trip Broader", "WATER")]
    {
        let input = json!({"input": {"slug": slug, "name": name, "domain": domain, "lang": "fr"}});
        app.mutate_ok("mutation($input: CreateTechnologyInput!) { createTechnology(input: $input) { id } }", input)
            .await;
    }
}

/// What the API answers for an entity written with `input`: references as `{slug}` objects.
fn expected(input: &Value) -> Value {
    let mut answer = Map::new();
    for (field, value) in input.as_object().expect("an input object") {
        let value = if REFERENCES.contains(&field.as_str()) {
            json!({"slug": value})
        } else if REFERENCE_LISTS.contains(&field.as_str()) {
            Value::Array(list(value).iter().map(|slug| json!({"slug": slug})).collect())
        } else if field == "roles" {
            Value::Array(list(value).iter().map(expected).collect())
        } else if field == "mentor" {
            expected(value)
        } else if field == "organisation" {
            json!({"slug": value})
        } else if field == "location" {
            with(value.clone(), json!({"source": "OWN"}))
        } else {
            value.clone()
        };
        answer.insert(field.clone(), value);
    }
    Value::Object(answer)
}

fn list(value: &Value) -> &Vec<Value> {
    value.as_array().expect("a list")
}

/// The selection set that reads back every field of an expected answer.
fn selection(answer: &Value) -> String {
    let fields = answer.as_object().expect("an object");
    let mut parts = Vec::new();
    for (field, value) in fields {
        let nested = match value {
            Value::Object(_) => Some(value.clone()),
            Value::Array(items) if items.first().is_some_and(Value::is_object) => Some(merged(items)),
            _ => None,
        };
        match nested {
            Some(object) => parts.push(format!("{field} {{ {} }}", selection(&object))),
            None => parts.push(field.clone()),
        }
    }
    parts.join(" ")
}

/// One object holding every field of any of `items`.
fn merged(items: &[Value]) -> Value {
    let mut all = Map::new();
    for item in items {
        for (field, value) in item.as_object().expect("a list of objects") {
            all.entry(field.clone()).or_insert_with(|| value.clone());
        }
    }
    Value::Object(all)
}

/// Compares an answer with what was written, field by field, so that a failure names the field.
fn assert_fields(subject: &Subject, stage: &str, actual: &Value, expected: &Value) {
    for (field, value) in expected.as_object().expect("an object") {
        assert_eq!(&actual[field], value, "{}.{field} {stage}", subject.object);
    }
}

/// Reads one subject by `id` or by `slug` and checks every field it was last written with.
async fn assert_reads(app: &TestApp, subject: &Subject, stage: &str, by: (&str, &str), written: &Value) -> Value {
    let want = expected(written);
    let (argument, value) = by;
    let kind = if argument == "id" { "ID" } else { "String" };
    let query = format!(
        "query($value: {kind}) {{ {lookup}({argument}: $value) {{ {fields} createdAt updatedAt }} }}",
        lookup = subject.lookup,
        fields = selection(&want),
    );
    let data = app.data(&query, json!({"value": value})).await;
    let found = &data[subject.lookup];
    assert!(found.is_object(), "no {} {value} {stage}: {data}", subject.object);
    assert_fields(subject, stage, found, &want);
    found.clone()
}

/// Creates a subject with every field set; checks the mutation's answer and a read by id.
async fn create(app: &TestApp, subject: &Subject) -> String {
    let want = expected(&subject.create);
    let query = format!(
        "mutation($input: Create{object}Input!) {{ create{object}(input: $input) {{ id {fields} }} }}",
        object = subject.object,
        fields = selection(&want),
    );
    let data = app.mutate_ok(&query, json!({"input": subject.create})).await;
    let created = &data[format!("create{}", subject.object)];
    assert_fields(subject, "as createX answers it", created, &want);
    let id = created["id"].as_str().expect("an id").to_string();
    assert_reads(app, subject, "read after it was created", ("id", &id), &subject.create).await;
    id
}

/// Updates every field of a subject; checks the mutation's answer, a read by id, and the timestamps.
async fn update(app: &TestApp, subject: &Subject, id: &str) {
    // Its references may carry the new slugs of kinds updated before it: only its times are read.
    let times = format!("query($id: ID) {{ {}(id: $id) {{ createdAt updatedAt }} }}", subject.lookup);
    let before = app.data(&times, json!({"id": id})).await[subject.lookup].clone();
    let want = expected(&subject.update);
    let query = format!(
        "mutation($id: ID!, $input: Update{object}Input!) {{ update{object}(id: $id, input: $input) {{ {fields} }} }}",
        object = subject.object,
        fields = selection(&want),
    );
    let data = app.mutate_ok(&query, json!({"id": id, "input": subject.update})).await;
    assert_fields(subject, "as updateX answers it", &data[format!("update{}", subject.object)], &want);
    let after = assert_reads(app, subject, "read after the update", ("id", id), &subject.update).await;
    assert_eq!(after["createdAt"], before["createdAt"], "{}.createdAt is kept by an update", subject.object);
    let time = |answer: &Value, field: &str| {
        let text = answer[field].as_str().expect("a timestamp");
        chrono::DateTime::parse_from_rfc3339(text).expect("an RFC 3339 timestamp")
    };
    assert!(time(&after, "updatedAt") >= time(&before, "updatedAt"), "{}.updatedAt: {after}", subject.object);
}

#[tokio::test]
async fn every_field_of_every_kind_survives_create_update_export_and_import() {
    // Arrange
    let app = spawn_app().await;
    create_references(&app).await;
    let subjects = subjects();

    // Act and assert: create, then update, each kind in the order its references need.
    let mut ids = Vec::new();
    for subject in &subjects {
        ids.push(create(&app, subject).await);
    }
    for (subject, id) in subjects.iter().zip(&ids) {
        update(&app, subject, id).await;
    }
    for subject in &subjects {
        let slug = subject.update["slug"].as_str().expect("a slug");
        assert_reads(&app, subject, "read by slug once every kind was updated", ("slug", slug), &subject.update).await;
    }

    // Export with the CLI, import into a fresh server, and read everything back there.
    let export = app.cli(&["export"]).await;
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let document: Value = serde_json::from_slice(&export.stdout).expect("the export is JSON");
    let fresh = spawn_app().await;
    let import = fresh.import(&document).await;
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    for subject in &subjects {
        let slug = subject.update["slug"].as_str().expect("a slug");
        assert_reads(&fresh, subject, "read after export and import", ("slug", slug), &subject.update).await;
    }
}

/// The names of an input type's fields, or of an output type's, from the running server's schema.
async fn schema_fields(app: &TestApp, type_name: &str) -> BTreeSet<String> {
    let data = app
        .data(
            "query($name: String!) { __type(name: $name) { inputFields { name } fields { name } } }",
            json!({"name": type_name}),
        )
        .await;
    let found = &data["__type"];
    assert!(found.is_object(), "the schema has no type {type_name}");
    let fields = if found["inputFields"].is_array() { &found["inputFields"] } else { &found["fields"] };
    list(fields).iter().map(|field| field["name"].as_str().expect("a field name").to_string()).collect()
}

fn keys(object: &Value) -> BTreeSet<String> {
    object.as_object().expect("an object").keys().cloned().collect()
}

fn with_names(mut set: BTreeSet<String>, names: &[&str]) -> BTreeSet<String> {
    set.extend(names.iter().map(|name| name.to_string()));
    set
}

#[tokio::test]
async fn every_input_and_output_field_of_every_kind_is_covered_by_the_round_trip() {
    let app = spawn_app().await;
    let subjects = subjects();
    for subject in &subjects {
        let object = subject.object;
        let create = schema_fields(&app, &format!("Create{object}Input")).await;
        assert_eq!(keys(&subject.create), create, "Create{object}Input: the round trip must set every field");
        let update = schema_fields(&app, &format!("Update{object}Input")).await;
        assert_eq!(keys(&subject.update), update, "Update{object}Input: the round trip must set every field");
        let output = schema_fields(&app, object).await;
        let read = with_names(with_names(keys(&subject.update), &SERVER_SET), subject.derived);
        assert_eq!(read, output, "{object}: the round trip must read every field, or name it as derived");
    }

    for (input, object, field) in NESTED_INPUTS {
        let subject = subjects.iter().find(|subject| subject.object == object).expect("a kind");
        let items = match &subject.create[field] {
            Value::Array(items) => items.clone(),
            one => vec![one.clone()],
        };
        let set = keys(&merged(&items));
        assert_eq!(set, schema_fields(&app, input).await, "{input}: the round trip must set every field");
        let stem = input.trim_end_matches("Input");
        let renamed = OUTPUT_OF.iter().find(|(from, _)| *from == input).map(|(_, to)| *to);
        let (output, derived) = NESTED
            .iter()
            .find(|(name, _)| renamed.map_or(input.starts_with(name) || name.starts_with(stem), |to| to == *name))
            .expect("its output type");
        let read = with_names(set, derived);
        assert_eq!(read, schema_fields(&app, output).await, "{output}: the round trip must read every field");
    }
}
