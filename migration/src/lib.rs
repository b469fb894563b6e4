//! Database migrations of Pépite; the same migrations run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_knowledge_base;
mod m20261126_000001_add_name_keys;
mod m20261126_000002_add_content_hashes;
mod m20261126_120000_change_log;
mod m20261127_000001_add_aliases;
mod m20261128_000001_add_programme_criteria;
mod m20261128_100000_create_people;
mod m20261128_100001_create_events;
mod m20261128_100002_add_translations;
mod m20261207_110000_add_mentor_offers;
mod m20261207_140000_add_locations;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_knowledge_base::Migration),
            Box::new(m20261126_000001_add_name_keys::Migration),
            Box::new(m20261126_000002_add_content_hashes::Migration),
            Box::new(m20261126_120000_change_log::Migration),
            Box::new(m20261127_000001_add_aliases::Migration),
            Box::new(m20261128_000001_add_programme_criteria::Migration),
            Box::new(m20261128_100000_create_people::Migration),
            Box::new(m20261128_100001_create_events::Migration),
            Box::new(m20261128_100002_add_translations::Migration),
            Box::new(m20261207_110000_add_mentor_offers::Migration),
            Box::new(m20261207_140000_add_locations::Migration),
        ]
    }
}
