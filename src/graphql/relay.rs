//! The Relay conventions: global ids (`Company:12`, base64-encoded) and pagination, with keyset
//! cursors for lists and offsets for search results.

use async_graphql::connection::{Connection, Edge, PageInfo};
use async_graphql::{ID, OutputType, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

use crate::error::{AppError, Result};
use crate::kb::read::{Direction, Listed, OrderBy, OrderField, Page, Position, Slice, SortKey, Window};
use entity::EntityKind;

/// The largest page a list returns.
pub const MAX_PAGE: usize = 100;
/// The page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE: usize = 20;

/// The GraphQL type of a kind.
fn type_name(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Company => "Company",
        EntityKind::Technology => "Technology",
        EntityKind::Programme => "Programme",
        EntityKind::Organisation => "Organisation",
        EntityKind::Person => "Person",
        EntityKind::Event => "Event",
    }
}

/// The global id of an entity: opaque to clients, stable for the entity's life.
pub fn global_id(kind: EntityKind, id: i32) -> ID {
    ID(B64.encode(format!("{}:{id}", type_name(kind))))
}

/// Reads a global id back, with the field name used in errors.
pub fn parse_global_id(id: &str, field: &str) -> Result<(EntityKind, i32)> {
    let bad = || AppError::invalid(field, format!("{id:?} is not an id returned by this API"));
    let decoded = B64.decode(id.trim_end_matches('=')).map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (name, number) = text.split_once(':').ok_or_else(bad)?;
    let kind = EntityKind::ALL.into_iter().find(|k| type_name(*k) == name).ok_or_else(bad)?;
    Ok((kind, number.parse().map_err(|_| bad())?))
}

/// A global id that must be of one kind.
pub fn parse_id_of(id: &ID, kind: EntityKind, field: &str) -> Result<i32> {
    let (found, number) = parse_global_id(id, field)?;
    if found != kind {
        return Err(AppError::invalid(
            field,
            format!("expected the id of a {}, got one of a {}", type_name(kind), type_name(found)),
        ));
    }
    Ok(number)
}

/// Extra fields of every connection.
#[derive(SimpleObject)]
pub struct Counted {
    /// How many items match, over all pages.
    pub total_count: u64,
}

pub type CountedConnection<N> = Connection<String, N, Counted>;

/// Relay arguments, checked: cursors decoded, page sizes within bounds.
#[derive(Clone, Copy, Debug, Default)]
pub struct PageArgs {
    after: Option<u64>,
    before: Option<u64>,
    first: Option<usize>,
    last: Option<usize>,
}

fn cursor(offset: u64) -> String {
    B64.encode(format!("o:{offset}"))
}

fn parse_cursor(cursor: &str, field: &str) -> Result<u64> {
    let bad = || AppError::invalid(field, format!("{cursor:?} is not a cursor returned by this list"));
    let decoded = String::from_utf8(B64.decode(cursor).map_err(|_| bad())?).map_err(|_| bad())?;
    decoded.strip_prefix("o:").and_then(|n| n.parse().ok()).ok_or_else(bad)
}

fn page_size(value: Option<i32>, field: &str) -> Result<Option<usize>> {
    match value {
        None => Ok(None),
        Some(n) if n < 0 => Err(AppError::invalid(field, format!("must not be negative, got {n}"))),
        Some(n) if n as usize > MAX_PAGE => {
            Err(AppError::invalid(field, format!("must be at most {MAX_PAGE}, got {n}")))
        }
        Some(n) => Ok(Some(n as usize)),
    }
}

impl PageArgs {
    pub fn new(
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<PageArgs> {
        Ok(PageArgs {
            after: after.as_deref().map(|c| parse_cursor(c, "after")).transpose()?,
            before: before.as_deref().map(|c| parse_cursor(c, "before")).transpose()?,
            first: page_size(first, "first")?,
            last: page_size(last, "last")?,
        })
    }

    /// Forward-only arguments, for relations and search.
    pub fn forward(after: Option<String>, first: Option<i32>) -> Result<PageArgs> {
        PageArgs::new(after, None, first, None)
    }

    /// The slice of a list of `total` items these arguments select.
    pub fn window(&self, total: u64) -> Window {
        let mut start = self.after.map_or(0, |a| a + 1).min(total);
        let mut end = self.before.map_or(total, |b| b.min(total)).max(start);
        let first = match (self.first, self.last) {
            (None, None) => Some(DEFAULT_PAGE),
            (first, _) => first,
        };
        if let Some(first) = first {
            end = end.min(start + first as u64);
        }
        if let Some(last) = self.last {
            start = start.max(end.saturating_sub(last as u64));
        }
        Window { offset: start, limit: end - start }
    }

    /// Page info and cursors for a search page.
    pub fn page_info(&self, total: u64, window: Window, returned: usize) -> PageInfo {
        PageInfo {
            has_previous_page: window.offset > 0,
            has_next_page: window.offset + (returned as u64) < total,
            start_cursor: (returned > 0).then(|| cursor(window.offset)),
            end_cursor: (returned > 0).then(|| cursor(window.offset + returned as u64 - 1)),
        }
    }

    /// The cursor of the item at `offset`.
    pub fn cursor_at(offset: u64) -> String {
        cursor(offset)
    }
}

/// The cursor of a row of a list: the list's order and the row's position in it, as versioned
/// JSON, base64-encoded. Opaque to clients.
#[derive(serde::Serialize, serde::Deserialize)]
struct ListCursor {
    v: u8,
    /// The order the position belongs to, e.g. `NAME ASC`.
    o: String,
    /// The sort key: a name key, a timestamp, a year or null.
    k: serde_json::Value,
    id: i32,
}

const CURSOR_VERSION: u8 = 1;

fn order_name(order: OrderBy) -> String {
    let field = match order.field {
        OrderField::Name => "NAME",
        OrderField::CreatedAt => "CREATED_AT",
        OrderField::FoundedYear => "FOUNDED_YEAR",
        OrderField::Date => "DATE",
    };
    let direction = match order.direction {
        Direction::Asc => "ASC",
        Direction::Desc => "DESC",
    };
    format!("{field} {direction}")
}

/// The cursor of the row at `position` of a list sorted by `order`.
fn list_cursor(order: OrderBy, position: Position) -> String {
    let k = match position.key {
        SortKey::Name(key) => serde_json::Value::from(key),
        SortKey::CreatedAt(at) => serde_json::Value::from(at.to_rfc3339()),
        SortKey::FoundedYear(year) => serde_json::Value::from(year),
        SortKey::Date(day) => serde_json::Value::from(day.map(|d| d.to_string())),
    };
    let cursor = ListCursor { v: CURSOR_VERSION, o: order_name(order), k, id: position.id };
    B64.encode(serde_json::to_vec(&cursor).unwrap_or_default())
}

/// Reads the cursor of a list sorted by `order`, passed as argument `field`.
fn parse_list_cursor(cursor: &str, order: OrderBy, field: &str) -> Result<Position> {
    let bad = || AppError::invalid(field, format!("{cursor:?} is not a cursor returned by this list"));
    let bytes = B64.decode(cursor.trim_end_matches('=')).map_err(|_| bad())?;
    if bytes.starts_with(b"o:") {
        return Err(AppError::invalid(
            field,
            "this cursor counts items from the start of the list, as cursors of earlier versions did; \
             cursors now point at an item: read the list again from its first page",
        ));
    }
    let parsed: ListCursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if parsed.v != CURSOR_VERSION {
        return Err(bad());
    }
    let expected = order_name(order);
    if parsed.o != expected {
        return Err(AppError::invalid(
            field,
            format!("this cursor belongs to the list sorted by {}, not by {expected}; keep the same orderBy", parsed.o),
        ));
    }
    let key = match (order.field, parsed.k) {
        (OrderField::Name, serde_json::Value::String(key)) => SortKey::Name(key),
        (OrderField::CreatedAt, serde_json::Value::String(at)) => SortKey::CreatedAt(
            chrono::DateTime::parse_from_rfc3339(&at).map_err(|_| bad())?.with_timezone(&chrono::Utc),
        ),
        (OrderField::FoundedYear, serde_json::Value::Null) => SortKey::FoundedYear(None),
        (OrderField::FoundedYear, serde_json::Value::Number(year)) => {
            SortKey::FoundedYear(Some(year.as_i64().and_then(|y| i32::try_from(y).ok()).ok_or_else(bad)?))
        }
        (OrderField::Date, serde_json::Value::String(day)) => {
            SortKey::Date(Some(day.parse::<chrono::NaiveDate>().map_err(|_| bad())?))
        }
        _ => return Err(bad()),
    };
    Ok(Position { key, id: parsed.id })
}

/// Relay arguments of a list (`after`, `before`, `first`, `last`), checked and decoded.
#[derive(Clone, Debug)]
pub struct ListArgs {
    order: OrderBy,
    slice: Slice,
}

impl ListArgs {
    pub fn new(
        order: OrderBy,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<ListArgs> {
        let mut slice = Slice {
            after: after.as_deref().map(|c| parse_list_cursor(c, order, "after")).transpose()?,
            before: before.as_deref().map(|c| parse_list_cursor(c, order, "before")).transpose()?,
            first: page_size(first, "first")?.map(|n| n as u64),
            last: page_size(last, "last")?.map(|n| n as u64),
        };
        if slice.first.is_none() && slice.last.is_none() {
            slice.first = Some(DEFAULT_PAGE as u64);
        }
        Ok(ListArgs { order, slice })
    }

    /// The arguments of a list query: its `orderBy` (by name, A to Z, when absent) and its page.
    pub fn sorted(
        order_by: Option<super::inputs::OrderBy>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<ListArgs> {
        use super::mirror::IntoDomain as _;
        ListArgs::new(order_by.unwrap_or_default().into_domain(), after, before, first, last)
    }

    /// Forward-only arguments, for the lists of a relation (sorted by name).
    pub fn forward(after: Option<String>, first: Option<i32>) -> Result<ListArgs> {
        ListArgs::new(OrderBy::default(), after, None, first, None)
    }

    pub fn order(&self) -> OrderBy {
        self.order
    }

    pub fn slice(&self) -> &Slice {
        &self.slice
    }

    /// Wraps one page of rows as a connection of nodes, each with the cursor of its position.
    pub fn connection<M: Listed, N: OutputType>(&self, page: Page<M>, node: impl Fn(M) -> N) -> CountedConnection<N> {
        let Page { total, rows, has_previous, has_next } = page;
        let mut connection = Connection::with_additional_fields(has_previous, has_next, Counted { total_count: total });
        connection.edges.extend(rows.into_iter().map(|row| {
            let cursor = list_cursor(self.order, row.position(self.order.field));
            Edge::new(cursor, node(row))
        }));
        connection
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_garbage_is_refused() {
        let id = global_id(EntityKind::Technology, 7);
        assert_eq!(parse_global_id(&id, "id").unwrap(), (EntityKind::Technology, 7));
        assert!(parse_global_id("nope", "id").is_err());
        assert!(parse_id_of(&id, EntityKind::Company, "id").is_err());
    }

    #[test]
    fn windows_follow_relay() {
        let args = |a: Option<u64>, b: Option<u64>, f: Option<usize>, l: Option<usize>| PageArgs {
            after: a,
            before: b,
            first: f,
            last: l,
        };
        assert_eq!(args(None, None, None, None).window(50), Window { offset: 0, limit: 20 });
        assert_eq!(args(Some(9), None, Some(5), None).window(50), Window { offset: 10, limit: 5 });
        assert_eq!(args(None, None, None, Some(5)).window(12), Window { offset: 7, limit: 5 });
        assert_eq!(args(None, Some(10), None, Some(3)).window(50), Window { offset: 7, limit: 3 });
        assert_eq!(args(Some(60), None, Some(5), None).window(50), Window { offset: 50, limit: 0 });
    }

    #[test]
    fn list_cursors_round_trip_and_old_or_foreign_ones_are_refused() {
        let by_year = OrderBy { field: OrderField::FoundedYear, direction: Direction::Desc };
        for key in [SortKey::FoundedYear(None), SortKey::FoundedYear(Some(2004))] {
            let position = Position { key, id: 3 };
            let cursor = list_cursor(by_year, position.clone());
            assert_eq!(parse_list_cursor(&cursor, by_year, "after").unwrap(), position);
        }
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-26T10:00:00.123456Z").unwrap().to_utc();
        let by_date = OrderBy { field: OrderField::CreatedAt, direction: Direction::Asc };
        let cursor = list_cursor(by_date, Position { key: SortKey::CreatedAt(at), id: 1 });
        assert_eq!(parse_list_cursor(&cursor, by_date, "after").unwrap().key, SortKey::CreatedAt(at));

        let Err(AppError::Invalid(problems)) = parse_list_cursor(&cursor, OrderBy::default(), "before") else {
            panic!("a cursor of another order is refused")
        };
        assert_eq!(problems[0].path, "before");
        let Err(AppError::Invalid(problems)) = parse_list_cursor(&B64.encode("o:4"), OrderBy::default(), "after")
        else {
            panic!("an offset cursor is refused")
        };
        assert!(problems[0].message.contains("earlier versions"), "{}", problems[0].message);
        assert!(parse_list_cursor("garbage", OrderBy::default(), "after").is_err());
    }
}
