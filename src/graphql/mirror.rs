//! GraphQL types that mirror the domain's: the conversions both ways, and the macros declaring them.
//!
//! The domain (`kb`, `search`, `entity`) knows nothing of GraphQL; each type the API shows or
//! takes is declared here with its documentation (the schema's descriptions) and converted at
//! the edge: [`IntoDomain`] for what a client sends, [`IntoGraphql`] for what it gets back.

use chrono::{DateTime, NaiveDate, Utc};

/// A GraphQL value turned into the domain's.
pub trait IntoDomain {
    type Domain;
    fn into_domain(self) -> Self::Domain;
}

/// A domain value turned into the GraphQL one.
pub trait IntoGraphql {
    type Graphql;
    fn into_graphql(self) -> Self::Graphql;
}

/// Types that both sides share as they are.
macro_rules! same_on_both_sides {
    ($($ty:ty),+) => {$(
        impl IntoDomain for $ty {
            type Domain = $ty;
            fn into_domain(self) -> $ty {
                self
            }
        }
        impl IntoGraphql for $ty {
            type Graphql = $ty;
            fn into_graphql(self) -> $ty {
                self
            }
        }
    )+};
}

same_on_both_sides!(String, bool, i32, u64, f32, f64, usize, NaiveDate, DateTime<Utc>);

impl<T: IntoDomain> IntoDomain for Vec<T> {
    type Domain = Vec<T::Domain>;
    fn into_domain(self) -> Self::Domain {
        self.into_iter().map(T::into_domain).collect()
    }
}

impl<T: IntoDomain> IntoDomain for Option<T> {
    type Domain = Option<T::Domain>;
    fn into_domain(self) -> Self::Domain {
        self.map(T::into_domain)
    }
}

impl<T: IntoGraphql> IntoGraphql for Vec<T> {
    type Graphql = Vec<T::Graphql>;
    fn into_graphql(self) -> Self::Graphql {
        self.into_iter().map(T::into_graphql).collect()
    }
}

impl<T: IntoGraphql> IntoGraphql for Option<T> {
    type Graphql = Option<T::Graphql>;
    fn into_graphql(self) -> Self::Graphql {
        self.map(T::into_graphql)
    }
}

/// Declares a GraphQL enum mirroring a domain enum, variant for variant, converted both ways.
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident = $domain:path { $($(#[$vmeta:meta])* $variant:ident,)+ }) => {
        $(#[$meta])*
        #[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $crate::graphql::mirror::IntoDomain for $name {
            type Domain = $domain;
            fn into_domain(self) -> $domain {
                use $domain as D;
                match self {
                    $($name::$variant => D::$variant,)+
                }
            }
        }

        impl $crate::graphql::mirror::IntoGraphql for $domain {
            type Graphql = $name;
            fn into_graphql(self) -> $name {
                use $domain as D;
                match self {
                    $(D::$variant => $name::$variant,)+
                }
            }
        }
    };
}

/// Declares a GraphQL object or input mirroring a domain struct field for field, converted
/// the ways it goes: `in` (a client sends it), `out` (a client gets it), or `both`.
macro_rules! mirror_struct {
    (
        $(#[$meta:meta])* $name:ident = $domain:path, $way:ident,
        { $($(#[$fmeta:meta])* $field:ident : $ty:ty,)* }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }
        mirror_struct!(@$way $name = $domain { $($field)* });
    };
    (@both $name:ident = $domain:path { $($field:ident)* }) => {
        mirror_struct!(@in $name = $domain { $($field)* });
        mirror_struct!(@out $name = $domain { $($field)* });
    };
    (@in $name:ident = $domain:path { $($field:ident)* }) => {
        impl $crate::graphql::mirror::IntoDomain for $name {
            type Domain = $domain;
            fn into_domain(self) -> $domain {
                #[allow(unused_imports)]
                use $crate::graphql::mirror::IntoDomain as _;
                $domain { $($field: self.$field.into_domain(),)* }
            }
        }
    };
    (@out $name:ident = $domain:path { $($field:ident)* }) => {
        impl $crate::graphql::mirror::IntoGraphql for $domain {
            type Graphql = $name;
            fn into_graphql(self) -> $name {
                #[allow(unused_imports)]
                use $crate::graphql::mirror::IntoGraphql as _;
                $name { $($field: self.$field.into_graphql(),)* }
            }
        }
    };
}
