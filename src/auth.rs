//! Bearer tokens that may write, each with a name that logs and audit lines show (never the secret).

use subtle::ConstantTimeEq;

/// The tokens allowed to write.
#[derive(Clone, Debug, Default)]
pub struct Tokens(Vec<NamedToken>);

#[derive(Clone)]
struct NamedToken {
    name: String,
    secret: String,
}

impl std::fmt::Debug for NamedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:…", self.name)
    }
}

impl Tokens {
    /// Reads `name:secret` entries; a bare secret is named `admin`. Empty entries are skipped.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Tokens {
        let tokens = entries
            .iter()
            .map(|entry| entry.as_ref().trim())
            .filter(|entry| !entry.is_empty())
            .map(|entry| match entry.split_once(':') {
                Some((name, secret)) if is_name(name) && !secret.is_empty() => {
                    NamedToken { name: name.to_string(), secret: secret.to_string() }
                }
                _ => NamedToken { name: "admin".into(), secret: entry.to_string() },
            })
            .collect();
        Tokens(tokens)
    }

    /// One token named `admin`.
    pub fn single(secret: String) -> Tokens {
        Tokens(vec![NamedToken { name: "admin".into(), secret }])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The name of the token `secret`, compared with every token in constant time, so that timing
    /// tells nothing about them.
    pub fn identify(&self, secret: &str) -> Option<&str> {
        let mut found = None;
        for token in &self.0 {
            if bool::from(token.secret.as_bytes().ct_eq(secret.as_bytes())) {
                found = Some(token.name.as_str());
            }
        }
        found
    }
}

fn is_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_and_bare_tokens() {
        let tokens = Tokens::parse(&["crm:s3cret", "plain-secret", " ", "bad name:x"]);
        assert_eq!(tokens.identify("s3cret"), Some("crm"));
        assert_eq!(tokens.identify("plain-secret"), Some("admin"));
        assert_eq!(tokens.identify("bad name:x"), Some("admin"), "not a name: the whole entry is the secret");
        assert_eq!(tokens.identify("crm:s3cret"), None);
        assert_eq!(tokens.identify(""), None);
        assert!(!format!("{tokens:?}").contains("s3cret"), "secrets never reach a log");
    }
}
