//! Trusted documents: with `--trusted-documents FILE`, anonymous clients may run only the
//! operations of a manifest, sent by their hash; a client with a known bearer token may send any.
//!
//! The manifest is the one Apollo's `generate-persisted-query-manifest` writes
//! (`{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "body", …}]}`)
//! or Relay's (`{"<id>": "<query>", …}`). A request is let in or refused before its text is parsed.

use std::collections::HashMap;
use std::path::Path;

use crate::error::ErrorCode;

/// Why a request is refused.
#[derive(Debug, PartialEq)]
pub struct Refused {
    pub code: ErrorCode,
    pub message: &'static str,
}

const NOT_ALLOWED: Refused = Refused {
    code: ErrorCode::OperationNotAllowed,
    message: "this server runs only its trusted documents for clients without a token: send \
              `extensions.persistedQuery.sha256Hash` of one of them, or `Authorization: Bearer <token>` \
              (in the playground's Headers editor) to run any document",
};

const NOT_FOUND: Refused =
    Refused { code: ErrorCode::PersistedQueryNotFound, message: "no trusted document has this hash" };

const NOT_THE_SAME: Refused = Refused {
    code: ErrorCode::OperationNotAllowed,
    message: "the document sent is not the trusted document of its hash",
};

/// The operations of a manifest, by id.
#[derive(Debug, Default)]
pub struct TrustedDocuments {
    by_id: HashMap<String, String>,
}

/// Apollo's manifest.
#[derive(serde::Deserialize)]
struct ApolloManifest {
    format: String,
    version: u32,
    operations: Vec<ApolloOperation>,
}

#[derive(serde::Deserialize)]
struct ApolloOperation {
    id: String,
    body: String,
}

impl TrustedDocuments {
    /// Reads a manifest file.
    pub fn load(path: &Path) -> Result<TrustedDocuments, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("cannot read the trusted documents {}: {err}", path.display()))?;
        TrustedDocuments::parse(&text).map_err(|why| format!("trusted documents {}: {why}", path.display()))
    }

    /// Reads a manifest: Apollo's format, or Relay's map of ids to queries.
    pub fn parse(text: &str) -> Result<TrustedDocuments, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|err| format!("not JSON: {err}"))?;
        let pairs: Vec<(String, String)> = if value.get("format").is_some() {
            let manifest: ApolloManifest =
                serde_json::from_value(value).map_err(|err| format!("not an Apollo manifest: {err}"))?;
            if manifest.format != "apollo-persisted-query-manifest" || manifest.version != 1 {
                return Err(format!(
                    "format {:?} version {} is not apollo-persisted-query-manifest version 1",
                    manifest.format, manifest.version
                ));
            }
            manifest.operations.into_iter().map(|op| (op.id, op.body)).collect()
        } else {
            let map: HashMap<String, String> = serde_json::from_value(value)
                .map_err(|err| format!("neither an Apollo manifest nor a map of ids to queries: {err}"))?;
            map.into_iter().collect()
        };
        let mut by_id = HashMap::with_capacity(pairs.len());
        for (id, body) in pairs {
            if id.trim().is_empty() || body.trim().is_empty() {
                return Err("an operation has an empty id or body".into());
            }
            if let Some(other) = by_id.insert(id.to_ascii_lowercase(), body.clone())
                && other != body
            {
                return Err(format!("the id {id} is given to two different documents"));
            }
        }
        Ok(TrustedDocuments { by_id })
    }

    /// How many documents the manifest holds.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Lets a request in, filling its query from its hash when the manifest holds it. A token
    /// holder may send anything (other hashes go on to the automatic persisted queries); anyone
    /// else only a hash of the manifest, with no query or the very same one.
    pub fn admit(&self, request: &mut async_graphql::Request, token_holder: bool) -> Result<(), Refused> {
        let hash = request
            .extensions
            .get("persistedQuery")
            .and_then(|extension| serde_json::to_value(extension).ok())
            .and_then(|value| value["sha256Hash"].as_str().map(str::to_ascii_lowercase));
        let trusted = hash.as_deref().and_then(|hash| self.by_id.get(hash));
        match (trusted, token_holder) {
            (Some(body), _) if request.query.is_empty() => {
                request.query = body.clone();
                // Served from the manifest: the automatic persisted queries have nothing to do.
                request.extensions.remove("persistedQuery");
                Ok(())
            }
            (Some(body), _) if *body == request.query => {
                request.extensions.remove("persistedQuery");
                Ok(())
            }
            (_, true) => Ok(()),
            (Some(_), false) => Err(NOT_THE_SAME),
            (None, false) if hash.is_some() => Err(NOT_FOUND),
            (None, false) => Err(NOT_ALLOWED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str, hash: Option<&str>) -> async_graphql::Request {
        let mut text = serde_json::json!({ "query": query });
        if let Some(hash) = hash {
            text["extensions"] = serde_json::json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
        }
        serde_json::from_value(text).unwrap()
    }

    const APOLLO: &str = r#"{"format": "apollo-persisted-query-manifest", "version": 1,
        "operations": [{"id": "ab12", "name": "Q", "type": "query", "body": "query Q { __typename }"}]}"#;

    #[test]
    fn anonymous_clients_run_only_the_manifest_by_hash() {
        let trusted = TrustedDocuments::parse(APOLLO).unwrap();
        let mut by_hash = request("", Some("AB12"));
        assert_eq!(trusted.admit(&mut by_hash, false), Ok(()));
        assert_eq!(by_hash.query, "query Q { __typename }");
        assert!(by_hash.extensions.get("persistedQuery").is_none());
        assert_eq!(trusted.admit(&mut request("query Q { __typename }", Some("ab12")), false), Ok(()));
        assert_eq!(trusted.admit(&mut request("{ companies { totalCount } }", Some("ab12")), false), Err(NOT_THE_SAME));
        assert_eq!(trusted.admit(&mut request("", Some("ffff")), false), Err(NOT_FOUND));
        assert_eq!(trusted.admit(&mut request("query Q { __typename }", None), false), Err(NOT_ALLOWED));
    }

    #[test]
    fn token_holders_send_anything_and_get_the_manifest_too() {
        let trusted = TrustedDocuments::parse(APOLLO).unwrap();
        assert_eq!(trusted.admit(&mut request("{ companies { totalCount } }", None), true), Ok(()));
        let mut unknown = request("", Some("ffff"));
        assert_eq!(trusted.admit(&mut unknown, true), Ok(()));
        assert!(unknown.extensions.get("persistedQuery").is_some(), "left to the automatic persisted queries");
        let mut by_hash = request("", Some("ab12"));
        assert_eq!(trusted.admit(&mut by_hash, true), Ok(()));
        assert_eq!(by_hash.query, "query Q { __typename }");
    }

    #[test]
    fn relay_maps_read_and_bad_manifests_say_why() {
        let relay = TrustedDocuments::parse(r#"{"cd34": "query R { __typename }"}"#).unwrap();
        assert_eq!(relay.len(), 1);
        let wrong = r#"{"format": "apollo-persisted-query-manifest", "version": 2, "operations": []}"#;
        assert!(TrustedDocuments::parse(wrong).unwrap_err().contains("version 2"));
        assert!(TrustedDocuments::parse("[1]").unwrap_err().contains("neither"));
        assert!(TrustedDocuments::parse(r#"{"x": ""}"#).unwrap_err().contains("empty"));
        let twice = r#"{"ab": "query A { __typename }", "AB": "query B { __typename }"}"#;
        assert!(TrustedDocuments::parse(twice).unwrap_err().contains("two different"));
    }
}
