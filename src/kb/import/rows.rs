//! Turning drafts into rows: content hashes, what changed, and batched inserts and upserts.

use std::collections::HashMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait};
use sha2::{Digest, Sha256};

use super::lookup::SlugIds;
use super::summary::KindCounts;
use super::{BATCH, Mode};
use crate::error::Result;
use crate::kb::draft::{Source, Translation};
use crate::kb::progress::Progress;

/// The hash of what a write stores for an entity: its draft, with the references replaced by
/// the ids they resolve to (so renaming a target changes nothing here, and ids are never reused).
pub(super) fn content_hash(draft: &impl serde::Serialize, references: &[(&str, Vec<i32>)]) -> String {
    let mut value = serde_json::to_value(draft).unwrap_or_default();
    if let Some(fields) = value.as_object_mut() {
        for (field, ids) in references {
            let mut ids = ids.clone();
            ids.sort_unstable();
            ids.dedup();
            fields.insert(field.to_string(), serde_json::json!(ids));
        }
    }
    let digest = Sha256::digest(value.to_string().as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Keeps the drafts whose content differs from what is stored, with their hash, and counts
/// every draft as created, updated or unchanged. A creation writes every draft, so that a slug
/// taken meanwhile (by a concurrent creation of the same entity) is a conflict, never a no-op.
pub(super) fn changed<'d, D>(
    drafts: impl IntoIterator<Item = (&'d D, String)>,
    slug: impl Fn(&D) -> &str,
    (stored, mode): (&HashMap<String, (i32, Option<String>)>, Mode),
    counts: &mut KindCounts,
) -> Vec<(&'d D, String)> {
    let mut out = Vec::new();
    for (draft, hash) in drafts {
        match stored.get(slug(draft)).filter(|_| mode == Mode::Upsert) {
            None => counts.created += 1,
            Some((_, Some(stored))) if *stored == hash => {
                counts.unchanged += 1;
                continue;
            }
            Some(_) => counts.updated += 1,
        }
        out.push((draft, hash));
    }
    out
}

/// The ids of checked slugs, in order, without repeats.
pub(super) fn resolve_ids(slugs: &[String], ids: &SlugIds) -> Vec<i32> {
    let mut out: Vec<i32> = Vec::with_capacity(slugs.len());
    for id in slugs.iter().map(|s| ids[s]) {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

pub(super) fn sources_json(sources: &[Source]) -> serde_json::Value {
    serde_json::to_value(sources).unwrap_or_default()
}

/// A person's mentor offer as stored: every field but the technologies, which are links.
pub(super) fn mentor_json(mentor: &Option<crate::kb::draft::MentorDraft>) -> Option<serde_json::Value> {
    mentor.as_ref().map(|m| serde_json::to_value(crate::kb::model::MentorOffer::from_draft(m)).unwrap_or_default())
}

pub(super) fn translations_json(translations: &[Translation]) -> serde_json::Value {
    serde_json::to_value(translations).unwrap_or_default()
}

/// Inserts rows in batches, updating every column but the id and `createdAt` when the slug exists.
pub(super) async fn upsert<E, A>(
    db: &impl ConnectionTrait,
    rows: Vec<A>,
    slug: E::Column,
    mode: Mode,
    progress: &dyn Progress,
) -> Result<()>
where
    E: EntityTrait<ActiveModel = A>,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    use sea_orm::Iterable;
    let keep = ["id", "slug", "created_at"];
    let update: Vec<E::Column> =
        E::Column::iter().filter(|c| !keep.contains(&sea_orm::IdenStatic::as_str(c))).collect();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<A> = rows.by_ref().take(BATCH).collect();
        let n = batch.len() as u64;
        let insert = E::insert_many(batch);
        match mode {
            Mode::Upsert => {
                insert
                    .on_conflict(OnConflict::column(slug).update_columns(update.clone()).to_owned())
                    .exec_without_returning(db)
                    .await?
            }
            Mode::Create => insert.exec_without_returning(db).await?,
        };
        progress.inc(n);
    }
    Ok(())
}

pub(super) async fn insert_links<A, E>(
    db: &impl ConnectionTrait,
    pairs: Vec<(i32, i32)>,
    row: impl Fn((i32, i32)) -> A,
) -> Result<()>
where
    E: EntityTrait<ActiveModel = A>,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    for chunk in pairs.chunks(BATCH * 5) {
        E::insert_many(chunk.iter().copied().map(&row)).exec_without_returning(db).await?;
    }
    Ok(())
}
