//! Writing a document's organisations, the first kind: every other kind may refer to them.

use entity::{EntityKind, organisation};
use sea_orm::{ActiveValue::NotSet, ConnectionTrait, Set};

use super::At;
use super::lookup::{SlugIds, ensure_present, slug_ids, stored};
use super::rows::{changed, content_hash, sources_json, translations_json, upsert};
use super::summary::ImportSummary;
use crate::error::Result;
use crate::kb::document::Document;

/// Writes the document's organisations; returns the ids of every organisation by slug.
pub(super) async fn write_organisations(
    db: &impl ConnectionTrait,
    document: &Document,
    At { now, mode, progress }: At<'_>,
    summary: &mut ImportSummary,
    changes: &mut Vec<(EntityKind, i32)>,
) -> Result<SlugIds> {
    use organisation::Column as O;
    let stored_orgs = stored::<organisation::Entity>(
        db,
        (O::Id, O::Slug, O::ContentHash),
        document.organisations.iter().map(|d| &d.slug),
    )
    .await?;
    let hashed = document.organisations.iter().map(|d| (d, content_hash(d, &[])));
    let orgs = changed(hashed, |d| &d.slug, (&stored_orgs, mode), &mut summary.organisations);
    let rows = orgs.iter().map(|(d, hash)| {
        row!(organisation, d, hash, now, {
            kind: Set(d.kind),
            city: Set(d.city.clone()),
            latitude: Set(d.location.map(|p| p.latitude)),
            longitude: Set(d.location.map(|p| p.longitude)),
            location_source: Set(d.location.map(|_| entity::LocationSource::Own)),
            places: Set(serde_json::json!(d.places)),
        })
    });
    upsert::<organisation::Entity, _>(db, rows.collect(), O::Slug, mode, progress).await?;
    progress.inc(summary.organisations.unchanged as u64);
    let org_ids = slug_ids::<organisation::Entity>(db, O::Id, O::Slug).await?;
    let org_refs = document
        .programmes
        .iter()
        .flat_map(|d| d.operator.iter().chain(&d.eligible_sites).chain(&d.required_memberships));
    let org_refs = org_refs.chain(document.companies.iter().flat_map(|d| d.site.iter().chain(&d.memberships)));
    let org_refs = org_refs.chain(document.people.iter().flat_map(|d| d.roles.iter().map(|r| &r.organisation)));
    let org_refs =
        org_refs.chain(document.events.iter().flat_map(|d| d.site.iter().chain(&d.organisers).chain(&d.organisations)));
    ensure_present(&org_ids, org_refs, "organisation")?;
    changes.extend(orgs.iter().map(|(d, _)| (EntityKind::Organisation, org_ids[&d.slug])));
    Ok(org_ids)
}
