//! Events: the `Event` object, its queries and its mutations.

pub(super) mod mutation;
