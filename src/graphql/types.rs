//! The entity types' fields, and their relations both ways.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};

use super::advice::{Eligibility, EntryPoint, PartnerSuggestion};
use super::context::{kb, loader, related, wanted};
use super::enums::{CompanyStage, Lang, OrganisationKind, ProgrammeKind, TechnologyDomain, Topic};
use super::inputs::{CompanyFilter, OrderBy, Source, Translation};
use super::limits;
use super::loaders::*;
use super::mentors::{MenteeSuggestion, MentorOffer, MentorSuggestion};
use super::mirror::{IntoDomain, IntoGraphql};
use super::nodes::{Company, Event, Organisation, Person, Programme, Role, Technology};
use super::relay::{Counted, CountedConnection, ListArgs, PageArgs, global_id};
use crate::kb::read::{self, Direction, EventFilter, OrderField, ProgrammeFilter};
use crate::kb::{advice, model};
use entity::EntityKind;

/// Declares an entity type: the `Entity` fields, then its own.
macro_rules! entity_object {
    // `#[Object]` comes from the caller, so that `child_complexity` in its fields' `complexity`
    // attributes resolves (macro hygiene).
    ($hash:tt $object:tt $(#[$doc:meta])* $ty:ident, $kind:expr, { $($own:tt)* }) => {
        $hash $object
        $(#[$doc])*
        impl $ty {
            // `pub(super)`: the `Entity` interface (in `nodes`) calls them.
            /// Global id, usable with `node(id:)`.
            pub(super) async fn id(&self) -> ID {
                global_id($kind, self.0.header.id)
            }
            /// Unique, URL-friendly identifier.
            pub(super) async fn slug(&self) -> &String {
                &self.0.header.slug
            }
            /// Display name.
            pub(super) async fn name(&self, #[graphql(desc = "In this language: its translation, or the original when there is none.")] lang: Option<Lang>) -> String {
                let header = &self.0.header;
                header.translated(lang.into_domain(), |t| t.name.as_ref()).unwrap_or(&header.name).clone()
            }
            /// Other names, in any language: names in the other language, acronyms, former names.
            pub(super) async fn aliases(&self) -> Vec<String> {
                self.0.header.aliases.clone()
            }
            /// Free text, in the language given by `lang`.
            pub(super) async fn description(&self, #[graphql(desc = "In this language: its translation, or the original when there is none.")] lang: Option<Lang>) -> Option<String> {
                let header = &self.0.header;
                header.translated(lang.into_domain(), |t| t.description.as_ref()).or(header.description.as_ref()).cloned()
            }
            /// The name and description in other languages.
            pub(super) async fn translations(&self) -> Vec<Translation> {
                self.0.header.translations.clone().into_graphql()
            }
            /// The language of the description.
            pub(super) async fn lang(&self) -> Lang {
                self.0.header.lang.into_graphql()
            }
            /// Web site.
            pub(super) async fn website(&self) -> &Option<String> {
                &self.0.header.website
            }
            /// Where the facts come from.
            pub(super) async fn sources(&self) -> Vec<Source> {
                self.0.header.sources.clone().into_graphql()
            }
            /// When it was added.
            pub(super) async fn created_at(&self) -> DateTime<Utc> {
                self.0.header.created_at
            }
            /// When it last changed.
            pub(super) async fn updated_at(&self) -> DateTime<Utc> {
                self.0.header.updated_at
            }
            $($own)*
        }
    };
}

entity_object!(
    #[Object]
    /// A company working on environmental or industrial technologies: its stage, where it is, what it
    /// works on, the programmes and organisations it belongs to, and advice on aids, partners and
    /// whom to talk to.
    Company,
    EntityKind::Company,
    {
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
        ) -> Result<Vec<PartnerSuggestion>> {
            let first = usize::try_from(first).unwrap_or(0);
            let list = kb(ctx).partners(self.0.header.id, first).await?;
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
            super::mentors::mentors_of(ctx, &self.0, topics, first).await
        }
    }
);

/// Loads, in one batch per relation, the relations a query asks of a page of companies.
///
/// The DataLoader alone would batch them too, but it flushes on a timer, which may cut a
/// page's keys into several batches; asking for all keys at once makes it one statement each.
pub(super) async fn prefetch_relations(ctx: &Context<'_>, companies: &[model::Company]) -> Result<()> {
    let wants = |name: &str| wanted(ctx, name, None);
    let loader = loader(ctx);
    let ids = || companies.iter().map(|c| c.header.id);
    let sites = companies.iter().filter_map(|c| c.site_id).map(OrganisationId);
    let (technologies, programmes, memberships, sites) = tokio::join!(
        async {
            if wants("technologies") { loader.load_many(ids().map(TechnologiesOf)).await.map(|_| ()) } else { Ok(()) }
        },
        async {
            if wants("programmes") { loader.load_many(ids().map(ProgrammesOf)).await.map(Some) } else { Ok(None) }
        },
        async {
            if wants("memberships") { loader.load_many(ids().map(MembershipsOf)).await.map(|_| ()) } else { Ok(()) }
        },
        async { if wants("site") { loader.load_many(sites).await.map(|_| ()) } else { Ok(()) } },
    );
    technologies?;
    memberships?;
    sites?;
    if let Some(programmes) = programmes?
        && wanted(ctx, "programmes", Some("operator"))
    {
        let operators = programmes.values().flatten().filter_map(|p| p.operator_id).map(OrganisationId);
        loader.load_many(operators).await?;
    }
    Ok(())
}

/// Loads, in one batch per relation, the roles (and their organisations) a query asks of a page
/// of people, so that the DataLoader's timer never splits a page into several statements.
pub(super) async fn prefetch_people(ctx: &Context<'_>, people: &[model::Person]) -> Result<()> {
    if !wanted(ctx, "roles", None) {
        return Ok(());
    }
    let loader = loader(ctx);
    let roles = loader.load_many(people.iter().map(|p| RolesOf(p.header.id))).await?;
    if wanted(ctx, "roles", Some("organisation")) {
        let orgs = roles.values().flatten().map(|r| OrganisationId(r.organisation_id));
        loader.load_many(orgs).await?;
    }
    Ok(())
}

/// Loads, in one batch per relation, the site, organisers and participants a query asks of a
/// page of events (and the roles of those people).
pub(super) async fn prefetch_events(ctx: &Context<'_>, events: &[model::Event]) -> Result<()> {
    let loader = loader(ctx);
    let ids = || events.iter().map(|e| e.header.id);
    let sites = events.iter().filter_map(|e| e.site_id).map(OrganisationId);
    let (sites, organisers, companies, people, organisations) = tokio::join!(
        async { if wanted(ctx, "site", None) { loader.load_many(sites).await.map(|_| ()) } else { Ok(()) } },
        async {
            if wanted(ctx, "organisers", None) {
                loader.load_many(ids().map(OrganisersOf)).await.map(|_| ())
            } else {
                Ok(())
            }
        },
        async {
            if wanted(ctx, "companies", None) {
                loader.load_many(ids().map(EventCompaniesOf)).await.map(|_| ())
            } else {
                Ok(())
            }
        },
        async {
            if wanted(ctx, "people", None) {
                loader.load_many(ids().map(EventPeopleOf)).await.map(Some)
            } else {
                Ok(None)
            }
        },
        async {
            if wanted(ctx, "organisations", None) {
                loader.load_many(ids().map(EventOrganisationsOf)).await.map(|_| ())
            } else {
                Ok(())
            }
        },
    );
    sites?;
    organisers?;
    companies?;
    organisations?;
    if let Some(people) = people?
        && wanted(ctx, "people", Some("roles"))
    {
        loader.load_many(people.values().flatten().map(|p| RolesOf(p.header.id))).await?;
    }
    Ok(())
}

/// A page of the events matching `filter`, latest first, for the reverse side of a relation.
async fn events_where(
    ctx: &Context<'_>,
    filter: EventFilter,
    after: Option<String>,
    first: Option<i32>,
) -> Result<CountedConnection<Event>> {
    let order = read::OrderBy { field: OrderField::Date, direction: Direction::Desc };
    let args = ListArgs::new(order, after, None, first, None)?;
    let page = kb(ctx).events(&filter, args.order(), args.slice()).await?;
    prefetch_events(ctx, &page.rows).await?;
    Ok(args.connection(page, Event))
}

/// Organisations by their ids, by name.
async fn organisations_by_id(ctx: &Context<'_>, ids: &[i32]) -> Result<Vec<Organisation>> {
    let found = loader(ctx).load_many(ids.iter().copied().map(OrganisationId)).await?;
    let mut list: Vec<model::Organisation> = found.into_values().collect();
    list.sort_by(|a, b| a.header.name_key.cmp(&b.header.name_key).then(a.header.id.cmp(&b.header.id)));
    Ok(list.into_iter().map(Organisation).collect())
}

/// A page of the companies matching `filter`, for the reverse side of a relation.
async fn companies_where(
    ctx: &Context<'_>,
    filter: read::CompanyFilter,
    after: Option<String>,
    first: Option<i32>,
) -> Result<CountedConnection<Company>> {
    let args = ListArgs::forward(after, first)?;
    let page = kb(ctx).companies(&filter, args.order(), args.slice()).await?;
    prefetch_relations(ctx, &page.rows).await?;
    Ok(args.connection(page, Company))
}

entity_object!(
    #[Object]
    /// A technology companies work on. Technologies form a taxonomy through `parent` and
    /// `children`; a filter on a technology also matches the narrower ones below it.
    Technology,
    EntityKind::Technology,
    {
        /// The field it belongs to.
        async fn domain(&self) -> TechnologyDomain {
            self.0.domain.into_graphql()
        }
        /// The broader technology this one belongs to.
        async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Technology>> {
            let Some(id) = self.0.parent_id else { return Ok(None) };
            Ok(loader(ctx).load_one(TechnologyId(id)).await?.map(Technology))
        }
        /// Narrower technologies, by name.
        #[graphql(complexity = "limits::list_cost(child_complexity)")]
        async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Technology>> {
            related(ctx, ChildrenOf(self.0.header.id), Technology).await
        }
        /// Companies working on it or on a narrower technology, by name.
        #[graphql(complexity = "limits::page_cost(first, None, child_complexity)")]
        async fn companies(
            &self,
            ctx: &Context<'_>,
            #[graphql(desc = "A cursor returned by this list: the page starts after it.")] after: Option<String>,
            #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        ) -> Result<CountedConnection<Company>> {
            let filter =
                read::CompanyFilter { technology: Some(vec![self.0.header.slug.clone()]), ..Default::default() };
            companies_where(ctx, filter, after, first).await
        }
    }
);

entity_object!(
    #[Object]
    /// A support programme (mentoring, funding, acceleration…) helping companies from innovation to
    /// production: who runs it, when, and which companies it is open to.
    Programme,
    EntityKind::Programme,
    {
        /// What the programme offers.
        async fn kind(&self) -> ProgrammeKind {
            self.0.kind.into_graphql()
        }
        /// The organisation running it.
        async fn operator(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
            let Some(id) = self.0.operator_id else { return Ok(None) };
            Ok(loader(ctx).load_one(OrganisationId(id)).await?.map(Organisation))
        }
        /// Company stages the programme is open to (empty: every stage).
        async fn eligible_stages(&self) -> Vec<CompanyStage> {
            self.0.eligible_stages.clone().into_graphql()
        }
        /// Technology domains the programme is open to: a company qualifies when one of its
        /// technologies is in one of them (empty: every domain).
        async fn eligible_domains(&self) -> Vec<TechnologyDomain> {
            self.0.eligible_domains.clone().into_graphql()
        }
        /// The organisations a company must be hosted by, any of them (empty: any site), by name.
        #[graphql(complexity = "limits::list_cost(child_complexity)")]
        async fn eligible_sites(&self, ctx: &Context<'_>) -> Result<Vec<Organisation>> {
            organisations_by_id(ctx, &self.0.eligible_site_ids).await
        }
        /// The organisations a company must belong to, any of them (empty: no membership required), by name.
        #[graphql(complexity = "limits::list_cost(child_complexity)")]
        async fn required_memberships(&self, ctx: &Context<'_>) -> Result<Vec<Organisation>> {
            organisations_by_id(ctx, &self.0.required_membership_ids).await
        }
        /// The companies meeting every criterion (stages, domains, sites, memberships; none once
        /// the programme has ended), with the same filters, order and pages as `companies`.
        #[allow(clippy::too_many_arguments)]
        #[graphql(complexity = "limits::page_cost(first, last, child_complexity)")]
        async fn eligible_companies(
            &self,
            ctx: &Context<'_>,
            #[graphql(desc = "Only the entities matching every field given.")] filter: Option<CompanyFilter>,
            #[graphql(desc = "How to sort (default: by name, A to Z).")] order_by: Option<OrderBy>,
            #[graphql(desc = "A cursor returned by this list: the page starts after it.")] after: Option<String>,
            #[graphql(desc = "A cursor returned by this list: the page ends before it.")] before: Option<String>,
            #[graphql(desc = "The first this many after `after`, at most 100 (default 20 when `last` is absent too).")]
            first: Option<i32>,
            #[graphql(desc = "The last this many before `before`, at most 100.")] last: Option<i32>,
        ) -> Result<CountedConnection<Company>> {
            let args = ListArgs::new(order_by.unwrap_or_default().into_domain(), after, before, first, last)?;
            let filter = filter.unwrap_or_default().into_domain();
            let page =
                kb(ctx).eligible_companies(&self.0, advice::today(), &filter, args.order(), args.slice()).await?;
            prefetch_relations(ctx, &page.rows).await?;
            Ok(args.connection(page, Company))
        }
        /// First day of the programme.
        async fn starts_on(&self) -> Option<NaiveDate> {
            self.0.starts_on
        }
        /// Last day of the programme.
        async fn ends_on(&self) -> Option<NaiveDate> {
            self.0.ends_on
        }
        /// Companies taking part, by name.
        #[graphql(complexity = "limits::page_cost(first, None, child_complexity)")]
        async fn participants(
            &self,
            ctx: &Context<'_>,
            #[graphql(desc = "A cursor returned by this list: the page starts after it.")] after: Option<String>,
            #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        ) -> Result<CountedConnection<Company>> {
            let filter =
                read::CompanyFilter { programme: Some(vec![self.0.header.slug.clone()]), ..Default::default() };
            companies_where(ctx, filter, after, first).await
        }
    }
);

entity_object!(
    #[Object]
    /// An organisation of the ecosystem: technopole, cluster, chamber of commerce, business network,
    /// public authority…, with the companies it hosts or gathers and the people who work there.
    Organisation,
    EntityKind::Organisation,
    {
        /// What kind of organisation it is.
        async fn kind(&self) -> OrganisationKind {
            self.0.kind.into_graphql()
        }
        /// The city it is based in.
        async fn city(&self) -> &Option<String> {
            &self.0.city
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
            companies_where(ctx, filter, after, first).await
        }
        /// Companies belonging to it, by name.
        #[graphql(complexity = "limits::page_cost(first, None, child_complexity)")]
        async fn members(
            &self,
            ctx: &Context<'_>,
            #[graphql(desc = "A cursor returned by this list: the page starts after it.")] after: Option<String>,
            #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        ) -> Result<CountedConnection<Company>> {
            let filter =
                read::CompanyFilter { membership: Some(vec![self.0.header.slug.clone()]), ..Default::default() };
            companies_where(ctx, filter, after, first).await
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
            let args = ListArgs::forward(after, first)?;
            let filter = ProgrammeFilter { operator: Some(vec![self.0.header.slug.clone()]), ..Default::default() };
            let page = kb(ctx).programmes(&filter, args.order(), args.slice()).await?;
            Ok(args.connection(page, Programme))
        }
    }
);

entity_object!(
    #[Object]
    /// A person of the ecosystem, with their roles at organisations. Only public professional facts
    /// from cited sources: never an e-mail address, a phone number or a home address.
    Person,
    EntityKind::Person,
    {
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
            super::mentors::mentees_of(ctx, &self.0, first).await
        }
    }
);

/// A role a person holds or held at an organisation, in the words of the source, with its dates
/// when known.
#[Object]
impl Role {
    /// The organisation.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Organisation> {
        let found = loader(ctx).load_one(OrganisationId(self.0.organisation_id)).await?;
        found
            .map(Organisation)
            .ok_or_else(|| crate::error::AppError::NotFound("the organisation was deleted meanwhile".into()).into())
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
        found
            .map(Person)
            .ok_or_else(|| crate::error::AppError::NotFound("the person was deleted meanwhile".into()).into())
    }
}

entity_object!(
    #[Object]
    /// An event of the ecosystem (a visit, a meeting, a fair): where and when, who organised it and
    /// who took part.
    Event,
    EntityKind::Event,
    {
        /// The (first) day.
        async fn date(&self) -> NaiveDate {
            self.0.date
        }
        /// The last day of an event over several days.
        async fn end_date(&self) -> Option<NaiveDate> {
            self.0.end_date
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
);
