//! Enumerations stored as strings, shared by the database and the import format.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Declares a string-backed enum with its database mapping and its list of names.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            EnumIter, DeriveActiveEnum, Serialize, Deserialize,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
        pub enum $name {
            $(
                #[sea_orm(string_value = $value)]
                #[serde(rename = $value)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value's name, as stored and as written in the import format.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $value,)+
                }
            }

            /// Parses a value's name.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($value => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

string_enum!(
    /// The language of a description.
    Lang { Fr = "fr", En = "en" }
);

string_enum!(
    /// What kind of organisation it is.
    OrganisationKind {
        Technopole = "TECHNOPOLE",
        Cluster = "CLUSTER",
        Chamber = "CHAMBER",
        BusinessNetwork = "BUSINESS_NETWORK",
        PublicAuthority = "PUBLIC_AUTHORITY",
        Investor = "INVESTOR",
        Research = "RESEARCH",
        Other = "OTHER",
    }
);

string_enum!(
    /// The field a technology belongs to.
    TechnologyDomain {
        Energy = "ENERGY",
        Mobility = "MOBILITY",
        Building = "BUILDING",
        Water = "WATER",
        Waste = "WASTE",
        Air = "AIR",
        NaturalRisks = "NATURAL_RISKS",
        Biodiversity = "BIODIVERSITY",
        Agriculture = "AGRICULTURE",
        Digital = "DIGITAL",
        Security = "SECURITY",
        Other = "OTHER",
    }
);

string_enum!(
    /// What a support programme offers.
    ProgrammeKind {
        Mentoring = "MENTORING",
        Funding = "FUNDING",
        Acceleration = "ACCELERATION",
        Incubation = "INCUBATION",
        Networking = "NETWORKING",
        Expertise = "EXPERTISE",
        Other = "OTHER",
    }
);

string_enum!(
    /// How grown-up a company is.
    CompanyStage {
        Startup = "STARTUP",
        Sme = "SME",
        Midcap = "MIDCAP",
        LargeGroup = "LARGE_GROUP",
    }
);

string_enum!(
    /// What start-ups and SMEs ask an expert's help with.
    Topic {
        Industrialisation = "INDUSTRIALISATION",
        Funding = "FUNDING",
        Export = "EXPORT",
        Recruitment = "RECRUITMENT",
        IntellectualProperty = "INTELLECTUAL_PROPERTY",
        Governance = "GOVERNANCE",
        Sales = "SALES",
        Regulation = "REGULATION",
        Certification = "CERTIFICATION",
        Partnerships = "PARTNERSHIPS",
        Other = "OTHER",
    }
);

string_enum!(
    /// Where an entity's own point comes from.
    LocationSource { Own = "OWN", Registry = "REGISTRY" }
);
