//! The answers to the park's three questions as GraphQL objects: eligibility, partner
//! suggestions and entry points. The rules live in `kb::advice`; these only map.

use async_graphql::{Context, Object, Result};

use super::context::loader;
use super::enums::TechnologyDomain;
use super::loaders::TechnologyId;
use super::mirror::IntoGraphql;
use super::nodes::{Company, Organisation, Programme, Technology};
use super::outputs::Criterion;
use crate::kb::advice;

/// Whether a company may join a programme, criterion by criterion.
pub struct Eligibility(pub advice::Eligibility);

/// Whether a company may join a programme, criterion by criterion, and whether it takes part already.
#[Object]
impl Eligibility {
    /// The programme.
    async fn programme(&self) -> Programme {
        Programme(self.0.programme.clone())
    }
    /// Whether the company meets every criterion.
    async fn eligible(&self) -> bool {
        self.0.eligible
    }
    /// Whether the company takes part in the programme already.
    async fn participating(&self) -> bool {
        self.0.participating
    }
    /// Every criterion, met or not, in a fixed order: STAGE, DOMAIN, SITE, MEMBERSHIP, DATES.
    async fn criteria(&self) -> Vec<Criterion> {
        self.0.criteria.clone().into_graphql()
    }
}

/// A company suggested as a partner: a large group or mid-cap for a start-up or SME, and the reverse.
pub struct PartnerSuggestion(pub advice::PartnerSuggestion);

/// A company suggested as a partner (a large group or mid-cap for a start-up or SME, and the
/// reverse), with a score and the reasons for the match.
#[Object]
impl PartnerSuggestion {
    /// The suggested company.
    async fn company(&self) -> Company {
        Company(self.0.company.clone())
    }
    /// How much they share: 3 per technology both work on, 2 per technology that is a kind of
    /// the other's, 2 per shared membership or programme, 1 per shared domain or host site.
    async fn score(&self) -> f64 {
        f64::from(self.0.score)
    }
    /// Technologies both work on; for a technology that is a kind of the other's, the broader one. By name.
    async fn shared_technologies(&self, ctx: &Context<'_>) -> Result<Vec<Technology>> {
        let found = loader(ctx).load_many(self.0.shared_technologies.iter().copied().map(TechnologyId)).await?;
        Ok(self
            .0
            .shared_technologies
            .iter()
            .filter_map(|id| found.get(&TechnologyId(*id)).cloned())
            .map(Technology)
            .collect())
    }
    /// Technology domains both work in.
    async fn shared_domains(&self) -> Vec<TechnologyDomain> {
        self.0.shared_domains.clone().into_graphql()
    }
    /// Why they are matched, one English sentence each ("both work on Photovoltaics",
    /// "both members of Safe Cluster", "both take part in …").
    async fn reasons(&self) -> &Vec<String> {
        &self.0.reasons
    }
}

/// An organisation a company should talk to.
pub struct EntryPoint(pub advice::EntryPoint);

/// An organisation a company should talk to, with the reasons why.
#[Object]
impl EntryPoint {
    /// The organisation.
    async fn organisation(&self) -> Organisation {
        Organisation(self.0.organisation.clone())
    }
    /// Why, one English sentence each ("hosts this company", "runs …, which this company is eligible for").
    async fn reasons(&self) -> &Vec<String> {
        &self.0.reasons
    }
}
