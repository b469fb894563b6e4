//! A sort key for names (`name_key`), so that lists sorted by name come in the same order on
//! SQLite and PostgreSQL, and so that keyset cursors can compare on it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, ExprTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Common {
    Id,
    Name,
    NameKey,
}

const TABLES: [&str; 4] = ["organisation", "technology", "programme", "company"];
/// Rows per backfill statement.
const BATCH: usize = 500;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Each step may be run again: SQLite runs a migration outside a transaction, so a process
        // killed midway leaves part of it done.
        for table in TABLES {
            if manager.has_column(table, "name_key").await? {
                backfill(manager, table).await?;
                manager.create_index(name_key_index(table).if_not_exists().to_owned()).await?;
                continue;
            }
            let mut column = ColumnDef::new(Common::NameKey);
            column.text().not_null().default("");
            // PostgreSQL compares text by its locale unless told otherwise; "C" compares bytes,
            // as SQLite's default collation does.
            if manager.get_database_backend() == DbBackend::Postgres {
                column.extra("COLLATE \"C\"");
            }
            manager.alter_table(Table::alter().table(Alias::new(table)).add_column(column).to_owned()).await?;
            backfill(manager, table).await?;
            manager.create_index(name_key_index(table).if_not_exists().to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .drop_index(Index::drop().name(format!("idx_{table}_name_key")).table(Alias::new(table)).to_owned())
                .await?;
            manager
                .alter_table(Table::alter().table(Alias::new(table)).drop_column(Common::NameKey).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn name_key_index(table: &str) -> IndexCreateStatement {
    Index::create()
        .name(format!("idx_{table}_name_key"))
        .table(Alias::new(table))
        .col(Common::NameKey)
        .col(Common::Id)
        .to_owned()
}

/// Computes the key of every row that has none yet, a batch of rows per statement.
async fn backfill(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let select = Query::select()
        .columns([Common::Id, Common::Name])
        .from(Alias::new(table))
        .and_where(Expr::col(Common::NameKey).eq(""))
        .to_owned();
    let mut rows = Vec::new();
    for row in db.query_all(&select).await? {
        rows.push((row.try_get::<i32>("", "id")?, row.try_get::<String>("", "name")?));
    }
    for batch in rows.chunks(BATCH) {
        let mut keys = CaseStatement::new();
        for (id, name) in batch {
            keys = keys.case(Expr::col(Common::Id).eq(*id), entity::name_key(name));
        }
        let update = Query::update()
            .table(Alias::new(table))
            .value(Common::NameKey, keys.finally(Expr::col(Common::NameKey)))
            .and_where(Expr::col(Common::Id).is_in(batch.iter().map(|(id, _)| *id)))
            .to_owned();
        db.execute(&update).await?;
    }
    Ok(())
}
