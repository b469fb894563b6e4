//! Reading the whole knowledge base back as a document, in a stable order.

use std::collections::HashMap;

use entity::{company, company_membership, company_programme, company_technology, organisation, programme, technology};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use super::document::Document;
use super::draft::{CompanyDraft, OrganisationDraft, ProgrammeDraft, Source, TechnologyDraft};
use crate::error::Result;

/// Every entity, ordered by slug, with relations as sorted lists of slugs.
pub async fn export(db: &impl ConnectionTrait) -> Result<Document> {
    let organisations = organisation::Entity::find().order_by_asc(organisation::Column::Slug).all(db).await?;
    let technologies = technology::Entity::find().order_by_asc(technology::Column::Slug).all(db).await?;
    let programmes = programme::Entity::find().order_by_asc(programme::Column::Slug).all(db).await?;
    let companies = company::Entity::find().order_by_asc(company::Column::Slug).all(db).await?;

    let org_slugs: HashMap<i32, String> = organisations.iter().map(|m| (m.id, m.slug.clone())).collect();
    let tech_slugs: HashMap<i32, String> = technologies.iter().map(|m| (m.id, m.slug.clone())).collect();
    let prog_slugs: HashMap<i32, String> = programmes.iter().map(|m| (m.id, m.slug.clone())).collect();

    let mut techs_of: HashMap<i32, Vec<String>> = HashMap::new();
    for link in company_technology::Entity::find().all(db).await? {
        techs_of.entry(link.company_id).or_default().push(tech_slugs[&link.technology_id].clone());
    }
    let mut progs_of: HashMap<i32, Vec<String>> = HashMap::new();
    for link in company_programme::Entity::find().all(db).await? {
        progs_of.entry(link.company_id).or_default().push(prog_slugs[&link.programme_id].clone());
    }
    let mut members_of: HashMap<i32, Vec<String>> = HashMap::new();
    for link in company_membership::Entity::find().all(db).await? {
        members_of.entry(link.company_id).or_default().push(org_slugs[&link.organisation_id].clone());
    }
    let sorted = |map: &mut HashMap<i32, Vec<String>>, id: i32| {
        let mut list = map.remove(&id).unwrap_or_default();
        list.sort();
        list
    };

    Ok(Document::new(
        organisations
            .into_iter()
            .map(|m| OrganisationDraft {
                slug: m.slug,
                name: m.name,
                description: m.description,
                lang: m.lang,
                website: m.website,
                sources: sources(m.sources),
                kind: m.kind,
                city: m.city,
            })
            .collect(),
        technologies
            .into_iter()
            .map(|m| TechnologyDraft {
                parent: m.parent_id.map(|id| tech_slugs[&id].clone()),
                slug: m.slug,
                name: m.name,
                description: m.description,
                lang: m.lang,
                website: m.website,
                sources: sources(m.sources),
                domain: m.domain,
                aliases: serde_json::from_value(m.aliases).unwrap_or_default(),
            })
            .collect(),
        programmes
            .into_iter()
            .map(|m| ProgrammeDraft {
                operator: m.operator_id.map(|id| org_slugs[&id].clone()),
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
            })
            .collect(),
        companies
            .into_iter()
            .map(|m| CompanyDraft {
                site: m.site_id.map(|id| org_slugs[&id].clone()),
                technologies: sorted(&mut techs_of, m.id),
                programmes: sorted(&mut progs_of, m.id),
                memberships: sorted(&mut members_of, m.id),
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
            })
            .collect(),
    ))
}

/// Reads the `sources` column; it only ever holds what a checked draft wrote.
pub fn sources(value: serde_json::Value) -> Vec<Source> {
    serde_json::from_value(value).unwrap_or_default()
}
