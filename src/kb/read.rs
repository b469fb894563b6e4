//! Reading lists of entities: filters, orderings and pages, as plain SQL through sea-orm.

use async_graphql::{Enum, InputObject};
use chrono::NaiveDate;
use entity::{
    CompanyStage, OrganisationKind, ProgrammeKind, TechnologyDomain, company, company_membership, company_programme,
    company_technology, organisation, programme, technology,
};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::error::{AppError, Result};

/// Which companies to list: every field given must match, a list matches any of its values.
#[derive(Clone, Debug, Default, InputObject)]
pub struct CompanyFilter {
    /// Company stages.
    pub stage: Option<Vec<CompanyStage>>,
    /// Cities; case and accents do not matter.
    pub city: Option<Vec<String>>,
    /// Slugs of host organisations.
    pub site: Option<Vec<String>>,
    /// Slugs of technologies the company works on, each with every technology below it.
    pub technology: Option<Vec<String>>,
    /// Slugs of programmes the company takes part in.
    pub programme: Option<Vec<String>>,
    /// Slugs of organisations the company belongs to.
    pub membership: Option<Vec<String>>,
    /// Part of the name, case-insensitive.
    pub name_contains: Option<String>,
}

/// Which technologies to list.
#[derive(Clone, Debug, Default, InputObject)]
pub struct TechnologyFilter {
    /// Technology domains.
    pub domain: Option<Vec<TechnologyDomain>>,
    /// Slugs of parent technologies: lists their direct children.
    pub parent: Option<Vec<String>>,
    /// Part of the name, case-insensitive.
    pub name_contains: Option<String>,
}

/// Which programmes to list.
#[derive(Clone, Debug, Default, InputObject)]
pub struct ProgrammeFilter {
    /// Programme kinds.
    pub kind: Option<Vec<ProgrammeKind>>,
    /// Slugs of the organisations running them.
    pub operator: Option<Vec<String>>,
    /// Programmes running on this day (no start date means "already started", no end date "still running").
    pub open_on: Option<NaiveDate>,
    /// Part of the name, case-insensitive.
    pub name_contains: Option<String>,
}

/// Which organisations to list.
#[derive(Clone, Debug, Default, InputObject)]
pub struct OrganisationFilter {
    /// Organisation kinds.
    pub kind: Option<Vec<OrganisationKind>>,
    /// Cities; case and accents do not matter.
    pub city: Option<Vec<String>>,
    /// Part of the name, case-insensitive.
    pub name_contains: Option<String>,
}

/// What a list is sorted by; ties are broken by id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Enum)]
pub enum OrderField {
    /// Alphabetical order of names.
    #[default]
    Name,
    /// When entities were added.
    CreatedAt,
    /// Companies only.
    FoundedYear,
}

/// Which way to sort.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Enum)]
pub enum Direction {
    /// Smallest first (A to Z, oldest first).
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// How to sort a list.
#[derive(Clone, Copy, Debug, Default, InputObject)]
pub struct OrderBy {
    /// What to sort by (default: NAME).
    #[graphql(default)]
    pub field: OrderField,
    /// Which way (default: ASC).
    #[graphql(default)]
    pub direction: Direction,
}

/// One window of a sorted list, and how many items the whole list has.
#[derive(Clone, Debug)]
pub struct Page<M> {
    pub total: u64,
    pub window: Window,
    pub rows: Vec<M>,
}

/// A slice of a sorted list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub offset: u64,
    pub limit: u64,
}

/// `column` of `table` where the slug of the joined row is one of `slugs`.
fn ids_by_slug<E: EntityTrait>(
    id: E::Column,
    slug: E::Column,
    slugs: &[String],
) -> sea_orm::sea_query::SelectStatement {
    Query::select().column(id).from(E::default()).and_where(slug.is_in(slugs.to_vec())).to_owned()
}

fn name_contains(column: impl ColumnTrait, part: &str) -> SimpleExpr {
    let escaped = part.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col(column)))
        .like(sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

fn company_condition(f: &CompanyFilter) -> Condition {
    let mut c = Condition::all();
    if let Some(stages) = &f.stage {
        c = c.add(company::Column::Stage.is_in(stages.iter().copied()));
    }
    if let Some(cities) = &f.city {
        c = c.add(company::Column::City.is_in(cities.clone()));
    }
    if let Some(sites) = &f.site {
        c = c.add(company::Column::SiteId.in_subquery(ids_by_slug::<organisation::Entity>(
            organisation::Column::Id,
            organisation::Column::Slug,
            sites,
        )));
    }
    if let Some(slugs) = &f.technology {
        let targets = ids_by_slug::<technology::Entity>(technology::Column::Id, technology::Column::Slug, slugs);
        c = c.add(
            company::Column::Id.in_subquery(
                Query::select()
                    .column(company_technology::Column::CompanyId)
                    .from(company_technology::Entity)
                    .and_where(company_technology::Column::TechnologyId.in_subquery(targets))
                    .to_owned(),
            ),
        );
    }
    if let Some(slugs) = &f.programme {
        let targets = ids_by_slug::<programme::Entity>(programme::Column::Id, programme::Column::Slug, slugs);
        c = c.add(
            company::Column::Id.in_subquery(
                Query::select()
                    .column(company_programme::Column::CompanyId)
                    .from(company_programme::Entity)
                    .and_where(company_programme::Column::ProgrammeId.in_subquery(targets))
                    .to_owned(),
            ),
        );
    }
    if let Some(slugs) = &f.membership {
        let targets = ids_by_slug::<organisation::Entity>(organisation::Column::Id, organisation::Column::Slug, slugs);
        c = c.add(
            company::Column::Id.in_subquery(
                Query::select()
                    .column(company_membership::Column::CompanyId)
                    .from(company_membership::Entity)
                    .and_where(company_membership::Column::OrganisationId.in_subquery(targets))
                    .to_owned(),
            ),
        );
    }
    if let Some(part) = &f.name_contains {
        c = c.add(name_contains(company::Column::Name, part));
    }
    c
}

fn technology_condition(f: &TechnologyFilter) -> Condition {
    let mut c = Condition::all();
    if let Some(domains) = &f.domain {
        c = c.add(technology::Column::Domain.is_in(domains.iter().copied()));
    }
    if let Some(parents) = &f.parent {
        c = c.add(technology::Column::ParentId.in_subquery(ids_by_slug::<technology::Entity>(
            technology::Column::Id,
            technology::Column::Slug,
            parents,
        )));
    }
    if let Some(part) = &f.name_contains {
        c = c.add(name_contains(technology::Column::Name, part));
    }
    c
}

fn programme_condition(f: &ProgrammeFilter) -> Condition {
    let mut c = Condition::all();
    if let Some(kinds) = &f.kind {
        c = c.add(programme::Column::Kind.is_in(kinds.iter().copied()));
    }
    if let Some(operators) = &f.operator {
        c = c.add(programme::Column::OperatorId.in_subquery(ids_by_slug::<organisation::Entity>(
            organisation::Column::Id,
            organisation::Column::Slug,
            operators,
        )));
    }
    if let Some(day) = f.open_on {
        c = c
            .add(Condition::any().add(programme::Column::StartsOn.is_null()).add(programme::Column::StartsOn.lte(day)))
            .add(Condition::any().add(programme::Column::EndsOn.is_null()).add(programme::Column::EndsOn.gte(day)));
    }
    if let Some(part) = &f.name_contains {
        c = c.add(name_contains(programme::Column::Name, part));
    }
    c
}

fn organisation_condition(f: &OrganisationFilter) -> Condition {
    let mut c = Condition::all();
    if let Some(kinds) = &f.kind {
        c = c.add(organisation::Column::Kind.is_in(kinds.iter().copied()));
    }
    if let Some(cities) = &f.city {
        c = c.add(organisation::Column::City.is_in(cities.clone()));
    }
    if let Some(part) = &f.name_contains {
        c = c.add(name_contains(organisation::Column::Name, part));
    }
    c
}

/// The given technologies and every technology below them, as slugs (unknown slugs are kept,
/// and match nothing).
pub async fn technology_descendants(db: &impl ConnectionTrait, slugs: &[String]) -> Result<Vec<String>> {
    let rows: Vec<(i32, String, Option<i32>)> = technology::Entity::find()
        .select_only()
        .columns([technology::Column::Id, technology::Column::Slug, technology::Column::ParentId])
        .into_tuple()
        .all(db)
        .await?;
    let mut found: Vec<String> = slugs.to_vec();
    let mut frontier: Vec<i32> = rows.iter().filter(|r| slugs.contains(&r.1)).map(|r| r.0).collect();
    let mut seen: std::collections::HashSet<i32> = frontier.iter().copied().collect();
    while let Some(parent) = frontier.pop() {
        for (id, slug, _) in rows.iter().filter(|r| r.2 == Some(parent)) {
            if seen.insert(*id) {
                found.push(slug.clone());
                frontier.push(*id);
            }
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// The cities of a column, as written, that match one of `wanted` once case and accents are
/// dropped: the same comparison on SQLite and PostgreSQL, whatever their collations.
async fn matching_cities<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
    wanted: &[String],
) -> Result<Vec<String>> {
    let folded: Vec<String> = wanted.iter().map(|c| crate::search::query::sort_name(c)).collect();
    let cities: Vec<Option<String>> = E::find().select_only().column(column).distinct().into_tuple().all(db).await?;
    Ok(cities.into_iter().flatten().filter(|c| folded.contains(&crate::search::query::sort_name(c))).collect())
}

/// Counts the matches, then reads the window `window(total)` of them in order (ties broken by id).
async fn list<E: EntityTrait>(
    db: &impl ConnectionTrait,
    condition: Condition,
    (order, id): (E::Column, E::Column),
    direction: Direction,
    window: impl FnOnce(u64) -> Window,
) -> Result<Page<E::Model>>
where
    E::Model: Send + Sync,
{
    let total = E::find().filter(condition.clone()).count(db).await?;
    let window = window(total);
    if window.limit == 0 || window.offset >= total {
        return Ok(Page { total, window, rows: Vec::new() });
    }
    let direction = match direction {
        Direction::Asc => sea_orm::Order::Asc,
        Direction::Desc => sea_orm::Order::Desc,
    };
    let rows = E::find()
        .filter(condition)
        .order_by(order, direction.clone())
        .order_by(id, direction)
        .offset(window.offset)
        .limit(window.limit)
        .all(db)
        .await?;
    Ok(Page { total, window, rows })
}

fn not_for_this_kind(kind: &str) -> AppError {
    AppError::invalid("orderBy.field", format!("{kind} cannot be ordered by FOUNDED_YEAR; use NAME or CREATED_AT"))
}

pub async fn companies(
    db: &impl ConnectionTrait,
    filter: &CompanyFilter,
    order: OrderBy,
    window: impl FnOnce(u64) -> Window,
) -> Result<Page<company::Model>> {
    let column = match order.field {
        OrderField::Name => company::Column::Name,
        OrderField::CreatedAt => company::Column::CreatedAt,
        OrderField::FoundedYear => company::Column::FoundedYear,
    };
    let mut filter = filter.clone();
    if let Some(slugs) = &filter.technology {
        filter.technology = Some(technology_descendants(db, slugs).await?);
    }
    if let Some(cities) = &filter.city {
        filter.city = Some(matching_cities::<company::Entity>(db, company::Column::City, cities).await?);
    }
    list::<company::Entity>(db, company_condition(&filter), (column, company::Column::Id), order.direction, window)
        .await
}

pub async fn technologies(
    db: &impl ConnectionTrait,
    filter: &TechnologyFilter,
    order: OrderBy,
    window: impl FnOnce(u64) -> Window,
) -> Result<Page<technology::Model>> {
    let column = match order.field {
        OrderField::Name => technology::Column::Name,
        OrderField::CreatedAt => technology::Column::CreatedAt,
        OrderField::FoundedYear => return Err(not_for_this_kind("technologies")),
    };
    list::<technology::Entity>(
        db,
        technology_condition(filter),
        (column, technology::Column::Id),
        order.direction,
        window,
    )
    .await
}

pub async fn programmes(
    db: &impl ConnectionTrait,
    filter: &ProgrammeFilter,
    order: OrderBy,
    window: impl FnOnce(u64) -> Window,
) -> Result<Page<programme::Model>> {
    let column = match order.field {
        OrderField::Name => programme::Column::Name,
        OrderField::CreatedAt => programme::Column::CreatedAt,
        OrderField::FoundedYear => return Err(not_for_this_kind("programmes")),
    };
    list::<programme::Entity>(db, programme_condition(filter), (column, programme::Column::Id), order.direction, window)
        .await
}

pub async fn organisations(
    db: &impl ConnectionTrait,
    filter: &OrganisationFilter,
    order: OrderBy,
    window: impl FnOnce(u64) -> Window,
) -> Result<Page<organisation::Model>> {
    let column = match order.field {
        OrderField::Name => organisation::Column::Name,
        OrderField::CreatedAt => organisation::Column::CreatedAt,
        OrderField::FoundedYear => return Err(not_for_this_kind("organisations")),
    };
    let mut filter = filter.clone();
    if let Some(cities) = &filter.city {
        filter.city = Some(matching_cities::<organisation::Entity>(db, organisation::Column::City, cities).await?);
    }
    list::<organisation::Entity>(
        db,
        organisation_condition(&filter),
        (column, organisation::Column::Id),
        order.direction,
        window,
    )
    .await
}
