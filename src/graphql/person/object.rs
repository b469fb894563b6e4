//! The `Person` object (the fields every kind shares, then their roles and events) and the
//! `Role` object; and what a page of people loads for the query.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};

use crate::error::AppError;
use crate::graphql::context::{load_if_wanted, loader, related, wanted};
use crate::graphql::entity_fields::EntityFields;
use crate::graphql::enums::Lang;
use crate::graphql::event::object::events_where;
use crate::graphql::inputs::{Source, Translation};
use crate::graphql::limits;
use crate::graphql::loaders::{OrganisationId, PersonId, RolesOf};
use crate::graphql::mentors::{self, MenteeSuggestion, MentorOffer};
use crate::graphql::nodes::{Event, Organisation, Person, Role};
use crate::graphql::relay::CountedConnection;
use crate::kb::model;
use crate::kb::read::EventFilter;

/// A person of the ecosystem, with their roles at organisations. Only public professional facts
/// from cited sources: never an e-mail address, a phone number or a home address.
#[Object]
impl Person {
    // The fields of the `Entity` interface, which calls them (hence `pub(in crate::graphql)`).
    /// Global id, usable with `node(id:)`.
    pub(in crate::graphql) async fn id(&self) -> ID {
        EntityFields::of(&self.0).id()
    }
    /// Unique, URL-friendly identifier.
    pub(in crate::graphql) async fn slug(&self) -> &String {
        EntityFields::of(&self.0).slug()
    }
    /// Display name.
    pub(in crate::graphql) async fn name(
        &self,
        #[graphql(desc = "In this language: its translation, or the original when there is none.")] lang: Option<Lang>,
    ) -> String {
        EntityFields::of(&self.0).name(lang)
    }
    /// Other names, in any language: names in the other language, acronyms, former names.
    pub(in crate::graphql) async fn aliases(&self) -> Vec<String> {
        EntityFields::of(&self.0).aliases()
    }
    /// Free text, in the language given by `lang`.
    pub(in crate::graphql) async fn description(
        &self,
        #[graphql(desc = "In this language: its translation, or the original when there is none.")] lang: Option<Lang>,
    ) -> Option<String> {
        EntityFields::of(&self.0).description(lang)
    }
    /// The name and description in other languages.
    pub(in crate::graphql) async fn translations(&self) -> Vec<Translation> {
        EntityFields::of(&self.0).translations()
    }
    /// The language of the description.
    pub(in crate::graphql) async fn lang(&self) -> Lang {
        EntityFields::of(&self.0).lang()
    }
    /// Web site.
    pub(in crate::graphql) async fn website(&self) -> &Option<String> {
        EntityFields::of(&self.0).website()
    }
    /// Where the facts come from.
    pub(in crate::graphql) async fn sources(&self) -> Vec<Source> {
        EntityFields::of(&self.0).sources()
    }
    /// When it was added.
    pub(in crate::graphql) async fn created_at(&self) -> DateTime<Utc> {
        EntityFields::of(&self.0).created_at()
    }
    /// When it last changed.
    pub(in crate::graphql) async fn updated_at(&self) -> DateTime<Utc> {
        EntityFields::of(&self.0).updated_at()
    }
    // Its own fields.
    /// The roles the person holds or held at organisations, in the order the record gives them.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<Role>> {
        related(ctx, RolesOf(self.0.header.id), Role).await
    }
    /// The events the person took part in, latest first.
    #[graphql(complexity = "limits::page_cost(first, None, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A cursor returned by this list: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
    ) -> Result<CountedConnection<Event>> {
        let filter = EventFilter { person: Some(vec![self.0.header.slug.clone()]), ..Default::default() };
        events_where(ctx, filter, after, first).await
    }

    /// What the person offers as a mentor, with their consent and its sources; none when they offer nothing.
    async fn mentor(&self) -> Option<MentorOffer> {
        self.0.mentor.clone().map(|offer| MentorOffer(self.0.header.id, offer))
    }

    /// The companies this expert could help, ranked as a company's `mentors` are, with
    /// reasons; none when they offer nothing. Ties by name.
    #[graphql(complexity = "limits::mentors_cost(first, child_complexity)")]
    async fn mentees(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many suggestions, 1 to 50.", default = 10)] first: i32,
    ) -> Result<Vec<MenteeSuggestion>> {
        mentors::mentees_of(ctx, &self.0, first).await
    }
}

/// A role a person holds or held at an organisation, in the words of the source, with its dates
/// when known.
#[Object]
impl Role {
    /// The organisation.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Organisation> {
        let found = loader(ctx).load_one(OrganisationId(self.0.organisation_id)).await?;
        found
            .map(Organisation)
            .ok_or_else(|| AppError::NotFound("the organisation was deleted meanwhile".into()).into())
    }
    /// The role, in the words of the source ("président", "directeur général").
    async fn title(&self) -> &String {
        &self.0.title
    }
    /// First day in the role, when known.
    async fn since(&self) -> Option<NaiveDate> {
        self.0.since
    }
    /// Last day in the role, when it ended.
    async fn until(&self) -> Option<NaiveDate> {
        self.0.until
    }
    /// The person holding it.
    async fn person(&self, ctx: &Context<'_>) -> Result<Person> {
        let found = loader(ctx).load_one(PersonId(self.0.person_id)).await?;
        found.map(Person).ok_or_else(|| AppError::NotFound("the person was deleted meanwhile".into()).into())
    }
}

/// Loads, in one batch per relation, the roles (and their organisations) a query asks of a page
/// of people, so that the DataLoader's timer never splits a page into several statements.
pub(in crate::graphql) async fn prefetch_people(ctx: &Context<'_>, people: &[model::Person]) -> Result<()> {
    let Some(roles) = load_if_wanted(ctx, "roles", people.iter().map(|p| RolesOf(p.header.id))).await? else {
        return Ok(());
    };
    if wanted(ctx, "roles", Some("organisation")) {
        let orgs = roles.values().flatten().map(|r| OrganisationId(r.organisation_id));
        loader(ctx).load_many(orgs).await?;
    }
    Ok(())
}
