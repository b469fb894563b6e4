//! What the index knows of each entity, read from the database in batches.

use std::collections::HashMap;

use entity::{
    Lang, company, company_membership, company_programme, company_technology, event, event_company, event_organisation,
    event_organiser, event_person, organisation, person, person_role, programme, technology,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DerivePartialModel, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::error::Result;
use crate::kb::EntityKind;
use crate::kb::model::{Event, Header, Organisation, Person, Programme, Technology, decode};
use crate::kb::read::batch;

/// One entity as the index sees it.
#[derive(Clone, Debug, Default)]
pub struct SearchDoc {
    pub kind: Option<EntityKind>,
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub description: Option<String>,
    pub lang: Option<Lang>,
    /// Names of linked entities, and the aliases of linked technologies.
    pub related: Vec<String>,
    pub domains: Vec<&'static str>,
    pub stages: Vec<&'static str>,
    pub programme_kinds: Vec<&'static str>,
    pub organisation_kind: Option<&'static str>,
    pub city: Option<String>,
    pub site: Option<String>,
    pub memberships: Vec<String>,
    /// Slugs of the programmes a company takes part in.
    pub programmes: Vec<String>,
    pub technologies: Vec<String>,
    /// How many other entities it is linked to: breaks ties between suggestions.
    pub links: u64,
    /// The name and description in other languages.
    pub translations: Vec<crate::kb::draft::Translation>,
}

/// Ids of one kind, in order, after `after`: the pages of a rebuild.
pub async fn ids_after(db: &impl ConnectionTrait, kind: EntityKind, after: i32, limit: u64) -> Result<Vec<i32>> {
    macro_rules! page {
        ($e:ident) => {
            $e::Entity::find()
                .select_only()
                .column($e::Column::Id)
                .filter($e::Column::Id.gt(after))
                .order_by_asc($e::Column::Id)
                .limit(limit)
                .into_tuple()
                .all(db)
                .await?
        };
    }
    Ok(match kind {
        EntityKind::Company => page!(company),
        EntityKind::Technology => page!(technology),
        EntityKind::Programme => page!(programme),
        EntityKind::Organisation => page!(organisation),
        EntityKind::Person => page!(person),
        EntityKind::Event => page!(event),
    })
}

/// The technologies, programmes and organisations (memberships and sites) the given companies
/// link to, or that any company links to (`None`).
pub async fn linked_by_companies(
    db: &impl ConnectionTrait,
    companies: Option<&[i32]>,
) -> Result<Vec<(EntityKind, i32)>> {
    macro_rules! targets {
        ($entity:ident, $company:ident, $target:ident) => {{
            let mut query = $entity::Entity::find().select_only().column($entity::Column::$target).distinct();
            if let Some(ids) = companies {
                query = query.filter($entity::Column::$company.is_in(ids.iter().copied()));
            }
            query.into_tuple::<Option<i32>>().all(db).await?.into_iter().flatten()
        }};
    }
    let mut out: Vec<(EntityKind, i32)> = Vec::new();
    out.extend(targets!(company_technology, CompanyId, TechnologyId).map(|id| (EntityKind::Technology, id)));
    out.extend(targets!(company_programme, CompanyId, ProgrammeId).map(|id| (EntityKind::Programme, id)));
    out.extend(targets!(company_membership, CompanyId, OrganisationId).map(|id| (EntityKind::Organisation, id)));
    out.extend(targets!(company, Id, SiteId).map(|id| (EntityKind::Organisation, id)));
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Above this many companies, their dependents are read from whole tables: everything any
/// company links to, and every event showing any company. A superset, read in one pass of each
/// table instead of an index lookup per link (14 s for a million companies).
const WHOLE_TABLES: usize = 100_000;

/// The entities whose index documents show something of the given ones, and must be rewritten
/// when they change.
pub async fn dependents(db: &impl ConnectionTrait, kind: EntityKind, ids: &[i32]) -> Result<Vec<(EntityKind, i32)>> {
    if kind == EntityKind::Company && ids.len() > WHOLE_TABLES {
        let mut out = linked_by_companies(db, None).await?;
        let events = event_company::Entity::find().select_only().column(event_company::Column::EventId).distinct();
        out.extend(events.into_tuple::<i32>().all(db).await?.into_iter().map(|id| (EntityKind::Event, id)));
        return Ok(out);
    }
    let mut out = Vec::new();
    for chunk in ids.chunks(1000) {
        let chunk = chunk.to_vec();
        let companies: Vec<i32> = match kind {
            // What a company links to shows how many companies link to it (`suggest` ranks by it).
            EntityKind::Company => {
                out.extend(linked_by_companies(db, Some(&chunk)).await?);
                Vec::new()
            }
            EntityKind::Technology => {
                company_technology::Entity::find()
                    .select_only()
                    .column(company_technology::Column::CompanyId)
                    .filter(company_technology::Column::TechnologyId.is_in(chunk.clone()))
                    .into_tuple()
                    .all(db)
                    .await?
            }
            EntityKind::Programme => {
                company_programme::Entity::find()
                    .select_only()
                    .column(company_programme::Column::CompanyId)
                    .filter(company_programme::Column::ProgrammeId.is_in(chunk.clone()))
                    .into_tuple()
                    .all(db)
                    .await?
            }
            EntityKind::Organisation => {
                let mut ids: Vec<i32> = company_membership::Entity::find()
                    .select_only()
                    .column(company_membership::Column::CompanyId)
                    .filter(company_membership::Column::OrganisationId.is_in(chunk.clone()))
                    .into_tuple()
                    .all(db)
                    .await?;
                let hosted: Vec<i32> = company::Entity::find()
                    .select_only()
                    .column(company::Column::Id)
                    .filter(company::Column::SiteId.is_in(chunk.clone()))
                    .into_tuple()
                    .all(db)
                    .await?;
                ids.extend(hosted);
                let operated: Vec<i32> = programme::Entity::find()
                    .select_only()
                    .column(programme::Column::Id)
                    .filter(programme::Column::OperatorId.is_in(chunk.clone()))
                    .into_tuple()
                    .all(db)
                    .await?;
                out.extend(operated.into_iter().map(|id| (EntityKind::Programme, id)));
                let people: Vec<i32> = person_role::Entity::find()
                    .select_only()
                    .column(person_role::Column::PersonId)
                    .filter(person_role::Column::OrganisationId.is_in(chunk.clone()))
                    .distinct()
                    .into_tuple()
                    .all(db)
                    .await?;
                out.extend(people.into_iter().map(|id| (EntityKind::Person, id)));
                ids
            }
            EntityKind::Person | EntityKind::Event => Vec::new(),
        };
        out.extend(companies.into_iter().map(|id| (EntityKind::Company, id)));
        out.extend(events_showing(db, kind, &chunk).await?.into_iter().map(|id| (EntityKind::Event, id)));
    }
    Ok(out)
}

/// The events whose documents show the given entities: as site, organiser or participant.
async fn events_showing(db: &impl ConnectionTrait, kind: EntityKind, ids: &[i32]) -> Result<Vec<i32>> {
    macro_rules! linked {
        ($link:ident, $col:ident) => {
            $link::Entity::find()
                .select_only()
                .column($link::Column::EventId)
                .filter($link::Column::$col.is_in(ids.to_vec()))
                .into_tuple::<i32>()
                .all(db)
                .await?
        };
    }
    let mut events = match kind {
        EntityKind::Organisation => {
            let mut events = linked!(event_organiser, OrganisationId);
            events.extend(linked!(event_organisation, OrganisationId));
            events.extend(
                event::Entity::find()
                    .select_only()
                    .column(event::Column::Id)
                    .filter(event::Column::SiteId.is_in(ids.to_vec()))
                    .into_tuple::<i32>()
                    .all(db)
                    .await?,
            );
            events
        }
        EntityKind::Company => linked!(event_company, CompanyId),
        EntityKind::Person => linked!(event_person, PersonId),
        EntityKind::Technology | EntityKind::Programme | EntityKind::Event => Vec::new(),
    };
    events.sort_unstable();
    events.dedup();
    Ok(events)
}

/// Loads the documents of the given entities; ids that no longer exist are left out.
pub async fn load(db: &impl ConnectionTrait, kind: EntityKind, ids: &[i32]) -> Result<Vec<SearchDoc>> {
    let mut docs = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        let chunk = chunk.to_vec();
        docs.extend(match kind {
            EntityKind::Company => companies(db, chunk).await?,
            EntityKind::Technology => technologies(db, chunk).await?,
            EntityKind::Programme => programmes(db, chunk).await?,
            EntityKind::Organisation => organisations(db, chunk).await?,
            EntityKind::Person => people(db, chunk).await?,
            EntityKind::Event => events(db, chunk).await?,
        });
    }
    Ok(docs)
}

impl SearchDoc {
    /// The document of an entity, with what every entity has.
    fn of(kind: EntityKind, header: Header) -> SearchDoc {
        SearchDoc {
            kind: Some(kind),
            id: header.id,
            slug: header.slug,
            name: header.name,
            aliases: header.aliases,
            description: header.description,
            lang: Some(header.lang),
            translations: header.translations,
            ..SearchDoc::default()
        }
    }
}

/// Technologies: the number of companies working on them breaks ties.
async fn technologies(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<Vec<SearchDoc>> {
    use company_technology::Column as L;
    let links = counts(db, company_technology::Entity, L::TechnologyId, L::CompanyId, &ids).await?;
    let rows = batch::by_ids::<Technology>(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|m| SearchDoc {
            links: links.get(&m.header.id).copied().unwrap_or_default(),
            domains: vec![m.domain.as_str()],
            technologies: vec![m.header.slug.clone()],
            ..SearchDoc::of(EntityKind::Technology, m.header)
        })
        .collect())
}

/// Programmes: their operator's name is a related word.
async fn programmes(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<Vec<SearchDoc>> {
    use company_programme::Column as L;
    let links = counts(db, company_programme::Entity, L::ProgrammeId, L::CompanyId, &ids).await?;
    let rows = batch::by_ids::<Programme>(db, &ids).await?;
    let operators = names_by_id(db, rows.iter().filter_map(|m| m.operator_id).collect()).await?;
    Ok(rows
        .into_iter()
        .map(|m| SearchDoc {
            links: links.get(&m.header.id).copied().unwrap_or_default(),
            related: m
                .operator_id
                .and_then(|id| operators.get(&id))
                .map(|(_, name)| name.clone())
                .into_iter()
                .collect(),
            stages: m.eligible_stages.iter().map(|s| s.as_str()).collect(),
            programme_kinds: vec![m.kind.as_str()],
            ..SearchDoc::of(EntityKind::Programme, m.header)
        })
        .collect())
}

/// Organisations: their members and hosted companies count as links.
async fn organisations(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<Vec<SearchDoc>> {
    use company_membership::Column as L;
    let members = counts(db, company_membership::Entity, L::OrganisationId, L::CompanyId, &ids).await?;
    let hosted = counts(db, company::Entity, company::Column::SiteId, company::Column::Id, &ids).await?;
    let rows = batch::by_ids::<Organisation>(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let id = m.header.id;
            SearchDoc {
                links: members.get(&id).copied().unwrap_or_default() + hosted.get(&id).copied().unwrap_or_default(),
                organisation_kind: Some(m.kind.as_str()),
                city: m.city,
                ..SearchDoc::of(EntityKind::Organisation, m.header)
            }
        })
        .collect())
}

/// People: their roles' titles and organisations are related words.
async fn people(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<Vec<SearchDoc>> {
    let rows = batch::by_ids::<Person>(db, &ids).await?;
    let roles = person_role::Entity::find()
        .filter(person_role::Column::PersonId.is_in(ids))
        .order_by_asc(person_role::Column::PersonId)
        .order_by_asc(person_role::Column::Position)
        .all(db)
        .await?;
    let orgs = names_by_id(db, roles.iter().map(|r| r.organisation_id).collect()).await?;
    let mut docs: HashMap<i32, SearchDoc> =
        rows.into_iter().map(|m| (m.header.id, SearchDoc::of(EntityKind::Person, m.header))).collect();
    for role in roles {
        let Some(doc) = docs.get_mut(&role.person_id) else { continue };
        doc.related.push(role.title);
        // Not the `membership` facet: search filters keep meaning "companies belonging to".
        if let Some((_, name)) = orgs.get(&role.organisation_id) {
            doc.links += 1;
            doc.related.push(name.clone());
        }
    }
    Ok(docs.into_values().collect())
}

/// Events: the names of their site, organisers and participants, and their dates in words
/// ("22 juin 2022", "June 2022"), are related words.
async fn events(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<Vec<SearchDoc>> {
    let rows = batch::by_ids::<Event>(db, &ids).await?;
    macro_rules! links {
        ($link:ident, $col:ident) => {
            $link::Entity::find()
                .select_only()
                .columns([$link::Column::EventId, $link::Column::$col])
                .filter($link::Column::EventId.is_in(ids.clone()))
                .into_tuple::<(i32, i32)>()
                .all(db)
                .await?
        };
    }
    let organisers = links!(event_organiser, OrganisationId);
    let participants = links!(event_organisation, OrganisationId);
    let companies = links!(event_company, CompanyId);
    let people = links!(event_person, PersonId);
    let org_ids = organisers.iter().chain(&participants).map(|l| l.1).chain(rows.iter().filter_map(|m| m.site_id));
    let orgs = names_by_id(db, org_ids.collect()).await?;
    let company_names =
        names_of::<company::Entity>(db, (company::Column::Id, company::Column::Name), companies.iter().map(|l| l.1))
            .await?;
    let person_names =
        names_of::<person::Entity>(db, (person::Column::Id, person::Column::Name), people.iter().map(|l| l.1)).await?;
    let mut docs: HashMap<i32, SearchDoc> = rows
        .into_iter()
        .map(|m| {
            let id = m.header.id;
            let mut doc = SearchDoc::of(EntityKind::Event, m.header);
            // Not the `site` facet: search filters keep meaning "the organisations hosting companies".
            if let Some((_, name)) = m.site_id.and_then(|id| orgs.get(&id)) {
                doc.related.push(name.clone());
            }
            doc.related.extend(super::words::date_words(m.date, m.end_date));
            (id, doc)
        })
        .collect();
    for (event, org) in organisers.into_iter().chain(participants) {
        let (Some(doc), Some((_, name))) = (docs.get_mut(&event), orgs.get(&org)) else { continue };
        doc.links += 1;
        doc.related.push(name.clone());
    }
    for (event, company) in companies {
        let (Some(doc), Some(name)) = (docs.get_mut(&event), company_names.get(&company)) else { continue };
        doc.links += 1;
        doc.related.push(name.clone());
    }
    for (event, person) in people {
        let (Some(doc), Some(name)) = (docs.get_mut(&event), person_names.get(&person)) else { continue };
        doc.links += 1;
        doc.related.push(name.clone());
    }
    Ok(docs.into_values().collect())
}

/// How many rows of a link table point at each of `ids` through `by`.
async fn counts<E: EntityTrait>(
    db: &impl ConnectionTrait,
    _: E,
    by: E::Column,
    counted: E::Column,
    ids: &[i32],
) -> Result<HashMap<i32, u64>> {
    let rows: Vec<(i32, i64)> = E::find()
        .select_only()
        .column(by)
        .column_as(counted.count(), "n")
        .filter(by.is_in(ids.to_vec()))
        .group_by(by)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, n)| (id, n.max(0) as u64)).collect())
}

/// Organisation id to (slug, name).
/// The names of the entities of `E` with these ids, in one statement.
async fn names_of<E: EntityTrait>(
    db: &impl ConnectionTrait,
    (id, name): (E::Column, E::Column),
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, String>> {
    let rows: Vec<(i32, String)> =
        E::find().select_only().columns([id, name]).filter(id.is_in(ids)).into_tuple().all(db).await?;
    Ok(rows.into_iter().collect())
}

async fn names_by_id(db: &impl ConnectionTrait, mut ids: Vec<i32>) -> Result<HashMap<i32, (String, String)>> {
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<(i32, String, String)> = organisation::Entity::find()
        .select_only()
        .columns([organisation::Column::Id, organisation::Column::Slug, organisation::Column::Name])
        .filter(organisation::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, slug, name)| (id, (slug, name))).collect())
}

/// The columns of a company its document shows: not its sources, dates, figures or hash.
#[derive(DerivePartialModel)]
#[sea_orm(entity = "company::Entity")]
struct CompanyRow {
    id: i32,
    slug: String,
    name: String,
    description: Option<String>,
    lang: Lang,
    aliases: serde_json::Value,
    translations: serde_json::Value,
    stage: entity::CompanyStage,
    city: Option<String>,
    site_id: Option<i32>,
}

/// The columns of a technology its companies' documents show.
#[derive(DerivePartialModel)]
#[sea_orm(entity = "technology::Entity")]
struct TechnologyRow {
    id: i32,
    slug: String,
    name: String,
    aliases: serde_json::Value,
    domain: entity::TechnologyDomain,
}

/// Companies: the names of their technologies (and the aliases), programmes, memberships and
/// site are related words, and their slugs and kinds are facets. Only the columns shown are read:
/// a rebuild reads every company.
async fn companies(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<Vec<SearchDoc>> {
    use {company_membership::Column as CM, company_programme::Column as CP, company_technology::Column as CT};
    let rows: Vec<CompanyRow> =
        company::Entity::find().filter(company::Column::Id.is_in(ids.clone())).into_partial_model().all(db).await?;
    let tech_links = batch::pairs::<company_technology::Entity>(db, (CT::CompanyId, CT::TechnologyId), &ids).await?;
    let mut techs: HashMap<i32, (String, String, Vec<String>, entity::TechnologyDomain)> = HashMap::new();
    for t in technology::Entity::find()
        .filter(technology::Column::Id.is_in(batch::targets(&tech_links)))
        .into_partial_model::<TechnologyRow>()
        .all(db)
        .await?
    {
        let aliases = decode(t.aliases, "technology", t.id, "aliases")?;
        techs.insert(t.id, (t.slug, t.name, aliases, t.domain));
    }
    let prog_links = batch::pairs::<company_programme::Entity>(db, (CP::CompanyId, CP::ProgrammeId), &ids).await?;
    let progs: HashMap<i32, (String, String, entity::ProgrammeKind)> = programme::Entity::find()
        .select_only()
        .columns([programme::Column::Id, programme::Column::Slug, programme::Column::Name, programme::Column::Kind])
        .filter(programme::Column::Id.is_in(batch::targets(&prog_links)))
        .into_tuple::<(i32, String, String, entity::ProgrammeKind)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, slug, name, kind)| (id, (slug, name, kind)))
        .collect();
    let member_links =
        batch::pairs::<company_membership::Entity>(db, (CM::CompanyId, CM::OrganisationId), &ids).await?;
    let org_ids = member_links.iter().map(|l| l.1).chain(rows.iter().filter_map(|m| m.site_id)).collect();
    let orgs = names_by_id(db, org_ids).await?;

    let mut docs: HashMap<i32, SearchDoc> = HashMap::with_capacity(rows.len());
    for m in rows {
        let mut doc = SearchDoc {
            kind: Some(EntityKind::Company),
            id: m.id,
            aliases: decode(m.aliases, "company", m.id, "aliases")?,
            translations: decode(m.translations, "company", m.id, "translations")?,
            slug: m.slug,
            name: m.name,
            description: m.description,
            lang: Some(m.lang),
            stages: vec![m.stage.as_str()],
            city: m.city,
            ..SearchDoc::default()
        };
        if let Some((slug, name)) = m.site_id.and_then(|id| orgs.get(&id)) {
            doc.site = Some(slug.clone());
            doc.related.push(name.clone());
        }
        docs.insert(m.id, doc);
    }
    for (company, tech) in tech_links {
        let (Some(doc), Some((slug, name, aliases, domain))) = (docs.get_mut(&company), techs.get(&tech)) else {
            continue;
        };
        doc.links += 1;
        doc.related.push(name.clone());
        doc.related.extend(aliases.iter().cloned());
        doc.domains.push(domain.as_str());
        doc.technologies.push(slug.clone());
    }
    for (company, prog) in prog_links {
        let (Some(doc), Some((slug, name, kind))) = (docs.get_mut(&company), progs.get(&prog)) else { continue };
        doc.links += 1;
        doc.related.push(name.clone());
        doc.programmes.push(slug.clone());
        doc.programme_kinds.push(kind.as_str());
    }
    for (company, org) in member_links {
        let (Some(doc), Some((slug, name))) = (docs.get_mut(&company), orgs.get(&org)) else { continue };
        doc.links += 1;
        doc.related.push(name.clone());
        doc.memberships.push(slug.clone());
    }
    Ok(docs.into_values().collect())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use migration::{Migrator, MigratorTrait};
    use sea_orm::Database;

    use super::*;
    use crate::kb::{Document, ImportOptions};

    /// Past [`WHOLE_TABLES`] companies, the dependents read from whole tables hold every one of
    /// those found company by company, the events showing them included.
    #[tokio::test]
    async fn whole_table_dependents_hold_those_found_company_by_company() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::connect(format!("sqlite://{}?mode=rwc", dir.path().join("kb.db").display())).await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        let document = Document::parse(include_str!("../../seed/knowledge-base.json")).unwrap();
        crate::kb::write_document(&db, &document, ImportOptions::default(), &(), None).await.unwrap();

        let companies = ids_after(&db, EntityKind::Company, 0, 1_000).await.unwrap();
        let exact = dependents(&db, EntityKind::Company, &companies).await.unwrap();
        for kind in [EntityKind::Technology, EntityKind::Organisation, EntityKind::Event] {
            assert!(exact.iter().any(|(k, _)| *k == kind), "the seed's companies show in a {kind:?}: {exact:?}");
        }
        // As many companies as a large write touches: ids past the last one, which exist in no table.
        let many: Vec<i32> =
            companies.iter().copied().chain((1..=WHOLE_TABLES as i32).map(|i| 1_000_000 + i)).collect();
        let whole: HashSet<(EntityKind, i32)> =
            dependents(&db, EntityKind::Company, &many).await.unwrap().into_iter().collect();
        assert!(exact.iter().all(|d| whole.contains(d)), "{exact:?} in {whole:?}");
    }
}
