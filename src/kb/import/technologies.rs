//! Writing a document's technologies, parents before children.

use std::collections::HashSet;

use entity::{EntityKind, technology};
use sea_orm::{ActiveValue::NotSet, ConnectionTrait, Set};

use super::At;
use super::lookup::{SlugIds, changed_meanwhile, ensure_present, slug_ids, stored};
use super::rows::{changed, content_hash, sources_json, translations_json, upsert};
use super::summary::ImportSummary;
use crate::error::Result;
use crate::kb::document::Document;

/// Writes the document's technologies, parents before children so that every parent id is
/// known when a child is written; returns the ids of every technology by slug.
pub(super) async fn write_technologies(
    db: &impl ConnectionTrait,
    document: &Document,
    At { now, mode, progress }: At<'_>,
    summary: &mut ImportSummary,
    changes: &mut Vec<(EntityKind, i32)>,
) -> Result<SlugIds> {
    use technology::Column as T;
    let stored_techs = stored::<technology::Entity>(
        db,
        (T::Id, T::Slug, T::ContentHash),
        document.technologies.iter().map(|d| &d.slug),
    )
    .await?;
    let mut tech_ids = slug_ids::<technology::Entity>(db, T::Id, T::Slug).await?;
    let in_document: HashSet<&str> = document.technologies.iter().map(|d| d.slug.as_str()).collect();
    let tech_refs = document.technologies.iter().filter_map(|d| d.parent.as_ref());
    let tech_refs = tech_refs.chain(document.companies.iter().flat_map(|d| &d.technologies));
    let tech_refs = tech_refs.chain(document.people.iter().flat_map(|d| d.mentor.iter().flat_map(|m| &m.technologies)));
    ensure_present(&tech_ids, tech_refs.filter(|slug| !in_document.contains(slug.as_str())), "technology")?;
    let mut written: HashSet<&str> = HashSet::new();
    let mut written_techs: Vec<&str> = Vec::new();
    let mut remaining: Vec<_> = document.technologies.iter().collect();
    while !remaining.is_empty() {
        let (layer, rest): (Vec<_>, Vec<_>) = remaining.into_iter().partition(|d| match d.parent.as_deref() {
            Some(parent) => !in_document.contains(parent) || written.contains(parent),
            None => true,
        });
        // A loop was refused by the checks, but a concurrent write may have made one since.
        if layer.is_empty() {
            return Err(changed_meanwhile("technology parents form a loop"));
        }
        let hashed =
            layer.iter().map(|d| (*d, content_hash(*d, &[("parent", d.parent.iter().map(|p| tech_ids[p]).collect())])));
        let techs = changed(hashed, |d| &d.slug, (&stored_techs, mode), &mut summary.technologies);
        let rows = techs.iter().map(|(d, hash)| {
            row!(technology, d, hash, now, {
                domain: Set(d.domain),
                parent_id: Set(d.parent.as_ref().map(|p| tech_ids[p])),
            })
        });
        let rows: Vec<_> = rows.collect();
        if !rows.is_empty() {
            upsert::<technology::Entity, _>(db, rows, T::Slug, mode, progress).await?;
            tech_ids = slug_ids::<technology::Entity>(db, T::Id, T::Slug).await?;
        }
        written_techs.extend(techs.iter().map(|(d, _)| d.slug.as_str()));
        written.extend(layer.iter().map(|d| d.slug.as_str()));
        remaining = rest;
    }
    progress.inc(summary.technologies.unchanged as u64);
    changes.extend(written_techs.iter().map(|slug| (EntityKind::Technology, tech_ids[*slug])));
    Ok(tech_ids)
}
