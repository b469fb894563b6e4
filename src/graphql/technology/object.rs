//! The `Technology` object: the fields every kind shares, then its own and its place in the
//! taxonomy.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use crate::graphql::company::object::companies_page;
use crate::graphql::context::{loader, related};
use crate::graphql::entity_fields::EntityFields;
use crate::graphql::enums::{Lang, TechnologyDomain};
use crate::graphql::inputs::{Source, Translation};
use crate::graphql::limits;
use crate::graphql::loaders::{ChildrenOf, TechnologyId};
use crate::graphql::mirror::IntoGraphql;
use crate::graphql::nodes::{Company, Technology};
use crate::graphql::relay::{CountedConnection, ListArgs};
use crate::kb::read;

/// A technology companies work on. Technologies form a taxonomy through `parent` and
/// `children`; a filter on a technology also matches the narrower ones below it.
#[Object]
impl Technology {
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
        let filter = read::CompanyFilter { technology: Some(vec![self.0.header.slug.clone()]), ..Default::default() };
        companies_page(ctx, &filter, None, &ListArgs::forward(after, first)?).await
    }
}
