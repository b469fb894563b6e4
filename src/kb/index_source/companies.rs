//! A company's document: the names of what it links to are related words, their slugs facets.

use std::collections::HashMap;

use entity::{
    EntityKind, Lang, company, company_membership, company_programme, company_technology, programme, technology,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DerivePartialModel, EntityTrait, QueryFilter, QuerySelect};

use super::{names_by_id, points, points_by_id, translated};
use crate::error::Result;
use crate::kb::geo::{Place, own_point};
use crate::kb::model::decode;
use crate::kb::read::batch;
use crate::search::SearchDoc;

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
    needs: serde_json::Value,
    latitude: Option<f64>,
    longitude: Option<f64>,
    places: serde_json::Value,
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

/// A technology as a company's document shows it: slug, name, aliases and domain.
type Technology = (String, String, Vec<String>, entity::TechnologyDomain);

async fn technologies(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<HashMap<i32, Technology>> {
    let mut techs = HashMap::with_capacity(ids.len());
    for t in technology::Entity::find()
        .filter(technology::Column::Id.is_in(ids))
        .into_partial_model::<TechnologyRow>()
        .all(db)
        .await?
    {
        let aliases = decode(t.aliases, "technology", t.id, "aliases")?;
        techs.insert(t.id, (t.slug, t.name, aliases, t.domain));
    }
    Ok(techs)
}

/// Companies: the names of their technologies (and the aliases), programmes, memberships and
/// site are related words, and their slugs and kinds are facets. Only the columns shown are read:
/// a rebuild reads every company.
pub(super) async fn companies(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<Vec<SearchDoc>> {
    use {company_membership::Column as CM, company_programme::Column as CP, company_technology::Column as CT};
    let rows: Vec<CompanyRow> =
        company::Entity::find().filter(company::Column::Id.is_in(ids.clone())).into_partial_model().all(db).await?;
    let tech_links = batch::pairs::<company_technology::Entity>(db, (CT::CompanyId, CT::TechnologyId), &ids).await?;
    let techs = technologies(db, batch::targets(&tech_links)).await?;
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
    let sites = points_by_id(db, rows.iter().filter_map(|m| m.site_id).collect()).await?;

    let mut docs: HashMap<i32, SearchDoc> = HashMap::with_capacity(rows.len());
    for m in rows {
        let needs: Vec<entity::Topic> = decode(m.needs, "company", m.id, "needs")?;
        let places: Vec<Place> = decode(m.places, "company", m.id, "places")?;
        // Its own point, or else its site's.
        let main = own_point(m.latitude, m.longitude).or_else(|| m.site_id.and_then(|id| sites.get(&id)).copied());
        let mut doc = SearchDoc {
            kind: Some(EntityKind::Company),
            mentoring: needs.into_iter().map(crate::search::mentors::need_term).collect(),
            id: m.id,
            aliases: decode(m.aliases, "company", m.id, "aliases")?,
            translations: translated(decode(m.translations, "company", m.id, "translations")?),
            slug: m.slug,
            name: m.name,
            description: m.description,
            lang: Some(m.lang),
            stages: vec![m.stage.as_str()],
            city: m.city,
            points: points(main, &places),
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
