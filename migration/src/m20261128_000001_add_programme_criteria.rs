//! Programmes get eligibility criteria besides stages: technology domains, host sites and
//! required memberships (JSON arrays; an empty one means "open to all" on that point).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Programme {
    Table,
    /// Technology domain names.
    EligibleDomains,
    /// Ids of the organisations a company must be hosted by (any of them).
    EligibleSiteIds,
    /// Ids of the organisations a company must belong to (any of them).
    RequiredMembershipIds,
}

const COLUMNS: [(Programme, &str); 3] = [
    (Programme::EligibleDomains, "eligible_domains"),
    (Programme::EligibleSiteIds, "eligible_site_ids"),
    (Programme::RequiredMembershipIds, "required_membership_ids"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement (SQLite alters a table one column at a time); SQLite runs a
        // migration outside a transaction, so a killed process may have added some already.
        for (column, name) in COLUMNS {
            if manager.has_column("programme", name).await? {
                continue;
            }
            manager
                .alter_table(Table::alter().table(Programme::Table).add_column(json(column).default("[]")).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (column, _) in COLUMNS {
            manager.alter_table(Table::alter().table(Programme::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
