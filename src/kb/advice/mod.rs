//! The park's three questions about a company, answered with reasons: which programmes it is
//! eligible for ([`eligibility`]), which companies of complementary size it should partner with
//! ([`partners`]), which organisations it should talk to ([`entry`]), and which experts could
//! mentor it ([`mentors`]).
//!
//! The rules are plain functions over [`Profile`]s and the [`Taxonomy`], tested without a
//! database; the services around them read what the rules need in a few batched statements.

pub mod eligibility;
pub mod entry;
pub mod mentors;
pub mod partners;

use std::collections::{HashMap, HashSet};

use entity::{
    CompanyStage, TechnologyDomain, company, company_membership, company_programme, company_technology, organisation,
    programme, technology,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::error::{AppError, Result};
use crate::kb::geo::{Point, own_point};

pub use eligibility::{Criterion, Eligibility, EligibilityCriterion};
pub use entry::EntryPoint;
pub use mentors::{MenteeSuggestion, MentorSuggestion};
pub use partners::PartnerSuggestion;

/// An entity the rules name in their sentences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    pub id: i32,
    pub slug: String,
    pub name: String,
}

/// A technology, as the rules see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tech {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub domain: TechnologyDomain,
    pub parent: Option<i32>,
}

/// Every technology, with its parent: what "a kind of" means.
#[derive(Clone, Debug, Default)]
pub struct Taxonomy {
    techs: HashMap<i32, Tech>,
}

impl Taxonomy {
    pub fn new(techs: impl IntoIterator<Item = Tech>) -> Taxonomy {
        Taxonomy { techs: techs.into_iter().map(|t| (t.id, t)).collect() }
    }

    pub fn get(&self, id: i32) -> Option<&Tech> {
        self.techs.get(&id)
    }

    /// The technologies above `id`, nearest first (bounded, should the stored taxonomy loop).
    pub fn ancestors(&self, id: i32) -> Vec<i32> {
        let mut out = Vec::new();
        let mut current = self.techs.get(&id).and_then(|t| t.parent);
        while let Some(parent) = current {
            if parent == id || out.contains(&parent) || out.len() > self.techs.len() {
                break;
            }
            out.push(parent);
            current = self.techs.get(&parent).and_then(|t| t.parent);
        }
        out
    }

    /// Whether `narrow` is below `broad`, at any depth.
    pub fn is_below(&self, narrow: i32, broad: i32) -> bool {
        self.ancestors(narrow).contains(&broad)
    }

    /// The technologies below any of `ids`, at any depth, `ids` left out.
    pub fn descendants(&self, ids: &[i32]) -> Vec<i32> {
        let mut found: Vec<i32> = Vec::new();
        let mut seen: HashSet<i32> = ids.iter().copied().collect();
        let mut frontier: Vec<i32> = ids.to_vec();
        while let Some(parent) = frontier.pop() {
            for t in self.techs.values().filter(|t| t.parent == Some(parent)) {
                if seen.insert(t.id) {
                    found.push(t.id);
                    frontier.push(t.id);
                }
            }
        }
        found.sort_unstable();
        found
    }
}

/// What the rules need to know of a company.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub id: i32,
    pub name: String,
    pub stage: CompanyStage,
    pub site: Option<Named>,
    /// Ids of its technologies (see the [`Taxonomy`]).
    pub technologies: Vec<i32>,
    pub memberships: Vec<Named>,
    pub programmes: Vec<Named>,
    /// Where it is: its own point, or else its host site's.
    pub point: Option<Point>,
}

impl Profile {
    /// The domains of its technologies, in declaration order, without repeats.
    pub fn domains(&self, taxonomy: &Taxonomy) -> Vec<TechnologyDomain> {
        let mut domains: Vec<TechnologyDomain> =
            self.technologies.iter().filter_map(|&t| taxonomy.get(t)).map(|t| t.domain).collect();
        domains.sort_unstable();
        domains.dedup();
        domains
    }
}

/// Today's date, as the rules on programme dates see it (UTC).
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// "A", "A and B", "A, B and C" (`word` is "and" or "or").
pub(crate) fn join(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} {word} {last}", rest.join(", ")),
    }
}

/// A domain in a sentence: "energy", "natural risks".
pub(crate) fn domain_words(domain: TechnologyDomain) -> String {
    domain.as_str().to_lowercase().replace('_', " ")
}

/// Every technology, for the rules that follow parents and children.
pub async fn taxonomy(db: &impl ConnectionTrait) -> Result<Taxonomy> {
    let rows: Vec<(i32, String, String, TechnologyDomain, Option<i32>)> = technology::Entity::find()
        .select_only()
        .columns([
            technology::Column::Id,
            technology::Column::Slug,
            technology::Column::Name,
            technology::Column::Domain,
            technology::Column::ParentId,
        ])
        .into_tuple()
        .all(db)
        .await?;
    Ok(Taxonomy::new(rows.into_iter().map(|(id, slug, name, domain, parent)| Tech { id, slug, name, domain, parent })))
}

/// Id, slug and name of the given organisations.
pub(crate) async fn organisations_named(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<HashMap<i32, Named>> {
    let mut ids = ids;
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i32, String, String)> = organisation::Entity::find()
        .select_only()
        .columns([organisation::Column::Id, organisation::Column::Slug, organisation::Column::Name])
        .filter(organisation::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, slug, name)| (id, Named { id, slug, name })).collect())
}

/// The points of those of the given organisations that have one.
async fn organisation_points(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<HashMap<i32, Point>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    use organisation::Column as O;
    let rows: Vec<(i32, Option<f64>, Option<f64>)> = organisation::Entity::find()
        .select_only()
        .columns([O::Id, O::Latitude, O::Longitude])
        .filter(O::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(id, latitude, longitude)| Some((id, own_point(latitude, longitude)?))).collect())
}

/// The profiles of the given companies (ids that do not exist are left out).
pub async fn profiles(db: &impl ConnectionTrait, ids: &[i32]) -> Result<HashMap<i32, Profile>> {
    let rows = company::Entity::find().filter(company::Column::Id.is_in(ids.to_vec())).all(db).await?;
    profiles_of(db, &rows).await
}

/// The profiles of the given company rows, in a fixed number of statements whatever their
/// number: their three kinds of links, then the names of what they link to.
pub async fn profiles_of(db: &impl ConnectionTrait, rows: &[company::Model]) -> Result<HashMap<i32, Profile>> {
    use {company_membership::Column as CM, company_programme::Column as CP, company_technology::Column as CT};
    let ids: Vec<i32> = rows.iter().map(|m| m.id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    use crate::kb::read::batch::{pairs, targets};
    let techs = pairs::<company_technology::Entity>(db, (CT::CompanyId, CT::TechnologyId), &ids).await?;
    let members = pairs::<company_membership::Entity>(db, (CM::CompanyId, CM::OrganisationId), &ids).await?;
    let progs = pairs::<company_programme::Entity>(db, (CP::CompanyId, CP::ProgrammeId), &ids).await?;
    let org_ids = members.iter().map(|l| l.1).chain(rows.iter().filter_map(|r| r.site_id)).collect();
    let orgs = organisations_named(db, org_ids).await?;
    let site_points = organisation_points(db, rows.iter().filter_map(|r| r.site_id).collect()).await?;
    let prog_ids = targets(&progs);
    let prog_names: HashMap<i32, Named> = if prog_ids.is_empty() {
        HashMap::new()
    } else {
        programme::Entity::find()
            .select_only()
            .columns([programme::Column::Id, programme::Column::Slug, programme::Column::Name])
            .filter(programme::Column::Id.is_in(prog_ids))
            .into_tuple::<(i32, String, String)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(id, slug, name)| (id, Named { id, slug, name }))
            .collect()
    };
    let mut out: HashMap<i32, Profile> = rows
        .iter()
        .map(|m| {
            let site = m.site_id.and_then(|s| orgs.get(&s).cloned());
            let point = own_point(m.latitude, m.longitude).or_else(|| site_points.get(&m.site_id?).copied());
            let profile = Profile {
                id: m.id,
                name: m.name.clone(),
                stage: m.stage,
                site,
                technologies: vec![],
                memberships: vec![],
                programmes: vec![],
                point,
            };
            (m.id, profile)
        })
        .collect();
    for (company, tech) in techs {
        if let Some(p) = out.get_mut(&company) {
            p.technologies.push(tech);
        }
    }
    for (company, org) in members {
        if let (Some(p), Some(o)) = (out.get_mut(&company), orgs.get(&org)) {
            p.memberships.push(o.clone());
        }
    }
    for (company, prog) in progs {
        if let (Some(p), Some(named)) = (out.get_mut(&company), prog_names.get(&prog)) {
            p.programmes.push(named.clone());
        }
    }
    for p in out.values_mut() {
        p.technologies.sort_unstable();
        p.memberships.sort_by(|a, b| a.name.cmp(&b.name));
        p.programmes.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(out)
}

/// The profile of one company; a missing one is `NOT_FOUND`.
pub async fn profile(db: &impl ConnectionTrait, id: i32) -> Result<Profile> {
    profiles(db, &[id]).await?.remove(&id).ok_or_else(|| AppError::NotFound("no company has this id".into()))
}

#[cfg(test)]
pub(crate) mod fixture {
    //! A small taxonomy and a few companies for the rules' unit tests.

    use super::*;

    pub fn named(id: i32, name: &str) -> Named {
        Named { id, slug: name.to_lowercase().replace(' ', "-"), name: name.into() }
    }

    /// 1 Photovoltaics > 2 Perovskite cells; 3 Batteries (energy); 4 Water treatment (water).
    pub fn taxonomy() -> Taxonomy {
        let tech = |id, name: &str, domain, parent| Tech {
            id,
            slug: name.to_lowercase().replace(' ', "-"),
            name: name.into(),
            domain,
            parent,
        };
        Taxonomy::new([
            tech(1, "Photovoltaics", TechnologyDomain::Energy, None),
            tech(2, "Perovskite cells", TechnologyDomain::Energy, Some(1)),
            tech(3, "Batteries", TechnologyDomain::Energy, None),
            tech(4, "Water treatment", TechnologyDomain::Water, None),
        ])
    }

    pub fn company(id: i32, name: &str, stage: CompanyStage, technologies: &[i32]) -> Profile {
        Profile {
            id,
            name: name.into(),
            stage,
            site: None,
            technologies: technologies.to_vec(),
            memberships: vec![],
            programmes: vec![],
            point: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_taxonomy_knows_ancestors_and_descendants() {
        let taxonomy = fixture::taxonomy();
        assert_eq!(taxonomy.ancestors(2), [1]);
        assert!(taxonomy.is_below(2, 1));
        assert!(!taxonomy.is_below(1, 2));
        assert_eq!(taxonomy.descendants(&[1]), [2]);
        assert!(taxonomy.descendants(&[3]).is_empty());
    }

    #[test]
    fn lists_read_as_sentences() {
        let words = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(join(&words(&["A"]), "and"), "A");
        assert_eq!(join(&words(&["A", "B"]), "or"), "A or B");
        assert_eq!(join(&words(&["A", "B", "C"]), "and"), "A, B and C");
        assert_eq!(domain_words(TechnologyDomain::NaturalRisks), "natural risks");
    }
}
