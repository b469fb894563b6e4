//! Support programmes: the `Programme` object, its queries and its mutations.

pub(super) mod mutation;
