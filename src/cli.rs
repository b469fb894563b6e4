//! The command line: `serve` (the default), `migrate`, `import`, `export`, `schema`, `reindex`, `generate`, `backup`, `restore`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Settings;

/// Pépite: who does what in an innovation park, served over GraphQL.
#[derive(Parser, Debug)]
#[command(name = "pepite", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the GraphQL API and its playground (the default).
    Serve,
    /// Run the database migrations and exit.
    Migrate,
    /// Import (upsert by slug) a knowledge-base document, a spreadsheet (CSV, XLSX, ODS) or NDJSON; `-` reads a JSON document from standard input.
    Import {
        /// The file to import, or `-` for a JSON document on standard input.
        file: PathBuf,
        /// The file's format; by default its extension's (.json, .csv, .xlsx, .ods, .xls, .ndjson).
        #[arg(long, value_enum)]
        format: Option<ImportFormat>,
        /// The kind of the rows of a CSV or NDJSON file, or of a workbook's one sheet, when its name does not say.
        #[arg(long, value_enum)]
        kind: Option<Kind>,
        /// A TOML file mapping a spreadsheet's columns to fields (see docs/document.md).
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Also delete the entities the document does not hold: the knowledge base becomes equal to it.
        #[arg(long)]
        prune: bool,
        /// With --prune: clear the document's references to entities it does not hold, instead of refusing them.
        #[arg(long, requires = "prune")]
        force: bool,
        /// Say what would change, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write the knowledge base: the whole of it as a JSON document, or one kind as CSV, or a workbook (XLSX).
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
        format: ExportFormat,
        /// The kind to write as CSV (required), or the one sheet of a workbook (every kind by default).
        #[arg(long, value_enum)]
        kind: Option<Kind>,
        /// Where to write; standard output by default (required for XLSX).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Print the GraphQL schema (SDL).
    Schema {
        /// Print the Apollo Federation v2 subgraph SDL (with `@key` and `@link`), for composing a supergraph.
        #[arg(long)]
        federation: bool,
    },
    /// Rebuild the search index from the database.
    Reindex,
    /// Copy the SQLite database, consistently, while servers run; the copy's index is rebuilt at start.
    Backup {
        /// A new directory to write the backup to (it can serve as a data directory).
        dir: PathBuf,
    },
    /// Put a backup in the data directory, its search index to be rebuilt; no server may run on it.
    Restore {
        /// The directory written by `pepite backup`.
        dir: PathBuf,
        /// Overwrite the data directory's database.
        #[arg(long)]
        replace: bool,
    },
    /// Write a deterministic synthetic knowledge base to standard output.
    Generate {
        /// How many companies to generate.
        #[arg(long, default_value_t = 10_000)]
        companies: usize,
        /// The random seed; the same seed gives the same document.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

/// The formats `import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    Json,
    Csv,
    /// XLSX, ODS or XLS: one sheet per kind, named after it.
    Xlsx,
    Ods,
    Ndjson,
}

/// The formats `export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
    Xlsx,
}

/// A kind of entity, as the command line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Company,
    Technology,
    Programme,
    Organisation,
    Person,
    Event,
}

impl From<Kind> for entity::EntityKind {
    fn from(kind: Kind) -> entity::EntityKind {
        match kind {
            Kind::Company => entity::EntityKind::Company,
            Kind::Technology => entity::EntityKind::Technology,
            Kind::Programme => entity::EntityKind::Programme,
            Kind::Organisation => entity::EntityKind::Organisation,
            Kind::Person => entity::EntityKind::Person,
            Kind::Event => entity::EntityKind::Event,
        }
    }
}
