//! Reading what the database already holds: ids by slug, content hashes, which slugs exist.

use std::collections::{HashMap, HashSet};

use entity::{company, event, organisation, person, programme, technology};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::BATCH;
use crate::error::{AppError, Result};
use crate::kb::document::{Document, Existing};

/// Slug to id, of one kind.
pub(super) type SlugIds = HashMap<String, i32>;

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
pub(super) async fn ids_of<'a, E: EntityTrait>(
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

/// Id and content hash, by slug, of the given slugs that exist in one table, in batches.
pub(super) async fn stored<'a, E: EntityTrait>(
    db: &impl ConnectionTrait,
    (id, slug, hash): (E::Column, E::Column, E::Column),
    slugs: impl IntoIterator<Item = &'a String>,
) -> Result<HashMap<String, (i32, Option<String>)>> {
    let slugs: Vec<&String> = slugs.into_iter().collect::<HashSet<_>>().into_iter().collect();
    let mut found = HashMap::with_capacity(slugs.len());
    for chunk in slugs.chunks(BATCH) {
        let rows: Vec<(i32, String, Option<String>)> = E::find()
            .select_only()
            .columns([id, slug, hash])
            .filter(slug.is_in(chunk.iter().map(|s| s.to_string())))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|(id, slug, hash)| (slug, (id, hash))));
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
    orgs.extend(document.programmes.iter().flat_map(|d| d.eligible_sites.iter().chain(&d.required_memberships)));
    orgs.extend(document.companies.iter().filter_map(|d| d.site.as_ref()));
    orgs.extend(document.companies.iter().flat_map(|d| &d.memberships));
    orgs.extend(document.people.iter().flat_map(|d| d.roles.iter().map(|r| &r.organisation)));
    orgs.extend(document.events.iter().flat_map(|d| d.site.iter().chain(&d.organisers).chain(&d.organisations)));
    let mut progs: HashSet<&String> = document.programmes.iter().map(|d| &d.slug).collect();
    progs.extend(document.companies.iter().flat_map(|d| &d.programmes));
    let mut companies: HashSet<&String> = document.companies.iter().map(|d| &d.slug).collect();
    companies.extend(document.events.iter().flat_map(|d| &d.companies));
    let mut people: HashSet<&String> = document.people.iter().map(|d| &d.slug).collect();
    people.extend(document.events.iter().flat_map(|d| &d.people));
    let events: HashSet<&String> = document.events.iter().map(|d| &d.slug).collect();

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
        people: present::<person::Entity>(db, (person::Column::Id, person::Column::Slug), people).await?,
        events: present::<event::Entity>(db, (event::Column::Id, event::Column::Slug), events).await?,
        technology_parents,
    })
}

/// Every entity a write refers to must still exist. The checks found them, but on PostgreSQL
/// another transaction may have deleted one since: that is a conflict, never a crash.
pub(super) fn ensure_present<'a>(
    ids: &HashMap<String, i32>,
    slugs: impl IntoIterator<Item = &'a String>,
    what: &str,
) -> Result<()> {
    match slugs.into_iter().find(|slug| !ids.contains_key(*slug)) {
        Some(slug) => Err(changed_meanwhile(&format!("{what} \"{slug}\" was deleted meanwhile"))),
        None => Ok(()),
    }
}

/// The conflict a write meets when the database changed since the checks read it.
pub(super) fn changed_meanwhile(what: &str) -> AppError {
    AppError::Conflict { message: format!("{what}; nothing was written, try again"), field: None }
}
