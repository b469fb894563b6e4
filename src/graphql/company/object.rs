//! The `Company` object: the fields every kind shares, then its own, its relations and the advice
//! on it; and the page of companies every list of companies goes through.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use crate::graphql::advice::{Eligibility, EntryPoint, PartnerSuggestion};
use crate::graphql::context::{kb, load_if_wanted, loader, related, wanted};
use crate::graphql::entity_fields::EntityFields;
use crate::graphql::enums::{CompanyStage, Lang, Topic};
use crate::graphql::event::object::events_where;
use crate::graphql::inputs::{Place, Source, Translation};
use crate::graphql::limits;
use crate::graphql::loaders::{MembershipsOf, OrganisationId, ProgrammesOf, TechnologiesOf};
use crate::graphql::mentors::{self, MentorSuggestion};
use crate::graphql::mirror::IntoGraphql;
use crate::graphql::nodes::{Company, Event, Organisation, Programme, Technology};
use crate::graphql::outputs::Location;
use crate::graphql::relay::{CountedConnection, ListArgs};
use crate::kb::read::{self, EventFilter};
use crate::kb::{advice, geo, model};

/// A company working on environmental or industrial technologies: its stage, where it is, what it
/// works on, the programmes and organisations it belongs to, and advice on aids, partners and
/// whom to talk to.
#[Object]
impl Company {
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
    /// How grown-up the company is.
    async fn stage(&self) -> CompanyStage {
        self.0.stage.into_graphql()
    }
    /// The city it is based in.
    async fn city(&self) -> &Option<String> {
        &self.0.city
    }
    /// The year it was founded.
    async fn founded_year(&self) -> Option<i32> {
        self.0.founded_year
    }
    /// How many people it employs.
    async fn employees(&self) -> Option<i32> {
        self.0.employees
    }
    /// Where it is: its own point, or else its host site's (`source: SITE`).
    async fn location(&self, ctx: &Context<'_>) -> Result<Option<Location>> {
        let own = geo::Location::own(self.0.latitude, self.0.longitude, self.0.location_source);
        if own.is_some() {
            return Ok(own.into_graphql());
        }
        let Some(id) = self.0.site_id else { return Ok(None) };
        let site = loader(ctx).load_one(OrganisationId(id)).await?;
        let inherited = site.and_then(|s| geo::Location::own(s.latitude, s.longitude, s.location_source));
        Ok(inherited.map(geo::Location::inherited).into_graphql())
    }
    /// Its other places (establishments, second sites).
    async fn places(&self) -> Vec<Place> {
        self.0.places.clone().into_graphql()
    }
    /// The organisation hosting it, e.g. a technopole.
    async fn site(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let Some(id) = self.0.site_id else { return Ok(None) };
        Ok(loader(ctx).load_one(OrganisationId(id)).await?.map(Organisation))
    }
    /// The technologies it works on, by name.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn technologies(&self, ctx: &Context<'_>) -> Result<Vec<Technology>> {
        related(ctx, TechnologiesOf(self.0.header.id), Technology).await
    }
    /// The support programmes it takes part in, by name.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn programmes(&self, ctx: &Context<'_>) -> Result<Vec<Programme>> {
        related(ctx, ProgrammesOf(self.0.header.id), Programme).await
    }
    /// The organisations it belongs to (clusters, business networks…), by name.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn memberships(&self, ctx: &Context<'_>) -> Result<Vec<Organisation>> {
        related(ctx, MembershipsOf(self.0.header.id), Organisation).await
    }
    /// The events it took part in, latest first.
    #[graphql(complexity = "limits::page_cost(first, None, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A cursor returned by this list: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
    ) -> Result<CountedConnection<Event>> {
        let filter = EventFilter { company: Some(vec![self.0.header.slug.clone()]), ..Default::default() };
        events_where(ctx, filter, after, first).await
    }
    /// Which aids: every programme, checked against each of its criteria. Eligible
    /// programmes first, then those missing the fewest criteria, then by name.
    #[graphql(complexity = "limits::eligibility_cost(child_complexity)")]
    async fn eligible_programmes(&self, ctx: &Context<'_>) -> Result<Vec<Eligibility>> {
        let today = advice::today();
        let list = kb(ctx).eligible_programmes(self.0.header.id, today).await?;
        Ok(list.into_iter().map(Eligibility).collect())
    }
    /// Which partners: large groups and mid-caps for a start-up or an SME, start-ups and SMEs
    /// for a large group or a mid-cap, ranked by the technologies (a technology and the
    /// narrower ones below it count as related), domains, memberships, programmes and host
    /// site they share, with reasons. Ties by name.
    #[graphql(complexity = "limits::partners_cost(first, child_complexity)")]
    async fn partners(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many suggestions, 1 to 50.", default = 10)] first: i32,
        #[graphql(desc = "Only partners with a place within this many kilometres of this company's location.")]
        max_distance_km: Option<f64>,
    ) -> Result<Vec<PartnerSuggestion>> {
        let first = usize::try_from(first).unwrap_or(0);
        let list = kb(ctx).partners(self.0.header.id, first, max_distance_km).await?;
        Ok(list.into_iter().map(PartnerSuggestion).collect())
    }
    /// Which entry points: the organisations this company should talk to, with reasons: its
    /// host site and the organisations it belongs to, then the operators of the programmes it
    /// is eligible for or takes part in, then the clusters and business networks whose
    /// members work in its technologies' domains. Ties by name.
    #[graphql(complexity = "limits::entry_points_cost(child_complexity)")]
    async fn entry_points(&self, ctx: &Context<'_>) -> Result<Vec<EntryPoint>> {
        let list = kb(ctx).entry_points(self.0.header.id, advice::today()).await?;
        Ok(list.into_iter().map(EntryPoint).collect())
    }

    /// What it needs help with now, as the park or the company says.
    async fn needs(&self) -> Vec<Topic> {
        self.0.needs.clone().into_graphql()
    }

    /// Which mentors: the experts who offer help with what it needs (its own needs, or
    /// `topics`), ranked by the topics, technologies (a technology above or below one of its
    /// own counts as related), domains, stage and language they share and by their
    /// organisations that already work with it, with reasons. Ties by name.
    #[graphql(complexity = "limits::mentors_cost(first, child_complexity)")]
    async fn mentors(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What it needs help with, instead of its own needs.")] topics: Option<Vec<Topic>>,
        #[graphql(desc = "How many suggestions, 1 to 50.", default = 10)] first: i32,
    ) -> Result<Vec<MentorSuggestion>> {
        mentors::mentors_of(ctx, &self.0, topics, first).await
    }
}

/// A page of the companies matching `filter`, with what the query asks of them loaded: for
/// `companies` and for the lists of companies on the other kinds.
pub(in crate::graphql) async fn companies_page(
    ctx: &Context<'_>,
    filter: &read::CompanyFilter,
    area: Option<crate::geo::Area>,
    args: &ListArgs,
) -> Result<CountedConnection<Company>> {
    let page = kb(ctx).companies(filter, area, args.order(), args.slice()).await?;
    prefetch_relations(ctx, &page.rows).await?;
    Ok(args.connection(page, Company))
}

/// Loads, in one batch per relation, the relations a query asks of a page of companies.
///
/// The DataLoader alone would batch them too, but it flushes on a timer, which may cut a
/// page's keys into several batches; asking for all keys at once makes it one statement each.
pub(in crate::graphql) async fn prefetch_relations(ctx: &Context<'_>, companies: &[model::Company]) -> Result<()> {
    let ids = || companies.iter().map(|c| c.header.id);
    let sites = companies.iter().filter_map(|c| c.site_id).map(OrganisationId);
    let (technologies, programmes, memberships, sites) = tokio::join!(
        load_if_wanted(ctx, "technologies", ids().map(TechnologiesOf)),
        load_if_wanted(ctx, "programmes", ids().map(ProgrammesOf)),
        load_if_wanted(ctx, "memberships", ids().map(MembershipsOf)),
        load_if_wanted(ctx, "site", sites),
    );
    technologies?;
    memberships?;
    sites?;
    if let Some(programmes) = programmes?
        && wanted(ctx, "programmes", Some("operator"))
    {
        let operators = programmes.values().flatten().filter_map(|p| p.operator_id).map(OrganisationId);
        loader(ctx).load_many(operators).await?;
    }
    Ok(())
}
