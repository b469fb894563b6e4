//! Reading lists of entities: filters, orderings and pages, as plain SQL through sea-orm.

pub mod batch;
mod people_events;

pub use people_events::{EventFilter, PersonFilter, events, people, roles_at};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    CompanyStage, OrganisationKind, ProgrammeKind, TechnologyDomain, company, company_membership, company_programme,
    company_technology, organisation, programme, technology,
};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::model::{self, Stored};
use crate::error::{AppError, Result};

/// Which companies to list: every field given must match, a list matches any of its values.
#[derive(Clone, Debug, Default)]
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
#[derive(Clone, Debug, Default)]
pub struct TechnologyFilter {
    /// Technology domains.
    pub domain: Option<Vec<TechnologyDomain>>,
    /// Slugs of parent technologies: lists their direct children.
    pub parent: Option<Vec<String>>,
    /// Part of the name, case-insensitive.
    pub name_contains: Option<String>,
}

/// Which programmes to list.
#[derive(Clone, Debug, Default)]
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
#[derive(Clone, Debug, Default)]
pub struct OrganisationFilter {
    /// Organisation kinds.
    pub kind: Option<Vec<OrganisationKind>>,
    /// Cities; case and accents do not matter.
    pub city: Option<Vec<String>>,
    /// Part of the name, case-insensitive.
    pub name_contains: Option<String>,
}

/// What a list is sorted by; ties are broken by id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrderField {
    /// Alphabetical order of names.
    #[default]
    Name,
    /// When entities were added.
    CreatedAt,
    /// Companies only.
    FoundedYear,
    /// The day it took place: events only.
    Date,
}

/// Which way to sort.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first (A to Z, oldest first).
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// How to sort a list.
#[derive(Clone, Copy, Debug, Default)]
pub struct OrderBy {
    /// What to sort by (default: NAME).
    pub field: OrderField,
    /// Which way (default: ASC).
    pub direction: Direction,
}

/// One page of a sorted list, and how many items the whole list has.
#[derive(Clone, Debug)]
pub struct Page<M> {
    pub total: u64,
    pub rows: Vec<M>,
    /// Whether the list holds items before the page (within the filter).
    pub has_previous: bool,
    /// Whether the list holds items after the page.
    pub has_next: bool,
}

/// A slice of a sorted list by offsets (search results).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub offset: u64,
    pub limit: u64,
}

/// The value a row is sorted on, in a list sorted by one field.
#[derive(Clone, Debug, PartialEq)]
pub enum SortKey {
    /// The folded name, [`entity::name_key`].
    Name(String),
    CreatedAt(DateTime<Utc>),
    /// Companies without a founding year come last, whichever the direction.
    FoundedYear(Option<i32>),
    /// An event's day (never null; optional for the kinds that have none).
    Date(Option<NaiveDate>),
}

impl SortKey {
    pub fn field(&self) -> OrderField {
        match self {
            SortKey::Name(_) => OrderField::Name,
            SortKey::CreatedAt(_) => OrderField::CreatedAt,
            SortKey::FoundedYear(_) => OrderField::FoundedYear,
            SortKey::Date(_) => OrderField::Date,
        }
    }

    /// The value to compare the column with; `None` for a row whose column is null.
    fn value(&self) -> Option<sea_orm::Value> {
        match self {
            SortKey::Name(key) => Some(key.clone().into()),
            SortKey::CreatedAt(at) => Some((*at).into()),
            SortKey::FoundedYear(year) => year.map(Into::into),
            SortKey::Date(day) => day.map(Into::into),
        }
    }
}

/// Where a row stands in a sorted list: its sort key, then its id to break ties.
#[derive(Clone, Debug, PartialEq)]
pub struct Position {
    pub key: SortKey,
    pub id: i32,
}

/// Which rows of a sorted list to read: Relay's arguments, decoded.
///
/// Bounds are positions, not offsets, so rows inserted or deleted before a page never shift it.
#[derive(Clone, Debug, Default)]
pub struct Slice {
    pub after: Option<Position>,
    pub before: Option<Position>,
    /// Rows from the start of the bounds; when neither this nor `last` is given, the caller sets a default.
    pub first: Option<u64>,
    /// Rows from the end of the bounds (of what `first` kept, when both are given).
    pub last: Option<u64>,
}

/// A row of a list: where it stands in a list sorted by `field`.
pub trait Listed {
    fn position(&self, field: OrderField) -> Position;
}

macro_rules! listed {
    ($ty:ident, $founded:expr) => {
        listed!($ty, $founded, |_| None);
    };
    ($ty:ident, $founded:expr, $date:expr) => {
        impl Listed for model::$ty {
            fn position(&self, field: OrderField) -> Position {
                let key = match field {
                    OrderField::Name => SortKey::Name(self.header.name_key.clone()),
                    OrderField::CreatedAt => SortKey::CreatedAt(self.header.created_at),
                    OrderField::FoundedYear => SortKey::FoundedYear($founded(self)),
                    OrderField::Date => SortKey::Date($date(self)),
                };
                Position { key, id: self.header.id }
            }
        }
    };
}

listed!(Company, |m: &model::Company| m.founded_year);
listed!(Technology, |_| None);
listed!(Programme, |_| None);
listed!(Organisation, |_| None);
listed!(Person, |_| None);
listed!(Event, |_| None, |m: &model::Event| Some(m.date));

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

/// How a list is sorted: one column (nulls last), then the id.
struct Sort<C> {
    column: C,
    nullable: bool,
    id: C,
    direction: Direction,
}

/// Which side of a position.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    After,
    Before,
}

impl<C: ColumnTrait> Sort<C> {
    /// Rows strictly after (or before) `at` in the list's order. Never null, so that `NOT` of it
    /// is the rows at or before (after) `at`.
    fn beyond(&self, at: &Position, side: Side) -> Condition {
        // Moving forward in an ascending list, or backward in a descending one, goes up.
        let up = (self.direction == Direction::Asc) == (side == Side::After);
        // Nulls come last: after every value going forward, before every value going backward.
        let nulls_beyond = side == Side::After;
        let id = if up { self.id.gt(at.id) } else { self.id.lt(at.id) };
        let present = || {
            let c = Condition::all();
            if self.nullable { c.add(self.column.is_not_null()) } else { c }
        };
        match at.key.value() {
            Some(value) => {
                let further = if up { self.column.gt(value.clone()) } else { self.column.lt(value.clone()) };
                let mut c =
                    Condition::any().add(present().add(further)).add(present().add(self.column.eq(value)).add(id));
                if self.nullable && nulls_beyond {
                    c = c.add(self.column.is_null());
                }
                c
            }
            None if nulls_beyond => Condition::all().add(self.column.is_null()).add(id),
            None => {
                Condition::any().add(self.column.is_not_null()).add(Condition::all().add(self.column.is_null()).add(id))
            }
        }
    }

    /// Sorts a query in the list's order, or in reverse.
    fn order<S: QueryOrder>(&self, query: S, reverse: bool) -> S {
        let ascending = (self.direction == Direction::Asc) != reverse;
        let order = if ascending { sea_orm::Order::Asc } else { sea_orm::Order::Desc };
        // `col IS NULL` is false, then true: nulls last going forward, first going backward.
        let nulls = if reverse { sea_orm::Order::Desc } else { sea_orm::Order::Asc };
        let query = if self.nullable { query.order_by(Expr::col(self.column).is_null(), nulls) } else { query };
        query.order_by(self.column, order.clone()).order_by(self.id, order)
    }
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
    let folded: Vec<String> = wanted.iter().map(|c| crate::search::sort_name(c)).collect();
    let cities: Vec<Option<String>> = E::find().select_only().column(column).distinct().into_tuple().all(db).await?;
    Ok(cities.into_iter().flatten().filter(|c| folded.contains(&crate::search::sort_name(c))).collect())
}

/// Counts the matches, then reads the slice of them that `slice` selects.
async fn list<S: Stored>(
    db: &impl ConnectionTrait,
    condition: Condition,
    sort: Sort<<S::Entity as EntityTrait>::Column>,
    slice: &Slice,
) -> Result<Page<S>> {
    let total = S::Entity::find().filter(condition.clone()).count(db).await?;
    if total == 0 {
        return Ok(Page { total, rows: Vec::new(), has_previous: false, has_next: false });
    }
    let mut bounded = condition.clone();
    if let Some(after) = &slice.after {
        bounded = bounded.add(sort.beyond(after, Side::After));
    }
    if let Some(before) = &slice.before {
        bounded = bounded.add(sort.beyond(before, Side::Before));
    }
    // Whether the list holds a row at or past a bound, outside the bounds.
    let outside = |at: &Position, side: Side| {
        let query = S::Entity::find().filter(condition.clone().add(sort.beyond(at, side).not()));
        async move { Ok::<_, AppError>(query.limit(1).all(db).await?.len() == 1) }
    };

    let (rows, has_previous, has_next) = match (slice.first, slice.last) {
        (None, Some(last)) => {
            let mut rows = sort.order(S::Entity::find().filter(bounded), true).limit(last + 1).all(db).await?;
            let has_previous = rows.len() as u64 > last;
            rows.truncate(last as usize);
            rows.reverse();
            let has_next = match &slice.before {
                Some(before) => outside(before, Side::Before).await?,
                None => false,
            };
            (rows, has_previous, has_next)
        }
        (first, last) => {
            // One row more than asked tells whether there is a next page.
            let mut rows =
                sort.order(S::Entity::find().filter(bounded), false).limit(first.map(|n| n + 1)).all(db).await?;
            let has_next = first.is_some_and(|n| rows.len() as u64 > n);
            rows.truncate(first.map_or(rows.len(), |n| n as usize));
            let mut has_previous = match &slice.after {
                Some(after) => outside(after, Side::After).await?,
                None => false,
            };
            if let Some(last) = last
                && rows.len() as u64 > last
            {
                rows.drain(..rows.len() - last as usize);
                has_previous = true;
            }
            (rows, has_previous, has_next)
        }
    };
    Ok(Page { total, rows: model::read_all(rows)?, has_previous, has_next })
}

fn not_for_this_kind(kind: &str, field: &str) -> AppError {
    AppError::invalid("orderBy.field", format!("{kind} cannot be ordered by {field}; use NAME or CREATED_AT"))
}

/// How a list of `kind` sorts on `order`: the name key, the creation time or the founding year.
fn sort<C: ColumnTrait>(
    order: OrderBy,
    (name_key, created_at, id): (C, C, C),
    founded_year: Option<C>,
    kind: &str,
) -> Result<Sort<C>> {
    sort_on(order, (name_key, created_at, id), (founded_year, None), kind)
}

/// [`sort`], for the kinds that have a founding year or a date.
fn sort_on<C: ColumnTrait>(
    order: OrderBy,
    (name_key, created_at, id): (C, C, C),
    (founded_year, date): (Option<C>, Option<C>),
    kind: &str,
) -> Result<Sort<C>> {
    let (column, nullable) = match (order.field, founded_year, date) {
        (OrderField::Name, _, _) => (name_key, false),
        (OrderField::CreatedAt, _, _) => (created_at, false),
        (OrderField::FoundedYear, Some(year), _) => (year, true),
        (OrderField::FoundedYear, None, _) => return Err(not_for_this_kind(kind, "FOUNDED_YEAR")),
        (OrderField::Date, _, Some(date)) => (date, false),
        (OrderField::Date, _, None) => return Err(not_for_this_kind(kind, "DATE")),
    };
    Ok(Sort { column, nullable, id, direction: order.direction })
}

pub async fn companies(
    db: &impl ConnectionTrait,
    filter: &CompanyFilter,
    order: OrderBy,
    slice: &Slice,
) -> Result<Page<model::Company>> {
    companies_within(db, Condition::all(), filter, order, slice).await
}

/// Like [`companies`], among the companies meeting `within` (e.g. a programme's criteria).
pub async fn companies_within(
    db: &impl ConnectionTrait,
    within: Condition,
    filter: &CompanyFilter,
    order: OrderBy,
    slice: &Slice,
) -> Result<Page<model::Company>> {
    use company::Column as C;
    let sort = sort(order, (C::NameKey, C::CreatedAt, C::Id), Some(C::FoundedYear), "companies")?;
    let mut filter = filter.clone();
    if let Some(slugs) = &filter.technology {
        filter.technology = Some(technology_descendants(db, slugs).await?);
    }
    if let Some(cities) = &filter.city {
        filter.city = Some(matching_cities::<company::Entity>(db, C::City, cities).await?);
    }
    list::<model::Company>(db, company_condition(&filter).add(within), sort, slice).await
}

pub async fn technologies(
    db: &impl ConnectionTrait,
    filter: &TechnologyFilter,
    order: OrderBy,
    slice: &Slice,
) -> Result<Page<model::Technology>> {
    use technology::Column as C;
    let sort = sort(order, (C::NameKey, C::CreatedAt, C::Id), None, "technologies")?;
    list::<model::Technology>(db, technology_condition(filter), sort, slice).await
}

pub async fn programmes(
    db: &impl ConnectionTrait,
    filter: &ProgrammeFilter,
    order: OrderBy,
    slice: &Slice,
) -> Result<Page<model::Programme>> {
    use programme::Column as C;
    let sort = sort(order, (C::NameKey, C::CreatedAt, C::Id), None, "programmes")?;
    list::<model::Programme>(db, programme_condition(filter), sort, slice).await
}

/// The organisations matching `filter` among those meeting `within`.
pub async fn organisations(
    db: &impl ConnectionTrait,
    within: Condition,
    filter: &OrganisationFilter,
    order: OrderBy,
    slice: &Slice,
) -> Result<Page<model::Organisation>> {
    use organisation::Column as C;
    let sort = sort(order, (C::NameKey, C::CreatedAt, C::Id), None, "organisations")?;
    let mut filter = filter.clone();
    if let Some(cities) = &filter.city {
        filter.city = Some(matching_cities::<organisation::Entity>(db, C::City, cities).await?);
    }
    list::<model::Organisation>(db, organisation_condition(&filter).add(within), sort, slice).await
}
