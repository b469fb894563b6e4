//! Writing a document into the database: upsert by slug, in batches, inside the caller's transaction.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use entity::{
    change, company, company_membership, company_programme, company_technology, organisation, programme, technology,
};
use indicatif::ProgressBar;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use super::document::{Document, Existing};
use super::draft::Source;
use crate::error::Result;
use crate::search::EntityKind;

/// Rows per INSERT: stays under SQLite's and PostgreSQL's limits on bound parameters.
const BATCH: usize = 1_000;
/// Past this many entities, one import asks the index for a rebuild rather than listing each change.
const REBUILD_ABOVE: usize = 2_000;

/// What an import wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, async_graphql::SimpleObject)]
pub struct ImportSummary {
    /// Organisations created or updated.
    pub organisations: usize,
    /// Technologies created or updated.
    pub technologies: usize,
    /// Programmes created or updated.
    pub programmes: usize,
    /// Companies created or updated.
    pub companies: usize,
}

/// The current time, at the precision every database keeps.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Slug to id of every entity of one kind.
pub async fn slug_ids<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: E::Column,
    slug: E::Column,
) -> Result<HashMap<String, i32>> {
    let rows: Vec<(i32, String)> = E::find().select_only().column(id).column(slug).into_tuple().all(db).await?;
    Ok(rows.into_iter().map(|(id, slug)| (slug, id)).collect())
}

/// Slug to id of the given slugs that exist in one table, in batches.
async fn ids_of<'a, E: EntityTrait>(
    db: &impl ConnectionTrait,
    (id, slug): (E::Column, E::Column),
    slugs: impl IntoIterator<Item = &'a String>,
) -> Result<HashMap<String, i32>> {
    let slugs: Vec<&String> = slugs.into_iter().collect::<HashSet<_>>().into_iter().collect();
    let mut found = HashMap::with_capacity(slugs.len());
    for chunk in slugs.chunks(BATCH) {
        let rows: Vec<(i32, String)> = E::find()
            .select_only()
            .column(id)
            .column(slug)
            .filter(slug.is_in(chunk.iter().map(|s| s.to_string())))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|(id, slug)| (slug, id)));
    }
    Ok(found)
}

/// Which of `slugs` exist in one table.
async fn present<'a, E: EntityTrait>(
    db: &impl ConnectionTrait,
    columns: (E::Column, E::Column),
    slugs: impl IntoIterator<Item = &'a String>,
) -> Result<HashSet<String>> {
    Ok(ids_of::<E>(db, columns, slugs).await?.into_keys().collect())
}

/// What checking `document` needs to know of the database: which of the slugs it defines or
/// refers to exist, and the whole technology taxonomy (to refuse loops).
pub async fn existing(db: &impl ConnectionTrait, document: &Document) -> Result<Existing> {
    let mut orgs: HashSet<&String> = document.organisations.iter().map(|d| &d.slug).collect();
    orgs.extend(document.programmes.iter().filter_map(|d| d.operator.as_ref()));
    orgs.extend(document.companies.iter().filter_map(|d| d.site.as_ref()));
    orgs.extend(document.companies.iter().flat_map(|d| &d.memberships));
    let mut progs: HashSet<&String> = document.programmes.iter().map(|d| &d.slug).collect();
    progs.extend(document.companies.iter().flat_map(|d| &d.programmes));
    let companies: HashSet<&String> = document.companies.iter().map(|d| &d.slug).collect();

    let technologies = slug_ids::<technology::Entity>(db, technology::Column::Id, technology::Column::Slug).await?;
    let parents: Vec<(i32, Option<i32>)> = technology::Entity::find()
        .select_only()
        .column(technology::Column::Id)
        .column(technology::Column::ParentId)
        .into_tuple()
        .all(db)
        .await?;
    let by_id: HashMap<i32, &String> = technologies.iter().map(|(slug, id)| (*id, slug)).collect();
    let technology_parents = parents
        .into_iter()
        .filter_map(|(id, parent)| Some((by_id.get(&id)?.to_string(), by_id.get(&parent?)?.to_string())))
        .collect();
    Ok(Existing {
        organisations: present::<organisation::Entity>(
            db,
            (organisation::Column::Id, organisation::Column::Slug),
            orgs,
        )
        .await?,
        technologies: technologies.into_keys().collect(),
        programmes: present::<programme::Entity>(db, (programme::Column::Id, programme::Column::Slug), progs).await?,
        companies: present::<company::Entity>(db, (company::Column::Id, company::Column::Slug), companies).await?,
        technology_parents,
    })
}

/// Whether a write may replace an entity that has the same slug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Insert, or replace the entity with that slug (imports, updates).
    Upsert,
    /// Insert only: a taken slug is a conflict (creations).
    Create,
}

/// Writes a checked document by slug: fields and relations of each entity are replaced by the document's.
///
/// Runs inside the caller's transaction and records the changes for the search index in the outbox.
pub async fn write(
    db: &impl ConnectionTrait,
    document: &Document,
    mode: Mode,
    progress: &ProgressBar,
) -> Result<ImportSummary> {
    let now = now();
    let mut changes: Vec<(EntityKind, i32)> = Vec::new();

    let rows = document.organisations.iter().map(|d| organisation::ActiveModel {
        id: NotSet,
        slug: Set(d.slug.clone()),
        name: Set(d.name.clone()),
        description: Set(d.description.clone()),
        lang: Set(d.lang),
        website: Set(d.website.clone()),
        sources: Set(sources_json(&d.sources)),
        created_at: Set(now),
        updated_at: Set(now),
        kind: Set(d.kind),
        city: Set(d.city.clone()),
        aliases: Set(serde_json::json!(d.aliases)),
    });
    upsert::<organisation::Entity, _>(db, rows.collect(), organisation::Column::Slug, mode, progress).await?;
    let org_ids = slug_ids::<organisation::Entity>(db, organisation::Column::Id, organisation::Column::Slug).await?;
    changes.extend(document.organisations.iter().map(|d| (EntityKind::Organisation, org_ids[&d.slug])));

    // Parents before children, so that every parent id is known when a child is written.
    let mut tech_ids = slug_ids::<technology::Entity>(db, technology::Column::Id, technology::Column::Slug).await?;
    let in_document: HashSet<&str> = document.technologies.iter().map(|d| d.slug.as_str()).collect();
    let mut written: HashSet<&str> = HashSet::new();
    let mut remaining: Vec<_> = document.technologies.iter().collect();
    while !remaining.is_empty() {
        let (layer, rest): (Vec<_>, Vec<_>) = remaining.into_iter().partition(|d| match d.parent.as_deref() {
            Some(parent) => !in_document.contains(parent) || written.contains(parent),
            None => true,
        });
        // A loop was refused by the checks; this guards against writing it anyway.
        assert!(!layer.is_empty(), "technology parents form a loop");
        let rows = layer.iter().map(|d| technology::ActiveModel {
            id: NotSet,
            slug: Set(d.slug.clone()),
            name: Set(d.name.clone()),
            description: Set(d.description.clone()),
            lang: Set(d.lang),
            website: Set(d.website.clone()),
            sources: Set(sources_json(&d.sources)),
            created_at: Set(now),
            updated_at: Set(now),
            domain: Set(d.domain),
            aliases: Set(serde_json::json!(d.aliases)),
            parent_id: Set(d.parent.as_ref().map(|p| tech_ids[p])),
        });
        upsert::<technology::Entity, _>(db, rows.collect(), technology::Column::Slug, mode, progress).await?;
        tech_ids = slug_ids::<technology::Entity>(db, technology::Column::Id, technology::Column::Slug).await?;
        written.extend(layer.iter().map(|d| d.slug.as_str()));
        remaining = rest;
    }
    changes.extend(document.technologies.iter().map(|d| (EntityKind::Technology, tech_ids[&d.slug])));

    let rows = document.programmes.iter().map(|d| programme::ActiveModel {
        id: NotSet,
        slug: Set(d.slug.clone()),
        name: Set(d.name.clone()),
        description: Set(d.description.clone()),
        lang: Set(d.lang),
        website: Set(d.website.clone()),
        sources: Set(sources_json(&d.sources)),
        created_at: Set(now),
        updated_at: Set(now),
        kind: Set(d.kind),
        operator_id: Set(d.operator.as_ref().map(|s| org_ids[s])),
        eligible_stages: Set(serde_json::json!(d.eligible_stages)),
        starts_on: Set(d.starts_on),
        ends_on: Set(d.ends_on),
        aliases: Set(serde_json::json!(d.aliases)),
    });
    upsert::<programme::Entity, _>(db, rows.collect(), programme::Column::Slug, mode, progress).await?;
    let prog_ids = slug_ids::<programme::Entity>(db, programme::Column::Id, programme::Column::Slug).await?;
    changes.extend(document.programmes.iter().map(|d| (EntityKind::Programme, prog_ids[&d.slug])));

    let rows = document.companies.iter().map(|d| company::ActiveModel {
        id: NotSet,
        slug: Set(d.slug.clone()),
        name: Set(d.name.clone()),
        description: Set(d.description.clone()),
        lang: Set(d.lang),
        website: Set(d.website.clone()),
        sources: Set(sources_json(&d.sources)),
        created_at: Set(now),
        updated_at: Set(now),
        stage: Set(d.stage),
        city: Set(d.city.clone()),
        founded_year: Set(d.founded_year),
        employees: Set(d.employees),
        site_id: Set(d.site.as_ref().map(|s| org_ids[s])),
        aliases: Set(serde_json::json!(d.aliases)),
    });
    upsert::<company::Entity, _>(db, rows.collect(), company::Column::Slug, mode, progress).await?;
    // Only the written companies' ids: the table may hold far more than the document.
    let company_ids = ids_of::<company::Entity>(
        db,
        (company::Column::Id, company::Column::Slug),
        document.companies.iter().map(|d| &d.slug),
    )
    .await?;
    let ids: Vec<i32> = document.companies.iter().map(|d| company_ids[&d.slug]).collect();
    changes.extend(ids.iter().map(|&id| (EntityKind::Company, id)));

    // Relations are replaced: drop the old links of the written companies, then insert the new ones.
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
    let pairs = |list: fn(&super::draft::CompanyDraft) -> &Vec<String>, targets: &HashMap<String, i32>| {
        let mut pairs: Vec<(i32, i32)> = document
            .companies
            .iter()
            .zip(&ids)
            .flat_map(|(d, &company)| list(d).iter().map(move |slug| (company, targets[slug])))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    };
    insert_links(db, pairs(|d| &d.technologies, &tech_ids), |(company_id, technology_id)| {
        company_technology::ActiveModel { company_id: Set(company_id), technology_id: Set(technology_id) }
    })
    .await?;
    insert_links(db, pairs(|d| &d.programmes, &prog_ids), |(company_id, programme_id)| {
        company_programme::ActiveModel { company_id: Set(company_id), programme_id: Set(programme_id) }
    })
    .await?;
    insert_links(db, pairs(|d| &d.memberships, &org_ids), |(company_id, organisation_id)| {
        company_membership::ActiveModel { company_id: Set(company_id), organisation_id: Set(organisation_id) }
    })
    .await?;

    if changes.len() > REBUILD_ABOVE {
        record_rebuild(db).await?;
    } else {
        record_changes(db, changes).await?;
    }
    Ok(ImportSummary {
        organisations: document.organisations.len(),
        technologies: document.technologies.len(),
        programmes: document.programmes.len(),
        companies: document.companies.len(),
    })
}

/// Appends changes to the search outbox, in the caller's transaction.
pub async fn record_changes(
    db: &impl ConnectionTrait,
    changes: impl IntoIterator<Item = (EntityKind, i32)>,
) -> Result<()> {
    let rows: Vec<change::ActiveModel> = changes
        .into_iter()
        .map(|(kind, id)| change::ActiveModel { seq: NotSet, kind: Set(kind.as_str().into()), entity_id: Set(id) })
        .collect();
    for chunk in rows.chunks(BATCH) {
        change::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Asks the search index for a full rebuild, in the caller's transaction: cheaper than listing every change of a large import.
pub async fn record_rebuild(db: &impl ConnectionTrait) -> Result<()> {
    let row = change::ActiveModel { seq: NotSet, kind: Set("ALL".into()), entity_id: Set(0) };
    change::Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

fn sources_json(sources: &[Source]) -> serde_json::Value {
    serde_json::to_value(sources).unwrap_or_default()
}

/// Inserts rows in batches, updating every column but the id and `createdAt` when the slug exists.
async fn upsert<E, A>(
    db: &impl ConnectionTrait,
    rows: Vec<A>,
    slug: E::Column,
    mode: Mode,
    progress: &ProgressBar,
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

async fn insert_links<A, E>(
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
