//! The `Event` object: the fields every kind shares, then where and when, who organised it and
//! who took part; and the page of events every list of events goes through.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};

use crate::graphql::context::{kb, load_if_wanted, loader, related, wanted};
use crate::graphql::entity_fields::EntityFields;
use crate::graphql::enums::Lang;
use crate::graphql::inputs::{Source, Translation};
use crate::graphql::limits;
use crate::graphql::loaders::{
    EventCompaniesOf, EventOrganisationsOf, EventPeopleOf, OrganisationId, OrganisersOf, RolesOf,
};
use crate::graphql::mirror::IntoGraphql as _;
use crate::graphql::nodes::{Company, Event, Organisation, Person};
use crate::graphql::outputs::Location;
use crate::graphql::relay::{CountedConnection, ListArgs};
use crate::kb::read::{self, Direction, EventFilter, OrderField};
use crate::kb::{geo, model};

/// An event of the ecosystem (a visit, a meeting, a fair): where and when, who organised it and
/// who took part.
#[Object]
impl Event {
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
    /// The (first) day.
    async fn date(&self) -> NaiveDate {
        self.0.date
    }
    /// The last day of an event over several days.
    async fn end_date(&self) -> Option<NaiveDate> {
        self.0.end_date
    }
    /// Where it took place: its site's point (`source: SITE`).
    async fn location(&self, ctx: &Context<'_>) -> Result<Option<Location>> {
        let Some(id) = self.0.site_id else { return Ok(None) };
        let site = loader(ctx).load_one(OrganisationId(id)).await?;
        let point = site.and_then(|s| geo::Location::own(s.latitude, s.longitude, s.location_source));
        Ok(point.map(geo::Location::inherited).into_graphql())
    }
    /// The organisation where it took place.
    async fn site(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let Some(id) = self.0.site_id else { return Ok(None) };
        Ok(loader(ctx).load_one(OrganisationId(id)).await?.map(Organisation))
    }
    /// The organisations that organised it, by name.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn organisers(&self, ctx: &Context<'_>) -> Result<Vec<Organisation>> {
        related(ctx, OrganisersOf(self.0.header.id), Organisation).await
    }
    /// The companies that took part, by name.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn companies(&self, ctx: &Context<'_>) -> Result<Vec<Company>> {
        related(ctx, EventCompaniesOf(self.0.header.id), Company).await
    }
    /// The people who took part, by name.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn people(&self, ctx: &Context<'_>) -> Result<Vec<Person>> {
        related(ctx, EventPeopleOf(self.0.header.id), Person).await
    }
    /// The organisations that took part (besides organising it), by name.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn organisations(&self, ctx: &Context<'_>) -> Result<Vec<Organisation>> {
        related(ctx, EventOrganisationsOf(self.0.header.id), Organisation).await
    }
}

/// A page of the events matching `filter`, with what the query asks of them loaded: for
/// `events` and for the lists of events on the other kinds.
pub(in crate::graphql) async fn events_page(
    ctx: &Context<'_>,
    filter: &EventFilter,
    area: Option<crate::geo::Area>,
    args: &ListArgs,
) -> Result<CountedConnection<Event>> {
    let page = kb(ctx).events(filter, area, args.order(), args.slice()).await?;
    prefetch_events(ctx, &page.rows).await?;
    Ok(args.connection(page, Event))
}

/// A page of the events matching `filter`, latest first, for the reverse side of a relation.
pub(in crate::graphql) async fn events_where(
    ctx: &Context<'_>,
    filter: EventFilter,
    after: Option<String>,
    first: Option<i32>,
) -> Result<CountedConnection<Event>> {
    let order = read::OrderBy { field: OrderField::Date, direction: Direction::Desc };
    events_page(ctx, &filter, None, &ListArgs::new(order, after, None, first, None)?).await
}

/// Loads, in one batch per relation, the site, organisers and participants a query asks of a
/// page of events (and the roles of those people).
async fn prefetch_events(ctx: &Context<'_>, events: &[model::Event]) -> Result<()> {
    let ids = || events.iter().map(|e| e.header.id);
    let sites = events.iter().filter_map(|e| e.site_id).map(OrganisationId);
    let (sites, organisers, companies, people, organisations) = tokio::join!(
        load_if_wanted(ctx, "site", sites),
        load_if_wanted(ctx, "organisers", ids().map(OrganisersOf)),
        load_if_wanted(ctx, "companies", ids().map(EventCompaniesOf)),
        load_if_wanted(ctx, "people", ids().map(EventPeopleOf)),
        load_if_wanted(ctx, "organisations", ids().map(EventOrganisationsOf)),
    );
    sites?;
    organisers?;
    companies?;
    organisations?;
    if let Some(people) = people?
        && wanted(ctx, "people", Some("roles"))
    {
        loader(ctx).load_many(people.values().flatten().map(|p| RolesOf(p.header.id))).await?;
    }
    Ok(())
}
