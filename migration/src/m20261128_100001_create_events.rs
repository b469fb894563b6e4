//! Events of the ecosystem (visits, meetings, fairs): where and when, who organised them and
//! who took part.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Event {
    Table,
    Id,
    Slug,
    Name,
    NameKey,
    Description,
    Lang,
    Website,
    Sources,
    CreatedAt,
    UpdatedAt,
    ContentHash,
    Aliases,
    Date,
    EndDate,
    SiteId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Organisation {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Company {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum Person {
    Table,
}

#[allow(clippy::enum_variant_names)] // column names
#[derive(DeriveIden, Clone, Copy)]
enum Link {
    EventId,
    OrganisationId,
    CompanyId,
    PersonId,
}

/// The link tables: name, target column, target table; each link goes with either side.
fn links() -> [(&'static str, Link, DynIden); 4] {
    [
        ("event_organiser", Link::OrganisationId, Organisation::Table.into_iden()),
        ("event_company", Link::CompanyId, Company::Table.into_iden()),
        ("event_person", Link::PersonId, Person::Table.into_iden()),
        ("event_organisation", Link::OrganisationId, Organisation::Table.into_iden()),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut name_key = ColumnDef::new(Event::NameKey);
        name_key.text().not_null().default("");
        // Byte order on PostgreSQL too, as the other kinds' name keys (see `add_name_keys`).
        if manager.get_database_backend() == DbBackend::Postgres {
            name_key.extra("COLLATE \"C\"");
        }
        manager
            .create_table(
                Table::create()
                    .table(Event::Table)
                    .if_not_exists()
                    .col(pk_auto(Event::Id))
                    .col(string_len_uniq(Event::Slug, 80))
                    .col(string_len(Event::Name, 200))
                    .col(name_key)
                    .col(text_null(Event::Description))
                    .col(string_len(Event::Lang, 2))
                    .col(string_null(Event::Website))
                    .col(json(Event::Sources))
                    .col(timestamp_with_time_zone(Event::CreatedAt))
                    .col(timestamp_with_time_zone(Event::UpdatedAt))
                    .col(string_len_null(Event::ContentHash, 64))
                    .col(json(Event::Aliases).default("[]"))
                    .col(date(Event::Date))
                    .col(date_null(Event::EndDate))
                    .col(integer_null(Event::SiteId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Event::Table, Event::SiteId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column, target) in links() {
            let table = Alias::new(name);
            manager
                .create_table(
                    Table::create()
                        .table(table.clone())
                        .if_not_exists()
                        .col(integer(Link::EventId))
                        .col(integer(column))
                        .primary_key(Index::create().col(Link::EventId).col(column))
                        .foreign_key(
                            ForeignKey::create()
                                .from(table.clone(), Link::EventId)
                                .to(Event::Table, Event::Id)
                                .on_delete(ForeignKeyAction::Cascade),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .from(table.clone(), column)
                                .to(target, Alias::new("id"))
                                .on_delete(ForeignKeyAction::Cascade),
                        )
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .if_not_exists()
                        .name(format!("idx_{name}_target"))
                        .table(table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        let indexes = [("idx_event_date", Event::Date), ("idx_event_site", Event::SiteId)];
        for (name, column) in indexes {
            manager
                .create_index(Index::create().if_not_exists().name(name).table(Event::Table).col(column).to_owned())
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_event_name_key")
                    .table(Event::Table)
                    .col(Event::NameKey)
                    .col(Event::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _, _) in links() {
            manager.drop_table(Table::drop().table(Alias::new(name)).to_owned()).await?;
        }
        manager.drop_table(Table::drop().table(Event::Table).to_owned()).await
    }
}
