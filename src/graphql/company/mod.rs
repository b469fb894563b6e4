//! Companies: the `Company` object, its queries and its mutations.

pub(super) mod mutation;
pub(super) mod object;
mod query;

pub(super) use query::CompanyQuery;
