//! Reading the knowledge base back as drafts: the whole of it as a document, in a stable order.

use std::collections::HashMap;

use entity::{company, company_membership, company_programme, company_technology, organisation, programme, technology};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IsolationLevel, QueryOrder,
    TransactionTrait,
};

use super::document::Document;
use super::draft::{CompanyDraft, OrganisationDraft, ProgrammeDraft, Source, TechnologyDraft};
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
    ))
}

/// Reads the `sources` column; it only ever holds what a checked draft wrote.
pub fn sources(value: serde_json::Value) -> Vec<Source> {
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
        stage: m.stage,
        city: m.city,
        founded_year: m.founded_year,
        employees: m.employees,
        aliases: aliases(m.aliases),
    }
}
