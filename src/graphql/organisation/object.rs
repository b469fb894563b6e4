//! The `Organisation` object: the fields every kind shares, then its own, the companies it hosts
//! or gathers, the people working there, its events and its programmes.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use crate::graphql::company::object::companies_page;
use crate::graphql::context::{kb, loader};
use crate::graphql::entity_fields::EntityFields;
use crate::graphql::enums::{Lang, OrganisationKind};
use crate::graphql::event::object::events_where;
use crate::graphql::inputs::{Place, Source, Translation};
use crate::graphql::limits;
use crate::graphql::loaders::PersonId;
use crate::graphql::mirror::IntoGraphql;
use crate::graphql::nodes::{Company, Event, Organisation, Programme, Role};
use crate::graphql::outputs::Location;
use crate::graphql::programme::object::programmes_page;
use crate::graphql::relay::{Counted, CountedConnection, ListArgs, PageArgs};
use crate::kb::geo;
use crate::kb::read::{self, EventFilter, ProgrammeFilter};

/// An organisation of the ecosystem: technopole, cluster, chamber of commerce, business network,
/// public authority…, with the companies it hosts or gathers and the people who work there.
#[Object]
impl Organisation {
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
    /// What kind of organisation it is.
    async fn kind(&self) -> OrganisationKind {
        self.0.kind.into_graphql()
    }
    /// The city it is based in.
    async fn city(&self) -> &Option<String> {
        &self.0.city
    }
    /// Where it is (WGS84).
    async fn location(&self) -> Option<Location> {
        geo::Location::own(self.0.latitude, self.0.longitude, self.0.location_source).into_graphql()
    }
    /// Its other places (establishments, second sites).
    async fn places(&self) -> Vec<Place> {
        self.0.places.clone().into_graphql()
    }
    /// Companies it hosts (whose `site` it is), by name.
    #[graphql(complexity = "limits::page_cost(first, None, child_complexity)")]
    async fn hosted_companies(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A cursor returned by this list: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
    ) -> Result<CountedConnection<Company>> {
        let filter = read::CompanyFilter { site: Some(vec![self.0.header.slug.clone()]), ..Default::default() };
        companies_page(ctx, &filter, None, &ListArgs::forward(after, first)?).await
    }
    /// Companies belonging to it, by name.
    #[graphql(complexity = "limits::page_cost(first, None, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A cursor returned by this list: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
    ) -> Result<CountedConnection<Company>> {
        let filter = read::CompanyFilter { membership: Some(vec![self.0.header.slug.clone()]), ..Default::default() };
        companies_page(ctx, &filter, None, &ListArgs::forward(after, first)?).await
    }
    /// The roles people hold or held here, by the person's name.
    #[graphql(complexity = "limits::page_cost(first, None, child_complexity)")]
    async fn people(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A cursor returned by this list: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
    ) -> Result<CountedConnection<Role>> {
        let args = PageArgs::forward(after, first)?;
        let (total, rows) = kb(ctx).roles_at(self.0.header.id, args.window(u64::MAX)).await?;
        let window = args.window(total);
        let info = args.page_info(total, window, rows.len());
        let mut connection = Connection::with_additional_fields(
            info.has_previous_page,
            info.has_next_page,
            Counted { total_count: total },
        );
        for (i, (role, person)) in rows.into_iter().enumerate() {
            loader(ctx).feed_one(PersonId(person.header.id), person).await;
            connection.edges.push(Edge::new(PageArgs::cursor_at(window.offset + i as u64), Role(role)));
        }
        Ok(connection)
    }
    /// The events it was the site of, organised or took part in, latest first.
    #[graphql(complexity = "limits::page_cost(first, None, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A cursor returned by this list: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
    ) -> Result<CountedConnection<Event>> {
        let filter = EventFilter { organisation: Some(vec![self.0.header.slug.clone()]), ..Default::default() };
        events_where(ctx, filter, after, first).await
    }
    /// Programmes it runs, by name.
    #[graphql(complexity = "limits::page_cost(first, None, child_complexity)")]
    async fn programmes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A cursor returned by this list: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
    ) -> Result<CountedConnection<Programme>> {
        let filter = ProgrammeFilter { operator: Some(vec![self.0.header.slug.clone()]), ..Default::default() };
        programmes_page(ctx, &filter, &ListArgs::forward(after, first)?).await
    }
}
