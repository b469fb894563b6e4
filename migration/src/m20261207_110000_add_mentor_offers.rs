//! What a person offers as a mentor (a JSON column on person, the technologies they know in a
//! link table, so that a deleted technology leaves no dangling reference) and what a company
//! needs help with (a JSON array on company).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Person {
    Table,
    Id,
    /// `{since, topics, domains, stages, languages, sources}`, or NULL.
    Mentor,
}

#[derive(DeriveIden, Clone, Copy)]
enum Company {
    Table,
    /// Topic names.
    Needs,
}

#[derive(DeriveIden, Clone, Copy)]
enum Technology {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum MentorTechnology {
    Table,
    PersonId,
    TechnologyId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite runs a migration outside a transaction: a killed process may have done part of it.
        if !manager.has_column("person", "mentor").await? {
            manager
                .alter_table(Table::alter().table(Person::Table).add_column(json_null(Person::Mentor)).to_owned())
                .await?;
        }
        if !manager.has_column("company", "needs").await? {
            manager
                .alter_table(
                    Table::alter().table(Company::Table).add_column(json(Company::Needs).default("[]")).to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(MentorTechnology::Table)
                    .if_not_exists()
                    .col(integer(MentorTechnology::PersonId))
                    .col(integer(MentorTechnology::TechnologyId))
                    .primary_key(Index::create().col(MentorTechnology::PersonId).col(MentorTechnology::TechnologyId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MentorTechnology::Table, MentorTechnology::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MentorTechnology::Table, MentorTechnology::TechnologyId)
                            .to(Technology::Table, Technology::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_mentor_technology_technology")
                    .table(MentorTechnology::Table)
                    .col(MentorTechnology::TechnologyId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(MentorTechnology::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Company::Table).drop_column(Company::Needs).to_owned()).await?;
        manager.alter_table(Table::alter().table(Person::Table).drop_column(Person::Mentor).to_owned()).await
    }
}
