//! Typed settings: defaults < environment (`PEPITE_…`) < command-line flags.
//!
//! This is the only module that reads the environment.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use ipnet::IpNet;

/// Settings shared by every subcommand. Their `Debug` leaves the secrets out (tokens, database password).
#[derive(Args, Clone)]
pub struct Settings {
    /// Database URL (`sqlite://…` or `postgres://…`); defaults to a SQLite file in the data directory.
    #[arg(long, env = "PEPITE_DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Directory holding the SQLite database and the search index.
    #[arg(long, env = "PEPITE_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// Address the HTTP server listens on (port 0 picks a free port).
    #[arg(long, env = "PEPITE_LISTEN", default_value = "127.0.0.1:8000", global = true)]
    pub listen: String,

    /// Bearer tokens allowed to write, comma-separated; one is generated at start when none is set.
    #[arg(
        long = "admin-token",
        env = "PEPITE_ADMIN_TOKEN",
        value_delimiter = ',',
        global = true,
        hide_env_values = true
    )]
    pub admin_tokens: Vec<String>,

    /// Log filter, e.g. `info` or `pepite=debug`.
    #[arg(long, env = "PEPITE_LOG", default_value = "info", global = true)]
    pub log: String,

    /// Log lines as `text` (coloured only on a terminal) or `json` (one object a line).
    #[arg(long, env = "PEPITE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Address of a separate listener serving Prometheus metrics at `/metrics`; off when absent.
    #[arg(long, env = "PEPITE_METRICS_LISTEN", global = true)]
    pub metrics_listen: Option<String>,

    /// Origins allowed to call the API from a browser (comma-separated), or `*` for any: writes
    /// need a bearer token, never a cookie, so any origin is safe by default.
    #[arg(long, env = "PEPITE_CORS_ORIGINS", value_delimiter = ',', default_value = "*", global = true)]
    pub cors_origins: Vec<String>,

    /// How long shared caches may keep answers to GET queries (`Cache-Control: max-age`); absent: `no-cache`.
    #[arg(long, env = "PEPITE_CACHE_MAX_AGE", value_parser = humantime::parse_duration, global = true)]
    pub cache_max_age: Option<Duration>,

    /// A manifest of trusted documents (as Apollo's or Relay's persisted-query tools write it):
    /// clients without a token may then run only those, sent by hash.
    #[arg(long, env = "PEPITE_TRUSTED_DOCUMENTS", global = true)]
    pub trusted_documents: Option<PathBuf>,

    #[command(flatten)]
    pub limits: Limits,

    #[command(flatten)]
    pub replication: Replication,
}

/// How this process shares one database with other replicas.
#[derive(Args, Clone, Debug)]
pub struct Replication {
    /// This replica's name in logs and `/health`; by default one generated and kept in the data directory.
    #[arg(long, env = "PEPITE_REPLICA", global = true)]
    pub replica: Option<String>,

    /// How long the change log keeps entries: a replica (or subscriber) further behind rebuilds (or starts over).
    #[arg(long, env = "PEPITE_CHANGE_RETENTION", default_value = "7days", value_parser = humantime::parse_duration, global = true)]
    pub change_retention: Duration,

    /// `/ready` answers 503 while the oldest change this replica has not applied is older than this.
    #[arg(long, env = "PEPITE_MAX_INDEX_LAG", default_value = "30s", value_parser = humantime::parse_duration, global = true)]
    pub max_index_lag: Duration,
}

impl Default for Replication {
    fn default() -> Self {
        Replication {
            replica: None,
            change_retention: Duration::from_secs(7 * 24 * 3600),
            max_index_lag: Duration::from_secs(30),
        }
    }
}

/// How log lines are written.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// What one request, and all of them together, may take.
#[derive(Args, Clone, Debug)]
pub struct Limits {
    /// The most a GraphQL request may cost: each field costs 1, lists multiply by their page size.
    #[arg(long, env = "PEPITE_MAX_COST", default_value_t = 10_000, global = true)]
    pub max_cost: usize,

    /// How long a request may run before it is answered `TIMEOUT` (e.g. `10s`, `500ms`).
    #[arg(long, env = "PEPITE_REQUEST_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration, global = true)]
    pub request_timeout: Duration,

    /// GraphQL requests executed at once; more wait in a queue (default: twice the cores, at least 4).
    #[arg(long, env = "PEPITE_MAX_IN_FLIGHT", global = true)]
    pub max_in_flight: Option<usize>,

    /// Requests that may wait for a slot; past that, `OVERLOADED` at once.
    #[arg(long, env = "PEPITE_MAX_QUEUE", default_value_t = 64, global = true)]
    pub max_queue: usize,

    /// How long a request may wait for a slot before it is answered `OVERLOADED`.
    #[arg(long, env = "PEPITE_QUEUE_TIMEOUT", default_value = "2s", value_parser = humantime::parse_duration, global = true)]
    pub queue_timeout: Duration,

    /// Requests per minute allowed to each client (by token, else by address); off when absent.
    #[arg(long, env = "PEPITE_RATE_LIMIT", global = true)]
    pub rate_limit: Option<NonZeroU32>,

    /// Proxies whose `X-Forwarded-For` is believed (addresses or CIDR ranges, comma-separated).
    #[arg(long, env = "PEPITE_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_net, global = true)]
    pub trusted_proxies: Vec<IpNet>,

    /// WebSocket connections one process holds at once; past that, 503 `OVERLOADED`.
    #[arg(long, env = "PEPITE_MAX_WEBSOCKETS", default_value_t = 512, global = true)]
    pub max_websockets: usize,

    /// A WebSocket client that takes no message for this long is closed with code 4008.
    #[arg(long, env = "PEPITE_WEBSOCKET_SEND_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration, global = true)]
    pub websocket_send_timeout: Duration,

    /// How long a client may take to send a request's line and headers; past it, its connection is closed.
    #[arg(long, env = "PEPITE_HEADER_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration, global = true)]
    pub header_timeout: Duration,

    /// How long a client may take to send a request's body; past it, the request is answered 400.
    #[arg(long, env = "PEPITE_BODY_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration, global = true)]
    pub body_timeout: Duration,

    /// How long a keep-alive connection may wait for its next request before it is closed.
    #[arg(long, env = "PEPITE_IDLE_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration, global = true)]
    pub idle_timeout: Duration,

    /// Connections this process holds open at once; past that, new ones are closed at once.
    #[arg(long, env = "PEPITE_MAX_CONNECTIONS", default_value_t = 8192, global = true)]
    pub max_connections: usize,

    /// Connections one client address holds open at once; past that, its new ones are closed at once.
    #[arg(long, env = "PEPITE_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 256, global = true)]
    pub max_connections_per_address: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_cost: 10_000,
            request_timeout: Duration::from_secs(10),
            max_in_flight: None,
            max_queue: 64,
            queue_timeout: Duration::from_secs(2),
            rate_limit: None,
            trusted_proxies: Vec::new(),
            max_websockets: 512,
            websocket_send_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_connections: 8192,
            max_connections_per_address: 256,
        }
    }
}

impl Limits {
    /// GraphQL requests executed at once.
    pub fn in_flight(&self) -> usize {
        self.max_in_flight.unwrap_or_else(|| {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            (2 * cores).max(4)
        })
    }
}

/// An address (a single host) or a CIDR range.
fn parse_net(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is neither an IP address nor a CIDR range"))
}

impl Settings {
    /// Settings for a given data directory, everything else at its default.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Settings {
            database_url: None,
            data_dir: data_dir.into(),
            listen: "127.0.0.1:0".into(),
            admin_tokens: Vec::new(),
            log: "info".into(),
            log_format: LogFormat::Text,
            metrics_listen: None,
            cors_origins: vec!["*".into()],
            cache_max_age: None,
            trusted_documents: None,
            limits: Limits::default(),
            replication: Replication::default(),
        }
    }

    /// The database URL, defaulting to `pepite.db` in the data directory (created when missing).
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("pepite.db").display()),
        }
    }

    /// This replica's name: the configured one, else one generated once and kept in the data directory.
    pub fn replica(&self) -> String {
        if let Some(name) = &self.replication.replica {
            return name.clone();
        }
        let file = self.data_dir.join("replica");
        if let Ok(name) = std::fs::read_to_string(&file) {
            let name = name.trim();
            if !name.is_empty() {
                return name.to_string();
            }
        }
        let name = format!("{:08x}", rand::random::<u32>());
        let _ = std::fs::create_dir_all(&self.data_dir);
        let _ = std::fs::write(&file, &name);
        name
    }

    /// Where the search index lives.
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &self.database_url.as_deref().map(redact))
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("admin_tokens", &format_args!("[{} redacted]", self.admin_tokens.len()))
            .field("log", &self.log)
            .field("log_format", &self.log_format)
            .field("metrics_listen", &self.metrics_listen)
            .field("cors_origins", &self.cors_origins)
            .field("cache_max_age", &self.cache_max_age)
            .field("trusted_documents", &self.trusted_documents)
            .field("limits", &self.limits)
            .field("replication", &self.replication)
            .finish()
    }
}

/// A database URL without its user and password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_holds_neither_tokens_nor_the_database_password() {
        let mut settings = Settings::with_data_dir("/tmp/pepite");
        settings.admin_tokens = vec!["crm:s3cret-token".into(), "other-secret".into()];
        settings.database_url = Some("postgres://pepite:hunter2@db.example:5432/kb?sslmode=require".into());
        let shown = format!("{settings:?}");
        assert!(!shown.contains("s3cret") && !shown.contains("other-secret"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://…@db.example:5432/kb?sslmode=require"), "{shown}");
        assert!(shown.contains("[2 redacted]"), "{shown}");
    }

    #[test]
    fn urls_without_credentials_are_shown_as_they_are() {
        assert_eq!(redact("sqlite://./data/pepite.db?mode=rwc"), "sqlite://./data/pepite.db?mode=rwc");
    }
}
