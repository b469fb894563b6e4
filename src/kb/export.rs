//! Reading the knowledge base back as drafts: the whole of it as a document, in a stable order.

use std::collections::HashMap;

use entity::{
    company_membership, company_programme, company_technology, event_company, event_organisation, event_organiser,
    event_person, mentor_technology, person_role,
};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IsolationLevel, QueryOrder,
    TransactionTrait,
};

use super::as_draft;
use super::document::Document;
use super::draft::PersonDraft;
use super::model::{self, Company, Event, Organisation, Person, Programme, Role, Stored, Technology};
use crate::error::Result;

/// Every entity, ordered by slug, with relations as sorted lists of slugs, read in one snapshot.
pub async fn export(db: &DatabaseConnection) -> Result<Document> {
    // SQLite's transactions read one snapshot already (and refuse these settings).
    let txn = match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?
        }
        _ => db.begin().await?,
    };
    let document = read_all(&txn).await?;
    txn.commit().await?;
    Ok(document)
}

async fn read_all(db: &impl ConnectionTrait) -> Result<Document> {
    let organisations: Vec<Organisation> = sorted_by_slug(db).await?;
    let technologies: Vec<Technology> = sorted_by_slug(db).await?;
    let programmes: Vec<Programme> = sorted_by_slug(db).await?;
    let companies: Vec<Company> = sorted_by_slug(db).await?;
    let people: Vec<Person> = sorted_by_slug(db).await?;
    let events: Vec<Event> = sorted_by_slug(db).await?;
    let org_slugs = slugs(&organisations);
    let tech_slugs = slugs(&technologies);
    let slug = |slugs: &HashMap<i32, String>, id: Option<i32>| id.and_then(|id| slugs.get(&id).cloned());

    let mut techs_of =
        links::<company_technology::Entity>(db, &tech_slugs, |l| (l.company_id, l.technology_id)).await?;
    let mut progs_of =
        links::<company_programme::Entity>(db, &slugs(&programmes), |l| (l.company_id, l.programme_id)).await?;
    let mut members_of =
        links::<company_membership::Entity>(db, &org_slugs, |l| (l.company_id, l.organisation_id)).await?;
    let mut organisers = links::<event_organiser::Entity>(db, &org_slugs, |l| (l.event_id, l.organisation_id)).await?;
    let mut companies_at =
        links::<event_company::Entity>(db, &slugs(&companies), |l| (l.event_id, l.company_id)).await?;
    let mut people_at = links::<event_person::Entity>(db, &slugs(&people), |l| (l.event_id, l.person_id)).await?;
    let mut orgs_at = links::<event_organisation::Entity>(db, &org_slugs, |l| (l.event_id, l.organisation_id)).await?;
    let take = |lists: &mut HashMap<i32, Vec<String>>, id: i32| lists.remove(&id).unwrap_or_default();

    let organisations = organisations.into_iter().map(as_draft::organisation).collect();
    let technologies = technologies
        .into_iter()
        .map(|m| {
            let parent = slug(&tech_slugs, m.parent_id);
            as_draft::technology(m, parent)
        })
        .collect();
    let programmes = programmes
        .into_iter()
        .map(|m| {
            let operator = slug(&org_slugs, m.operator_id);
            as_draft::programme(m, operator, &org_slugs)
        })
        .collect();
    let companies = companies
        .into_iter()
        .map(|m| {
            let (id, site) = (m.header.id, slug(&org_slugs, m.site_id));
            let lists = [take(&mut techs_of, id), take(&mut progs_of, id), take(&mut members_of, id)];
            as_draft::company(m, site, lists)
        })
        .collect();
    let people = people_drafts(db, people, &org_slugs, &tech_slugs).await?;
    let events = events
        .into_iter()
        .map(|m| {
            let (id, site) = (m.header.id, slug(&org_slugs, m.site_id));
            let lists = [
                take(&mut organisers, id),
                take(&mut companies_at, id),
                take(&mut people_at, id),
                take(&mut orgs_at, id),
            ];
            as_draft::event(m, site, lists)
        })
        .collect();
    Ok(Document::new(organisations, technologies, programmes, companies).with_people(people).with_events(events))
}

/// The people's drafts, with their roles and the technologies of their mentor offers.
async fn people_drafts(
    db: &impl ConnectionTrait,
    people: Vec<Person>,
    org_slugs: &HashMap<i32, String>,
    tech_slugs: &HashMap<i32, String>,
) -> Result<Vec<PersonDraft>> {
    let mut roles_of: HashMap<i32, Vec<Role>> = HashMap::new();
    let roles = person_role::Entity::find()
        .order_by_asc(person_role::Column::PersonId)
        .order_by_asc(person_role::Column::Position)
        .all(db)
        .await?;
    for role in roles {
        roles_of.entry(role.person_id).or_default().push(Role::from(role));
    }
    let mut known = links::<mentor_technology::Entity>(db, tech_slugs, |l| (l.person_id, l.technology_id)).await?;
    Ok(people
        .into_iter()
        .map(|m| {
            let roles = roles_of.remove(&m.header.id).unwrap_or_default();
            let technologies = known.remove(&m.header.id).unwrap_or_default();
            as_draft::person(m, roles, org_slugs, technologies)
        })
        .collect())
}

/// Every entity of a kind, by slug.
async fn sorted_by_slug<S: Stored>(db: &impl ConnectionTrait) -> Result<Vec<S>> {
    model::read_all(S::Entity::find().order_by_asc(S::slug_column()).all(db).await?)
}

fn slugs<S: Stored>(list: &[S]) -> HashMap<i32, String> {
    list.iter().map(|m| (m.header().id, m.header().slug.clone())).collect()
}

/// The slugs each owner links to through the link table `L`, whose rows `ends` reads as (owner, target).
async fn links<L: EntityTrait>(
    db: &impl ConnectionTrait,
    slugs: &HashMap<i32, String>,
    ends: impl Fn(&L::Model) -> (i32, i32),
) -> Result<HashMap<i32, Vec<String>>> {
    let mut out: HashMap<i32, Vec<String>> = HashMap::new();
    for link in L::find().all(db).await? {
        let (owner, target) = ends(&link);
        out.entry(owner).or_default().extend(slugs.get(&target).cloned());
    }
    Ok(out)
}
