//! Where companies and organisations are: a point (WGS84 degrees) with where it comes from
//! (`OWN`, `REGISTRY`; NULL without a point), and their other places (a JSON array of
//! `{name, latitude, longitude}`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Located {
    Latitude,
    Longitude,
    LocationSource,
    Places,
}

const TABLES: [&str; 2] = ["company", "organisation"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            // SQLite runs a migration outside a transaction: a killed process may have done part of it.
            let columns = [
                ("latitude", double_null(Located::Latitude)),
                ("longitude", double_null(Located::Longitude)),
                ("location_source", string_len_null(Located::LocationSource, 32)),
                ("places", json(Located::Places).default("[]").to_owned()),
            ];
            for (name, mut column) in columns {
                if !manager.has_column(table, name).await? {
                    manager
                        .alter_table(Table::alter().table(Alias::new(table)).add_column(&mut column).to_owned())
                        .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            for column in [Located::Latitude, Located::Longitude, Located::LocationSource, Located::Places] {
                manager.alter_table(Table::alter().table(Alias::new(table)).drop_column(column).to_owned()).await?;
            }
        }
        Ok(())
    }
}
