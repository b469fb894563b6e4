//! Every kind of entity gets translations: its name and description in other languages.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Common {
    Translations,
}

const TABLES: [&str; 6] = ["organisation", "technology", "programme", "company", "person", "event"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement, each skipped once done: SQLite runs a migration outside a
        // transaction, so a killed process may have added some.
        for table in TABLES {
            if manager.has_column(table, "translations").await? {
                continue;
            }
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .add_column(json(Common::Translations).default("[]"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .alter_table(Table::alter().table(Alias::new(table)).drop_column(Common::Translations).to_owned())
                .await?;
        }
        Ok(())
    }
}
