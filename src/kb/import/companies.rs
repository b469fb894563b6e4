//! Writing a document's companies and their links, a step at a time, feeding the search index as it goes.

use std::collections::{HashMap, HashSet};

use entity::{EntityKind, company, company_membership, company_programme, company_technology};
use sea_orm::{ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};

use super::lookup::{ids_of, stored};
use super::rows::{changed, content_hash, insert_links, sources_json, translations_json, upsert};
use super::summary::ImportSummary;
use super::{At, BATCH, Ids};
use crate::error::Result;
use crate::kb::document::Document;
use crate::kb::draft::CompanyDraft;
use crate::search::Bulk;

/// Companies written, linked and added to the search index per step: the index analyses one
/// step's documents while the next step is written.
const STEP: usize = 5_000;

/// Writes the document's companies and replaces their links, a step at a time; returns the
/// entities showing the written companies before and after (their index documents count linked
/// companies). A company's search document is complete once its step is written: it shows only
/// what it links to, written before it, and nothing written after it in the import changes that.
pub(super) async fn write_companies(
    db: &DatabaseTransaction,
    document: &Document,
    At { now, mode, progress }: At<'_>,
    Ids { technologies: tech_ids, programmes: prog_ids, organisations: org_ids }: Ids<'_>,
    (summary, changes): (&mut ImportSummary, &mut Vec<(EntityKind, i32)>),
    mut index: Option<&mut Bulk>,
) -> Result<(HashSet<(EntityKind, i32)>, HashSet<(EntityKind, i32)>)> {
    use company::Column as C;
    let stored_companies =
        stored::<company::Entity>(db, (C::Id, C::Slug, C::ContentHash), document.companies.iter().map(|d| &d.slug))
            .await?;
    let resolve = |slugs: &[String], ids: &HashMap<String, i32>| slugs.iter().map(|s| ids[s]).collect::<Vec<i32>>();
    let hashed = document.companies.iter().map(|d| {
        let references = [
            ("site", d.site.iter().map(|s| org_ids[s]).collect()),
            ("technologies", resolve(&d.technologies, tech_ids)),
            ("programmes", resolve(&d.programmes, prog_ids)),
            ("memberships", resolve(&d.memberships, org_ids)),
        ];
        (d, content_hash(d, &references))
    });
    let companies = changed(hashed, |d| &d.slug, (&stored_companies, mode), &mut summary.companies);
    progress.inc(summary.companies.unchanged as u64);
    let (mut before, mut after) = (HashSet::new(), HashSet::new());
    let mut statistics = Statistics::default();
    for (step, companies) in companies.chunks(STEP).enumerate() {
        let rows = companies.iter().map(|(d, hash)| {
            row!(company, d, hash, now, {
                stage: Set(d.stage),
                city: Set(d.city.clone()),
                founded_year: Set(d.founded_year),
                employees: Set(d.employees),
                site_id: Set(d.site.as_ref().map(|s| org_ids[s])),
                needs: Set(serde_json::json!(d.needs)),
                latitude: Set(d.location.map(|p| p.latitude)),
                longitude: Set(d.location.map(|p| p.longitude)),
                location_source: Set(d.location.map(|_| entity::LocationSource::Own)),
                places: Set(serde_json::json!(d.places)),
            })
        });
        upsert::<company::Entity, _>(db, rows.collect(), C::Slug, mode, progress).await?;
        let tables = ["company", "company_technology", "company_programme", "company_membership"];
        statistics.refresh(db, step * STEP + companies.len(), &tables).await?;
        let ids = ids_of::<company::Entity>(db, (C::Id, C::Slug), companies.iter().map(|(d, _)| &d.slug)).await?;
        let written: Vec<(&CompanyDraft, i32)> = companies.iter().map(|(d, _)| (*d, ids[&d.slug])).collect();
        changes.extend(written.iter().map(|&(_, id)| (EntityKind::Company, id)));
        // An entity gained or lost linked companies: its index document counts them, rewrite it
        // too. Only companies that existed before had links to lose; what they link to now is the
        // document's.
        let existed: Vec<i32> =
            written.iter().filter(|(d, _)| stored_companies.contains_key(&d.slug)).map(|&(_, id)| id).collect();
        if !existed.is_empty() {
            before.extend(crate::kb::index_source::linked_by_companies(db, Some(&existed)).await?);
        }
        after.extend(
            replace_links(db, &written, Ids { technologies: tech_ids, programmes: prog_ids, organisations: org_ids })
                .await?,
        );
        after.extend(
            written.iter().filter_map(|(d, _)| d.site.as_ref()).map(|s| (EntityKind::Organisation, org_ids[s])),
        );
        if let Some(index) = index.as_deref_mut() {
            let ids: Vec<i32> = written.iter().map(|&(_, id)| id).collect();
            index.add(db, EntityKind::Company, &ids).await?;
        }
    }
    Ok((before, after))
}

/// PostgreSQL's statistics of the tables a large import fills, refreshed inside its transaction
/// each time the rows written have doubled (from 1,000): without them, the planner takes a table
/// that was nearly empty for small, and every batch that reads the written rows back by slug or
/// id scans the whole table.
#[derive(Default)]
struct Statistics {
    /// Rows written at the last refresh.
    refreshed_at: usize,
}

impl Statistics {
    async fn refresh(&mut self, db: &impl ConnectionTrait, written: usize, tables: &[&str]) -> Result<()> {
        if written >= 1_000 && written >= 2 * self.refreshed_at {
            self.refreshed_at = written;
            if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
                db.execute_unprepared(&format!("ANALYZE {}", tables.join(", "))).await?;
            }
        }
        Ok(())
    }
}

/// Replaces the relations of the written companies by the document's: drops their old links,
/// then inserts the new ones. Returns the entities they now link to.
async fn replace_links(
    db: &impl ConnectionTrait,
    written: &[(&CompanyDraft, i32)],
    Ids { technologies: tech_ids, programmes: prog_ids, organisations: org_ids }: Ids<'_>,
) -> Result<HashSet<(EntityKind, i32)>> {
    let ids: Vec<i32> = written.iter().map(|&(_, id)| id).collect();
    for chunk in ids.chunks(BATCH) {
        company_technology::Entity::delete_many()
            .filter(company_technology::Column::CompanyId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
        company_programme::Entity::delete_many()
            .filter(company_programme::Column::CompanyId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
        company_membership::Entity::delete_many()
            .filter(company_membership::Column::CompanyId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    let pairs = |list: fn(&CompanyDraft) -> &Vec<String>, targets: &HashMap<String, i32>| {
        let mut pairs: Vec<(i32, i32)> =
            written.iter().flat_map(|&(d, company)| list(d).iter().map(move |slug| (company, targets[slug]))).collect();
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    };
    let (technologies, programmes, memberships) =
        (pairs(|d| &d.technologies, tech_ids), pairs(|d| &d.programmes, prog_ids), pairs(|d| &d.memberships, org_ids));
    let kinds = [EntityKind::Technology, EntityKind::Programme, EntityKind::Organisation];
    let linked = kinds.into_iter().zip([&technologies, &programmes, &memberships]);
    let linked = linked.flat_map(|(kind, pairs)| pairs.iter().map(move |&(_, target)| (kind, target))).collect();
    insert_links(db, technologies, |(company_id, technology_id)| company_technology::ActiveModel {
        company_id: Set(company_id),
        technology_id: Set(technology_id),
    })
    .await?;
    insert_links(db, programmes, |(company_id, programme_id)| company_programme::ActiveModel {
        company_id: Set(company_id),
        programme_id: Set(programme_id),
    })
    .await?;
    insert_links(db, memberships, |(company_id, organisation_id)| company_membership::ActiveModel {
        company_id: Set(company_id),
        organisation_id: Set(organisation_id),
    })
    .await?;
    Ok(linked)
}
