//! Importing a whole knowledge-base document, as `pepite import` does.

use async_graphql::{Context, Json, Object, Result};

use super::{Writer, actor};
use crate::error::AppError;
use crate::graphql::context::kb;
use crate::graphql::outputs::ImportSummary;
use crate::kb::{Document, ImportOptions};

#[derive(Default)]
pub struct ImportMutation;

#[Object(guard = "Writer")]
impl ImportMutation {
    /// Upserts a knowledge-base document by slug, like `pepite import`: all or nothing, every
    /// problem listed in `extensions.problems` with its path. Entities whose content did not
    /// change are not written (their `updatedAt` stays); the summary counts each kind.
    async fn import_knowledge_base(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The document, as `pepite export` writes it (see the document format).")] document: Json<
            serde_json::Value,
        >,
        #[graphql(
            desc = "Delete the entities the document does not hold, so that the knowledge base equals it.",
            default = false
        )]
        prune: bool,
        #[graphql(
            desc = "With `prune`: clear the document's references to entities it does not hold, instead of refusing them.",
            default = false
        )]
        force: bool,
        #[graphql(desc = "Check and count everything, and write nothing.", default = false)] dry_run: bool,
    ) -> Result<ImportSummary> {
        let actor = actor(ctx)?;
        // Up to 16 MiB to serialise and parse: on the blocking pool, not on the async runtime.
        let parse = move || {
            let text = serde_json::to_string(&document.0).map_err(|err| AppError::Internal(err.to_string()))?;
            Document::parse(&text)
        };
        let document = tokio::task::spawn_blocking(parse)
            .await
            .map_err(|err| AppError::Internal(format!("the import's parsing failed: {err}")))??;
        let options = ImportOptions { prune, force, dry_run };
        Ok(kb(ctx).import(actor, &document, options, &()).await?.into())
    }
}
