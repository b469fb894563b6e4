//! The `pepite` command: parses the command line, sets up logs, and runs one command.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use entity::EntityKind;
use indicatif::{ProgressBar, ProgressStyle};
use pepite::cli::{Cli, Command, ExportFormat, ImportFormat};
use pepite::config::Settings;
use pepite::error::AppError;
use pepite::kb::tables::{self, Format, Input, Mapping, Tables};
use sea_orm::DatabaseConnection;

use pepite::http::DatabaseStatus;
use pepite::kb::{self, Document};
use pepite::search::{Following, SearchIndex};
use pepite::startup::{self, Application};
use pepite::{graphql, telemetry};

/// Indexing and searching allocate many small, short-lived strings and buffers, on several
/// threads at once: mimalloc serves them faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(&cli.settings.log, cli.settings.log_format);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(AppError::Invalid(problems)) => {
            eprintln!("error: {} problem(s):", problems.len());
            for problem in problems {
                eprintln!("  {problem}");
            }
            ExitCode::from(2)
        }
        Err(err @ (AppError::Internal(_) | AppError::Unavailable(_))) => {
            eprintln!("error: {}", err.cause());
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("error: {}", err.message());
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), AppError> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => migrate(&settings).await,
        Command::Import { file, format, kind, mapping, prune, force, dry_run } => {
            let source = Source { file, format, kind: kind.map(Into::into), mapping };
            import(&settings, source, kb::ImportOptions { prune, force, dry_run }).await
        }
        Command::Export { format, kind, output } => export(&settings, format, kind.map(Into::into), output).await,
        Command::Schema { federation } => {
            print!("{}", if federation { graphql::federation_sdl() } else { graphql::sdl() });
            Ok(())
        }
        Command::Generate { companies, seed } => generate(companies, seed),
        Command::Reindex => reindex(&settings).await,
        Command::Backup { dir } => backup(&settings, &dir).await,
        Command::Restore { dir, replace } => restore(&settings, &dir, replace),
    }
}

/// Serves until stopped, after saying where and with what.
async fn serve(settings: Settings) -> Result<(), AppError> {
    let app = Application::build(settings).await?;
    println!("Pépite is serving its GraphQL API and playground at http://{}/graphql", app.address());
    if let Some(metrics) = app.metrics_address() {
        println!("Prometheus metrics at http://{metrics}/metrics");
    }
    let report = app.report();
    println!(
        "Database {} ({}); entities {}; search index {}",
        report.database.url.as_deref().unwrap_or_default(),
        if report.database.status == DatabaseStatus::Up { "up" } else { "unavailable" },
        serde_json::to_string(&report.entities).unwrap_or_default(),
        serde_json::to_string(&report.index).unwrap_or_default()
    );
    if let Some(token) = app.generated_token() {
        println!(
            "No PEPITE_ADMIN_TOKEN is set: mutations take this token until the server stops.\n\
             In the playground's headers: {{\"Authorization\": \"Bearer {token}\"}}"
        );
    }
    app.run_until_stopped().await.map_err(|err| AppError::Internal(format!("server: {err}")))
}

async fn migrate(settings: &Settings) -> Result<(), AppError> {
    let db = startup::connect(settings).await?;
    startup::migrate(&db).await?;
    eprintln!("migrations applied");
    Ok(())
}

/// What `import` reads.
struct Source {
    file: PathBuf,
    format: Option<ImportFormat>,
    kind: Option<EntityKind>,
    mapping: Option<PathBuf>,
}

impl Source {
    /// The table format to read the file in, or `None` for a JSON document.
    fn table_format(&self) -> Option<Format> {
        match self.format {
            Some(ImportFormat::Json) => None,
            Some(ImportFormat::Csv) => Some(Format::Csv),
            Some(ImportFormat::Xlsx | ImportFormat::Ods) => Some(Format::Workbook),
            Some(ImportFormat::Ndjson) => Some(Format::Ndjson),
            None => Format::of(&self.file),
        }
    }
}

/// Reads the document to import: a JSON document, or a spreadsheet's or NDJSON file's rows.
async fn read_source(db: &DatabaseConnection, source: Source) -> Result<Tables, AppError> {
    let Some(format) = source.table_format() else {
        return Ok(Tables::from(Document::parse(&read_document(&source.file)?)?));
    };
    let mapping = match &source.mapping {
        Some(path) => Mapping::read(path)?,
        None => Mapping::default(),
    };
    let kind = source.kind.or_else(|| mapping.kind());
    tables::read(db, Input { path: source.file, format, kind, mapping }).await
}

/// Imports a file (or a JSON document on standard input), then waits for running replicas to index it.
async fn import(settings: &Settings, source: Source, options: kb::ImportOptions) -> Result<(), AppError> {
    let started = std::time::Instant::now();
    let db = startup::connect(settings).await?;
    startup::migrate(&db).await?;
    let table = source.table_format().is_some();
    let tables = read_source(&db, source).await?;
    let document = &tables.document;
    if table && options.prune {
        return Err(AppError::invalid(
            "prune",
            "--prune makes the knowledge base equal to a whole JSON document; a spreadsheet or NDJSON file \
             is imported without it",
        ));
    }
    let progress = progress_bar(document.len() as u64);
    // The data directory's index is updated unless a running server owns it; then, on either
    // path, the command waits for every running replica to apply the import.
    let following = Following { replica: settings.replica(), retention: settings.replication.change_retention };
    let index_dir = settings.index_dir();
    let own_index = SearchIndex::open_following(db.clone(), &index_dir, following, kb::IndexSource::shared());
    let own_index = match own_index.await {
        Ok(search) => Some(search),
        Err(AppError::Conflict { .. }) => None,
        Err(err) => return Err(err),
    };
    let written = kb::write_document(&db, document, options, &progress, own_index.as_ref()).await;
    let summary = written.map_err(|err| match err {
        AppError::Invalid(problems) => AppError::Invalid(tables.locate(problems)),
        other => other,
    })?;
    if !summary.dry_run {
        kb::audit_import("cli", &summary);
    }
    // The command's own index is done when everything imported is searchable, however long
    // that takes: the process must not exit half-way through it.
    if let Some(search) = own_index {
        search.sync().await?;
    }
    if !pepite::changelog::wait_until_applied(&db, Duration::from_secs(60)).await? {
        eprintln!("warning: written, but not every running server has indexed it yet");
    }
    progress.0.finish_and_clear();
    let verdict = if summary.dry_run { "dry run, nothing written" } else { "imported" };
    eprint!("{summary}");
    eprintln!("{verdict} in {:.2} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn read_document(file: &Path) -> Result<String, AppError> {
    if file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|err| AppError::Internal(format!("reading standard input: {err}")))?;
        return Ok(text);
    }
    std::fs::read_to_string(file).map_err(|err| AppError::invalid("", format!("cannot read {}: {err}", file.display())))
}

/// An import's progress, drawn on a terminal; nothing otherwise.
struct Bar(ProgressBar);

impl kb::Progress for Bar {
    fn set_length(&self, total: u64) {
        self.0.set_length(total);
    }
    fn inc(&self, n: u64) {
        self.0.inc(n);
    }
}

fn progress_bar(len: u64) -> Bar {
    if !std::io::stderr().is_terminal() {
        return Bar(ProgressBar::hidden());
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{spinner} importing [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Bar(bar)
}

async fn export(
    settings: &Settings,
    format: ExportFormat,
    kind: Option<EntityKind>,
    output: Option<PathBuf>,
) -> Result<(), AppError> {
    let db = startup::connect(settings).await?;
    startup::migrate(&db).await?;
    let document = kb::export::export(&db).await?;
    let failed = |err: std::io::Error| AppError::Internal(format!("writing the export: {err}"));
    let mut out: Box<dyn Write> = match (&output, format) {
        (_, ExportFormat::Xlsx) => Box::new(std::io::sink()),
        (Some(path), _) => Box::new(std::io::BufWriter::new(std::fs::File::create(path).map_err(failed)?)),
        (None, _) => Box::new(std::io::stdout().lock()),
    };
    match format {
        ExportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &document)
                .map_err(|err| AppError::Internal(format!("writing the document: {err}")))?;
            writeln!(out).map_err(failed)?;
        }
        ExportFormat::Csv => {
            let kind = kind.ok_or_else(|| {
                AppError::invalid("kind", "a CSV export holds one kind: say which, e.g. --kind company")
            })?;
            tables::export_csv(&document, kind, &mut out)?;
        }
        ExportFormat::Xlsx => {
            let path = output.ok_or_else(|| {
                AppError::invalid("output", "an XLSX export is a file: say where, e.g. --output parc.xlsx")
            })?;
            let kinds: Vec<EntityKind> = kind.map_or_else(|| EntityKind::ALL.to_vec(), |kind| vec![kind]);
            tables::export_xlsx(&document, &kinds, &path)?;
        }
    }
    out.flush().map_err(failed)
}

fn generate(companies: usize, seed: u64) -> Result<(), AppError> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    pepite::generate::write(&mut out, companies, seed)
        .and_then(|()| out.flush())
        .map_err(|err| AppError::Internal(format!("writing the document: {err}")))
}

async fn reindex(settings: &Settings) -> Result<(), AppError> {
    let kb = startup::open(settings).await?;
    kb.index().rebuild().await?;
    eprintln!("search index rebuilt");
    Ok(())
}

/// Writes a consistent copy of the database while servers run.
async fn backup(settings: &Settings, dir: &Path) -> Result<(), AppError> {
    let db = startup::connect(settings).await?;
    let file = pepite::db::backup(&db, dir).await?;
    eprintln!("backed up to {} (the search index is rebuilt when a server starts on it)", file.display());
    Ok(())
}

/// Puts a backup in place of the data directory's database.
fn restore(settings: &Settings, dir: &Path, replace: bool) -> Result<(), AppError> {
    if settings.database_url.is_some() {
        return Err(AppError::invalid(
            "",
            "restore writes the data directory's pepite.db: leave --database-url out (PostgreSQL: pg_restore)",
        ));
    }
    pepite::db::restore(dir, &settings.data_dir, &settings.index_dir(), replace)?;
    eprintln!("restored into {} (the search index is rebuilt at the next start)", settings.data_dir.display());
    Ok(())
}
