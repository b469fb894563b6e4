//! Pépite: a GraphQL knowledge base of who does what in an innovation park, with French and English search.

pub mod auth;
pub mod changelog;
pub mod cli;
pub mod config;
pub mod db;
pub mod deadline;
pub mod error;
pub mod generate;
pub mod geo;
pub mod graphql;
pub mod http;
pub mod kb;
pub mod metrics;
pub mod search;
pub mod startup;
pub mod telemetry;
