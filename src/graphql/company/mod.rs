//! Companies: the `Company` object, its queries and its mutations.

pub(super) mod mutation;
