//! People of the ecosystem and their roles at organisations.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Person {
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
}

#[derive(DeriveIden, Clone, Copy)]
enum PersonRole {
    Table,
    PersonId,
    Position,
    OrganisationId,
    Title,
    Since,
    Until,
}

#[derive(DeriveIden, Clone, Copy)]
enum Organisation {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut name_key = ColumnDef::new(Person::NameKey);
        name_key.text().not_null().default("");
        // Byte order on PostgreSQL too, as the other kinds' name keys (see `add_name_keys`).
        if manager.get_database_backend() == DbBackend::Postgres {
            name_key.extra("COLLATE \"C\"");
        }
        manager
            .create_table(
                Table::create()
                    .table(Person::Table)
                    .if_not_exists()
                    .col(pk_auto(Person::Id))
                    .col(string_len_uniq(Person::Slug, 80))
                    .col(string_len(Person::Name, 200))
                    .col(name_key)
                    .col(text_null(Person::Description))
                    .col(string_len(Person::Lang, 2))
                    .col(string_null(Person::Website))
                    .col(json(Person::Sources))
                    .col(timestamp_with_time_zone(Person::CreatedAt))
                    .col(timestamp_with_time_zone(Person::UpdatedAt))
                    .col(string_len_null(Person::ContentHash, 64))
                    .col(json(Person::Aliases).default("[]"))
                    .to_owned(),
            )
            .await?;
        // A role goes with its person, and with its organisation (as a company's membership does).
        manager
            .create_table(
                Table::create()
                    .table(PersonRole::Table)
                    .if_not_exists()
                    .col(integer(PersonRole::PersonId))
                    .col(integer(PersonRole::Position))
                    .col(integer(PersonRole::OrganisationId))
                    .col(string_len(PersonRole::Title, 200))
                    .col(date_null(PersonRole::Since))
                    .col(date_null(PersonRole::Until))
                    .primary_key(Index::create().col(PersonRole::PersonId).col(PersonRole::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PersonRole::Table, PersonRole::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PersonRole::Table, PersonRole::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_person_role_organisation")
                    .table(PersonRole::Table)
                    .col(PersonRole::OrganisationId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_person_name_key")
                    .table(Person::Table)
                    .col(Person::NameKey)
                    .col(Person::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(PersonRole::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Person::Table).to_owned()).await
    }
}
