//! An import's share of the index: the documents of what it writes, added as it writes them.

use std::collections::HashMap;
use std::sync::Arc;

use entity::EntityKind;
use sea_orm::{DatabaseExecutor, DatabaseTransaction};
use tokio::sync::oneshot;

use super::PAGE;
use super::feeder::{Feeder, feed};
use super::touched::{Prefed, Range, note, with_dependents};
use crate::changelog;
use crate::error::Result;
use crate::search::source::Source;

/// An import's share of the index ([`super::SearchIndex::bulk`]): the import adds the documents of what
/// it writes, read inside its own transaction, while it goes on writing, and tantivy analyses
/// them on the other cores. They are committed to the index only after the database has
/// committed ([`Bulk::committed`]); dropped otherwise, with the `Bulk`. Meanwhile the index
/// applies nothing else, so no commit of the index can take them before the database does.
pub struct Bulk {
    source: Arc<dyn Source>,
    /// What it added so far is in `feeder.added`.
    feeder: Feeder,
    /// The log entries [`Bulk::settle`] added everything for.
    settled: Option<Range>,
    ended: Option<oneshot::Sender<Option<Prefed>>>,
}

impl Bulk {
    /// A share of the index adding through `feeder`; `ended` tells the owner how the import ended.
    pub(super) fn new(source: Arc<dyn Source>, feeder: Feeder, ended: oneshot::Sender<Option<Prefed>>) -> Bulk {
        Bulk { source, feeder, settled: None, ended: Some(ended) }
    }

    /// Adds the documents of `ids` as `db` (the import's transaction) has them: for entities the
    /// rest of the import will not change.
    pub async fn add(&mut self, txn: &DatabaseTransaction, kind: EntityKind, ids: &[i32]) -> Result<()> {
        let touched = HashMap::from([(kind, ids.iter().copied().collect())]);
        feed(&*self.source, &DatabaseExecutor::from(txn), &mut self.feeder, touched).await
    }

    /// Adds what the import's log entries `range` call for and was not added yet: the documents
    /// of the entities they name, and of those showing them. Then waits until all is added.
    pub async fn settle(&mut self, txn: &DatabaseTransaction, (after, last): Range) -> Result<()> {
        let db = DatabaseExecutor::from(txn);
        let (mut touched, mut shown) = (HashMap::new(), HashMap::new());
        let mut from = after;
        while from < last {
            let page = changelog::after(&db, from, PAGE).await?;
            let Some(position) = page.last else { break };
            note(page.changes.iter().filter(|c| c.position <= last), &mut touched, &mut shown);
            from = position;
        }
        let mut touched = with_dependents(&*self.source, &db, touched, shown).await?;
        for (kind, ids) in &mut touched {
            if let Some(added) = self.feeder.added.get(kind) {
                ids.retain(|id| !added.contains(id));
            }
        }
        let fed = feed(&*self.source, &db, &mut self.feeder, touched).await;
        self.feeder.wait().await.and(fed)?;
        self.settled = Some((after, last));
        Ok(())
    }

    /// The database committed the import: the index commits what was added for the settled
    /// entries, and applies everything else in the log (all of it, if nothing was settled).
    pub async fn committed(mut self) {
        let added = self.feeder.wait().await;
        let prefed = self
            .settled
            .filter(|_| added.is_ok())
            .map(|range| Prefed { range, added: std::mem::take(&mut self.feeder.added) });
        if let Some(ended) = self.ended.take() {
            let _ = ended.send(prefed);
        }
    }
}
