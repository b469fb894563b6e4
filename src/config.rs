//! Typed settings: defaults < environment (`PEPITE_…`) < command-line flags.
//!
//! This is the only module that reads the environment.

use std::path::PathBuf;

use clap::Args;

/// Settings shared by every subcommand.
#[derive(Args, Clone, Debug)]
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
        }
    }

    /// The database URL, defaulting to `pepite.db` in the data directory (created when missing).
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("pepite.db").display()),
        }
    }

    /// Where the search index lives.
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }
}
