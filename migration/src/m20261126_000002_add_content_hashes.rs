//! A hash of each entity's content (`content_hash`), so that an import skips what did not change.
//!
//! Rows written before it have none: the next import rewrites them once and stores it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Common {
    ContentHash,
}

const TABLES: [&str; 4] = ["organisation", "technology", "programme", "company"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            // SQLite runs a migration outside a transaction: a killed process may have added some.
            if manager.has_column(table, "content_hash").await? {
                continue;
            }
            let mut column = ColumnDef::new(Common::ContentHash);
            column.string_len(64).null();
            manager.alter_table(Table::alter().table(Alias::new(table)).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .alter_table(Table::alter().table(Alias::new(table)).drop_column(Common::ContentHash).to_owned())
                .await?;
        }
        Ok(())
    }
}
