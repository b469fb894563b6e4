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

mod people_events;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    company, company_membership, company_programme, company_technology, event, organisation, person, programme,
    technology,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set,
};
use sha2::{Digest, Sha256};

use super::document::{Document, Existing};
use super::draft::{CompanyDraft, Source, Translation};
use super::progress::Progress;
use crate::changelog::Touched;
use crate::db::now;
use crate::error::{AppError, Result};
use crate::search::Bulk;
use entity::EntityKind;

/// Rows per INSERT: stays under SQLite's and PostgreSQL's limits on bound parameters.
const BATCH: usize = 1_000;

/// What an import did to the entities of one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct KindCounts {
    /// Entities the document added.
    pub created: usize,
    /// Entities whose fields or relations the document changed.
    pub updated: usize,
    /// Entities the document holds as they already were: not written at all.
    pub unchanged: usize,
    /// Entities the document does not hold, deleted by a pruning import.
    pub deleted: usize,
}

/// What an import did, kind by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    /// What happened to organisations.
    pub organisations: KindCounts,
    /// What happened to technologies.
    pub technologies: KindCounts,
    /// What happened to programmes.
    pub programmes: KindCounts,
    /// What happened to companies.
    pub companies: KindCounts,
    /// What happened to people.
    pub people: KindCounts,
    /// What happened to events.
    pub events: KindCounts,
    /// Whether this was a dry run: the counts say what the import would do, and nothing was written.
    pub dry_run: bool,
    /// The entities written or deleted (`Company:12`…), for the audit line.
    #[serde(skip)]
    pub touched: Vec<String>,
    /// The positions `(after, last]` of the change-log entries it appended.
    #[serde(skip)]
    pub logged: Option<(i64, i64)>,
}

impl std::fmt::Display for ImportSummary {
    /// One line per kind: `companies: 1 created, 2 updated, 3 unchanged, 0 deleted`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds = [
            ("organisations", self.organisations),
            ("technologies", self.technologies),
            ("programmes", self.programmes),
            ("companies", self.companies),
            ("people", self.people),
            ("events", self.events),
        ];
        for (name, c) in kinds {
            writeln!(
                f,
                "{name}: {} created, {} updated, {} unchanged, {} deleted",
                c.created, c.updated, c.unchanged, c.deleted
            )?;
        }
        Ok(())
    }
}

impl ImportSummary {
    /// Notes the positions of change-log entries appended, after those noted already.
    pub fn log(&mut self, appended: Option<(i64, i64)>) {
        self.logged = match (self.logged, appended) {
            (Some((after, _)), Some((_, last))) => Some((after, last)),
            (earlier, later) => later.or(earlier),
        };
    }

    /// The counts of one kind.
    pub fn counts_mut(&mut self, kind: EntityKind) -> &mut KindCounts {
        match kind {
            EntityKind::Organisation => &mut self.organisations,
            EntityKind::Technology => &mut self.technologies,
            EntityKind::Programme => &mut self.programmes,
            EntityKind::Company => &mut self.companies,
            EntityKind::Person => &mut self.people,
            EntityKind::Event => &mut self.events,
        }
    }
}

/// Slug to id, of one kind.
type SlugIds = HashMap<String, i32>;

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

/// Id and content hash, by slug, of the given slugs that exist in one table, in batches.
async fn stored<'a, E: EntityTrait>(
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

/// The hash of what a write stores for an entity: its draft, with the references replaced by
/// the ids they resolve to (so renaming a target changes nothing here, and ids are never reused).
fn content_hash(draft: &impl serde::Serialize, references: &[(&str, Vec<i32>)]) -> String {
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
fn changed<'d, D>(
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

/// Whether a write may replace an entity that has the same slug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Insert, or replace the entity with that slug (imports, updates).
    Upsert,
    /// Insert only: a taken slug is a conflict (creations).
    Create,
}

/// Every entity a write refers to must still exist. The checks found them, but on PostgreSQL
/// another transaction may have deleted one since: that is a conflict, never a crash.
fn ensure_present<'a>(
    ids: &HashMap<String, i32>,
    slugs: impl IntoIterator<Item = &'a String>,
    what: &str,
) -> Result<()> {
    match slugs.into_iter().find(|slug| !ids.contains_key(*slug)) {
        Some(slug) => Err(changed_meanwhile(&format!("{what} \"{slug}\" was deleted meanwhile"))),
        None => Ok(()),
    }
}

fn changed_meanwhile(what: &str) -> AppError {
    AppError::Conflict { message: format!("{what}; nothing was written, try again"), field: None }
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
    let org_ids = write_organisations(db, document, at, &mut summary, &mut changes).await?;
    let tech_ids = write_technologies(db, document, at, &mut summary, &mut changes).await?;
    let prog_ids = write_programmes(db, document, at, &org_ids, &mut summary, &mut changes).await?;
    let ids = Ids { technologies: &tech_ids, programmes: &prog_ids, organisations: &org_ids };
    let (before, after) = write_companies(db, document, at, ids, (&mut summary, &mut changes), index).await?;
    people_events::write_people(db, document, at, &org_ids, &mut summary, &mut changes).await?;
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

/// Writes the document's organisations; returns the ids of every organisation by slug.
async fn write_organisations(
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

/// Writes the document's technologies, parents before children so that every parent id is
/// known when a child is written; returns the ids of every technology by slug.
async fn write_technologies(
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

/// Writes the document's programmes; returns the ids of every programme by slug.
async fn write_programmes(
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

/// Companies written, linked and added to the search index per step: the index analyses one
/// step's documents while the next step is written.
const STEP: usize = 5_000;

/// Writes the document's companies and replaces their links, a step at a time; returns the
/// entities showing the written companies before and after (their index documents count linked
/// companies). A company's search document is complete once its step is written: it shows only
/// what it links to, written before it, and nothing written after it in the import changes that.
async fn write_companies(
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
            before.extend(super::index_source::linked_by_companies(db, Some(&existed)).await?);
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

/// The ids of checked slugs, in order, without repeats.
fn resolve_ids(slugs: &[String], ids: &SlugIds) -> Vec<i32> {
    let mut out: Vec<i32> = Vec::with_capacity(slugs.len());
    for id in slugs.iter().map(|s| ids[s]) {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

fn sources_json(sources: &[Source]) -> serde_json::Value {
    serde_json::to_value(sources).unwrap_or_default()
}

fn translations_json(translations: &[Translation]) -> serde_json::Value {
    serde_json::to_value(translations).unwrap_or_default()
}

/// Inserts rows in batches, updating every column but the id and `createdAt` when the slug exists.
async fn upsert<E, A>(
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
