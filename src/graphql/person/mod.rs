//! People: the `Person` and `Role` objects, their queries and mutations.

pub(super) mod mutation;
pub(super) mod object;
mod query;

pub(super) use query::PersonQuery;
