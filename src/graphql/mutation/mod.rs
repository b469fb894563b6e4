//! The write side of the API: what every mutation shares (the `Writer` guard, the acting token,
//! reading back what was written, `kind_inputs!`), the import, and the merged `Mutation`.
//!
//! Every mutation needs `Authorization: Bearer <token>` with one of the configured tokens. Each
//! kind's write surface (its create and update inputs and its mutations) is in `mutation.rs` of
//! that kind's folder, e.g. `src/graphql/company/mutation.rs`.

use async_graphql::{Context, MergedObject, Result};

use super::node::load_entity;
use super::nodes::OfKind;
use crate::auth::Tokens;
use crate::error::AppError;

/// Declares a kind's create and update inputs from one list of its own fields, after the fields
/// every kind shares.
///
/// Each field gives its create type and documentation (with `#[graphql(default)]` for a list),
/// then, for the update input, its type when optional and its documentation. An update leaves out
/// what it keeps; `null` is refused for a `required` field and clears an `optional` one.
macro_rules! kind_inputs {
    (
        $(#[$cmeta:meta])* $create:ident,
        $(#[$umeta:meta])* $update:ident,
        for $draft:path;
        required { $($(#[$rmeta:meta])* $req:ident : $rty:ty, $rdoc:literal,)* }
        optional { $($(#[$ometa:meta])* $opt:ident : $octy:ty => $oty:ty, $odoc:literal,)* }
    ) => {
        mirror_struct!(
            $(#[$cmeta])*
            #[derive(Clone, Debug, async_graphql::InputObject)]
            $create = $draft, in,
            {
                /// Unique, URL-friendly identifier: lowercase letters, digits and hyphens, 1–80 characters.
                slug: String,
                /// Display name, 1–200 characters.
                name: String,
                /// Free text, up to 10,000 characters, in the language given by `lang`.
                description: Option<String>,
                /// The language of the description.
                lang: $crate::graphql::enums::Lang,
                /// Web site (http or https URL).
                website: Option<String>,
                /// Where the facts come from.
                #[graphql(default)]
                sources: Vec<$crate::graphql::inputs::Source>,
                /// The name and description in other languages, at most one per language.
                #[graphql(default)]
                translations: Vec<$crate::graphql::inputs::Translation>,
                $($(#[$rmeta])* $req: $rty,)*
                $($(#[$ometa])* $opt: $octy,)*
            }
        );

        $(#[$umeta])*
        #[derive(async_graphql::InputObject, Default)]
        pub struct $update {
            /// New slug (lowercase letters, digits and hyphens, 1–80 characters).
            pub slug: async_graphql::MaybeUndefined<String>,
            /// New name, 1–200 characters.
            pub name: async_graphql::MaybeUndefined<String>,
            /// The language of the description.
            pub lang: async_graphql::MaybeUndefined<$crate::graphql::enums::Lang>,
            /// Free text, up to 10,000 characters; `null` clears it.
            pub description: async_graphql::MaybeUndefined<String>,
            /// Web site (http or https URL); `null` clears it.
            pub website: async_graphql::MaybeUndefined<String>,
            /// Where the facts come from (replaces the list); `null` empties it.
            pub sources: async_graphql::MaybeUndefined<Vec<$crate::graphql::inputs::Source>>,
            /// The name and description in other languages (replaces the list); `null` empties it.
            pub translations: async_graphql::MaybeUndefined<Vec<$crate::graphql::inputs::Translation>>,
            $(#[doc = $rdoc] pub $req: async_graphql::MaybeUndefined<$rty>,)*
            $(#[doc = $odoc] pub $opt: async_graphql::MaybeUndefined<$oty>,)*
        }

        impl $update {
            /// Applies the given fields to a draft.
            fn apply(self, draft: &mut $draft) -> Result<(), $crate::error::AppError> {
                use $crate::graphql::mirror::IntoDomain as _;
                use async_graphql::MaybeUndefined;
                let mut problems = Vec::new();
                let mut null = |field: &str| problems.push($crate::error::Problem {
                    path: format!("input.{}", $crate::graphql::mutation::camel(field)),
                    message: "cannot be null; leave it out to keep the current value".into(),
                });
                match self.slug { MaybeUndefined::Value(v) => draft.slug = v, MaybeUndefined::Null => null("slug"), MaybeUndefined::Undefined => {} }
                match self.name { MaybeUndefined::Value(v) => draft.name = v, MaybeUndefined::Null => null("name"), MaybeUndefined::Undefined => {} }
                match self.lang { MaybeUndefined::Value(v) => draft.lang = v.into_domain(), MaybeUndefined::Null => null("lang"), MaybeUndefined::Undefined => {} }
                $(match self.$req {
                    MaybeUndefined::Value(v) => draft.$req = v.into_domain(),
                    MaybeUndefined::Null => null(stringify!($req)),
                    MaybeUndefined::Undefined => {}
                })*
                match self.description { MaybeUndefined::Value(v) => draft.description = Some(v), MaybeUndefined::Null => draft.description = None, MaybeUndefined::Undefined => {} }
                match self.website { MaybeUndefined::Value(v) => draft.website = Some(v), MaybeUndefined::Null => draft.website = None, MaybeUndefined::Undefined => {} }
                match self.sources { MaybeUndefined::Value(v) => draft.sources = v.into_domain(), MaybeUndefined::Null => draft.sources = Vec::new(), MaybeUndefined::Undefined => {} }
                match self.translations { MaybeUndefined::Value(v) => draft.translations = v.into_domain(), MaybeUndefined::Null => draft.translations = Vec::new(), MaybeUndefined::Undefined => {} }
                $(match self.$opt {
                    MaybeUndefined::Value(v) => draft.$opt = v.into_domain().into(),
                    MaybeUndefined::Null => draft.$opt = Default::default(),
                    MaybeUndefined::Undefined => {}
                })*
                if problems.is_empty() { Ok(()) } else { Err($crate::error::AppError::Invalid(problems)) }
            }
        }
    };
}

mod import;

use super::company::mutation::{CompanyLinkMutation, CompanyMutation};
use super::event::mutation::EventMutation;
use super::organisation::mutation::OrganisationMutation;
use super::person::mutation::PersonMutation;
use super::programme::mutation::ProgrammeMutation;
use super::technology::mutation::TechnologyMutation;
use import::ImportMutation;

/// The caller's bearer token, if the request had one (per-request data).
pub struct Bearer(pub String);

/// Marks a request that came as an HTTP GET: it may only read (mutations are refused before they run).
pub struct ReadOnlyRequest;

/// Lets a field run only for a request whose bearer token may write. Every mutation object
/// carries it (`#[Object(guard = "Writer")]`); a test calls every mutation of the schema without
/// a token and with a wrong one.
pub(super) struct Writer;

impl async_graphql::Guard for Writer {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        actor(ctx).map(drop).map_err(Into::into)
    }
}

/// The name of the request's token (the actor of a write), if it may write. The only reader of tokens.
pub(super) fn actor<'a>(ctx: &Context<'a>) -> Result<&'a str, AppError> {
    let Some(Bearer(token)) = ctx.data_opt::<Bearer>() else { return Err(AppError::Unauthenticated) };
    match ctx.data_opt::<Tokens>().and_then(|tokens| tokens.identify(token)) {
        Some(name) => Ok(name),
        None => Err(AppError::Forbidden),
    }
}

/// The GraphQL name of a Rust field, for the path of a problem.
pub(super) fn camel(field: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads back what a mutation wrote.
pub(super) async fn reload<T: OfKind>(ctx: &Context<'_>, id: i32) -> Result<T> {
    let Some(entity) = load_entity(ctx, T::KIND, id).await? else {
        return Err(AppError::NotFound("it was deleted meanwhile".into()).into());
    };
    T::from_entity(entity).ok_or_else(|| AppError::Internal("an entity read back as another kind".into()).into())
}

/// Reads back what a bulk mutation wrote, in order, in batches.
pub(super) async fn reload_all<T: OfKind>(ctx: &Context<'_>, ids: &[i32]) -> Result<Vec<T>> {
    futures_util::future::try_join_all(ids.iter().map(|&id| reload(ctx, id))).await
}

/// Every write of the API.
#[derive(MergedObject, Default)]
pub struct Mutation(
    CompanyMutation,
    TechnologyMutation,
    ProgrammeMutation,
    OrganisationMutation,
    CompanyLinkMutation,
    ImportMutation,
    PersonMutation,
    EventMutation,
);
