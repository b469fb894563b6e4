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
    /// Import (upsert by slug) a knowledge-base document; `-` reads standard input.
    Import {
        /// The JSON document to import, or `-` for standard input.
        file: PathBuf,
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
    /// Write the whole knowledge base as a JSON document to standard output.
    Export,
    /// Print the GraphQL schema (SDL).
    Schema,
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
