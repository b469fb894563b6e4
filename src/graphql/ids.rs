//! Global ids (`Company:12`, base64-encoded) and Relay pagination over offsets.

use async_graphql::connection::{Connection, Edge, PageInfo};
use async_graphql::{ID, OutputType, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

use crate::error::{AppError, Result};
use crate::kb::read::{Page, Window};
use crate::search::EntityKind;

/// The largest page a list returns.
pub const MAX_PAGE: usize = 100;
/// The page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE: usize = 20;

fn type_name(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Company => "Company",
        EntityKind::Technology => "Technology",
        EntityKind::Programme => "Programme",
        EntityKind::Organisation => "Organisation",
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

    /// Wraps one page of rows as a connection of nodes.
    pub fn connection<M, N: OutputType>(page: Page<M>, node: impl Fn(M) -> N) -> CountedConnection<N> {
        let Page { total, window, rows } = page;
        let nodes: Vec<N> = rows.into_iter().map(node).collect();
        let mut connection = Connection::with_additional_fields(
            window.offset > 0,
            window.offset + (nodes.len() as u64) < total,
            Counted { total_count: total },
        );
        connection
            .edges
            .extend(nodes.into_iter().enumerate().map(|(i, node)| Edge::new(cursor(window.offset + i as u64), node)));
        connection
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
}
