//! The search outbox becomes a change log every replica follows: each row says what happened
//! (`operation`), to which entity (`kind`, `entity_id`, `slug`) and when (`at`), and rows are kept
//! for a retention period instead of being deleted once one index applied them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Change {
    Table,
    Operation,
    Slug,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time, outside any transaction, so
        // a migration interrupted half-way is resumed column by column. Rows left by the old
        // outbox get constant defaults, so retention prunes them first.
        let columns = [
            string_len(Change::Operation, 8).default("UPDATED").to_owned(),
            string_len(Change::Slug, 255).default("").to_owned(),
            timestamp_with_time_zone(Change::At).default("1970-01-01T00:00:00+00:00").to_owned(),
        ];
        for mut column in columns {
            let name = column.get_column_name();
            if manager.has_column("change", &name).await? {
                continue;
            }
            manager.alter_table(Table::alter().table(Change::Table).add_column(&mut column).to_owned()).await?;
        }
        manager
            .create_index(
                Index::create().if_not_exists().name("change_at").table(Change::Table).col(Change::At).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("change_at").table(Change::Table).to_owned()).await?;
        for column in [Change::At, Change::Slug, Change::Operation] {
            manager.alter_table(Table::alter().table(Change::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
