//! Which aids: whether a company meets each criterion of a programme, and why.

use chrono::NaiveDate;
use entity::{CompanyStage, TechnologyDomain, company, company_membership, company_technology, programme, technology};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait};

use super::{Named, Profile, Taxonomy, join, organisations_named, profile, taxonomy};
use crate::error::Result;
use crate::kb::{model, read};

/// A criterion a programme may set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EligibilityCriterion {
    /// The company's stage must be one of `eligibleStages`.
    Stage,
    /// One of the company's technologies must be in one of `eligibleDomains`.
    Domain,
    /// The company must be hosted by one of `eligibleSites`.
    Site,
    /// The company must belong to one of `requiredMemberships`.
    Membership,
    /// The programme must not have ended (`endsOn` is today or later, or not set).
    Dates,
}

/// One criterion of a programme, checked for one company.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Criterion {
    /// Which criterion.
    pub name: EligibilityCriterion,
    /// Whether the company meets it. A criterion the programme leaves empty is met by every company.
    pub met: bool,
    /// What the programme asks and what the company has, in one English sentence,
    /// e.g. "open to STARTUP and SME; this company is LARGE_GROUP".
    pub detail: String,
}

/// A programme's criteria, with the organisations they name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Criteria {
    pub stages: Vec<CompanyStage>,
    pub domains: Vec<TechnologyDomain>,
    pub sites: Vec<Named>,
    pub memberships: Vec<Named>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

impl Criteria {
    /// The criteria stored on a programme; `orgs` holds at least the organisations they name.
    pub fn of(m: &model::Programme, orgs: &std::collections::HashMap<i32, Named>) -> Criteria {
        let named = |ids: &[i32]| ids.iter().filter_map(|id| orgs.get(id).cloned()).collect();
        Criteria {
            stages: m.eligible_stages.clone(),
            domains: m.eligible_domains.clone(),
            sites: named(&m.eligible_site_ids),
            memberships: named(&m.required_membership_ids),
            starts_on: m.starts_on,
            ends_on: m.ends_on,
        }
    }
}

/// Checks every criterion of a programme for a company, in a fixed order: stage, domain, site,
/// membership, dates.
pub fn assess(company: &Profile, taxonomy: &Taxonomy, criteria: &Criteria, today: NaiveDate) -> Vec<Criterion> {
    vec![
        stage(company, criteria),
        domain(company, taxonomy, criteria),
        site(company, criteria),
        membership(company, criteria),
        dates(criteria, today),
    ]
}

fn names(list: &[Named]) -> Vec<String> {
    list.iter().map(|n| n.name.clone()).collect()
}

fn stage(company: &Profile, criteria: &Criteria) -> Criterion {
    if criteria.stages.is_empty() {
        Criterion { name: EligibilityCriterion::Stage, met: true, detail: "open to every stage".into() }
    } else {
        let open: Vec<String> = criteria.stages.iter().map(|s| s.as_str().to_string()).collect();
        Criterion {
            name: EligibilityCriterion::Stage,
            met: criteria.stages.contains(&company.stage),
            detail: format!("open to {}; this company is {}", join(&open, "and"), company.stage.as_str()),
        }
    }
}

fn domain(company: &Profile, taxonomy: &Taxonomy, criteria: &Criteria) -> Criterion {
    if criteria.domains.is_empty() {
        Criterion { name: EligibilityCriterion::Domain, met: true, detail: "open to every technology domain".into() }
    } else {
        let open: Vec<String> = criteria.domains.iter().map(|d| d.as_str().to_string()).collect();
        let mut techs: Vec<_> = company.technologies.iter().filter_map(|&t| taxonomy.get(t)).collect();
        techs.sort_by(|a, b| a.name.cmp(&b.name));
        let described = |t: &&super::Tech| format!("{} ({})", t.name, t.domain.as_str());
        let matching: Vec<String> =
            techs.iter().filter(|t| criteria.domains.contains(&t.domain)).map(described).collect();
        let has = if !matching.is_empty() {
            format!("this company works on {}", join(&matching, "and"))
        } else if techs.is_empty() {
            "this company lists no technology".to_string()
        } else {
            format!("this company works on {}", join(&techs.iter().map(described).collect::<Vec<_>>(), "and"))
        };
        Criterion {
            name: EligibilityCriterion::Domain,
            met: !matching.is_empty(),
            detail: format!("open to {}; {has}", join(&open, "and")),
        }
    }
}

fn site(company: &Profile, criteria: &Criteria) -> Criterion {
    if criteria.sites.is_empty() {
        Criterion { name: EligibilityCriterion::Site, met: true, detail: "open to companies on any site".into() }
    } else {
        let met = company.site.as_ref().is_some_and(|site| criteria.sites.iter().any(|s| s.id == site.id));
        let has = match &company.site {
            Some(site) => format!("this company is hosted by {}", site.name),
            None => "this company has no host site".to_string(),
        };
        Criterion {
            name: EligibilityCriterion::Site,
            met,
            detail: format!("open to companies hosted by {}; {has}", join(&names(&criteria.sites), "or")),
        }
    }
}

fn membership(company: &Profile, criteria: &Criteria) -> Criterion {
    if criteria.memberships.is_empty() {
        Criterion { name: EligibilityCriterion::Membership, met: true, detail: "no membership required".into() }
    } else {
        let held: Vec<String> = company
            .memberships
            .iter()
            .filter(|m| criteria.memberships.iter().any(|r| r.id == m.id))
            .map(|m| m.name.clone())
            .collect();
        let has = if held.is_empty() {
            if criteria.memberships.len() == 1 {
                "this company is not a member".to_string()
            } else {
                "this company is a member of none of them".to_string()
            }
        } else {
            format!("this company is a member of {}", join(&held, "and"))
        };
        Criterion {
            name: EligibilityCriterion::Membership,
            met: !held.is_empty(),
            detail: format!("open to members of {}; {has}", join(&names(&criteria.memberships), "or")),
        }
    }
}

fn dates(criteria: &Criteria, today: NaiveDate) -> Criterion {
    match (criteria.starts_on, criteria.ends_on) {
        (_, Some(ends)) if ends < today => {
            Criterion { name: EligibilityCriterion::Dates, met: false, detail: format!("ended on {ends}") }
        }
        (Some(starts), ends) if starts > today => Criterion {
            name: EligibilityCriterion::Dates,
            met: true,
            detail: match ends {
                Some(ends) => format!("starts on {starts} and runs until {ends}"),
                None => format!("starts on {starts}"),
            },
        },
        (_, Some(ends)) => {
            Criterion { name: EligibilityCriterion::Dates, met: true, detail: format!("runs until {ends}") }
        }
        (_, None) => Criterion { name: EligibilityCriterion::Dates, met: true, detail: "has no end date".into() },
    }
}

/// Whether a company may join a programme, criterion by criterion.
#[derive(Clone, Debug, PartialEq)]
pub struct Eligibility {
    pub programme: model::Programme,
    /// Every criterion is met.
    pub eligible: bool,
    /// The company takes part in the programme already.
    pub participating: bool,
    pub criteria: Vec<Criterion>,
}

impl Eligibility {
    /// How many criteria the company misses.
    pub fn missing(&self) -> usize {
        self.criteria.iter().filter(|c| !c.met).count()
    }
}

/// Eligible programmes first, then those missing the fewest criteria, then by name.
pub fn rank(list: &mut [Eligibility]) {
    list.sort_by(|a, b| {
        b.eligible
            .cmp(&a.eligible)
            .then(a.missing().cmp(&b.missing()))
            .then_with(|| a.programme.header.name_key.cmp(&b.programme.header.name_key))
            .then(a.programme.header.id.cmp(&b.programme.header.id))
    });
}

/// Every programme, checked for one company and ranked (see [`rank`]).
#[tracing::instrument(skip(db))]
pub async fn eligible_programmes(
    db: &impl ConnectionTrait,
    company: i32,
    today: NaiveDate,
) -> Result<Vec<Eligibility>> {
    let company = profile(db, company).await?;
    let programmes = model::read_all(programme::Entity::find().all(db).await?)?;
    assess_all(db, &company, programmes, today).await
}

/// Checks the given programmes for one company, ranked.
pub(crate) async fn assess_all(
    db: &impl ConnectionTrait,
    company: &Profile,
    programmes: Vec<model::Programme>,
    today: NaiveDate,
) -> Result<Vec<Eligibility>> {
    let taxonomy = taxonomy(db).await?;
    let org_ids = programmes.iter().flat_map(|p| p.eligible_site_ids.iter().chain(&p.required_membership_ids).copied());
    let orgs = organisations_named(db, org_ids.collect()).await?;
    let mut list: Vec<Eligibility> = programmes
        .into_iter()
        .map(|m| {
            let criteria = assess(company, &taxonomy, &Criteria::of(&m, &orgs), today);
            Eligibility {
                eligible: criteria.iter().all(|c| c.met),
                participating: company.programmes.iter().any(|p| p.id == m.header.id),
                programme: m,
                criteria,
            }
        })
        .collect();
    rank(&mut list);
    Ok(list)
}

/// A page of the companies meeting every criterion of a programme (see [`read::companies`]).
pub async fn eligible_companies(
    db: &impl ConnectionTrait,
    programme: &model::Programme,
    today: NaiveDate,
    (filter, order, slice): (&read::CompanyFilter, read::OrderBy, &read::Slice),
) -> Result<read::Page<model::Company>> {
    read::companies_within(db, eligible_companies_condition(programme, today), filter, order, slice).await
}

/// The companies meeting every criterion of a programme, as a condition on the company table,
/// so that they are counted, sorted and paged by the database.
fn eligible_companies_condition(m: &model::Programme, today: NaiveDate) -> Condition {
    let criteria = Criteria::of(m, &Default::default());
    let mut c = Condition::all();
    if m.ends_on.is_some_and(|ends| ends < today) {
        // An IN over nothing: no company.
        return c.add(company::Column::Id.is_in(Vec::<i32>::new()));
    }
    if !criteria.stages.is_empty() {
        c = c.add(company::Column::Stage.is_in(criteria.stages.iter().copied()));
    }
    if !criteria.domains.is_empty() {
        let in_domains = Query::select()
            .column(technology::Column::Id)
            .from(technology::Entity)
            .and_where(technology::Column::Domain.is_in(criteria.domains.iter().copied()))
            .to_owned();
        c = c.add(
            company::Column::Id.in_subquery(
                Query::select()
                    .column(company_technology::Column::CompanyId)
                    .from(company_technology::Entity)
                    .and_where(company_technology::Column::TechnologyId.in_subquery(in_domains))
                    .to_owned(),
            ),
        );
    }
    let sites = m.eligible_site_ids.clone();
    if !sites.is_empty() {
        c = c.add(company::Column::SiteId.is_in(sites));
    }
    let memberships = m.required_membership_ids.clone();
    if !memberships.is_empty() {
        c = c.add(
            company::Column::Id.in_subquery(
                Query::select()
                    .column(company_membership::Column::CompanyId)
                    .from(company_membership::Entity)
                    .and_where(company_membership::Column::OrganisationId.is_in(memberships))
                    .to_owned(),
            ),
        );
    }
    c
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{company, named, taxonomy};
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn unmet(criteria: &[Criterion]) -> Vec<(EligibilityCriterion, &str)> {
        criteria.iter().filter(|c| !c.met).map(|c| (c.name, c.detail.as_str())).collect()
    }

    #[test]
    fn an_open_programme_is_met_on_every_point() {
        let sme = company(1, "Exemple", CompanyStage::Sme, &[1]);
        let criteria = assess(&sme, &taxonomy(), &Criteria::default(), day("2026-11-26"));
        let details: Vec<&str> = criteria.iter().map(|c| c.detail.as_str()).collect();
        assert!(criteria.iter().all(|c| c.met));
        assert_eq!(
            details,
            [
                "open to every stage",
                "open to every technology domain",
                "open to companies on any site",
                "no membership required",
                "has no end date"
            ]
        );
    }

    #[test]
    fn each_failing_criterion_is_named_with_what_the_company_has() {
        let mut group = company(1, "Groupe", CompanyStage::LargeGroup, &[4]);
        group.site = Some(named(20, "Pepiniere Nord"));
        group.memberships = vec![named(31, "Other Cluster")];
        let criteria = Criteria {
            stages: vec![CompanyStage::Startup, CompanyStage::Sme],
            domains: vec![TechnologyDomain::Energy],
            sites: vec![named(21, "Technopole Sud")],
            memberships: vec![named(30, "Safe Cluster")],
            starts_on: None,
            ends_on: Some(day("2025-06-30")),
        };

        let result = assess(&group, &taxonomy(), &criteria, day("2026-11-26"));

        assert_eq!(
            unmet(&result),
            [
                (EligibilityCriterion::Stage, "open to STARTUP and SME; this company is LARGE_GROUP"),
                (EligibilityCriterion::Domain, "open to ENERGY; this company works on Water treatment (WATER)"),
                (
                    EligibilityCriterion::Site,
                    "open to companies hosted by Technopole Sud; this company is hosted by Pepiniere Nord"
                ),
                (EligibilityCriterion::Membership, "open to members of Safe Cluster; this company is not a member"),
                (EligibilityCriterion::Dates, "ended on 2025-06-30"),
            ]
        );
    }

    #[test]
    fn met_criteria_say_what_qualifies_the_company() {
        let mut startup = company(1, "Start", CompanyStage::Startup, &[2, 4]);
        startup.site = Some(named(21, "Technopole Sud"));
        startup.memberships = vec![named(30, "Safe Cluster")];
        let criteria = Criteria {
            stages: vec![CompanyStage::Startup],
            domains: vec![TechnologyDomain::Energy, TechnologyDomain::Air],
            sites: vec![named(20, "Pepiniere Nord"), named(21, "Technopole Sud")],
            memberships: vec![named(30, "Safe Cluster"), named(31, "Other Cluster")],
            starts_on: Some(day("2027-01-15")),
            ends_on: None,
        };

        let result = assess(&startup, &taxonomy(), &criteria, day("2026-11-26"));

        assert!(result.iter().all(|c| c.met), "{result:?}");
        let details: Vec<&str> = result.iter().map(|c| c.detail.as_str()).collect();
        assert_eq!(
            details,
            [
                "open to STARTUP; this company is STARTUP",
                "open to ENERGY and AIR; this company works on Perovskite cells (ENERGY)",
                "open to companies hosted by Pepiniere Nord or Technopole Sud; this company is hosted by Technopole Sud",
                "open to members of Safe Cluster or Other Cluster; this company is a member of Safe Cluster",
                "starts on 2027-01-15",
            ]
        );
    }

    #[test]
    fn a_company_without_technology_or_site_is_told_so() {
        let bare = company(1, "Bare", CompanyStage::Sme, &[]);
        let criteria = Criteria {
            domains: vec![TechnologyDomain::Water],
            sites: vec![named(21, "Technopole Sud")],
            memberships: vec![named(30, "A"), named(31, "B")],
            ends_on: Some(day("2026-11-26")),
            ..Criteria::default()
        };
        let result = assess(&bare, &taxonomy(), &criteria, day("2026-11-26"));
        assert_eq!(
            unmet(&result),
            [
                (EligibilityCriterion::Domain, "open to WATER; this company lists no technology"),
                (
                    EligibilityCriterion::Site,
                    "open to companies hosted by Technopole Sud; this company has no host site"
                ),
                (
                    EligibilityCriterion::Membership,
                    "open to members of A or B; this company is a member of none of them"
                ),
            ]
        );
        assert_eq!(result[4].detail, "runs until 2026-11-26", "the last day still counts");
    }

    #[test]
    fn eligible_programmes_come_first_then_those_missing_fewest_criteria() {
        let programme = |id: i32, name: &str| model::Programme {
            header: model::Header {
                id,
                slug: name.to_lowercase(),
                name: name.into(),
                name_key: name.to_lowercase(),
                lang: entity::Lang::En,
                description: None,
                website: None,
                aliases: Vec::new(),
                sources: Vec::new(),
                translations: Vec::new(),
                created_at: chrono::Utc::now(),
                updated_at: chrono::Utc::now(),
            },
            kind: entity::ProgrammeKind::Funding,
            operator_id: None,
            starts_on: None,
            ends_on: None,
            eligible_stages: Vec::new(),
            eligible_domains: Vec::new(),
            eligible_site_ids: Vec::new(),
            required_membership_ids: Vec::new(),
        };
        let criterion = |met| Criterion { name: EligibilityCriterion::Stage, met, detail: String::new() };
        let entry = |id, name, met: &[bool]| Eligibility {
            programme: programme(id, name),
            eligible: met.iter().all(|m| *m),
            participating: false,
            criteria: met.iter().map(|&m| criterion(m)).collect(),
        };
        let mut list = vec![
            entry(1, "Alpha", &[false, false]),
            entry(2, "Beta", &[true, false]),
            entry(3, "Gamma", &[true, true]),
            entry(4, "Delta", &[true, true]),
        ];
        rank(&mut list);
        let order: Vec<&str> = list.iter().map(|e| e.programme.header.name.as_str()).collect();
        assert_eq!(order, ["Delta", "Gamma", "Beta", "Alpha"]);
    }
}
