//! Automatic persisted queries (Apollo's protocol): a client sends the SHA-256 of its query; the
//! server answers from a cache of queries it has seen, or asks for the whole query once.
//!
//! A query is stored only after it passed the request limits and validation, in a cache bounded
//! in bytes, so that nobody can fill memory with documents that never run.

use std::sync::Mutex;

use lru::LruCache;
use sha2::{Digest, Sha256};

/// Bytes of query text the cache keeps at most.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

/// Why a persisted-query request cannot be served.
#[derive(Debug, PartialEq)]
pub enum Miss {
    /// The hash is not known: the client should send the query with it.
    NotFound,
    /// The extension is malformed, or its hash is not the query's.
    Invalid(&'static str),
}

/// What a request asks of the cache.
#[derive(Debug, PartialEq)]
pub enum Lookup {
    /// No persisted-query extension.
    None,
    /// A query and its hash: store it once it has passed validation.
    Register(String),
    /// A hash found in the cache: this is its query.
    Found,
}

/// The queries seen, by hash, least recently used first out.
pub struct PersistedQueries {
    cache: Mutex<(LruCache<String, String>, usize)>,
}

impl Default for PersistedQueries {
    fn default() -> Self {
        PersistedQueries { cache: Mutex::new((LruCache::unbounded(), 0)) }
    }
}

/// The hex SHA-256 of a text.
pub fn sha256(text: &[u8]) -> String {
    Sha256::digest(text).iter().map(|b| format!("{b:02x}")).collect()
}

impl PersistedQueries {
    /// Reads the `persistedQuery` extension of a request and fills its query from the cache.
    pub fn resolve(&self, request: &mut async_graphql::Request) -> Result<Lookup, Miss> {
        let Some(extension) = request.extensions.get("persistedQuery") else { return Ok(Lookup::None) };
        let value = serde_json::to_value(extension).map_err(|_| Miss::Invalid("unreadable persistedQuery"))?;
        if value["version"] != 1 {
            return Err(Miss::Invalid("persistedQuery version 1 is the only one supported"));
        }
        let Some(hash) = value["sha256Hash"].as_str().map(str::to_ascii_lowercase) else {
            return Err(Miss::Invalid("persistedQuery needs a sha256Hash"));
        };
        if !request.query.is_empty() {
            if sha256(request.query.as_bytes()) != hash {
                return Err(Miss::Invalid("provided sha does not match query"));
            }
            return Ok(Lookup::Register(hash));
        }
        let mut cache = self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match cache.0.get(&hash) {
            Some(query) => {
                request.query = query.clone();
                Ok(Lookup::Found)
            }
            None => Err(Miss::NotFound),
        }
    }

    /// Stores a query that passed validation, evicting the least recently used past [`MAX_BYTES`].
    pub fn register(&self, hash: String, query: &str) {
        if query.len() > MAX_BYTES {
            return;
        }
        let mut guard = self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (cache, bytes) = &mut *guard;
        if let Some(old) = cache.put(hash, query.to_string()) {
            *bytes -= old.len();
        }
        *bytes += query.len();
        while *bytes > MAX_BYTES {
            let Some((_, evicted)) = cache.pop_lru() else { break };
            *bytes -= evicted.len();
        }
    }

    /// Bytes of query text held.
    pub fn bytes(&self) -> usize {
        self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_extension(query: &str, hash: &str) -> async_graphql::Request {
        let text = serde_json::json!({
            "query": query,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash}}
        });
        serde_json::from_value(text).unwrap()
    }

    #[test]
    fn unknown_hashes_miss_registered_ones_are_found_and_bytes_are_bounded() {
        let cache = PersistedQueries::default();
        let query = "{ __typename }";
        let hash = sha256(query.as_bytes());
        assert_eq!(cache.resolve(&mut with_extension("", &hash)), Err(Miss::NotFound));
        assert_eq!(
            cache.resolve(&mut with_extension(query, "00")),
            Err(Miss::Invalid("provided sha does not match query"))
        );
        assert_eq!(cache.resolve(&mut with_extension(query, &hash)), Ok(Lookup::Register(hash.clone())));
        cache.register(hash.clone(), query);
        let mut again = with_extension("", &hash);
        assert_eq!(cache.resolve(&mut again), Ok(Lookup::Found));
        assert_eq!(again.query, query);

        let big = "x".repeat(MAX_BYTES / 3);
        for i in 0..5 {
            cache.register(format!("h{i}"), &big);
        }
        assert!(cache.bytes() <= MAX_BYTES);
        assert_eq!(cache.resolve(&mut with_extension("", &hash)), Err(Miss::NotFound), "the oldest went first");
    }
}
