//! The `Programme` object: the fields every kind shares, then its own, its criteria and the
//! companies meeting them or taking part; and the page of programmes every list of them goes
//! through.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};

use crate::graphql::company::object::{companies_page, prefetch_relations};
use crate::graphql::context::{kb, loader};
use crate::graphql::entity_fields::EntityFields;
use crate::graphql::enums::{CompanyStage, Lang, ProgrammeKind, TechnologyDomain};
use crate::graphql::inputs::{CompanyFilter, OrderBy, Source, Translation};
use crate::graphql::limits;
use crate::graphql::loaders::OrganisationId;
use crate::graphql::mirror::{IntoDomain, IntoGraphql};
use crate::graphql::nodes::{Company, Organisation, Programme};
use crate::graphql::relay::{CountedConnection, ListArgs};
use crate::kb::{advice, model, read};

/// A support programme (mentoring, funding, acceleration…) helping companies from innovation to
/// production: who runs it, when, and which companies it is open to.
#[Object]
impl Programme {
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
        let args = ListArgs::sorted(order_by, after, before, first, last)?;
        let filter = filter.unwrap_or_default().into_domain();
        let page = kb(ctx).eligible_companies(&self.0, advice::today(), &filter, args.order(), args.slice()).await?;
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
        let filter = read::CompanyFilter { programme: Some(vec![self.0.header.slug.clone()]), ..Default::default() };
        companies_page(ctx, &filter, None, &ListArgs::forward(after, first)?).await
    }
}

/// A page of the programmes matching `filter`: for `programmes` and an organisation's programmes.
pub(in crate::graphql) async fn programmes_page(
    ctx: &Context<'_>,
    filter: &read::ProgrammeFilter,
    args: &ListArgs,
) -> Result<CountedConnection<Programme>> {
    let page = kb(ctx).programmes(filter, args.order(), args.slice()).await?;
    Ok(args.connection(page, Programme))
}

/// Organisations by their ids, by name.
async fn organisations_by_id(ctx: &Context<'_>, ids: &[i32]) -> Result<Vec<Organisation>> {
    let found = loader(ctx).load_many(ids.iter().copied().map(OrganisationId)).await?;
    let mut list: Vec<model::Organisation> = found.into_values().collect();
    list.sort_by(|a, b| a.header.name_key.cmp(&b.header.name_key).then(a.header.id.cmp(&b.header.id)));
    Ok(list.into_iter().map(Organisation).collect())
}
