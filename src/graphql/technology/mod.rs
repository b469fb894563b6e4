//! Technologies: the `Technology` object, its queries and its mutations.

pub(super) mod mutation;
