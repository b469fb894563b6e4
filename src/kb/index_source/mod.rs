//! What the search index knows of each entity, read from the database in batches: the
//! services' side of [`crate::search::Source`].

mod companies;
mod dependents;

use std::collections::HashMap;

use entity::{
    EntityKind, company, company_membership, company_programme, company_technology, event, event_company,
    event_organisation, event_organiser, event_person, mentor_technology, organisation, person, person_role, programme,
    technology,
};
use futures_util::future::BoxFuture;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseExecutor, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

pub use dependents::{dependents, linked_by_companies};

use crate::error::Result;
use crate::kb::draft::Translation;
use crate::kb::geo::{Place, Point, own_point};
use crate::kb::model::{Event, Header, MentorOffer, Organisation, Person, Programme, Technology};
use crate::kb::read::batch;
use crate::search::mentors::Offered;
use crate::search::{SearchDoc, Source, Translated};

/// The knowledge base's tables, as the search index reads them.
#[derive(Clone, Copy, Debug, Default)]
pub struct IndexSource;

impl IndexSource {
    /// The source to open a [`crate::search::SearchIndex`] with.
    pub fn shared() -> std::sync::Arc<dyn Source> {
        std::sync::Arc::new(IndexSource)
    }
}

impl Source for IndexSource {
    fn ids_after<'a>(
        &'a self,
        db: &'a DatabaseExecutor<'a>,
        kind: EntityKind,
        after: i32,
        limit: u64,
    ) -> BoxFuture<'a, Result<Vec<i32>>> {
        Box::pin(ids_after(db, kind, after, limit))
    }

    fn load<'a>(
        &'a self,
        db: &'a DatabaseExecutor<'a>,
        kind: EntityKind,
        ids: &'a [i32],
    ) -> BoxFuture<'a, Result<Vec<SearchDoc>>> {
        Box::pin(load(db, kind, ids))
    }

    fn dependents<'a>(
        &'a self,
        db: &'a DatabaseExecutor<'a>,
        kind: EntityKind,
        ids: &'a [i32],
    ) -> BoxFuture<'a, Result<Vec<(EntityKind, i32)>>> {
        Box::pin(dependents(db, kind, ids))
    }
}

/// Ids of one kind, in order, after `after`: the pages of a rebuild.
pub async fn ids_after(db: &impl ConnectionTrait, kind: EntityKind, after: i32, limit: u64) -> Result<Vec<i32>> {
    match kind {
        EntityKind::Company => ids_of_after::<company::Entity>(db, company::Column::Id, after, limit).await,
        EntityKind::Technology => ids_of_after::<technology::Entity>(db, technology::Column::Id, after, limit).await,
        EntityKind::Programme => ids_of_after::<programme::Entity>(db, programme::Column::Id, after, limit).await,
        EntityKind::Organisation => {
            ids_of_after::<organisation::Entity>(db, organisation::Column::Id, after, limit).await
        }
        EntityKind::Person => ids_of_after::<person::Entity>(db, person::Column::Id, after, limit).await,
        EntityKind::Event => ids_of_after::<event::Entity>(db, event::Column::Id, after, limit).await,
    }
}

/// Up to `limit` ids (the column `id`) of the table of `E` after `after`, in order.
async fn ids_of_after<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: E::Column,
    after: i32,
    limit: u64,
) -> Result<Vec<i32>> {
    let query = E::find().select_only().column(id).filter(id.gt(after)).order_by_asc(id).limit(limit);
    Ok(query.into_tuple().all(db).await?)
}

/// Loads the documents of the given entities; ids that no longer exist are left out.
pub async fn load(db: &impl ConnectionTrait, kind: EntityKind, ids: &[i32]) -> Result<Vec<SearchDoc>> {
    let mut docs = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        let chunk = chunk.to_vec();
        docs.extend(match kind {
            EntityKind::Company => companies::companies(db, chunk).await?,
            EntityKind::Technology => technologies(db, chunk).await?,
            EntityKind::Programme => programmes(db, chunk).await?,
            EntityKind::Organisation => organisations(db, chunk).await?,
            EntityKind::Person => people(db, chunk).await?,
            EntityKind::Event => events(db, chunk).await?,
        });
    }
    Ok(docs)
}

/// The index's view of translations.
fn translated(translations: Vec<Translation>) -> Vec<Translated> {
    translations.into_iter().map(|t| Translated { lang: t.lang, name: t.name, description: t.description }).collect()
}

/// The document of an entity, with what every entity has.
fn doc_of(kind: EntityKind, header: Header) -> SearchDoc {
    SearchDoc {
        kind: Some(kind),
        id: header.id,
        slug: header.slug,
        name: header.name,
        aliases: header.aliases,
        description: header.description,
        lang: Some(header.lang),
        translations: translated(header.translations),
        ..SearchDoc::default()
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
            ..doc_of(EntityKind::Technology, m.header)
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
            ..doc_of(EntityKind::Programme, m.header)
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
                points: points(own_point(m.latitude, m.longitude), &m.places),
                city: m.city,
                ..doc_of(EntityKind::Organisation, m.header)
            }
        })
        .collect())
}

/// People: their roles' titles and organisations are related words.
async fn people(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<Vec<SearchDoc>> {
    let rows = batch::by_ids::<Person>(db, &ids).await?;
    let roles = person_role::Entity::find()
        .filter(person_role::Column::PersonId.is_in(ids.clone()))
        .order_by_asc(person_role::Column::PersonId)
        .order_by_asc(person_role::Column::Position)
        .all(db)
        .await?;
    let orgs = names_by_id(db, roles.iter().map(|r| r.organisation_id).collect()).await?;
    let mut docs: HashMap<i32, SearchDoc> = rows
        .into_iter()
        .map(|m| {
            let mut doc = doc_of(EntityKind::Person, m.header);
            if let Some(offer) = &m.mentor {
                offer_doc(&mut doc, offer);
            }
            (doc.id, doc)
        })
        .collect();
    for role in roles {
        let Some(doc) = docs.get_mut(&role.person_id) else { continue };
        doc.related.push(role.title);
        // Not the `membership` facet: search filters keep meaning "companies belonging to".
        if let Some((slug, name)) = orgs.get(&role.organisation_id) {
            doc.links += 1;
            doc.related.push(name.clone());
            if !doc.mentoring.is_empty() {
                doc.mentoring.push(Offered::Organisation(slug.clone()).term());
            }
        }
    }
    offered_technologies(db, &ids, &mut docs).await?;
    Ok(docs.into_values().collect())
}

/// What a mentor offer puts in its person's document: the words of its topics and domains, and
/// the terms mentor matching reads.
fn offer_doc(doc: &mut SearchDoc, offer: &MentorOffer) {
    doc.offer_topics = offer.topics.iter().map(|t| t.as_str()).collect();
    doc.offer_domains = offer.domains.iter().map(|d| d.as_str()).collect();
    let terms = std::iter::once(Offered::Mentor)
        .chain(offer.topics.iter().map(|t| Offered::Topic(*t)))
        .chain(offer.domains.iter().map(|d| Offered::Domain(*d)))
        .chain(offer.stages.iter().map(|s| Offered::Stage(*s)))
        .chain(offer.languages.iter().map(|l| Offered::Language(*l)));
    doc.mentoring = terms.map(|o| o.term()).collect();
}

/// The technologies mentors know: their names and aliases are related words, their slugs and
/// domains matching terms (the rules count a technology's domain as known).
async fn offered_technologies(
    db: &impl ConnectionTrait,
    ids: &[i32],
    docs: &mut HashMap<i32, SearchDoc>,
) -> Result<()> {
    use mentor_technology::Column as M;
    let links = batch::pairs::<mentor_technology::Entity>(db, (M::PersonId, M::TechnologyId), ids).await?;
    if links.is_empty() {
        return Ok(());
    }
    type Row = (i32, String, String, serde_json::Value, entity::TechnologyDomain);
    let rows: Vec<Row> = technology::Entity::find()
        .select_only()
        .columns([
            technology::Column::Id,
            technology::Column::Slug,
            technology::Column::Name,
            technology::Column::Aliases,
            technology::Column::Domain,
        ])
        .filter(technology::Column::Id.is_in(batch::targets(&links)))
        .into_tuple::<Row>()
        .all(db)
        .await?;
    let techs: HashMap<i32, Row> = rows.into_iter().map(|row| (row.0, row)).collect();
    for (person, tech) in links {
        let (Some(doc), Some((_, slug, name, aliases, domain))) = (docs.get_mut(&person), techs.get(&tech)) else {
            continue;
        };
        let aliases: Vec<String> = crate::kb::model::decode(aliases.clone(), "technology", tech, "aliases")?;
        doc.related.push(name.clone());
        doc.related.extend(aliases);
        doc.mentoring.push(Offered::Technology(slug.clone()).term());
        if !doc.offer_domains.contains(&domain.as_str()) {
            doc.offer_domains.push(domain.as_str());
            doc.mentoring.push(Offered::Domain(*domain).term());
        }
    }
    Ok(())
}

/// Events: the names of their site, organisers and participants, and their dates in words
/// ("22 juin 2022", "June 2022"), are related words.
async fn events(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<Vec<SearchDoc>> {
    let rows = batch::by_ids::<Event>(db, &ids).await?;
    use event_person::Column as EP;
    use {event_company::Column as EC, event_organisation::Column as EO, event_organiser::Column as ER};
    let organisers = batch::pairs::<event_organiser::Entity>(db, (ER::EventId, ER::OrganisationId), &ids).await?;
    let participants = batch::pairs::<event_organisation::Entity>(db, (EO::EventId, EO::OrganisationId), &ids).await?;
    let companies = batch::pairs::<event_company::Entity>(db, (EC::EventId, EC::CompanyId), &ids).await?;
    let people = batch::pairs::<event_person::Entity>(db, (EP::EventId, EP::PersonId), &ids).await?;
    let org_ids = organisers.iter().chain(&participants).map(|l| l.1).chain(rows.iter().filter_map(|m| m.site_id));
    let orgs = names_by_id(db, org_ids.collect()).await?;
    let sites = points_by_id(db, rows.iter().filter_map(|m| m.site_id).collect()).await?;
    let company_names =
        names_of::<company::Entity>(db, (company::Column::Id, company::Column::Name), companies.iter().map(|l| l.1))
            .await?;
    let person_names =
        names_of::<person::Entity>(db, (person::Column::Id, person::Column::Name), people.iter().map(|l| l.1)).await?;
    let mut docs: HashMap<i32, SearchDoc> = rows
        .into_iter()
        .map(|m| {
            let id = m.header.id;
            let mut doc = doc_of(EntityKind::Event, m.header);
            // Not the `site` facet: search filters keep meaning "the organisations hosting companies".
            if let Some((_, name)) = m.site_id.and_then(|id| orgs.get(&id)) {
                doc.related.push(name.clone());
            }
            doc.related.extend(crate::search::date_words(m.date, m.end_date));
            // An event is where its site is.
            doc.points = m.site_id.and_then(|id| sites.get(&id)).copied().into_iter().collect();
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
pub(super) async fn counts<E: EntityTrait>(
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

/// The names of the entities of `E` with these ids, in one statement.
pub(super) async fn names_of<E: EntityTrait>(
    db: &impl ConnectionTrait,
    (id, name): (E::Column, E::Column),
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, String>> {
    let rows: Vec<(i32, String)> =
        E::find().select_only().columns([id, name]).filter(id.is_in(ids)).into_tuple().all(db).await?;
    Ok(rows.into_iter().collect())
}

/// Organisation id to (slug, name).
pub(super) async fn names_by_id(
    db: &impl ConnectionTrait,
    mut ids: Vec<i32>,
) -> Result<HashMap<i32, (String, String)>> {
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

/// The main points of the given organisations that have one: what the companies they host
/// without a point of their own, and the events held there, are found at.
pub(super) async fn points_by_id(db: &impl ConnectionTrait, mut ids: Vec<i32>) -> Result<HashMap<i32, Point>> {
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<(i32, Option<f64>, Option<f64>)> = organisation::Entity::find()
        .select_only()
        .columns([organisation::Column::Id, organisation::Column::Latitude, organisation::Column::Longitude])
        .filter(organisation::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(id, latitude, longitude)| Some((id, own_point(latitude, longitude)?))).collect())
}

/// An entity's points as the index keeps them: its main point, then its other places.
pub(super) fn points(main: Option<Point>, places: &[Place]) -> Vec<Point> {
    main.into_iter().chain(places.iter().map(Place::point)).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use migration::{Migrator, MigratorTrait};
    use sea_orm::Database;

    use super::dependents::WHOLE_TABLES;
    use super::*;
    use crate::kb::{Document, ImportOptions};

    /// Past [`WHOLE_TABLES`] companies, the dependents read from whole tables hold every one of
    /// those found company by company, the events showing them included.
    #[tokio::test]
    async fn whole_table_dependents_hold_those_found_company_by_company() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::connect(format!("sqlite://{}?mode=rwc", dir.path().join("kb.db").display())).await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        let document = Document::parse(crate::kb::SEED).unwrap();
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
