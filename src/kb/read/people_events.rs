//! Lists of people and events, and the roles held at an organisation.

use chrono::NaiveDate;
use entity::{
    company, event, event_company, event_organisation, event_organiser, event_person, organisation, person, person_role,
};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::{OrderBy, Page, Slice, Window, ids_by_slug, list, name_contains, sort, sort_on};
use crate::error::Result;
use crate::kb::model::{self, Stored};

/// Which people to list.
#[derive(Clone, Debug, Default)]
pub struct PersonFilter {
    /// Slugs of organisations the person holds or held a role at.
    pub organisation: Option<Vec<String>>,
    /// Part of the name, case-insensitive.
    pub name_contains: Option<String>,
}

fn person_condition(f: &PersonFilter) -> Condition {
    let mut c = Condition::all();
    if let Some(slugs) = &f.organisation {
        let targets = ids_by_slug::<organisation::Entity>(organisation::Column::Id, organisation::Column::Slug, slugs);
        c = c.add(
            person::Column::Id.in_subquery(
                Query::select()
                    .column(person_role::Column::PersonId)
                    .from(person_role::Entity)
                    .and_where(person_role::Column::OrganisationId.in_subquery(targets))
                    .to_owned(),
            ),
        );
    }
    if let Some(part) = &f.name_contains {
        c = c.add(name_contains(person::Column::Name, part));
    }
    c
}

/// Which events to list: every field given must match, a list matches any of its values.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    /// Events that end on or after this day.
    pub from: Option<NaiveDate>,
    /// Events that start on or before this day.
    pub to: Option<NaiveDate>,
    /// Slugs of organisations that were the site, organised or took part.
    pub organisation: Option<Vec<String>>,
    /// Slugs of companies that took part.
    pub company: Option<Vec<String>>,
    /// Slugs of people who took part.
    pub person: Option<Vec<String>>,
    /// Part of the name, case-insensitive.
    pub name_contains: Option<String>,
}

fn event_condition(f: &EventFilter) -> Condition {
    let mut c = Condition::all();
    if let Some(from) = f.from {
        c = c.add(
            Condition::any()
                .add(event::Column::Date.gte(from))
                .add(Condition::all().add(event::Column::EndDate.is_not_null()).add(event::Column::EndDate.gte(from))),
        );
    }
    if let Some(to) = f.to {
        c = c.add(event::Column::Date.lte(to));
    }
    if let Some(slugs) = &f.organisation {
        let orgs = || ids_by_slug::<organisation::Entity>(organisation::Column::Id, organisation::Column::Slug, slugs);
        c = c.add(
            Condition::any()
                .add(event::Column::SiteId.in_subquery(orgs()))
                .add(
                    event::Column::Id.in_subquery(
                        Query::select()
                            .column(event_organiser::Column::EventId)
                            .from(event_organiser::Entity)
                            .and_where(event_organiser::Column::OrganisationId.in_subquery(orgs()))
                            .to_owned(),
                    ),
                )
                .add(
                    event::Column::Id.in_subquery(
                        Query::select()
                            .column(event_organisation::Column::EventId)
                            .from(event_organisation::Entity)
                            .and_where(event_organisation::Column::OrganisationId.in_subquery(orgs()))
                            .to_owned(),
                    ),
                ),
        );
    }
    if let Some(slugs) = &f.company {
        let targets = ids_by_slug::<company::Entity>(company::Column::Id, company::Column::Slug, slugs);
        c = c.add(
            event::Column::Id.in_subquery(
                Query::select()
                    .column(event_company::Column::EventId)
                    .from(event_company::Entity)
                    .and_where(event_company::Column::CompanyId.in_subquery(targets))
                    .to_owned(),
            ),
        );
    }
    if let Some(slugs) = &f.person {
        let targets = ids_by_slug::<person::Entity>(person::Column::Id, person::Column::Slug, slugs);
        c = c.add(
            event::Column::Id.in_subquery(
                Query::select()
                    .column(event_person::Column::EventId)
                    .from(event_person::Entity)
                    .and_where(event_person::Column::PersonId.in_subquery(targets))
                    .to_owned(),
            ),
        );
    }
    if let Some(part) = &f.name_contains {
        c = c.add(name_contains(event::Column::Name, part));
    }
    c
}

pub async fn people(
    db: &impl ConnectionTrait,
    filter: &PersonFilter,
    order: OrderBy,
    slice: &Slice,
) -> Result<Page<model::Person>> {
    use person::Column as C;
    let sort = sort(order, (C::NameKey, C::CreatedAt, C::Id), None, "people")?;
    list::<model::Person>(db, person_condition(filter), sort, slice).await
}

/// The roles held at an organisation, by the person's name, then the person's own order: how
/// many there are, and those of `window`.
pub async fn roles_at(
    db: &impl ConnectionTrait,
    organisation: i32,
    window: Window,
) -> Result<(u64, Vec<(model::Role, model::Person)>)> {
    let total =
        person_role::Entity::find().filter(person_role::Column::OrganisationId.eq(organisation)).count(db).await?;
    if total == 0 || window.limit == 0 {
        return Ok((total, Vec::new()));
    }
    let roles: Vec<person_role::Model> =
        person_role::Entity::find().filter(person_role::Column::OrganisationId.eq(organisation)).all(db).await?;
    let mut ids: Vec<i32> = roles.iter().map(|r| r.person_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let people: std::collections::HashMap<i32, person::Model> = person::Entity::find()
        .filter(person::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut rows: Vec<(person_role::Model, person::Model)> =
        roles.into_iter().filter_map(|r| Some((r.clone(), people.get(&r.person_id)?.clone()))).collect();
    rows.sort_by(|(ra, pa), (rb, pb)| {
        pa.name_key.cmp(&pb.name_key).then(pa.id.cmp(&pb.id)).then(ra.position.cmp(&rb.position))
    });
    let rows = rows.into_iter().skip(window.offset as usize).take(window.limit as usize);
    let rows = rows.map(|(role, person)| Ok((model::Role::from(role), model::Person::read(person)?)));
    Ok((total, rows.collect::<Result<_>>()?))
}

/// The events matching `filter` among those meeting `within`.
pub async fn events(
    db: &impl ConnectionTrait,
    within: Condition,
    filter: &EventFilter,
    order: OrderBy,
    slice: &Slice,
) -> Result<Page<model::Event>> {
    use event::Column as C;
    let sort = sort_on(order, (C::NameKey, C::CreatedAt, C::Id), (None, Some(C::Date)), "events")?;
    list::<model::Event>(db, event_condition(filter).add(within), sort, slice).await
}
