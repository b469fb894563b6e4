//! Which entry points: the organisations a company should talk to, and why.
//!
//! In this order: the organisations it already deals with (its host site, those it belongs to),
//! then those running the programmes it is eligible for or takes part in, then the clusters and
//! business networks whose members work in its domains; ties by distance when both are placed
//! (the nearest first, each saying how far it is), then by name.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{OrganisationKind, TechnologyDomain, organisation, programme};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::eligibility::{Eligibility, assess_all};
use super::{Named, Profile, domain_words, profile, taxonomy};
use crate::error::Result;
use crate::kb::geo::{Point, distance_km, own_point};
use crate::kb::read::batch;
use crate::kb::{Kb, model};

/// An organisation a company should talk to.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryPoint {
    pub organisation: model::Organisation,
    pub reasons: Vec<String>,
}

/// The organisations whose members' domains count as a reason: they gather companies of a field.
pub const GATHERING: [OrganisationKind; 2] = [OrganisationKind::Cluster, OrganisationKind::BusinessNetwork];

/// A programme the company may join or has joined, and who runs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operated {
    pub operator: i32,
    pub programme: String,
    pub participating: bool,
}

/// A cluster or network with members in one of the company's domains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gathering {
    pub organisation: Named,
    pub domain: TechnologyDomain,
    /// Its members working in the domain, the company itself included if it is one.
    pub members: usize,
}

/// Organisation ids with a weight (the order of the module's rules, heaviest first) and their reasons.
pub fn gather(company: &Profile, operated: &[Operated], gatherings: &[Gathering]) -> Vec<(i32, u32, Vec<String>)> {
    // (organisation, weight, reasons): direct relations outweigh any number of the others.
    let mut found: HashMap<i32, (u32, Vec<String>)> = HashMap::new();
    let mut add = |id: i32, weight: u32, reason: String| {
        let entry = found.entry(id).or_default();
        entry.0 += weight;
        entry.1.push(reason);
    };
    if let Some(site) = &company.site {
        add(site.id, 10_000, "hosts this company".into());
    }
    for membership in &company.memberships {
        add(membership.id, 10_000, "this company is a member".into());
    }
    for o in operated {
        let reason = if o.participating {
            format!("runs {}, in which this company takes part", o.programme)
        } else {
            format!("runs {}, which this company is eligible for", o.programme)
        };
        add(o.operator, 100, reason);
    }
    for g in gatherings {
        let own = company.memberships.iter().any(|m| m.id == g.organisation.id);
        let others = g.members.saturating_sub(usize::from(own));
        let domain = domain_words(g.domain);
        let reason = match (others, own) {
            (0, _) => continue,
            (1, true) => format!("another of its members works in the {domain} domain"),
            (1, false) => format!("one of its members works in the {domain} domain"),
            (n, true) => format!("{n} other members work in the {domain} domain"),
            (n, false) => format!("{n} of its members work in the {domain} domain"),
        };
        add(g.organisation.id, 1, reason);
    }
    let mut list: Vec<(i32, u32, Vec<String>)> = found.into_iter().map(|(id, (w, r))| (id, w, r)).collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    list
}

/// The programmes of an eligibility list that give their operator as an entry point.
pub fn operated(list: &[Eligibility]) -> Vec<Operated> {
    list.iter()
        .filter(|e| e.eligible || e.participating)
        .filter_map(|e| {
            Some(Operated {
                operator: e.programme.operator_id?,
                programme: e.programme.header.name.clone(),
                participating: e.participating,
            })
        })
        .collect()
}

/// How far an organisation is from the company, with a reason saying so when both are placed
/// ("3 km away"); infinitely far when either is not, so that the placed ones come first.
fn away(company: Option<Point>, organisation: &model::Organisation, reasons: &mut Vec<String>) -> f64 {
    let Some((ours, theirs)) = company.zip(own_point(organisation.latitude, organisation.longitude)) else {
        return f64::INFINITY;
    };
    let km = distance_km(ours, theirs);
    reasons.push(if km < 1.0 { "less than 1 km away".into() } else { format!("{km:.0} km away") });
    km
}

impl Kb {
    /// The organisations a company should talk to, with reasons (see the module's rules).
    #[tracing::instrument(skip(self))]
    pub async fn entry_points(&self, company: i32, today: NaiveDate) -> Result<Vec<EntryPoint>> {
        let db = &self.db;
        let company = profile(db, company).await?;
        let taxonomy = taxonomy(db).await?;
        let programmes = model::read_all(programme::Entity::find().all(db).await?)?;
        let operated = operated(&assess_all(db, &company, programmes, today).await?);
        let clusters = organisation::Entity::find().filter(organisation::Column::Kind.is_in(GATHERING)).all(db).await?;
        let slugs: HashMap<String, Named> = clusters
            .iter()
            .map(|m| (m.slug.clone(), Named { id: m.id, slug: m.slug.clone(), name: m.name.clone() }))
            .collect();
        let counts = self.search.members_by_domain(slugs.keys().cloned().collect(), company.domains(&taxonomy)).await?;
        let gatherings: Vec<Gathering> = counts
            .into_iter()
            .filter_map(|(slug, domain, members)| {
                Some(Gathering { organisation: slugs.get(&slug)?.clone(), domain, members })
            })
            .collect();
        let found = gather(&company, &operated, &gatherings);
        let ids: Vec<i32> = found.iter().map(|(id, _, _)| *id).collect();
        let mut rows: HashMap<i32, model::Organisation> =
            batch::by_ids::<model::Organisation>(db, &ids).await?.into_iter().map(|m| (m.header.id, m)).collect();
        let mut list: Vec<(u32, f64, EntryPoint)> = found
            .into_iter()
            .filter_map(|(id, weight, mut reasons)| {
                let organisation = rows.remove(&id)?;
                let km = away(company.point, &organisation, &mut reasons);
                Some((weight, km, EntryPoint { organisation, reasons }))
            })
            .collect();
        list.sort_by(|(wa, ka, a), (wb, kb, b)| {
            wb.cmp(wa)
                .then(ka.total_cmp(kb))
                .then_with(|| a.organisation.header.name_key.cmp(&b.organisation.header.name_key))
        });
        Ok(list.into_iter().map(|(_, _, entry)| entry).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{company, named};
    use super::*;
    use entity::CompanyStage;

    #[test]
    fn the_site_and_memberships_come_first_then_operators_then_clusters_of_its_domains() {
        let mut sme = company(1, "Exemple", CompanyStage::Sme, &[1]);
        sme.site = Some(named(20, "Technopole"));
        sme.memberships = vec![named(30, "Safe Cluster")];
        let operated = [
            Operated { operator: 50, programme: "Accelerateur".into(), participating: false },
            Operated { operator: 20, programme: "Pepiniere".into(), participating: true },
        ];
        let gatherings = [
            Gathering { organisation: named(30, "Safe Cluster"), domain: TechnologyDomain::Energy, members: 3 },
            Gathering { organisation: named(60, "Reseau Eau"), domain: TechnologyDomain::Energy, members: 1 },
            Gathering { organisation: named(61, "Only Me"), domain: TechnologyDomain::Energy, members: 0 },
        ];

        let found = gather(&sme, &operated, &gatherings);

        let found: Vec<(i32, Vec<String>)> = found.into_iter().map(|(id, _, reasons)| (id, reasons)).collect();
        assert_eq!(
            found,
            [
                (20, vec!["hosts this company".to_string(), "runs Pepiniere, in which this company takes part".into()]),
                (30, vec!["this company is a member".to_string(), "2 other members work in the energy domain".into()]),
                (50, vec!["runs Accelerateur, which this company is eligible for".to_string()]),
                (60, vec!["one of its members works in the energy domain".to_string()]),
            ]
        );
    }
}
