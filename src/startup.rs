//! Building and running the application: database, migrations, search index, seed, HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use poem::Server;
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, TransactionTrait};

use crate::auth::Tokens;
use crate::config::{Limits, Settings, redact};
use crate::error::{AppError, Result};
use crate::http::HealthReport;
use crate::kb::{IndexSource, Kb};
use crate::search::{Following, SearchIndex};
use crate::{graphql, http};

/// Connects to the configured database, creating the data directory for SQLite.
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection> {
    std::fs::create_dir_all(&settings.data_dir).map_err(|err| {
        AppError::Internal(format!("cannot create the data directory {}: {err}", settings.data_dir.display()))
    })?;
    let mut options = ConnectOptions::new(settings.database_url());
    // Short timeouts, so that an unreachable database is answered SERVICE_UNAVAILABLE within seconds.
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(3))
        .acquire_timeout(Duration::from_secs(3))
        .max_connections(16);
    // A statement may not outlive the request that runs it.
    let statement_timeout = settings.limits.request_timeout.as_millis().to_string();
    options.map_sqlx_postgres_opts(move |pg| pg.options([("statement_timeout", statement_timeout.as_str())]));
    // Write-ahead logging: readers keep reading while a write (a large import) is under way,
    // instead of waiting on its lock and failing after the busy timeout. A page cache of up to
    // 32 MiB per connection (SQLite's default is 2 MiB): a large import revisits the pages of
    // the slug and link indexes it fills (measured in BENCHMARKS.md, "Import and rebuild").
    // The log is cut back to 64 MiB once checkpointed: a large import would leave it as large as
    // the database.
    options.map_sqlx_sqlite_opts(|sqlite| {
        sqlite
            .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .pragma("cache_size", "-32768")
            .pragma("journal_size_limit", "67108864")
    });
    Database::connect(options)
        .await
        .map_err(|err| AppError::Internal(format!("cannot connect to {}: {err}", redact(&settings.database_url()))))
}

/// Brings the schema up to date, all or nothing: a process killed meanwhile leaves no
/// half-applied migration. PostgreSQL applies each migration in a transaction of its own; on
/// SQLite, which has transactional DDL too, the pending ones are applied in one.
pub async fn migrate(db: &DatabaseConnection) -> Result<()> {
    if db.get_database_backend() == DbBackend::Sqlite {
        let transaction = db.begin().await?;
        Migrator::up(&transaction, None).await?;
        transaction.commit().await?;
    } else {
        Migrator::up(db, None).await?;
    }
    Ok(())
}

/// Connects, migrates and opens the search index: the knowledge base, ready to use.
pub async fn open(settings: &Settings) -> Result<Kb> {
    open_with_db(settings, connect(settings).await?).await
}

/// Like [`open`], on an existing connection (tests use it to watch the statements run).
pub async fn open_with_db(settings: &Settings, db: DatabaseConnection) -> Result<Kb> {
    migrate(&db).await?;
    let following = Following { replica: settings.replica(), retention: settings.replication.change_retention };
    let search =
        SearchIndex::open_following(db.clone(), &settings.index_dir(), following, IndexSource::shared()).await?;
    Ok(Kb::new(db, search))
}

/// The running server: bound, seeded, ready to serve.
pub struct Application {
    acceptor: TcpAcceptor,
    address: SocketAddr,
    metrics: Option<(TcpAcceptor, SocketAddr)>,
    health: Arc<http::Health>,
    database: String,
    kb: Kb,
    tokens: Tokens,
    generated_token: Option<String>,
    limits: Limits,
    cors_origins: Vec<String>,
    cache_max_age: Option<Duration>,
    trusted: Option<http::TrustedDocuments>,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application> {
        let kb = open(&settings).await?;
        Application::build_with(settings, kb).await
    }

    /// Serves an already opened knowledge base, loading the bundled one if it is empty.
    pub async fn build_with(settings: Settings, kb: Kb) -> Result<Application> {
        if kb.seed_if_empty().await? {
            tracing::info!("empty database: loaded the bundled knowledge base");
        }
        let trusted = match &settings.trusted_documents {
            Some(path) => Some(http::TrustedDocuments::load(path).map_err(AppError::Internal)?),
            None => None,
        };
        if let Some(trusted) = &trusted {
            tracing::info!(documents = trusted.len(), "clients without a token may run only the trusted documents");
        }
        let (acceptor, address) = bind(&settings.listen).await?;
        let metrics = match &settings.metrics_listen {
            Some(listen) => Some(bind(listen).await?),
            None => None,
        };
        let health = http::Health::start(kb.clone(), settings.replication.max_index_lag).await;
        let tokens = Tokens::parse(&settings.admin_tokens);
        let (tokens, generated_token) = if tokens.is_empty() {
            let token = format!("{:032x}", rand::random::<u128>());
            (Tokens::single(token.clone()), Some(token))
        } else {
            (tokens, None)
        };
        Ok(Application {
            acceptor,
            address,
            metrics,
            health,
            database: redact(&settings.database_url()),
            kb,
            tokens,
            generated_token,
            limits: settings.limits,
            cors_origins: settings.cors_origins,
            cache_max_age: settings.cache_max_age,
            trusted,
        })
    }

    /// The token generated because none was configured, to show once to whoever started the server.
    pub fn generated_token(&self) -> Option<&str> {
        self.generated_token.as_deref()
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The address the server listens on, as bound (the real port when 0 was asked for).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The address of the metrics listener, when there is one.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(_, address)| *address)
    }

    pub fn kb(&self) -> &Kb {
        &self.kb
    }

    /// What the server is serving, for the start-up report: the database (without password),
    /// entities by kind, and the search index.
    pub fn report(&self) -> HealthReport {
        let mut report = self.health.report();
        report.database.url = Some(self.database.clone());
        report
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let websockets = Arc::new(tokio::sync::Semaphore::new(self.limits.max_websockets));
        let schema = graphql::schema(
            self.kb.clone(),
            self.tokens.clone(),
            self.limits.max_cost,
            graphql::Shutdown(stopping.clone()),
        );
        let admission = http::Admission::new(&self.limits);
        let serving = http::Serving {
            health: self.health.clone(),
            persisted: Default::default(),
            trusted: self.trusted,
            cache_max_age: self.cache_max_age,
            kb: self.kb,
            admission,
            request_timeout: self.limits.request_timeout,
            tokens: self.tokens,
            websockets: websockets.clone(),
            websocket_send_timeout: self.limits.websocket_send_timeout,
            body_timeout: self.limits.body_timeout,
            shutdown: stopping,
        };
        let serving = Arc::new(serving);
        let idle = Arc::downgrade(&serving);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let Some(serving) = idle.upgrade() else { return };
                serving.admission.forget_idle_clients();
            }
        });
        let app = http::routes(schema, serving, self.cors_origins);
        if let Some((acceptor, _)) = self.metrics {
            let routes = http::metrics_routes(self.health);
            tokio::spawn(async move {
                if let Err(err) = Server::new_with_acceptor(acceptor).run(routes).await {
                    tracing::error!(cause = %err, "the metrics listener stopped");
                }
            });
        }
        let acceptor = http::Guarded::new(self.acceptor, http::ConnectionRules::from_limits(&self.limits));
        let served = Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(
                app,
                async move {
                    shutdown_signal().await;
                    stop.send_replace(true);
                },
                Some(Duration::from_secs(5)),
            )
            .await;
        // WebSockets outlive the HTTP server's shutdown: give them a moment to say goodbye.
        let all = u32::try_from(self.limits.max_websockets).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(Duration::from_secs(2), websockets.acquire_many(all)).await;
        served
    }
}

/// Binds a listener, returning the address actually bound (the real port when 0 was asked for).
async fn bind(listen: &str) -> Result<(TcpAcceptor, SocketAddr)> {
    let acceptor = TcpListener::bind(listen.to_string())
        .into_acceptor()
        .await
        .map_err(|err| AppError::Internal(format!("cannot listen on {listen}: {err}")))?;
    let address = acceptor
        .local_addr()
        .first()
        .and_then(|addr| addr.as_socket_addr().copied())
        .ok_or_else(|| AppError::Internal(format!("no socket address to listen on for {listen}")))?;
    Ok((acceptor, address))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait};

    use super::*;

    /// A large write under way, far past SQLite's page cache, does not keep readers waiting.
    #[tokio::test]
    async fn readers_are_served_while_a_large_write_is_under_way() {
        let dir = tempfile::tempdir().unwrap();
        let db = connect(&Settings::with_data_dir(dir.path())).await.unwrap();
        db.execute_unprepared("CREATE TABLE filler (id INTEGER PRIMARY KEY, bytes BLOB)").await.unwrap();
        let write = db.begin().await.unwrap();
        write
            .execute_unprepared(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) \
                 INSERT INTO filler SELECT i, randomblob(1000) FROM n",
            )
            .await
            .unwrap();
        let started = Instant::now();
        let read = "SELECT count(*) AS n FROM filler";
        let row = db.query_one_raw(Statement::from_string(DatabaseBackend::Sqlite, read)).await;
        let seen: i64 = row.expect("a reader is served during the write").unwrap().try_get("", "n").unwrap();
        assert_eq!(seen, 0, "the reader sees the last commit, not the write under way");
        assert!(started.elapsed() < Duration::from_secs(2), "the reader waited {:?}", started.elapsed());
        write.rollback().await.unwrap();
    }
}
