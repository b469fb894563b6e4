//! Opening the tantivy index, or creating it when missing, unreadable or from another schema,
//! and what each commit's payload records.

use std::path::PathBuf;

use entity::meta;
use sea_orm::{DatabaseConnection, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::schema::Schema;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy};

use crate::error::{AppError, Result};
use crate::search::analyzer;

const WRITER_MEMORY: usize = 100_000_000;

/// What a commit's payload says about the index.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub(super) struct Payload {
    pub(super) schema: u32,
    /// The identity of the database the index mirrors.
    pub(super) database: String,
    /// The last log position applied.
    pub(super) seq: i64,
}

type Parts = (IndexWriter, IndexReader, Option<Payload>);

/// Opens the index with its writer and reader; with `wipe`, or when there is no usable index,
/// starts an empty one. A writer held by another process is a `Conflict`.
pub(super) fn open_parts(dir: &PathBuf, schema: Schema, wipe: bool) -> Result<Parts> {
    if wipe {
        let _ = std::fs::remove_dir_all(dir);
    }
    let (index, payload) = open_or_create(dir, schema)?;
    let writer: IndexWriter = index.writer(WRITER_MEMORY).map_err(|err| match err {
        tantivy::TantivyError::LockFailure(..) => AppError::Conflict {
            message: format!("the search index in {} is in use by another process", dir.display()),
            field: None,
        },
        other => other.into(),
    })?;
    writer.set_merge_policy(Box::new(merge_policy()));
    let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
    Ok((writer, reader, payload))
}

/// Fewer segments than tantivy's default, and no segment left with many deleted documents:
/// every query expands its typos and completions, and walks its postings, once per segment.
pub(super) fn merge_policy() -> tantivy::indexer::LogMergePolicy {
    let mut policy = tantivy::indexer::LogMergePolicy::default();
    policy.set_min_num_segments(3);
    // Segments are grouped by size, each group merged once it holds three: with tantivy's default
    // (every segment under 10,000 documents in one group), each group commit's segment of a few
    // documents was merged with an index of that size, rewriting it every other commit.
    policy.set_min_layer_size(100);
    policy.set_del_docs_ratio_before_merge(0.2);
    policy
}

fn open_or_create(dir: &PathBuf, schema: Schema) -> Result<(Index, Option<Payload>)> {
    let opened = std::fs::create_dir_all(dir)
        .map_err(|err| tantivy::TantivyError::SystemError(err.to_string()))
        .and_then(|_| MmapDirectory::open(dir).map_err(|err| tantivy::TantivyError::SystemError(err.to_string())))
        .and_then(|directory| if Index::exists(&directory)? { Ok(Some(Index::open(directory)?)) } else { Ok(None) });
    let existing = match opened {
        Ok(Some(index)) if index.schema() == schema => {
            let payload = index.load_metas().ok().and_then(|m| m.payload).and_then(|p| serde_json::from_str(&p).ok());
            Some((index, payload))
        }
        Ok(Some(_)) => {
            tracing::warn!("search index was built with another schema; rebuilding it");
            None
        }
        Ok(None) => None,
        Err(err) => {
            tracing::warn!(error = %err, "search index is unreadable; rebuilding it");
            None
        }
    };
    let (index, payload) = match existing {
        Some(found) => found,
        None => {
            let _ = std::fs::remove_dir_all(dir);
            std::fs::create_dir_all(dir)
                .map_err(|err| AppError::Internal(format!("cannot create {}: {err}", dir.display())))?;
            (Index::create_in_dir(dir, schema)?, None)
        }
    };
    analyzer::register(index.tokenizers());
    Ok((index, payload))
}

/// A random identity, stored once in the database, that tells one database from another.
pub(super) async fn database_identity(db: &DatabaseConnection) -> Result<String> {
    if let Some(row) = meta::Entity::find_by_id("database_id").one(db).await? {
        return Ok(row.value);
    }
    let id = format!("{:032x}", rand::random::<u128>());
    let row = meta::ActiveModel { key: Set("database_id".into()), value: Set(id) };
    meta::Entity::insert(row).on_conflict_do_nothing_on([meta::Column::Key]).exec(db).await?;
    let row = meta::Entity::find_by_id("database_id").one(db).await?;
    row.map(|r| r.value).ok_or_else(|| AppError::Internal("database identity missing".into()))
}
