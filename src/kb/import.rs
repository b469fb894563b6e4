//! Writing a document into the database: upsert by slug, in batches, inside the caller's transaction.

/// The row of entity `$entity` written for draft `$d`: the columns every entity has, then its own.
macro_rules! row {
    ($entity:ident, $d:expr, $hash:expr, $now:expr, { $($field:ident : $value:expr),* $(,)? }) => {{
        let d = $d;
        $entity::ActiveModel {
            id: NotSet,
            slug: Set(d.slug.clone()),
            name: Set(d.name.clone()),
            name_key: Set(entity::name_key(&d.name)),
            description: Set(d.description.clone()),
            lang: Set(d.lang),
            website: Set(d.website.clone()),
            sources: Set(sources_json(&d.sources)),
            translations: Set(translations_json(&d.translations)),
            aliases: Set(serde_json::json!(d.aliases)),
            created_at: Set($now),
            updated_at: Set($now),
            content_hash: Set(Some($hash.clone())),
            $($field: $value,)*
        }
    }};
}

mod companies;
mod lookup;
mod organisations;
mod people_events;
mod programmes;
mod rows;
mod summary;
mod technologies;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;

pub use lookup::{existing, slug_ids};
pub use summary::{ImportSummary, KindCounts};

use super::document::Document;
use super::progress::Progress;
use crate::changelog::Touched;
use crate::db::now;
use crate::error::Result;
use crate::search::Bulk;
use entity::EntityKind;
use lookup::SlugIds;

/// Rows per INSERT: stays under SQLite's and PostgreSQL's limits on bound parameters.
const BATCH: usize = 1_000;

/// Whether a write may replace an entity that has the same slug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Insert, or replace the entity with that slug (imports, updates).
    Upsert,
    /// Insert only: a taken slug is a conflict (creations).
    Create,
}

/// When an import writes, whether it may update, and where it reports progress.
#[derive(Clone, Copy)]
struct At<'a> {
    now: DateTime<Utc>,
    mode: Mode,
    progress: &'a dyn Progress,
}

/// The ids of the entities companies refer to, by slug: what their links are resolved against.
#[derive(Clone, Copy)]
struct Ids<'a> {
    technologies: &'a SlugIds,
    programmes: &'a SlugIds,
    organisations: &'a SlugIds,
}

/// Writes a checked document by slug: fields and relations of each entity are replaced by the
/// document's. Entities whose content did not change are not written at all.
///
/// Runs inside the caller's transaction and records the changes in the change log. With
/// `index`, the documents of the companies are added to the search index as they are written
/// (see [`Bulk`]); the rest is for the caller to settle once the log is written.
pub async fn write(
    db: &DatabaseTransaction,
    document: &Document,
    mode: Mode,
    progress: &dyn Progress,
    index: Option<&mut Bulk>,
) -> Result<ImportSummary> {
    let at = At { now: now(), mode, progress };
    let mut summary = ImportSummary::default();
    let mut changes: Vec<(EntityKind, i32)> = Vec::new();
    let org_ids = organisations::write_organisations(db, document, at, &mut summary, &mut changes).await?;
    let tech_ids = technologies::write_technologies(db, document, at, &mut summary, &mut changes).await?;
    let prog_ids = programmes::write_programmes(db, document, at, &org_ids, &mut summary, &mut changes).await?;
    let ids = Ids { technologies: &tech_ids, programmes: &prog_ids, organisations: &org_ids };
    let (before, after) =
        companies::write_companies(db, document, at, ids, (&mut summary, &mut changes), index).await?;
    people_events::write_people(db, document, at, (&org_ids, &tech_ids), &mut summary, &mut changes).await?;
    people_events::write_events(db, document, at, &org_ids, &mut summary, &mut changes).await?;
    let written_set: HashSet<(EntityKind, i32)> = changes.iter().copied().collect();
    let relinked: Vec<(EntityKind, i32)> =
        before.symmetric_difference(&after).filter(|entity| !written_set.contains(entity)).copied().collect();

    summary.touched.extend(changes.iter().map(|(kind, id)| format!("{}:{id}", kind.as_str())));
    let touched = changes.into_iter().map(|(kind, id)| Touched::Written(kind, id));
    let touched = touched.chain(relinked.into_iter().map(|(kind, id)| Touched::Affected(kind, id)));
    let logged = crate::changelog::record(db, touched).await?;
    summary.log(logged);
    Ok(summary)
}
