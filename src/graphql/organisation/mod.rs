//! Organisations: the `Organisation` object, its queries and its mutations.

pub(super) mod mutation;
