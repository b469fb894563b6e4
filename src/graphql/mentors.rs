//! Mentoring as GraphQL objects: what a person offers, the experts suggested to a company and the
//! companies an expert could help. The rules live in `kb::advice::mentors`; these only map.

use async_graphql::{Context, Object, Result};
use chrono::NaiveDate;

use super::context::{kb, related};
use super::enums::{CompanyStage, Lang, TechnologyDomain, Topic};
use super::inputs::Source;
use super::loaders::MentorTechnologiesOf;
use super::mirror::{IntoDomain, IntoGraphql};
use super::nodes::{Company, Person, Technology};
use crate::kb::{advice, model};

/// What a person offers as a mentor, with the person's id (for its technologies).
pub struct MentorOffer(pub i32, pub model::MentorOffer);

/// What a person offers as a mentor, with their consent and from the sources cited: the topics
/// they help with, what they know, whom they prefer to help and in which languages.
#[Object]
impl MentorOffer {
    /// Since when they offer it, when the source says.
    async fn since(&self) -> Option<NaiveDate> {
        self.1.since
    }
    /// What they help with.
    async fn topics(&self) -> Vec<Topic> {
        self.1.topics.clone().into_graphql()
    }
    /// The technologies they know, by name.
    async fn technologies(&self, ctx: &Context<'_>) -> Result<Vec<Technology>> {
        related(ctx, MentorTechnologiesOf(self.0), Technology).await
    }
    /// The technology domains they know.
    async fn domains(&self) -> Vec<TechnologyDomain> {
        self.1.domains.clone().into_graphql()
    }
    /// The stages of the companies they prefer to help (empty: any).
    async fn stages(&self) -> Vec<CompanyStage> {
        self.1.stages.clone().into_graphql()
    }
    /// The languages they mentor in.
    async fn languages(&self) -> Vec<Lang> {
        self.1.languages.clone().into_graphql()
    }
    /// Where the person publishes the offer or consents to it.
    async fn sources(&self) -> Vec<Source> {
        self.1.sources.clone().into_graphql()
    }
}

/// An expert suggested to a company.
pub struct MentorSuggestion(pub advice::MentorSuggestion);

/// An expert who could help a company, with a score and the reasons for the match.
#[Object]
impl MentorSuggestion {
    /// The expert.
    async fn person(&self) -> Person {
        Person(self.0.person.clone())
    }
    /// How much they share: 4 per topic the company needs and the expert helps with, 3 per
    /// technology both know, 2 per technology that is a kind of the other's, 2 per organisation
    /// of the expert's that already works with the company, 1 per shared domain, 1 for the
    /// company's stage among the expert's preferred ones, 1 for a common language.
    async fn score(&self) -> f64 {
        f64::from(self.0.score)
    }
    /// Why they are matched, one English sentence each ("helps with INDUSTRIALISATION, which
    /// SP3H needs", "knows Fuel analysis, which SP3H works on").
    async fn reasons(&self) -> &Vec<String> {
        &self.0.reasons
    }
}

/// A company an expert could help.
pub struct MenteeSuggestion(pub advice::MenteeSuggestion);

/// A company an expert could help, with a score and the reasons for the match.
#[Object]
impl MenteeSuggestion {
    /// The company.
    async fn company(&self) -> Company {
        Company(self.0.company.clone())
    }
    /// How much they share, weighed as a company's `mentors` are.
    async fn score(&self) -> f64 {
        f64::from(self.0.score)
    }
    /// Why they are matched, one English sentence each, as a company's `mentors` give them.
    async fn reasons(&self) -> &Vec<String> {
        &self.0.reasons
    }
}

/// A company's mentors, for `Company.mentors`.
pub async fn mentors_of(
    ctx: &Context<'_>,
    company: &model::Company,
    topics: Option<Vec<Topic>>,
    first: i32,
) -> Result<Vec<MentorSuggestion>> {
    let first = usize::try_from(first).unwrap_or(0);
    let list = kb(ctx).mentors(company.header.id, topics.into_domain(), first).await?;
    Ok(list.into_iter().map(MentorSuggestion).collect())
}

/// An expert's possible mentees, for `Person.mentees`.
pub async fn mentees_of(ctx: &Context<'_>, person: &model::Person, first: i32) -> Result<Vec<MenteeSuggestion>> {
    let first = usize::try_from(first).unwrap_or(0);
    let list = kb(ctx).mentees(person.header.id, first).await?;
    Ok(list.into_iter().map(MenteeSuggestion).collect())
}
