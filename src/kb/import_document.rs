//! Importing a whole document: checked, pruned if asked, written and indexed in one transaction.

use sea_orm::DatabaseConnection;

use super::document::Document;
use super::import::{self, ImportSummary};
use super::progress::Progress;
use super::prune;
use crate::db::begin_write;
use crate::error::{AppError, Result};
use crate::search::SearchIndex;

/// How an import treats what the document does not say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Delete the entities the document does not hold, so that the knowledge base equals it.
    pub prune: bool,
    /// With `prune`, clear the document's references to entities it does not hold instead of refusing them.
    pub force: bool,
    /// Check and count everything, and write nothing.
    pub dry_run: bool,
}

/// Checks and writes a document in one transaction, recording the changes for the search index:
/// entities upserted by slug (unchanged ones left alone), and with `prune` the others deleted.
/// With `index`, the import adds its documents to that index as it writes (see [`crate::search::Bulk`]).
pub async fn write_document(
    db: &DatabaseConnection,
    document: &Document,
    options: ImportOptions,
    progress: &dyn Progress,
    index: Option<&SearchIndex>,
) -> Result<ImportSummary> {
    // Asked before the write begins: the index first applies what is in the log already.
    let mut bulk = match index {
        Some(index) if !options.dry_run => Some(index.bulk().await?),
        _ => None,
    };
    let txn = begin_write(db).await?;
    let pruned = if options.prune { prune::pruned(&*txn, document).await? } else { prune::Pruned::default() };
    let cleared;
    let document = if options.force && !pruned.is_empty() {
        cleared = prune::clear_references(document, &pruned);
        &cleared
    } else {
        document
    };
    let existing = import::existing(&*txn, document).await?;
    let mut problems = match document.validate(&existing) {
        Ok(()) => Vec::new(),
        Err(AppError::Invalid(problems)) => problems,
        Err(other) => return Err(other),
    };
    problems.extend(prune::blockers(document, &pruned));
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    progress.set_length(document.len() as u64);
    let mut summary = import::write(&txn, document, import::Mode::Upsert, progress, bulk.as_mut()).await?;
    prune::delete(&*txn, &pruned, &mut summary).await?;
    if options.dry_run {
        txn.rollback().await?;
        summary.dry_run = true;
        return Ok(summary);
    }
    if let (Some(bulk), Some(logged)) = (&mut bulk, summary.logged) {
        bulk.settle(&txn, logged).await?;
    }
    crate::deadline::check()?;
    txn.commit().await?;
    if let Some(bulk) = bulk {
        bulk.committed().await;
    }
    Ok(summary)
}

/// The audit line of a committed import: who, how many entities of each kind it wrote, which ones.
pub fn audit_import(actor: &str, summary: &ImportSummary) {
    /// Ids listed in one audit line at most; the change log holds every one.
    const LISTED: usize = 1_000;
    let mut ids = summary.touched.iter().take(LISTED).cloned().collect::<Vec<_>>().join(",");
    if summary.touched.len() > LISTED {
        ids.push_str(&format!(",… ({} more)", summary.touched.len() - LISTED));
    }
    let counts = summary.to_string().replace('\n', "; ");
    tracing::info!(target: "pepite::audit", actor, action = "import", counts = counts.trim_end_matches("; "), ids, "write");
}
