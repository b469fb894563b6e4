//! `spawn_app`: a server of its own for each test, on a fresh database and a free port.
//!
//! Tests run on SQLite files in a temporary directory; with `PEPITE_TEST_DATABASE_URL` set to a
//! PostgreSQL server URL, each test gets a fresh database on that server instead.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use pepite::config::Settings;
use pepite::kb::Kb;
use pepite::startup::{self, Application};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

/// The token the test servers accept for mutations.
pub const ADMIN_TOKEN: &str = "test-admin-token";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub kb: Kb,
    /// SQL statements run so far, but for the search indexer's reads of the change log.
    pub statements: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
}

/// A fresh PostgreSQL database for a new test, or `None` for the default SQLite file.
pub async fn fresh_database_url() -> Option<String> {
    let base = std::env::var("PEPITE_TEST_DATABASE_URL").ok()?;
    let name = format!("pepite_test_{:016x}", rand_u64());
    let admin = Database::connect(&base).await.expect("connect to the test PostgreSQL server");
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create a test database");
    let (prefix, _) = base.rsplit_once('/').expect("a database URL with a path");
    Some(format!("{prefix}/{name}"))
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    h.finish()
}

/// Why a test that needs PostgreSQL fails when it is run without it.
pub const NEEDS_POSTGRES: &str = "this test needs PostgreSQL: set PEPITE_TEST_DATABASE_URL, e.g. \
     PEPITE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo test --test api -- --include-ignored";

/// A fresh PostgreSQL database for a test that cannot run on SQLite; panics without one.
pub async fn postgres_database_url() -> String {
    fresh_database_url().await.expect(NEEDS_POSTGRES)
}

/// Panics, saying how to install it, when a test's Node.js package (or other tool) is missing.
pub fn require_tool(path: &Path, install: &str) {
    assert!(path.exists(), "this test needs {}: {install}", path.display());
}

/// Settings for a test: its own data directory and database.
pub async fn test_settings(dir: &Path) -> Settings {
    let mut settings = Settings::with_data_dir(dir.join("data"));
    settings.database_url = fresh_database_url().await;
    settings.admin_tokens = vec![ADMIN_TOKEN.to_string(), "second-token".to_string()];
    settings
}

/// Starts a server on the bundled knowledge base.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temporary directory");
    let settings = test_settings(dir.path()).await;
    spawn_app_with(dir, settings).await
}

/// Starts a server with the given settings, counting SQL statements.
pub async fn spawn_app_with(dir: tempfile::TempDir, settings: Settings) -> TestApp {
    let mut db = startup::connect(&settings).await.expect("database");
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = statements.clone();
    db.set_metric_callback(move |info| {
        // The indexer's background look at the change log (and its position report) is not part of any request.
        if !info.statement.sql.contains(r#""change""#) && !info.statement.sql.contains(r#""meta""#) {
            counter.fetch_add(1, Ordering::SeqCst);
        }
        if std::env::var("PEPITE_TEST_SHOW_SQL").is_ok() {
            eprintln!("sql: {}", info.statement);
        }
    });
    let kb = startup::open_with_db(&settings, db).await.expect("open the knowledge base");
    let app = Application::build_with(settings.clone(), kb.clone()).await.expect("build the application");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp { address, client: reqwest::Client::new(), settings, kb, statements, _dir: dir }
}

impl TestApp {
    /// POSTs a GraphQL request without a token and returns the whole JSON response.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_as(None, query, variables).await
    }

    /// POSTs a GraphQL request with a bearer token (or none).
    pub async fn graphql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self.client.post(format!("{}/graphql", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON")
    }

    /// Sends a GraphQL request as `GET /graphql?query=…`, with a bearer token or none.
    pub async fn graphql_get(&self, token: Option<&str>, query: &str) -> Value {
        let mut request = self.client.get(format!("{}/graphql", self.address)).query(&[("query", query)]);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request").json().await.expect("JSON")
    }

    /// Runs a mutation with the admin token; returns the whole response.
    pub async fn mutate(&self, query: &str, variables: Value) -> Value {
        self.graphql_as(Some(ADMIN_TOKEN), query, variables).await
    }

    /// Runs a mutation with the admin token that must succeed, and returns its `data`.
    pub async fn mutate_ok(&self, query: &str, variables: Value) -> Value {
        let response = self.mutate(query, variables).await;
        assert!(response.get("errors").is_none(), "unexpected errors: {response:#}");
        response["data"].clone()
    }

    /// The global id of an entity, from its kind's lookup field and slug.
    pub async fn id_of(&self, field: &str, slug: &str) -> String {
        let data = self.data(&format!("{{ {field}(slug: \"{slug}\") {{ id }} }}"), json!({})).await;
        data[field]["id"].as_str().unwrap_or_else(|| panic!("no {field} {slug}")).to_string()
    }

    /// Runs a query that must succeed and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let response = self.graphql(query, variables).await;
        assert!(response.get("errors").is_none(), "unexpected errors: {response:#}");
        response["data"].clone()
    }

    /// Runs a query that must fail and returns its first error.
    pub async fn error(&self, query: &str, variables: Value) -> Value {
        let response = self.graphql(query, variables).await;
        response["errors"][0].clone()
    }

    /// Imports a document through the CLI, on this app's database and data directory.
    pub async fn import(&self, document: &Value) -> Output {
        let file = self.settings.data_dir.join(format!("import-{}.json", rand_u64()));
        std::fs::write(&file, document.to_string()).expect("write the document");
        self.cli(&["import", file.to_str().unwrap()]).await
    }

    /// Runs the `pepite` binary with this app's settings, leaving the runtime free to serve
    /// (an import waits for the running server to index it).
    pub async fn cli(&self, args: &[&str]) -> Output {
        let mut command = cli_command(&self.settings, args);
        tokio::task::spawn_blocking(move || command.output().expect("run pepite")).await.expect("join")
    }

    /// The whole knowledge base, as `pepite export` writes it.
    pub async fn export(&self) -> Value {
        let output = self.cli(&["export"]).await;
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_slice(&output.stdout).expect("export writes JSON")
    }

    pub fn statements(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }
}

/// What a command wrote on its standard error.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs the `pepite` binary with the given settings.
pub fn cli(settings: &Settings, args: &[&str]) -> Output {
    cli_command(settings, args).output().expect("run pepite")
}

pub fn cli_command(settings: &Settings, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pepite"));
    command.arg("--data-dir").arg(&settings.data_dir).arg("--log").arg("warn").args(args);
    if let Some(url) = &settings.database_url {
        command.arg("--database-url").arg(url);
    }
    command.env_remove("PEPITE_DATABASE_URL").env_remove("PEPITE_DATA_DIR");
    command
}

/// The repository's root, for files such as `schema.graphql`.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Names of the nodes of a connection's `nodes` list.
pub fn names(list: &Value) -> Vec<String> {
    list.as_array().expect("a list").iter().map(|n| n["name"].as_str().unwrap_or_default().to_string()).collect()
}

/// A `pepite serve` child process, killed when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub address: String,
    /// The metrics listener's address, when `--metrics-listen` was given.
    pub metrics: Option<String>,
    pub client: reqwest::Client,
}

impl ServerProcess {
    /// Starts `pepite serve` on a free port with these settings and extra flags, its address
    /// space capped at `memory_cap_mib` so that a runaway request fails the test, not the machine.
    pub fn start(settings: &Settings, extra: &[&str], memory_cap_mib: u64) -> ServerProcess {
        ServerProcess::start_logging(settings, extra, memory_cap_mib, std::process::Stdio::inherit())
    }

    /// Like [`ServerProcess::start`], its log (standard error) going to `log`.
    pub fn start_logging(
        settings: &Settings,
        extra: &[&str],
        memory_cap_mib: u64,
        log: impl Into<std::process::Stdio>,
    ) -> ServerProcess {
        use std::io::BufRead;
        let mut args: Vec<String> = vec![
            "-c".into(),
            format!("ulimit -v {} && exec \"$0\" \"$@\"", memory_cap_mib * 1024),
            env!("CARGO_BIN_EXE_pepite").into(),
            "--data-dir".into(),
            settings.data_dir.display().to_string(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--admin-token".into(),
            ADMIN_TOKEN.into(),
        ];
        if let Some(url) = &settings.database_url {
            args.extend(["--database-url".into(), url.clone()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push("serve".into());
        let mut child = Command::new("bash")
            .args(&args)
            .env_remove("PEPITE_DATABASE_URL")
            .env_remove("PEPITE_DATA_DIR")
            .env("MALLOC_ARENA_MAX", "2")
            .stdout(std::process::Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start pepite serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let url = |line: &str| line.find("http://").map(|at| line[at..].to_string());
        let address = loop {
            let line = lines.next().expect("pepite serve printed its address").expect("a line");
            if let Some(url) = url(&line) {
                break url.trim_end_matches("/graphql").to_string();
            }
        };
        let metrics = if extra.contains(&"--metrics-listen") {
            let line = lines.next().expect("pepite serve printed its metrics address").expect("a line");
            Some(url(&line).expect("a metrics URL").trim_end_matches("/metrics").to_string())
        } else {
            None
        };
        // Keep draining standard output so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        ServerProcess { child, address, metrics, client: reqwest::Client::new() }
    }

    /// The process's peak resident memory, in MiB (VmHWM).
    pub fn peak_rss_mib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("/proc status");
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
        line.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()).expect("a number") / 1024
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().expect("wait").is_none()
    }
}

impl ServerProcess {
    /// Stops the server with SIGTERM and waits for it to exit.
    pub fn stop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs one of the browser checks of `tests/browser` with Node.js and these arguments, and fails
/// with what it printed unless it passed. Needs Debian's Chromium and `npm ci --prefix tests/browser`.
pub async fn run_browser_check(script: &str, args: Vec<String>) {
    let browser_root = repo_root().join("tests/browser");
    require_tool(Path::new("/usr/bin/chromium"), "run `apt-get install chromium`");
    require_tool(&browser_root.join("node_modules/playwright-core"), "run `npm ci --prefix tests/browser`");
    let script = browser_root.join(script);
    let output = tokio::task::spawn_blocking(move || Command::new("node").arg(script).args(args).output())
        .await
        .unwrap()
        .expect("run node");
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
