//! Which partners: start-ups and SMEs matched with large groups and mid-caps (and the reverse),
//! ranked by what they share and explained.
//!
//! What sharing is worth: a technology both work on 3, a technology of one that is a kind of a
//! technology of the other 2, a membership 2, a programme 2, a host site 1, a domain 1. The
//! search index finds the best candidates with the same weights; their scores and reasons are
//! then worked out from the database.

use std::collections::HashSet;

use entity::{CompanyStage, TechnologyDomain, company};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{Profile, Taxonomy, domain_words, profile, profiles_of, taxonomy};
use crate::error::{AppError, Result};
use crate::kb::geo::distance_km;
use crate::kb::{Kb, model};
use crate::search::partners::Shared;

/// What a technology both work on is worth.
pub const SAME_TECHNOLOGY: f32 = 3.0;
/// What a technology that is a kind of the other's (or the reverse, at any depth) is worth.
pub const RELATED_TECHNOLOGY: f32 = 2.0;
/// What an organisation both belong to is worth.
pub const SAME_MEMBERSHIP: f32 = 2.0;
/// What a programme both take part in is worth.
pub const SAME_PROGRAMME: f32 = 2.0;
/// What a host site both share is worth.
pub const SAME_SITE: f32 = 1.0;
/// What a technology domain both work in is worth.
pub const SAME_DOMAIN: f32 = 1.0;

/// The most suggestions one request may ask for.
pub const MAX_PARTNERS: usize = 50;

/// The stages a company of `stage` is matched with: start-ups and SMEs with large groups and
/// mid-caps, and the reverse.
pub fn complementary(stage: CompanyStage) -> &'static [CompanyStage] {
    match stage {
        CompanyStage::Startup | CompanyStage::Sme => &[CompanyStage::LargeGroup, CompanyStage::Midcap],
        CompanyStage::Midcap | CompanyStage::LargeGroup => &[CompanyStage::Startup, CompanyStage::Sme],
    }
}

/// The index terms a partner of `company` may share with it, with their weights.
pub fn terms(company: &Profile, taxonomy: &Taxonomy) -> Vec<(Shared, f32)> {
    let own: HashSet<i32> = company.technologies.iter().copied().collect();
    let mut related: Vec<i32> = company.technologies.iter().flat_map(|&t| taxonomy.ancestors(t)).collect();
    related.extend(taxonomy.descendants(&company.technologies));
    related.sort_unstable();
    related.dedup();
    related.retain(|t| !own.contains(t));
    let slug = |id: &i32| taxonomy.get(*id).map(|t| Shared::Technology(t.slug.clone()));
    let mut out: Vec<(Shared, f32)> = Vec::new();
    out.extend(company.technologies.iter().filter_map(slug).map(|s| (s, SAME_TECHNOLOGY)));
    out.extend(related.iter().filter_map(slug).map(|s| (s, RELATED_TECHNOLOGY)));
    out.extend(company.domains(taxonomy).into_iter().map(|d| (Shared::Domain(d), SAME_DOMAIN)));
    out.extend(company.memberships.iter().map(|m| (Shared::Membership(m.slug.clone()), SAME_MEMBERSHIP)));
    out.extend(company.programmes.iter().map(|p| (Shared::Programme(p.slug.clone()), SAME_PROGRAMME)));
    out.extend(company.site.iter().map(|s| (Shared::Site(s.slug.clone()), SAME_SITE)));
    out
}

/// What a company and a candidate partner share, worth and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    pub score: f32,
    /// Technologies both work on, and for a technology that is a kind of the other's, the broader one.
    pub shared_technologies: Vec<i32>,
    pub shared_domains: Vec<TechnologyDomain>,
    pub reasons: Vec<String>,
}

/// Scores and explains what `partner` shares with `company`.
pub fn explain(company: &Profile, partner: &Profile, taxonomy: &Taxonomy) -> Match {
    let mut score = 0.0;
    let mut shared_technologies: Vec<i32> = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    let mut related_reasons: Vec<String> = Vec::new();
    // Domains a technology reason already speaks for.
    let mut explained: HashSet<TechnologyDomain> = HashSet::new();
    let mut theirs: Vec<_> = partner.technologies.iter().filter_map(|&t| taxonomy.get(t)).collect();
    theirs.sort_by(|a, b| a.name.cmp(&b.name));
    for tech in theirs {
        if company.technologies.contains(&tech.id) {
            score += SAME_TECHNOLOGY;
            shared_technologies.push(tech.id);
            explained.insert(tech.domain);
            reasons.push(format!("both work on {}", tech.name));
            continue;
        }
        let broader =
            company.technologies.iter().filter_map(|&t| taxonomy.get(t)).find(|own| taxonomy.is_below(tech.id, own.id));
        let narrower =
            company.technologies.iter().filter_map(|&t| taxonomy.get(t)).find(|own| taxonomy.is_below(own.id, tech.id));
        let sentence = match (broader, narrower) {
            (Some(own), _) => {
                shared_technologies.push(own.id);
                explained.extend([own.domain, tech.domain]);
                format!(
                    "{} works on {}, a kind of {} that {} works on",
                    partner.name, tech.name, own.name, company.name
                )
            }
            (None, Some(own)) => {
                shared_technologies.push(tech.id);
                explained.extend([own.domain, tech.domain]);
                format!(
                    "{} works on {}, a kind of {} that {} works on",
                    company.name, own.name, tech.name, partner.name
                )
            }
            (None, None) => continue,
        };
        score += RELATED_TECHNOLOGY;
        related_reasons.push(sentence);
    }
    reasons.extend(related_reasons);
    let ours = company.domains(taxonomy);
    let shared_domains: Vec<TechnologyDomain> =
        partner.domains(taxonomy).into_iter().filter(|d| ours.contains(d)).collect();
    for domain in &shared_domains {
        score += SAME_DOMAIN;
        if !explained.contains(domain) {
            reasons.push(format!("both work in the {} domain", domain_words(*domain)));
        }
    }
    for membership in partner.memberships.iter().filter(|m| company.memberships.iter().any(|o| o.id == m.id)) {
        score += SAME_MEMBERSHIP;
        reasons.push(format!("both members of {}", membership.name));
    }
    for programme in partner.programmes.iter().filter(|p| company.programmes.iter().any(|o| o.id == p.id)) {
        score += SAME_PROGRAMME;
        reasons.push(format!("both take part in {}", programme.name));
    }
    if let (Some(ours), Some(theirs)) = (&company.site, &partner.site)
        && ours.id == theirs.id
    {
        score += SAME_SITE;
        reasons.push(format!("both hosted by {}", theirs.name));
    }
    if let (Some(ours), Some(theirs)) = (company.point, partner.point) {
        reasons.push(apart(distance_km(ours, theirs)));
    }
    shared_technologies.sort_by(|a, b| {
        let name = |id: &i32| taxonomy.get(*id).map(|t| t.name.clone()).unwrap_or_default();
        name(a).cmp(&name(b))
    });
    shared_technologies.dedup();
    Match { score, shared_technologies, shared_domains, reasons }
}

/// How far apart two companies are, in words: "12 km apart".
fn apart(km: f64) -> String {
    if km < 1.0 { "less than 1 km apart".into() } else { format!("{km:.0} km apart") }
}

/// A company suggested as a partner.
#[derive(Clone, Debug, PartialEq)]
pub struct PartnerSuggestion {
    pub company: model::Company,
    pub score: f32,
    /// Technology ids, by name.
    pub shared_technologies: Vec<i32>,
    pub shared_domains: Vec<TechnologyDomain>,
    pub reasons: Vec<String>,
}

/// Best first: the highest score, then by name.
pub fn rank(list: &mut [PartnerSuggestion]) {
    list.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.company.header.name_key.cmp(&b.company.header.name_key))
            .then(a.company.header.id.cmp(&b.company.header.id))
    });
}

impl Kb {
    /// Up to `first` partners of complementary stage for a company, best first, with reasons.
    /// Candidates come from the search index; only they are read from the database.
    #[tracing::instrument(skip(self))]
    pub async fn partners(
        &self,
        company: i32,
        first: usize,
        max_distance_km: Option<f64>,
    ) -> Result<Vec<PartnerSuggestion>> {
        if !(1..=MAX_PARTNERS).contains(&first) {
            return Err(AppError::invalid("first", format!("must be between 1 and {MAX_PARTNERS}, got {first}")));
        }
        let focal = profile(&self.db, company).await?;
        // Within a distance of its point: of any of the partner's places, as the index has them.
        let area = match (max_distance_km, focal.point) {
            (None, _) => None,
            (Some(_), None) => {
                let message = format!("{} has no location (its own or its site's) to measure from", focal.name);
                return Err(AppError::invalid("maxDistanceKm", message));
            }
            (Some(km), Some(point)) => Some(
                crate::geo::Area::near(point, km)
                    .map_err(|m| AppError::invalid("maxDistanceKm", m.replace("radiusKm", "maxDistanceKm")))?,
            ),
        };
        let taxonomy = taxonomy(&self.db).await?;
        let stages = complementary(focal.stage);
        // More candidates than asked: ties at the cut are ordered by name here, not by the index.
        let pool = first * 2 + 20;
        let candidates =
            self.search.partner_candidates(company, stages.to_vec(), terms(&focal, &taxonomy), area, pool).await?;
        let ids: Vec<i32> = candidates.iter().map(|(id, _)| *id).collect();
        // The index may lag a write behind: the database's rows decide.
        let rows = company::Entity::find()
            .filter(company::Column::Id.is_in(ids))
            .filter(company::Column::Stage.is_in(stages.iter().copied()))
            .all(&self.db)
            .await?;
        let profiles = profiles_of(&self.db, &rows).await?;
        let mut list = Vec::with_capacity(rows.len());
        for company in model::read_all::<model::Company>(rows)? {
            let Some(profile) = profiles.get(&company.header.id) else { continue };
            let found = explain(&focal, profile, &taxonomy);
            if found.score > 0.0 {
                list.push(PartnerSuggestion {
                    company,
                    score: found.score,
                    shared_technologies: found.shared_technologies,
                    shared_domains: found.shared_domains,
                    reasons: found.reasons,
                });
            }
        }
        rank(&mut list);
        list.truncate(first);
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{company, named, taxonomy};
    use super::*;
    use crate::kb::geo::Point;

    #[test]
    fn smaller_companies_meet_larger_ones_and_the_reverse() {
        assert_eq!(complementary(CompanyStage::Sme), [CompanyStage::LargeGroup, CompanyStage::Midcap]);
        assert_eq!(complementary(CompanyStage::Startup), [CompanyStage::LargeGroup, CompanyStage::Midcap]);
        assert_eq!(complementary(CompanyStage::LargeGroup), [CompanyStage::Startup, CompanyStage::Sme]);
        assert_eq!(complementary(CompanyStage::Midcap), [CompanyStage::Startup, CompanyStage::Sme]);
    }

    #[test]
    fn a_shared_technology_membership_and_site_are_scored_and_explained() {
        let mut sme = company(1, "Exemple Solaire", CompanyStage::Sme, &[1, 4]);
        let mut group = company(2, "Groupe Exemple", CompanyStage::LargeGroup, &[1, 3]);
        sme.memberships = vec![named(30, "Safe Cluster")];
        group.memberships = vec![named(30, "Safe Cluster"), named(31, "Other")];
        sme.site = Some(named(20, "Technopole"));
        group.site = Some(named(20, "Technopole"));
        sme.programmes = vec![named(40, "Accelerateur")];
        group.programmes = vec![named(40, "Accelerateur")];

        let found = explain(&sme, &group, &taxonomy());

        assert_eq!(
            found.reasons,
            [
                "both work on Photovoltaics",
                "both members of Safe Cluster",
                "both take part in Accelerateur",
                "both hosted by Technopole"
            ]
        );
        assert_eq!(found.shared_technologies, [1]);
        assert_eq!(found.shared_domains, [TechnologyDomain::Energy]);
        assert_eq!(found.score, SAME_TECHNOLOGY + SAME_DOMAIN + SAME_MEMBERSHIP + SAME_PROGRAMME + SAME_SITE);
    }

    #[test]
    fn two_placed_companies_are_told_how_far_apart_they_are_and_it_adds_nothing_to_the_score() {
        let mut sme = company(1, "Exemple Solaire", CompanyStage::Sme, &[1]);
        let mut group = company(2, "Groupe Exemple", CompanyStage::LargeGroup, &[1]);
        let unplaced = explain(&sme, &group, &taxonomy());
        sme.point = Some(Point { latitude: 43.5297, longitude: 5.4474 });
        group.point = Some(Point { latitude: 43.2965, longitude: 5.3698 });

        let found = explain(&sme, &group, &taxonomy());

        assert_eq!(found.reasons, ["both work on Photovoltaics", "27 km apart"]);
        assert_eq!(found.score, unplaced.score);
        group.point = sme.point;
        assert_eq!(explain(&sme, &group, &taxonomy()).reasons[1], "less than 1 km apart");
    }

    #[test]
    fn a_narrower_technology_matches_its_parent_both_ways() {
        let startup = company(1, "Start", CompanyStage::Startup, &[2]);
        let group = company(2, "Groupe", CompanyStage::LargeGroup, &[1]);

        let seen_from_startup = explain(&startup, &group, &taxonomy());
        let seen_from_group = explain(&group, &startup, &taxonomy());

        let reason = "Start works on Perovskite cells, a kind of Photovoltaics that Groupe works on";
        assert_eq!(seen_from_startup.reasons, [reason]);
        assert_eq!(seen_from_group.reasons, [reason]);
        assert_eq!(seen_from_startup.shared_technologies, [1], "the broader technology is the shared one");
        assert_eq!(seen_from_group.score, RELATED_TECHNOLOGY + SAME_DOMAIN);
    }

    #[test]
    fn a_shared_domain_alone_is_explained_by_the_domain() {
        let sme = company(1, "A", CompanyStage::Sme, &[3]);
        let group = company(2, "B", CompanyStage::LargeGroup, &[1]);
        let found = explain(&sme, &group, &taxonomy());
        assert_eq!(found.reasons, ["both work in the energy domain"]);
        assert_eq!(found.score, SAME_DOMAIN);
        let unrelated = company(3, "C", CompanyStage::LargeGroup, &[4]);
        assert_eq!(explain(&sme, &unrelated, &taxonomy()).score, 0.0);
    }

    #[test]
    fn the_index_terms_carry_the_same_weights_as_the_scores() {
        let mut sme = company(1, "A", CompanyStage::Sme, &[2]);
        sme.memberships = vec![named(30, "Safe Cluster")];
        let found = terms(&sme, &taxonomy());
        assert_eq!(
            found,
            [
                (Shared::Technology("perovskite-cells".into()), SAME_TECHNOLOGY),
                (Shared::Technology("photovoltaics".into()), RELATED_TECHNOLOGY),
                (Shared::Domain(TechnologyDomain::Energy), SAME_DOMAIN),
                (Shared::Membership("safe-cluster".into()), SAME_MEMBERSHIP),
            ]
        );
    }
}
