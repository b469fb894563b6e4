//! Reading the knowledge base back as drafts: the whole of it as a document, in a stable order.

use std::collections::HashMap;

use entity::{
    company, company_membership, company_programme, company_technology, event, event_company, event_organisation,
    event_organiser, event_person, organisation, person, person_role, programme, technology,
};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IsolationLevel, QueryOrder,
    TransactionTrait,
};

use super::document::Document;
use super::draft::{
    CompanyDraft, EventDraft, OrganisationDraft, PersonDraft, ProgrammeDraft, RoleDraft, Source, TechnologyDraft,
    Translation,
};
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
    let organisations = organisation::Entity::find().order_by_asc(organisation::Column::Slug).all(db).await?;
    let technologies = technology::Entity::find().order_by_asc(technology::Column::Slug).all(db).await?;
    let programmes = programme::Entity::find().order_by_asc(programme::Column::Slug).all(db).await?;
    let companies = company::Entity::find().order_by_asc(company::Column::Slug).all(db).await?;
    let people = person::Entity::find().order_by_asc(person::Column::Slug).all(db).await?;
    let events = event::Entity::find().order_by_asc(event::Column::Slug).all(db).await?;
    let company_slugs: HashMap<i32, String> = companies.iter().map(|m| (m.id, m.slug.clone())).collect();
    let person_slugs: HashMap<i32, String> = people.iter().map(|m| (m.id, m.slug.clone())).collect();

    let org_slugs: HashMap<i32, String> = organisations.iter().map(|m| (m.id, m.slug.clone())).collect();
    let tech_slugs: HashMap<i32, String> = technologies.iter().map(|m| (m.id, m.slug.clone())).collect();
    let prog_slugs: HashMap<i32, String> = programmes.iter().map(|m| (m.id, m.slug.clone())).collect();

    let mut techs_of: HashMap<i32, Vec<String>> = HashMap::new();
    for link in company_technology::Entity::find().all(db).await? {
        techs_of.entry(link.company_id).or_default().extend(tech_slugs.get(&link.technology_id).cloned());
    }
    let mut progs_of: HashMap<i32, Vec<String>> = HashMap::new();
    for link in company_programme::Entity::find().all(db).await? {
        progs_of.entry(link.company_id).or_default().extend(prog_slugs.get(&link.programme_id).cloned());
    }
    let mut members_of: HashMap<i32, Vec<String>> = HashMap::new();
    for link in company_membership::Entity::find().all(db).await? {
        members_of.entry(link.company_id).or_default().extend(org_slugs.get(&link.organisation_id).cloned());
    }
    let slug = |slugs: &HashMap<i32, String>, id: Option<i32>| id.and_then(|id| slugs.get(&id).cloned());
    let mut roles_of: HashMap<i32, Vec<person_role::Model>> = HashMap::new();
    for role in person_role::Entity::find()
        .order_by_asc(person_role::Column::PersonId)
        .order_by_asc(person_role::Column::Position)
        .all(db)
        .await?
    {
        roles_of.entry(role.person_id).or_default().push(role);
    }
    let people = people
        .into_iter()
        .map(|m| {
            let roles = roles_of.remove(&m.id).unwrap_or_default();
            person_draft(m, roles, &org_slugs)
        })
        .collect();

    let mut links = EventLinks::default();
    for link in event_organiser::Entity::find().all(db).await? {
        links.organisers.entry(link.event_id).or_default().extend(org_slugs.get(&link.organisation_id).cloned());
    }
    for link in event_company::Entity::find().all(db).await? {
        links.companies.entry(link.event_id).or_default().extend(company_slugs.get(&link.company_id).cloned());
    }
    for link in event_person::Entity::find().all(db).await? {
        links.people.entry(link.event_id).or_default().extend(person_slugs.get(&link.person_id).cloned());
    }
    for link in event_organisation::Entity::find().all(db).await? {
        links.organisations.entry(link.event_id).or_default().extend(org_slugs.get(&link.organisation_id).cloned());
    }
    let events = events
        .into_iter()
        .map(|m| {
            let site = slug(&org_slugs, m.site_id);
            let id = m.id;
            event_draft(m, site, links.take(id))
        })
        .collect();

    Ok(Document::new(
        organisations.into_iter().map(organisation_draft).collect(),
        technologies
            .into_iter()
            .map(|m| {
                let parent = slug(&tech_slugs, m.parent_id);
                technology_draft(m, parent)
            })
            .collect(),
        programmes
            .into_iter()
            .map(|m| {
                let operator = slug(&org_slugs, m.operator_id);
                programme_draft(m, operator, &org_slugs)
            })
            .collect(),
        companies
            .into_iter()
            .map(|m| {
                let site = slug(&org_slugs, m.site_id);
                let technologies = techs_of.remove(&m.id).unwrap_or_default();
                let programmes = progs_of.remove(&m.id).unwrap_or_default();
                let memberships = members_of.remove(&m.id).unwrap_or_default();
                company_draft(m, site, technologies, programmes, memberships)
            })
            .collect(),
    )
    .with_people(people)
    .with_events(events))
}

/// The slugs an event links to, by event id.
#[derive(Default)]
pub struct EventLinks {
    pub organisers: HashMap<i32, Vec<String>>,
    pub companies: HashMap<i32, Vec<String>>,
    pub people: HashMap<i32, Vec<String>>,
    pub organisations: HashMap<i32, Vec<String>>,
}

/// The lists of one event: organisers, companies, people, organisations.
pub type EventLists = [Vec<String>; 4];

impl EventLinks {
    fn take(&mut self, id: i32) -> EventLists {
        [
            self.organisers.remove(&id).unwrap_or_default(),
            self.companies.remove(&id).unwrap_or_default(),
            self.people.remove(&id).unwrap_or_default(),
            self.organisations.remove(&id).unwrap_or_default(),
        ]
    }
}

/// An event's draft; link lists are sorted.
pub fn event_draft(m: event::Model, site: Option<String>, lists: EventLists) -> EventDraft {
    let [mut organisers, mut companies, mut people, mut organisations] = lists;
    for list in [&mut organisers, &mut companies, &mut people, &mut organisations] {
        list.sort();
    }
    EventDraft {
        date: m.date,
        end_date: m.end_date,
        site,
        organisers,
        companies,
        people,
        organisations,
        slug: m.slug,
        name: m.name,
        description: m.description,
        lang: m.lang,
        website: m.website,
        sources: sources(m.sources),
        translations: translations(m.translations),
        aliases: aliases(m.aliases),
    }
}

/// Reads the `sources` column; it only ever holds what a checked draft wrote.
pub fn sources(value: serde_json::Value) -> Vec<Source> {
    serde_json::from_value(value).unwrap_or_default()
}

/// Reads a `translations` column; it only ever holds what a checked draft wrote.
pub fn translations(value: serde_json::Value) -> Vec<Translation> {
    serde_json::from_value(value).unwrap_or_default()
}

/// Reads an `aliases` column; it only ever holds what a checked draft wrote.
pub fn aliases(value: serde_json::Value) -> Vec<String> {
    serde_json::from_value(value).unwrap_or_default()
}

pub fn organisation_draft(m: organisation::Model) -> OrganisationDraft {
    OrganisationDraft {
        slug: m.slug,
        name: m.name,
        description: m.description,
        lang: m.lang,
        website: m.website,
        sources: sources(m.sources),
        translations: translations(m.translations),
        kind: m.kind,
        city: m.city,
        aliases: aliases(m.aliases),
    }
}

pub fn technology_draft(m: technology::Model, parent: Option<String>) -> TechnologyDraft {
    TechnologyDraft {
        parent,
        slug: m.slug,
        name: m.name,
        description: m.description,
        lang: m.lang,
        website: m.website,
        sources: sources(m.sources),
        translations: translations(m.translations),
        domain: m.domain,
        aliases: aliases(m.aliases),
    }
}

/// Ids stored as a JSON array; the column only ever holds what a checked draft wrote.
pub fn ids(value: &serde_json::Value) -> Vec<i32> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

/// A programme's draft; `org_slugs` holds at least the organisations its criteria name.
pub fn programme_draft(
    m: programme::Model,
    operator: Option<String>,
    org_slugs: &HashMap<i32, String>,
) -> ProgrammeDraft {
    let slugs = |value: &serde_json::Value| -> Vec<String> {
        ids(value).into_iter().filter_map(|id| org_slugs.get(&id).cloned()).collect()
    };
    ProgrammeDraft {
        operator,
        eligible_domains: serde_json::from_value(m.eligible_domains.clone()).unwrap_or_default(),
        eligible_sites: slugs(&m.eligible_site_ids),
        required_memberships: slugs(&m.required_membership_ids),
        slug: m.slug,
        name: m.name,
        description: m.description,
        lang: m.lang,
        website: m.website,
        sources: sources(m.sources),
        translations: translations(m.translations),
        kind: m.kind,
        eligible_stages: serde_json::from_value(m.eligible_stages).unwrap_or_default(),
        starts_on: m.starts_on,
        ends_on: m.ends_on,
        aliases: aliases(m.aliases),
    }
}

/// A company's draft; relation lists are sorted.
pub fn company_draft(
    m: company::Model,
    site: Option<String>,
    mut technologies: Vec<String>,
    mut programmes: Vec<String>,
    mut memberships: Vec<String>,
) -> CompanyDraft {
    technologies.sort();
    programmes.sort();
    memberships.sort();
    CompanyDraft {
        site,
        technologies,
        programmes,
        memberships,
        slug: m.slug,
        name: m.name,
        description: m.description,
        lang: m.lang,
        website: m.website,
        sources: sources(m.sources),
        translations: translations(m.translations),
        stage: m.stage,
        city: m.city,
        founded_year: m.founded_year,
        employees: m.employees,
        aliases: aliases(m.aliases),
    }
}

/// A person's draft; `roles` in their stored order, organisations as slugs.
pub fn person_draft(m: person::Model, roles: Vec<person_role::Model>, org_slugs: &HashMap<i32, String>) -> PersonDraft {
    PersonDraft {
        roles: roles
            .into_iter()
            .filter_map(|r| {
                Some(RoleDraft {
                    organisation: org_slugs.get(&r.organisation_id)?.clone(),
                    title: r.title,
                    since: r.since,
                    until: r.until,
                })
            })
            .collect(),
        slug: m.slug,
        name: m.name,
        description: m.description,
        lang: m.lang,
        website: m.website,
        sources: sources(m.sources),
        translations: translations(m.translations),
        aliases: aliases(m.aliases),
    }
}
