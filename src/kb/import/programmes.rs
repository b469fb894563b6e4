//! Writing a document's programmes, after the organisations they name.

use entity::{EntityKind, programme};
use sea_orm::{ActiveValue::NotSet, ConnectionTrait, Set};

use super::At;
use super::lookup::{SlugIds, ensure_present, slug_ids, stored};
use super::rows::{changed, content_hash, resolve_ids, sources_json, translations_json, upsert};
use super::summary::ImportSummary;
use crate::error::Result;
use crate::kb::document::Document;

/// Writes the document's programmes; returns the ids of every programme by slug.
pub(super) async fn write_programmes(
    db: &impl ConnectionTrait,
    document: &Document,
    At { now, mode, progress }: At<'_>,
    org_ids: &SlugIds,
    summary: &mut ImportSummary,
    changes: &mut Vec<(EntityKind, i32)>,
) -> Result<SlugIds> {
    use programme::Column as P;
    let stored_progs =
        stored::<programme::Entity>(db, (P::Id, P::Slug, P::ContentHash), document.programmes.iter().map(|d| &d.slug))
            .await?;
    let hashed = document.programmes.iter().map(|d| {
        let mut references = vec![("operator", d.operator.iter().map(|s| org_ids[s]).collect())];
        // Left out when empty, so that programmes without these criteria keep their former hash.
        for (field, slugs) in [("eligibleSites", &d.eligible_sites), ("requiredMemberships", &d.required_memberships)] {
            if !slugs.is_empty() {
                references.push((field, resolve_ids(slugs, org_ids)));
            }
        }
        (d, content_hash(d, &references))
    });
    let progs = changed(hashed, |d| &d.slug, (&stored_progs, mode), &mut summary.programmes);
    let rows = progs.iter().map(|(d, hash)| {
        row!(programme, d, hash, now, {
            kind: Set(d.kind),
            operator_id: Set(d.operator.as_ref().map(|s| org_ids[s])),
            eligible_stages: Set(serde_json::json!(d.eligible_stages)),
            starts_on: Set(d.starts_on),
            ends_on: Set(d.ends_on),
            eligible_domains: Set(serde_json::json!(d.eligible_domains)),
            eligible_site_ids: Set(serde_json::json!(resolve_ids(&d.eligible_sites, org_ids))),
            required_membership_ids: Set(serde_json::json!(resolve_ids(&d.required_memberships, org_ids))),
        })
    });
    upsert::<programme::Entity, _>(db, rows.collect(), P::Slug, mode, progress).await?;
    progress.inc(summary.programmes.unchanged as u64);
    let prog_ids = slug_ids::<programme::Entity>(db, P::Id, P::Slug).await?;
    ensure_present(&prog_ids, document.companies.iter().flat_map(|d| &d.programmes), "programme")?;
    changes.extend(progs.iter().map(|(d, _)| (EntityKind::Programme, prog_ids[&d.slug])));
    Ok(prog_ids)
}
