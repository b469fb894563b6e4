//! Which entities a stretch of the change log touches, and which entities show them.

use std::collections::{BTreeSet, HashMap};

use entity::EntityKind;
use sea_orm::DatabaseExecutor;

use crate::changelog;
use crate::error::Result;
use crate::search::source::Source;

/// Log positions `(after, last]`.
pub(super) type Range = (i64, i64);

/// Entities by kind.
pub(super) type Entities = HashMap<EntityKind, BTreeSet<i32>>;

/// What an import added to the index: the documents of `added`, for its log entries `range`.
pub(super) struct Prefed {
    pub(super) range: Range,
    pub(super) added: Entities,
}

/// Notes which entities log entries touched, and which of them may show in other entities'
/// documents: all but those just created (whatever links to a created entity was written after
/// it, and is in the log too).
pub(super) fn note<'a>(
    changes: impl IntoIterator<Item = &'a changelog::Change>,
    touched: &mut Entities,
    shown: &mut Entities,
) {
    for c in changes {
        touched.entry(c.kind).or_default().insert(c.id);
        if c.operation != changelog::Operation::Created {
            shown.entry(c.kind).or_default().insert(c.id);
        }
    }
}

/// The changed entities (`touched`) and those showing the `shown` ones.
pub(super) async fn with_dependents(
    source: &dyn Source,
    db: &DatabaseExecutor<'_>,
    mut touched: Entities,
    shown: Entities,
) -> Result<Entities> {
    for (kind, ids) in shown {
        let ids: Vec<i32> = ids.into_iter().collect();
        for (dep_kind, id) in source.dependents(db, kind, &ids).await? {
            touched.entry(dep_kind).or_default().insert(id);
        }
    }
    Ok(touched)
}
