//! The knowledge base: four kinds of entity, their relations, and the search outbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Organisation {
    Table,
    Id,
    Kind,
    City,
}

#[derive(DeriveIden, Clone, Copy)]
enum Technology {
    Table,
    Id,
    Domain,
    Aliases,
    ParentId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Programme {
    Table,
    Id,
    Kind,
    OperatorId,
    EligibleStages,
    StartsOn,
    EndsOn,
}

#[derive(DeriveIden, Clone, Copy)]
enum Company {
    Table,
    Id,
    Stage,
    City,
    FoundedYear,
    Employees,
    SiteId,
}

#[derive(DeriveIden, Clone, Copy)]
enum CompanyTechnology {
    Table,
    CompanyId,
    TechnologyId,
}

#[derive(DeriveIden, Clone, Copy)]
enum CompanyProgramme {
    Table,
    CompanyId,
    ProgrammeId,
}

#[derive(DeriveIden, Clone, Copy)]
enum CompanyMembership {
    Table,
    CompanyId,
    OrganisationId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Change {
    Table,
    Seq,
    Kind,
    EntityId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Meta {
    Table,
    Key,
    Value,
}

#[derive(DeriveIden, Clone, Copy)]
enum Common {
    Slug,
    Name,
    Description,
    Lang,
    Website,
    Sources,
    CreatedAt,
    UpdatedAt,
}

/// A table with the columns every entity shares.
fn entity_table<T: IntoIden + Copy + 'static>(table: T, id: impl IntoIden) -> TableCreateStatement {
    Table::create()
        .table(table)
        .if_not_exists()
        .col(pk_auto(id))
        .col(string_len_uniq(Common::Slug, 80))
        .col(string_len(Common::Name, 200))
        .col(text_null(Common::Description))
        .col(string_len(Common::Lang, 2))
        .col(string_null(Common::Website))
        .col(json(Common::Sources))
        .col(timestamp_with_time_zone(Common::CreatedAt))
        .col(timestamp_with_time_zone(Common::UpdatedAt))
        .to_owned()
}

/// A many-to-many table between companies and `other`, deleted along with either side.
fn link_table(
    table: impl IntoIden + Copy + 'static,
    company: impl IntoIden + Copy,
    other_col: impl IntoIden + Copy,
    other_table: impl IntoIden + Copy + 'static,
    other_id: impl IntoIden + Copy + 'static,
) -> TableCreateStatement {
    Table::create()
        .table(table)
        .if_not_exists()
        .col(integer(company))
        .col(integer(other_col))
        .primary_key(Index::create().col(company).col(other_col))
        .foreign_key(
            ForeignKey::create()
                .from(table, company)
                .to(Company::Table, Company::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create().from(table, other_col).to(other_table, other_id).on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                entity_table(Organisation::Table, Organisation::Id)
                    .col(string_len(Organisation::Kind, 32))
                    .col(string_null(Organisation::City))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                entity_table(Technology::Table, Technology::Id)
                    .col(string_len(Technology::Domain, 32))
                    .col(json(Technology::Aliases))
                    .col(integer_null(Technology::ParentId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Technology::Table, Technology::ParentId)
                            .to(Technology::Table, Technology::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                entity_table(Programme::Table, Programme::Id)
                    .col(string_len(Programme::Kind, 32))
                    .col(integer_null(Programme::OperatorId))
                    .col(json(Programme::EligibleStages))
                    .col(date_null(Programme::StartsOn))
                    .col(date_null(Programme::EndsOn))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Programme::Table, Programme::OperatorId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                entity_table(Company::Table, Company::Id)
                    .col(string_len(Company::Stage, 32))
                    .col(string_null(Company::City))
                    .col(integer_null(Company::FoundedYear))
                    .col(integer_null(Company::Employees))
                    .col(integer_null(Company::SiteId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Company::Table, Company::SiteId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(link_table(
                CompanyTechnology::Table,
                CompanyTechnology::CompanyId,
                CompanyTechnology::TechnologyId,
                Technology::Table,
                Technology::Id,
            ))
            .await?;
        manager
            .create_table(link_table(
                CompanyProgramme::Table,
                CompanyProgramme::CompanyId,
                CompanyProgramme::ProgrammeId,
                Programme::Table,
                Programme::Id,
            ))
            .await?;
        manager
            .create_table(link_table(
                CompanyMembership::Table,
                CompanyMembership::CompanyId,
                CompanyMembership::OrganisationId,
                Organisation::Table,
                Organisation::Id,
            ))
            .await?;

        // Indexes for the filters and the reverse side of each relation.
        let indexes: [(&str, DynIden, DynIden); 9] = [
            ("idx_company_stage", Company::Table.into_iden(), Company::Stage.into_iden()),
            ("idx_company_city", Company::Table.into_iden(), Company::City.into_iden()),
            ("idx_company_site", Company::Table.into_iden(), Company::SiteId.into_iden()),
            ("idx_company_name", Company::Table.into_iden(), Common::Name.into_iden()),
            ("idx_technology_parent", Technology::Table.into_iden(), Technology::ParentId.into_iden()),
            ("idx_programme_operator", Programme::Table.into_iden(), Programme::OperatorId.into_iden()),
            (
                "idx_company_technology_technology",
                CompanyTechnology::Table.into_iden(),
                CompanyTechnology::TechnologyId.into_iden(),
            ),
            (
                "idx_company_programme_programme",
                CompanyProgramme::Table.into_iden(),
                CompanyProgramme::ProgrammeId.into_iden(),
            ),
            (
                "idx_company_membership_organisation",
                CompanyMembership::Table.into_iden(),
                CompanyMembership::OrganisationId.into_iden(),
            ),
        ];
        for (name, table, column) in indexes {
            manager
                .create_index(Index::create().if_not_exists().name(name).table(table).col(column).to_owned())
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Change::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Change::Seq))
                    .col(string_len(Change::Kind, 16))
                    .col(integer(Change::EntityId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Meta::Table)
                    .if_not_exists()
                    .col(string_len(Meta::Key, 64).primary_key())
                    .col(text(Meta::Value))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables: [DynIden; 9] = [
            Meta::Table.into_iden(),
            Change::Table.into_iden(),
            CompanyMembership::Table.into_iden(),
            CompanyProgramme::Table.into_iden(),
            CompanyTechnology::Table.into_iden(),
            Company::Table.into_iden(),
            Programme::Table.into_iden(),
            Technology::Table.into_iden(),
            Organisation::Table.into_iden(),
        ];
        for table in tables {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
