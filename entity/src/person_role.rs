//! A person's role at an organisation, in the order the person's record lists them.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person_role")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: i32,
    /// The role's place in the person's list, from 0.
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub organisation_id: i32,
    pub title: String,
    pub since: Option<Date>,
    pub until: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
