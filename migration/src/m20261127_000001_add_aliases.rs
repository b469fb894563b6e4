//! Every kind of entity gets other names (aliases), as technologies already had.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Company {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum Programme {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum Organisation {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum Common {
    Aliases,
}

fn tables() -> [DynIden; 3] {
    [Company::Table.into_iden(), Programme::Table.into_iden(), Organisation::Table.into_iden()]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for table in tables() {
            manager
                .alter_table(Table::alter().table(table).add_column(json(Common::Aliases).default("[]")).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.alter_table(Table::alter().table(table).drop_column(Common::Aliases).to_owned()).await?;
        }
        Ok(())
    }
}
