//! People: the `Person` and `Role` objects, their queries and mutations.

pub(super) mod mutation;
